"""Shopify webhooks, XML product feeds and the clickstream (SPEC §7, §4 POST /v1/views), driven
over HTTP and the CLI with payloads in the shape of Shopify's documentation: ids over 2^53,
prices as strings, `available: null`, `test: true`; each signed with the shop's webhook_secret
as `shop add` printed it."""

import base64
import hashlib
import hmac
import json
import resource
import sqlite3
import subprocess
import uuid

import pytest

import lib

BIG_ITEM = 49148385181733801        # an inventory item id over 2^53
BIG_ITEM2 = 49148385181733803
BIG_VARIANT = 45283937034345791     # a variant id over 2^53
BIG_PRODUCT = 8934839023471932411   # near int64's top
LOC_A, LOC_B = 68842553411, 68842553412


def sign(secret, body):
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def hook(shop, topic, payload, secret=None, event_id=None, tamper=False, headers=None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    hdrs = {"X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(secret or shop.info["webhook_secret"], body),
            "X-Shopify-Shop-Domain": "shop0.myshopify.com"}
    if event_id:
        hdrs["X-Shopify-Event-Id"] = event_id
    if tamper:
        body = body.replace(b"1", b"2", 1)
    hdrs.update(headers or {})
    return shop.server.post(f"/webhooks/shopify/{shop.id}", body, content_type="application/json",
                            headers=hdrs)


def product(variants, pid=BIG_PRODUCT, handle="organic-tee", title="Organic Tee"):
    """products/update as Shopify's documentation shows it (abridged to what restock reads and
    a few it does not)."""
    return {
        "admin_graphql_api_id": f"gid://shopify/Product/{pid}", "body_html": "<p>Soft</p>",
        "created_at": "2026-11-01T10:00:00-05:00", "handle": handle, "id": pid,
        "product_type": "Shirts", "published_scope": "web", "status": "active", "tags": "",
        "title": title, "vendor": "Acme", "updated_at": "2026-11-24T10:00:00-05:00",
        "variants": variants,
        "options": [{"name": "Size", "position": 1, "values": ["M"]}],
        "images": [{"id": 36000000000000001, "src": "https://cdn.shopify.com/s/tee.jpg",
                    "variant_ids": [BIG_VARIANT]}],
        "image": {"id": 36000000000000002, "src": "https://cdn.shopify.com/s/main.jpg"},
    }


def shopify_variant(vid=BIG_VARIANT, item=BIG_ITEM, qty=0, price="19.90", compare="24.90",
                    title="Red / M"):
    return {"admin_graphql_api_id": f"gid://shopify/ProductVariant/{vid}", "barcode": None,
            "compare_at_price": compare, "created_at": "2026-11-01T10:00:00-05:00",
            "fulfillment_service": "manual", "id": vid, "inventory_item_id": item,
            "inventory_management": "shopify", "inventory_policy": "deny",
            "inventory_quantity": qty, "old_inventory_quantity": qty, "option1": "M",
            "position": 1, "price": price, "product_id": BIG_PRODUCT, "sku": "TEE-RED-M",
            "taxable": True, "title": title, "weight": 0.2, "weight_unit": "kg"}


def level(item, location, available):
    return {"inventory_item_id": item, "location_id": location, "available": available,
            "updated_at": "2026-11-24T10:00:00-05:00",
            "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{location}?inventory_item_id={item}"}


def variant(shop, vid):
    r = shop.variant(str(vid))
    assert r.status == 200, r
    return r.json


def test_product_then_inventory_levels_sum_and_restock(shop):
    r = hook(shop, "products/update", product([shopify_variant(qty=0)]))
    assert r.status == 200, r
    v = variant(shop, BIG_VARIANT)
    assert v["variant_id"] == str(BIG_VARIANT)           # exact, not through a double
    assert v["product_id"] == str(BIG_PRODUCT)
    assert v["inventory_item_id"] == str(BIG_ITEM)
    assert v["price"] == "19.90" and v["original_price"] == "24.90"
    assert v["url"] == "https://shop0.example/products/organic-tee"
    assert v["image_url"] == "https://cdn.shopify.com/s/tee.jpg"
    assert v["title"] == "Organic Tee" and v["variant_title"] == "Red / M"
    assert v["product_number"] == "TEE-RED-M" and v["category"] == "Shirts"
    assert v["available"] == 0 and v["status"] == "sold_out"

    assert shop.signup(str(BIG_VARIANT), email="ada@example.com").status == 201
    # location A: 2, location B: 3 → 5, one restock
    r = hook(shop, "inventory_levels/update", level(BIG_ITEM, LOC_A, 2))
    assert r.status == 200 and r.json["outcome"] == "stock updated", r
    r = hook(shop, "inventory_levels/update", level(BIG_ITEM, LOC_B, 3))
    assert r.status == 200, r
    assert variant(shop, BIG_VARIANT)["available"] == 5
    # an untracked location (available: null) is not a level: B's 3 leave the sum
    r = hook(shop, "inventory_levels/update", level(BIG_ITEM, LOC_B, None))
    assert r.status == 200, r
    assert variant(shop, BIG_VARIANT)["available"] == 2
    # a later products/update does not touch stock of a known variant
    r = hook(shop, "products/update", product([shopify_variant(qty=99, price="17.00")]))
    assert r.status == 200, r
    v = variant(shop, BIG_VARIANT)
    assert v["available"] == 2 and v["price"] == "17.00"
    # restocks: one (0 → 2)
    db = sqlite3.connect(shop.server.owner.db)
    assert db.execute("SELECT count(*) FROM restocks").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM inventory_levels").fetchone()[0] == 1
    db.close()


def test_unknown_item_level_is_kept_and_untracked_only_is_no_stock(shop):
    r = hook(shop, "inventory_levels/update", level(BIG_ITEM2, LOC_A, 4))
    assert r.status == 200 and "unknown" in r.json["outcome"], r
    hook(shop, "products/update", product([shopify_variant(item=BIG_ITEM2, qty=7)]))
    assert variant(shop, BIG_VARIANT)["available"] == 7     # new variant: Shopify's total
    r = hook(shop, "inventory_levels/update", level(BIG_ITEM2, LOC_A, None))
    assert r.status == 200 and r.json["outcome"].startswith("untracked"), r
    assert variant(shop, BIG_VARIANT)["available"] == 7


def test_signature_checked_before_anything(shop):
    hook(shop, "products/update", product([shopify_variant(qty=0)]))
    payload = level(BIG_ITEM, LOC_A, 9)
    for kw in ({"tamper": True}, {"secret": "not-the-secret"}):
        r = hook(shop, "inventory_levels/update", payload, **kw)
        assert r.status == 401, (kw, r)
        assert r.error["code"] == "unauthorized" or r.status == 401
    body = json.dumps(payload).encode()
    r = shop.server.post(f"/webhooks/shopify/{shop.id}", body,
                         headers={"X-Shopify-Topic": "inventory_levels/update"})
    assert r.status == 401, r
    # privacy topics too, and a malformed body is never looked at without a signature
    r = hook(shop, "customers/redact", {"customer": {"email": "ada@example.com"}},
             secret="wrong")
    assert r.status == 401, r
    r = shop.server.post(f"/webhooks/shopify/{shop.id}", b"{not json",
                         headers={"X-Shopify-Topic": "shop/redact",
                                  "X-Shopify-Hmac-Sha256": "AAAA"})
    assert r.status == 401, r
    assert variant(shop, BIG_VARIANT)["available"] == 0
    db = sqlite3.connect(shop.server.owner.db)
    assert db.execute("SELECT count(*) FROM inventory_levels").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM webhook_events").fetchone()[0] == 0
    db.close()


def test_repeated_event_id_is_acknowledged_and_ignored(shop):
    hook(shop, "products/update", product([shopify_variant(qty=0)]))
    r = hook(shop, "inventory_levels/update", level(BIG_ITEM, LOC_A, 3), event_id="ev-1")
    assert r.status == 200 and not r.json["duplicate"], r
    hook(shop, "inventory_levels/update", level(BIG_ITEM, LOC_A, 0), event_id="ev-2")
    r = hook(shop, "inventory_levels/update", level(BIG_ITEM, LOC_A, 3), event_id="ev-1")
    assert r.status == 200 and r.json["duplicate"], r
    assert variant(shop, BIG_VARIANT)["available"] == 0
    # X-Shopify-Webhook-Id counts when there is no event id
    hdr = {"X-Shopify-Webhook-Id": "wh-1"}
    hook(shop, "inventory_levels/update", level(BIG_ITEM, LOC_A, 4), headers=hdr)
    r = hook(shop, "inventory_levels/update", level(BIG_ITEM, LOC_A, 8), headers=hdr)
    assert r.json["duplicate"], r
    assert variant(shop, BIG_VARIANT)["available"] == 4


def test_unknown_topic_and_bad_payload(shop):
    r = hook(shop, "carts/update", {"id": 1})
    assert r.status == 200 and r.json["outcome"] == "topic ignored", r
    r = hook(shop, "inventory_levels/update", b"{\"inventory_item_id\":")
    assert r.status == 400, r
    r = hook(shop, "inventory_levels/update", {"location_id": 1, "available": 1})
    assert r.status == 400 and "inventory_item_id" in r.error["message"], r
    r = hook(shop, "inventory_levels/update", {"inventory_item_id": 1, "location_id": 1})
    assert r.status == 400 and r.error["message"].startswith("available"), r
    r = hook(shop, "products/update", {"id": 1, "variants": [{"id": 2, "price": [1]}]})
    assert r.status == 400 and "variants[0].price" in r.error["message"], r
    # a 20-digit id (beyond int64) is kept exact as text, not refused
    r = hook(shop, "products/update",
             product([shopify_variant(vid=12345678901234567890, qty=1)]))
    assert r.status == 200, r
    assert variant(shop, "12345678901234567890")["variant_id"] == "12345678901234567890"


def order(oid=5678901234567890123, number=1001, test=False, email="Ada@Example.com",
          token="tok123"):
    return {"id": oid, "admin_graphql_api_id": f"gid://shopify/Order/{oid}",
            "email": email, "created_at": "2026-11-24T11:00:00+01:00", "currency": "EUR",
            "total_price": "39.80", "subtotal_price": "39.80", "name": f"#{number}",
            "order_number": number, "test": test, "financial_status": "paid",
            "note_attributes": [{"name": "restock", "value": token}],
            "customer": {"id": 7005551234567890123, "email": email, "phone": "+4520123456",
                         "first_name": "Ada"},
            "line_items": [{"id": 1, "variant_id": BIG_VARIANT, "product_id": BIG_PRODUCT,
                            "sku": "TEE-RED-M", "quantity": 2, "price": "19.90",
                            "title": "Organic Tee"}]}


def test_order_topics_are_acknowledged(shop):
    """Every order topic is acknowledged, whatever attribution makes of it (an order of a
    variant nobody was told about converts nothing; tests/e2e/test_orders.py follows a
    Shopify order into a conversion)."""
    for topic in ("orders/create", "orders/paid", "orders/cancelled"):
        r = hook(shop, topic, order())
        assert r.status == 200, (topic, r)
    r = hook(shop, "orders/create", order(test=True))
    assert r.json["outcome"] == "test order ignored", r
    refund = {"id": 509562969, "order_id": 5678901234567890123, "created_at":
              "2026-11-25T10:00:00+01:00", "note": "too big", "refund_line_items": [],
              "transactions": [{"id": 1, "order_id": 5678901234567890123, "kind": "refund",
                                "status": "success", "amount": "19.90", "currency": "EUR"}]}
    r = hook(shop, "refunds/create", refund)
    assert r.status == 200, r
    r = hook(shop, "refunds/create", dict(refund, order_id=1))
    assert r.status == 200 and "never received" in r.json["outcome"], r
    r = hook(shop, "orders/create", dict(order(), total_price=12))
    assert r.status == 200, r
    r = hook(shop, "orders/create", dict(order(), total_price="12.345"))
    assert r.status == 400 and "total_price" in r.error["message"], r


def every_cell(db_path):
    """Every text value of every column of every table: (table, column, value)."""
    db = sqlite3.connect(db_path)
    out = []
    for (t,) in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'"):
        cols = [c[1] for c in db.execute(f'PRAGMA table_info("{t}")')]
        for row in db.execute(f'SELECT * FROM "{t}"'):
            for c, v in zip(cols, row):
                if isinstance(v, (str, bytes)):
                    out.append((t, c, v if isinstance(v, str) else v.decode("latin-1")))
    db.close()
    return out


def test_customer_redact_leaves_no_trace(shops, push_host):
    shop = shops(1, *lib.SMS_ARGS)[0]
    shop.add_variants({"A": 0, "B": 0})
    keys = lib.push_keys()
    endpoint = f"http://{push_host}/push/ada-endpoint"
    assert shop.signup("A", email="Ada@Example.com", first_name="Ada",
                       tracking_user_id="trk-ada", customer_id="7005551234567890123").status == 201
    assert shop.signup("B", channel="sms", phone="+4520123456").status == 201
    assert shop.signup("A", channel="webpush", push={"endpoint": endpoint, "keys": keys},
                       tracking_user_id="trk-ada").status == 201
    assert shop.signup("A", email="bob@example.com").status == 201
    for kind in ("view", "cart"):
        r = shop.server.post("/v1/views", {"shop": shop.id, "variant_id": "A", "kind": kind,
                                           "tracking_user_id": "trk-ada",
                                           "email": "ada@example.com"}, content_type="text/plain")
        assert r.status == 200, r
    before = len(shop.subs()) if hasattr(shop, "subs") else None
    # what attribution and the fan-out store of her: an order with her identity, a cap counter
    db = sqlite3.connect(shop.server.owner.db, timeout=10)
    sid = db.execute("SELECT sid FROM shops").fetchone()[0]
    db.execute("INSERT INTO orders(shop_id, order_number, source, total, currency, created_at,"
               " status, email, phone, customer_id, tracking_user_id, cart_token, received_at)"
               " VALUES (?, '1001', 'shopify', 3980, 'EUR', 1, 0, 'ada@example.com',"
               " '+4520123456', '7005551234567890123', 'trk-ada', 'tok-ada', 1)", (sid,))
    db.execute("INSERT INTO orders(shop_id, order_number, source, total, currency, created_at,"
               " status, email, received_at) VALUES (?, '1002', 'shopify', 100, 'EUR', 1, 0,"
               " 'bob@example.com', 1)", (sid,))
    db.execute("INSERT INTO caps VALUES (?, 1, 'ada@example.com', 20000, 1)", (sid,))
    db.commit()
    db.close()
    r = hook(shop, "customers/data_request",
             {"shop_id": 954889, "shop_domain": "shop0.myshopify.com",
              "orders_requested": [299938], "customer": {"id": 7005551234567890123,
                                                          "email": "ADA@example.com",
                                                          "phone": "+45 20 12 34 56"},
              "data_request": {"id": 9999}})
    assert r.status == 200, r
    req_id = r.json["outcome"].rsplit(" ", 1)[1]
    r = shop.server.get(f"/v1/privacy/requests/{req_id}", key=shop.key)
    assert r.status == 200, r
    assert r.json["email"] == "ada@example.com" and r.json["request_id"] == "9999"
    assert {s["variant_id"] for s in r.json["subscriptions"]} == {"A", "B"}

    r = hook(shop, "customers/redact",
             {"shop_id": 954889, "shop_domain": "shop0.myshopify.com",
              "customer": {"id": 7005551234567890123, "email": "ADA@example.com",
                           "phone": "+45 20 12 34 56"}, "orders_to_redact": [299938]})
    assert r.status == 200, r
    needles = ("ada@example.com", "+4520123456", "trk-ada", "ada-endpoint", "tok-ada",
               "7005551234567890123", keys["p256dh"], keys["auth"])
    for t, c, v in every_cell(shop.server.owner.db):
        for n in needles:
            assert n.lower() not in v.lower(), (t, c, v)
        # the first name is stored as given; lower-cased, "ada" would match random hex (secrets)
        assert "Ada" not in v, (t, c, v)
    # counts stay right: four subscriptions, bob's untouched, activity rows kept
    db = sqlite3.connect(shop.server.owner.db)
    assert db.execute("SELECT count(*) FROM subscriptions").fetchone()[0] == 4
    assert db.execute("SELECT count(*) FROM subscriptions WHERE email = 'bob@example.com'"
                      " AND status = 1").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM activity WHERE who = 'redacted'").fetchone()[0] >= 4
    assert db.execute("SELECT count(*), sum(total) FROM orders").fetchone() == (2, 4080)
    assert db.execute("SELECT email FROM orders WHERE order_number = '1002'").fetchone() == (
        "bob@example.com",)
    db.close()
    if before is not None:
        assert len(shop.subs()) == before


def test_shop_redact_erases_the_shop(shops):
    a, b = shops(2)
    a.add_variants({"A": 0})
    b.add_variants({"A": 0})
    assert a.signup("A", email="ada@example.com").status == 201
    assert b.signup("A", email="bob@example.com").status == 201
    hook(a, "inventory_levels/update", level(BIG_ITEM, LOC_A, 1), event_id="e1")
    r = hook(a, "shop/redact", {"shop_id": 954889, "shop_domain": "shop0.myshopify.com"})
    assert r.status == 200, r
    for t, c, v in every_cell(a.server.owner.db):
        assert a.id not in v and "ada@example.com" not in v, (t, c, v)
    assert b.variant("A").status == 200
    assert a.server.get("/v1/shop", key=a.key).status == 401
    r = hook(a, "inventory_levels/update", level(BIG_ITEM, LOC_A, 1))
    assert r.status == 404, r


def test_views_record_fill_in_and_never_restock(shop, push_host):
    shop.add_variants({"A": 0})
    post = lambda body: shop.server.post("/v1/views", dict({"shop": shop.id}, **body),
                                         content_type="text/plain")
    # unknown variant: filled in from the view, created sold out
    r = post({"variant_id": "N1", "kind": "view", "tracking_user_id": "t1",
              "title": "New Tee", "url": "https://shop0.example/products/new",
              "image_url": "https://cdn.example/n.jpg", "price": "9.90"})
    assert r.status == 200 and r.json["variant_created"], r
    v = variant(shop, "N1")
    assert v["title"] == "New Tee" and v["price"] == "9.90" and v["available"] == 0
    # the visitor cannot change what a trusted source set, nor point it elsewhere
    shop.catalog([{"variant_id": "N1", "title": "Trusted", "price": "12.00"}])
    post({"variant_id": "N1", "kind": "view", "tracking_user_id": "t1", "title": "Evil",
          "price": "0.01"})
    v = variant(shop, "N1")
    assert v["title"] == "Trusted" and v["price"] == "12.00" and v["available"] == 0
    r = post({"variant_id": "N2", "kind": "view", "tracking_user_id": "t1",
              "url": "https://evil.example/products/x"})
    assert r.status == 400 and "url" in r.error["message"], r
    assert shop.variant("N2").status == 404
    for bad, field in (({"kind": "buy", "tracking_user_id": "t"}, "kind"),
                       ({"kind": "view"}, "tracking_user_id"),
                       ({"kind": "view", "email": "nope"}, "email"),
                       ({"kind": "view", "push": {"endpoint": "https://evil.example/p",
                                                  "keys": lib.push_keys()}}, "push.endpoint")):
        r = post(dict({"variant_id": "A"}, **bad))
        assert r.status == 400 and r.error["message"].startswith(field), (bad, r)
    # CORS for storefronts
    r = post({"variant_id": "A", "kind": "cart", "tracking_user_id": "t1"})
    assert r.headers.get("Access-Control-Allow-Origin") == "*"
    db = sqlite3.connect(shop.server.owner.db)
    rows = db.execute("SELECT who, kind, variant_id FROM activity ORDER BY rowid").fetchall()
    db.close()
    assert ("t:t1", "view", "N1") in rows and ("t:t1", "cart", "A") in rows


def test_view_with_push_subscribes_for_a_sold_out_variant(shop, push_host):
    shop.add_variants({"A": 0, "B": 5})
    keys = lib.push_keys()
    push = {"endpoint": f"http://{push_host}/push/v1", "keys": keys}
    for kind in ("view", "wishlist"):
        r = shop.server.post("/v1/views", {"shop": shop.id, "variant_id": "A", "kind": kind,
                                           "push": push}, content_type="text/plain")
        assert r.status == 200 and "subscription" in r.json, r
    subs = shop.subs(variant_id="A")
    assert len(subs) == 1 and subs[0]["channel"] == "webpush" and subs[0]["source"] == "view"
    r = shop.server.post("/v1/views", {"shop": shop.id, "variant_id": "B", "kind": "view",
                                       "push": push}, content_type="text/plain")
    assert r.status == 200 and "subscription" not in r.json, r    # in stock: no subscription
    r = shop.server.post("/v1/views", {"shop": shop.id, "variant_id": "A", "kind": "cart",
                                       "push": push}, content_type="text/plain")
    assert "subscription" not in r.json, r


FEED_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">
<channel><title>Shop</title><link>https://shop0.example</link>
"""


def rss_item(i, availability="in stock", extra=""):
    return (f"<item><g:id>SKU{i}</g:id><g:item_group_id>G{i // 3}</g:item_group_id>"
            f"<g:title>Item {i}</g:title><g:link>https://shop0.example/p/{i}</g:link>"
            f"<g:image_link>https://cdn.example/{i}.jpg</g:image_link>"
            f"<g:price>19.90 EUR</g:price><g:availability>{availability}</g:availability>"
            f"<g:product_type>Shirts &gt; Tees</g:product_type>{extra}</item>\n")


def test_feed_upload_rss_with_broken_items(shop):
    shop.add_variants({"SKU1": 0})
    assert shop.signup("SKU1", email="ada@example.com").status == 201
    xml = (FEED_HEAD + rss_item(1) + rss_item(2, "out of stock") +
           "<item><g:title>no id</g:title><g:availability>in stock</g:availability></item>\n" +
           rss_item(3, "in stock", "<g:quantity>7</g:quantity><g:sale_price>9.95 EUR</g:sale_price>") +
           rss_item(4, "maybe") +
           rss_item(5).replace("19.90 EUR", "19,90") +
           rss_item(6, "preorder") + "</channel></rss>\n")
    r = shop.server.post("/v1/feeds/import", xml, key=shop.key, content_type="application/xml")
    assert r.status == 200, r
    assert r.json["items"] == 4 and r.json["bad"] == 3 and r.json["restocked"] == 1, r.json
    lines = {e["line"]: e["message"] for e in r.json["errors"]}
    assert lines == {6: "g:id: required",
                     8: "g:availability: must be in stock, out of stock, preorder or backorder",
                     9: lines.get(9)} and lines[9].startswith("g:price"), lines
    v = variant(shop, "SKU3")
    assert v["available"] == 7 and v["price"] == "9.95" and v["original_price"] == "19.90"
    assert v["product_id"] == "G1" and v["category"] == "Shirts > Tees"
    assert variant(shop, "SKU1")["available"] == 1       # in stock without quantity: 1
    assert variant(shop, "SKU2")["available"] == 0
    assert variant(shop, "SKU6")["available"] == 0
    r = shop.server.post("/v1/feeds/import?in_stock=3", FEED_HEAD + rss_item(9) + "</channel>",
                         key=shop.key, content_type="application/xml")
    assert r.status == 400 and "line" in r.error["message"], r
    assert variant(shop, "SKU9")["available"] == 3       # applied before the XML broke


def test_feed_atom_through_the_cli(restock):
    info = restock.add_shop(url="https://shop0.example")
    atom = """<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:g="http://base.google.com/ns/1.0">
 <title>Shop</title>
 <entry><g:id>A1</g:id><title>Atom Tee</title><link href="https://shop0.example/a1"/>
  <g:price>10.00 EUR</g:price><g:availability>in_stock</g:availability></entry>
 <entry><g:id>A2</g:id><g:title>Other</g:title><g:price>ten EUR</g:price>
  <g:availability>in stock</g:availability></entry>
</feed>
"""
    path = restock.dir / "feed.xml"
    path.write_text(atom)
    p = restock.cli("import-feed", "--shop", info["id"], "--db", restock.db, str(path))
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"items": 1, "created": 1, "updated": 0, "restocked": 0,
                                    "bad": 1}
    assert "line 6: g:price" in p.stderr
    db = sqlite3.connect(restock.db)
    row = db.execute("SELECT title, url, price, available FROM variants").fetchone()
    db.close()
    assert row == ("Atom Tee", "https://shop0.example/a1", 1000, 1)
    p = restock.cli("import-feed", "--shop", str(uuid.uuid4()), "--db", restock.db, str(path))
    assert p.returncode == 2 and "no shop" in p.stderr
    # a file that is not there, or a directory: bad input (exit 2), one line saying which
    for arg, words in (("/nonexistent.xml", "cannot be opened"),
                       (str(restock.dir), "is a directory")):
        p = restock.cli("import-feed", "--shop", info["id"], "--db", restock.db, arg)
        assert p.returncode == 2, p
        assert p.stdout == "" and p.stderr.count("\n") == 1, p.stderr
        assert p.stderr.startswith(f"restock: {arg}: {words}"), p.stderr


def test_feed_of_a_million_items_streams_in_bounded_memory(restock):
    """1,000,000 items generated on the fly into a file; the import's peak RSS stays bounded."""
    info = restock.add_shop(url="https://shop0.example")
    path = restock.dir / "big.xml"
    with open(path, "w") as f:
        f.write(FEED_HEAD)
        for i in range(1_000_000):
            f.write(f"<item><g:id>{i}</g:id><g:title>T{i}</g:title>"
                    f"<g:price>1.00 EUR</g:price><g:availability>in stock</g:availability>"
                    f"</item>\n")
        f.write("</channel></rss>\n")
    # the optimised binary (the sanitizer build's shadow memory would dominate the RSS)
    binary = lib.ROOT / "build" / "restock"
    if not binary.exists():
        subprocess.run(["make", "-s", "-C", str(lib.ROOT), "all"], check=True, timeout=600)
    p = subprocess.run(["/usr/bin/time", "-f", "maxrss_kb=%M", str(binary), "import-feed", "--shop",
                        info["id"], "--db", restock.db, str(path)], capture_output=True,
                       text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    assert json.loads(p.stdout)["items"] == 1_000_000
    rss = int(p.stderr.rsplit("maxrss_kb=", 1)[1].split()[0])
    assert rss < 64 * 1024, f"peak RSS {rss} KiB"


class FeedHost:
    """A loopback HTTP server serving one feed, counting its fetches."""

    def __init__(self, body):
        import http.server
        import threading
        host = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                host.hits += 1
                data = host.body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.body, self.hits = body, 0
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def wait_for(pred, timeout=15):
    import time
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.2)
    return False


def test_feed_url_fetched_on_its_schedule(restock):
    host = FeedHost(FEED_HEAD + rss_item(1) + rss_item(2, "out of stock") + "</channel></rss>")
    try:
        info = restock.add_shop(url="https://shop0.example")
        shop = lib.Shop(restock.start("--feed-allow-private", "1"), info)
        for bad in ("ftp://127.0.0.1/feed.xml", "http:///x", "file:///etc/passwd", "http://a b"):
            r = shop.patch({"feed_url": bad})
            assert r.status == 400 and r.error["message"].startswith("feed_url"), (bad, r)
        r = shop.patch({"feed_interval_minutes": 100000})
        assert r.status == 400, r
        url = f"http://127.0.0.1:{host.port}/feed.xml"
        r = shop.patch({"feed_url": url, "feed_interval_minutes": 60})
        assert r.status == 200 and r.json["feed_url"] == url, r
        assert r.json["feed_interval_minutes"] == 60
        assert wait_for(lambda: shop.variant("SKU2").status == 200)
        assert variant(shop, "SKU1")["available"] == 1
        import time
        time.sleep(3)
        assert host.hits == 1                      # not again before the interval
        assert shop.patch({"feed_url": ""}).json["feed_url"] == ""
    finally:
        host.close()


def test_feed_url_to_a_loopback_address_is_refused_by_default(restock):
    host = FeedHost(FEED_HEAD + rss_item(1) + "</channel></rss>")
    try:
        info = restock.add_shop(url="https://shop0.example")
        srv = restock.start()
        shop = lib.Shop(srv, info)
        r = shop.patch({"feed_url": f"http://127.0.0.1:{host.port}/feed.xml",
                        "feed_interval_minutes": 1})
        assert r.status == 200, r
        assert wait_for(lambda: "feed of shop" in srv.log(), timeout=10), srv.log()[-2000:]
        assert host.hits == 0
        assert shop.variant("SKU1").status == 404
    finally:
        host.close()


def test_a_view_never_resubscribes_who_unsubscribed(shop, push_host):
    """A contact who unsubscribed (one variant, or everything at the shop) is not subscribed
    again by looking at a product: no view reopens their subscription or makes a new one.
    Before, a view reopened an unsubscribed push subscription as waiting, and the next restock
    notified them."""
    from test_signup import ONE_CLICK, unsub_path
    shop.add_variants({"A": 0, "C": 0})
    push = {"endpoint": f"http://{push_host}/push/gone", "keys": lib.push_keys()}
    assert shop.signup("A", channel="webpush", push=push).status == 201
    (sub,) = shop.subs(variant_id="A")
    assert shop.server.post(unsub_path(sub), **ONE_CLICK).status == 200
    for variant in ("A", "C"):
        r = shop.server.post("/v1/views", {"shop": shop.id, "variant_id": variant, "kind": "view",
                                           "push": push}, content_type="text/plain")
        assert r.status == 200 and "subscription" not in r.json, r
    assert [s["status"] for s in shop.subs(variant_id="A")] == ["unsubscribed"]
    assert shop.subs(variant_id="C") == []
    # an explicit sign-up is asking again, and is taken
    assert shop.signup("A", channel="webpush", push=push).status in (200, 201)
