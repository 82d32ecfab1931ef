#!/bin/sh
# bench/fanout.sh — restock to inbox (issue 3): runs build/bench/fanout with a local discarding
# SMTP sink (bench/smtp_sink.py, aiosmtpd). Rows: 1,000,000 waiting subscribers queued by the
# fan-out vs a plain batched SQLite insert of the same rows; delivery by the outbox workers vs a
# bare libcurl SMTP loop (one connection) and vs as many loops as workers; peak RSS.
# Environment: BENCH_SUBS (1000000), BENCH_MAILS (5000), BENCH_WORKERS (8).
set -eu
cd "$(dirname "$0")/.."
BIN=${FANOUT_BIN:-build/bench/fanout}
[ -x "$BIN" ] || { echo "bench: $BIN not built (make build/bench/fanout)" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/restock-fanout.XXXXXX")
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/bin/python3 bench/smtp_sink.py "$PORT" >"$TMP/sink.log" 2>&1 &
SINK=$!
trap 'kill $SINK 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
until grep -q ready "$TMP/sink.log" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 100 ] || { echo "bench: the SMTP sink did not start" >&2; exit 1; }
    sleep 0.1
done
"$BIN" --subs "${BENCH_SUBS:-1000000}" --mails "${BENCH_MAILS:-5000}" \
    --workers "${BENCH_WORKERS:-8}" --smtp-url "smtp://127.0.0.1:$PORT" --dir "$TMP"
