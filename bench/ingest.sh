#!/bin/sh
# bench/ingest.sh — restock's ingest benchmark: signed Shopify webhooks and XML feed imports.
#
#   webhooks  wrk (64 keep-alive connections, 2 threads, 10 s) posts inventory_levels/update
#             deliveries for 1,000 variants over 2 locations (levels 1-39, 0 in 2% of them: stock
#             moving as it sells, with some restocks), each body pre-signed with the shop's
#             webhook secret (the Lua script computes nothing per request but an event id), so
#             restock does the whole path: HMAC check, JSON, event id, per-location level, sum,
#             restock detection, group commit. Target >= 20,000/s, every answer 2xx. Then, as
#             the baseline measured in the same run, sign-ups (bench/signup.lua) on that server.
#   feed      `restock import-feed` of a generated Google Merchant RSS feed of BENCH_ITEMS items
#             (default 1,000,000), first into an empty catalog (all created), then again with
#             every item's stock changed (all updated, a tenth of them restocks). Items/s and the
#             process's peak RSS (/usr/bin/time). Targets >= 100,000 items/s, peak RSS <= 64 MiB.
#
# Fixed seed: the bodies and the feed are generated deterministically (BENCH_SEED, default 1).
# Exit status: 0 when measured (targets met or not), 1 when a step failed.
# Environment: BENCH_DURATION (10s), BENCH_CONNECTIONS (64), BENCH_THREADS (2), BENCH_ITEMS,
# RESTOCK_BIN (build/restock), BENCH_KEEP=1 keeps the temporary directory.
set -eu

cd "$(dirname "$0")/.."
BENCH_DIR=$(pwd)/bench
export BENCH_DIR
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
SEED=${BENCH_SEED:-1}
ITEMS=${BENCH_ITEMS:-1000000}
RESTOCK=${RESTOCK_BIN:-build/restock}

for tool in wrk sqlite3 curl python3 /usr/bin/time "$RESTOCK"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool not found (make deps all)" >&2; exit 1; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/restock-ingest.XXXXXX")
RESTOCK_PID=""
stop() {
    [ -n "$1" ] || return 0
    kill -TERM "$1" 2>/dev/null || return 0
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
cleanup() {
    stop "$RESTOCK_PID"
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
fail() { echo "bench: $*" >&2; exit 1; }
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_http() {
    i=0
    until curl -s -o /dev/null "$1"; do
        i=$((i + 1)); [ $i -lt 100 ] || fail "nothing answers at $1"; sleep 0.1
    done
}

# ---- webhooks ------------------------------------------------------------------------------
DB=$TMP/bench.db
"$RESTOCK" shop add --name "Bench $SEED" --url https://bench.example --db "$DB" >"$TMP/shop.json" \
    || fail "shop add failed"
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])" <"$TMP/shop.json"; }
SHOP=$(field id) KEY=$(field api_key) SECRET=$(field webhook_secret)
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
"$RESTOCK" serve --db "$DB" --listen "127.0.0.1:$PORT" --rate-limit-ip 0 \
    --rate-limit-contact 0 --log-format json 2>"$TMP/restock.log" &
RESTOCK_PID=$!
wait_http "$URL/healthz"

# 1,000 variants with Shopify-sized inventory item ids; 4,000 pre-signed bodies over them
python3 - "$SEED" "$SECRET" "$TMP" <<'PY'
import base64, hashlib, hmac, json, random, sys
seed, secret, tmp = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]
rnd = random.Random(seed)
base = 49148385181700000
catalog = [{"variant_id": str(45283937034300000 + i), "inventory_item_id": base + i,
            "title": f"Item {i}", "available": 0} for i in range(1000)]
catalog.append({"variant_id": "bench-sold-out", "title": "Sold out", "available": 0})
json.dump(catalog, open(f"{tmp}/catalog.json", "w"))
with open(f"{tmp}/bodies.txt", "w") as f:
    for k in range(4000):
        body = json.dumps({"inventory_item_id": base + rnd.randrange(1000),
                           "location_id": 68842553411 + rnd.randrange(2),
                           "available": 0 if rnd.random() < 0.02 else rnd.randrange(1, 40),
                           "updated_at": "2026-11-24T10:00:00-05:00"}, separators=(",", ":"))
        mac = base64.b64encode(hmac.new(secret, body.encode(), hashlib.sha256).digest()).decode()
        f.write(f"{mac} {body}\n")
PY
curl -sf -o /dev/null -X PUT -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    --data @"$TMP/catalog.json" "$URL/v1/catalog" || fail "PUT /v1/catalog failed"

echo "bench: webhooks: wrk -c $CONNS -t $THREADS -d $DURATION" >&2
wrk -c "$CONNS" -t "$THREADS" -d "$DURATION" --latency -s "$BENCH_DIR/webhook.lua" "$URL" -- \
    "$SHOP" "$TMP/bodies.txt" >"$TMP/webhook.wrk" 2>&1 || { cat "$TMP/webhook.wrk" >&2; fail "wrk failed"; }
line=$(grep '^BENCH ' "$TMP/webhook.wrk") || fail "no summary from wrk"
eval "$(echo "$line" | cut -d' ' -f2-)"
w_rps=$rps w_p99=$p99_us w_non2xx=$non2xx w_requests=$requests
w_rss=$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' /proc/"$RESTOCK_PID"/status)
# the baseline, same server, same run: sign-ups (bench/run.sh's durable write)
wrk -c "$CONNS" -t "$THREADS" -d "$DURATION" --latency -s "$BENCH_DIR/signup.lua" "$URL" -- \
    "$SHOP" bench-sold-out "$SEED" >"$TMP/signup.wrk" 2>&1 || fail "wrk failed (sign-ups)"
line=$(grep '^BENCH ' "$TMP/signup.wrk") || fail "no summary from wrk (sign-ups)"
eval "$(echo "$line" | cut -d' ' -f2-)"
b_rps=$rps b_p99=$p99_us
stop "$RESTOCK_PID"
RESTOCK_PID=""
events=$(sqlite3 "$DB" 'SELECT count(*) FROM webhook_events')
restocks=$(sqlite3 "$DB" 'SELECT count(*) FROM restocks')

# ---- feed import ---------------------------------------------------------------------------
FEED_DB=$TMP/feed.db
"$RESTOCK" shop add --name Feed --url https://bench.example --db "$FEED_DB" >"$TMP/shop.json"
FSHOP=$(field id)
gen_feed() { # pass: 0 everything in stock (quantity 5), 1 a tenth sold out → then back
    python3 - "$ITEMS" "$1" "$TMP/feed$1.xml" <<'PY'
import sys
n, p, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
with open(path, "w", buffering=1 << 20) as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:g="http://base.google.com/ns/1.0"><channel><title>Bench</title>\n')
    for i in range(n):
        q = 0 if (p == 0 and i % 10 == 0) else 5 + p
        f.write(f"<item><g:id>V{i}</g:id><g:item_group_id>P{i // 4}</g:item_group_id>"
                f"<g:title>Product {i}</g:title><g:link>https://bench.example/p/{i}</g:link>"
                f"<g:image_link>https://cdn.bench.example/{i}.jpg</g:image_link>"
                f"<g:price>{i % 100}.95 EUR</g:price><g:availability>"
                f"{'in stock' if q else 'out of stock'}</g:availability>"
                f"<g:quantity>{q}</g:quantity><g:product_type>Shirts</g:product_type></item>\n")
    f.write("</channel></rss>\n")
PY
}
import_feed() { # pass → sets f_rate f_rss f_out
    start=$(date +%s.%N)
    /usr/bin/time -f "maxrss_kb=%M" -o "$TMP/time$1" "$RESTOCK" import-feed --shop "$FSHOP" \
        --db "$FEED_DB" "$TMP/feed$1.xml" >"$TMP/import$1.json" 2>"$TMP/import$1.err" \
        || { cat "$TMP/import$1.err" >&2; fail "import-feed failed"; }
    end=$(date +%s.%N)
    f_rate=$(awk -v n="$ITEMS" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", n / (b - a) }')
    f_rss=$(awk -F= '/maxrss_kb/ {printf "%.1f", $2 / 1024}' "$TMP/time$1")
    f_out=$(cat "$TMP/import$1.json")
}
gen_feed 0
import_feed 0
c_rate=$f_rate c_rss=$f_rss c_out=$f_out
gen_feed 1
import_feed 1
u_rate=$f_rate u_rss=$f_rss u_out=$f_out

echo
echo "restock ingest bench: $(nproc) cores, seed $SEED"
printf '%-22s %14s %10s %10s\n' name "rate" p99 "peak RSS"
printf '%-22s %12.0f/s %7.2f ms %6s MiB\n' "webhooks (inventory)" "$w_rps" \
    "$(awk -v u="$w_p99" 'BEGIN {print u / 1000}')" "$w_rss"
printf '%-22s %12.0f/s %7.2f ms %10s\n' "sign-ups (baseline)" "$b_rps" \
    "$(awk -v u="$b_p99" 'BEGIN {print u / 1000}')" -
printf '%-22s %12s/s %10s %6s MiB\n' "feed import (create)" "$c_rate" - "$c_rss"
printf '%-22s %12s/s %10s %6s MiB\n' "feed import (update)" "$u_rate" - "$u_rss"
echo
echo "webhooks: $w_requests sent, $w_non2xx not 2xx; $events event ids stored, $restocks restocks"
echo "feed create: $c_out"
echo "feed update: $u_out"
awk -v w="$w_rps" -v c="$c_rate" -v u="$u_rate" -v cr="$c_rss" -v ur="$u_rss" 'BEGIN {
    printf "target webhooks >= 20000/s: %s (%.0f/s)\n", (w >= 20000) ? "met" : "MISSED", w
    m = c < u ? c : u; r = cr > ur ? cr : ur
    printf "target feed >= 100000 items/s: %s (%.0f/s)\n", (m >= 100000) ? "met" : "MISSED", m
    printf "target feed peak RSS <= 64 MiB: %s (%.1f MiB)\n", (r <= 64) ? "met" : "MISSED", r
}'
[ "$w_non2xx" -eq 0 ] || { echo "webhooks: $w_non2xx answers were not 2xx"; exit 1; }
