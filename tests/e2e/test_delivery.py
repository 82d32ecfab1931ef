"""Restock to inbox, end to end: a restock notifies the waiting shoppers through a real SMTP server
(aiosmtpd), a Twilio-style HTTP provider and a web push service that decrypts with http_ece and
checks VAPID with node's crypto. Failures are retried or ended as SPEC §10 says."""

import base64
import email.policy
import os
import signal
import socket
import threading
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

import lib
from lib import wait_for
from pushsvc import PushService
from sms_provider import SmsProvider
from smtp_sink import SmtpSink

PUBLIC = "https://restock.test"


@pytest.fixture
def sink():
    with SmtpSink(fail_rcpt={"gone@example.com"}) as s:
        yield s


@pytest.fixture
def sms():
    with SmsProvider(auth=("AC_test", "tok"), status_for={"+4599999999": 400}) as p:
        yield p


@pytest.fixture
def push():
    with PushService() as svc:
        yield svc


@pytest.fixture
def world(restock, sink, sms, push):
    """One shop on a server wired to all three channels."""
    info = restock.add_shop(name="Tee Shop", url="https://shop.example", currency="EUR",
                            timezone="Europe/Copenhagen")
    srv = restock.start("--public-url", PUBLIC, "--smtp-url", f"smtp://127.0.0.1:{sink.port}",
                        "--sms-url", sms.url(), "--sms-user", "AC_test", "--sms-password", "tok",
                        "--sms-from", "+4512345678", "--push-hosts", f"127.0.0.1:{push.port}",
                        "--retry-base", "1", "--workers", "3")
    shop = lib.Shop(srv, info)
    r = shop.catalog([{"variant_id": "4471", "title": "Organic Tee", "variant_title": "Red / M",
                       "url": "https://shop.example/products/tee", "price": "19.90",
                       "image_url": "https://shop.example/tee.jpg", "available": 0}])
    assert r.status == 200, r
    return shop


def notifications(shop, **query):
    q = "&".join(f"{k}={v}" for k, v in query.items())
    r = shop.server.get("/v1/notifications" + (f"?{q}" if q else ""), key=shop.key)
    assert r.status == 200, r
    return r.json["data"]


def test_email_sms_and_push_on_restock(world, sink, sms, push):
    shop = world
    assert shop.signup("4471", email="Ada@Example.com", first_name="Ada").status == 201
    assert shop.signup("4471", email="bob@example.com").status == 201
    assert shop.signup("4471", channel="sms", phone="+45 20 12 34 56").status == 201
    sub = push.register("alice")
    assert shop.signup("4471", channel="webpush", push=sub).status == 201
    time.sleep(0.5)
    assert sink.messages() == [] and sms.requests() == [] and push.messages() == []

    assert shop.set_stock("4471", 5)["restocked"] == ["4471"]
    mails = wait_for(lambda: len(sink.messages()) >= 2 and sink.messages(), what="two emails")
    texts = wait_for(lambda: sms.requests(), what="an SMS")
    pushes = wait_for(lambda: push.messages("alice"), what="a push")
    time.sleep(1.0)  # and nothing more comes
    assert len(sink.messages()) == 2 and len(sms.requests()) == 1 and len(push.messages()) == 1

    by_rcpt = {m.rcpt_tos[0]: m for m in mails}
    assert set(by_rcpt) == {"ada@example.com", "bob@example.com"}
    msg = by_rcpt["ada@example.com"].message
    assert msg["To"] == "ada@example.com"
    assert "Organic Tee" in msg["Subject"]
    assert msg["Message-ID"].endswith("@restock>")
    assert msg["List-Unsubscribe"].startswith(f"<{PUBLIC}/u/")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Ada" in text and f"{PUBLIC}/r/" in text
    assert f'{PUBLIC}/o/' in html and f"{PUBLIC}/r/" in html  # open pixel, tracked link
    assert "Hi there" in by_rcpt["bob@example.com"].message.get_body(("plain",)).get_content()

    (req,) = texts
    assert (req["user"], req["password"]) == ("AC_test", "tok")
    assert req["fields"]["To"] == "+4520123456" and req["fields"]["From"] == "+4512345678"
    assert "Organic Tee" in req["fields"]["Body"] and f"{PUBLIC}/r/" in req["fields"]["Body"]

    (p,) = pushes
    assert p["vapid"]["ok"], p
    assert p["vapid"]["claims"]["aud"] == push.url
    assert p["content_encoding"] == "aes128gcm"
    assert int(p["ttl"]) > 0
    assert p["urgency"] == "high" and len(p["topic"]) == 22  # one topic per variant
    import json
    payload = json.loads(p["payload"])
    assert "Organic Tee" in payload["title"] + payload["body"]
    assert payload["link"].startswith(f"{PUBLIC}/r/")
    assert payload["msg_hash"]

    ns = notifications(shop)
    assert len(ns) == 4 and {n["status"] for n in ns} == {"sent"}
    assert {n["msg_hash"] for n in ns} >= {payload["msg_hash"]}
    subs = shop.subs_page()
    assert {s["status"] for s in subs.json["data"]} == {"notified"}


def test_retries_then_delivers_and_permanent_failures_end(world, sink, sms, push):
    shop = world
    sink.tempfail_next(2)  # SMTP 451 twice
    sms.fail_next([500, 429])
    sub = push.register("carol")
    push.set_response("carol", 429, headers={"Retry-After": "1"}, times=1)
    gone = push.register("dave")
    push.set_response("dave", 410)
    for body in ({"email": "ok@example.com"}, {"email": "gone@example.com"},
                 {"channel": "sms", "phone": "+4520000001"},
                 {"channel": "sms", "phone": "+4599999999"},
                 {"channel": "webpush", "push": sub}, {"channel": "webpush", "push": gone}):
        assert shop.signup("4471", **body).status == 201
    shop.set_stock("4471", 50)

    def settled():
        ns = notifications(shop)
        return len(ns) == 6 and all(n["status"] in ("sent", "failed") for n in ns) and ns
    ns = wait_for(settled, timeout=60, what="every notification settled")
    by_status = {}
    for n in ns:
        by_status.setdefault(n["status"], []).append(n)
    assert len(by_status["sent"]) == 3, ns
    assert len(by_status["failed"]) == 3, ns
    assert all(n["attempts"] >= 2 for n in by_status["sent"]), "each had a transient failure"
    # a permanent failure is not retried (the SMS to the refused number may have drawn one of
    # the provider's scripted 500/429 first, whichever request came first)
    for n in by_status["failed"]:
        assert n["attempts"] == (1 if n["channel"] != "sms" else n["attempts"]), n
        assert n["reason"], n
    assert any("550" in n["reason"] for n in by_status["failed"] if n["channel"] == "email")
    assert any("410" in n["reason"] for n in by_status["failed"] if n["channel"] == "webpush")
    assert any("400" in n["reason"] for n in by_status["failed"] if n["channel"] == "sms")
    assert [m.rcpt_tos for m in sink.messages()] == [["ok@example.com"]]
    assert len(sms.requests()) == 4  # two scripted failures, one 201, one 400
    # the 410 ended that push subscription
    dave = [s for s in shop.subs_page(channel="webpush").json["data"]
            if s["push"]["endpoint"].endswith("/dave")]
    assert dave and dave[0]["status"] == "unsubscribed"


def test_campaign_api_and_paused_campaign(world, sink):
    shop = world
    r = shop.server.get("/v1/campaigns", key=shop.key)
    assert r.status == 200
    camps = r.json["data"]
    assert sorted(c["channel"] for c in camps) == ["email", "sms", "webpush"]
    assert all(c["is_default"] and c["status"] == "active" for c in camps)
    email_id = [c for c in camps if c["channel"] == "email"][0]["id"]

    bad = shop.server.post("/v1/campaigns", {"channel": "email",
                                             "delivery": {"send_ratio": 101}}, key=shop.key)
    assert bad.status == 400 and "delivery.send_ratio" in bad.error["message"]
    bad = shop.server.post("/v1/campaigns", {"channel": "fax"}, key=shop.key)
    assert bad.status == 400 and "channel" in bad.error["message"]
    assert len(shop.server.get("/v1/campaigns", key=shop.key).json["data"]) == 3

    r = shop.server.patch(f"/v1/campaigns/{email_id}", {"status": "paused"}, key=shop.key)
    assert r.status == 200 and r.json["status"] == "paused"
    r = shop.server.request("DELETE", f"/v1/campaigns/{email_id}", key=shop.key)
    assert r.status == 409

    created = shop.server.post("/v1/campaigns", {
        "channel": "email", "name": "Danish", "status": "active", "languages": ["da"],
        "templates": {"da": {"subject": "{{product_title}} er tilbage",
                             "html": "<p>Hej {{first_name|du}}</p><a href=\"{{action_url}}\">Køb</a>",
                             "text": "Hej {{first_name|du}} {{action_url}}"}}}, key=shop.key)
    assert created.status == 201, created
    cid = created.json["id"]
    prev = shop.server.post(f"/v1/campaigns/{cid}/preview",
                            {"variant_id": "4471", "first_name": "Åse <b>"}, key=shop.key)
    assert prev.status == 200, prev
    assert prev.json["subject"] == "Organic Tee er tilbage"
    assert "Hej Åse &lt;b&gt;" in prev.json["html"]

    test = shop.server.post(f"/v1/campaigns/{cid}/test",
                            {"email": "me@example.com", "variant_id": "4471"}, key=shop.key)
    assert test.status == 200, test
    wait_for(lambda: any(m.rcpt_tos == ["me@example.com"] for m in sink.messages()),
             what="the test email")

    # the default email campaign is paused: only the Danish shopper is told
    assert shop.signup("4471", email="da@example.com", locale="da-DK").status == 201
    assert shop.signup("4471", email="en@example.com", locale="en").status == 201
    shop.set_stock("4471", 5)
    wait_for(lambda: any(m.rcpt_tos == ["da@example.com"] for m in sink.messages()),
             what="the Danish email")
    time.sleep(1.0)
    assert not any(m.rcpt_tos == ["en@example.com"] for m in sink.messages())
    en = shop.subs_page(status="waiting").json["data"]
    assert [s["email"] for s in en] == ["en@example.com"]
    why = shop.server.get(f"/v1/subscriptions/{en[0]['id']}/decisions", key=shop.key)
    assert why.status == 200 and why.json["data"][0]["decision"] == "waiting"

    r = shop.server.request("DELETE", f"/v1/campaigns/{cid}", key=shop.key)
    assert r.status == 204
    assert shop.server.get(f"/v1/campaigns/{cid}", key=shop.key).status == 404


def test_no_smtp_configured_keeps_email_queued(restock):
    info = restock.add_shop()
    srv = restock.start("--public-url", PUBLIC)
    shop = lib.Shop(srv, info)
    shop.add_variants({"v1": 0})
    assert shop.signup("v1", email="a@example.com").status == 201
    shop.set_stock("v1", 3)
    ns = wait_for(lambda: notifications(shop), what="the notification")
    time.sleep(1.5)
    assert [n["status"] for n in notifications(shop)] == ["queued"], ns


def test_sigkill_during_fanout_and_delivery_loses_nothing(restock, sink):
    """Every waiting shopper gets the message after two crashes; none gets two, except the
    messages handed to SMTP in the instant of a kill, at most one per worker per kill."""
    workers = 4
    info = restock.add_shop()
    args = ("--public-url", PUBLIC, "--smtp-url", f"smtp://127.0.0.1:{sink.port}",
            "--workers", str(workers))
    srv = restock.start(*args)
    shop = lib.Shop(srv, info)
    shop.add_variants({"v1": 0})
    n = 600
    import concurrent.futures as cf
    with cf.ThreadPoolExecutor(8) as ex:
        codes = list(ex.map(lambda i: shop.signup("v1", email=f"p{i}@example.com").status,
                            range(n)))
    assert codes.count(201) == n

    shop.set_stock("v1", 10)
    srv.kill()  # in the middle of the fan-out (or before it)
    srv = restock.start(*args)
    shop.server = srv
    wait_for(lambda: len(sink.messages()) >= n // 3, timeout=120, what="a third delivered")
    srv.kill()  # in the middle of delivery
    srv = restock.start(*args)
    shop.server = srv

    def all_in():
        got = {m.rcpt_tos[0] for m in sink.messages()}
        return len(got) == n and got
    wait_for(all_in, timeout=180, what="every shopper's email")
    time.sleep(2 + 1)  # leases of the killed workers have run out long before; nothing more
    counts = {}
    for m in sink.messages():
        counts[m.rcpt_tos[0]] = counts.get(m.rcpt_tos[0], 0) + 1
    dupes = sum(c - 1 for c in counts.values())
    assert dupes <= 2 * workers, f"{dupes} duplicates"
    assert len(counts) == n
    ns = []
    after = None
    while True:
        page = srv.get("/v1/notifications?limit=1000" + (f"&after={after}" if after else ""),
                       key=shop.key).json
        ns += page["data"]
        after = page["next"]
        if not after:
            break
    assert len(ns) == n and all(x["status"] == "sent" for x in ns)


def test_double_opt_in_confirmation(world, sink):
    shop = world
    assert shop.patch({"double_opt_in": True}).status == 200
    r = shop.signup("4471", email="dee@example.com", first_name="Dee")
    assert r.status == 201 and r.json["status"] == "pending"
    m = wait_for(lambda: sink.messages(), what="the confirmation email")[0].message
    assert "confirm" in m["Subject"].lower()
    text = m.get_body(("plain",)).get_content()
    link = [w for w in text.split() if w.startswith(f"{PUBLIC}/c/")][0]
    path = link[len(PUBLIC):]
    # asking again at once does not send another (at most one a minute)
    assert shop.signup("4471", email="dee@example.com").status == 200
    time.sleep(1.0)
    assert len(sink.messages()) == 1
    # pending shoppers are not told of a restock
    shop.set_stock("4471", 2)
    time.sleep(1.0)
    assert len(sink.messages()) == 1
    shop.set_stock("4471", 0)
    bad = shop.server.get(path[:-2] + ("AA" if not path.endswith("AA") else "BB"))
    assert bad.status == 404
    ok = shop.server.get(path)
    assert ok.status == 200 and b"Confirmed" in ok.body
    assert shop.server.get(path).status == 200  # a second click: already confirmed
    (s,) = shop.subs_page().json["data"]
    assert s["status"] == "waiting" and s.get("confirmed_at")
    shop.set_stock("4471", 2)
    wait_for(lambda: len(sink.messages()) == 2, what="the back-in-stock email")


def test_smtp_down_then_up_delivers_everything(restock):
    """SMTP relay down: messages wait as retrying (with backoff) and go out once it is up."""
    port = lib.free_port()
    info = restock.add_shop()
    srv = restock.start("--public-url", PUBLIC, "--smtp-url", f"smtp://127.0.0.1:{port}",
                        "--retry-base", "1", "--max-attempts", "20")
    shop = lib.Shop(srv, info)
    shop.add_variants({"v1": 0})
    for i in range(3):
        assert shop.signup("v1", email=f"d{i}@example.com").status == 201
    shop.set_stock("v1", 3)
    wait_for(lambda: len([n for n in notifications(shop) if n["status"] == "retrying"]) == 3,
             what="three retrying notifications")
    ns = notifications(shop)
    assert all("connect" in (n["reason"] or "").lower() or n["reason"] for n in ns), ns
    with SmtpSink(port=port) as sink:
        wait_for(lambda: len(sink.messages()) == 3, timeout=60, what="the three emails")
        wait_for(lambda: all(n["status"] == "sent" for n in notifications(shop)),
                 what="all sent")
        assert sorted(m.rcpt_tos[0] for m in sink.messages()) == [
            "d0@example.com", "d1@example.com", "d2@example.com"]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # the point here
def test_smtp_credentials_never_go_in_cleartext(restock):
    """--smtp-user on smtp:// requires STARTTLS: a relay that offers AUTH without it never sees
    the password; the email stays retrying with the reason, nothing is sent."""
    with SmtpSink(auth=("relay-user", "s3cret")) as relay:
        info = restock.add_shop(name="Tee Shop", url="https://shop.example")
        srv = restock.start("--public-url", PUBLIC, "--smtp-url", f"smtp://127.0.0.1:{relay.port}",
                            "--smtp-user", "relay-user", "--smtp-password", "s3cret",
                            "--retry-base", "1")
        shop = lib.Shop(srv, info)
        shop.add_variants({"4471": 0})
        assert shop.signup("4471", email="ada@example.com").status == 201
        shop.set_stock("4471", 5)
        (n,) = wait_for(lambda: [n for n in notifications(shop) if n["status"] == "retrying"],
                        what="a retrying notification")
        assert "STARTTLS" in n["reason"] or "SSL" in n["reason"], n
        assert relay.auth_attempts() == [] and relay.messages() == []


def test_credentials_go_to_a_relay_over_starttls_with_its_own_ca(restock):
    """A relay that offers STARTTLS with a certificate of its own CA (--smtp-ca): restock
    checks the certificate by that CA, logs in over TLS and the mail is delivered; without
    --smtp-ca the certificate is not trusted and nothing, password included, is sent."""
    with SmtpSink(auth=("relay-user", "s3cret"), starttls=True) as relay:
        info = restock.add_shop(name="Tee Shop", url="https://shop.example")
        common = ("--public-url", PUBLIC, "--smtp-url", f"smtp://localhost:{relay.port}",
                  "--smtp-user", "relay-user", "--smtp-password", "s3cret", "--retry-base", "1")
        srv = restock.start(*common)
        shop = lib.Shop(srv, info)
        shop.add_variants({"4471": 0})
        assert shop.signup("4471", email="ada@example.com").status == 201
        shop.set_stock("4471", 5)
        wait_for(lambda: [n for n in notifications(shop) if n["status"] == "retrying"],
                 what="a retrying notification (an untrusted certificate)")
        assert relay.auth_attempts() == [] and relay.messages() == []
        srv.stop()
        srv = restock.start(*common, "--smtp-ca", relay.cert_path)
        shop = lib.Shop(srv, info)
        (m,) = wait_for(lambda: relay.messages(), timeout=30, what="the mail")
        assert m.rcpt_tos == ["ada@example.com"] and m.tls and m.auth_user == "relay-user", m
        assert relay.auth_attempts() == [("relay-user", True)]


def test_a_stuck_test_send_holds_no_http_thread(restock):
    """A test send waits for the mail server (here: one that accepts and never greets) on a
    thread of its own: with one HTTP thread, other requests are still answered meanwhile, and
    the test send is answered 503 with the reason once the server hangs up."""
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(1)
    info = restock.add_shop(name="Tee Shop", url="https://shop.example")
    srv = restock.start("--public-url", PUBLIC, "--threads", "1", "--smtp-url",
                        f"smtp://127.0.0.1:{hole.getsockname()[1]}")
    shop = lib.Shop(srv, info)
    shop.add_variants({"4471": 0})
    cid = [c for c in srv.get("/v1/campaigns", key=shop.key).json["data"]
           if c["channel"] == "email"][0]["id"]
    answer = {}

    def test_send():
        answer["r"] = srv.post(f"/v1/campaigns/{cid}/test",
                               {"email": "me@example.com", "variant_id": "4471"}, key=shop.key)

    t = threading.Thread(target=test_send)
    t.start()
    hole.settimeout(10)
    conn, _ = hole.accept()  # the send is talking to the mail server now
    try:
        started = time.monotonic()
        assert srv.get("/healthz").status == 200
        assert shop.stock("4471").status == 200
        assert time.monotonic() - started < 5  # not the 10 s of the mail server's timeout
        assert t.is_alive()  # still waiting for the greeting
    finally:
        conn.close()
        hole.close()
    t.join(timeout=30)
    r = answer["r"]
    assert r.status == 503 and r.error["message"].startswith("email: delivery failed"), r


def push_subscription(endpoint):
    """A subscription with real keys (a P-256 point and an auth secret) for an endpoint that no
    push service stands behind."""
    key = ec.generate_private_key(ec.SECP256R1())
    pub = key.public_key().public_bytes(serialization.Encoding.X962,
                                        serialization.PublicFormat.UncompressedPoint)
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    return {"endpoint": endpoint, "keys": {"p256dh": b64(pub), "auth": b64(os.urandom(16))}}


@pytest.mark.parametrize("channel", ["email", "sms", "webpush"])
def test_a_stop_ends_a_stuck_test_send(restock, channel):
    """A test send waiting on a mail server that never greets (or an SMS provider or a push
    service that never answers) does not hold a stop to the timeouts (mail: 30 s for a reply,
    120 s in all; SMS and push: 30 s): SIGTERM ends it within about a second, it is answered 503
    "shutting down", and the server exits 0."""
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(1)
    port = hole.getsockname()[1]
    info = restock.add_shop(name="Tee Shop", url="https://shop.example")
    wiring = {"email": ["--smtp-url", f"smtp://127.0.0.1:{port}"],
              "sms": ["--sms-url", f"http://127.0.0.1:{port}/sms", "--sms-user", "u",
                      "--sms-password", "p", "--sms-from", "Shop"],
              "webpush": ["--push-hosts", f"127.0.0.1:{port}"]}
    srv = restock.start("--public-url", PUBLIC, *wiring[channel])
    shop = lib.Shop(srv, info)
    shop.add_variants({"4471": 0})
    cid = [c for c in srv.get("/v1/campaigns", key=shop.key).json["data"]
           if c["channel"] == channel][0]["id"]
    contact = {"email": {"email": "me@example.com"}, "sms": {"phone": "+4520000001"},
               "webpush": {"push": push_subscription(f"http://127.0.0.1:{port}/push/me")}}[channel]
    answer = {}

    def test_send():
        answer["r"] = srv.post(f"/v1/campaigns/{cid}/test", dict(contact, variant_id="4471"),
                               key=shop.key)

    t = threading.Thread(target=test_send)
    t.start()
    hole.settimeout(10)
    conn, _ = hole.accept()  # the send waits for the greeting now
    try:
        started = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        srv.proc.wait(timeout=20)
        assert time.monotonic() - started < 5, "the stop waited for the mail server"
    finally:
        conn.close()
        hole.close()
    t.join(timeout=10)
    r = answer["r"]
    assert r.status == 503 and r.error["message"] == "shutting down", r
    srv.stop()  # exit 0, no sanitizer report


def test_test_sends_at_once_are_bounded(restock):
    """At most 8 test sends wait on outside services at once, each on a thread: a ninth is
    answered 429 with Retry-After and sends nothing, and once they end a test send is taken
    again."""
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(16)
    info = restock.add_shop(name="Tee Shop", url="https://shop.example")
    srv = restock.start("--public-url", PUBLIC, "--smtp-url",
                        f"smtp://127.0.0.1:{hole.getsockname()[1]}")
    shop = lib.Shop(srv, info)
    shop.add_variants({"4471": 0})
    cid = [c for c in srv.get("/v1/campaigns", key=shop.key).json["data"]
           if c["channel"] == "email"][0]["id"]
    answers = []

    def test_send():
        answers.append(srv.post(f"/v1/campaigns/{cid}/test",
                                {"email": "me@example.com", "variant_id": "4471"}, key=shop.key))

    threads = [threading.Thread(target=test_send) for _ in range(8)]
    for t in threads:
        t.start()
    hole.settimeout(10)
    conns = [hole.accept()[0] for _ in threads]  # all 8 talking to the mail server now
    try:
        r = srv.post(f"/v1/campaigns/{cid}/test", {"email": "me@example.com",
                     "variant_id": "4471"}, key=shop.key)
        assert r.status == 429 and r.error["message"].startswith("busy: 8 requests"), r
        assert r.headers.get("Retry-After") == "5"
        hole.settimeout(0.5)
        with pytest.raises(socket.timeout):
            hole.accept()  # the ninth did not connect
        assert all(t.is_alive() for t in threads)
    finally:
        for c in conns:
            c.close()
    for t in threads:
        t.join(timeout=30)
    assert [a.status for a in answers] == [503] * 8
    hole.settimeout(10)
    again = threading.Thread(target=test_send)
    again.start()
    conn, _ = hole.accept()  # taken again: the eight are counted out
    conn.close()
    hole.close()
    again.join(timeout=30)
    assert answers[-1].status == 503, answers[-1]


def test_a_title_with_a_line_break_is_one_line_in_the_subject(world, sink):
    """A feed's title may carry a line break: the subject is folded onto one line (each control
    character a space) and the mail goes out. Before, every such mail failed for good
    ("renders a line break"), though the catalog took the title."""
    shop = world
    r = shop.catalog([{"variant_id": "7000", "title": "Organic\nTee\tXL", "price": "19.90",
                       "url": "https://shop.example/products/tee-xl", "available": 0}])
    assert r.status == 200, r
    assert shop.signup("7000", email="nl@example.com").status == 201
    shop.set_stock("7000", 3)
    (m,) = wait_for(lambda: [m for m in sink.messages() if m.rcpt_tos == ["nl@example.com"]],
                    what="the mail")
    subject = str(m.message["Subject"])
    assert "Organic Tee XL" in subject and "\n" not in subject, subject


def test_names_with_control_characters_are_refused(world):
    """A sender name or a shopper's first name goes into a header or a subject line: one with
    a line break or another control character is 400 naming the field, and nothing changes.
    Before, both were taken, and every mail of the shop (or to that shopper) then failed."""
    shop = world
    r = shop.server.patch("/v1/shop", {"sender_name": "Tee Shop\r\nBcc: all@example.com"},
                          key=shop.key)
    assert r.status == 400 and r.error["message"].startswith("sender_name"), r
    assert shop.server.get("/v1/shop", key=shop.key).json["sender_name"] != \
        "Tee Shop\r\nBcc: all@example.com"
    r = shop.signup("4471", email="cr@example.com", first_name="Ada\nBcc: x@example.com")
    assert r.status == 400 and r.error["message"].startswith("first_name"), r
    assert not [s for s in shop.subs() if s.get("email") == "cr@example.com"]
