#!/bin/sh
# bench/clicks.sh — tracked clicks (GET /r/{token}) against nginx's `return 302`, same run.
#
# Sets up a shop with one sold-out variant and BENCH_NOTIFICATIONS (10,000) email sign-ups through
# the API, restocks it with no SMTP configured (the fan-out queues one notification each; they
# stay queued), and makes each notification's click token with the server secret from the
# database's meta table (token.h's format, in Python: restock has no API that hands out click
# tokens, and the links of real mails are the same tokens). Then wrk (64 connections, 2 threads,
# 10 s) drives nginx `return 302`, three durable floors (floor302.c with a syncer thread, as
# restock; floor302.c with each HTTP thread syncing its own requests; epoll302.c, the same without
# libmicrohttpd), then restock's /r/, all over the tokens in a fixed order.
#
# Every click is answered only after its hit is committed (synchronous=FULL), so after the run
# restock is stopped and `hits` of kind 1 are counted: there must be at least as many as the 302s
# wrk counted, and at most that plus the connections (requests in flight when wrk stopped reading
# are committed but not counted by wrk). Target: clicks >= 60% of nginx's requests/s.
#
# Environment: as bench/run.sh (BENCH_DURATION, BENCH_CONNECTIONS, BENCH_THREADS, RESTOCK_BIN,
# NGINX_WORKERS, BENCH_KEEP), and BENCH_NOTIFICATIONS. Exit 0 when measured (target met or not),
# 1 when a step failed or the durability check did not hold.
set -eu

cd "$(dirname "$0")/.."
BENCH_DIR=$(pwd)/bench
export BENCH_DIR
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
NOTIFS=${BENCH_NOTIFICATIONS:-10000}
RESTOCK=${RESTOCK_BIN:-build/restock}
NGINX_WORKERS=${NGINX_WORKERS:-2}
NGINX=${NGINX_BIN:-/usr/sbin/nginx}
FLOOR=build/bench/floor302
EPOLL=build/bench/epoll302

make --no-print-directory "$FLOOR" "$EPOLL" >/dev/null
for tool in wrk sqlite3 curl python3 "$NGINX" "$RESTOCK" "$FLOOR" "$EPOLL"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "clicks: $tool not found" >&2; exit 1; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/restock-clicks.XXXXXX")
NGINX_PID=""
RESTOCK_PID=""
FLOOR_PID=""

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
    stop "$FLOOR_PID"
    stop "$NGINX_PID"
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "clicks: kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() { echo "clicks: $*" >&2; exit 1; }

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

# run_wrk name url script [args...]: sets requests, non2xx, errors, rps, p99_us
run_wrk() {
    name=$1 url=$2 script=$3
    shift 3
    echo "clicks: $name: wrk -c $CONNS -t $THREADS -d $DURATION $url" >&2
    wrk -c "$CONNS" -t "$THREADS" -d "$DURATION" --latency -s "$script" "$url" -- "$@" \
        >"$TMP/$name.wrk" 2>&1 || { cat "$TMP/$name.wrk" >&2; fail "wrk failed ($name)"; }
    line=$(grep '^BENCH ' "$TMP/$name.wrk") || fail "no summary from wrk ($name)"
    eval "$(echo "$line" | cut -d' ' -f2-)"
}

# ---- nginx ---------------------------------------------------------------------------------
NGINX_PORT=$(free_port)
mkdir -p "$TMP/nginx/logs"
cat >"$TMP/nginx/nginx.conf" <<NGX
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
        location / { return 302 https://bench.example/products/shirt?utm_source=restock; }
    }
}
NGX
"$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log" \
    2>"$TMP/nginx/logs/stderr" &
NGINX_PID=$!
wait_http "http://127.0.0.1:$NGINX_PORT/"
run_wrk nginx "http://127.0.0.1:$NGINX_PORT/" "$BENCH_DIR/report.lua"
[ "$non2xx" -eq 0 ] || fail "nginx answered $non2xx times with an error status"
n_rps=$rps n_p99=$p99_us
stop "$NGINX_PID"
NGINX_PID=""

# ---- restock: a shop, sign-ups, a restock that queues their notifications -------------------
DB=$TMP/clicks.db
"$RESTOCK" shop add --name "Clicks" --url https://bench.example --currency EUR --db "$DB" \
    >"$TMP/shop.json" || fail "shop add failed"
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
"$RESTOCK" serve --db "$DB" --listen "127.0.0.1:$PORT" --rate-limit-ip 0 \
    --rate-limit-contact 0 --log-format json 2>"$TMP/restock.log" &
RESTOCK_PID=$!
wait_http "$URL/healthz"

python3 - "$URL" "$TMP/shop.json" "$DB" "$NOTIFS" "$TMP/tokens" <<'PY' || fail "set-up failed"
import base64, hashlib, hmac, http.client, json, sqlite3, sys, threading, time
url, shop_file, db, count, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
shop = json.load(open(shop_file))
host, port = url.split("//")[1].split(":")
admin = {"Authorization": "Bearer " + shop["api_key"], "Content-Type": "application/json"}

def call(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers=headers or {"Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    if r.status >= 300:
        raise SystemExit(f"{method} {path}: {r.status} {data[:200]!r}")
    return json.loads(data) if data else None

c = http.client.HTTPConnection(host, int(port))
call(c, "PUT", "/v1/catalog", [{"variant_id": "shirt", "title": "Shirt", "price": "19.95",
     "url": "https://bench.example/products/shirt", "available": 0}], admin)

def signups(k, n):
    conn = http.client.HTTPConnection(host, int(port))
    for i in range(k, count, n):
        call(conn, "POST", "/v1/subscriptions", {"shop": shop["id"], "variant_id": "shirt",
             "channel": "email", "email": f"c{i}@bench.example"})
threads = [threading.Thread(target=signups, args=(k, 16)) for k in range(16)]
for t in threads: t.start()
for t in threads: t.join()
call(c, "POST", "/v1/inventory", [{"variant_id": "shirt", "available": count * 10}], admin)

ids, deadline = [], time.monotonic() + 120
while len(ids) < count:
    if time.monotonic() > deadline:
        raise SystemExit(f"only {len(ids)} of {count} notifications queued")
    ids, after = [], None
    while True:
        page = call(c, "GET", "/v1/notifications?limit=1000" + (f"&after={after}" if after else ""),
                    None, admin)
        ids += [n["id"] for n in page["data"]]
        after = page["next"]
        if not after:
            break
    time.sleep(0.2)

# the server secret; reading the WAL-mode database beside the server is safe for a read
with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as d:
    secret = bytes.fromhex(d.execute("SELECT value FROM meta WHERE key='server_secret'").fetchone()[0])

def varint(n):
    b = bytearray()
    while True:
        b.append((n & 0x7F) | (0x80 if n >> 7 else 0))
        n >>= 7
        if not n:
            return bytes(b)

with open(out, "w") as f:
    for nid in ids:
        raw = varint(nid)
        mac = hmac.new(secret, b"r" + raw, hashlib.sha256).digest()[:16]
        f.write(base64.urlsafe_b64encode(raw + mac).rstrip(b"=").decode() + "\n")
print(f"clicks: {len(ids)} notifications, their click tokens made", file=sys.stderr)
PY

first=$(head -1 "$TMP/tokens")
loc=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$URL/r/$first")
case "$loc" in
"302 https://bench.example/products/shirt?utm_source=restock&utm_medium=email&utm_campaign=back-in-stock") ;;
*) fail "GET /r/ answered: $loc" ;;
esac
before=$(sqlite3 "$DB" 'SELECT count(*) FROM hits WHERE kind = 1') # the check above: 1

# ---- the durable floors, on the same tokens; restock waits idle -----------------------------
# floor_run name program threads [mode]: serves the tokens with a floor; sets <name>_rps, _p99,
# _ok (302s), _non2xx and _recorded (requests synced, less wait_http's one)
floor_run() {
    fname=$1 fprog=$2 fthreads=$3
    shift 3
    FLOOR_PORT=$(free_port)
    "$fprog" "$FLOOR_PORT" "$fthreads" "$TMP/floor.log" "$@" >"$TMP/$fname.out" 2>&1 &
    FLOOR_PID=$!
    wait_http "http://127.0.0.1:$FLOOR_PORT/" # one request, recorded too
    run_wrk "$fname" "http://127.0.0.1:$FLOOR_PORT" "$BENCH_DIR/clicks.lua" "$TMP/tokens" "$THREADS"
    stop "$FLOOR_PID"
    FLOOR_PID=""
    eval "${fname}_rps=\$rps ${fname}_p99=\$p99_us ${fname}_ok=\$((requests - non2xx))"
    eval "${fname}_non2xx=\$non2xx"
    eval "${fname}_recorded=\$((\$(sed -n 's/^recorded=//p' \"\$TMP/\$fname.out\") - 1))"
    rm -f "$TMP"/floor.log*
}
# floor302: libmicrohttpd, restock's thread count, one syncer thread (restock's design);
# floor302 inline and epoll302: the thread that read a turn's requests syncs them itself, one
# thread (the best count for both here: wrk has the other core)
floor_run floor "$FLOOR" 2
floor_run inline "$FLOOR" 1 inline
floor_run epoll "$EPOLL" 1

run_wrk clicks "$URL" "$BENCH_DIR/clicks.lua" "$TMP/tokens" "$THREADS"
c_rps=$rps c_p99=$p99_us c_ok=$((requests - non2xx)) c_non2xx=$non2xx c_errors=$errors
stop "$RESTOCK_PID" # SIGTERM: clicks in flight commit before it exits
RESTOCK_PID=""
stored=$(($(sqlite3 "$DB" 'SELECT count(*) FROM hits WHERE kind = 1') - before))
clicked=$(sqlite3 "$DB" 'SELECT count(*) FROM notifications WHERE clicked_at > 0')

# ---- the table -----------------------------------------------------------------------------
ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1000 }'; }
echo
echo "restock clicks bench: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)," \
    "wrk -c $CONNS -t $THREADS -d $DURATION, $NOTIFS notifications"
printf '%-16s %12s %10s %10s\n' name "requests/s" p99 "vs nginx"
printf '%-16s %12.0f %10s %10s\n' "nginx 302" "$n_rps" "$(ms "$n_p99")" 1.00
row() { # label rps p99_us
    printf '%-16s %12.0f %10s %10s\n' "$1" "$2" "$(ms "$3")" \
        "$(awk -v a="$2" -v b="$n_rps" 'BEGIN { printf "%.2f", a / b }')"
}
row "floor 302" "$floor_rps" "$floor_p99"
row "floor 302 inline" "$inline_rps" "$inline_p99"
row "epoll 302" "$epoll_rps" "$epoll_p99"
row "GET /r/" "$c_rps" "$c_p99"
echo
echo "clicks: $c_ok answered 302, $c_non2xx errors, $c_errors socket errors;" \
    "$stored clicks stored, $clicked notifications clicked"
status=0
for f in floor inline epoll; do
    eval "ok=\$${f}_ok recorded=\$${f}_recorded bad=\$${f}_non2xx"
    echo "$f: $ok answered 302, $bad errors; $recorded requests synced"
    if [ "$recorded" -lt "$ok" ] || [ "$recorded" -gt $((ok + CONNS)) ] || [ "$bad" -ne 0 ]; then
        echo "FLOOR $f: FAILED: synced requests outside [302s, 302s + connections], or errors"
        status=1
    fi
done
if [ "$stored" -lt "$c_ok" ] || [ "$stored" -gt $((c_ok + CONNS)) ]; then
    echo "DURABILITY: FAILED: stored clicks outside [302s, 302s + connections]"
    status=1
else
    echo "durability: ok ($((stored - c_ok)) committed clicks were in flight when wrk stopped)"
fi
awk -v c="$c_rps" -v n="$n_rps" 'BEGIN {
    printf "target clicks >= 60%% of nginx: %s (%.0f%%)\n", (c >= 0.6 * n) ? "met" : "MISSED", 100 * c / n
}'
[ "$c_non2xx" -eq 0 ] || { echo "clicks: $c_non2xx answers were errors"; status=1; }
exit $status
