"""Orders in and attribution, end to end (SPEC §4, §6): a restock mailed through a real SMTP server
(aiosmtpd), then orders through POST /v1/orders, Hello Retail's collect call and the order feed
of `restock import-orders`; cancellations, refunds and GET /v1/stats. Every rejected request is
checked to have changed nothing."""

import datetime
import json
import re
import sqlite3
import time

import pytest

import lib
from lib import wait_for

PUBLIC = "https://restock.test"
COLLECT = "/serve/collect/conversion"


@pytest.fixture
def world(restock, sink):
    """A shop whose variant 4471 was restocked and mailed to ada@example.com (sent)."""
    info = restock.add_shop(name="Tee Shop", url="https://shop.example", currency="EUR",
                            timezone="Europe/Copenhagen")
    srv = restock.start("--public-url", PUBLIC, "--smtp-url", f"smtp://127.0.0.1:{sink.port}")
    shop = lib.Shop(srv, info)
    r = shop.catalog([{"variant_id": "4471", "product_number": "TEE-RED-M", "title": "Tee",
                       "url": "https://shop.example/products/tee", "price": "19.90",
                       "available": 0},
                      {"variant_id": "4472", "product_number": "TEE-RED-L", "title": "Tee",
                       "url": "https://shop.example/products/tee", "price": "19.90",
                       "available": 0},
                      {"variant_id": "9000", "title": "Cap", "url": "https://shop.example/cap",
                       "available": 0}])
    assert r.status == 200, r
    assert shop.signup("4471", email="Ada@Example.com", customer_id="C-7").status == 201
    assert shop.set_stock("4471", 5)["restocked"] == ["4471"]
    (mail,) = wait_for(lambda: sink.messages(), what="the email")
    wait_for(lambda: notifications(shop) and notifications(shop)[0]["status"] == "sent",
             what="the notification sent")
    text = mail.message.get_body(("plain",)).get_content()
    shop.click_token = re.search(re.escape(PUBLIC) + r"/r/([A-Za-z0-9_-]+)", text).group(1)
    return shop


def notifications(shop):
    r = shop.server.get("/v1/notifications", key=shop.key)
    assert r.status == 200, r
    return r.json["data"]


def post_order(shop, body, **kw):
    return shop.server.post("/v1/orders", body, key=shop.key, **kw)


def get_order(shop, number):
    return shop.server.get(f"/v1/orders/{number}", key=shop.key)


def today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def stats(shop, **q):
    q.setdefault("from", str(today() - datetime.timedelta(days=1)))
    q.setdefault("to", str(today() + datetime.timedelta(days=1)))
    qs = "&".join(f"{k}={v}" for k, v in q.items())
    return shop.server.get(f"/v1/stats?{qs}", key=shop.key)


ORDER = {"order_number": "1001", "total": "39.80", "currency": "EUR",
         "email": "ada@example.com", "items": [{"variant_id": "4471", "quantity": 2,
                                                 "price": "19.90"}]}


def test_order_is_an_assisted_conversion_once(world):
    shop = world
    r = post_order(shop, ORDER)
    assert r.status == 201, r
    o = r.json
    assert o["order_number"] == "1001" and o["total"] == "39.80" and o["status"] == "placed"
    assert o["items"] == [{"variant_id": "4471", "quantity": 2, "price": "19.90"}]
    conv = o["conversion"]
    assert conv["kind"] == "assisted" and conv["amount"] == "39.80" and conv["status"] == "counted"
    assert conv["notification_id"] == notifications(shop)[0]["id"]

    again = post_order(shop, dict(ORDER, total="1.00", email="someone@else.example"))
    assert again.status == 200 and again.json == o  # the stored one, unchanged
    assert get_order(shop, "1001").json == o

    # the same buyer's next order finds no notification left to convert
    r = post_order(shop, dict(ORDER, order_number="1002"))
    assert r.status == 201 and r.json["conversion"] is None

    s = stats(shop)
    assert s.status == 200, s
    t = s.json["totals"]
    assert t["sent"] == 1 and t["assisted"] == {"count": 1, "revenue": "39.80",
                                                  "revenue_net": "39.80"}
    assert t["direct"]["count"] == 0
    assert t["conversion_rate_sent"] == 1.0 and t["conversion_rate"] is None  # no opens
    assert [d["date"] for d in s.json["days"]] == [
        str(today() + datetime.timedelta(days=k)) for k in (-1, 0, 1)]
    assert s.json["currency"] == "EUR" and s.json["top_events"] == []


def test_opened_clicked_then_bought_is_direct_and_counted_in_stats(world, sink):
    """The whole story through the real links: the mail's pixel and tracked link, an event,
    then an order by the same buyer (no cart token) — a direct conversion, and GET /v1/stats
    for the shop and for its campaign counts each step on the day."""
    shop = world
    (mail,) = sink.messages()
    html = mail.message.get_body(("html",)).get_content()
    pixel = re.search(re.escape(PUBLIC) + r"/o/([A-Za-z0-9_-]+)", html).group(1)
    assert shop.server.get("/o/" + pixel).status == 200
    assert shop.server.get("/r/" + shop.click_token).status == 302
    n = notifications(shop)[0]
    assert n["opened_at"] and n["clicked_at"]
    r = shop.server.post("/v1/events", {"msgHash": n["msg_hash"], "event": "AddToCart"},
                         content_type="text/plain")
    assert r.status == 200, r
    r = post_order(shop, ORDER)
    assert r.status == 201 and r.json["conversion"]["kind"] == "direct", r
    assert r.json["conversion"]["notification_id"] == n["id"]
    direct = {"count": 1, "revenue": "39.80", "revenue_net": "39.80"}
    none = {"count": 0, "revenue": "0.00", "revenue_net": "0.00"}
    for q in ({}, {"campaign": n["campaign_id"]}):
        s = stats(shop, **q)
        assert s.status == 200, s
        t = s.json["totals"]
        assert (t["sent"], t["opened"], t["clicked"]) == (1, 1, 1), (q, t)
        assert t["direct"] == direct and t["assisted"] == none
        assert t["open_rate"] == 1 and t["click_rate"] == 1 and t["conversion_rate"] == 1
        assert s.json["top_events"] == [{"event": "AddToCart", "hits": 1}]
        (day,) = [d for d in s.json["days"] if d["sent"]]
        assert (day["opened"], day["clicked"], day["direct"]) == (1, 1, direct)


def test_cart_token_makes_a_direct_conversion_for_another_email(world):
    shop = world
    body = dict(ORDER, email="other@example.com",
                note_attributes=[{"name": "restock", "value": world.click_token}])
    r = post_order(shop, body)
    assert r.status == 201, r
    assert r.json["conversion"]["kind"] == "direct"
    # a forged token is just an unknown attribute: no conversion for a stranger
    bad = dict(ORDER, order_number="1003", email="x@example.com",
               note_attributes=[{"name": "restock", "value": world.click_token[:-2] + "AA"}])
    r = post_order(shop, bad)
    assert r.status == 201 and r.json["conversion"] is None


def test_identity_by_customer_id_and_product_number(world):
    r = post_order(world, {"order_number": "C1", "total": 19.9, "customer_id": "C-7",
                           "items": [{"product_number": "TEE-RED-M"}]})
    assert r.status == 201, r
    assert r.json["items"][0]["variant_id"] == "4471"
    assert r.json["conversion"]["kind"] == "assisted"


def test_test_orders_and_disabled_conversions(world):
    shop = world
    r = post_order(shop, dict(ORDER, test=True))
    assert r.status == 200 and r.json["ignored"] is True
    assert get_order(shop, "1001").status == 404
    assert shop.patch({"conversions_enabled": False}).status == 200
    r = post_order(shop, ORDER)
    assert r.status == 201 and r.json["conversion"] is None


@pytest.mark.parametrize("body,field", [
    ({k: v for k, v in ORDER.items() if k != "total"}, "total"),
    (dict(ORDER, total="1.999"), "total"),
    (dict(ORDER, total="-1"), "total"),
    (dict(ORDER, currency="EURO"), "currency"),
    (dict(ORDER, created_at="yesterday"), "created_at"),
    (dict(ORDER, created_at="2999-11-22T10:00:00Z"), "created_at"),  # not a real order yet
    (dict(ORDER, total="100000000000.00"), "total"),  # over 13 digits of minor units
    (dict(ORDER, total=92233720368547758), "total"),
    (dict(ORDER, items=[{"variant_id": "4471", "price": "100000000000.00"}]), "items[0].price"),
    (dict(ORDER, order_number=" # "), "order_number"),
    (dict(ORDER, order_number="10\u00010"), "order_number"),
    (dict(ORDER, email="not-an-email"), "email"),
    (dict(ORDER, phone="12"), "phone"),
    (dict(ORDER, items=[]), "items"),
    (dict(ORDER, items=[{"quantity": 1}]), "items[0]"),
    (dict(ORDER, items=[{"variant_id": "4471", "quantity": 0}]), "items[0].quantity"),
    (dict(ORDER, extra=1), "extra"),
    (dict(ORDER, status="shipped"), "status"),
    (dict(ORDER, refunded="39.81"), "refunded"),
    (dict(ORDER, refunded="-1"), "refunded"),
    (dict(ORDER, status="refunded", refunded="10.00"), "refunded"),
])
def test_bad_orders_change_nothing(world, body, field):
    r = post_order(world, body)
    assert r.status == 400, r
    assert r.error["message"].startswith(field), r.error
    assert get_order(world, "1001").status == 404


def test_cancel_and_refunds(world):
    shop = world
    assert post_order(shop, ORDER).status == 201
    r = shop.server.post("/v1/orders/1001/refunds", {"amount": "10.00"}, key=shop.key)
    assert r.status == 200 and r.json["refunded"] == "10.00", r
    assert r.json["conversion"]["net"] == "29.80"
    r = shop.server.post("/v1/orders/1001/refunds", {"amount": 5}, key=shop.key)
    assert r.json["refunded"] == "15.00"
    r = shop.server.post("/v1/orders/1001/refunds", {"amount": "24.81"}, key=shop.key)
    assert r.status == 400 and r.error["message"].startswith("amount"), r
    assert get_order(shop, "1001").json["refunded"] == "15.00"
    t = stats(shop).json["totals"]["assisted"]
    assert t == {"count": 1, "revenue": "39.80", "revenue_net": "24.80"}

    r = shop.server.post("/v1/orders/1001/cancel", key=shop.key)
    assert r.status == 200 and r.json["status"] == "cancelled", r
    assert r.json["conversion"]["status"] == "cancelled"
    t = stats(shop).json["totals"]["assisted"]
    assert t == {"count": 0, "revenue": "0.00", "revenue_net": "0.00"}
    assert shop.server.post("/v1/orders/9999/cancel", key=shop.key).status == 404
    r = shop.server.post("/v1/orders/1001/refunds", {"amount": "24.80"}, key=shop.key)
    assert r.status == 200 and r.json["refunded"] == "39.80"


def test_orders_that_arrive_cancelled_or_refunded(world):
    """§2's status and refunded in: the order and its conversion as the cancel and refund
    calls would leave them, and the stats so."""
    shop = world
    r = post_order(shop, dict(ORDER, status="cancelled"))
    assert r.status == 201 and r.json["status"] == "cancelled", r
    assert r.json["conversion"]["status"] == "cancelled"
    t = stats(shop).json["totals"]["assisted"]
    assert t == {"count": 0, "revenue": "0.00", "revenue_net": "0.00"}
    # the notification converted once (cancelled): a second order does not convert it again
    r = post_order(shop, dict(ORDER, order_number="1002"))
    assert r.status == 201 and r.json["conversion"] is None, r


@pytest.mark.parametrize("extra,status,refunded,net", [
    ({"refunded": "10.00"}, "placed", "10.00", "29.80"),
    ({"status": "refunded"}, "refunded", "39.80", "0.00"),
    ({"refunded": "39.80"}, "refunded", "39.80", "0.00"),
    ({"status": "placed", "refunded": "0"}, "placed", "0.00", "39.80"),
])
def test_orders_that_arrive_refunded(world, extra, status, refunded, net):
    shop = world
    r = post_order(shop, dict(ORDER, **extra))
    assert r.status == 201, r
    assert (r.json["status"], r.json["refunded"]) == (status, refunded)
    assert r.json["conversion"]["net"] == net and r.json["conversion"]["status"] == "counted"
    t = stats(shop).json["totals"]["assisted"]
    assert t == {"count": 1, "revenue": "39.80", "revenue_net": net}
    if status == "placed":  # what is left can still be refunded
        left = shop.server.post("/v1/orders/1001/refunds", {"amount": net}, key=shop.key)
        assert left.status == 200 and left.json["status"] == "refunded", left


def test_an_order_in_another_currency_converts_without_revenue(world):
    """restock has no exchange rates: an order in another currency than the shop's is a
    conversion with its own amount, but adds nothing to the shop's revenue (its minor units
    were summed as euro cents)."""
    shop = world
    r = post_order(shop, dict(ORDER, total="5000", currency="JPY",
                              items=[{"variant_id": "4471", "price": "5000"}]))
    assert r.status == 201 and r.json["conversion"]["amount"] == "5000", r
    t = stats(shop).json["totals"]["assisted"]
    assert t == {"count": 1, "revenue": "0.00", "revenue_net": "0.00"}


def test_a_currency_change_recounts_the_revenue(world):
    """Revenue counts the shop's currency only: after a change it is recounted in the new one,
    so cancelling an order of the old currency then takes nothing away that was not added."""
    shop = world
    assert post_order(shop, ORDER).status == 201
    eur = {"count": 1, "revenue": "39.80", "revenue_net": "39.80"}
    assert stats(shop).json["totals"]["assisted"] == eur
    assert shop.patch({"currency": "USD"}).status == 200
    s = stats(shop).json
    assert s["currency"] == "USD"
    assert s["totals"]["assisted"] == {"count": 1, "revenue": "0.00", "revenue_net": "0.00"}
    assert shop.server.post("/v1/orders/1001/cancel", key=shop.key).status == 200
    zero = {"count": 0, "revenue": "0.00", "revenue_net": "0.00"}
    assert stats(shop).json["totals"]["assisted"] == zero
    assert shop.patch({"currency": "EUR"}).status == 200
    assert stats(shop).json["totals"]["assisted"] == zero  # not -39.80, nor a stale 39.80


def collect(shop, body, content_type="text/plain"):
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return shop.server.post(COLLECT, raw, content_type=content_type)


def test_collect_contract(world):
    shop = world
    body = {"websiteUuid": shop.id.upper(), "trackingUserId": "trk", "total": 39.8,
            "orderNumber": 5001, "email": "ADA@example.com", "customerId": "",
            "urls": ["https://shop.example/products/tee?variant=1"]}
    r = collect(shop, body)
    assert r.status == 200 and r.body == b'{"success":true,"message":"Conversion tracked"}', r
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    o = get_order(shop, "5001").json
    assert o["source"] == "collect" and o["total"] == "39.80"
    assert o["conversion"]["kind"] == "assisted"
    # the same order again, and through the admin API: nothing changes
    assert collect(shop, body, "application/json").status == 200
    r = post_order(shop, dict(ORDER, order_number="5001"))
    assert r.status == 200 and r.json == o


def test_collect_rounds_a_floating_point_total(world):
    """A browser's 19.9 * 3 is 59.699999999999996: the conversion is tracked at 59.70."""
    shop = world
    body = {"websiteUuid": shop.id, "orderNumber": "F-1", "total": 19.9 * 3,
            "email": "ada@example.com", "productNumbers": ["TEE-RED-M"]}
    r = collect(shop, json.dumps(body))
    assert r.status == 200 and r.json == {"success": True, "message": "Conversion tracked"}, r
    assert get_order(shop, "F-1").json["total"] == "59.70"


@pytest.mark.parametrize("body,status,message", [
    ({"websiteUuid": "00000000-0000-4000-8000-000000000000", "orderNumber": "1", "total": 1,
      "productNumbers": ["TEE-RED-M"]}, 400, "Website not found"),
    ({"websiteUuid": "nope", "orderNumber": "1", "total": 1, "productNumbers": ["x"]}, 400,
     "Website not found"),
    ({"orderNumber": "1", "total": 1, "productNumbers": ["x"]}, 400, "Website not found"),
])
def test_collect_unknown_website(world, body, status, message):
    r = collect(world, body)
    assert r.status == status and r.json == {"success": False, "message": message}, r


def test_collect_bad_input_changes_nothing(world):
    shop = world
    good = {"websiteUuid": shop.id, "orderNumber": "7", "total": "10.00",
            "productNumbers": ["TEE-RED-M"], "email": "ada@example.com"}
    bad = [
        {k: v for k, v in good.items() if k != "productNumbers"},
        dict(good, total="ten"),
        dict(good, total=None),
        dict(good, total=-0.004),  # refused before rounding, not taken as 0
        dict(good, total=-1.5),
        dict(good, email="nope"),
        {k: v for k, v in good.items() if k != "orderNumber"},
        dict(good, urls="https://shop.example/products/tee"),
        dict(good, total="100000000000.00"),
        dict(good, total=1e11),
        dict(good, orderNumber="#"),
        dict(good, customerId=1.5),
        dict(good, trackingUserId={"id": "t1"}),
    ]
    for b in bad:
        r = collect(shop, b)
        assert r.status == 400, (b, r)
        assert set(r.json) == {"success", "message"} and r.json["success"] is False, r
        assert r.json["message"], r
    for raw, ctype in [(b"{bad json", "text/plain"), (b"[]", "text/plain"),
                       (json.dumps(good).encode(), "image/png")]:
        r = collect(shop, raw, ctype)
        assert r.status == 400 and r.json["success"] is False, r
    assert get_order(shop, "7").status == 404
    assert collect(shop, good).status == 200
    assert get_order(shop, "7").json["conversion"]["kind"] == "assisted"


def test_stats_validation_and_empty_days(world):
    shop = world
    for q, field in [({"from": "2026-13-01"}, "from"), ({"to": "x"}, "to"),
                     ({"from": "2026-01-10", "to": "2026-01-09"}, "to"),
                     ({"from": "2025-01-01", "to": "2026-12-31"}, "to"),
                     ({"campaign": "abc"}, "campaign")]:
        r = stats(shop, **q)
        assert r.status == 400 and r.error["message"].startswith(field), (q, r)
    r = shop.server.get("/v1/stats?to=2026-01-01", key=shop.key)
    assert r.status == 400 and r.error["message"].startswith("from")
    r = stats(shop, **{"from": "2020-02-27", "to": "2020-03-01"})
    assert r.status == 200
    assert [d["date"] for d in r.json["days"]] == ["2020-02-27", "2020-02-28", "2020-02-29",
                                                   "2020-03-01"]
    zero = {"count": 0, "revenue": "0.00", "revenue_net": "0.00"}
    assert all(d["sent"] == 0 and d["direct"] == zero for d in r.json["days"])
    t = r.json["totals"]  # nothing sent: no rate is defined
    assert t["open_rate"] is None and t["click_rate"] is None and t["conversion_rate"] is None
    assert shop.server.get("/v1/stats?from=2026-01-01&to=2026-01-02").status == 401
    # a campaign id that is not one of the shop's is a 404, not a page of zeros
    cid = notifications(shop)[0]["campaign_id"]
    assert stats(shop, campaign=cid).status == 200
    r = stats(shop, campaign=cid + 1000)
    assert r.status == 404 and r.error["message"].startswith("campaign"), r


def test_import_orders(world, restock, tmp_path):
    shop = world
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    csv = tmp_path / "orders.csv"
    csv.write_text(
        "order_number,total,email,created_at,product_number,quantity,price\n"
        f"I-1,39.80,ada@example.com,{now},TEE-RED-M,1,19.90\n"
        f"I-1,39.80,ada@example.com,{now},TEE-RED-L,1,19.90\n"
        f"I-2,abc,ada@example.com,{now},TEE-RED-M,1,1\n"
        "I-3,5.00,bob@example.com,2026-01-02T03:04:05Z,TEE-RED-M,1,5\n")
    p = restock.cli("import-orders", "--shop", shop.id, str(csv), "--db", restock.db)
    assert p.returncode == 2, p
    assert "orders.csv:4: total" in p.stderr
    summary = json.loads(p.stdout)
    assert summary == {"created": 2, "existing": 0, "ignored": 0, "conversions": 1,
                       "bad_lines": 1}
    time.sleep(0.2)  # another process's writes show on the server's readers within 50 ms
    o = get_order(shop, "I-1").json
    assert [i["variant_id"] for i in o["items"]] == ["4471", "4472"]
    assert o["source"] == "import" and o["conversion"]["kind"] == "assisted"
    assert get_order(shop, "I-3").json["created_at"] == "2026-01-02T03:04:05Z"

    jl = tmp_path / "orders.jsonl"
    jl.write_text(json.dumps(dict(ORDER, order_number="I-1", created_at=now)) + "\n\n"
                  + json.dumps(dict(ORDER, order_number="J-1", email="z@example.com",
                                    created_at=now)) + "\n")
    p = restock.cli("import-orders", "--shop", shop.id, str(jl), "--db", restock.db)
    assert p.returncode == 0, p
    assert json.loads(p.stdout) == {"created": 1, "existing": 1, "ignored": 0, "conversions": 0,
                                    "bad_lines": 0}
    p = restock.cli("import-orders", "--shop", shop.id, "--db", restock.db)
    assert p.returncode == 2 and p.stderr.count("\n") == 1
    p = restock.cli("import-orders", "--shop", "00000000-0000-4000-8000-000000000000", str(jl),
                    "--db", restock.db)
    assert p.returncode == 2 and "no shop" in p.stderr


def test_import_orders_requires_created_at(world, restock, tmp_path):
    """A historic order is not dated at its import (which would attribute a years-old order to
    this week's notifications): created_at is required, unlike POST /v1/orders's default."""
    shop = world
    csv = tmp_path / "orders.csv"
    csv.write_text("order_number,total,email,variant_id\nH-1,19.90,ada@example.com,4471\n")
    p = restock.cli("import-orders", "--shop", shop.id, str(csv), "--db", restock.db)
    assert p.returncode == 2 and p.stdout == "", p
    assert "line 1: the header needs order_number, total and created_at" in p.stderr, p
    csv.write_text("order_number,total,email,created_at,variant_id\n"
                   "H-1,19.90,ada@example.com,,4471\n"
                   "H-2,19.90,ada@example.com,2020-01-02T03:04:05Z,4471\n")
    jl = tmp_path / "orders.jsonl"
    jl.write_text(json.dumps(dict(ORDER, order_number="H-3")) + "\n")
    for f, line, created in ((csv, 2, 1), (jl, 1, 0)):
        p = restock.cli("import-orders", "--shop", shop.id, str(f), "--db", restock.db)
        assert p.returncode == 2, p
        assert f"{f.name}:{line}: created_at: required for an import" in p.stderr, p
        assert json.loads(p.stdout)["created"] == created
    time.sleep(0.2)  # another process's writes show on the server's readers within 50 ms
    assert get_order(shop, "H-1").status == 404 and get_order(shop, "H-3").status == 404
    h2 = get_order(shop, "H-2").json
    assert h2["created_at"] == "2020-01-02T03:04:05Z" and h2["conversion"] is None


def test_import_orders_rejects_an_order_with_a_malformed_row(world, restock, tmp_path):
    """A malformed row rejects its whole order (reported, naming it; its other rows skipped),
    the orders around it are imported, and after mending the row a second import completes
    it. The file starts with the byte order mark a spreadsheet writes, and carries §2's status
    and refunded."""
    shop = world
    wide = ",".join(["x"] * 40)
    csv = tmp_path / "orders.csv"
    csv.write_bytes(
        b"\xef\xbb\xbforder_number,total,email,status,refunded,variant_id,quantity,created_at\n"
        b"A-1,19.90,bob@example.com,,,4471,1,2026-01-02T03:04:05Z\n"
        b"B-1,39.80,cy@example.com,,,4471,1,2026-01-02T03:04:05Z\n"
        + f"B-1,{wide}\n".encode()
        + b"B-1,39.80,cy@example.com,,,4472,1,2026-01-02T03:04:05Z\n"
        b"C-1,19.90,di@example.com,cancelled,,4471,1,2026-01-02T03:04:05Z\n"
        b"D-1,19.90,ed@example.com,,5.00,4471,1,2026-01-02T03:04:05Z\n"
        + f"E-1,{wide}\n".encode()
        + b"E-1,19.90,fi@example.com,,,4472,1,2026-01-02T03:04:05Z\n"
        b"F-1,19.90,gu@example.com,,,4472,1,2026-01-02T03:04:05Z\n")
    p = restock.cli("import-orders", "--shop", shop.id, str(csv), "--db", restock.db)
    assert p.returncode == 2, p
    assert "orders.csv:4: 41 cells, the header has 8 (order B-1 is not imported" in p.stderr, p
    assert "orders.csv:8: 41 cells, the header has 8 (order E-1 is not imported" in p.stderr, p
    assert json.loads(p.stdout) == {"created": 4, "existing": 0, "ignored": 0, "conversions": 0,
                                    "bad_lines": 2}
    time.sleep(0.2)  # another process's writes show on the server's readers within 50 ms
    assert get_order(shop, "B-1").status == 404
    assert get_order(shop, "E-1").status == 404
    assert get_order(shop, "C-1").json["status"] == "cancelled"
    assert get_order(shop, "D-1").json["refunded"] == "5.00"
    assert [i["variant_id"] for i in get_order(shop, "F-1").json["items"]] == ["4472"]

    mended = b"B-1,39.80,cy@example.com,,,9000,1,2026-01-02T03:04:05Z"
    csv.write_bytes(csv.read_bytes().replace(f"B-1,{wide}".encode(), mended))
    p = restock.cli("import-orders", "--shop", shop.id, str(csv), "--db", restock.db)
    assert p.returncode == 2 and "order E-1" in p.stderr and "B-1" not in p.stderr, p
    assert json.loads(p.stdout)["created"] == 1
    time.sleep(0.2)
    items = get_order(shop, "B-1").json["items"]
    assert [i["variant_id"] for i in items] == ["4471", "9000", "4472"]


def test_import_orders_an_oversize_cell_keeps_the_columns_in_place(world, restock, tmp_path):
    """A cell over 64 KiB makes its row bad without shifting the cells after it: the order it
    belongs to is the one rejected, the one before is imported whole."""
    shop = world
    csv = tmp_path / "orders.csv"
    csv.write_text("email,order_number,total,variant_id,created_at\n"
                   "bob@example.com,K-1,19.90,4471,2026-01-02T03:04:05Z\n"
                   "bob@example.com,K-1,19.90,4472,2026-01-02T03:04:05Z\n"
                   + "x" * 70000 + ",K-2,39.80,4471,2026-01-02T03:04:05Z\n"
                   "cy@example.com,K-2,39.80,4472,2026-01-02T03:04:05Z\n")
    p = restock.cli("import-orders", "--shop", shop.id, str(csv), "--db", restock.db)
    assert p.returncode == 2, p
    assert ("orders.csv:4: email: a field longer than 65536 bytes (order K-2 is not imported"
            in p.stderr), p
    assert json.loads(p.stdout)["created"] == 1
    time.sleep(0.2)
    assert [i["variant_id"] for i in get_order(shop, "K-1").json["items"]] == ["4471", "4472"]
    assert get_order(shop, "K-2").status == 404


@pytest.mark.parametrize("source", ["file", "pipe"])
def test_import_orders_refuses_an_order_whose_rows_are_apart(world, restock, tmp_path, source):
    """Rows of one order that are not one after another (S-1, S-2, then S-1 again) refuse that
    order whole, named with the lines: nothing of it is stored (neither its first rows nor the
    later ones, as "existing"); the order between them is imported. A pipe, which cannot be
    read twice, is copied to a temporary file first."""
    shop = world
    at = "2020-01-02T03:04:05Z"
    rows = ("order_number,total,created_at,email,variant_id\n"
            f"S-1,39.80,{at},ada@example.com,4471\n"
            f"S-1,39.80,{at},ada@example.com,4472\n"
            f"S-2,19.90,{at},bob@example.com,4471\n"
            f"S-1,39.80,{at},ada@example.com,9000\n")
    if source == "file":
        (tmp_path / "orders.csv").write_text(rows)
        p = restock.cli("import-orders", "--shop", shop.id, str(tmp_path / "orders.csv"),
                        "--db", restock.db)
    else:
        p = restock.cli("import-orders", "--shop", shop.id, "/dev/stdin", "--db", restock.db,
                        input=rows)
    assert p.returncode == 2, p
    assert (":2: order S-1 is not imported: its rows are not one after another (again at line 5)"
            in p.stderr), p
    assert p.stderr.count("\n") == 2, p  # that one, and the count of bad records
    assert json.loads(p.stdout) == {"created": 1, "existing": 0, "ignored": 0, "conversions": 0,
                                    "bad_lines": 1}
    time.sleep(0.2)  # another process's writes show on the server's readers within 50 ms
    assert get_order(shop, "S-1").status == 404
    assert [i["variant_id"] for i in get_order(shop, "S-2").json["items"]] == ["4471"]


@pytest.mark.parametrize("head", [b"\xef\xbb", b"\xef\xbbX"])
def test_import_orders_refuses_a_broken_byte_order_mark(world, restock, tmp_path, head):
    f = tmp_path / "orders.csv"
    f.write_bytes(head + b"order_number,total,variant_id\nA-1,1.00,4471\n")
    p = restock.cli("import-orders", "--shop", world.id, str(f), "--db", restock.db)
    assert p.returncode == 2 and "line 1" in p.stderr, p


def test_import_orders_a_file_that_cannot_be_read_is_a_runtime_failure(world, restock, tmp_path):
    """A read error is not the end of the file: FILE a directory (which opens but cannot be read)
    is exit 1 with one line saying what and why, and no summary."""
    p = restock.cli("import-orders", "--shop", world.id, str(tmp_path), "--db", restock.db)
    assert p.returncode == 1, p
    assert p.stdout == "" and p.stderr.count("\n") == 1, p
    assert f"import-orders: {tmp_path}: cannot read: Is a directory" in p.stderr, p


def test_another_shop_sees_nothing_and_cannot_use_the_token(world, restock):
    shop = world
    assert post_order(shop, ORDER).status == 201
    other = lib.Shop(shop.server, restock.add_shop(name="Other", url="https://other.example"))
    assert other.catalog([{"variant_id": "4471", "available": 0}]).status == 200
    assert get_order(other, "1001").status == 404
    r = post_order(other, dict(ORDER, order_number="X-1",
                               note_attributes={"restock": world.click_token}))
    assert r.status == 201 and r.json["conversion"] is None, r
    assert stats(other).json["totals"]["sent"] == 0
    r = collect(other, {"websiteUuid": other.id, "orderNumber": "1001", "total": "5.00",
                        "email": "ada@example.com", "productNumbers": ["TEE-RED-M"]})
    assert r.status == 200  # a separate order of that shop: the first shop's is untouched
    assert get_order(shop, "1001").json["total"] == "39.80"


def test_shopify_order_webhooks_convert_cancel_and_refund(world):
    """orders/create from Shopify's webhook is attributed like POST /v1/orders (the same order
    again from orders/paid changes nothing); orders/cancelled and refunds/create reach it."""
    from test_ingest import hook
    shop = world
    oid = 5678901234567890123
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    payload = {"id": oid, "email": "Ada@Example.com", "created_at": now,
               "currency": "EUR", "total_price": "39.80", "name": "#2001",
               "order_number": 2001, "test": False, "note_attributes": [],
               "customer": {"id": 7005551234567890123, "email": "Ada@Example.com"},
               "line_items": [{"id": 1, "variant_id": 4471, "quantity": 2, "price": "19.90"}]}
    assert hook(shop, "orders/create", payload, event_id="e1").status == 200
    assert hook(shop, "orders/paid", payload, event_id="e2").status == 200
    o = get_order(shop, "2001")
    assert o.status == 200, o
    assert o.json["conversion"]["kind"] == "assisted" and o.json["conversion"]["amount"] == "39.80"
    refund = {"id": 1, "order_id": oid, "created_at": "2026-11-25T10:00:00+01:00",
              "transactions": [{"id": 1, "order_id": oid, "kind": "refund", "status": "success",
                                "amount": "10.00", "currency": "EUR"}]}
    assert hook(shop, "refunds/create", refund, event_id="e3").status == 200
    t = stats(shop).json["totals"]
    assert t["assisted"] == {"count": 1, "revenue": "39.80", "revenue_net": "29.80"}
    assert hook(shop, "orders/cancelled", payload, event_id="e4").status == 200
    assert get_order(shop, "2001").json["conversion"]["status"] == "cancelled"
    assert stats(shop).json["totals"]["assisted"]["count"] == 0


def shopify_order(number, oid, **extra):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return dict({"id": oid, "email": "Ada@Example.com", "created_at": now, "currency": "EUR",
                 "total_price": "39.80", "name": f"#{number}", "order_number": number,
                 "test": False, "note_attributes": [],
                 "line_items": [{"id": 1, "variant_id": 4471, "quantity": 2, "price": "19.90"}]},
                **extra)


def test_shopify_cancel_before_its_create_is_kept(world):
    """Shopify does not deliver webhooks in order: an orders/cancelled for an order restock has
    not seen is acknowledged and records the order (its body is the whole order) as cancelled,
    with its event id, so its retry is a duplicate and the late orders/create changes
    nothing. Before, it was answered 404 with its event id committed, and the create then
    counted the cancelled order."""
    from test_ingest import hook
    shop = world
    cancelled = shopify_order(2101, 5678901234567892101,
                              cancelled_at="2026-12-01T10:00:00Z", financial_status="voided")
    r = hook(shop, "orders/cancelled", cancelled, event_id="c1")
    assert r.status == 200 and r.json["outcome"] == "order recorded as cancelled", r
    again = hook(shop, "orders/cancelled", cancelled, event_id="c1")
    assert again.status == 200 and again.json.get("duplicate") is True, again
    o = get_order(shop, "2101").json
    assert o["status"] == "cancelled" and o["conversion"]["status"] == "cancelled", o
    late = hook(shop, "orders/create", shopify_order(2101, 5678901234567892101), event_id="c2")
    assert late.status == 200, late
    assert get_order(shop, "2101").json == o
    t = stats(shop).json["totals"]
    assert t["assisted"]["count"] == 0 and t["direct"]["count"] == 0, t
    # an orders/create delivered after the cancel carries cancelled_at: recorded cancelled too
    r = hook(shop, "orders/create", shopify_order(2102, 5678901234567892102,
                                                  cancelled_at="2026-12-01T11:00:00Z"))
    assert r.status == 200 and get_order(shop, "2102").json["status"] == "cancelled", r


def test_shopify_refund_in_another_currency_is_acknowledged_and_ignored(world):
    """A refund whose transactions are in another currency than the order's cannot be applied
    (restock has no exchange rates): it is acknowledged, so Shopify stops retrying, and the
    order is unchanged. Before, a JPY refund of a EUR order was refused 400 for ever, and a
    USD one was taken off the euro total as if it were euros."""
    from test_ingest import hook
    shop = world
    oid = 5678901234567892201
    assert hook(shop, "orders/create", shopify_order(2201, oid)).status == 200
    for cur, amount in (("JPY", "1000"), ("USD", "10.00")):
        refund = {"id": 7, "order_id": oid, "transactions": [
            {"id": 1, "order_id": oid, "kind": "refund", "status": "success", "amount": amount,
             "currency": cur}]}
        r = hook(shop, "refunds/create", refund)
        assert r.status == 200 and "another currency" in r.json["outcome"], (cur, r)
    o = get_order(shop, "2201").json
    assert o["refunded"] == "0.00" and o["status"] == "placed", o
    eur = {"id": 8, "order_id": oid, "transactions": [
        {"id": 1, "order_id": oid, "kind": "refund", "status": "success", "amount": "10.00",
         "currency": "EUR"}]}
    assert hook(shop, "refunds/create", eur).status == 200
    assert get_order(shop, "2201").json["refunded"] == "10.00"
    # Shopify Markets: the order in the shop's money, the buyer paid (and is refunded) in USD;
    # the line items say what the refund is in the shop's money, tax included
    usd = {"id": 9, "order_id": oid, "transactions": [
        {"id": 2, "order_id": oid, "kind": "refund", "status": "success", "amount": "11.00",
         "currency": "USD"}],
        "refund_line_items": [{"id": 1, "quantity": 1, "subtotal": "10.48", "subtotal_set": {
            "shop_money": {"amount": "8.00", "currency_code": "EUR"},
            "presentment_money": {"amount": "8.80", "currency_code": "USD"}},
            "total_tax_set": {"shop_money": {"amount": "2.00", "currency_code": "EUR"},
                              "presentment_money": {"amount": "2.20", "currency_code": "USD"}}}]}
    r = hook(shop, "refunds/create", usd)
    assert r.status == 200 and r.json["outcome"] == "refund recorded", r
    assert get_order(shop, "2201").json["refunded"] == "20.00"


def notified_twice(shop, sink, email):
    """email signs up for 4472 and 9000, both restock and are mailed (4472 first); their
    notifications, in that order."""
    for v in ("4472", "9000"):
        assert shop.signup(v, email=email).status == 201
        shop.set_stock(v, 5)
    sent = wait_for(lambda: [n for n in notifications(shop) if n["status"] == "sent"][1:]
                    if len([n for n in notifications(shop) if n["status"] == "sent"]) == 3
                    else None, what="both sent")
    return sorted(sent, key=lambda n: n["id"])


def purchase_event(shop, n, value):
    r = shop.server.post("/v1/events", {"msgHash": n["msg_hash"], "event": "purchase",
                                        "attributes": {"value": value}},
                         content_type="text/plain")
    assert r.status == 200, r


def conversions(shop):
    t = stats(shop).json["totals"]
    return t["direct"]["count"] + t["assisted"]["count"], t["assisted"]["revenue"]


BOTH = {"total": "29.80", "currency": "EUR",
        "items": [{"variant_id": "4472", "quantity": 1, "price": "19.90"},
                  {"variant_id": "9000", "quantity": 1, "price": "9.90"}]}


def test_a_purchase_as_an_event_on_one_notification_and_an_order_of_another_counts_once(
        world, sink):
    """bob was told of 4472 and of 9000 and buys both. The storefront reports the purchase as
    the goal event on the 4472 mail; the order converts the 9000 mail (the more recent). It is
    one purchase: the order's conversion stands and the event's is superseded, whichever
    arrives first. Before, it counted twice, 59.60 for a 29.80 purchase."""
    shop = world
    n4472, n9000 = notified_twice(shop, sink, "bob@example.com")
    purchase_event(shop, n4472, "29.80")
    assert conversions(shop) == (1, "29.80")
    r = post_order(shop, dict(BOTH, order_number="B-1", email="bob@example.com"))
    assert r.status == 201 and r.json["conversion"]["notification_id"] == n9000["id"], r
    assert conversions(shop) == (1, "29.80")
    # the event arriving after the order: the order has it already
    purchase_event(shop, n4472, "29.80")
    assert conversions(shop) == (1, "29.80")


def test_a_goal_event_after_the_order_of_the_purchase_counts_once(world, sink):
    shop = world
    n4472, n9000 = notified_twice(shop, sink, "carol@example.com")
    r = post_order(shop, dict(BOTH, order_number="C-1", email="carol@example.com"))
    assert r.status == 201 and r.json["conversion"]["notification_id"] == n9000["id"], r
    purchase_event(shop, n4472, "29.80")  # a hit, not a second conversion
    assert conversions(shop) == (1, "29.80")


def test_a_goal_event_outside_the_goal_window_is_no_conversion(world, restock):
    """A goal event converts only within the campaign goal's window_days of the send, as an
    order does (SPEC §5). Before, an event 30 days after a 10-day window still converted."""
    shop = world
    (n,) = notifications(shop)
    with sqlite3.connect(restock.db, timeout=10) as db:
        db.execute("UPDATE notifications SET sent_at = sent_at - 11 * 86400 WHERE id = ?",
                   (n["id"],))
    purchase_event(shop, n, "39.80")
    assert conversions(shop) == (0, "0.00")
    with sqlite3.connect(restock.db, timeout=10) as db:
        db.execute("UPDATE notifications SET sent_at = sent_at + 2 * 86400 WHERE id = ?",
                   (n["id"],))
    purchase_event(shop, n, "39.80")  # 9 days: inside
    assert conversions(shop) == (1, "39.80")


def test_one_order_number_however_it_is_spelt(world):
    """Shopify's webhooks say 1001 where its exports and storefronts say "#1001"; a CSV cell may
    carry a space. Every source and every lookup drops surrounding spaces and one leading '#',
    so they are one order, counted once. Before, "#1001", " 1001" and "1001" were three
    orders, and three conversions' worth of revenue."""
    shop = world
    r = post_order(shop, dict(ORDER, order_number="#1001"))
    assert r.status == 201 and r.json["order_number"] == "1001", r
    for spelt in (" 1001", "1001 ", "\t#1001\n", "##1001"):
        again = post_order(shop, dict(ORDER, order_number=spelt))
        assert again.status == 200 and again.json == r.json, (spelt, again)
    c = collect(shop, {"websiteUuid": shop.id, "orderNumber": "#1001", "total": "39.80",
                       "productNumbers": ["TEE-RED-M"], "email": "ada@example.com"})
    assert c.status == 200, c
    assert get_order(shop, "%231001").json == r.json
    assert shop.server.post("/v1/orders/%231001/refunds", {"amount": "1.00"},
                            key=shop.key).json["refunded"] == "1.00"
    t = stats(shop).json["totals"]
    assert t["assisted"] == {"count": 1, "revenue": "39.80", "revenue_net": "38.80"}, t


def test_a_refund_with_its_id_is_taken_once(world):
    """A refund carries its id (the API's optional refund_id, Shopify's refund id): sent again —
    a client's retry after a timeout, or the same refund from the webhook and the API — it
    changes nothing. Before, every call lowered the net again. Without an id, each call is a
    refund of its own."""
    from test_ingest import hook
    shop = world
    oid = 5678901234567892301
    assert hook(shop, "orders/create", shopify_order(2301, oid)).status == 200
    refund = {"id": 9001, "order_id": oid, "transactions": [
        {"id": 1, "order_id": oid, "kind": "refund", "status": "success", "amount": "5.00",
         "currency": "EUR"}]}
    assert hook(shop, "refunds/create", refund, event_id="r1").status == 200
    assert hook(shop, "refunds/create", refund, event_id="r2").status == 200  # new event, same refund
    path = "/v1/orders/2301/refunds"
    r = shop.server.post(path, {"amount": "5.00", "refund_id": 9001}, key=shop.key)
    assert r.status == 200 and r.json["refunded"] == "5.00", r
    for _ in range(2):
        r = shop.server.post(path, {"amount": "1.00", "refund_id": "R-2"}, key=shop.key)
        assert r.status == 200 and r.json["refunded"] == "6.00", r
    r = shop.server.post(path, {"amount": "1.00"}, key=shop.key)
    assert r.status == 200 and r.json["refunded"] == "7.00", r
    # a refused refund records no id: the same id with a valid amount is then taken
    r = shop.server.post(path, {"amount": "99.00", "refund_id": "R-3"}, key=shop.key)
    assert r.status == 400 and r.error["message"].startswith("amount"), r
    r = shop.server.post(path, {"amount": "2.00", "refund_id": "R-3"}, key=shop.key)
    assert r.status == 200 and r.json["refunded"] == "9.00", r
    r = shop.server.post(path, {"amount": "1.00", "refund_id": ""}, key=shop.key)
    assert r.status == 400 and r.error["message"].startswith("refund_id"), r
    t = stats(shop).json["totals"]
    assert t["assisted"]["revenue_net"] == "30.80", t


def test_migration_13_respells_stored_order_numbers(restock):
    """A database from before order numbers were spelt alike holds "#1001" and " 2002 ": the
    upgrade respells them, so lookups (which now drop the '#' and the spaces) find them and a
    re-sent order is still the same one. Where the new spelling is another order's already,
    that one is what lookups find and the other keeps its row."""
    info = restock.add_shop(name="Tee Shop", url="https://shop.example", currency="EUR")
    with sqlite3.connect(restock.db) as db:
        sid = db.execute("SELECT sid FROM shops").fetchone()[0]
        db.execute("DROP TABLE order_refunds")  # what migrations 13 to 16 add
        db.execute("DROP INDEX notifications_in_flight")
        db.execute("DROP INDEX campaigns_rewalk")
        db.execute("ALTER TABLE campaigns DROP COLUMN rewalk_at")
        for col in ("budget_units", "cap_day", "maybe_sent"):
            db.execute(f"ALTER TABLE notifications DROP COLUMN {col}")
        for number in ("#1001", " 2002 ", "#3003", "3003", "# 4004"):
            db.execute("INSERT INTO orders(shop_id, order_number, source, total, currency,"
                       " created_at, status, refunded, received_at) VALUES (?, ?, 'api', 1000,"
                       " 'EUR', 1, 0, 0, 1)", (sid, number))
        db.execute("PRAGMA user_version = 12")
    srv = restock.start()
    shop = lib.Shop(srv, info)
    for spelt in ("1001", "%231001", "2002", "4004", "%23%204004"):
        r = get_order(shop, spelt)
        assert r.status == 200 and r.json["total"] == "10.00", (spelt, r)
    again = post_order(shop, dict(ORDER, order_number="#1001"))
    assert again.status == 200 and again.json["order_number"] == "1001", again
    assert get_order(shop, "3003").status == 200
    srv.stop()
    with sqlite3.connect(restock.db) as db:
        numbers = sorted(n for (n,) in db.execute("SELECT order_number FROM orders"))
    assert numbers == ["#3003", "1001", "2002", "3003", "4004"], numbers


def test_import_orders_groups_rows_however_the_number_is_spelt(world, restock, tmp_path):
    """Consecutive CSV rows "#K-1" and " K-1" are one order, as order_parse spells both K-1.
    Before, the second row began a new order, found "existing", and its item was lost."""
    shop = world
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    csv = tmp_path / "orders.csv"
    csv.write_text("order_number,total,email,created_at,variant_id,quantity,price\n"
                   f"#K-1,39.80,ada@example.com,{now},4471,1,19.90\n"
                   f" K-1,39.80,ada@example.com,{now},4472,1,19.90\n")
    p = restock.cli("import-orders", "--shop", shop.id, str(csv), "--db", restock.db)
    assert p.returncode == 0, p
    assert json.loads(p.stdout)["created"] == 1, p.stdout
    time.sleep(0.2)
    o = get_order(shop, "K-1").json
    assert [i["variant_id"] for i in o["items"]] == ["4471", "4472"], o
