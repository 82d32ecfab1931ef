"""Campaigns over HTTP, end to end (SPEC §5): what a campaign's state and settings do to the
subscribers waiting for a restock and to the messages already queued for them, through the real
binary and a real SMTP server."""

import datetime
import sqlite3
import time

import lib
from lib import wait_for

PUBLIC = "https://restock.test"


def start(restock, sink=None, currency="EUR"):
    """One shop on a server (email through `sink` when given), with variant v1 sold out."""
    info = restock.add_shop(name="Tee Shop", url="https://shop.example", currency=currency,
                            timezone="Europe/Copenhagen")
    args = ["--public-url", PUBLIC, "--retry-base", "1"]
    if sink:
        args += ["--smtp-url", f"smtp://127.0.0.1:{sink.port}"]
    shop = lib.Shop(restock.start(*args), info)
    price = "2000" if currency == "JPY" else "19.90"
    r = shop.catalog([{"variant_id": "v1", "title": "Organic Tee", "price": price,
                       "url": "https://shop.example/p/v1", "available": 0}])
    assert r.status == 200, r
    return shop


def campaigns(shop):
    r = shop.server.get("/v1/campaigns", key=shop.key)
    assert r.status == 200, r
    return r.json["data"]


def default_email(shop):
    return [c for c in campaigns(shop) if c["channel"] == "email" and c["is_default"]][0]


def notifications(shop):
    r = shop.server.get("/v1/notifications", key=shop.key)
    assert r.status == 200, r
    return r.json["data"]


def test_test_contacts_must_be_of_the_campaigns_channel(restock):
    shop = start(restock)
    before = campaigns(shop)
    for channel, contact in (("sms", "qa@shop.example"), ("email", "+4520123456"),
                             ("webpush", "qa@shop.example")):
        r = shop.server.post("/v1/campaigns", {"channel": channel, "status": "test",
                                               "test_contacts": [contact]}, key=shop.key)
        assert r.status == 400, r
        assert r.error["message"].startswith("test_contacts[0]: must be "), r.error
        assert f"channel is {channel}" in r.error["message"]
    assert campaigns(shop) == before  # nothing stored
    em = default_email(shop)
    r = shop.server.patch(f"/v1/campaigns/{em['id']}", {"status": "test",
                                                        "test_contacts": ["+4520123456"]},
                          key=shop.key)
    assert r.status == 400 and "test_contacts[0]" in r.error["message"], r
    assert default_email(shop) == em
    r = shop.server.post("/v1/campaigns", {"channel": "sms", "status": "test",
                                           "test_contacts": ["+45 20 12 34 56"]}, key=shop.key)
    assert r.status == 201 and r.json["test_contacts"] == ["+4520123456"], r


def test_price_filter_in_a_currency_without_decimals(restock, sink):
    """A yen shop: min_price 1000 is 1000 yen, so a 2000-yen tee is in the 1000–5000 range."""
    shop = start(restock, sink, currency="JPY")
    assert shop.variant("v1").json["price"] == "2000"
    r = shop.server.post("/v1/campaigns", {
        "channel": "email", "name": "mid-price", "status": "active",
        "product_filters": {"min_price": "1000", "max_price": 5000},
        "templates": {"en": {"subject": "Mid {{product_title}}", "html": "<p>x</p>",
                             "text": "x"}}}, key=shop.key)
    assert r.status == 201, r
    assert (r.json["product_filters"]["min_price"], r.json["product_filters"]["max_price"]) == (
        "1000", "5000")
    cid = r.json["id"]
    bad = shop.server.post("/v1/campaigns", {"channel": "email",
                                             "product_filters": {"min_price": "10.50"}},
                           key=shop.key)
    assert bad.status == 400 and "at most 0 decimals" in bad.error["message"], bad
    assert shop.signup("v1", email="a@example.com").status == 201
    shop.set_stock("v1", 3)
    (m,) = wait_for(lambda: sink.messages(), what="the email")
    assert m.message["Subject"] == "Mid Organic Tee"
    assert [n["campaign_id"] for n in notifications(shop)] == [cid]


def test_a_campaign_switched_to_test_sends_only_to_its_test_contacts(restock, sink):
    """Queued while no SMTP relay is configured, then the campaign goes to test: after a restart
    with the relay, only the test contact's message goes out; the other is dropped and its
    subscriber waits again."""
    shop = start(restock)
    assert shop.signup("v1", email="real@example.com").status == 201
    assert shop.signup("v1", email="tester@example.com").status == 201
    shop.set_stock("v1", 5)
    wait_for(lambda: len(notifications(shop)) == 2, what="two queued")
    em = default_email(shop)
    r = shop.server.patch(f"/v1/campaigns/{em['id']}",
                          {"status": "test", "test_contacts": ["Tester@example.com"]},
                          key=shop.key)
    assert r.status == 200 and r.json["status"] == "test", r
    shop.server.stop()
    shop.server = restock.start("--public-url", PUBLIC, "--smtp-url",
                                f"smtp://127.0.0.1:{sink.port}")
    wait_for(lambda: {n["status"] for n in notifications(shop)} == {"sent", "dropped"},
             what="both settled")
    time.sleep(0.5)
    assert [m.rcpt_tos for m in sink.messages()] == [["tester@example.com"]]
    (dropped,) = [n for n in notifications(shop) if n["status"] == "dropped"]
    assert "test contacts" in dropped["reason"]
    assert [s["email"] for s in shop.subs() if s["status"] == "waiting"] == ["real@example.com"]


def test_price_bounds_given_back_as_shown(restock):
    """A yen shop's campaign stored when bounds were always read with 2 decimals shows them as
    "1000.00" (and "10.50"); a PATCH giving back what GET showed is taken, not a 400."""
    shop = start(restock, currency="JPY")
    r = shop.server.post("/v1/campaigns", {
        "channel": "email", "name": "old", "product_filters": {"min_price": "1000"}},
        key=shop.key)
    assert r.status == 201, r
    cid = r.json["id"]
    db = sqlite3.connect(shop.server.owner.db, timeout=10)
    with db:  # as an older restock wrote it
        db.execute("UPDATE campaigns SET json = replace(json, '\"min_price\":\"1000\"',"
                   " '\"min_price\":\"1000.00\",\"max_price\":\"5000.50\"') WHERE id = ?", (cid,))
    db.close()
    shown = shop.server.get(f"/v1/campaigns/{cid}", key=shop.key).json
    assert (shown["product_filters"]["min_price"], shown["product_filters"]["max_price"]) == (
        "1000.00", "5000.50")
    shown["product_filters"]["on_sale_only"] = True
    r = shop.server.patch(f"/v1/campaigns/{cid}", {"product_filters": shown["product_filters"]},
                          key=shop.key)
    assert r.status == 200, r
    assert r.json["product_filters"]["on_sale_only"] is True
    assert (r.json["product_filters"]["min_price"], r.json["product_filters"]["max_price"]) == (
        "1000.00", "5000.50")  # the finer one keeps both in its decimals
    r = shop.server.patch(f"/v1/campaigns/{cid}", shown, key=shop.key)  # the whole answer back
    assert r.status == 200, r
    r = shop.server.patch(f"/v1/campaigns/{cid}", {"product_filters": {"min_price": "1000.00"}},
                          key=shop.key)
    assert r.status == 200 and r.json["product_filters"]["min_price"] == "1000", r
    r = shop.server.patch(f"/v1/campaigns/{cid}", {"product_filters": {"min_price": "10.50"}},
                          key=shop.key)
    assert r.status == 400 and "at most 0 decimals" in r.error["message"], r


def set_status(shop, campaign, **fields):
    r = shop.server.patch(f"/v1/campaigns/{campaign['id']}", fields, key=shop.key)
    assert r.status == 200, r
    return r.json


def test_a_resumed_campaign_tells_who_waited_while_it_was_paused(restock, sink):
    """Paused when v1 restocks: nothing is sent and the subscribers keep waiting. Made active
    again while v1 is in stock: each is sent one message, by that same restock; an edit of the
    campaign afterwards (its notes) sends nothing more."""
    shop = start(restock, sink)
    for who in ("a@example.com", "b@example.com"):
        assert shop.signup("v1", email=who).status == 201
    em = default_email(shop)
    set_status(shop, em, status="paused")
    assert shop.set_stock("v1", 5)["restocked"] == ["v1"]
    time.sleep(1.5)
    assert sink.messages() == [] and notifications(shop) == []
    assert [s["status"] for s in shop.subs()] == ["waiting", "waiting"]
    set_status(shop, em, status="active")
    wait_for(lambda: len(sink.messages()) == 2, what="two emails after the resume")
    set_status(shop, em, notes="resumed after the photo shoot")
    time.sleep(1.5)
    assert sorted(m.rcpt_tos[0] for m in sink.messages()) == ["a@example.com", "b@example.com"]
    assert [s["status"] for s in shop.subs()] == ["notified", "notified"]
    notes = notifications(shop)
    assert [n["status"] for n in notes] == ["sent", "sent"]
    assert len({n["restock_id"] for n in notes}) == 1, notes


def test_max_sends_holds_for_a_restock_across_pause_and_resume(restock, sink):
    """max_sends 2 with six waiting for each of v1 and v2. v1 restocks while the campaign is
    active: two are sent. Paused, v2 restocks: nothing. Resumed, then edited and paused and
    resumed again: v2's restock sends its two, v1's none more — two per restock, however often
    the campaign changes."""
    shop = start(restock, sink)
    r = shop.catalog([{"variant_id": "v2", "title": "Organic Cap", "price": "9.90",
                       "url": "https://shop.example/p/v2", "available": 0}])
    assert r.status == 200, r
    for i in range(6):
        assert shop.signup("v1", email=f"a{i}@example.com").status == 201
        assert shop.signup("v2", email=f"b{i}@example.com").status == 201
    em = default_email(shop)
    set_status(shop, em, delivery={"send_ratio": 0, "interval_minutes": 60, "max_sends": 2})
    shop.set_stock("v1", 50)
    wait_for(lambda: len(sink.messages()) == 2, what="v1's two")
    set_status(shop, em, status="paused")
    shop.set_stock("v2", 50)
    time.sleep(1.5)
    assert len(sink.messages()) == 2
    set_status(shop, em, status="active")
    wait_for(lambda: len(sink.messages()) == 4, what="v2's two after the resume")
    set_status(shop, em, notes="edited")
    set_status(shop, em, status="paused")
    set_status(shop, em, status="active")
    time.sleep(2.0)
    to = sorted(m.rcpt_tos[0] for m in sink.messages())
    assert to == ["a0@example.com", "a1@example.com", "b0@example.com", "b1@example.com"], to
    waiting = sorted(s["email"] for s in shop.subs() if s["status"] == "waiting")
    assert waiting == [f"a{i}@example.com" for i in range(2, 6)] + [
        f"b{i}@example.com" for i in range(2, 6)], waiting


def test_messages_a_pause_dropped_unsent_give_the_max_sends_budget_back(restock, sink):
    """max_sends 2 with four waiting: two are queued while no SMTP relay is configured, then the
    campaign is paused and the server restarted with the relay: both are dropped, unsent.
    Resumed, the restock's budget is whole again: the same two are sent — and no more, however
    often it is paused and resumed afterwards."""
    shop = start(restock)
    for i in range(4):
        assert shop.signup("v1", email=f"a{i}@example.com").status == 201
    em = default_email(shop)
    set_status(shop, em, delivery={"send_ratio": 0, "interval_minutes": 60, "max_sends": 2})
    shop.set_stock("v1", 50)
    wait_for(lambda: [n["status"] for n in notifications(shop)] == ["queued", "queued"],
             what="two queued")
    set_status(shop, em, status="paused")
    shop.server.stop()
    shop.server = restock.start("--public-url", PUBLIC, "--retry-base", "1", "--smtp-url",
                                f"smtp://127.0.0.1:{sink.port}")
    wait_for(lambda: [n["status"] for n in notifications(shop)] == ["dropped", "dropped"],
             what="both dropped")
    assert sink.messages() == []
    assert [s["status"] for s in shop.subs()] == ["waiting"] * 4
    set_status(shop, em, status="active")
    wait_for(lambda: len(sink.messages()) == 2, what="two emails after the resume")
    set_status(shop, em, status="paused")
    set_status(shop, em, status="active")
    time.sleep(2.0)
    to = sorted(m.rcpt_tos[0] for m in sink.messages())
    assert to == ["a0@example.com", "a1@example.com"], to
    assert [n["status"] for n in notifications(shop)] == ["sent", "sent"]
    waiting = sorted(s["email"] for s in shop.subs() if s["status"] == "waiting")
    assert waiting == ["a2@example.com", "a3@example.com"], waiting


def test_migration_15_gives_a_campaign_waiting_to_start_its_re_walk(restock):
    """A database from before re-walks holds an active campaign that starts in an hour and one
    that started yesterday: the upgrade records a re-walk at the first one's starts_at only."""
    restock.add_shop(name="Tee Shop", url="https://shop.example")
    later = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + \
        datetime.timedelta(hours=1)
    with sqlite3.connect(restock.db) as db:
        db.execute("DROP INDEX campaigns_rewalk")
        db.execute("ALTER TABLE campaigns DROP COLUMN rewalk_at")
        for col in ("budget_units", "cap_day", "maybe_sent"):  # migration 16's
            db.execute(f"ALTER TABLE notifications DROP COLUMN {col}")
        db.execute("UPDATE campaigns SET json = json_set(json, '$.starts_at', ?)"
                   " WHERE channel = 0", (later.strftime("%Y-%m-%dT%H:%M:%SZ"),))
        db.execute("UPDATE campaigns SET json = json_set(json, '$.starts_at',"
                   " '2020-01-01T00:00:00Z') WHERE channel = 1")
        db.execute("PRAGMA user_version = 14")
    restock.start().stop()
    with sqlite3.connect(restock.db) as db:
        got = dict(db.execute("SELECT channel, rewalk_at FROM campaigns"))
    assert got == {0: int(later.timestamp()), 1: 0, 2: 0}, got
