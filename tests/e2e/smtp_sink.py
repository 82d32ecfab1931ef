#!/usr/bin/python3
"""smtp_sink — a real SMTP server (aiosmtpd) that keeps what it receives, for restock's tests.

As a class:

    sink = SmtpSink(fail_rcpt={"gone@example.org"}, auth=("user", "pw")).start()
    ... send to 127.0.0.1:sink.port ...
    for m in sink.messages():   # Received(mail_from, rcpt_tos, message, raw, peer, auth_user, tls)
        m.message["Subject"]    # parsed with email.policy.default
    sink.stop()

Failure modes: `fail_rcpt` answers RCPT TO with 550, `tempfail_rcpt` with 451 (addresses compare
case-insensitively); `sink.tempfail_next(n)` answers the next n messages' DATA with 451 and
`sink.fail_next(n)` with 554. `auth=(user, password)` advertises AUTH (PLAIN and LOGIN, allowed
without TLS) and requires it: anything else gets 530, a wrong password 535. `starttls=True` offers
STARTTLS with a self-signed certificate for "localhost" made at start (python3-cryptography);
`sink.cert_path` is that certificate (PEM), for a client to trust. `sink.auth_attempts()` lists
every AUTH whose credentials arrived, as (login, tls): empty means no password crossed the wire.

As a script, for C tests to spawn:

    /usr/bin/python3 tests/e2e/smtp_sink.py --port 0 --dir D [--fail-rcpt X]... \
        [--tempfail-rcpt Y]... [--tempfail-next N] [--fail-next N] [--auth USER:PASSWORD] \
        [--starttls] [--max-seconds S]

writes D/port (the port, once it accepts connections; written atomically; with --starttls
D/cert.pem, the certificate to trust, is there before it), then for each message D/NNNN.eml (the bytes received, dot-unstuffed) and then D/NNNN.json ({"mail_from", "rcpt_tos",
"peer": [host, port], "auth_user", "tls"}), NNNN counting from 0001. The JSON file appears only
after the .eml is complete and before the server answers 250. Each AUTH whose credentials
arrived appends a line {"login", "tls"} to D/auth.jsonl, before it is answered. It runs until SIGTERM or SIGINT, or
for at most --max-seconds (default 300), so a crashed test leaves nothing behind.
"""

import argparse
import datetime
import email
import email.policy
import json
import logging
import os
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
import warnings
from collections import namedtuple

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# aiosmtpd warns that AUTH without TLS is insecure (it is meant to be, here) and logs every session.
warnings.filterwarnings("ignore", module=r"aiosmtpd(\..*)?")
warnings.filterwarnings("ignore", message=r".*(login_data|auth_require_tls|Requiring AUTH).*")
logging.getLogger("mail.log").setLevel(logging.CRITICAL)

Received = namedtuple("Received", "mail_from rcpt_tos message raw peer auth_user tls")


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def make_self_signed(directory):
    """Writes cert.pem and key.pem for CN=localhost (and 127.0.0.1) into directory."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = os.path.join(directory, "cert.pem")
    key_path = os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return cert_path, key_path


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        a = address.lower()
        if a in self.sink.fail_rcpt:
            return "550 5.1.1 <%s>: Recipient address rejected: no such user" % address
        if a in self.sink.tempfail_rcpt:
            return "451 4.3.0 <%s>: Recipient address temporarily unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        return self.sink._receive(session, envelope)


class SmtpSink:
    def __init__(
        self,
        port=0,
        host="127.0.0.1",
        fail_rcpt=(),
        tempfail_rcpt=(),
        auth=None,
        starttls=False,
        out_dir=None,
    ):
        self.host = host
        self.port = port
        self.fail_rcpt = {a.lower() for a in fail_rcpt}
        self.tempfail_rcpt = {a.lower() for a in tempfail_rcpt}
        self.auth = auth
        self.starttls = starttls
        self.out_dir = out_dir
        self.cert_path = None
        self._lock = threading.Lock()
        self._messages = []
        self._tempfail_next = 0
        self._fail_next = 0
        self._auth_attempts = []
        self._controller = None
        self._tmp = None

    # -- failure modes, changeable while running --
    def tempfail_next(self, n):
        with self._lock:
            self._tempfail_next = n

    def fail_next(self, n):
        with self._lock:
            self._fail_next = n

    def messages(self):
        with self._lock:
            return list(self._messages)

    def auth_attempts(self):
        with self._lock:
            return list(self._auth_attempts)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        login = getattr(auth_data, "login", b"").decode("utf-8", "replace")
        with self._lock:
            self._auth_attempts.append((login, session.ssl is not None))
            if self.out_dir:
                with open(os.path.join(self.out_dir, "auth.jsonl"), "a") as f:
                    f.write(json.dumps({"login": login, "tls": session.ssl is not None}) + "\n")
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode("utf-8", "replace") == self.auth[0]
            and auth_data.password.decode("utf-8", "replace") == self.auth[1]
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    def _receive(self, session, envelope):
        with self._lock:
            if self._tempfail_next > 0:
                self._tempfail_next -= 1
                return "451 4.3.0 Temporarily unavailable, try again later"
            if self._fail_next > 0:
                self._fail_next -= 1
                return "554 5.6.0 Message rejected"
            raw = envelope.original_content
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            auth_data = getattr(session, "auth_data", None)
            user = auth_data.login.decode() if isinstance(auth_data, LoginPassword) else None
            rec = Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                msg,
                raw,
                tuple(session.peer[:2]) if session.peer else None,
                user,
                session.ssl is not None,
            )
            self._messages.append(rec)
            if self.out_dir:
                self._write(len(self._messages), rec)
        return "250 2.0.0 OK queued"

    def _write(self, n, rec):
        base = os.path.join(self.out_dir, "%04d" % n)
        with open(base + ".eml", "wb") as f:
            f.write(rec.raw)
        meta = {
            "mail_from": rec.mail_from,
            "rcpt_tos": rec.rcpt_tos,
            "peer": list(rec.peer) if rec.peer else None,
            "auth_user": rec.auth_user,
            "tls": rec.tls,
        }
        with open(base + ".json.tmp", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".json.tmp", base + ".json")

    def start(self):
        kwargs = {}
        if self.auth:
            kwargs.update(
                authenticator=self._authenticate, auth_required=True, auth_require_tls=False
            )
        if self.starttls:
            self._tmp = tempfile.TemporaryDirectory(prefix="smtp_sink_")
            self.cert_path, key_path = make_self_signed(self._tmp.name)
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(self.cert_path, key_path)
            kwargs.update(tls_context=ctx, require_starttls=False)
        fixed = self.port != 0
        for attempt in range(5):
            port = self.port if fixed else free_port(self.host)
            c = Controller(
                _Handler(self), hostname=self.host, port=port, server_hostname="sink.test", **kwargs
            )
            try:
                c.start()
            except OSError:
                if fixed or attempt == 4:
                    raise
                continue
            self._controller, self.port = c, port
            return self
        return self

    def stop(self):
        if self._controller:
            self._controller.stop()
            self._controller = None
        if self._tmp:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv):
    ap = argparse.ArgumentParser(description="SMTP sink for restock's tests")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--fail-rcpt", action="append", default=[])
    ap.add_argument("--tempfail-rcpt", action="append", default=[])
    ap.add_argument("--tempfail-next", type=int, default=0)
    ap.add_argument("--fail-next", type=int, default=0)
    ap.add_argument("--auth", help="USER:PASSWORD")
    ap.add_argument("--starttls", action="store_true")
    ap.add_argument("--max-seconds", type=float, default=300)
    a = ap.parse_args(argv)
    auth = tuple(a.auth.split(":", 1)) if a.auth else None
    sink = SmtpSink(a.port, a.host, a.fail_rcpt, a.tempfail_rcpt, auth, a.starttls, a.dir)
    sink.tempfail_next(a.tempfail_next)
    sink.fail_next(a.fail_next)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    sink.start()
    try:
        if sink.cert_path:
            with open(sink.cert_path, "rb") as src, open(os.path.join(a.dir, "cert.pem"), "wb") as f:
                f.write(src.read())
        tmp = os.path.join(a.dir, "port.tmp")
        with open(tmp, "w") as f:
            f.write("%d\n" % sink.port)
        os.rename(tmp, os.path.join(a.dir, "port"))
        deadline = time.monotonic() + a.max_seconds
        while not done.is_set() and time.monotonic() < deadline:
            done.wait(0.2)
    finally:
        sink.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
