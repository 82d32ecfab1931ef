"""Tracking, end to end: the links of a delivered email (clicks /r/, the open pixel /o/), events
tied to a message (POST /v1/events) and the top events, against the real binary. Each click and
open is on disk before it is answered: the tests count the rows after stopping the server."""

import base64
import hashlib
import hmac
import os
import re
import sqlite3
import time
import urllib.parse

import pytest

import lib
from lib import wait_for

PUBLIC = "https://restock.test"
UTM = "utm_source=restock&utm_medium=email&utm_campaign=back-in-stock"
GIF_MAGIC = b"GIF89a"


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def make_token(secret, kind, nid):
    """token.h's format, made here from the server secret: for ids the server never signed."""
    raw = varint(nid)
    mac = hmac.new(secret, kind.encode() + raw, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(raw + mac).rstrip(b"=").decode()


def db_rows(restock, query):
    with sqlite3.connect(restock.db) as db:
        return db.execute(query).fetchall()


@pytest.fixture
def world(restock, sink):
    """A shop on a server that delivers email to the sink; the server secret, read before the
    server starts."""
    info = restock.add_shop(name="Tee Shop", url="https://shop.example", currency="EUR")
    secret = bytes.fromhex(db_rows(restock, "SELECT value FROM meta WHERE key='server_secret'")[0][0])
    srv = restock.start("--public-url", PUBLIC, "--smtp-url", f"smtp://127.0.0.1:{sink.port}",
                        "--workers", "2")
    shop = lib.Shop(srv, info)
    shop.secret = secret
    r = shop.catalog([
        {"variant_id": "4471", "title": "Organic Tee", "url": "https://shop.example/products/tee",
         "price": "19.90", "available": 0},
        {"variant_id": "5120", "title": "Odd Sock", "url": "https://evil.example/sock?x=1",
         "price": "5.00", "available": 0},
        {"variant_id": "6000", "title": "Hat", "price": "9.00", "available": 0}])
    assert r.status == 200, r
    return shop


def notifications(shop):
    r = shop.server.get("/v1/notifications", key=shop.key)
    assert r.status == 200, r
    return r.json["data"]


def deliver(shop, sink, variant, emails, quantity=1):
    """Signs the emails up for the variant, restocks it and waits for their mails; returns
    {email: (text body, html body)}."""
    before = len(sink.messages())
    for e in emails:
        assert shop.signup(variant, email=e, quantity=quantity).status == 201
    shop.set_stock(variant, 50)
    wait_for(lambda: len(sink.messages()) >= before + len(emails), what="the emails")
    out = {}
    for m in sink.messages()[before:]:
        msg = m.message
        out[m.rcpt_tos[0]] = (msg.get_body(("plain",)).get_content(),
                              msg.get_body(("html",)).get_content())
    return out


def path_of(url):
    assert url.startswith(PUBLIC + "/"), url
    return url[len(PUBLIC):]


def links(text, html):
    click = re.search(re.escape(PUBLIC) + r"/r/[A-Za-z0-9_-]+", text).group(0)
    pixel = re.search(re.escape(PUBLIC) + r"/o/[A-Za-z0-9_-]+", html).group(0)
    return path_of(click), path_of(pixel)


def assert_no_cookie(r):
    assert r.headers.get("Set-Cookie") is None


def test_click_redirects_after_recording(world, sink, restock):
    shop = world
    mails = deliver(shop, sink, "4471", ["ada@example.com"], quantity=2)
    click, pixel = links(*mails["ada@example.com"])
    (n,) = notifications(shop)
    assert n["status"] == "sent" and n["clicked_at"] is None and n["opened_at"] is None

    r = shop.server.get(click)
    assert r.status == 302, r
    assert r.headers["Location"] == f"https://shop.example/products/tee?{UTM}"
    assert r.headers["Cache-Control"] == "no-store"
    assert_no_cookie(r)
    (n,) = notifications(shop)
    assert n["clicked_at"] is not None
    assert n["opened_at"] == n["clicked_at"]  # a click is an open when none was seen
    first = n["clicked_at"]

    # the cart permalink with the subscription's quantity and the token as a cart attribute
    token = click.rsplit("/", 1)[1]
    r = shop.server.get(click + "?to=cart")
    assert r.status == 302
    assert r.headers["Location"] == (f"https://shop.example/cart/4471:2?attributes%5Brestock%5D="
                                     f"{token}&{UTM}")
    # any other destination is the product page
    r = shop.server.get(click + "?to=elsewhere")
    assert r.status == 302 and r.headers["Location"] == f"https://shop.example/products/tee?{UTM}"
    # HEAD (link checkers) answers the same and records nothing
    r = shop.server.request("HEAD", click)
    assert r.status == 302 and r.headers["Location"].startswith("https://shop.example/")

    time.sleep(1.1)
    assert shop.server.get(click).status == 302
    (n,) = notifications(shop)
    assert n["clicked_at"] == first  # the first click stays

    shop.server.stop()
    assert db_rows(restock, "SELECT count(*) FROM hits WHERE kind = 1") == [(4,)]


def test_bad_tokens_are_404(world, sink, restock):
    shop = world
    mails = deliver(shop, sink, "4471", ["ada@example.com"])
    click, pixel = links(*mails["ada@example.com"])
    (n,) = notifications(shop)
    token = click.rsplit("/", 1)[1]
    altered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    for path in (f"/r/{altered}", f"/r/{token}x", f"/r/{token[:-1]}", "/r/x",
                 "/r/" + pixel.rsplit("/", 1)[1],                    # an open token
                 "/r/" + n["msg_hash"],                              # a msg_hash
                 "/r/" + make_token(shop.secret, "r", n["id"] + 1000),  # no such notification
                 "/r/" + make_token(b"\x00" * 32, "r", n["id"])):    # another server's secret
        r = shop.server.get(path)
        assert r.status == 404, (path, r)
        assert r.error["code"] == "not_found" and "token" in r.error["message"]
        assert "Location" not in r.headers
    (n,) = notifications(shop)
    assert n["clicked_at"] is None
    # a token made with this server's secret for the real id works: the test's format is right
    assert shop.server.get("/r/" + make_token(shop.secret, "r", n["id"])).status == 302
    shop.server.stop()
    assert db_rows(restock, "SELECT count(*) FROM hits") == [(1,)]


def test_off_origin_variant_and_no_url(world, sink):
    shop = world
    mails = deliver(shop, sink, "5120", ["sock@example.com"])
    click, _ = links(*mails["sock@example.com"])
    r = shop.server.get(click)
    assert r.status == 302 and r.headers["Location"] == f"https://shop.example/?{UTM}"
    r = shop.server.get(click + "?to=cart")
    assert r.headers["Location"].startswith("https://shop.example/cart/5120:1?")
    mails = deliver(shop, sink, "6000", ["hat@example.com"])
    click, _ = links(*mails["hat@example.com"])
    r = shop.server.get(click)
    assert r.status == 302 and r.headers["Location"] == f"https://shop.example/?{UTM}"


def test_campaign_utm_is_encoded(world, sink):
    shop = world
    camps = shop.server.get("/v1/campaigns", key=shop.key).json["data"]
    cid = [c for c in camps if c["channel"] == "email"][0]["id"]
    # control characters never get in
    bad = shop.server.patch(f"/v1/campaigns/{cid}", {"utm": {"source": "a\r\nSet-Cookie: x=1"}},
                            key=shop.key)
    assert bad.status == 400 and "utm.source" in bad.error["message"]
    r = shop.server.patch(f"/v1/campaigns/{cid}", {"utm": {
        "source": "news letter", "medium": "e&mail=1#x", "campaign": "été", "content": "100%",
        "term": "a+b"}}, key=shop.key)
    assert r.status == 200, r
    mails = deliver(shop, sink, "4471", ["ada@example.com"])
    click, _ = links(*mails["ada@example.com"])
    r = shop.server.get(click)
    assert r.status == 302
    loc = r.headers["Location"]
    assert loc == ("https://shop.example/products/tee?utm_source=news%20letter"
                   "&utm_medium=e%26mail%3D1%23x&utm_campaign=%C3%A9t%C3%A9&utm_content=100%25"
                   "&utm_term=a%2Bb")
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
    assert q["utm_medium"] == ["e&mail=1#x"] and q["utm_campaign"] == ["été"]


def test_open_pixel(world, sink, restock):
    shop = world
    mails = deliver(shop, sink, "4471", ["ada@example.com"])
    _, pixel = links(*mails["ada@example.com"])
    r = shop.server.get(pixel)
    assert r.status == 200
    assert r.headers["Content-Type"] == "image/gif"
    assert r.body.startswith(GIF_MAGIC) and r.body.endswith(b";") and len(r.body) == 43
    assert r.body[6:10] == b"\x01\x00\x01\x00"  # 1×1
    assert r.headers["Cache-Control"] == "no-store, no-cache, must-revalidate"
    assert len(r.headers.get_all("Cache-Control")) == 1
    assert r.headers["Pragma"] == "no-cache" and r.headers["Expires"] == "0"
    assert_no_cookie(r)
    (n,) = notifications(shop)
    assert n["opened_at"] is not None and n["clicked_at"] is None
    gif = r.body
    assert shop.server.get(pixel).status == 200
    # a bad pixel token still draws the pixel, and records nothing
    for path in (pixel[:-2] + "zz", "/o/x", "/o/" + make_token(shop.secret, "o", n["id"] + 99),
                 "/o/" + n["msg_hash"]):
        r = shop.server.get(path)
        assert r.status == 200 and r.body == gif and r.headers["Content-Type"] == "image/gif"
    r = shop.server.request("HEAD", pixel)  # nor does a HEAD
    assert r.status == 200 and r.headers["Content-Type"] == "image/gif"
    shop.server.stop()
    assert db_rows(restock, "SELECT count(*) FROM hits WHERE kind = 0") == [(2,)]
    assert db_rows(restock, "SELECT count(*) FROM hits") == [(2,)]


def test_a_failed_sync_fails_every_later_write(world, sink, restock):
    """The WAL file gone under the running server, as an operator's mistake or a dying disk
    would leave it: what is written now can never be synced, so the next sync fails, and from
    then on no write is answered as done (a later fsync could pass though nothing before it
    reached the disk). The pixel still draws; /healthz tells."""
    shop = world
    mails = deliver(shop, sink, "4471", ["ada@example.com"])
    click, pixel = links(*mails["ada@example.com"])
    assert shop.server.get("/healthz").status == 200
    os.unlink(restock.db + "-wal")
    r = shop.server.get(click)
    assert r.status == 500 and r.error["code"] == "store_failed", r
    assert "Location" not in r.headers
    r = shop.server.get(pixel)
    assert r.status == 200 and r.body.startswith(GIF_MAGIC), r
    assert r.headers["Content-Type"] == "image/gif"
    for _ in range(2):  # and it stays failed
        assert shop.server.get(click).status == 500
        r = shop.signup("6000", email="bob@example.com")  # sold out: a sign-up is a write
        assert r.status == 500 and r.error["code"] == "store_failed", r
    r = shop.server.get("/healthz")
    assert r.status == 503 and "restarted" in r.error["message"], r
    assert "sync failed" in shop.server.log()


def test_events_hits_open_and_goal_conversion(world, sink, restock):
    shop = world
    mails = deliver(shop, sink, "4471", ["ada@example.com", "bob@example.com"])
    ada_click, _ = links(*mails["ada@example.com"])
    # which notification is Ada's: the one her click marks
    assert shop.server.get(ada_click).status == 302
    ada = [n for n in notifications(shop) if n["clicked_at"]][0]
    bob = [n for n in notifications(shop) if not n["clicked_at"]][0]

    def event(body, content_type="text/plain"):
        return shop.server.post("/v1/events", body, content_type=content_type)

    r = event({"msgHash": ada["msg_hash"], "event": "AddToCart", "attributes": {"sku": "TEE"}})
    assert r.status == 200 and r.json == {"ok": True}
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert event({"msgHash": ada["msg_hash"], "event": "AddToCart"},
                 content_type="application/json").status == 200
    assert event({"msgHash": ada["msg_hash"], "event": "purchase",
                  "attributes": {"value": "39.80", "order": "1001"}}).status == 200
    assert event({"msgHash": ada["msg_hash"], "event": "purchase",
                  "attributes": {"value": "99.00"}}).status == 200  # converts once
    assert event({"msgHash": bob["msg_hash"], "event": "open"}).status == 200  # a push open
    assert event({"msgHash": bob["msg_hash"], "event": "purchase",
                  "attributes": {"revenue": 12}}).status == 200

    # mistakes: 404 for a message nobody sent, 400 naming the field
    altered = ada["msg_hash"][:-2] + ("AA" if ada["msg_hash"][-2:] != "AA" else "BB")
    r = event({"msgHash": altered, "event": "x"})
    assert r.status == 404 and "msgHash" in r.error["message"]
    r = event({"msgHash": make_token(shop.secret, "h", 99999), "event": "x"})
    assert r.status == 404 and "msgHash" in r.error["message"]
    r = event({"msgHash": ada_click.rsplit("/", 1)[1], "event": "x"})  # a click token
    assert r.status == 404
    for body, field in (({"event": "x"}, "msgHash"),
                        ({"msgHash": ada["msg_hash"], "event": "add to cart"}, "event"),
                        ({"msgHash": ada["msg_hash"], "event": "x" * 65}, "event"),
                        ({"msgHash": ada["msg_hash"], "event": "x", "attributes": [1]},
                         "attributes"),
                        ({"msgHash": ada["msg_hash"], "event": "x",
                          "attributes": {"k": "v" * 5000}}, "attributes")):
        r = event(body)
        assert r.status == 400 and r.error["message"].startswith(field), (body, r)
    assert event(b"{", content_type="text/plain").status == 400

    after = {n["id"]: n for n in notifications(shop)}
    assert after[bob["id"]]["opened_at"] is not None and after[bob["id"]]["clicked_at"] is None

    # top events per message and per campaign
    r = shop.server.get(f"/v1/notifications/{ada['id']}/events", key=shop.key)
    assert r.status == 200
    assert r.json["data"] == [{"event": "AddToCart", "hits": 2}, {"event": "purchase", "hits": 2}]
    r = shop.server.get(f"/v1/campaigns/{ada['campaign_id']}/events", key=shop.key)
    assert r.json["data"] == [{"event": "purchase", "hits": 3}, {"event": "AddToCart", "hits": 2},
                              {"event": "open", "hits": 1}]
    assert shop.server.get("/v1/notifications/999999/events", key=shop.key).status == 404
    assert shop.server.get("/v1/campaigns/999999/events", key=shop.key).status == 404
    assert shop.server.get(f"/v1/notifications/{ada['id']}/events").status == 401

    shop.server.stop()
    conv = db_rows(restock, "SELECT notification_id, kind, amount, currency, order_id"
                            " FROM conversions ORDER BY notification_id")
    assert sorted(conv) == sorted([(ada["id"], 0, 3980, "EUR", 0), (bob["id"], 1, 1200, "EUR", 0)])
    assert db_rows(restock, "SELECT count(*) FROM hits WHERE kind = 2") == [(6,)]
    assert db_rows(restock, "SELECT attributes FROM hits WHERE kind = 2 AND name = 'AddToCart'"
                            " ORDER BY id") == [('{"sku":"TEE"}',), (None,)]
    # bob's push open is an open (kind 0) as well as an event hit
    assert db_rows(restock, f"SELECT count(*) FROM hits WHERE kind = 0"
                            f" AND notification_id = {bob['id']}") == [(1,)]


def test_conversions_off_and_other_shops(restock, sink):
    a = restock.add_shop(name="A", url="https://a.example")
    b = restock.add_shop(name="B", url="https://b.example")
    srv = restock.start("--public-url", PUBLIC, "--smtp-url", f"smtp://127.0.0.1:{sink.port}")
    sa, sb = lib.Shop(srv, a), lib.Shop(srv, b)
    for s in (sa, sb):
        assert s.catalog([{"variant_id": "1", "title": "T", "available": 0}]).status == 200
    assert sa.patch({"conversions_enabled": False}).status == 200
    deliver(sa, sink, "1", ["x@example.com"])
    deliver(sb, sink, "1", ["y@example.com"])
    (na,) = notifications(sa)
    (nb,) = notifications(sb)
    r = srv.post("/v1/events", {"msgHash": na["msg_hash"], "event": "purchase"})
    assert r.status == 200
    # another shop's notification is not this shop's to read
    assert srv.get(f"/v1/notifications/{nb['id']}/events", key=sa.key).status == 404
    assert srv.get(f"/v1/notifications/{na['id']}/events", key=sa.key).json["data"] == [
        {"event": "purchase", "hits": 1}]
    srv.stop()
    assert db_rows(restock, "SELECT count(*) FROM conversions") == [(0,)]


def test_over_the_address_limit_links_and_pixels_answer_and_count_first_ones(restock, sink):
    """Mail image proxies (Gmail's, Apple's) and office networks send many shoppers' opens and
    clicks from a few addresses. Over the per-address limit a pixel is still the GIF and a
    tracked link still the 302 to the shop, and each notification's first open and first click
    is still recorded; only repeats over the limit are not. Before, both answered 429 JSON and
    recorded nothing, so opens were lost and shoppers saw an error instead of the shop."""
    info = restock.add_shop(name="Tee Shop", url="https://shop.example", currency="EUR")
    srv = restock.start("--public-url", PUBLIC, "--smtp-url", f"smtp://127.0.0.1:{sink.port}",
                        "--rate-limit-ip", "3")
    shop = lib.Shop(srv, info)
    assert shop.catalog([{"variant_id": "4471", "title": "Tee", "price": "19.90",
                          "url": "https://shop.example/products/tee", "available": 0}]).status == 200
    mails = deliver(shop, sink, "4471", ["ada@example.com", "bob@example.com"])
    ada_click, ada_pixel = links(*mails["ada@example.com"])
    bob_click, bob_pixel = links(*mails["bob@example.com"])
    assert [shop.stock("4471").status for _ in range(2)] == [200, 429]  # 2 sign-ups, 1 stock
    for _ in range(3):
        r = srv.get(ada_pixel)
        assert r.status == 200 and r.headers["Content-Type"] == "image/gif", r
        r = srv.get(ada_click)
        assert r.status == 302 and r.headers["Location"].startswith(
            "https://shop.example/products/tee?"), r
    r = srv.get(bob_pixel)
    assert r.status == 200 and r.headers["Content-Type"] == "image/gif", r
    r = srv.get(bob_click + "?to=cart")
    assert r.status == 302 and "/cart/4471:1?" in r.headers["Location"], r
    ns = notifications(shop)
    assert len(ns) == 2 and all(n["opened_at"] and n["clicked_at"] for n in ns), ns
    assert shop.server.post("/v1/events", {"msgHash": "x", "event": "e"}).status == 429
    srv.stop()
    # the first open and first click of each: 2 opens, 2 clicks; no repeat was recorded
    assert db_rows(restock, "SELECT kind, count(*) FROM hits GROUP BY kind") == [(0, 2), (1, 2)]
