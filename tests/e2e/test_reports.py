"""GET /v1/reports/customers (JSON pages and streamed RFC 4180 CSV), `restock export customers`
and GET /v1/reports/demand (SPEC §4), over a shop with real sent notifications and the
attribution rows of migration 5 (seed.py)."""

import csv
import datetime
import io
import sqlite3

import pytest

import lib
import seed

COLUMNS = ["contact", "channel", "variant_id", "product_title", "variant_title", "signed_up_at",
           "notified_at", "opened_at", "clicked_at", "conversion", "order_number", "order_date",
           "order_total", "currency", "order_refunded", "order_net"]


@pytest.fixture
def world(restock, sink):
    return seed.seed(restock, sink)


def report(shop, **query):
    q = "&".join(f"{k}={v}" for k, v in query.items())
    return shop.server.get("/v1/reports/customers" + (f"?{q}" if q else ""), key=shop.key)


def all_rows(shop, **query):
    out, after = [], None
    while True:
        q = dict(query)
        if after:
            q["after"] = after
        r = report(shop, **q)
        assert r.status == 200, r
        out += r.json["data"]
        after = r.json["next"]
        if not after:
            return out


def parse_csv(body):
    text = body.decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_customers_json(world):
    shop, facts = world
    rows = all_rows(shop)
    assert [r["contact"] for r in rows] == ["ada@example.com", "bob@example.com", "cy@example.com",
                                            "dan@example.com", "eve@example.com"]
    ada, bob, cy, dan, _ = rows
    assert ada["conversion"] == "direct" and ada["order_number"] == "1001"
    assert ada["order_total"] == "39.80" and ada["currency"] == "EUR"
    assert ada["opened_at"] and ada["clicked_at"] and ada["notified_at"] and ada["signed_up_at"]
    assert ada["product_title"] == "Organic Tee" and ada["variant_title"] == "Red / M"
    assert ada["channel"] == "email" and ada["variant_id"] == "4471"
    assert bob["conversion"] == "assisted" and bob["order_total"] == "19.90"
    assert bob["opened_at"] and bob["clicked_at"] is None
    # a cancelled conversion is not counted
    assert cy["conversion"] == "none" and cy["order_number"] is None and cy["order_total"] is None
    assert dan["product_title"] == 'Wool Hoodie, "Nordic"' and dan["variant_title"] == "Grå / S"
    # pages of 2 walk the same rows, none twice
    assert [r["notification_id"] for r in all_rows(shop, limit=2)] == \
        [r["notification_id"] for r in rows]


def test_customers_csv_matches_json(world):
    shop, _ = world
    r = report(shop, format="csv")
    assert r.status == 200, r
    assert r.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in r.headers.get("Content-Disposition", "")
    assert r.body.count(b"\r\n") == 6 and b"\n" not in r.body.replace(b"\r\n", b"")
    assert b'"Wool Hoodie, ""Nordic"""' in r.body  # RFC 4180 quoting
    table = parse_csv(r.body)
    assert table[0] == COLUMNS
    rows = all_rows(shop)
    assert len(table) == 1 + len(rows)
    for line, row in zip(table[1:], rows):
        expect = [row[c] if c in row else None for c in COLUMNS]
        expect[COLUMNS.index("notified_at")] = row["notified_at"]
        assert line == [v if v is not None else "" for v in expect]


def test_customers_refunds_and_goal_events(world):
    """A refund shows as the row's refunded amount and net; a goal event's conversion (no order)
    shows its own value and date; the report's sums equal GET /v1/stats' revenue."""
    shop, facts = world
    r = shop.server.post("/v1/orders/1001/refunds", {"amount": "9.80"}, key=shop.key)
    assert r.status == 200, r
    dan = facts["by_email"]["dan@example.com"]
    r = shop.server.post("/v1/events", {"msgHash": dan["msg_hash"], "event": "purchase",
                                        "attributes": {"value": 19.9 * 3}},
                         content_type="text/plain")
    assert r.status == 200, r
    rows = {r["contact"]: r for r in all_rows(shop)}
    ada, dan = rows["ada@example.com"], rows["dan@example.com"]
    assert (ada["order_total"], ada["order_refunded"], ada["order_net"]) == \
        ("39.80", "9.80", "30.00")
    assert dan["conversion"] == "assisted" and dan["order_number"] is None
    assert (dan["order_total"], dan["order_refunded"], dan["order_net"], dan["currency"]) == \
        ("59.70", "0.00", "59.70", "EUR")
    assert dan["order_date"]
    cy = rows["cy@example.com"]  # its order was cancelled: no conversion, no amounts
    assert cy["order_total"] is None and cy["order_net"] is None and cy["order_date"] is None
    today = datetime.date.today()
    days = {"from": (today - datetime.timedelta(days=2)).isoformat(),
            "to": (today + datetime.timedelta(days=2)).isoformat()}
    stats = shop.server.get("/v1/stats?from={from}&to={to}".format(**days), key=shop.key).json
    gross = sum(float(r["order_total"]) for r in rows.values() if r["order_total"])
    net = sum(float(r["order_net"]) for r in rows.values() if r["order_net"])
    totals = stats["totals"]
    assert round(gross, 2) == round(sum(float(totals[k]["revenue"])
                                        for k in ("direct", "assisted")), 2)
    assert round(net, 2) == round(sum(float(totals[k]["revenue_net"])
                                      for k in ("direct", "assisted")), 2)
    table = parse_csv(report(shop, format="csv").body)
    line = next(t for t in table if t[0] == "dan@example.com")
    assert line[COLUMNS.index("order_total"):] == ["59.70", "EUR", "0.00", "59.70"]


def test_customers_range_and_errors(world):
    shop, _ = world
    today = datetime.date.today()
    yesterday = (today - datetime.timedelta(days=2)).isoformat()
    tomorrow = (today + datetime.timedelta(days=2)).isoformat()
    assert len(all_rows(shop, **{"from": yesterday, "to": tomorrow})) == 5
    assert all_rows(shop, to=yesterday) == []
    assert all_rows(shop, **{"from": tomorrow}) == []
    assert len(parse_csv(report(shop, format="csv", to=yesterday).body)) == 1
    for q, field in [({"from": "2026-02-30"}, "from"), ({"to": "soon"}, "to"),
                     ({"limit": "0"}, "limit"), ({"format": "xml"}, "format"),
                     ({"from": tomorrow, "to": yesterday}, "to")]:
        r = report(shop, **q)
        assert r.status == 400 and r.error["message"].startswith(field), (q, r)
    assert shop.server.get("/v1/reports/customers").status == 401
    assert shop.server.get("/v1/reports/customers?format=csv", key="rk_wrong").status == 401


def test_customers_other_shop_sees_nothing(restock, world):
    shop, _ = world
    other = restock.add_shop(name="Other")
    r = shop.server.get("/v1/reports/customers", key=other["api_key"])
    assert r.status == 200 and r.json["data"] == []
    assert parse_csv(shop.server.get("/v1/reports/customers?format=csv",
                                     key=other["api_key"]).body) == [COLUMNS]


def test_export_cli_equals_http(restock, world):
    shop, _ = world
    body = report(shop, format="csv").body
    # exact bytes, read without newline translation; the shop id in any case
    raw = lib.subprocess.run([lib.BIN, "export", "customers", "--shop", shop.id.upper(), "--db",
                              restock.db], capture_output=True, env=restock.env()).stdout
    assert raw == body
    to = (datetime.date.today() - datetime.timedelta(days=2)).isoformat()
    raw = lib.subprocess.run([lib.BIN, "export", "customers", "--shop", shop.id, "--db",
                              restock.db, "--to", to], capture_output=True,
                             env=restock.env()).stdout
    assert parse_csv(raw) == [COLUMNS]
    for args, code, says in [(["--shop", "00000000-0000-4000-8000-000000000000"], 2, "no shop"),
                             ([], 2, "--shop"),
                             (["--shop", shop.id, "--from", "x"], 2,
                              "restock: export customers: --from: must be a date, YYYY-MM-DD"),
                             (["--shop", shop.id, "--to", "2026-13-01"], 2,
                              "restock: export customers: --to: must be a date, YYYY-MM-DD"),
                             (["--shop", shop.id, "--from", "2026-11-02", "--to", "2026-11-01"], 2,
                              "restock: export customers: --to: must not be before --from"),
                             (["--shop", shop.id, "--bogus", "1"], 2, "--bogus")]:
        p = restock.cli("export", "customers", "--db", restock.db, *args)
        assert p.returncode == code and says in p.stderr and p.stdout == "", (args, p)
        assert len(p.stderr.strip().splitlines()) == 1


def add_sent(restock, n, base=1700000000):
    """n more sent notifications for ada (written while the server is stopped)."""
    db = sqlite3.connect(restock.db)
    sub = db.execute("SELECT id, shop_id FROM subscriptions WHERE email = 'ada@example.com'"
                     ).fetchone()
    db.executemany(
        "INSERT INTO notifications(shop_id, subscription_id, restock_id, campaign_id, channel,"
        " status, attempts, not_before, lease_until, expires_at, created_at, sent_at, segments)"
        " VALUES (?, ?, ?, 1, 0, 1, 1, 0, 0, 0, ?, ? + ?, 0)",
        [(sub[1], sub[0], 1000 + i, base, base, i) for i in range(n)])
    db.commit()
    db.close()


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def test_customers_csv_streams_many_pages(restock, world):
    """2,500 more sent notifications (three pages of the stream): every one exactly once, in id
    order, and the JSON pages agree."""
    shop, _ = world
    shop.server.stop()
    add_sent(restock, 2500)
    shop.server = restock.start()
    r = report(shop, format="csv")
    assert r.status == 200
    table = parse_csv(r.body)
    assert len(table) == 1 + 5 + 2500
    assert len(all_rows(shop, limit=1000)) == 2505
    notified = [row[COLUMNS.index("notified_at")] for row in table[1:]]
    assert notified[5:] == [iso(1700000000 + i) for i in range(2500)]


def test_customers_csv_interleaved_on_one_thread(restock, world):
    """On one HTTP thread, two slow CSV downloads (30,000 rows each, more than the socket buffers
    hold) are read a little at a time while other requests, reads and a durable sign-up, run on
    the same thread between their pages: each download is complete and in order, and every other
    request is answered."""
    shop, _ = world
    shop.server.stop()
    add_sent(restock, 30000)
    shop.server = srv = restock.start("--threads", "1")
    key = shop.key.encode()
    socks = []
    for _ in range(2):
        s = lib.socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        s.setsockopt(lib.socket.SOL_SOCKET, lib.socket.SO_RCVBUF, 262144)
        s.sendall(b"GET /v1/reports/customers?format=csv HTTP/1.1\r\nHost: x\r\n"
                  b"Authorization: Bearer " + key + b"\r\nConnection: close\r\n\r\n")
        socks.append([s, b""])
    n = 0
    while any(s is not None for s, _ in socks):
        for pair in socks:
            if pair[0] is None:
                continue
            chunk = pair[0].recv(32768)
            if not chunk:
                pair[0].close()
                pair[0] = None
            pair[1] += chunk
        n += 1
        if n % 20 == 0:  # other work on the same thread, between the streams' pages
            assert shop.stock("7300").json["status"] == "sold_out"
            assert report(shop, limit=3).status == 200
            if n % 100 == 0:
                assert shop.signup("7300", email=f"late{n}@example.com").status == 201
    assert n > 40  # the downloads really were read in many pieces
    expect = [iso(1700000000 + i) for i in range(30000)]
    for _, raw in socks:
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200") and b"chunked" in head.lower()
        parts, at, size = [], 0, -1
        while at < len(body):  # undo the chunked transfer coding
            eol = body.index(b"\r\n", at)
            size = int(body[at:eol], 16)
            if size == 0:
                break
            parts.append(body[eol + 2:eol + 2 + size])
            at = eol + 2 + size + 2
        assert size == 0, "the stream was cut short"
        text = b"".join(parts)
        table = parse_csv(text)
        assert len(table) == 1 + 5 + 30000
        notified = [row[COLUMNS.index("notified_at")] for row in table[6:]]
        assert notified == expect


def test_demand(world):
    shop, facts = world
    r = shop.server.get("/v1/reports/demand", key=shop.key)
    assert r.status == 200, r
    data = r.json["data"]
    assert [d["variant_id"] for d in data] == ["7300", "6001"]
    boot, cap = data
    assert boot["waiting"] == 3 and boot["waiting_units"] == 3 and boot["price"] == "129.00"
    assert boot["potential_revenue"] == "387.00" and boot["status"] == "sold_out"
    assert boot["available"] == 0 and boot["currency"] == "EUR"
    assert boot["product_title"] == "Trail Boot" and boot["last_signup_at"]
    assert cap["waiting"] == 1 and cap["waiting_units"] == 2 and cap["potential_revenue"] == "30.00"
    assert 0 <= boot["median_wait_seconds"] <= boot["longest_wait_seconds"] < 600
    assert shop.server.get("/v1/reports/demand?limit=1", key=shop.key).json["data"][0][
        "variant_id"] == "7300"
    assert shop.server.get("/v1/reports/demand?limit=0", key=shop.key).status == 400
    assert shop.server.get("/v1/reports/demand").status == 401
