"""`serve --demo` (SPEC §3): a demo shop with products, subscribers and history on an empty
database, nothing new on a database that has a shop."""

import datetime
import json
import re
import sqlite3

import lib

DEMO_LINE = re.compile(r"demo shop (\S+) created; its API key is (rk_\S+)")


def demo_shop(server):
    """(id, key) from the log line of a demo shop created by this server, or None."""
    for rec in server.log_records():
        m = DEMO_LINE.search(rec.get("msg", ""))
        if m:
            return m.group(1), m.group(2)
    return None


def count_shops(db):
    with sqlite3.connect(db) as c:
        return c.execute("SELECT count(*) FROM shops").fetchone()[0]


def test_demo_on_an_empty_database(restock):
    server = restock.start("--demo")
    found = demo_shop(server)
    assert found, server.log()
    sid, key = found
    shop = lib.Shop(server, {"id": sid, "api_key": key})
    assert shop.settings()["name"] == "Demo Shop"
    r = shop.stock("4471")
    assert r.status == 200 and r.json["status"] == "sold_out", r
    # no SMTP relay nor SMS provider: the widget still takes email sign-ups (they wait queued)
    assert r.json["channels"] == ["email", "webpush"]
    assert shop.stock("4472").json["status"] == "in_stock"
    subs = shop.subs()
    waiting = [s for s in subs if s["status"] == "waiting"]
    assert waiting and {s["variant_id"] for s in waiting} <= {"4471", "5120", "7300"}
    # history: past restocks told their shoppers, some of whom bought
    assert {s["status"] for s in subs} == {"waiting", "notified"}
    today = datetime.datetime.now(datetime.timezone.utc).date()
    r = server.get(f"/v1/stats?from={today - datetime.timedelta(days=30)}&to={today}",
                   key=key)
    assert r.status == 200, r
    t = r.json["totals"]
    assert t["sent"] > 0 and t["opened"] > 0 and t["clicked"] > 0, t
    assert t["direct"]["count"] > 0 and t["assisted"]["count"] > 0, t
    assert r.json["top_events"], r.json
    # the README's walk-through
    r = shop.signup("4471", email="you@example.com", content_type="text/plain")
    assert r.status == 201
    assert shop.set_stock("4471", 5) == {"created": 0, "updated": 1, "restocked": ["4471"]}

    # a second start on the same database creates nothing
    server.stop()
    again = restock.start("--demo")
    assert demo_shop(again) is None, again.log()
    shop2 = lib.Shop(again, {"id": sid, "api_key": key})
    assert len(shop2.subs()) == len(subs) + 1
    again.stop()
    assert count_shops(restock.db) == 1


def test_demo_on_a_database_with_a_shop(restock):
    info = restock.add_shop()
    server = restock.start("--demo")
    assert demo_shop(server) is None, server.log()
    assert any("no demo shop created" in r.get("msg", "") for r in server.log_records())
    assert info["id"] not in server.log()
    server.stop()
    assert count_shops(restock.db) == 1
    assert lib.Shop(restock.start(), info).subs() == []


def test_demo_key_is_shown_once_and_a_new_one_can_be_had(restock):
    """A later start names the demo shop, not its key, in one line that holds the command
    giving it a new key; that command's key works and the one in the first log is 401."""
    server = restock.start("--demo")
    sid, key = demo_shop(server)
    server.stop()
    again = restock.start("--demo")
    assert key not in again.log()
    lines = [r["msg"] for r in again.log_records() if sid in r.get("msg", "")]
    assert len(lines) == 1, again.log()
    m = re.search(r"restock (shop key --shop (\S+) --db (\S+))", lines[0])
    assert m and m.group(2) == sid and m.group(3) == restock.db, lines[0]
    p = restock.cli(*m.group(1).split())
    assert p.returncode == 0, p
    new = json.loads(p.stdout)
    assert new["id"] == sid and new["api_key"] != key
    assert lib.Shop(again, new).settings()["name"] == "Demo Shop"
    lib.wait_for(lambda: again.get("/v1/shop", key=key).status == 401, timeout=5,
                 what="the logged key refused")


def test_demo_renamed_is_still_found(restock):
    """The demo shop is known by its storefront, not its name."""
    server = restock.start("--demo")
    sid, key = demo_shop(server)
    assert lib.Shop(server, {"id": sid, "api_key": key}).patch({"name": "Mine"}).status == 200
    server.stop()
    again = restock.start("--demo")
    assert any(sid in r.get("msg", "") for r in again.log_records()), again.log()


def log_pattern(line, port):
    """A regex for a log message the README shows: its port for 8080, any text for a word
    elided with …"""
    line = line.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
    words = [r"\S+" if "…" in w else re.escape(w) for w in line.split()]
    return re.compile(r"\s+".join(words) + "$")


def readme_startup_logs():
    """The README's startup-log blocks: each fenced block that holds a "listening on" line."""
    blocks, block = [], None
    for line in (lib.ROOT / "README.md").read_text().splitlines():
        if line.startswith("```"):
            block = [] if block is None else blocks.append(block)
        elif block is not None:
            block.append(line)
    return [b for b in blocks if any("listening on" in line for line in b)]


def test_readme_shows_the_startup_log_as_printed(restock):
    """The README's log of a first `make run` (`serve --db restock.db --demo`) and of a later
    one: the first messages of each start, in that order."""
    first, later = readme_startup_logs()
    for block in (first, later):
        server = restock.start("--db", "restock.db", "--demo", db=False)
        msgs = [r.get("msg", "") for r in server.log_records()][:len(block)]
        assert len(msgs) == len(block), server.log()
        for line, msg in zip(block, msgs):
            assert log_pattern(line, server.port).match(msg), (line, msg)
        server.stop()
