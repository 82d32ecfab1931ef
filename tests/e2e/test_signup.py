"""POST /v1/subscriptions (SPEC §2, §4, §9): the three channels, idempotency, the in-stock rule,
honeypot, double opt-in, rate limits, CORS; the admin listing; unsubscribe links."""

import base64
import os
import re
import threading
import time
from urllib.parse import urlsplit

import pytest

import lib

UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture
def shop(shops):
    """conftest's shop, on a server that takes SMS sign-ups (lib.SMS_ARGS)."""
    return shops(1, *lib.SMS_ARGS)[0]


@pytest.fixture
def sold_out(shop):
    """The shop with sold-out variants v1..v3 and an in-stock one 'in'."""
    shop.add_variants({"v1": 0, "v2": 0, "v3": 0, "in": 20})
    return shop


def push_sub(push_host, path=None):
    return {"endpoint": f"http://{push_host}/push/{path or os.urandom(6).hex()}",
            "keys": lib.push_keys()}


def created(r):
    assert r.status == 201, r
    return r.json


# ---- channels --------------------------------------------------------------------------------

def test_email_signup_then_same_contact_again(sold_out):
    shop = sold_out
    r = shop.signup("v1", email="Ada@Example.com", first_name="Ada", locale="da-dk",
                    source="widget", customer_id=12345, tracking_user_id="t-1")
    s = created(r)
    assert r.headers["Content-Type"].startswith("application/json")
    assert s["shop"] == shop.id and s["variant_id"] == "v1" and s["channel"] == "email"
    assert s["status"] == "waiting" and s["quantity"] == 1 and s["source"] == "widget"
    assert s["email"] == "ada@example.com" and s["first_name"] == "Ada"
    assert s["locale"] == "da-DK" and s["customer_id"] == "12345"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", s["created_at"])

    again = shop.signup("v1", email="ADA@example.COM")
    assert again.status == 200, again
    assert again.json["id"] == s["id"] and again.json["status"] == "waiting"

    subs = shop.subs()
    assert len(subs) == 1 and subs[0]["id"] == s["id"] and subs[0]["email"] == "ada@example.com"


def test_sms_signup_phone_is_e164(sold_out):
    assert sold_out.stock("v1").json["channels"] == ["email", "sms", "webpush"]
    s = created(sold_out.signup("v1", channel="sms", phone="+45 20 12 34 56"))
    assert s["phone"] == "+4520123456" and s["channel"] == "sms"
    again = sold_out.signup("v1", channel="sms", phone="+4520123456")
    assert again.status == 200 and again.json["id"] == s["id"]
    assert len(sold_out.subs()) == 1


def test_no_sms_signups_without_an_sms_provider(shops, push_host):
    """Without sms_url no SMS would ever go out: the stock answer leaves sms out of `channels`
    (the widget then asks for an email only) and an SMS sign-up is 400 naming `channel`,
    honeypot or not, stored nowhere. Email is taken without smtp_url (its messages wait queued
    for a relay, SPEC §3), web push always."""
    shop = shops(1)[0]
    shop.add_variants({"v1": 0})
    assert shop.stock("v1").json["channels"] == ["email", "webpush"]
    for extra in ({}, {"website": "http://bot.example"}):
        r = shop.signup("v1", channel="sms", phone="+4520123456", **extra)
        assert r.status == 400 and r.error["code"] == "invalid", r
        assert r.error["message"].startswith("channel: sms is not offered here"), r.error
    r = shop.signup("v1", channel="sms", phone="20123456")  # a malformed number is told first
    assert r.status == 400 and r.error["message"].startswith("phone:"), r
    assert shop.subs() == []
    created(shop.signup("v1", email="ada@example.com"))
    created(shop.signup("v1", channel="webpush", push=push_sub(push_host)))
    assert sorted(s["channel"] for s in shop.subs()) == ["email", "webpush"]


def test_webpush_signup(sold_out, push_host):
    sub = push_sub(push_host)
    s = created(sold_out.signup("v1", channel="webpush", push=sub))
    assert s["channel"] == "webpush" and s["push"]["endpoint"] == sub["endpoint"]
    # as PushSubscription.toJSON() gives it
    again = sold_out.signup("v1", channel="webpush",
                            push=dict(sub, expirationTime=None, keys=lib.push_keys()))
    assert again.status == 200 and again.json["id"] == s["id"]
    assert "p256dh" not in str(sold_out.subs())  # the keys stay inside


def test_same_contact_other_variant_or_channel_is_another_subscription(sold_out):
    ids = {created(sold_out.signup("v1", email="ada@example.com"))["id"],
           created(sold_out.signup("v2", email="ada@example.com"))["id"],
           created(sold_out.signup("v1", channel="sms", phone="+4520123456"))["id"],
           created(sold_out.signup("v1", email="grace@example.com"))["id"]}
    assert len(ids) == 4 and len(sold_out.subs()) == 4


@pytest.mark.parametrize("fields,field", [
    ({"email": "not-an-email"}, "email"),
    ({"email": "a@b"}, "email"),
    ({"email": "ada @example.com"}, "email"),
    ({"email": "ada@example.com\u0000x"}, None),   # NUL: refused by the JSON parser
    ({}, "email"),
    ({"email": 5}, "email"),
    ({"channel": "sms", "phone": "20123456"}, "phone"),
    ({"channel": "sms", "phone": "+0123456789"}, "phone"),
    ({"channel": "sms", "phone": "+45 2012 345a"}, "phone"),
    ({"channel": "sms", "phone": "+1234567890123456"}, "phone"),
    ({"channel": "sms", "email": "ada@example.com"}, "phone"),
    ({"channel": "fax", "email": "ada@example.com"}, "channel"),
    ({"channel": None, "email": "ada@example.com"}, "channel"),
    ({"email": "ada@example.com", "push": {"endpoint": "x", "keys": {}}}, "push"),
    ({"email": "ada@example.com", "quantity": 0}, "quantity"),
    ({"email": "ada@example.com", "quantity": 1001}, "quantity"),
    ({"email": "ada@example.com", "quantity": "2"}, "quantity"),
    ({"email": "ada@example.com", "quantity": 1.0}, "quantity"),
    ({"email": "ada@example.com", "source": "email"}, "source"),
    ({"email": "ada@example.com", "locale": "not a locale"}, "locale"),
    ({"email": "ada@example.com", "first_name": "x" * 101}, "first_name"),
    ({"email": "ada@example.com", "colour": "red"}, "colour"),
    ({"email": "ada@example.com", "shop": "not-a-uuid"}, "shop"),
    ({"email": "ada@example.com", "shop": None}, "shop"),
    ({"email": "ada@example.com", "variant_id": ""}, "variant_id"),
    ({"email": "ada@example.com", "variant_id": ["v1"]}, "variant_id"),
])
def test_signup_rejects_bad_fields_naming_them(sold_out, fields, field):
    body = {"shop": sold_out.id, "variant_id": "v1", "channel": "email", **fields}
    r = sold_out.server.post("/v1/subscriptions", body)
    assert r.status == 400, r
    if field:
        assert r.error["code"] == "invalid"
        assert r.error["message"].startswith(field + ":"), r.error
    else:
        assert r.error["code"] == "invalid_json"
    assert sold_out.subs() == []


@pytest.mark.parametrize("mutate,field", [
    (lambda p, h: p.update(endpoint="https://evil.example/push/1"), "push.endpoint"),
    (lambda p, h: p.update(endpoint="https://127.0.0.2:%s/x" % h.split(":")[1]),
     "push.endpoint"),
    (lambda p, h: p.update(endpoint="http://127.0.0.1:1/push"), "push.endpoint"),
    (lambda p, h: p.update(endpoint=f"http://user@{h}/push"), "push.endpoint"),
    (lambda p, h: p.update(endpoint=f"ftp://{h}/push"), "push.endpoint"),
    (lambda p, h: p.update(endpoint="http://169.254.169.254/latest/meta-data"),
     "push.endpoint"),
    (lambda p, h: p.update(endpoint="https://fcm.googleapis.com/fcm/send/abc"),
     "push.endpoint"),
    (lambda p, h: p["keys"].update(p256dh=lib.b64url(b"\x04" + os.urandom(64))),
     "push.keys.p256dh"),
    (lambda p, h: p["keys"].update(p256dh=p["keys"]["p256dh"][:-4]), "push.keys.p256dh"),
    (lambda p, h: p["keys"].update(auth=lib.b64url(os.urandom(15))), "push.keys.auth"),
    (lambda p, h: p["keys"].update(auth="!!!"), "push.keys.auth"),
    (lambda p, h: p["keys"].pop("auth"), "push.keys.auth"),
    (lambda p, h: p.pop("keys"), "push.keys"),
    (lambda p, h: p.pop("endpoint"), "push.endpoint"),
    (lambda p, h: p.update(extra=1), "push.extra"),
])
def test_webpush_refuses_bad_subscriptions(sold_out, push_host, mutate, field):
    sub = push_sub(push_host)
    mutate(sub, push_host)
    r = sold_out.signup("v1", channel="webpush", push=sub)
    assert r.status == 400, r
    assert r.error["message"].startswith(field + ":"), r.error
    assert sold_out.subs() == []


def test_webpush_without_push_object(sold_out):
    r = sold_out.signup("v1", channel="webpush", email="ada@example.com")
    assert r.status == 400 and r.error["message"].startswith("push:"), r


def test_push_hosts_https_unless_loopback(restock):
    info = restock.add_shop()
    server = restock.start("--push-hosts", "push.example, *.push.test, 127.0.0.1:9999")
    shop = lib.Shop(server, info)
    shop.add_variants({"v": 0})
    for endpoint, ok in [("https://push.example/a", True), ("http://push.example/a", False),
                         ("https://push.example:8443/a", False),
                         ("https://eu.push.test/a", True), ("https://push.test/a", False),
                         ("http://eu.push.test/a", False), ("http://127.0.0.1:9999/a", True),
                         ("https://127.0.0.1:9999/b", True), ("http://127.0.0.1:9998/a", False),
                         ("https://evilpush.example/a", False)]:
        r = shop.signup("v", channel="webpush",
                        push={"endpoint": endpoint, "keys": lib.push_keys()})
        assert r.status == (201 if ok else 400), (endpoint, r)


# ---- the variant and the shop ----------------------------------------------------------------

def test_in_stock_variant_refuses_signups(sold_out):
    r = sold_out.signup("in", email="ada@example.com")
    assert r.status == 409, r
    assert r.error["code"] == "in_stock" and r.error["message"].startswith("variant_id:")
    sold_out.set_stock("v1", 1)  # low stock is not sold out either
    r = sold_out.signup("v1", email="ada@example.com")
    assert r.status == 409 and r.error["code"] == "in_stock"
    assert sold_out.subs() == []
    sold_out.set_stock("v1", 0)
    created(sold_out.signup("v1", email="ada@example.com"))


def test_signup_follows_min_available(sold_out):
    assert sold_out.patch({"min_available": 5}).status == 200
    sold_out.set_stock("v1", 4)
    created(sold_out.signup("v1", email="ada@example.com"))


def test_unknown_variant_or_shop_is_404(shops):
    a, b = shops(2)
    a.add_variants({"only-a": 0})
    r = a.signup("nope", email="ada@example.com")
    assert r.status == 404 and r.error["message"].startswith("variant_id:"), r
    r = b.signup("only-a", email="ada@example.com")   # another shop's variant
    assert r.status == 404 and r.error["message"].startswith("variant_id:"), r
    r = a.server.post("/v1/subscriptions", {"shop": "00000000-0000-4000-8000-000000000000",
                                            "variant_id": "only-a", "channel": "email",
                                            "email": "ada@example.com"})
    assert r.status == 404 and r.error["message"].startswith("shop:"), r
    assert a.subs() == [] and b.subs() == []


def test_shop_id_in_any_case(sold_out):
    shop = sold_out
    r = shop.server.post("/v1/subscriptions", {"shop": shop.id.upper(), "variant_id": "v1",
                                               "channel": "email", "email": "ada@example.com"})
    s = created(r)
    assert s["shop"] == shop.id
    again = shop.signup("v1", email="ada@example.com")
    assert again.status == 200 and again.json["id"] == s["id"]
    r = shop.stock("v1", shop_id=shop.id.upper())
    assert r.status == 200 and r.json["status"] == "sold_out"


def test_integer_variant_id_is_the_string(shop):
    shop.add_variants({"4471": 0})
    s = created(shop.signup(4471, email="ada@example.com"))
    assert s["variant_id"] == "4471"
    again = shop.signup("4471", email="ada@example.com")
    assert again.status == 200 and again.json["id"] == s["id"]


def test_concurrent_signups_of_one_contact_make_one_subscription(sold_out):
    results, barrier = [], threading.Barrier(12)

    def one(i):
        barrier.wait()
        r = sold_out.signup("v1", email="Ada@Example.com" if i % 2 else "ada@example.com")
        results.append((r.status, r.json["id"]))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(st for st, _ in results) == [200] * 11 + [201]
    assert len({i for _, i in results}) == 1
    assert len(sold_out.subs()) == 1


def test_quantity_and_source(sold_out):
    s = created(sold_out.signup("v1", email="ada@example.com", quantity=3, source="chat"))
    assert s["quantity"] == 3 and s["source"] == "chat"
    s = created(sold_out.signup("v2", email="ada@example.com", quantity=1000))
    assert s["quantity"] == 1000 and s["source"] == "api"
    listed = {x["variant_id"]: x for x in sold_out.subs()}
    assert listed["v1"]["quantity"] == 3 and listed["v1"]["source"] == "chat"


# ---- hygiene ---------------------------------------------------------------------------------

def same_answer(bot, person):
    """A honeypot's answer and a real sign-up's for the same input: the same status and body,
    but for the times (a second may pass between them)."""
    assert (bot.status, bot.headers["Content-Type"]) == (person.status,
                                                        person.headers["Content-Type"]), (bot,
                                                                                          person)
    times = ("created_at", "updated_at")
    strip = lambda j: {k: v for k, v in (j.get("error") or j).items() if k not in times}
    assert strip(bot.json) == strip(person.json), (bot.json, person.json)


def test_honeypot_is_accepted_in_appearance_and_stored_nowhere(sold_out):
    first = created(sold_out.signup("v3", email="first@example.com"))
    fields = dict(email="Bot@Example.com", first_name="Bo", locale="da-dk", quantity=2,
                  source="widget")
    bot = sold_out.signup("v1", website="http://spam.example", **fields)
    assert [x["id"] for x in sold_out.subs()] == [first["id"]]  # nothing stored
    # the same input without the honeypot is answered alike: 201, waiting, the very id a new
    # subscription gets next (not one that stands out), the same fields
    person = sold_out.signup("v1", **fields)
    same_answer(bot, person)
    assert int(person.json["id"]) == int(first["id"]) + 1
    # and for a contact that has signed up, a variant in stock or unknown, as a person is
    for variant in ("v1", "in", "nope"):
        same_answer(sold_out.signup(variant, website="x", **fields),
                    sold_out.signup(variant, **fields))
    assert len(sold_out.subs()) == 2
    # an empty honeypot is a person
    created(sold_out.signup("v2", email="ada@example.com", website=""))
    assert len(sold_out.subs()) == 3


def test_honeypot_under_double_opt_in_is_pending_and_sends_nothing(shops, sink):
    (shop,) = shops(1, "--smtp-url", f"smtp://127.0.0.1:{sink.port}")
    shop.add_variants({"v1": 0})
    assert shop.patch({"double_opt_in": True}).status == 200
    bot = shop.signup("v1", email="bot@example.com", website="http://spam.example")
    assert bot.status == 201 and bot.json["status"] == "pending", bot
    time.sleep(1.5)  # a confirmation would be out by now
    assert sink.messages() == [] and shop.subs() == []
    person = shop.signup("v1", email="bot@example.com")
    same_answer(bot, person)
    lib.wait_for(lambda: sink.messages(), what="the person's confirmation")


def test_double_opt_in_keeps_signups_pending(sold_out):
    assert sold_out.patch({"double_opt_in": True}).status == 200
    s = created(sold_out.signup("v1", email="ada@example.com"))
    assert s["status"] == "pending"
    assert [x["id"] for x in sold_out.subs(status="pending")] == [s["id"]]
    assert sold_out.subs(status="waiting") == []
    again = sold_out.signup("v1", email="ada@example.com")
    assert again.status == 200 and again.json["status"] == "pending"
    # unsubscribed, then signed up again: pending again, not waiting (README decision)
    path = unsub_path(sold_out.subs()[0])
    assert sold_out.server.post(path, **ONE_CLICK).status == 200
    assert sold_out.subs()[0]["status"] == "unsubscribed"
    again = sold_out.signup("v1", email="ada@example.com")
    assert again.status == 200 and again.json["status"] == "pending"
    assert again.json["id"] == s["id"]


def test_rate_limit_per_client_address(restock):
    info = restock.add_shop()
    server = restock.start("--rate-limit-ip", "5")
    shop = lib.Shop(server, info)
    shop.add_variants({"v": 0})
    statuses = [shop.signup("v", email=f"p{i}@example.com").status for i in range(4)]
    statuses.append(shop.stock("v").status)  # every public route counts
    assert statuses == [201, 201, 201, 201, 200]
    r = shop.signup("v", email="late@example.com")
    assert r.status == 429, r
    assert r.error["code"] == "rate_limited"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert shop.stock("v").status == 429
    # not limited: liveness, metrics and the admin API
    assert server.get("/healthz").status == 200 and server.get("/metrics").status == 200
    assert len(shop.subs()) == 4
    assert "late@example.com" not in str(shop.subs())


def test_rate_limit_per_contact(restock):
    info = restock.add_shop()
    server = restock.start("--rate-limit-contact", "3", *lib.SMS_ARGS)
    shop = lib.Shop(server, info)
    shop.add_variants({"a": 0, "b": 0, "c": 0, "d": 0})
    assert created(shop.signup("a", email="ada@example.com"))
    assert shop.signup("a", email="ADA@example.com").status == 200  # asking again counts
    assert created(shop.signup("b", email="Ada@Example.com"))
    r = shop.signup("c", email="ada@example.com")
    assert r.status == 429 and r.error["code"] == "rate_limited", r
    assert 1 <= int(r.headers["Retry-After"]) <= 3600
    # the shop id in another case is the same shop, and the same limit
    r = shop.server.post("/v1/subscriptions", {"shop": shop.id.upper(), "variant_id": "c",
                                               "channel": "email", "email": "ada@example.com"})
    assert r.status == 429, r
    # another contact is not limited, on any channel
    assert created(shop.signup("c", email="grace@example.com"))
    for _ in range(3):
        assert shop.signup("d", channel="sms", phone="+4520123456").status in (200, 201)
    assert shop.signup("d", channel="sms", phone="+45 20 12 34 56").status == 429
    assert sorted((s["variant_id"], s.get("email", s.get("phone"))) for s in shop.subs()) == [
        ("a", "ada@example.com"), ("b", "ada@example.com"), ("c", "grace@example.com"),
        ("d", "+4520123456")]


# ---- browsers: text/plain and CORS -----------------------------------------------------------

@pytest.mark.parametrize("ctype", ["text/plain", "text/plain;charset=UTF-8",
                                   "application/json", "application/json; charset=utf-8",
                                   "Application/JSON"])
def test_signup_content_types_accepted(sold_out, ctype):
    r = sold_out.signup("v1", email="ada@example.com", content_type=ctype)
    assert r.status == 201, (ctype, r)


@pytest.mark.parametrize("ctype", [None, "text/html", "application/x-www-form-urlencoded",
                                   "multipart/form-data; boundary=x",
                                   "text/plain; charset=latin1", "application/jsonx"])
def test_signup_content_types_refused(sold_out, ctype):
    r = sold_out.signup("v1", email="ada@example.com", content_type=ctype)
    assert r.status == 415, (ctype, r)
    assert r.error["code"] == "unsupported_media_type"
    assert sold_out.subs() == []


def test_cors_on_public_routes_only(sold_out):
    s = sold_out.server
    for r in (sold_out.signup("v1", email="ada@example.com"),
              sold_out.signup("in", email="ada@example.com"),      # 409
              s.post("/v1/subscriptions", "{", content_type="text/plain"),  # 400
              sold_out.stock("v1"), sold_out.stock("nope")):
        assert r.headers["Access-Control-Allow-Origin"] == "*", r
    r = s.get("/v1/shop", key=sold_out.key)
    assert r.status == 200 and r.headers.get("Access-Control-Allow-Origin") is None


def test_preflight(sold_out):
    s = sold_out.server
    r = s.request("OPTIONS", "/v1/subscriptions",
                  headers={"Origin": "https://shop.example",
                           "Access-Control-Request-Method": "POST",
                           "Access-Control-Request-Headers": "content-type"})
    assert r.status in (200, 204), r
    assert r.body == b""
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "content-type" in r.headers["Access-Control-Allow-Headers"].lower()
    r = s.request("OPTIONS", f"/v1/stock/{sold_out.id}/v1")
    assert r.status in (200, 204) and "GET" in r.headers["Access-Control-Allow-Methods"]
    # the admin API is not for browsers of other origins
    r = s.request("OPTIONS", "/v1/shop")
    assert r.status == 405 and r.headers.get("Access-Control-Allow-Origin") is None
    assert sold_out.subs() == []


# ---- the admin listing -----------------------------------------------------------------------

def test_listing_filters(sold_out, push_host):
    shop = sold_out
    e1 = created(shop.signup("v1", email="ada@example.com"))
    e2 = created(shop.signup("v2", email="ada@example.com"))
    sm = created(shop.signup("v1", channel="sms", phone="+4520123456"))
    wp = created(shop.signup("v2", channel="webpush", push=push_sub(push_host)))
    ids = lambda subs: [x["id"] for x in subs]
    assert ids(shop.subs()) == [e1["id"], e2["id"], sm["id"], wp["id"]]
    assert ids(shop.subs(variant_id="v1")) == [e1["id"], sm["id"]]
    assert ids(shop.subs(channel="email")) == [e1["id"], e2["id"]]
    assert ids(shop.subs(channel="webpush", variant_id="v2")) == [wp["id"]]
    assert ids(shop.subs(status="waiting")) == ids(shop.subs())
    assert shop.subs(status="unsubscribed") == [] and shop.subs(variant_id="v3") == []
    for q, field in [({"status": "gone"}, "status"), ({"channel": "fax"}, "channel"),
                     ({"limit": 0}, "limit"), ({"limit": 1001}, "limit"),
                     ({"limit": "ten"}, "limit"), ({"after": "abc"}, "after"),
                     ({"after": -1}, "after")]:
        r = shop.subs_page(**q)
        assert r.status == 400 and r.error["message"].startswith(field + ":"), (q, r)
    r = shop.server.get("/v1/subscriptions")
    assert r.status == 401


def test_listing_pagination(sold_out):
    shop = sold_out
    want = [created(shop.signup(f"v{1 + i % 3}", email=f"p{i}@example.com"))["id"]
            for i in range(7)]
    got, after, pages = [], None, 0
    while True:
        q = {"limit": 3}
        if after:
            q["after"] = after
        r = shop.subs_page(**q)
        assert r.status == 200
        pages += 1
        assert len(r.json["data"]) <= 3
        got += [x["id"] for x in r.json["data"]]
        after = r.json["next"]
        if after is None:
            break
        assert isinstance(after, str)
    assert got == want and pages == 3
    assert [x["id"] for x in shop.subs_page(limit=100).json["data"]] == want
    assert shop.subs_page(limit=100).json["next"] is None
    assert [x["id"] for x in shop.subs_page(limit=2, variant_id="v1").json["data"]] == \
        [want[0], want[3]]


def test_listing_default_page_is_100(sold_out):
    for i in range(101):
        created(sold_out.signup("v1", email=f"p{i}@example.com"))
    r = sold_out.subs_page()
    assert len(r.json["data"]) == 100 and r.json["next"] is not None
    r = sold_out.subs_page(after=r.json["next"])
    assert [x["email"] for x in r.json["data"]] == ["p100@example.com"]
    assert r.json["next"] is None


def test_listing_is_per_shop(shops):
    a, b = shops(2)
    a.add_variants({"v": 0})
    b.add_variants({"v": 0})
    sa = created(a.signup("v", email="ada@example.com"))
    sb = created(b.signup("v", email="ada@example.com"))
    assert sa["id"] != sb["id"]
    assert [x["id"] for x in a.subs()] == [sa["id"]]
    assert [x["id"] for x in b.subs()] == [sb["id"]]
    # a cursor from the other shop's listing shows nothing of it
    assert all(x["shop"] == a.id for x in a.subs_page(after=0).json["data"])


# ---- unsubscribe -----------------------------------------------------------------------------

def unsub_path(sub):
    url = sub["unsubscribe_url"]
    path = urlsplit(url).path
    assert re.fullmatch(r"/u/[A-Za-z0-9_-]+", path), url
    return path


ONE_CLICK = {"body": "List-Unsubscribe=One-Click",
             "content_type": "application/x-www-form-urlencoded"}


def test_unsubscribe_page_changes_nothing_one_click_post_unsubscribes(sold_out):
    shop = sold_out
    created(shop.signup("v1", email="ada@example.com"))
    created(shop.signup("v2", email="ada@example.com"))
    subs = shop.subs()
    assert subs[0]["unsubscribe_url"].startswith(shop.server.url + "/u/")
    path = unsub_path(subs[0])

    for _ in range(2):  # mail scanners follow links
        r = shop.server.get(path)
        assert r.status == 200 and r.headers["Content-Type"].startswith("text/html")
        assert b"<form" in r.body
    assert [x["status"] for x in shop.subs()] == ["waiting", "waiting"]

    r = shop.server.post(path, **ONE_CLICK)
    assert r.status == 200, r
    assert r.headers.get("Location") is None
    assert [x["status"] for x in shop.subs()] == ["unsubscribed", "waiting"]
    assert shop.subs(status="unsubscribed")[0]["unsubscribed_at"]
    r = shop.server.post(path, **ONE_CLICK)  # again: still fine, nothing else changes
    assert r.status == 200
    assert [x["status"] for x in shop.subs()] == ["unsubscribed", "waiting"]

    # signing up again re-opens the same subscription (README decision)
    again = shop.signup("v1", email="ada@example.com")
    assert again.status == 200 and again.json["id"] == subs[0]["id"]
    assert again.json["status"] == "waiting"


def test_unsubscribe_page_names_the_product(shop):
    """The page names the product as the shopper knows it (title and variant title), not the
    catalog's id; after unsubscribing it says so."""
    assert shop.catalog([
        {"variant_id": "4471", "title": "Organic Tee", "variant_title": "Red / M",
         "url": "https://shop.example/products/tee", "available": 0},
        {"variant_id": "4472", "title": "Plain Cap", "url": "https://shop.example/products/cap",
         "available": 0}]).status == 200
    created(shop.signup("4471", email="ada@example.com"))
    created(shop.signup("4472", email="ada@example.com"))
    tee, cap = sorted(shop.subs(), key=lambda x: x["variant_id"])
    page = shop.server.get(unsub_path(tee)).body.decode()
    assert "about Organic Tee \u2014 Red / M?" in page and "4471" not in page, page
    assert "about Plain Cap?" in shop.server.get(unsub_path(cap)).body.decode()
    assert shop.server.post(unsub_path(tee), **ONE_CLICK).status == 200
    page = shop.server.get(unsub_path(tee)).body.decode()
    assert "already unsubscribed" in page and "Organic Tee" in page, page


def test_unsubscribe_everything_of_a_contact(sold_out):
    shop = sold_out
    for v in ("v1", "v2", "v3"):
        created(shop.signup(v, email="ada@example.com"))
    created(shop.signup("v1", email="grace@example.com"))
    created(shop.signup("v1", channel="sms", phone="+4520123456"))
    path = unsub_path(shop.subs(variant_id="v2")[0])
    r = shop.server.post(path, "scope=all", content_type="application/x-www-form-urlencoded")
    assert r.status == 200, r
    status = {(x["variant_id"], x.get("email") or x.get("phone")): x["status"]
              for x in shop.subs()}
    assert status == {("v1", "ada@example.com"): "unsubscribed",
                      ("v2", "ada@example.com"): "unsubscribed",
                      ("v3", "ada@example.com"): "unsubscribed",
                      ("v1", "grace@example.com"): "waiting",
                      ("v1", "+4520123456"): "waiting"}


def test_forged_and_altered_tokens_are_404(sold_out):
    shop = sold_out
    created(shop.signup("v1", email="ada@example.com"))
    token = unsub_path(shop.subs()[0])[3:]
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    forged = []
    for i in (0, len(raw) - 1):
        b = bytearray(raw)
        b[i] ^= 1
        forged.append(lib.b64url(bytes(b)))
    forged += [token[:-1], token + "A", "AAAAAAAAAAAAAAAAAAAAAAAA", "x", token.upper()
               if token.upper() != token else token.lower(), "%00", "..%2f..%2fetc"]
    for t in forged:
        for method in ("GET", "POST"):
            r = shop.server.request(method, f"/u/{t}", ONE_CLICK["body"] if method == "POST"
                                    else None, content_type=ONE_CLICK["content_type"])
            assert r.status == 404, (t, method, r)
            assert r.error["code"] == "not_found"
    assert shop.subs()[0]["status"] == "waiting"


def test_unsubscribe_page_escapes_html(restock):
    info = restock.add_shop(name='<script>alert(1)</script> & "Co"')
    server = restock.start()
    shop = lib.Shop(server, info)
    shop.add_variants({"<img src=x onerror=alert(2)>": 0})
    created(shop.signup("<img src=x onerror=alert(2)>", email="ada@example.com"))
    r = server.get(unsub_path(shop.subs()[0]))
    assert r.status == 200
    assert b"<script>alert" not in r.body and b"<img" not in r.body
    assert b"&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;" in r.body


def test_token_of_another_database_is_404(restock, tmp_path):
    info = restock.add_shop()
    shop = lib.Shop(restock.start(), info)
    shop.add_variants({"v": 0})
    created(shop.signup("v", email="ada@example.com"))
    other = lib.Restock(tmp_path / "other")
    try:
        oshop = lib.Shop(other.start(), other.add_shop())
        oshop.add_variants({"v": 0})
        created(oshop.signup("v", email="ada@example.com"))  # the same id, 1, over there
        foreign = unsub_path(oshop.subs()[0])
        assert unsub_path(shop.subs()[0]) != foreign
        assert shop.server.get(foreign).status == 404
        assert shop.server.post(foreign, **ONE_CLICK).status == 404
        assert shop.subs()[0]["status"] == "waiting"
    finally:
        other.close()


def test_unsubscribe_url_uses_public_url(restock):
    info = restock.add_shop()
    server = restock.start("--public-url", "https://restock.example/")
    shop = lib.Shop(server, info)
    shop.add_variants({"v": 0})
    created(shop.signup("v", email="ada@example.com"))
    url = shop.subs()[0]["unsubscribe_url"]
    assert url.startswith("https://restock.example/u/"), url
    assert server.get(urlsplit(url).path).status == 200


def test_refused_sign_ups_do_not_count_against_the_contact(restock):
    """A sign-up refused (an in-stock variant, an unknown one) changed nothing, so it does not
    use up the contact's limit. Before, two refusals left someone unable to sign up for an
    hour — and anyone knowing a shop's id could do that to any email address."""
    info = restock.add_shop()
    server = restock.start("--rate-limit-contact", "2")
    shop = lib.Shop(server, info)
    shop.add_variants({"in": 5, "out": 0})
    for variant in ("in", "in", "nope", "nope"):
        r = shop.signup(variant, email="ada@example.com")
        assert r.status in (404, 409), r
    assert created(shop.signup("out", email="ada@example.com"))
