#!/bin/sh
# bench/collect.sh — Hello Retail's collect endpoint with attribution against 1,000,000 sent
# notifications (issue 4).
#
# 1. build/bench/collect builds the database: a shop, V variants, N waiting subscribers, every
#    variant restocked and fanned out by restock's own fan-out, every notification marked sent;
#    then it attributes M orders in-process (the core's ceiling, no HTTP) — see bench/collect.c.
# 2. restock serves that database (rate limits off) and wrk posts distinct orders to
#    POST /serve/collect/conversion (bench/collect.lua: a distinct order number each, a buyer
#    among the N contacts, her variant by product number), answered only once durable.
# 3. restock is stopped; the orders and conversions stored must be at least the 2xx answers.
#
# Prints the build times, the in-process rate, and for the endpoint orders/s, p99, peak RSS
# (VmHWM) and the target (>= 10,000 orders/s). Exit status 0 when measured, 1 when a step
# failed or the durability check did not hold.
#
# Environment: BENCH_SUBS (1000000), BENCH_VARIANTS (1000), BENCH_ORDERS (in-process, 100000),
# BENCH_DURATION (10s), BENCH_CONNECTIONS (64), BENCH_THREADS (2), BENCH_SEED (1),
# RESTOCK_BIN (build/restock), BENCH_KEEP=1 keeps the temporary directory.
set -eu

cd "$(dirname "$0")/.."
BENCH_DIR=$(pwd)/bench
export BENCH_DIR
SUBS=${BENCH_SUBS:-1000000}
VARIANTS=${BENCH_VARIANTS:-1000}
ORDERS=${BENCH_ORDERS:-100000}
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
SEED=${BENCH_SEED:-1}
RESTOCK=${RESTOCK_BIN:-build/restock}

make --no-print-directory build/restock build/bench/collect >/dev/null
for tool in wrk sqlite3 curl "$RESTOCK"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool not found" >&2; exit 1; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/restock-collect.XXXXXX")
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

echo "bench: building $SUBS sent notifications over $VARIANTS variants ..." >&2
build/bench/collect --subs "$SUBS" --variants "$VARIANTS" --orders "$ORDERS" --dir "$TMP" \
    >"$TMP/build.txt" || fail "build failed"
eval "$(cat "$TMP/build.txt")"

# the build wrote about a gigabyte: let the kernel write it back before the measured run, which
# otherwise shares the disk with that writeback
sync
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
"$RESTOCK" serve --db "$TMP/collect.db" --listen "127.0.0.1:$PORT" --rate-limit-ip 0 \
    --log-format json 2>"$TMP/restock.log" &
RESTOCK_PID=$!
i=0
until curl -s -o /dev/null "$URL/healthz"; do
    i=$((i + 1)); [ $i -lt 100 ] || fail "restock does not answer"; sleep 0.1
done
before=$(sqlite3 "$TMP/collect.db" 'SELECT count(*) FROM conversions')

echo "bench: collect: wrk -c $CONNS -t $THREADS -d $DURATION" >&2
wrk -c "$CONNS" -t "$THREADS" -d "$DURATION" --latency -s "$BENCH_DIR/collect.lua" "$URL" -- \
    "$SHOP" "$SUBS" "$VARIANTS" "$SEED" >"$TMP/collect.wrk" 2>&1 \
    || { cat "$TMP/collect.wrk" >&2; fail "wrk failed"; }
line=$(grep '^BENCH ' "$TMP/collect.wrk") || fail "no summary from wrk"
eval "$(echo "$line" | cut -d' ' -f2-)"
rss=$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' /proc/"$RESTOCK_PID"/status)
stop "$RESTOCK_PID"
RESTOCK_PID=""
ok=$((requests - non2xx))
orders=$(sqlite3 "$TMP/collect.db" "SELECT count(*) FROM orders WHERE source = 'collect'")
convs=$(( $(sqlite3 "$TMP/collect.db" 'SELECT count(*) FROM conversions') - before ))

echo
echo "restock collect bench: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
echo "build: $SUBS subscribers in ${BUILD_SUBS_MS} ms, fan-out of $QUEUED in ${BUILD_FANOUT_MS} ms," \
    "marked sent in ${BUILD_SENT_MS} ms"
if [ -n "${INPROCESS_RATE:-}" ]; then
    echo "in-process: $INPROCESS_ORDERS orders in ${INPROCESS_MS} ms = ${INPROCESS_RATE}/s," \
        "$INPROCESS_CONVERSIONS conversions (bench process peak RSS $((RSS_KIB / 1024)) MiB)"
fi
echo "stats: GET /v1/stats's work for 90 days: ${STATS_90D_AVG_MS} ms average, ${STATS_90D_MAX_MS} ms worst of 20"
# shellcheck disable=SC2154 # set by the eval above
awk -v r="$rps" -v p="$p99_us" -v rss="$rss" 'BEGIN {
    printf "collect endpoint: %.0f orders/s, p99 %.2f ms, server peak RSS %s MiB\n", r, p / 1000, rss }'
echo "answers: $ok 2xx, $non2xx not 2xx, $errors socket errors; stored: $orders orders, $convs new conversions"
status=0
if [ "$orders" -lt "$ok" ]; then echo "DURABILITY: FAILED: fewer orders than 2xx answers"; status=1
else echo "durability: ok (orders >= 2xx answers)"; fi
awk -v r="$rps" 'BEGIN { printf "target collect >= 10000 orders/s: %s (%.0f/s)\n", (r >= 10000) ? "met" : "MISSED", r }'
[ "$non2xx" -eq 0 ] || { echo "collect: $non2xx answers were not 2xx"; status=1; }
exit $status
