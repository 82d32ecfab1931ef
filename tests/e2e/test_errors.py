"""Bad requests on every endpoint (SPEC §4): the error shape, the status, and that a rejected
request changes nothing."""

import json

import pytest

import lib

ENDPOINTS = ["subscribe", "shop_patch", "catalog", "inventory"]


@pytest.fixture
def world(shops):
    """Two shops, each with sold-out v1, in-stock v2 and one subscription on v1."""
    a, b = shops(2, "--body-limit", "4096")
    for s in (a, b):
        s.add_variants({"v1": 0, "v2": 9})
        assert s.signup("v1", email="ada@example.com").status == 201
    return a, b


def valid(shop, name):
    """(method, path, body, key, content_type) of a request that succeeds on `name`."""
    return {
        "subscribe": ("POST", "/v1/subscriptions",
                      {"shop": shop.id, "variant_id": "v1", "channel": "email",
                       "email": "new@example.com"}, None, "text/plain"),
        "shop_patch": ("PATCH", "/v1/shop", {"name": "Changed"}, shop.key, "application/json"),
        "catalog": ("PUT", "/v1/catalog", [{"variant_id": "v3", "available": 0}], shop.key,
                    "application/json"),
        "inventory": ("POST", "/v1/inventory", [{"variant_id": "v1", "available": 5}],
                      shop.key, "application/json"),
    }[name]


def state(shop):
    """Everything a request could have changed, as the admin API shows it."""
    return (shop.settings(), [shop.variant(v).json for v in ("v1", "v2", "v3")], shop.subs())


def send(shop, name, body=None, content_type=None, key=None, **kw):
    method, path, good, good_key, good_ct = valid(shop, name)
    return shop.server.request(method, path, good if body is None else body,
                               key=good_key if key is None else key,
                               content_type=content_type or good_ct, **kw)


def check_valid_still_works(shop, name):
    r = send(shop, name)
    assert r.status in (200, 201), (name, r)


BAD_BODIES = [
    (b'{"shop":', "invalid_json"),
    (b"", "invalid_json"),
    (b"   ", "invalid_json"),
    (b'{"name":"\xff\xfe"}', "invalid_json"),                 # bad UTF-8
    (b'{"name":"\xc0\xaf"}', "invalid_json"),                 # overlong encoding
    (b'{"name":"\xed\xa0\x80"}', "invalid_json"),             # an encoded surrogate
    (b'{"name":"a\x00b"}', "invalid_json"),                   # raw NUL
    (b'{"name":"a\\u0000b"}', "invalid_json"),                # escaped NUL
    (b'{"name":"\\ud800"}', "invalid_json"),                  # lone surrogate escape
    (b'{"name":"a","name":"b"}', "invalid_json"),             # duplicate keys
    (b'{"name":"a"} {"name":"b"}', "invalid_json"),           # trailing data
    (b'{"n":1e400}', "invalid_json"),
    (b'{"n":123456789012345678901234567890}', "invalid_json"),
    (b"'single'", "invalid_json"),
    (b"NaN", "invalid_json"),
    (b"null", "invalid"),
    (b'"a string"', "invalid"),
    (b"42", "invalid"),
    (b"true", "invalid"),
]


@pytest.mark.parametrize("name", ENDPOINTS)
def test_bad_bodies_are_400_and_change_nothing(world, name):
    a, b = world
    before_a, before_b = state(a), state(b)
    for body, code in BAD_BODIES:
        r = send(a, name, body)
        assert r.status == 400, (name, body[:40], r)
        assert r.error["code"] == code, (name, body[:40], r.error)
    assert state(a) == before_a and state(b) == before_b
    check_valid_still_works(a, name)


@pytest.mark.parametrize("name", ENDPOINTS)
def test_wrong_content_type_is_415(world, name):
    a, _ = world
    before = state(a)
    for ctype in ("text/html", "application/xml", "application/x-www-form-urlencoded",
                  "application/json; charset=iso-8859-1", "application/json-patch+json"):
        r = send(a, name, content_type=ctype)
        assert r.status == 415, (name, ctype, r)
        assert r.error["code"] == "unsupported_media_type"
    _, path, body, key, _ = valid(a, name)
    r = a.server.request(valid(a, name)[0], path, body, key=key, content_type=None)
    assert r.status == 415, (name, "no Content-Type", r)
    if name != "subscribe":  # text/plain is for the public routes only
        assert send(a, name, content_type="text/plain").status == 415
    assert state(a) == before
    check_valid_still_works(a, name)


@pytest.mark.parametrize("name", ENDPOINTS)
def test_oversized_bodies_are_413(world, name):
    a, _ = world
    before = state(a)
    method, path, body, key, ctype = valid(a, name)
    text = json.dumps(body).encode()
    padded = text + b" " * (4097 - len(text))            # one byte over the limit
    exact = text + b" " * (4096 - len(text))             # exactly the limit: fine
    r = a.server.request(method, path, padded, key=key, content_type=ctype)
    assert r.status == 413, r
    assert r.error["code"] == "too_large"
    r = a.server.request(method, path, padded, key=key, content_type=ctype, chunked=True)
    assert r.status == 413, ("chunked", r)
    # a declared length over the limit is refused before the body is read
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    status, raw = a.server.raw(
        f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\n{auth}"
        f"Content-Length: 50000000\r\n\r\n".encode() + b"[" * 1000)
    assert status == 413, raw[:300]
    assert state(a) == before
    r = a.server.request(method, path, exact, key=key, content_type=ctype, chunked=True)
    assert r.status in (200, 201), r


def test_nesting_bomb_is_refused(shop):
    shop.add_variants({"v": 0})
    for path, method, key in (("/v1/subscriptions", "POST", None),
                              ("/v1/catalog", "PUT", shop.key)):
        for bomb in (b"[" * 300000 + b"]" * 300000, b'{"a":' * 100000 + b"1" + b"}" * 100000):
            r = shop.server.request(method, path, bomb, key=key)
            assert r.status == 400 and r.error["code"] == "invalid_json", r
    assert shop.subs() == [] and shop.variant("v").json["available"] == 0


def test_default_body_limit_is_one_mib(shop):
    shop.add_variants({"v": 0})
    body = json.dumps({"shop": shop.id, "variant_id": "v", "channel": "email",
                       "email": "ada@example.com"}).encode()
    r = shop.server.post("/v1/subscriptions", body + b" " * (1024 * 1024 - len(body)),
                         chunked=True)
    assert r.status == 201, r
    r = shop.server.post("/v1/subscriptions", body + b" " * (1024 * 1024 + 1 - len(body)),
                         chunked=True)
    assert r.status == 413, r
    assert len(shop.subs()) == 1


def test_unsubscribe_post_body_limit(world):
    a, _ = world
    path = "/u/" + a.subs()[0]["unsubscribe_url"].rsplit("/u/", 1)[1]
    r = a.server.post(path, "List-Unsubscribe=One-Click" + "&x=" + "y" * 5000,
                      content_type="application/x-www-form-urlencoded")
    assert r.status == 413, r
    assert a.subs()[0]["status"] == "waiting"


@pytest.mark.parametrize("name", [n for n in ENDPOINTS if n != "subscribe"] +
                         ["shop_get", "variant_get", "subscriptions_list"])
def test_admin_routes_need_the_right_key(world, name):
    a, b = world
    before = state(a)
    reqs = {"shop_get": ("GET", "/v1/shop", None), "variant_get": ("GET", "/v1/variants/v1", None),
            "subscriptions_list": ("GET", "/v1/subscriptions", None)}
    method, path, body = reqs[name] if name in reqs else valid(a, name)[:3]
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer rk_nope"},
                    {"Authorization": f"Token {a.key}"},
                    {"Authorization": f"Bearer {a.key[:-1]}"},
                    {"Authorization": "Bearer " + "k" * 5000}):
        r = a.server.request(method, path, body, headers=headers)
        assert r.status == 401, (name, headers, r)
        assert r.error["code"] == "unauthorized"
        # auth is checked before the body is even parsed
        if body is not None:
            r = a.server.request(method, path, b"{not json", headers=headers)
            assert r.status == 401
    assert state(a) == before


def test_another_shops_ids_and_keys_are_never_visible(world):
    a, b = world
    b.catalog([{"variant_id": "b-only", "title": "Secret", "available": 0}])
    b_before = state(b)
    b_only = b.variant("b-only").json
    # a's key cannot read b's variants or subscriptions
    assert a.variant("b-only").status == 404
    assert "b-only" not in str(a.subs())
    assert all(s["shop"] == a.id for s in a.subs())
    # nor change b's stock: for a's key, b's variant does not exist
    r = a.inventory([{"variant_id": "b-only", "available": 5}])
    assert r.status == 400 and r.error["message"].startswith("[0].variant_id:")
    # a catalog write with a's key makes a's own variant, b's stays as it was
    r = a.catalog([{"variant_id": "b-only", "title": "Mine", "available": 3}])
    assert r.json["created"] == 1
    assert b.variant("b-only").json == b_only
    # b's variants are not signed up to through a's shop id
    r = a.signup("b-only", email="x@example.com")
    assert r.status == 409  # a's own b-only is in stock now; b's stays untouched
    r = a.server.post("/v1/subscriptions", {"shop": a.id, "variant_id": "v9", "channel": "email",
                                            "email": "x@example.com"})
    assert r.status == 404
    assert state(b) == b_before
    assert b.variant("b-only").json == b_only


@pytest.mark.parametrize("method,path,status", [
    ("GET", "/nope", 404),
    ("GET", "/v1", 404),
    ("GET", "/v1/subscriptions/", 404),
    ("GET", "/v1/stock/x", 404),
    ("GET", "/v1/stock//v1", 404),
    ("POST", "/healthz", 405),
    ("DELETE", "/v1/shop", 405),
    ("PUT", "/v1/subscriptions", 405),
    ("GET", "/v1/catalog", 405),
    ("GET", "/u/", 404),
])
def test_unknown_paths_and_methods(shop, method, path, status):
    r = shop.server.request(method, path, b"{}" if method in ("POST", "PUT") else None,
                            key=shop.key)
    assert r.status == status, r
    assert r.error["code"] == ("not_found" if status == 404 else "method_not_allowed")


@pytest.mark.parametrize("method,path,allow,public", [
    ("PUT", "/v1/subscriptions", "GET, HEAD, POST, OPTIONS", True),  # POST public, GET admin
    ("DELETE", "/v1/stock/{shop}/v1", "GET, HEAD, OPTIONS", True),
    ("GET", "/v1/events", "POST, OPTIONS", True),
    ("PUT", "/u/token", "GET, HEAD, POST, OPTIONS", True),
    ("POST", "/healthz", "GET, HEAD", False),
    ("DELETE", "/v1/shop", "GET, HEAD, PATCH", False),
    ("OPTIONS", "/v1/shop", "GET, HEAD, PATCH", False),
    ("POST", "/v1/campaigns/7", "GET, HEAD, PATCH, DELETE", False),
])
def test_405_names_the_allowed_methods(shop, method, path, allow, public):
    """RFC 9110 §15.5.6: a 405 carries Allow; on a public path it has CORS like every answer
    there, so a storefront's script can read it."""
    r = shop.server.request(method, path.format(shop=shop.id),
                            b"{}" if method in ("POST", "PUT") else None, key=shop.key)
    assert r.status == 405, r
    assert r.error["code"] == "method_not_allowed"
    assert r.headers["Allow"] == allow, r.headers
    assert (r.headers.get("Access-Control-Allow-Origin") == "*") == public, r.headers


@pytest.mark.parametrize("path,name", [
    ("/v1/subscriptions?variant=5120", "variant"),          # for variant_id: not all of them
    ("/v1/stats?from=2026-01-01&to=2026-01-02&campain=1", "campain"),
    ("/v1/notifications?limit=5&stauts=sent", "stauts"),
    ("/v1/reports/customers?fromm=2026-01-01", "fromm"),
    ("/v1/reports/demand?limit=5&x%2Fy=1", "x/y"),
    ("/v1/shop?verbose=1", "verbose"),                      # a path that takes none
])
def test_admin_unknown_query_parameter_is_named(shop, path, name):
    """A misspelt filter is a 400 naming it, as an unknown body field is, not a listing of
    everything; public paths still take any (link wrappers add their own)."""
    r = shop.server.get(path, key=shop.key)
    assert r.status == 400, r
    assert r.error["code"] == "invalid" and r.error["message"].startswith(name + ": unknown"), r
    assert shop.server.get("/v1/subscriptions?variant_id=5120&limit=5", key=shop.key).status == 200
    assert shop.server.get("/v1/stock/{}/v1?fbclid=x&utm_source=y".format(shop.id)).status != 400


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_collect_wrong_method_in_hello_retails_shape(shop, method):
    """The collect call answers every error in Hello Retail's shape (SPEC §6.2), a wrong method
    too: its clients read `success`, not restock's `error`."""
    r = shop.server.request(method, "/serve/collect/conversion",
                            b"{}" if method == "PUT" else None)
    assert r.status == 400, r
    assert r.json["success"] is False and "POST" in r.json["message"], r.json
    assert r.headers["Allow"] == "POST, OPTIONS", r.headers
    assert r.headers.get("Access-Control-Allow-Origin") == "*", r.headers


@pytest.mark.parametrize("path,status", [
    ("/v1/stock/{shop}/v1%00zz", 404),   # was answered for v1: the decoded NUL ended the id
    ("/v1/stock/{shop}/%00", 404),
    ("/v1/stock/{shop}%00/v1", 404),
    ("/v1/variants/v1%00zz", 404),
    ("/u/%00", 404),
    ("/v1/stock/{shop}/v1?x=%00", 400),
    ("/v1/stock/{shop}/v1?%00=1", 400),
    ("/healthz?probe=a%00b", 400),
])
def test_an_encoded_nul_names_nothing(shop, path, status):
    shop.add_variants({"v1": 0, "v1%00zz": 3})
    r = shop.server.get(path.format(shop=shop.id), key=shop.key)
    assert r.status == status, r
    assert r.error["code"] == ("not_found" if status == 404 else "invalid"), r
    assert "%00" in r.error["message"], r
    if path.startswith("/v1/stock/"):  # a storefront's call: its answer still has CORS
        assert r.headers["Access-Control-Allow-Origin"] == "*", r
    # a literal "%00" in an id is spelled %2500 and still names it
    r = shop.server.get(f"/v1/stock/{shop.id}/v1%2500zz")
    assert r.status == 200 and r.json["available"] == 3, r


def test_head_is_get_without_a_body(shop):
    shop.add_variants({"v": 0})
    conn = lib.http.client.HTTPConnection("127.0.0.1", shop.server.port, timeout=10)
    conn.request("HEAD", f"/v1/stock/{shop.id}/v")
    r = conn.getresponse()
    assert r.status == 200 and r.read() == b""
    assert r.getheader("Content-Type").startswith("application/json")
    conn.close()


def test_many_bad_requests_on_one_connection(world):
    """Keep-alive: each answer is complete and the connection survives client errors."""
    a, _ = world
    conn = lib.http.client.HTTPConnection("127.0.0.1", a.server.port, timeout=10)
    try:
        for i in range(20):
            body = b'{"shop":' if i % 2 else json.dumps(
                {"shop": a.id, "variant_id": "v2", "channel": "email",
                 "email": "ada@example.com"}).encode()
            conn.request("POST", "/v1/subscriptions", body,
                         {"Content-Type": "application/json"})
            r = conn.getresponse()
            payload = json.loads(r.read())
            assert r.status == (400 if i % 2 else 409), payload
            assert set(payload) == {"error"}
    finally:
        conn.close()
    assert len(a.subs()) == 1
