"""The dashboard and the storefront widget in a real browser: Debian's headless Chromium driven by
playwright-core (tests/browser/*.js, installed by scripts/deps.sh). Screenshots are kept in
build/artifacts/browser/ (and the test's tmp dir) for a person to look at."""

import csv
import http.server
import io
import json
import shutil
import subprocess
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import lib
import seed
from sms_provider import SmsProvider

BROWSER_DIR = lib.ROOT / "tests" / "browser"
ARTIFACTS = lib.ROOT / "build" / "artifacts" / "browser"


def node(script, *args, timeout=120):
    p = subprocess.run(["node", str(BROWSER_DIR / script), *map(str, args)], capture_output=True,
                       text=True, timeout=timeout, cwd=BROWSER_DIR)
    assert p.returncode == 0, f"{script} failed:\n{p.stderr[-4000:]}"
    return json.loads(p.stdout.strip().splitlines()[-1])


def keep(out):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for f in out.iterdir():
        shutil.copy(f, ARTIFACTS / f.name)


def test_dashboard(restock, sink, tmp_path):
    shop, facts = seed.seed(restock, sink)
    out = tmp_path / "shots"
    out.mkdir()
    base = f"http://127.0.0.1:{shop.server.port}"
    # the browser's clock is in a zone whose date is not the shop's (Copenhagen) now: the
    # default range is the shop's last 30 days, as /v1/stats counts them, not the browser's
    shop_today = datetime.now(ZoneInfo("Europe/Copenhagen")).date()
    browser_tz = next(z for z in ("Pacific/Kiritimati", "Pacific/Pago_Pago")
                      if datetime.now(ZoneInfo(z)).date() != shop_today)
    res = node("check_dashboard.js", base, shop.key, out, browser_tz)
    keep(out)
    days = {shop_today, datetime.now(ZoneInfo("Europe/Copenhagen")).date()}  # midnight passing
    assert res["range"] in [{"from": str(d - timedelta(days=29)), "to": str(d)} for d in days]
    assert res["errors"] == [], res["errors"]
    assert res["signin_visible"] and "not accepted" in res["wrong_key_error"]
    assert res["key_in_session"] and res["cookies"] == 0
    page = res["before"]
    assert page["loaded"] == "ok" and page["shop"] == "Tee Shop"

    # the chart is drawn, and the numbers shown are /v1/stats's
    chart = page["chart"]
    assert chart["drawn"] == "yes" and chart["painted"] > 1000, chart
    rng = res["range"]
    stats = shop.server.get(f"/v1/stats?from={rng['from']}&to={rng['to']}", key=shop.key)
    assert stats.status == 200, stats
    s, t = stats.json, stats.json["totals"]
    assert page["stats"] == "ok"
    assert chart["direct"] == ",".join(str(d["direct"]["count"]) for d in s["days"])
    assert chart["assisted"] == ",".join(str(d["assisted"]["count"]) for d in s["days"])
    k = page["kpis"]
    assert int(k["sent"]) == t["sent"] and int(k["opened"]) == t["opened"]
    assert int(k["clicked"]) == t["clicked"]
    assert int(k["conversions"]) == t["direct"]["count"] + t["assisted"]["count"]
    for name in ("open_rate", "click_rate", "conversion_rate"):
        assert float(k[name]) == pytest.approx(t[name])
    assert k["gross"] == "59.70" and k["net"] == "59.70"  # 39.80 direct + 19.90 assisted
    assert [e[0] for e in page["events"] if len(e) == 2] == [e["event"] for e in
                                                              s["top_events"]]

    # campaigns as the API lists them, and the switch changed the stored status
    camps = shop.server.get("/v1/campaigns", key=shop.key).json["data"]
    assert [str(c["id"]) for c in camps] == page["campaign_ids"]
    switched = res["switched"]
    now = shop.server.get(f"/v1/campaigns/{switched['id']}", key=shop.key).json
    assert now["status"] == switched["to"] == "paused"

    # most wanted: the demand report's sold-out rows
    assert [r[0] for r in page["demand"]] == ["Trail Boot — Brown / 42", "Canvas Cap — Black"]
    assert page["demand"][0][1:5] == ["3", "0", "129.00 EUR", "387.00 EUR"]

    # customers: the rows of the report, and the CSV the button downloads
    assert [r[0] for r in page["customers"]] == ["ada@example.com", "bob@example.com",
                                                 "cy@example.com", "dan@example.com",
                                                 "eve@example.com"]
    assert page["customers"][0][5:] == ["direct", "1001", "39.80 EUR", "39.80 EUR"]
    assert res["csv_name"] == f"customers-{rng['from']}-{rng['to']}.csv"
    table = list(csv.reader(io.StringIO((out / "customers.csv").read_text("utf-8"), newline="")))
    assert table[0][0] == "contact" and len(table) == 6
    assert [r[0] for r in table[1:]] == [r[0] for r in page["customers"]]
    assert table[1][9:14] == ["direct", "1001", table[1][11], "39.80", "EUR"]
    assert not res["phone_overflow"]
    assert res["customers_fit"]
    bad = res["bad_range"]
    assert bad["loaded"] == "error" and "to" in bad["note"]
    assert len(bad["customers"]) == 1 and "could not be loaded" in bad["customers"][0][0]


class Storefront:
    """A storefront on another origin: product pages with the widget's script tag."""

    def __init__(self, restock_base, shop_id):
        page = ("<!doctype html><html><head><meta charset='utf-8'><title>{t}</title>"
                "<meta name='viewport' content='width=device-width, initial-scale=1'></head>"
                "<body style='font-family:sans-serif;margin:2rem'><h1>{t}</h1><p>{p}</p>"
                "<div id='restock-notify'></div>"
                f"<script src='{restock_base}/widget.js' data-shop='{shop_id}' async></script>"
                "</body></html>")
        pages = {"/products/boot": page.format(t="Trail Boot", p="Sold out"),
                 "/products/tee": page.format(t="Organic Tee", p="In stock")}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/favicon.ico":
                    self.send_response(204)
                    self.end_headers()
                    return
                body = pages.get(self.path.split("?")[0])
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write((body or "no").encode())

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_widget_signs_up_from_another_origin(restock, sink, tmp_path):
    shop, _ = seed.seed(restock, sink)
    out = tmp_path / "shots"
    out.mkdir()
    base = f"http://127.0.0.1:{shop.server.port}"
    store = Storefront(base, shop.id)
    try:
        front = f"http://127.0.0.1:{store.port}"
        res = node("check_widget.js", f"{front}/products/boot?variant=7300",
                   f"{front}/products/tee?variant=4471", "Zoe@Example.com", out)
    finally:
        store.close()
    keep(out)
    assert res["errors"] == [], res["errors"]
    assert res["heading"] == "Notify me when available"
    assert res["first"]["state"] == "created" and "Thanks" in res["first"]["text"]
    assert res["second"]["state"] == "repeat" and "already on the list" in res["second"]["text"]
    assert not res["in_stock_box_visible"]
    # no preflight: the sign-ups went out as simple requests
    assert not [r for r in res["requests"] if r["method"] == "OPTIONS"]
    zoe = [s for s in shop.subs(variant_id="7300") if s.get("email") == "zoe@example.com"]
    assert len(zoe) == 1 and zoe[0]["status"] == "waiting" and zoe[0]["source"] == "widget"


def widget_steps(shop, out, *inputs):
    """Types each input into the widget on a sold-out product page of another origin, submits
    it, and returns check_widget_steps.js's record of what the shopper saw."""
    store = Storefront(f"http://127.0.0.1:{shop.server.port}", shop.id)
    try:
        res = node("check_widget_steps.js",
                   f"http://127.0.0.1:{store.port}/products/boot?variant=7300", out, *inputs)
    finally:
        store.close()
    keep(out)
    assert res["errors"] == [], res["errors"]
    return res


def rgb(css):
    return tuple(int(x) for x in css[css.index("(") + 1:css.index(")")].split(",")[:3])


def assert_error_shown(step, text, blames_field=True):
    """An error in the shopper's words, announced as an alert, styled apart from the rest; the
    field is marked invalid when what was typed is the trouble."""
    assert step["state"] == "error" and step["text"] == text, step
    assert step["role"] == "alert" and step["live"] == "assertive", step
    assert step["invalid"] == blames_field and step["described"], step
    r, g, b = rgb(step["color"])
    assert r > 150 and g < 80 and b < 80, step  # red-ish text...
    assert step["background"] not in ("rgba(0, 0, 0, 0)", "transparent"), step  # ...on a panel
    for raw in ("E.164", "email:", "phone:", "channel:"):  # never the API's own message
        assert raw not in step["text"], step


BAD_EMAIL = "Enter your email address, like name@example.com."
BAD_ANY = "Enter your email, or a mobile number with country code, like +45 20 12 34 56."


def test_widget_under_double_opt_in_asks_to_confirm_by_email(restock, tmp_path):
    """No SMS provider: the widget asks for an email only, and under double opt-in tells the
    shopper to check their inbox instead of thanking them as if it were done."""
    shop = lib.Shop(restock.start(), restock.add_shop())
    shop.add_variants({"7300": 0})
    assert shop.patch({"double_opt_in": True}).status == 200
    assert shop.stock("7300").json["channels"] == ["email", "webpush"]
    out = tmp_path / "shots"
    out.mkdir()
    res = widget_steps(shop, out, "Ada@Example.com", "hello", "+45 20 12 34 56",
                       "ada@example.com")
    assert res["placeholder"] == res["label"] == "Email address"
    first, hello, phone, again = res["steps"]
    assert first["state"] == "pending" and first["role"] == "status", first
    assert first["text"] == "Almost done: check your inbox to confirm."
    assert not first["invalid"] and "Thanks" not in first["text"]
    assert_error_shown(hello, BAD_EMAIL)
    assert_error_shown(phone, BAD_EMAIL)  # no SMS here: a number is not taken as one
    # asked again while pending: the confirmation is resent, so the same words; the field is
    # no longer marked invalid
    assert again["state"] == "pending" and again["text"] == first["text"], again
    assert not again["invalid"] and again["role"] == "status"
    assert any("email: not a valid email address" in w for w in res["warnings"])  # for devs
    subs = shop.subs()
    assert [(s["channel"], s["email"], s["status"]) for s in subs] == [
        ("email", "ada@example.com", "pending")]


def test_widget_with_sms_asks_to_confirm_by_phone_and_words_errors(restock, tmp_path):
    """With an SMS provider, the field takes a mobile number too; a pending SMS sign-up says
    to check the phone (and the confirmation text is sent), and wrong input, or too many tries,
    is told in plain words."""
    with SmsProvider() as sms:
        shop = lib.Shop(restock.start("--sms-url", sms.url(), "--sms-from", "+4512345678",
                                      "--rate-limit-contact", "1"), restock.add_shop())
        shop.add_variants({"7300": 0})
        assert shop.patch({"double_opt_in": True}).status == 200
        assert shop.stock("7300").json["channels"] == ["email", "sms", "webpush"]
        out = tmp_path / "shots"
        out.mkdir()
        res = widget_steps(shop, out, "+45 20 12 34 56", "hello", "20123456", "bo@example.com",
                           "bo@example.com")
        texts = lib.wait_for(lambda: sms.requests(), what="the confirmation SMS")
    assert res["placeholder"] == res["label"] == "Email or mobile number"
    phone, hello, local, mail, limited = res["steps"]
    assert phone["state"] == "pending" and phone["text"] == (
        "Almost done: check your phone to confirm."), phone
    assert texts[0]["fields"]["To"] == "+4520123456" and "/c/" in texts[0]["fields"]["Body"]
    assert_error_shown(hello, BAD_ANY)
    assert_error_shown(local, BAD_ANY)
    assert mail["state"] == "pending" and mail["text"] == (
        "Almost done: check your inbox to confirm."), mail
    assert rgb(mail["color"]) != rgb(hello["color"])
    assert_error_shown(limited, "Too many tries, please wait a moment.", blames_field=False)
    assert sorted((s["channel"], s["status"]) for s in shop.subs()) == [
        ("email", "pending"), ("sms", "pending")]


class Recorder:
    """A storefront origin that serves a copy of restock's /sw.js and a page registering it, and
    stands in for the tracking branch's POST /v1/events, recording what the worker sends."""

    def __init__(self, sw_source):
        self.events = []
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path.startswith("/sw.js"):
                    body, kind = sw_source, "text/javascript"
                elif self.path == "/page":
                    body = (b"<!doctype html><script>navigator.serviceWorker.register("
                            b"'/sw.js?restock=' + encodeURIComponent(location.origin))"
                            b".then(() => navigator.serviceWorker.ready)"
                            b".then(() => { window.__swReady = true; });</script>")
                    kind = "text/html"
                else:
                    self.send_response(204)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                rec.events.append((self.path, self.headers.get("Content-Type"),
                                   self.rfile.read(n).decode()))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_service_worker_shows_push_and_reports_open(restock, tmp_path):
    restock.add_shop()
    srv = restock.start()
    sw = srv.get("/sw.js")
    assert sw.status == 200
    rec = Recorder(sw.body)
    payload = {"title": "Organic Tee is back", "body": "Red / M, 19.90 EUR",
               "icon": "https://shop.example/icon.png", "image": "https://shop.example/tee.jpg",
               "link": "https://restock.test/r/abc", "msg_hash": "h-123",
               "buttons": [{"title": "Buy now", "link": "https://restock.test/r/abc?to=cart"},
                           {"title": "See it", "link": "https://restock.test/r/abc"}]}
    try:
        res = node("check_sw.js", f"http://127.0.0.1:{rec.port}/page", json.dumps(payload),
                   tmp_path)
        seed.wait_for(lambda: rec.events, timeout=10, what="the open event")
    finally:
        rec.close()
    assert res["errors"] == []
    [n] = res["notifications"]
    assert n["title"] == payload["title"] and n["body"] == payload["body"]
    assert n["icon"] == payload["icon"] and n["image"] == payload["image"]
    assert n["tag"] == "h-123"
    assert [a["title"] for a in n["actions"]] == ["Buy now", "See it"]
    [(path, ctype, body)] = rec.events
    assert path == "/v1/events" and ctype.startswith("text/plain")
    assert json.loads(body) == {"msgHash": "h-123", "event": "open"}


def test_assets_served(restock):
    restock.add_shop()
    srv = restock.start()
    for path, kind in [("/dashboard", "text/html"), ("/dashboard/", "text/html"), ("/dashboard/app.js", "text/javascript"),
                       ("/dashboard/app.css", "text/css"), ("/dashboard/chart.js", "text/javascript"),
                       ("/widget.js", "text/javascript"), ("/sw.js", "text/javascript")]:
        r = srv.get(path)
        assert r.status == 200 and r.headers["Content-Type"].startswith(kind), (path, r)
        assert len(r.body) > 500
    assert b"Chart.js v" in srv.get("/dashboard/chart.js").body
    assert srv.get("/widget.js").headers["Access-Control-Allow-Origin"] == "*"
    assert srv.get("/dashboard/nope.js").status == 404
    assert srv.post("/dashboard", {}).status == 405
