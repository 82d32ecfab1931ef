#!/usr/bin/python3
"""sms_provider — a Twilio-style SMS HTTP endpoint (stdlib http.server) for restock's tests.

It answers every POST whose form parses with 201 and a JSON body holding a fresh "sid" (like
Twilio's Messages resource), and records each request.

As a class:

    p = SmsProvider(status_for={"+4511111111": 400}).start()
    url = p.url()            # http://127.0.0.1:PORT/2010-04-01/Accounts/AC_test/Messages.json
    p.fail_next([500, 429])  # the next two requests get these statuses, then 201s again
    p.requests()             # [{"path", "user", "password", "fields", "content_type", "body"}]
    p.stop()

`fields` maps each form field to its value (urllib.parse.parse_qs, the last value when
repeated); `user`/`password` are the HTTP basic credentials (None without them). With
`auth=(user, password)` a request with other credentials gets 401. A failure answer is JSON
{"code", "message", "status"}; 429 carries Retry-After: 1, 503 Retry-After: 2.

As a script, for C tests to spawn:

    /usr/bin/python3 tests/e2e/sms_provider.py --port 0 --dir D [--status-for TO=STATUS]...
        [--fail-next STATUS[,STATUS...]] [--auth USER:PASSWORD] [--max-seconds S]

writes D/port once it accepts connections (atomically), then D/NNNN.json for each request (the
record above plus "status", the status answered), written before the answer is sent. It runs
until SIGTERM or SIGINT, or for at most --max-seconds (default 300).
"""

import argparse
import base64
import json
import os
import secrets
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ERRORS = {
    400: (21211, "The 'To' number is not a valid phone number."),
    401: (20003, "Authentication Error - invalid username"),
    404: (20404, "The requested resource was not found"),
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    503: (20503, "Service Unavailable"),
}

RETRY_AFTER = {429: "1", 503: "2"}  # seconds, as a provider under load may ask


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real providers do

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        p = self.server.provider
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace")
        user = password = None
        h = self.headers.get("Authorization", "")
        if h.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(h[6:]).decode("utf-8").partition(":")
            except ValueError:
                pass
        fields = {k: v[-1] for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items()}
        rec = {
            "path": self.path,
            "user": user,
            "password": password,
            "fields": fields,
            "content_type": self.headers.get("Content-Type"),
            "body": body,
        }
        status = p._decide(rec)
        rec["status"] = status
        p._record(rec)
        if status == 201:
            out = {
                "sid": "SM" + secrets.token_hex(16),
                "status": "queued",
                "to": fields.get("To"),
                "from": fields.get("From"),
                "body": fields.get("Body"),
            }
        else:
            code, message = ERRORS.get(status, (status * 100, "Error"))
            out = {"code": code, "message": message, "status": status}
        data = json.dumps(out).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status in RETRY_AFTER:
            self.send_header("Retry-After", RETRY_AFTER[status])
        self.end_headers()
        self.wfile.write(data)


class SmsProvider:
    PATH = "/2010-04-01/Accounts/AC_test/Messages.json"

    def __init__(self, port=0, host="127.0.0.1", status_for=None, auth=None, out_dir=None):
        self.host, self.port = host, port
        self.status_for = dict(status_for or {})
        self.auth = auth
        self.out_dir = out_dir
        self._lock = threading.Lock()
        self._requests = []
        self._next = []
        self._httpd = None
        self._thread = None

    def url(self, path=None):
        return "http://%s:%d%s" % (self.host, self.port, path or self.PATH)

    def fail_next(self, statuses):
        with self._lock:
            self._next = list(statuses)

    def requests(self):
        with self._lock:
            return list(self._requests)

    def _decide(self, rec):
        with self._lock:
            if self.auth and (rec["user"], rec["password"]) != tuple(self.auth):
                return 401
            if self._next:
                return self._next.pop(0)
            return self.status_for.get(rec["fields"].get("To"), 201)

    def _record(self, rec):
        with self._lock:
            self._requests.append(rec)
            if self.out_dir:
                base = os.path.join(self.out_dir, "%04d.json" % len(self._requests))
                with open(base + ".tmp", "w") as f:
                    json.dump(rec, f)
                os.rename(base + ".tmp", base)

    def start(self):
        self._httpd = ThreadingHTTPServer((self.host, self.port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.provider = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join()
            self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv):
    ap = argparse.ArgumentParser(description="Twilio-style SMS endpoint for restock's tests")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--status-for", action="append", default=[], help="TO=STATUS")
    ap.add_argument("--fail-next", default="", help="STATUS[,STATUS...]")
    ap.add_argument("--auth", help="USER:PASSWORD")
    ap.add_argument("--max-seconds", type=float, default=300)
    a = ap.parse_args(argv)
    status_for = {}
    for item in a.status_for:
        to, _, st = item.rpartition("=")
        status_for[to] = int(st)
    auth = tuple(a.auth.split(":", 1)) if a.auth else None
    p = SmsProvider(a.port, a.host, status_for, auth, a.dir)
    if a.fail_next:
        p.fail_next(int(s) for s in a.fail_next.split(","))
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    p.start()
    try:
        tmp = os.path.join(a.dir, "port.tmp")
        with open(tmp, "w") as f:
            f.write("%d\n" % p.port)
        os.rename(tmp, os.path.join(a.dir, "port"))
        deadline = time.monotonic() + a.max_seconds
        while not done.is_set() and time.monotonic() < deadline:
            done.wait(0.2)
    finally:
        p.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
