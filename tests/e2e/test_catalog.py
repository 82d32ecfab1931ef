"""PUT /v1/catalog, POST /v1/inventory, GET /v1/stock: stock status and restock detection
exactly as SPEC §2 defines them, money kept exact."""

import pytest

TEE = {"variant_id": "4471", "product_id": "88", "product_number": "TEE-RED-M",
       "inventory_item_id": "49000000001", "title": "Tee", "variant_title": "Red / M",
       "url": "https://shop.example/products/tee", "image_url": "https://cdn.example/tee.jpg",
       "price": "19.90", "original_price": "24.90", "currency": "EUR", "category": "Shirts",
       "available": 0}


def variant(shop, vid):
    r = shop.variant(vid)
    assert r.status == 200, r
    return r.json


def restocked(shop, vid, available):
    """Sets one variant's stock; returns whether the answer called it a restock."""
    out = shop.set_stock(vid, available)
    assert out["restocked"] in ([], [vid]), out
    return out["restocked"] == [vid]


def test_catalog_upsert_creates_then_updates(shop):
    r = shop.catalog([TEE, {"variant_id": "4472", "title": "Tee", "available": 12}])
    assert r.status == 200, r
    assert r.json == {"created": 2, "updated": 0, "restocked": []}
    v = variant(shop, "4471")
    for k in TEE:
        assert v[k] == TEE[k], k
    assert v["status"] == "sold_out"
    v2 = variant(shop, "4472")
    assert v2["currency"] == "EUR" and v2["price"] is None and v2["status"] == "in_stock"

    r = shop.catalog([{"variant_id": "4471", "title": "Organic Tee"}])
    assert r.json == {"created": 0, "updated": 1, "restocked": []}
    v = variant(shop, "4471")
    assert v["title"] == "Organic Tee"
    # fields left out keep their values
    assert v["price"] == "19.90" and v["category"] == "Shirts" and v["available"] == 0
    # null clears a field
    shop.catalog([{"variant_id": "4471", "category": None, "original_price": None}])
    v = variant(shop, "4471")
    assert v["category"] is None and v["original_price"] is None and v["price"] == "19.90"


def test_new_variant_without_available_starts_sold_out(shop):
    shop.catalog([{"variant_id": "new", "title": "New"}])
    assert variant(shop, "new")["available"] == 0
    assert shop.stock("new").json["status"] == "sold_out"


@pytest.mark.parametrize("currency,given,shown", [
    ("EUR", "19.90", "19.90"),
    ("EUR", 19.9, "19.90"),
    ("EUR", 0.3, "0.30"),
    ("EUR", 1099, "1099.00"),
    ("EUR", "0.1", "0.10"),
    ("EUR", "90071992547409.93", "90071992547409.93"),
    ("JPY", "1500", "1500"),
    ("JPY", 1500, "1500"),
    ("KWD", "1.234", "1.234"),
    ("EUR", "19.9", "19.90"),
    ("EUR", "-0", "0.00"),
    ("EUR", 12345678.91, "12345678.91"),
])
def test_money_is_kept_exact(shop, currency, given, shown):
    r = shop.catalog([{"variant_id": "m", "price": given, "original_price": given,
                       "currency": currency}])
    assert r.status == 200, r
    v = variant(shop, "m")
    assert v["price"] == shown and v["original_price"] == shown and v["currency"] == currency


@pytest.mark.parametrize("item,field", [
    ({"price": "19.999"}, "price"),
    ({"price": "1.5", "currency": "JPY"}, "price"),
    ({"price": "-1.00"}, "price"),
    ({"price": "abc"}, "price"),
    ({"price": "1e3"}, "price"),
    ({"price": "+19.90"}, "price"),
    ({"price": " 19.90"}, "price"),
    ({"price": "1,000.00"}, "price"),
    ({"price": "19."}, "price"),
    ({"price": "99999999999999999999"}, "price"),
    ({"price": 19.999}, "price"),
    ({"price": 2.675}, "price"),
    ({"price": 1e20}, "price"),
    ({"price": True}, "price"),
    ({"original_price": "9.999"}, "original_price"),
    ({"currency": "XYZ"}, "currency"),
    ({"currency": 978}, "currency"),
    ({"available": -1}, "available"),
    ({"available": 1.5}, "available"),
    ({"available": "3"}, "available"),
    ({"available": None}, "available"),
    ({"available": 10**12}, "available"),
    ({"url": "javascript:alert(1)"}, "url"),
    ({"url": "ftp://shop.example/x"}, "url"),
    ({"image_url": "data:image/png;base64,AAAA"}, "image_url"),
    ({"title": 5}, "title"),
    ({"title": "t" * 5000}, "title"),
    ({"colour": "red"}, "colour"),
    ({"variant_id": ""}, "variant_id"),
    ({"variant_id": "v" * 300}, "variant_id"),
    ({"variant_id": True}, "variant_id"),
    ({"variant_id": None}, "variant_id"),
    ({"variant_id": 1.5}, "variant_id"),
])
def test_catalog_rejects_bad_items_naming_the_field(shop, item, field):
    shop.add_variants({"keep": 0})
    before = variant(shop, "keep")
    good = {"variant_id": "ok-1", "title": "fine", "available": 4}
    bad = dict({"variant_id": "bad-1"}, **item)
    r = shop.catalog([good, bad])
    assert r.status == 400, r
    assert r.error["code"] == "invalid"
    assert r.error["message"].startswith(f"[1].{field}:"), r.error
    # the whole batch is refused: the good item was not stored either
    assert shop.variant("ok-1").status == 404
    assert shop.variant("bad-1").status == 404
    assert variant(shop, "keep") == before


def test_catalog_missing_variant_id(shop):
    r = shop.catalog([{"title": "no id"}])
    assert r.status == 400 and r.error["message"].startswith("[0].variant_id:"), r


@pytest.mark.parametrize("body,words", [
    ({"variant_id": "x"}, "body"),
    ([], "body"),
    ("[1, 2]", "[0]"),
    ([[{"variant_id": "x"}]], "[0]"),
])
def test_catalog_body_shape(shop, body, words):
    r = shop.catalog(body)
    assert r.status == 400 and words in r.error["message"], r


def test_catalog_batch_limit(shop):
    items = [{"variant_id": str(i)} for i in range(10001)]
    r = shop.catalog(items)
    assert r.status == 400 and "10000" in r.error["message"], r
    assert shop.variant("0").status == 404
    r = shop.catalog(items[:10000])
    assert r.status == 200 and r.json["created"] == 10000


def test_integer_ids_are_kept_exact(shop):
    big = 44718723987234987  # a Shopify id above 2**53
    r = shop.catalog([{"variant_id": big, "product_id": big + 1, "inventory_item_id": big + 2,
                       "available": 0}])
    assert r.status == 200, r
    v = variant(shop, str(big))
    assert v["variant_id"] == str(big) and v["product_id"] == str(big + 1)
    assert v["inventory_item_id"] == str(big + 2)
    assert shop.set_stock(big, 3)["restocked"] == [str(big)]


def test_inventory_updates_stock(shop):
    shop.add_variants({"a": 0, "b": 10})
    r = shop.inventory([{"variant_id": "a", "available": 7}, {"variant_id": "b", "available": 0}])
    assert r.status == 200, r
    assert r.json == {"created": 0, "updated": 2, "restocked": ["a"]}
    assert variant(shop, "a")["available"] == 7 and variant(shop, "b")["available"] == 0
    assert variant(shop, "a")["title"] == "Item a"  # other fields untouched


@pytest.mark.parametrize("items,field", [
    ([{"variant_id": "a", "available": 5}, {"variant_id": "zzz", "available": 5}],
     "[1].variant_id"),
    ([{"variant_id": "a", "available": 5, "title": "x"}], "[0].title"),
    ([{"variant_id": "a"}], "[0].available"),
    ([{"available": 5}], "[0].variant_id"),
    ([{"variant_id": "a", "available": -5}], "[0].available"),
])
def test_inventory_batch_is_all_or_nothing(shop, items, field):
    shop.add_variants({"a": 0})
    r = shop.inventory(items)
    assert r.status == 400, r
    assert r.error["message"].startswith(field + ":"), r.error
    assert variant(shop, "a")["available"] == 0
    assert shop.variant("zzz").status == 404
    # the rejected batch did not use up the restock
    assert restocked(shop, "a", 5)


def test_stock_status_with_default_thresholds(shop):
    shop.add_variants({"v": 0})
    for available, status in [(0, "sold_out"), (1, "low_stock"), (5, "low_stock"),
                              (6, "in_stock"), (1000, "in_stock")]:
        shop.set_stock("v", available)
        r = shop.stock("v")
        assert r.status == 200
        assert r.json == {"variant_id": "v", "status": status, "available": available,
                          "vapid_public_key": shop.info["vapid_public_key"],
                          "channels": ["email", "webpush"]}  # no sms_url: no SMS
        assert variant(shop, "v")["status"] == status


def test_stock_status_with_shop_thresholds(shop):
    assert shop.patch({"min_available": 3, "low_stock_threshold": 10}).status == 200
    shop.add_variants({"v": 0})
    for available, status in [(2, "sold_out"), (3, "low_stock"), (10, "low_stock"),
                              (11, "in_stock")]:
        shop.set_stock("v", available)
        assert shop.stock("v").json["status"] == status, available


def test_stock_endpoint_is_public_and_per_shop(shops):
    a, b = shops(2)
    a.add_variants({"only-a": 4})
    r = a.stock("only-a")
    assert r.status == 200 and r.headers["Access-Control-Allow-Origin"] == "*"
    for path in (f"/v1/stock/{b.id}/only-a",
                 "/v1/stock/00000000-0000-4000-8000-000000000000/only-a",
                 "/v1/stock/not-a-shop/only-a", f"/v1/stock/{a.id}/nope"):
        r = a.server.get(path)
        assert r.status == 404, (path, r)
        assert r.error["code"] == "not_found"
    assert b.variant("only-a").status == 404


def test_restock_rules(shop):
    shop.add_variants({"v": 0})
    assert restocked(shop, "v", 5)          # from below min_available to at least it
    assert not restocked(shop, "v", 5)      # unchanged stock is never a restock
    assert not restocked(shop, "v", 9)      # rising while in stock
    assert not restocked(shop, "v", 0)      # selling out
    assert not restocked(shop, "v", 0)
    assert restocked(shop, "v", 1)
    # saving the product with unchanged stock through the catalog
    r = shop.catalog([{"variant_id": "v", "title": "Renamed", "available": 1}])
    assert r.json["restocked"] == []
    shop.set_stock("v", 0)
    r = shop.catalog([{"variant_id": "v", "title": "Renamed again"}])
    assert r.json["restocked"] == []
    # a catalog change of available is a restock too
    r = shop.catalog([{"variant_id": "v", "available": 2}])
    assert r.json == {"created": 0, "updated": 1, "restocked": ["v"]}


def test_first_sight_in_stock_is_not_a_restock(shop):
    r = shop.catalog([{"variant_id": "fresh", "available": 50}])
    assert r.json == {"created": 1, "updated": 0, "restocked": []}
    r = shop.catalog([{"variant_id": "fresh2", "available": 0}])
    assert r.json["restocked"] == []
    assert restocked(shop, "fresh2", 1)


def test_restock_with_min_available(shop):
    assert shop.patch({"min_available": 3}).status == 200
    shop.add_variants({"v": 0})
    assert not restocked(shop, "v", 2)      # still below: "the new zero" is 3
    assert restocked(shop, "v", 3)
    assert not restocked(shop, "v", 2)
    assert not restocked(shop, "v", 2)
    assert restocked(shop, "v", 10)


def test_min_soldout_minutes_guards_against_flapping(shop):
    assert shop.patch({"min_soldout_minutes": 5}).status == 200
    shop.add_variants({"v": 5})
    shop.set_stock("v", 0)
    assert not restocked(shop, "v", 1)      # back after seconds: a returned unit, not a restock
    assert shop.stock("v").json["status"] == "low_stock"
    shop.set_stock("v", 0)
    assert not restocked(shop, "v", 8)
    assert shop.patch({"min_soldout_minutes": 0}).status == 200
    shop.set_stock("v", 0)
    assert restocked(shop, "v", 8)


def test_restocked_lists_exactly_the_restocked_variants_in_order(shop):
    shop.add_variants({"a": 0, "b": 3, "c": 0, "d": 0})
    r = shop.inventory([{"variant_id": "d", "available": 2}, {"variant_id": "b", "available": 0},
                        {"variant_id": "c", "available": 0}, {"variant_id": "a", "available": 1}])
    assert r.json == {"created": 0, "updated": 4, "restocked": ["d", "a"]}


def test_catalog_and_stock_survive_a_restart(shop, restock):
    shop.catalog([TEE])
    shop.set_stock("4471", 2)
    before = variant(shop, "4471")
    shop.server.stop()
    s = restock.start()
    assert s.get("/v1/variants/4471", key=shop.key).json == before
    assert s.get(f"/v1/stock/{shop.id}/4471").json["status"] == "low_stock"


def test_concurrent_updates_restock_once(shop):
    """Ten feeds reporting the same rise at once: one restock, the rest unchanged stock."""
    import threading
    shop.add_variants({"v": 0})
    for level in (5, 0, 7):
        barrier, results = threading.Barrier(10), []

        def one():
            barrier.wait()
            results.append(shop.inventory([{"variant_id": "v", "available": level}]).json)

        threads = [threading.Thread(target=one) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        restocks = sum(r["restocked"] == ["v"] for r in results)
        assert restocks == (1 if level else 0), results
        assert variant(shop, "v")["available"] == level


def test_variant_ids_with_a_slash_or_a_percent_sign(shop):
    """A feed's g:id may hold '/' or '%'. Encoded as the widget encodes it (encodeURIComponent:
    %2F, %25), such an id is one path segment, decoded exactly once — in the public stock read
    and the admin API alike; an unencoded slash is two segments, so no route."""
    shop.add_variants({"SKU/1": 4, "100%/b": 0, "a%2Fb": 2})
    for encoded, vid in (("SKU%2F1", "SKU/1"), ("SKU%2f1", "SKU/1"), ("100%25%2Fb", "100%/b"),
                         ("a%252Fb", "a%2Fb")):
        r = shop.stock(encoded)
        assert r.status == 200 and r.json["variant_id"] == vid, (encoded, r)
        r = shop.variant(encoded)
        assert r.status == 200 and r.json["variant_id"] == vid, (encoded, r)
    assert shop.stock("100%25%2Fb").json["status"] == "sold_out"
    assert shop.stock("SKU/1").status == 404
    assert shop.stock("a%2Fb").status == 404  # that is "a/b", which does not exist
    # other escapes are decoded as before
    shop.add_variants({"é x": 1})
    assert shop.stock("%C3%A9%20x").json["variant_id"] == "é x"
