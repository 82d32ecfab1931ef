"""Operations: /healthz, /metrics (Prometheus text with the documented names), the access log,
graceful stop."""

import re

import pytest

import lib

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*"'
                  r'(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*)?\})? (-?[0-9.e+-]+|\+Inf|NaN)$')


def parse_metrics(text):
    """{(name, frozenset(labels)): value}, asserting every line is valid exposition format."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        if line.startswith("# HELP ") or not line:
            continue
        m = LINE.match(line)
        assert m, f"not Prometheus text: {line!r}"
        labels = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"', m.group(3) or ""))
        key = (m.group(1), labels)
        assert key not in samples, f"duplicate sample {line!r}"
        samples[key] = float(m.group(5))
    return samples, types


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_healthz(shop):
    r = shop.server.get("/healthz")
    assert r.status == 200 and r.json == {"status": "ok"}
    assert r.headers["Content-Type"].startswith("application/json")


def test_metrics_names_and_counts(shop):
    s = shop.server
    shop.add_variants({"v": 0})
    for i in range(3):
        assert shop.signup("v", email=f"p{i}@example.com").status == 201
    assert shop.signup("v", email="p0@example.com").status == 200
    assert s.get("/nope").status == 404
    assert s.post("/v1/subscriptions", "{").status == 400

    r = s.get("/metrics")
    assert r.status == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    samples, types = parse_metrics(r.body.decode())
    assert types["restock_http_requests_total"] == "counter"
    assert types["restock_http_request_duration_seconds"] == "histogram"
    assert types["restock_commit_queue_depth"] == "gauge"
    assert types["restock_commits_total"] == "counter"

    assert value(samples, "restock_http_requests_total", route="subscribe", status="201") == 3
    assert value(samples, "restock_http_requests_total", route="subscribe", status="200") == 1
    assert value(samples, "restock_http_requests_total", route="subscribe", status="400") == 1
    assert value(samples, "restock_http_requests_total", route="catalog", status="200") == 1
    assert value(samples, "restock_http_requests_total", route="unmatched", status="404") == 1
    assert value(samples, "restock_commits_total") >= 5  # the catalog and four sign-ups
    assert value(samples, "restock_commit_queue_depth") == 0

    # the histogram of a route: cumulative buckets ending at +Inf == _count
    buckets = sorted(((float(dict(k[1])["le"]), v) for k, v in samples.items()
                      if k[0] == "restock_http_request_duration_seconds_bucket"
                      and dict(k[1])["route"] == "subscribe"))
    assert buckets and buckets[-1][0] == float("inf")
    counts = [v for _, v in buckets]
    assert counts == sorted(counts)
    assert buckets[-1][1] == value(samples, "restock_http_request_duration_seconds_count",
                                   route="subscribe") == 5
    assert value(samples, "restock_http_request_duration_seconds_sum", route="subscribe") > 0

    # /metrics counts itself from the next scrape on
    samples2, _ = parse_metrics(s.get("/metrics").body.decode())
    assert value(samples2, "restock_http_requests_total", route="metrics", status="200") >= 1


def test_access_log_is_json_and_keeps_secrets_out(shop):
    shop.add_variants({"v": 0})
    assert shop.signup("v", email="ada@example.com").status == 201
    assert shop.server.get("/v1/shop", key=shop.key).status == 200
    status, _ = shop.server.raw(b'GET /v1/shop?x="\\\xff\x01 HTTP/1.1\r\nHost: x\r\n'
                                b"Authorization: Bearer rk_wrong\r\nConnection: close\r\n\r\n")
    assert status in (400, 401)
    text = shop.server.stop()  # asserts: every line is one JSON object
    assert shop.key not in text and "rk_wrong" not in text
    access = [r for r in shop.server.log_records() if r.get("msg") == "access"]
    assert any(r.get("path") == "/v1/subscriptions" and r.get("status") == 201 and
               r.get("method") == "POST" for r in access), access
    assert any(r.get("status") == 401 for r in access)


def test_sigterm_stops_cleanly_and_keeps_data(shop, restock):
    shop.add_variants({"v": 0})
    assert shop.signup("v", email="ada@example.com").status == 201
    text = shop.server.stop()
    assert '"signal 15: stopping"' in text or "stopping" in text
    s = restock.start()
    assert len(lib.Shop(s, shop.info).subs()) == 1


@pytest.mark.parametrize("sig", ["SIGINT"])
def test_sigint_stops_cleanly(shop, sig):
    import signal
    shop.server.proc.send_signal(getattr(signal, sig))
    shop.server.proc.wait(timeout=20)
    shop.server.stop()  # asserts exit 0 and a clean log


def test_sigterm_with_idle_and_half_sent_requests(shop):
    """Stopping does not wait on clients: an idle keep-alive connection, a half-sent body and
    half-sent headers do not keep the server up."""
    import socket
    import time
    s = shop.server
    conns = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(3)]
    try:
        conns[0].sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert conns[0].recv(100).startswith(b"HTTP/1.1 200")
        conns[1].sendall(b"POST /v1/subscriptions HTTP/1.1\r\nHost: x\r\nContent-Type: "
                         b"application/json\r\nContent-Length: 100\r\n\r\n{\"shop\"")
        conns[2].sendall(b"GET /healthz HTTP/1.1\r\nHo")
        time.sleep(0.2)
        t0 = time.monotonic()
        s.stop(timeout=10)
        assert time.monotonic() - t0 < 8
    finally:
        for c in conns:
            c.close()


def test_listen_on_ipv6_loopback(restock):
    import http.client
    import time
    port = lib.free_port()
    s = restock.start("--listen", f"[::1]:{port}", listen=False, port=port, wait=False)
    conn = None
    for _ in range(200):
        try:
            conn = http.client.HTTPConnection("::1", port, timeout=5)
            conn.request("GET", "/healthz")
            r = conn.getresponse()
            assert r.status == 200 and r.read() == b'{"status":"ok"}'
            break
        except ConnectionRefusedError:
            conn.close()
            time.sleep(0.02)
    else:
        raise AssertionError(s.log())
    conn.close()
    s.stop()
    assert any(r.get("client") == "::1" for r in s.log_records() if r.get("msg") == "access")


def test_protocol_abuse_leaves_the_server_answering(shop):
    s = shop.server
    long_path = f"/v1/stock/{shop.id}/{'a' * 70000}"
    for raw in (f"GET {long_path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode(),
                b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 100000 +
                b"\r\nConnection: close\r\n\r\n",
                b"GARBAGE\r\n\r\n",
                b"POST /v1/subscriptions HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n",
                b"POST /v1/subscriptions HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n"
                b"Connection: close\r\n\r\n"):
        status, _ = s.raw(raw)
        assert status == 0 or 400 <= status < 500, (raw[:60], status)
    assert s.get("/healthz").status == 200
    assert shop.subs() == []


def test_text_log_format(restock):
    s = restock.start("--log-format", "text")
    assert s.get("/healthz").status == 200
    text = s.stop()
    assert "listening on http://127.0.0.1:" in text
    assert not text.lstrip().startswith("{")
