"""seed — a shop with history for the report and dashboard tests.

Real sign-ups, a real restock and real delivery (through the SMTP sink) give sent notifications;
the attribution rows that the orders/attribution and tracking endpoints will write (opens, clicks,
orders, conversions, as migration 5 lays them out) are written with sqlite3 while the server is
stopped, then the server is started again on the same database.
"""

import sqlite3
import time

import lib
from lib import wait_for

CATALOG = [
    {"variant_id": "4471", "title": "Organic Tee", "variant_title": "Red / M", "price": "19.90",
     "url": "https://shop.example/products/tee", "available": 0},
    {"variant_id": "5120", "title": 'Wool Hoodie, "Nordic"', "variant_title": "Grå / S",
     "price": "79.00", "url": "https://shop.example/products/hoodie", "available": 0},
    {"variant_id": "7300", "title": "Trail Boot", "variant_title": "Brown / 42", "price": "129.00",
     "url": "https://shop.example/products/boot", "available": 0},
    {"variant_id": "6001", "title": "Canvas Cap", "variant_title": "Black", "price": "15.00",
     "url": "https://shop.example/products/cap", "available": 0},
]
NOTIFIED = {"4471": ["ada@example.com", "bob@example.com", "cy@example.com"],
            "5120": ["dan@example.com", "Eve@Example.com"]}
WAITING = {"7300": [("gil@example.com", 1), ("hal@example.com", 1), ("ivy@example.com", 1)],
           "6001": [("jo@example.com", 2)]}


def sent(shop):
    r = shop.server.get("/v1/notifications?status=sent&limit=1000", key=shop.key)
    assert r.status == 200, r
    return r.json["data"]


def seed(restock, sink, serve_args=()):
    """Returns (shop, facts): a lib.Shop on a running server, and what was written."""
    info = restock.add_shop(name="Tee Shop", url="https://shop.example", currency="EUR",
                            timezone="Europe/Copenhagen")
    args = ["--smtp-url", f"smtp://127.0.0.1:{sink.port}", "--workers", "2", *serve_args]
    srv = restock.start(*args)
    shop = lib.Shop(srv, info)
    assert shop.catalog(CATALOG).status == 200
    for vid, emails in NOTIFIED.items():
        for e in emails:
            assert shop.signup(vid, email=e).status == 201
    for vid, people in WAITING.items():
        for e, q in people:
            assert shop.signup(vid, email=e, quantity=q).status == 201
    for vid in NOTIFIED:
        assert shop.set_stock(vid, 10)["restocked"] == [vid]
    notes = wait_for(lambda: len(sent(shop)) == 5 and sent(shop), what="5 sent notifications")
    subs = {s["id"]: s for s in shop.subs()}
    by_email = {subs[str(n["subscription_id"])]["email"]: n for n in notes}
    assert len(by_email) == 5, by_email
    srv.stop()

    now = int(time.time())
    db = sqlite3.connect(restock.db)
    sid = db.execute("SELECT sid FROM shops WHERE uuid = ?", (shop.id,)).fetchone()[0]

    def order(number, total, email, status=0):
        cur = db.execute(
            "INSERT INTO orders(shop_id, order_number, source, total, currency, created_at,"
            " status, email, received_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (sid, number, "api", total, "EUR", now - 60, status, email, now))
        return cur.lastrowid

    def conversion(note, order_id, kind, amount, status=0):
        db.execute(
            "INSERT INTO conversions(shop_id, notification_id, campaign_id, order_id, kind,"
            " amount, currency, status, at, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (sid, note["id"], note["campaign_id"], order_id, kind, amount, "EUR", status, now - 60,
             now))

    ada, bob, cy = (by_email[e.lower()] for e in NOTIFIED["4471"])
    db.execute("UPDATE notifications SET opened_at = ?, clicked_at = ? WHERE id = ?",
               (now - 120, now - 100, ada["id"]))
    db.execute("UPDATE notifications SET opened_at = ? WHERE id = ?", (now - 110, bob["id"]))
    conversion(ada, order("1001", 3980, "ada@example.com"), 0, 3980)
    conversion(bob, order("1002", 1990, "bob@example.com"), 1, 1990)
    conversion(cy, order("1003", 1990, "cy@example.com", status=1), 1, 1990, status=1)
    db.commit()
    db.close()
    shop.server = restock.start(*args)
    return shop, {"by_email": by_email, "now": now}
