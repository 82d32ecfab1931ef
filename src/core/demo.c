/*
 * demo — seeds the demo shop through the same core functions the API uses (catalog batches,
 * sign-ups, the fan-out, orders and their attribution), so the demo is also a smoke test of them.
 *
 * History: two past restocks, each told to its waiting shoppers by email (marked sent, as the
 * demo has no SMTP relay), some of them opened, clicked and fired events, and orders that
 * attribution turns into direct and assisted conversions, one of them refunded in part — so the
 * dashboard's chart, rates, top events and customers report have something to show.
 *
 * On a store with shops nothing is seeded; the demo shop created before is found by its
 * storefront url, DEMO_SHOP_URL, so that `serve --demo` can say which it is (its key was shown
 * once, and only its hash is kept).
 */
#include "core/demo.h"

#include <stdio.h>
#include <string.h>

#include "core/catalog.h"
#include "core/fanout.h"
#include "core/order_sink.h"
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
    /* as many waiting as make "most wanted" a ranking, signed up over the last two weeks so
     * the waits differ */
    const char *const variants[] = {"4471", "5120", "7300"};
    const size_t waiting[] = {6, 2, 4};
    int64_t now = now_s();
    for (size_t v = 0; v < 3; v++)
        for (size_t p = 0; p < waiting[v]; p++) {
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
            su.now = now - (int64_t)((p * 5 + v * 3) % 14 + 1) * 86400 - (int64_t)p * 3700;
            if ((rc = committer_run(app->cm, signup_apply, &su, st))) return rc;
        }
    return RS_OK;
}

/* ---- history ------------------------------------------------------------------------------ */

static int batch(struct app *app, const struct shop *sh, struct arena *a, const char *json,
                 int inventory, int64_t now, struct rs_status *st)
{
    struct catalog_batch b = {.shop = sh, .arena = a, .now = now};
    json_t *j = json_loads(json, 0, NULL);
    int rc = inventory ? inventory_parse(&b, j, st) : catalog_parse(&b, j, st);
    json_decref(j);
    return rc ? rc : committer_run(app->cm, catalog_apply, &b, st);
}

struct told {
    const struct shop *sh;
    struct arena *a;
    int64_t at; /* when the restock's messages went out */
    int64_t ids[64], campaign[64];
    int n;
};

static int collect_queued(void *arg, const struct notification *n)
{
    struct told *t = arg;
    if (t->n < 64 && n->status == N_QUEUED && n->restock_id) {
        t->ids[t->n] = n->id;
        t->campaign[t->n++] = n->campaign_id;
    }
    return 0;
}

/* Marks the restock's queued messages sent a minute apart; every second one opened, every
 * third clicked, and the clicked ones fire an AddToCart event. */
static int told_job(struct tx *tx, void *arg, struct rs_status *st)
{
    struct told *t = arg;
    struct notif_filter f = {.sid = t->sh->sid, .status = N_QUEUED, .limit = 64};
    int rc = tx->ops->notification_list(tx->c, &f, t->a, collect_queued, t);
    for (int i = 0; i < t->n && !rc; i++) {
        int64_t sent = t->at + 60 * i;
        struct notification n = {
            .id = t->ids[i], .status = N_SENT, .attempts = 1, .not_before = sent, .sent_at = sent};
        rc = tx->ops->notification_result(tx->c, &n, 0);
        int64_t opened = i % 2 == 0 ? sent + 600 : 0, clicked = i % 3 == 0 ? sent + 900 : 0;
        if (!rc && (opened || clicked))
            rc = tx->ops->notification_touch(tx->c, t->ids[i], opened ? opened : clicked, clicked);
        const char *events[] = {"AddToCart", "ViewCart", "AddToCart"};
        for (int k = 0; k < (clicked ? 3 : 0) && !rc; k++) {
            struct hit h = {.sid = t->sh->sid,
                            .notification_id = t->ids[i],
                            .campaign_id = t->campaign[i],
                            .kind = HIT_EVENT,
                            .name = events[k],
                            .at = clicked + 60 * (k + 1)};
            rc = tx->ops->hit_insert(tx->c, &h);
        }
    }
    return rc ? rs_fail(st, rc, "demo: cannot record the history") : RS_OK;
}

struct demo_order {
    struct app *app;
    const struct shop *sh;
    struct order_in in;
    struct order_item_in item;
    int64_t refund;
};

static int order_job(struct tx *tx, void *arg, struct rs_status *st)
{
    struct demo_order *o = arg;
    int rc = order_attribution_sink.create(o->app, tx, o->sh, &o->in, o->in.created_at, st);
    if (!rc && o->refund)
        rc = order_attribution_sink.refund(o->app, tx, o->sh, o->in.order_number, NULL, o->refund,
                                           o->in.currency, o->in.created_at + 86400, st);
    return rc;
}

/* One past restock of `variant`: `people` sign up before `at`, it is restocked at `at`, the
 * fan-out tells them, the messages go out, and `buyers` of them order within the week. */
static int past_restock(struct app *app, const struct shop *sh, struct arena *a,
                        const char *variant, int64_t at, int people, int buyers, int *order_no,
                        struct rs_status *st)
{
    char json[160];
    snprintf(json, sizeof(json), "[{\"variant_id\":\"%s\",\"available\":0}]", variant);
    int rc = batch(app, sh, a, json, 1, at - 5 * 86400, st);
    for (int p = 0; p < people && !rc; p++) {
        struct signup su;
        char body[256];
        snprintf(body, sizeof(body),
                 "{\"shop\":\"%s\",\"variant_id\":\"%s\",\"channel\":\"email\","
                 "\"email\":\"shopper%d.%s@example.com\",\"source\":\"widget\"}",
                 sh->uuid, variant, p, variant);
        json_t *j = json_loads(body, 0, NULL);
        rc = signup_parse(app, j, a, &su, st);
        json_decref(j);
        if (rc) break;
        su.shop = sh;
        su.arena = a;
        su.now = at - 4 * 86400 + p * 3600;
        rc = committer_run(app->cm, signup_apply, &su, st);
    }
    snprintf(json, sizeof(json), "[{\"variant_id\":\"%s\",\"available\":%d}]", variant, people);
    if (!rc) rc = batch(app, sh, a, json, 1, at, st);
    for (int found = 1; !rc && found;)
        rc = fanout_step(app, at, 0, NULL, &found, st);
    struct told t = {.sh = sh, .a = a, .at = at};
    if (!rc) rc = committer_run(app->cm, told_job, &t, st);
    for (int b = 0; b < buyers && b < t.n && !rc; b++) {
        struct demo_order o = {.app = app, .sh = sh, .refund = b == 1 ? 1000 : 0};
        char *number = arena_printf(a, "%d", ++*order_no);
        char *email = arena_printf(a, "shopper%d.%s@example.com", b, variant);
        o.item = (struct order_item_in){.variant_id = variant, .quantity = 1 + b % 2, .price = -1};
        o.in = (struct order_in){.order_number = number,
                                 .source = "api",
                                 .total = 1990 * (1 + b % 2) + 500 * b,
                                 .currency = sh->currency,
                                 .created_at = at + 3600 * (2 + 7 * b),
                                 .email = email,
                                 .items = &o.item,
                                 .nitems = 1};
        rc = committer_run(app->cm, order_job, &o, st);
    }
    return rc;
}

/* A store with shops: the demo shop among them (DEMO_FOUND, its id in shop_id) or not. */
static int demo_find(struct app *app, enum demo_state *state, char shop_id[40],
                     struct rs_status *st)
{
    struct arena *a = arena_new();
    struct shop sh;
    struct store_conn *c = app->ops->reader(app->store);
    int rc = c ? app->ops->shop_by_url(c, DEMO_SHOP_URL, a, &sh) : RS_ESTORE;
    app->ops->reader_release(app->store);
    if (rc == RS_OK) {
        snprintf(shop_id, 40, "%s", sh.uuid);
        *state = DEMO_FOUND;
    } else if (rc == RS_ENOTFOUND) {
        rc = RS_OK;
    } else {
        rs_fail(st, rc, "demo: cannot read the shops");
    }
    arena_free(a);
    return rc;
}

int demo_seed(struct app *app, enum demo_state *state, char api_key[API_KEY_MAX], char shop_id[40],
              struct rs_status *st)
{
    int64_t n = 0;
    *state = DEMO_NONE;
    int rc = app->ops->shop_count(app->ops->reader(app->store), &n);
    app->ops->reader_release(app->store);
    if (rc) return rs_fail(st, RS_ESTORE, "cannot count shops");
    if (n > 0) return demo_find(app, state, shop_id, st);
    struct arena *a = arena_new();
    struct shop sh;
    struct shop_new in = {.name = "Demo Shop",
                          .url = DEMO_SHOP_URL,
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
    /* history first (it sells variants out and back in), then today's waiting shoppers */
    int order_no = 1000;
    int64_t now = now_s();
    if (!rc) rc = past_restock(app, &sh, a, "6001", now - 12 * 86400, 12, 6, &order_no, st);
    if (!rc) rc = past_restock(app, &sh, a, "4472", now - 5 * 86400, 9, 4, &order_no, st);
    if (!rc) rc = seed_subscribers(app, &sh, a, st);
    if (!rc) {
        snprintf(shop_id, 40, "%s", sh.uuid);
        *state = DEMO_CREATED;
    }
    arena_free(a);
    return rc;
}
