"""Black-box harness for restock: the real binary on a free loopback port, driven over HTTP.

Pieces (the fixtures of conftest.py wrap them):

- Restock: one temporary directory and one SQLite database; runs the CLI (`cli`, `add_shop`)
  and starts any number of servers on that database over time (`start`).
- Server: one running `restock serve`. Its stderr goes to a file; `stop()` sends SIGTERM and
  asserts a clean exit 0, JSON-only log lines and no sanitizer report; `kill()` is SIGKILL.
- Response: what an HTTP call gave back (status, headers, body bytes, parsed JSON). The client
  never raises on 4xx/5xx; only a transport failure raises.

Later fixtures (SMTP sink, push service, SMS provider) only need `Restock.start(*args, env=...)`.
"""

import base64
import http.client
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("RESTOCK_BIN") or str(ROOT / "build" / "san" / "restock")

# What a sanitizer prints when it finds something (ASan, LSan, UBSan).
SANITIZER_MARKERS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "SUMMARY: AddressSanitizer",
    "SUMMARY: UndefinedBehaviorSanitizer",
    "runtime error:",
)

# Options every test server gets unless the test asks for none (start(defaults=False)): JSON
# logs, and no rate limits, which a test of its own turns back on. Later flags override them.
DEFAULT_ARGS = ("--log-format", "json", "--rate-limit-ip", "0", "--rate-limit-contact", "0")

# An SMS provider nobody answers at (the discard port): a server started with these takes SMS
# sign-ups (one without sms_url refuses them), for tests that send no SMS. Tests that do use
# the stand-in of sms_provider.py.
SMS_ARGS = ("--sms-url", "http://127.0.0.1:9/sms")

SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:halt_on_error=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}


def wait_for(pred, timeout=30, what="condition"):
    """pred()'s first truthy value, polled every 50 ms for up to timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def free_port():
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def push_keys():
    """A browser-like PushSubscription key pair: a real P-256 public key and a 16-byte secret."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = ec.generate_private_key(ec.SECP256R1())
    point = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return {"p256dh": b64url(point), "auth": b64url(os.urandom(16))}


def sanitizer_report(text):
    """The first sanitizer line found in text, or None."""
    for line in text.splitlines():
        if any(m in line for m in SANITIZER_MARKERS):
            return line
    return None


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # http.client.HTTPMessage: case-insensitive .get()
        self.body = body
        self.json = None
        ctype = headers.get("Content-Type", "") if headers else ""
        if body and ctype.startswith("application/json"):
            self.json = json.loads(body)

    @property
    def error(self):
        """The SPEC error object {"code","message"}; asserts the shape."""
        assert isinstance(self.json, dict), f"not a JSON error: {self.status} {self.body!r}"
        assert set(self.json) == {"error"}, self.json
        err = self.json["error"]
        assert set(err) == {"code", "message"}, err
        assert isinstance(err["code"], str) and isinstance(err["message"], str), err
        return err

    def __repr__(self):
        return f"<Response {self.status} {self.body[:300]!r}>"


def encode_body(body):
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


def http_call(port, method, path, body=None, headers=None, chunked=False, timeout=30):
    """One request on a fresh connection. body: bytes, str, or a JSON-able value (dumped).
    chunked: send the body with Transfer-Encoding: chunked (in 64 KiB pieces)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = encode_body(body)
        hdrs = dict(headers or {})
        if chunked:
            hdrs["Transfer-Encoding"] = "chunked"
            pieces = [data[i:i + 65536] for i in range(0, len(data or b""), 65536)]
            conn.request(method, path, body=iter(pieces), headers=hdrs, encode_chunked=True)
        else:
            conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        payload = resp.read()
        return Response(resp.status, resp.headers, payload)
    finally:
        conn.close()


def raw_call(port, data, timeout=10):
    """Sends raw bytes, reads until the server closes or the first full answer; returns
    (status, raw answer bytes). For requests http.client will not send (lying Content-Length)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        got = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            got += chunk
            head, sep, rest = got.partition(b"\r\n\r\n")
            if sep:
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        length = int(v.strip())
                if len(rest) >= length:
                    break
    status = int(got.split(b" ", 2)[1]) if got.startswith(b"HTTP/") else 0
    return status, got


class Server:
    """One running `restock serve`; see the module comment."""

    def __init__(self, owner, args, env, port, log_path):
        self.owner = owner
        self.port = port
        self.args = list(args)
        self.log_path = log_path
        self.url = f"http://127.0.0.1:{port}"
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [BIN, *self.args], stdout=self._log, stderr=subprocess.STDOUT, env=env,
            cwd=owner.dir)
        self.returncode = None

    # -- lifecycle --

    def wait_healthy(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"restock serve exited {self.proc.returncode}:\n{self.log()}")
            try:
                r = http_call(self.port, "GET", "/healthz", timeout=2)
                if r.status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"restock serve not healthy after {timeout}s:\n{self.log()}")

    @property
    def running(self):
        return self.proc.poll() is None

    def stop(self, timeout=20):
        """SIGTERM; asserts exit 0, one JSON object per log line and no sanitizer report.
        Returns the log text."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"restock serve ignored SIGTERM for {timeout}s")
        self._close()
        text = self.log()
        report = sanitizer_report(text)
        assert report is None, f"sanitizer report in the server log: {report}\n{text[-4000:]}"
        assert self.returncode == 0, f"restock serve exited {self.returncode}:\n{text[-4000:]}"
        if self.log_format() == "json":
            for line in text.splitlines():
                assert isinstance(json.loads(line), dict), line
        return text

    def log_format(self):
        """The last --log-format given (or --log-format=X), else None."""
        fmt = None
        for i, a in enumerate(self.args):
            if a == "--log-format" and i + 1 < len(self.args):
                fmt = self.args[i + 1]
            elif a.startswith("--log-format="):
                fmt = a.split("=", 1)[1]
        return fmt

    def kill(self):
        """SIGKILL, as a crash would; no exit status to check."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close()
        report = sanitizer_report(self.log())
        assert report is None, f"sanitizer report in the server log: {report}"

    def _close(self):
        self.returncode = self.proc.returncode
        if not self._log.closed:
            self._log.close()
        if self in self.owner.servers:
            self.owner.servers.remove(self)

    def log(self):
        return Path(self.log_path).read_bytes().decode("utf-8", "replace")

    def log_records(self):
        """The JSON log lines parsed (lines that are not JSON are skipped)."""
        out = []
        for line in self.log().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    # -- HTTP --

    def request(self, method, path, body=None, key=None, content_type="application/json",
                headers=None, chunked=False, timeout=30):
        """Any request. key: Bearer API key. content_type None: no Content-Type header (a body
        is still sent as given)."""
        hdrs = {}
        if body is not None and content_type:
            hdrs["Content-Type"] = content_type
        if key is not None:
            hdrs["Authorization"] = f"Bearer {key}"
        hdrs.update(headers or {})
        return http_call(self.port, method, path, body, hdrs, chunked=chunked, timeout=timeout)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def raw(self, data, timeout=10):
        return raw_call(self.port, data, timeout=timeout)


class Restock:
    """A temporary directory with one database; see the module comment."""

    def __init__(self, directory):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.db = str(self.dir / "restock.db")
        self.servers = []
        self._nlogs = 0

    def env(self, extra=None, clean=True):
        """The environment for a restock process: no inherited RESTOCK_* variables (clean),
        sanitizer options, then extra."""
        env = {k: v for k, v in os.environ.items() if not (clean and k.startswith("RESTOCK_"))}
        env.update(SANITIZER_ENV)
        env.update(extra or {})
        return env

    def cli(self, *args, env=None, timeout=60, input=None):
        """Runs the binary (input, if given, on a pipe to its stdin); returns CompletedProcess
        (text stdout and stderr). Asserts no sanitizer report."""
        p = subprocess.run([BIN, *args], capture_output=True, text=True, env=self.env(env),
                           cwd=self.dir, timeout=timeout, input=input)
        report = sanitizer_report(p.stderr)
        assert report is None, f"sanitizer report from restock {args}: {report}\n{p.stderr}"
        return p

    def add_shop(self, name="Test Shop", url="https://shop.example", currency=None,
                 timezone=None, db=None):
        """`restock shop add`; returns its JSON (id, api_key, webhook_secret,
        vapid_public_key)."""
        args = ["shop", "add", "--name", name, "--url", url, "--db", db or self.db]
        if currency:
            args += ["--currency", currency]
        if timezone:
            args += ["--timezone", timezone]
        p = self.cli(*args)
        assert p.returncode == 0, f"shop add failed ({p.returncode}): {p.stderr}"
        return json.loads(p.stdout)

    def start(self, *args, env=None, port=None, defaults=True, db=True, listen=True,
              wait=True):
        """Starts `restock serve --db DB --listen 127.0.0.1:PORT [defaults] ARGS` and waits for
        /healthz. Retries on another port when the chosen one was taken meanwhile. db=False
        leaves --db out; listen=False leaves --listen out (then port says where it answers)."""
        assert listen or port, "without --listen, say on which port the server will answer"
        for attempt in range(5):
            p = port or free_port()
            argv = ["serve"]
            if db:
                argv += ["--db", self.db]
            if listen:
                argv += ["--listen", f"127.0.0.1:{p}"]
            if defaults:
                argv += list(DEFAULT_ARGS)
            argv += [str(a) for a in args]
            self._nlogs += 1
            srv = Server(self, argv, self.env(env), p, self.dir / f"serve{self._nlogs}.log")
            self.servers.append(srv)
            if not wait:
                return srv
            try:
                return srv.wait_healthy()
            except RuntimeError:
                srv.kill()
                if port or "cannot listen" not in srv.log() or attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        """Stops every server still running; asserts each one stopped cleanly."""
        errors = []
        for srv in list(self.servers):
            try:
                srv.stop()
            except AssertionError as e:
                errors.append(str(e))
        assert not errors, "\n".join(errors)


class Shop:
    """A shop on a running server, with the admin key: shortcuts for the API calls tests make."""

    def __init__(self, server, info):
        self.server = server
        self.info = info
        self.id = info["id"]
        self.key = info["api_key"]

    def settings(self):
        r = self.server.get("/v1/shop", key=self.key)
        assert r.status == 200, r
        return r.json

    def patch(self, body, **kw):
        return self.server.patch("/v1/shop", body, key=self.key, **kw)

    def catalog(self, items, **kw):
        return self.server.put("/v1/catalog", items, key=self.key, **kw)

    def inventory(self, items, **kw):
        return self.server.post("/v1/inventory", items, key=self.key, **kw)

    def set_stock(self, variant_id, available):
        r = self.inventory([{"variant_id": variant_id, "available": available}])
        assert r.status == 200, r
        return r.json

    def add_variants(self, stock):
        """Creates variants {variant_id: available} with a title and URL each."""
        items = [{"variant_id": vid, "title": f"Item {vid}",
                  "url": f"https://shop.example/products/{vid}", "available": n}
                 for vid, n in stock.items()]
        r = self.catalog(items)
        assert r.status == 200, r
        return r.json

    def variant(self, variant_id):
        return self.server.get(f"/v1/variants/{variant_id}", key=self.key)

    def stock(self, variant_id, shop_id=None):
        return self.server.get(f"/v1/stock/{shop_id or self.id}/{variant_id}")

    def signup(self, variant_id, channel="email", content_type="application/json", **fields):
        body = {"shop": self.id, "variant_id": variant_id, "channel": channel, **fields}
        return self.server.post("/v1/subscriptions", body, content_type=content_type)

    def subs_page(self, **query):
        q = "&".join(f"{k}={v}" for k, v in query.items())
        return self.server.get("/v1/subscriptions" + (f"?{q}" if q else ""), key=self.key)

    def subs(self, **query):
        """Every subscription the admin listing shows (all pages), oldest first."""
        out, after = [], None
        while True:
            q = dict(query, limit=1000)
            if after:
                q["after"] = after
            r = self.subs_page(**q)
            assert r.status == 200, r
            out += r.json["data"]
            after = r.json["next"]
            if after is None:
                return out
