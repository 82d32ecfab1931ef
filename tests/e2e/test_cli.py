"""The command line (SPEC §3): help, version, exit codes with one line on stderr, `shop add`,
and configuration precedence (flag > environment > file), each observed from outside."""

import base64
import hashlib
import json
import re
import socket
import sqlite3
import time
import uuid

import pytest

import lib

SPEC_OPTIONS = ["--listen", "--db", "--public-url", "--smtp-url", "--smtp-user", "--smtp-password",
                "--sms-url", "--sms-user", "--sms-password", "--sms-from", "--vapid-subject",
                "--push-hosts", "--workers", "--log-format", "--config"]


def one_line_failure(p, code, *words):
    """p failed with `code`, printed nothing on stdout and exactly one line on stderr that holds
    every word."""
    assert p.returncode == code, (p.returncode, p.stderr)
    assert p.stdout == "", p.stdout
    lines = p.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{p.stderr}"
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def test_help_lists_usage_and_every_option(restock):
    p = restock.cli("--help")
    assert p.returncode == 0 and p.stderr == ""
    assert "restock serve" in p.stdout and "restock shop add" in p.stdout
    for opt in SPEC_OPTIONS:
        assert opt in p.stdout, opt


def readme_options():
    """[(names, default)] of the README's options table, row by row, backticks dropped."""
    text = (lib.ROOT / "README.md").read_text()
    rows = text.split("| option | flag / variable | default |\n|---|---|---|\n", 1)[1]
    out = []
    for line in rows.split("\n\n", 1)[0].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        assert len(cells) == 3, line
        out.append((re.findall(r"`([a-z_]+)`", cells[0]), cells[2].replace("`", "")))
    return out


def help_options(text):
    """[(name, default)] of the options --help prints, in order."""
    out = []
    for line in text.split("Options (", 1)[1].splitlines()[1:]:
        if not line.strip():
            break
        m = re.fullmatch(r"  --([a-z-]+)(?: [A-Z]+)? +.*? \[([^\[\]]*)\]", line)
        assert m, line
        out.append((m.group(1).replace("-", "_"), m.group(2)))
    return out


@pytest.mark.parametrize("cmd", [["--help"], ["serve", "--help"]], ids=" ".join)
def test_help_prints_the_readme_options_table(restock, cmd):
    """README: --help prints its options table: the same options in the same order, each with
    the default that the README's default column starts with."""
    shown = help_options(restock.cli(*cmd).stdout)
    rows = readme_options()
    names = [n for ns, _ in rows for n in ns]
    assert [n for n, _ in shown] == names, ([n for n, _ in shown], names)
    defaults = {n: d for ns, d in rows for n in ns}
    for name, default in shown:
        assert defaults[name].startswith(default), (name, default, defaults[name])


def test_version(restock):
    p = restock.cli("--version")
    assert p.returncode == 0 and p.stderr == ""
    assert re.fullmatch(r"restock \d+\.\d+\.\d+\n", p.stdout), p.stdout


COMMANDS = [["serve"], ["shop", "add"], ["shop", "key"], ["export", "customers"], ["import-feed"],
            ["import-orders"]]


def usage_lines(text):
    """{command words: its usage line} from the Usage section of `restock --help`."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"  (restock ([a-z][a-z-]*)(?: ([a-z]+))? [\[-].*)$", line)
        if m:
            out[tuple(w for w in m.group(2, 3) if w)] = m.group(1)
    return out


@pytest.mark.parametrize("cmd", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("how", [["--help"], ["-h"], ["--shop", "x", "--help"]],
                         ids=["--help", "-h", "late"])
def test_every_command_takes_help(restock, cmd, how):
    """`restock CMD --help` prints the command's usage, as `restock --help` gives it, on stdout
    and exits 0 without touching the database; after other flags too."""
    lines = usage_lines(restock.cli("--help").stdout)
    assert tuple(cmd) in lines, lines
    p = restock.cli(*cmd, *how, "--db", restock.db)
    assert p.returncode == 0 and p.stderr == "", p
    first = p.stdout.splitlines()[0]
    assert first == "Usage: " + lines[tuple(cmd)], first
    assert "Exit codes: 0 success, 1 runtime failure, 2 bad usage" in p.stdout
    if cmd == ["serve"]:
        for opt in SPEC_OPTIONS:
            assert opt in p.stdout, opt
    assert not (restock.dir / "restock.db").exists()


def test_help_as_a_flag_value_is_a_value(restock):
    """-h where a flag's value stands is that value: a shop named -h."""
    p = restock.cli("shop", "add", "--name", "-h", "--url", "https://h.example", "--db",
                    restock.db)
    assert p.returncode == 0, p
    assert json.loads(p.stdout)["id"]


@pytest.mark.parametrize("group,actions", [("shop", ["add", "key"]), ("export", ["customers"])])
def test_command_groups(restock, group, actions):
    """`restock shop` says what it expects (bad usage, exit 2); `restock shop --help` lists
    its actions' usage lines."""
    line = one_line_failure(restock.cli(group), 2, group, *actions, f"restock {group} --help")
    assert line.startswith("restock: "), line
    one_line_failure(restock.cli(group, "frobnicate"), 2, "frobnicate")
    lines = usage_lines(restock.cli("--help").stdout)
    for how in ["--help", "-h"]:
        p = restock.cli(group, how)
        assert p.returncode == 0 and p.stderr == "", p
        for a in actions:
            assert lines[(group, a)] in p.stdout, (a, p.stdout)


@pytest.mark.parametrize("args,words", [
    ([], ["restock"]),
    (["frobnicate"], ["frobnicate"]),
    (["shop"], ["shop"]),
    (["shop", "remove"], ["remove"]),
    (["serve", "--bogus"], ["--bogus"]),
    (["serve", "--bogus", "1"], ["--bogus"]),
    (["serve", "stray"], ["stray"]),
    (["serve", "--demo=yes"], ["--demo"]),
    (["serve", "--listen"], ["--listen"]),
    (["serve", "--listen", "nonsense"], ["listen"]),
    # a port getaddrinfo would truncate (99999 binds 34463), or not a port at all
    (["serve", "--listen", "127.0.0.1:99999"], ["listen", "99999"]),
    (["serve", "--listen", "127.0.0.1:65536"], ["listen", "65536"]),
    (["serve", "--listen", "127.0.0.1:0"], ["listen"]),
    (["serve", "--listen", "127.0.0.1:"], ["listen"]),
    (["serve", "--listen", "127.0.0.1:-80"], ["listen"]),
    (["serve", "--listen", "127.0.0.1:http"], ["listen"]),
    (["serve", "--listen", "127.0.0.1:080x"], ["listen"]),
    (["serve", "--workers", "0"], ["workers"]),
    (["serve", "--workers", "many"], ["workers"]),
    (["serve", "--body-limit", "10"], ["body_limit"]),
    (["serve", "--db", "postgresql://localhost/restock"], ["db"]),
    (["serve", "--push-hosts", "bad host!"], ["push_hosts"]),
    (["serve", "--config", "/nonexistent/restock.conf"], ["/nonexistent/restock.conf"]),
    (["serve", "--log-format", "xml"], ["log_format"]),
    (["serve", "--public-url", "ftp://restock.example"], ["public_url"]),
    (["serve", "--public-url", "restock.example"], ["public_url"]),
    (["serve", "--smtp-url", "gopher://x"], ["smtp_url"]),
    (["serve", "--smtp-url", "mail.example:25"], ["smtp_url"]),
    (["serve", "--vapid-subject", "foo"], ["vapid_subject"]),
    (["serve", "--vapid-subject", "http://shop.example"], ["vapid_subject"]),
    (["serve", "--sms-url", "sms.example/send"], ["sms_url"]),
])
def test_bad_usage_exits_2_with_one_line(restock, args, words):
    if args[:1] == ["serve"] and "--db" not in args:
        args = ["serve", "--db", restock.db, *args[1:]]
    p = restock.cli(*args, timeout=20)
    line = one_line_failure(p, 2, *words)
    assert line.startswith("restock: "), line


@pytest.mark.parametrize("extra,field", [
    (["--url", "ftp://shop.example"], "url"),
    (["--url", "https://shop.example/path"], "url"),
    (["--url", "https://user@shop.example"], "url"),
    (["--url", "shop.example"], "url"),
    (["--url", ""], "url"),
    (["--url", "https://shop.example", "--currency", "XYZ"], "currency"),
    (["--url", "https://shop.example", "--currency", "euro"], "currency"),
    (["--url", "https://shop.example", "--timezone", "Mars/Olympus_Mons"], "timezone"),
    (["--url", "https://shop.example", "--timezone", "../../etc/passwd"], "timezone"),
])
def test_shop_add_bad_input_exits_2(restock, extra, field):
    p = restock.cli("shop", "add", "--name", "Bad", *extra, "--db", restock.db)
    one_line_failure(p, 2, field)
    # nothing was created: the first good shop add is the only shop the server knows
    good = restock.add_shop()
    server = restock.start()
    assert server.get("/v1/shop", key=good["api_key"]).json["name"] == "Test Shop"


@pytest.mark.parametrize("args,words", [
    (["--url", "https://shop.example"], ["--name"]),
    (["--name", "Shop"], ["--url"]),
    (["--name", "Shop", "--url", "https://shop.example", "--colour", "red"], ["--colour"]),
    (["--name", "Shop", "--url"], ["--url"]),
])
def test_shop_add_bad_usage_exits_2(restock, args, words):
    one_line_failure(restock.cli("shop", "add", "--db", restock.db, *args), 2, *words)


def test_runtime_failures_exit_1_with_one_line(restock, tmp_path):
    missing = str(tmp_path / "no" / "such" / "dir" / "restock.db")
    one_line_failure(restock.cli("shop", "add", "--name", "S", "--url", "https://s.example",
                                 "--db", missing), 1, missing)
    one_line_failure(restock.cli("serve", "--db", missing, "--listen",
                                 f"127.0.0.1:{lib.free_port()}"), 1, missing)


def test_serve_on_a_taken_port_exits_1(restock):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        p = restock.cli("serve", "--db", restock.db, "--listen", f"127.0.0.1:{port}")
    one_line_failure(p, 1, str(port))


def test_shop_add_prints_one_json_object(restock):
    p = restock.cli("shop", "add", "--name", "Ada's Shop", "--url", "https://Shop.Example/",
                    "--currency", "DKK", "--timezone", "Europe/Copenhagen", "--db", restock.db)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert {"id", "api_key", "webhook_secret", "vapid_public_key"} <= set(out)
    assert uuid.UUID(out["id"]).version == 4
    assert len(out["api_key"]) >= 20 and len(out["webhook_secret"]) >= 20
    # the VAPID key is an uncompressed P-256 point, base64url
    from cryptography.hazmat.primitives.asymmetric import ec
    raw = base64.urlsafe_b64decode(out["vapid_public_key"] + "=" * (-len(out["vapid_public_key"]) % 4))
    assert len(raw) == 65 and raw[0] == 4
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)

    other = restock.add_shop(name="Other", url="https://other.example")
    assert other["id"] != out["id"] and other["api_key"] != out["api_key"]
    assert other["webhook_secret"] != out["webhook_secret"]

    server = restock.start()
    shop = server.get("/v1/shop", key=out["api_key"]).json
    assert shop["id"] == out["id"]
    assert shop["name"] == "Ada's Shop"
    assert shop["url"] == "https://shop.example"  # canonical origin
    assert shop["currency"] == "DKK" and shop["timezone"] == "Europe/Copenhagen"
    assert shop["vapid_public_key"] == out["vapid_public_key"]
    assert "api_key" not in shop and "webhook_secret" not in shop
    # defaults of SPEC §2
    assert shop["min_available"] == 1 and shop["low_stock_threshold"] == 5
    assert shop["min_soldout_minutes"] == 0 and shop["subscription_ttl_days"] == 180
    assert shop["max_notifications"] == 3
    assert server.get("/v1/shop", key=other["api_key"]).json["id"] == other["id"]


def test_shop_key_issues_a_new_key_and_the_old_one_stops_working(restock):
    """`shop key` rotates: it prints the shop's id and a new key, as `shop add` does, the new key
    works at once on the server running on the database and the old one is 401; only the new
    key's SHA-256 is stored; another shop's key is untouched."""
    info, other = restock.add_shop(), restock.add_shop(name="Other", url="https://o.example")
    server = restock.start()
    assert server.get("/v1/shop", key=info["api_key"]).status == 200
    p = restock.cli("shop", "key", "--shop", info["id"].upper(), "--db", restock.db)
    assert p.returncode == 0 and p.stderr == "", p
    lines = p.stdout.splitlines()
    assert len(lines) == 1, p.stdout
    out = json.loads(lines[0])
    assert set(out) == {"id", "api_key"} and out["id"] == info["id"], out
    key = out["api_key"]
    assert key.startswith("rk_") and len(key) == len(info["api_key"]) and key != info["api_key"]
    # every HTTP thread's read snapshot is at most 50 ms old (docs/store.md): past that, every
    # request sees the new key, whichever thread serves it
    time.sleep(0.1)
    for _ in range(8):
        r = server.get("/v1/shop", key=key)
        assert r.status == 200 and r.json["id"] == info["id"], r
        r = server.get("/v1/shop", key=info["api_key"])
        assert r.status == 401 and r.error["code"], r
    assert server.get("/v1/shop", key=other["api_key"]).json["id"] == other["id"]
    server.stop()
    with sqlite3.connect(restock.db) as c:
        stored = c.execute("SELECT api_key_hash FROM shops WHERE uuid = ?",
                           (info["id"],)).fetchone()[0]
    assert stored == hashlib.sha256(key.encode()).digest()
    server = restock.start()
    assert server.get("/v1/shop", key=key).status == 200
    assert server.get("/v1/shop", key=info["api_key"]).status == 401
    # again: the key of a moment ago stops working in turn
    again = json.loads(restock.cli("shop", "key", "--shop", info["id"], "--db",
                                   restock.db).stdout)["api_key"]
    assert again != key
    lib.wait_for(lambda: server.get("/v1/shop", key=key).status == 401, timeout=5,
                 what="the previous key refused")
    assert server.get("/v1/shop", key=again).status == 200


@pytest.mark.parametrize("args,code,words", [
    ([], 2, ["--shop"]),
    (["--shop"], 2, ["--shop"]),
    (["--shop", "not-a-uuid"], 2, ["--shop", "UUID"]),
    (["--shop", "00000000-0000-4000-8000-000000000000"], 2, ["no shop"]),
    (["--shop", "00000000-0000-4000-8000-000000000000", "--name", "x"], 2, ["--name"]),
])
def test_shop_key_failures(restock, args, code, words):
    info = restock.add_shop()
    one_line_failure(restock.cli("shop", "key", "--db", restock.db, *args), code, "shop key",
                     *words)
    # nothing changed: the shop's key still works
    assert restock.start().get("/v1/shop", key=info["api_key"]).status == 200


def test_shop_add_while_serving(restock):
    """A shop added by the CLI while the server runs on the same database can be used at once."""
    server = restock.start()
    for i in range(3):
        info = restock.add_shop(name=f"Live {i}", url=f"https://live{i}.example")
        r = server.get("/v1/shop", key=info["api_key"])
        assert r.status == 200, r
        assert r.json["id"] == info["id"]
        assert server.get(f"/v1/stock/{info['id']}/nope").status == 404


def answers(port):
    try:
        return lib.http_call(port, "GET", "/healthz", timeout=2).status == 200
    except OSError:
        return False


def test_listen_precedence_flag_over_env_over_file(restock, tmp_path):
    p_file, p_env, p_flag = lib.free_port(), lib.free_port(), lib.free_port()
    conf = tmp_path / "restock.conf"
    conf.write_text(f"# test configuration\n\nlisten = 127.0.0.1:{p_file}\n"
                    f"db = {restock.db}\n")

    s = restock.start("--config", conf, port=p_file, listen=False, db=False)
    assert answers(p_file)
    s.stop()

    s = restock.start("--config", conf, port=p_env, listen=False, db=False,
                      env={"RESTOCK_LISTEN": f"127.0.0.1:{p_env}"})
    assert answers(p_env) and not answers(p_file)
    s.stop()

    s = restock.start("--config", conf, "--listen", f"127.0.0.1:{p_flag}", port=p_flag,
                      listen=False, db=False, env={"RESTOCK_LISTEN": f"127.0.0.1:{p_env}"})
    assert answers(p_flag) and not answers(p_env) and not answers(p_file)
    s.stop()


def over_limit(server, size):
    """True when a public request body of `size` bytes is refused as too large."""
    body = json.dumps({"shop": "x"}).encode()
    body += b" " * (size - len(body))
    return server.post("/v1/subscriptions", body).status == 413


def test_body_limit_precedence_flag_over_env_over_file(restock, tmp_path):
    conf = tmp_path / "restock.conf"
    conf.write_text("body_limit = 4096\n")
    s = restock.start("--config", conf)
    assert not over_limit(s, 4000) and over_limit(s, 4200)
    s.stop()
    s = restock.start("--config", conf, env={"RESTOCK_BODY_LIMIT": "2048"})
    assert not over_limit(s, 2000) and over_limit(s, 2100)
    s.stop()
    s = restock.start("--config", conf, "--body-limit", "1024",
                      env={"RESTOCK_BODY_LIMIT": "2048"})
    assert not over_limit(s, 1000) and over_limit(s, 1100)
    s.stop()
    s = restock.start("--config", conf, "--body-limit=3000", env={"RESTOCK_BODY_LIMIT": "2048"})
    assert not over_limit(s, 2900) and over_limit(s, 3100)


@pytest.mark.parametrize("text,words", [
    ("listen 127.0.0.1:1\n", ["restock.conf:1"]),
    ("# ok\nno_such_option = 1\n", ["restock.conf:2", "no_such_option"]),
    ("workers = lots\n", ["workers"]),
    ("smtp_url = mail.example:25\n", ["smtp_url"]),
    ("listen = 127.0.0.1:70000\n", ["listen", "70000"]),
])
def test_bad_config_file_exits_2(restock, tmp_path, text, words):
    conf = tmp_path / "restock.conf"
    conf.write_text(text)
    one_line_failure(restock.cli("serve", "--config", str(conf), "--db", restock.db), 2, *words)


def test_bad_environment_value_exits_2(restock):
    p = restock.cli("serve", "--db", restock.db, env={"RESTOCK_WORKERS": "zero"})
    one_line_failure(p, 2, "RESTOCK_WORKERS")
    p = restock.cli("serve", "--db", restock.db, env={"RESTOCK_VAPID_SUBJECT": "ops@shop"},
                    timeout=20)
    one_line_failure(p, 2, "vapid_subject")


def test_config_file_from_the_environment(restock, tmp_path):
    """RESTOCK_CONFIG names the file when --config does not; --config wins over it."""
    p_env, p_flag = lib.free_port(), lib.free_port()
    env_conf, flag_conf = tmp_path / "env.conf", tmp_path / "flag.conf"
    env_conf.write_text(f"listen = 127.0.0.1:{p_env}\n")
    flag_conf.write_text(f"listen = 127.0.0.1:{p_flag}\n")
    s = restock.start(port=p_env, listen=False, env={"RESTOCK_CONFIG": str(env_conf)})
    assert answers(p_env)
    s.stop()
    s = restock.start("--config", flag_conf, port=p_flag, listen=False,
                      env={"RESTOCK_CONFIG": str(env_conf)})
    assert answers(p_flag) and not answers(p_env)
