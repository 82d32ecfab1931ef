/*
 * demo — seeds the demo shop through the same core functions the API uses (catalog batches and
 * sign-ups), so the demo is also a smoke test of them.
 */
#include "core/demo.h"

#include <stdio.h>
#include <string.h>

#include "core/catalog.h"
#include "core/signup.h"
#include "util/timeutil.h"

static const char *const demo_catalog =
    "["
    "{\"variant_id\":\"4471\",\"product_id\":\"88\",\"product_number\":\"TEE-RED-M\","
    "\"title\":\"Organic Tee\",\"variant_title\":\"Red / M\",\"url\":"
    "\"https://demo.restock.local/products/organic-tee\",\"price\":\"19.90\","
    "\"original_price\":\"24.90\",\"category\":\"Shirts\",\"available\":0},"
    "{\"variant_id\":\"4472\",\"product_id\":\"88\",\"product_number\":\"TEE-RED-L\","
    "\"title\":\"Organic Tee\",\"variant_title\":\"Red / L\",\"url\":"
    "\"https://demo.restock.local/products/organic-tee\",\"price\":\"19.90\","
    "\"category\":\"Shirts\",\"available\":12},"
    "{\"variant_id\":\"5120\",\"product_id\":\"91\",\"product_number\":\"HOOD-GRY-S\","
    "\"title\":\"Wool Hoodie\",\"variant_title\":\"Grey / S\",\"url\":"
    "\"https://demo.restock.local/products/wool-hoodie\",\"price\":\"79.00\","
    "\"category\":\"Knitwear\",\"available\":0},"
    "{\"variant_id\":\"6001\",\"product_id\":\"97\",\"product_number\":\"CAP-BLK\","
    "\"title\":\"Canvas Cap\",\"variant_title\":\"Black\",\"url\":"
    "\"https://demo.restock.local/products/canvas-cap\",\"price\":\"15.00\","
    "\"category\":\"Accessories\",\"available\":3},"
    "{\"variant_id\":\"7300\",\"product_id\":\"99\",\"product_number\":\"BOOT-BRN-42\","
    "\"title\":\"Trail Boot\",\"variant_title\":\"Brown / 42\",\"url\":"
    "\"https://demo.restock.local/products/trail-boot\",\"price\":\"129.00\","
    "\"category\":\"Shoes\",\"available\":0}"
    "]";

static const char *const demo_people[] = {"ada", "grace", "linus", "margaret", "ken", "barbara"};

static int seed_subscribers(struct app *app, const struct shop *sh, struct arena *a,
                            struct rs_status *st)
{
    const char *const variants[] = {"4471", "5120", "7300"};
    for (size_t v = 0; v < 3; v++)
        for (size_t p = 0; p < sizeof(demo_people) / sizeof(demo_people[0]); p++) {
            if ((p + v) % 3 == 2) continue;
            struct signup su;
            char body[256];
            snprintf(body, sizeof(body),
                     "{\"shop\":\"%s\",\"variant_id\":\"%s\",\"channel\":\"email\","
                     "\"email\":\"%s@example.com\",\"first_name\":\"%c%s\",\"source\":\"widget\"}",
                     sh->uuid, variants[v], demo_people[p], demo_people[p][0] - 32,
                     demo_people[p] + 1);
            json_t *j = json_loads(body, 0, NULL);
            int rc = signup_parse(app, j, a, &su, st);
            json_decref(j);
            if (rc) return rc;
            su.shop = sh;
            su.arena = a;
            su.now = now_s();
            if ((rc = committer_run(app->cm, signup_apply, &su, st))) return rc;
        }
    return RS_OK;
}

int demo_seed(struct app *app, int *created, char api_key[API_KEY_MAX], char shop_id[40],
              struct rs_status *st)
{
    int64_t n = 0;
    *created = 0;
    int rc = app->ops->shop_count(app->ops->reader(app->store), &n);
    app->ops->reader_release(app->store);
    if (rc) return rs_fail(st, RS_ESTORE, "cannot count shops");
    if (n > 0) return RS_OK;
    struct arena *a = arena_new();
    struct shop sh;
    struct shop_new in = {.name = "Demo Shop",
                          .url = "https://demo.restock.local",
                          .currency = "EUR",
                          .timezone = "Europe/Copenhagen"};
    rc = shop_create(app, &in, a, &sh, api_key, st);
    if (!rc) {
        struct catalog_batch b = {.shop = &sh, .arena = a, .now = now_s()};
        json_t *j = json_loads(demo_catalog, 0, NULL);
        rc = catalog_parse(&b, j, st);
        json_decref(j);
        if (!rc) rc = committer_run(app->cm, catalog_apply, &b, st);
    }
    if (!rc) rc = seed_subscribers(app, &sh, a, st);
    if (!rc) {
        snprintf(shop_id, 40, "%s", sh.uuid);
        *created = 1;
    }
    arena_free(a);
    return rc;
}
