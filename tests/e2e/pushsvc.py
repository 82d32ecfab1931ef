"""pushsvc — drive the web push service stand-in (tests/e2e/pushsvc/server.js) from Python tests.

    svc = PushService()
    svc.start()                      # a free loopback port; svc.url is http://127.0.0.1:PORT
    sub = svc.register("alice")      # a browser's PushSubscription.toJSON()
    ...                              # restock sends to sub["endpoint"]
    svc.messages()                   # what arrived, decrypted, with the VAPID verdict
    svc.set_response("alice", 410)   # the subscription has gone
    svc.stop()

The stand-in decrypts with the http_ece npm package and checks VAPID with node's crypto; the user
agent key pair and auth secret are made here with python3-cryptography, so restock's encryption is
checked by two implementations it does not share code with. Use it as a context manager, or call
stop(), so no server is left running (it also exits by itself when this process goes away).
"""

import base64
import json
import os
import select
import shutil
import subprocess
import urllib.error
import urllib.request

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

PUSHSVC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pushsvc")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def ensure_installed():
    """Installs the stand-in's npm packages (npm ci, from package-lock.json) when missing."""
    if os.path.exists(os.path.join(PUSHSVC_DIR, "node_modules", "http_ece", "ece.js")):
        return
    npm = shutil.which("npm")
    if not npm:
        raise RuntimeError("npm is missing: run scripts/deps.sh")
    subprocess.run([npm, "ci", "--prefix", PUSHSVC_DIR, "--no-audit", "--no-fund"],
                   check=True, stdout=subprocess.DEVNULL)


class PushService:
    def __init__(self, node=None):
        self.node = node or shutil.which("node") or "/usr/bin/node"
        self.proc = None
        self.port = None
        self.url = None

    def start(self, port=0, timeout=15.0):
        """Starts the stand-in on 127.0.0.1:port (0: a free port); returns self."""
        ensure_installed()
        self.proc = subprocess.Popen(
            [self.node, os.path.join(PUSHSVC_DIR, "server.js"), "--port", str(port),
             "--until-stdin-closes"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line.startswith("listening "):
            self.stop()
            raise RuntimeError("push service stand-in did not start: %r" % line)
        self.port = int(line.split()[1])
        self.url = "http://127.0.0.1:%d" % self.port
        return self

    def stop(self):
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()
            self.proc.terminate()
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc = None

    def __enter__(self):
        return self.start() if self.proc is None else self

    def __exit__(self, *exc):
        self.stop()

    def _call(self, method, path, obj=None):
        data = None if obj is None else json.dumps(obj).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def register(self, sub_id, vapid_public=None):
        """Makes a user agent key pair and auth secret for subscription sub_id and registers them.
        Returns the subscription as a browser's PushSubscription.toJSON() gives it:
        {"endpoint", "expirationTime": None, "keys": {"p256dh", "auth"}}. With vapid_public
        (base64url), the subscription only accepts messages signed with that VAPID key."""
        key = ec.generate_private_key(ec.SECP256R1())
        priv = key.private_numbers().private_value.to_bytes(32, "big")
        pub = key.public_key().public_bytes(serialization.Encoding.X962,
                                            serialization.PublicFormat.UncompressedPoint)
        auth = os.urandom(16)
        reg = {"id": sub_id, "private_key": b64url(priv), "auth": b64url(auth)}
        if vapid_public:
            reg["vapid_public"] = vapid_public
        self._call("POST", "/register", reg)
        return {"endpoint": "%s/push/%s" % (self.url, sub_id), "expirationTime": None,
                "keys": {"p256dh": b64url(pub), "auth": b64url(auth)}}

    def register_keys(self, sub_id, private_key, auth):
        """Registers given keys (base64url), e.g. the RFC 8291 example's user agent."""
        self._call("POST", "/register", {"id": sub_id, "private_key": private_key, "auth": auth})
        return "%s/push/%s" % (self.url, sub_id)

    def messages(self, sub_id=None):
        """Every push message received (oldest first), or only those for sub_id. Each is a dict:
        seq, id, status (as answered), ttl, urgency, topic, content_encoding, content_type,
        length, payload (decrypted text, None if it could not be), payload_b64, errors (list),
        vapid {ok, error, claims {aud, exp, sub}, k}."""
        msgs = self._call("GET", "/messages")
        return [m for m in msgs if sub_id is None or m["id"] == sub_id]

    def clear(self):
        self._call("DELETE", "/messages")

    def set_response(self, sub_id, status, headers=None, body=None, times=None):
        """Answers status (with headers and body) to messages for sub_id: the next `times` ones,
        or all when times is None. set_response(sub_id, None) goes back to normal answers."""
        script = {"id": sub_id, "status": status or 0, "headers": headers or {}}
        if body is not None:
            script["body"] = body
        if times is not None:
            script["times"] = times
        self._call("POST", "/respond", script)
