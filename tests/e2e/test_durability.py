"""Durability (README "Operations", SPEC §10): every sign-up answered 201 is on disk, whether
the server is killed (SIGKILL) or stopped (SIGTERM) in the middle of a load."""

import http.client
import json
import signal
import sqlite3
import threading
import time

import pytest

import lib

THREADS = 8
VARIANTS = 5


def load_then(shop, stop_server, min_answered=150, timeout=60):
    """Sign-ups from THREADS threads until min_answered got 201, then stop_server() while they
    keep going. Returns {id: email} of every 201 and the list of unexpected answers."""
    answered, unexpected = {}, []
    lock, stop, stopping = threading.Lock(), threading.Event(), threading.Event()

    def worker(n):
        i = 0
        while not stop.is_set():
            i += 1
            email = f"w{n}-{i}@example.com"
            try:
                r = shop.signup(f"v{i % VARIANTS}", email=email)
            except (OSError, http.client.HTTPException):
                continue  # the server went away mid-request: no answer, no promise
            with lock:
                if r.status == 201:
                    answered[r.json["id"]] = email
                elif not (stopping.is_set() and r.status == 503 and
                          r.error["message"] == "shutting down"):
                    unexpected.append(r)  # a stopping server answers 503: no answer, no promise

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(THREADS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    while len(answered) < min_answered and time.monotonic() < deadline and not unexpected:
        time.sleep(0.02)
    stopping.set()
    stop_server()
    time.sleep(0.2)  # let the threads see the server gone
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert len(answered) >= min_answered or unexpected, "the load never got going"
    return answered, unexpected


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_every_answered_signup_is_stored(shop, restock, how):
    shop.add_variants({f"v{i}": 0 for i in range(VARIANTS)})
    stop_server = shop.server.kill if how == "SIGKILL" else shop.server.stop
    answered, unexpected = load_then(shop, stop_server)
    assert unexpected == []
    assert not shop.server.running

    server = restock.start()
    again = lib.Shop(server, shop.info)
    stored = {s["id"]: s.get("email") for s in again.subs()}
    missing = {i: e for i, e in answered.items() if stored.get(i) != e}
    assert not missing, f"{len(missing)} of {len(answered)} answered sign-ups lost: " \
                        f"{list(missing.items())[:5]}"
    # nothing is stored twice, and the store still works
    assert len(set(stored.values())) == len(stored)
    assert again.signup("v0", email="after@example.com").status == 201


def test_stop_waits_for_a_slow_write_and_refuses_new_ones(shop, restock):
    """A write held up by the disk (here: another process holding SQLite's write lock) when
    SIGTERM comes is still committed and answered before the server exits; a write that
    arrives meanwhile on an open connection is answered 503 at once, and stored nowhere; a new
    connection is closed at once."""
    shop.add_variants({"v0": 0})
    body = json.dumps({"shop": shop.id, "variant_id": "v0", "channel": "email",
                       "email": "slow@example.com"})
    headers = {"Content-Type": "application/json"}
    late = http.client.HTTPConnection("127.0.0.1", shop.server.port, timeout=20)
    late.request("GET", "/healthz")  # open and kept alive across the stop
    r = late.getresponse()
    assert r.status == 200 and r.read()

    lock = sqlite3.connect(restock.db, isolation_level=None, timeout=10)
    lock.execute("BEGIN IMMEDIATE")  # the server's next commit waits for this
    slow = {}

    def post_slow():
        c = http.client.HTTPConnection("127.0.0.1", shop.server.port, timeout=20)
        c.request("POST", "/v1/subscriptions", body, headers)
        r = c.getresponse()
        slow["status"], slow["body"] = r.status, r.read()

    t = threading.Thread(target=post_slow)
    t.start()
    time.sleep(0.5)  # the sign-up waits in the committer
    shop.server.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    while "requests to answer" not in shop.server.log() and time.monotonic() < deadline:
        time.sleep(0.02)  # the stop has begun and waits for it
    assert shop.server.running and '"stopping: 1 requests to answer"' in shop.server.log()
    late.request("POST", "/v1/subscriptions", body.replace("slow@", "late@"), headers)
    r = late.getresponse()
    answer = json.loads(r.read())
    assert r.status == 503 and answer["error"]["message"] == "shutting down", answer
    fresh = http.client.HTTPConnection("127.0.0.1", shop.server.port, timeout=5)
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        fresh.request("GET", "/healthz")  # a new connection is refused: closed at once
        fresh.getresponse()
    lock.execute("ROLLBACK")
    t.join(timeout=20)
    assert slow.get("status") == 201, slow
    shop.server.proc.wait(timeout=20)  # the first SIGTERM's stop ends by itself
    shop.server.stop()  # exit 0, no sanitizer report

    server = restock.start()
    emails = {s.get("email") for s in lib.Shop(server, shop.info).subs()}
    assert "slow@example.com" in emails and "late@example.com" not in emails
