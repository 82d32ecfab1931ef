#!/bin/sh
# bench/export.sh — the customers report's CSV export and GET /v1/stats at scale (issue 6).
#
# Builds a database with one shop and BENCH_ROWS (default 1,000,000) sent notifications, each of
# its own subscription (3 variants), opened for half of them, clicked for a fifth, and
# BENCH_CONVERSIONS (default 100,000) counted conversions with their orders, the notifications
# spread over the last 90 days — written with sqlite3 in one transaction (fixed data: the row
# number decides everything). Then, against build/restock:
#
#   csv http    GET /v1/reports/customers?format=csv streamed to /dev/null by curl: rows/s and
#               the server's peak RSS (VmHWM) before and after, so the stream's memory shows
#   csv cli     `restock export customers` to /dev/null: rows/s and its peak RSS
#   stats       GET /v1/stats for the last 90 days, best and median of 5 (when the endpoint
#               exists; it answers 404 on a build without it, and the row says so)
#
# Targets: CSV >= 200,000 rows/s with bounded memory; stats <= 50 ms. Exit status 0 when
# measured, 1 when a step failed or the CSV had the wrong number of rows.
# Environment: BENCH_ROWS, BENCH_CONVERSIONS, RESTOCK_BIN (build/restock), BENCH_KEEP=1.
set -eu
cd "$(dirname "$0")/.."
ROWS=${BENCH_ROWS:-1000000}
CONVS=${BENCH_CONVERSIONS:-100000}
RESTOCK=${RESTOCK_BIN:-build/restock}
for tool in sqlite3 curl "$RESTOCK"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool not found (make deps all)" >&2; exit 1; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/restock-export.XXXXXX")
PID=""
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    [ "${BENCH_KEEP:-0}" = 1 ] && echo "kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
DB=$TMP/bench.db
calc() { awk "BEGIN { print $1 }"; }
now=$(date +%s)

shop=$("$RESTOCK" shop add --name Bench --url https://shop.example --currency EUR \
       --timezone Europe/Copenhagen --db "$DB")
SHOP=$(echo "$shop" | sed 's/.*"id":"\([^"]*\)".*/\1/')
KEY=$(echo "$shop" | sed 's/.*"api_key":"\([^"]*\)".*/\1/')

t0=$(date +%s.%N)
sqlite3 "$DB" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
.bail on
BEGIN;
INSERT INTO variants VALUES (1,'4471','88','TEE','', 'Organic Tee','Red / M','https://shop.example/p/tee','',1990,2490,'EUR','Shirts',10,0,$now),
                            (1,'5120','91','HOOD','','Wool Hoodie, "Nordic"','Grå / S','https://shop.example/p/hood','',7900,-1,'EUR','Knit',10,0,$now),
                            (1,'7300','99','BOOT','','Trail Boot','Brown / 42','https://shop.example/p/boot','',12900,-1,'EUR','Shoes',10,0,$now);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS)
INSERT INTO subscriptions(id, shop_id, variant_id, channel, status, contact_key, email,
  quantity, notify_count, created_at, updated_at, confirmed_at, notified_at, unsubscribed_at)
SELECT i, 1, CASE i % 3 WHEN 0 THEN '4471' WHEN 1 THEN '5120' ELSE '7300' END, 0, 2,
  'shopper' || i || '@example.com', 'shopper' || i || '@example.com', 1, 1,
  $now - 100 * 86400 + i % 864000, $now, 0, $now, 0 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS)
INSERT INTO notifications(id, shop_id, subscription_id, restock_id, campaign_id, channel, status,
  attempts, not_before, lease_until, expires_at, created_at, sent_at, segments, opened_at,
  clicked_at)
SELECT i, 1, i, 1 + i % 1000, 1, 0, 1, 1, 0, 0, 0, t - 60, t, 0,
  CASE WHEN i % 2 = 0 THEN t + 600 ELSE 0 END, CASE WHEN i % 5 = 0 THEN t + 900 ELSE 0 END
FROM (SELECT i, $now - 90 * 86400 + i * 7776000 / $ROWS AS t FROM n);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $CONVS)
INSERT INTO orders(id, shop_id, order_number, source, total, currency, created_at, status,
  email, received_at)
SELECT i, 1, 'B' || i, 'api', 1990 + i % 5000, 'EUR',
  (SELECT sent_at + 3600 FROM notifications WHERE id = i * ($ROWS / $CONVS)), 0,
  'shopper' || (i * ($ROWS / $CONVS)) || '@example.com', $now FROM n;
INSERT INTO conversions(shop_id, notification_id, campaign_id, order_id, kind, amount, currency,
  status, at, created_at)
SELECT 1, id * ($ROWS / $CONVS), 1, id, CASE WHEN (id * ($ROWS / $CONVS)) % 5 = 0 THEN 0 ELSE 1 END,
  total, 'EUR', 0, created_at, $now FROM orders;
COMMIT;
SQL
t1=$(date +%s.%N)
echo "seeded $ROWS notifications, $CONVS conversions in $(calc "$t1 - $t0") s"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$RESTOCK" serve --db "$DB" --listen 127.0.0.1:$PORT --log-format json >"$TMP/serve.log" 2>&1 &
PID=$!
for i in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
hwm() { awk '/VmHWM/ {print $2}' "/proc/$PID/status"; }
rss0=$(hwm)

t0=$(date +%s.%N)
curl -fsS -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/v1/reports/customers?format=csv" \
    -o "$TMP/customers.csv"
t1=$(date +%s.%N)
rss1=$(hwm)
lines=$(wc -l <"$TMP/customers.csv")
[ "$lines" -eq $((ROWS + 1)) ] || { echo "bench: CSV has $lines lines, expected $((ROWS + 1))" >&2; exit 1; }
http_s=$(calc "$t1 - $t0")
http_rate=$(calc "int($ROWS / $http_s)")

t0=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$TMP/cli.rss" "$RESTOCK" export customers --shop "$SHOP" --db "$DB" >/dev/null
t1=$(date +%s.%N)
cli_s=$(calc "$t1 - $t0")
cli_rate=$(calc "int($ROWS / $cli_s)")
cli_rss=$(cat "$TMP/cli.rss")

from=$(date -u -d "@$((now - 89 * 86400))" +%Y-%m-%d)
to=$(date -u -d "@$now" +%Y-%m-%d)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" \
       "http://127.0.0.1:$PORT/v1/stats?from=$from&to=$to")
stats="not measured: GET /v1/stats answered $code"
if [ "$code" = 200 ]; then
    times=$(for i in 1 2 3 4 5; do
        curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $KEY" \
            "http://127.0.0.1:$PORT/v1/stats?from=$from&to=$to"; done | sort -n)
    best=$(echo "$times" | head -1); median=$(echo "$times" | sed -n 3p)
    stats="best $(calc "$best * 1000") ms, median $(calc "$median * 1000") ms"
fi

printf '\n%-10s %12s %10s %s\n' "" "rows/s" "seconds" "peak RSS"
printf '%-10s %12s %10s %s\n' "csv http" "$http_rate" "$http_s" "server VmHWM ${rss0} kB before, ${rss1} kB after"
printf '%-10s %12s %10s %s\n' "csv cli" "$cli_rate" "$cli_s" "${cli_rss} kB"
printf '%-10s %s\n' "stats" "$stats (90 days, $ROWS notifications, $CONVS conversions)"
echo "targets: csv >= 200000 rows/s with bounded memory; stats <= 50 ms"
