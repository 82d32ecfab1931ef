"""Durability (README "Operations", SPEC §10): every sign-up answered 201 is on disk, whether
the server is killed (SIGKILL) or stopped (SIGTERM) in the middle of a load."""

import http.client
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
