#!/bin/sh
# bench/run.sh — restock's HTTP benchmark, compared with nginx in the same run.
#
# Starts nginx (`return 302`, the machine's limit for a tiny HTTP answer) and restock
# (build/restock on a fresh SQLite database, rate limits off), then drives each with wrk
# (64 keep-alive connections, 2 threads, 10 s):
#
#   nginx 302    GET / on nginx: the baseline
#   stock        GET /v1/stock/{shop}/{variant} on restock: a read (shop + variant lookup, JSON)
#   signup       POST /v1/subscriptions with a distinct email each time: a durable write, answered
#                201 only after its group commit (synchronous=FULL) returned
#
# After the sign-up run, restock is stopped and the rows in `subscriptions` are counted: there
# must be at least as many as the 2xx answers wrk counted. Prints a table (requests/s, p99,
# ratio to nginx, peak RSS = VmHWM of the server's processes) and the targets: stock >= 60% of
# nginx, sign-ups >= 25,000/s. Exit status: 0 when measured (targets met or not), 1 when a step
# failed or the durability check did not hold.
#
# Environment: BENCH_DURATION (default 10s), BENCH_CONNECTIONS (64), BENCH_THREADS (2),
# BENCH_SEED (1; names the contacts), RESTOCK_BIN (build/restock), NGINX_WORKERS (2),
# BENCH_KEEP=1 keeps the temporary directory (logs, database) for inspection.
set -eu

cd "$(dirname "$0")/.."
BENCH_DIR=$(pwd)/bench
export BENCH_DIR
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
SEED=${BENCH_SEED:-1}
RESTOCK=${RESTOCK_BIN:-build/restock}
NGINX_WORKERS=${NGINX_WORKERS:-2}
NGINX=${NGINX_BIN:-/usr/sbin/nginx}

for tool in wrk sqlite3 curl "$NGINX" "$RESTOCK"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool not found (make deps all)" >&2; exit 1; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/restock-bench.XXXXXX")
NGINX_PID=""
RESTOCK_PID=""

stop() { # pid: SIGTERM, wait up to 10 s, then SIGKILL
    [ -n "$1" ] || return 0
    kill -TERM "$1" 2>/dev/null || return 0
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

cleanup() {
    stop "$RESTOCK_PID"
    stop "$NGINX_PID"
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() { echo "bench: $*" >&2; exit 1; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() { # url: until it answers, at most 10 s
    i=0
    until curl -s -o /dev/null "$1"; do
        i=$((i + 1))
        [ $i -lt 100 ] || fail "nothing answers at $1"
        sleep 0.1
    done
}

# Peak resident set of a process and its children (nginx's workers), in MiB.
peak_rss() {
    kb=0
    for p in "$1" $(cat /proc/"$1"/task/*/children 2>/dev/null); do
        v=$(awk '/^VmHWM:/ {print $2}' /proc/"$p"/status 2>/dev/null || echo 0)
        kb=$((kb + ${v:-0}))
    done
    awk -v kb="$kb" 'BEGIN { printf "%.1f", kb / 1024 }'
}

# run_wrk name url [script [args...]]: runs wrk, keeps its output in $TMP/name.wrk and sets
# the variables requests, non2xx, errors, rps, p99_us.
run_wrk() {
    name=$1 url=$2
    shift 2
    script=$BENCH_DIR/report.lua
    if [ $# -gt 0 ]; then script=$1; shift; fi
    echo "bench: $name: wrk -c $CONNS -t $THREADS -d $DURATION $url" >&2
    wrk -c "$CONNS" -t "$THREADS" -d "$DURATION" --latency -s "$script" "$url" -- "$@" \
        >"$TMP/$name.wrk" 2>&1 || { cat "$TMP/$name.wrk" >&2; fail "wrk failed ($name)"; }
    line=$(grep '^BENCH ' "$TMP/$name.wrk") || fail "no summary from wrk ($name)"
    eval "$(echo "$line" | cut -d' ' -f2-)"
    # shellcheck disable=SC2154 # set by the eval above
    requests_ok=$((requests - non2xx))
}

# ---- nginx ---------------------------------------------------------------------------------
NGINX_PORT=$(free_port)
mkdir -p "$TMP/nginx/logs"
cat >"$TMP/nginx/nginx.conf" <<EOF
daemon off;
worker_processes $NGINX_WORKERS;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    keepalive_requests 100000000;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / { return 302 http://x/; }
    }
}
EOF
"$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log" \
    2>"$TMP/nginx/logs/stderr" &
NGINX_PID=$!
wait_http "http://127.0.0.1:$NGINX_PORT/"
run_wrk nginx "http://127.0.0.1:$NGINX_PORT/"
[ "$non2xx" -eq 0 ] || fail "nginx answered $non2xx times with neither 2xx nor 3xx"
n_rps=$rps n_p99=$p99_us n_rss=$(peak_rss "$NGINX_PID")
stop "$NGINX_PID"
NGINX_PID=""

# ---- restock: shop, catalog --------------------------------------------------------------
DB=$TMP/bench.db
"$RESTOCK" shop add --name "Bench $SEED" --url https://bench.example --currency EUR --db "$DB" \
    >"$TMP/shop.json" || fail "shop add failed"
SHOP=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <"$TMP/shop.json")
KEY=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])' <"$TMP/shop.json")
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
"$RESTOCK" serve --db "$DB" --listen "127.0.0.1:$PORT" --rate-limit-ip 0 \
    --rate-limit-contact 0 --log-format json 2>"$TMP/restock.log" &
RESTOCK_PID=$!
wait_http "$URL/healthz"

VARIANT=bench-$SEED-sold-out
catalog=$(printf '[{"variant_id":"%s","title":"Sold-out shirt","price":"19.95","available":0},
{"variant_id":"bench-%s-in-stock","title":"Shirt","price":"19.95","available":12}]' \
    "$VARIANT" "$SEED")
curl -sf -o "$TMP/catalog.json" -X PUT -H "Authorization: Bearer $KEY" \
    -H 'Content-Type: application/json' --data "$catalog" "$URL/v1/catalog" \
    || fail "PUT /v1/catalog failed"
curl -sf "$URL/v1/stock/$SHOP/$VARIANT" | grep -q '"sold_out"' || fail "the variant is not sold out"

# ---- restock: reads, then sign-ups ---------------------------------------------------------
run_wrk stock "$URL/v1/stock/$SHOP/$VARIANT"
[ "$non2xx" -eq 0 ] || fail "stock reads: $non2xx answers were not 2xx"
s_rps=$rps s_p99=$p99_us s_rss=$(peak_rss "$RESTOCK_PID")

run_wrk signup "$URL" "$BENCH_DIR/signup.lua" "$SHOP" "$VARIANT" "$SEED"
u_rps=$rps u_p99=$p99_us u_ok=$requests_ok u_non2xx=$non2xx u_errors=$errors
r_rss=$(peak_rss "$RESTOCK_PID")
stop "$RESTOCK_PID" # SIGTERM: writes in flight commit before it exits
RESTOCK_PID=""
rows=$(sqlite3 "$DB" 'SELECT count(*) FROM subscriptions') || fail "cannot count the rows"

# ---- the table ---------------------------------------------------------------------------
ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1000 }'; }
ratio() { awk -v a="$1" -v b="$n_rps" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "restock bench: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)," \
    "wrk -c $CONNS -t $THREADS -d $DURATION, seed $SEED"
printf '%-10s %12s %10s %10s %10s\n' name "requests/s" p99 "vs nginx" "peak RSS"
printf '%-10s %12.0f %10s %10s %7s MiB\n' "nginx 302" "$n_rps" "$(ms "$n_p99")" 1.00 "$n_rss"
printf '%-10s %12.0f %10s %10s %7s MiB\n' stock "$s_rps" "$(ms "$s_p99")" "$(ratio "$s_rps")" "$s_rss"
printf '%-10s %12.0f %10s %10s %7s MiB\n' signup "$u_rps" "$(ms "$u_p99")" "$(ratio "$u_rps")" "$r_rss"
echo "(restock is one process: its peak RSS after the stock run, then after the sign-ups)"
echo
echo "sign-ups: $u_ok answered 2xx, $u_non2xx not 2xx, $u_errors socket errors; $rows rows stored"
status=0
if [ "$rows" -lt "$u_ok" ]; then
    echo "DURABILITY: FAILED: fewer rows than 2xx answers"
    status=1
else
    echo "durability: ok (rows >= 2xx answers)"
fi
awk -v s="$s_rps" -v n="$n_rps" -v u="$u_rps" 'BEGIN {
    printf "target stock >= 60%% of nginx: %s (%.0f%%)\n", (s >= 0.6 * n) ? "met" : "MISSED", 100 * s / n
    printf "target sign-ups >= 25000/s: %s (%.0f/s)\n", (u >= 25000) ? "met" : "MISSED", u
}'
[ "$u_non2xx" -eq 0 ] || { echo "sign-ups: $u_non2xx answers were not 2xx"; status=1; }
exit $status
