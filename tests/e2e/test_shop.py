"""GET/PATCH /v1/shop: the shop and its validated settings (SPEC §2, §4)."""

import pytest


def test_get_shop_needs_its_key(shop):
    s = shop.server
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Bearer rk_wrong"},
                    {"Authorization": f"Basic {shop.key}"}, {"Authorization": shop.key},
                    {"Authorization": f"Bearer {shop.key}x"}):
        r = s.get("/v1/shop", headers=headers)
        assert r.status == 401, (headers, r)
        assert r.error["code"] == "unauthorized"
        assert "Authorization" in r.error["message"]
    r = s.get("/v1/shop", headers={"Authorization": f"bearer {shop.key}"})
    assert r.status == 200  # the scheme name is case-insensitive (RFC 9110)
    assert r.json["id"] == shop.id


def test_each_key_sees_only_its_shop(shops):
    a, b = shops(2)
    assert a.settings()["id"] == a.id and a.settings()["name"] == "Shop 0"
    assert b.settings()["id"] == b.id and b.settings()["name"] == "Shop 1"
    r = a.patch({"name": "Renamed A"})
    assert r.status == 200 and r.json["name"] == "Renamed A"
    assert b.settings()["name"] == "Shop 1"


def test_patch_valid_settings_and_they_persist(shop, restock):
    r = shop.patch({"name": "Café ☕ Nørrebro", "url": "https://Norrebro.Example/",
                    "currency": "DKK", "timezone": "America/New_York", "locale": "da-dk",
                    "sender_name": "Café", "sender_email": "Hello@Shop.Example",
                    "low_stock_threshold": 3, "min_available": 2, "min_soldout_minutes": 10,
                    "subscription_ttl_days": 30, "max_notifications": 5,
                    "conversions_enabled": False, "double_opt_in": True})
    assert r.status == 200, r
    want = {"name": "Café ☕ Nørrebro", "url": "https://norrebro.example", "currency": "DKK",
            "timezone": "America/New_York", "locale": "da-DK", "sender_name": "Café",
            "sender_email": "hello@shop.example", "low_stock_threshold": 3, "min_available": 2,
            "min_soldout_minutes": 10, "subscription_ttl_days": 30, "max_notifications": 5,
            "conversions_enabled": False, "double_opt_in": True}
    for k, v in want.items():
        assert r.json[k] == v, k
    assert shop.settings() == r.json
    # a partial patch changes only what it names
    r = shop.patch({"max_notifications": 1})
    assert r.status == 200 and r.json == dict(want, max_notifications=1, id=shop.id,
                                              vapid_public_key=r.json["vapid_public_key"],
                                              created_at=r.json["created_at"],
                                              feed_url="", feed_interval_minutes=0)
    before = shop.settings()
    shop.server.stop()
    again = restock.start()
    assert again.get("/v1/shop", key=shop.key).json == before


def test_empty_patch_changes_nothing(shop):
    before = shop.settings()
    r = shop.patch({})
    assert r.status == 200 and r.json == before


@pytest.mark.parametrize("field,value", [
    ("currency", "XYZ"), ("currency", "EURO"), ("currency", 978), ("currency", None),
    ("timezone", "Mars/Olympus_Mons"), ("timezone", ""), ("timezone", "../../../etc/passwd"),
    ("timezone", "Europe/"),
    ("locale", "not a locale"), ("locale", "x"), ("locale", "en--US"), ("locale", 7),
    ("low_stock_threshold", -1), ("low_stock_threshold", "5"), ("low_stock_threshold", 2.5),
    ("low_stock_threshold", True),
    ("min_available", 0), ("min_available", -3),
    ("min_soldout_minutes", -1),
    ("subscription_ttl_days", 0), ("subscription_ttl_days", -180),
    ("max_notifications", 0),
    ("double_opt_in", "yes"), ("double_opt_in", 1), ("conversions_enabled", None),
    ("url", "ftp://shop.example"), ("url", "https://shop.example/products"), ("url", ""),
    ("name", ""), ("name", "n" * 201), ("name", ["a"]),
    ("sender_email", "not an email"), ("sender_email", "a@b"),
])
def test_patch_rejects_bad_setting_naming_it_and_changes_nothing(shop, field, value):
    before = shop.settings()
    r = shop.patch({field: value})
    assert r.status == 400, r
    assert r.error["code"] == "invalid"
    assert r.error["message"].startswith(field + ":"), r.error
    assert shop.settings() == before


@pytest.mark.parametrize("body,field", [
    ({"colour": "red"}, "colour"),
    ({"id": "00000000-0000-4000-8000-000000000000"}, "id"),
    ({"vapid_public_key": "x"}, "vapid_public_key"),
    ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
    ({"api_key": "rk_mine"}, "api_key"),
])
def test_patch_rejects_unknown_and_read_only_fields(shop, body, field):
    before = shop.settings()
    r = shop.patch(body)
    assert r.status == 400 and r.error["message"].startswith(field + ":"), r
    assert shop.settings() == before


def test_patch_is_all_or_nothing(shop):
    before = shop.settings()
    r = shop.patch({"name": "New name", "currency": "DKK", "min_available": 0})
    assert r.status == 400 and r.error["message"].startswith("min_available:")
    assert shop.settings() == before
    r = shop.patch({"name": "New name", "currency": "NOPE"})
    assert r.status == 400 and r.error["message"].startswith("currency:")
    assert shop.settings() == before


@pytest.mark.parametrize("body", [[], [{"name": "x"}], "name", 3, None])
def test_patch_body_must_be_an_object(shop, body):
    before = shop.settings()
    r = shop.patch(body if body is not None else "null")
    assert r.status == 400, r
    assert "body" in r.error["message"]
    assert shop.settings() == before


def test_old_key_of_another_shop_does_not_patch(shops):
    a, b = shops(2)
    before = b.settings()
    r = a.server.patch("/v1/shop", {"name": "Hijacked"}, key=b.key + "A")
    assert r.status == 401
    assert b.settings() == before


def test_concurrent_patches_of_different_settings_all_land(shop):
    """Two PATCHes of different settings at once must not undo each other (no lost update)."""
    import threading
    patches = [{"name": "Concurrent"}, {"currency": "DKK"}, {"timezone": "Asia/Tokyo"},
               {"locale": "de-DE"}, {"sender_name": "Sender"},
               {"sender_email": "s@shop.example"}, {"low_stock_threshold": 9},
               {"min_available": 2}, {"min_soldout_minutes": 7},
               {"subscription_ttl_days": 99}, {"max_notifications": 4},
               {"conversions_enabled": False}, {"double_opt_in": True},
               {"url": "https://moved.example"}]
    for _ in range(3):
        barrier = threading.Barrier(len(patches))
        statuses = []

        def one(p):
            barrier.wait()
            statuses.append(shop.patch(p).status)

        threads = [threading.Thread(target=one, args=(p,)) for p in patches]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert statuses == [200] * len(patches)
        now = shop.settings()
        for p in patches:
            for k, v in p.items():
                assert now[k] == v, (k, now[k], v)
        # undo, for the next round
        assert shop.patch({"name": "Shop 0", "currency": "EUR", "timezone": "UTC",
                           "locale": "en", "sender_name": "", "sender_email": "",
                           "low_stock_threshold": 5, "min_available": 1,
                           "min_soldout_minutes": 0, "subscription_ttl_days": 180,
                           "max_notifications": 3, "conversions_enabled": True,
                           "double_opt_in": False, "url": "https://shop0.example"}).status == 200
