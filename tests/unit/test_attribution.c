/*
 * Attribution (attribution.h, order.h), in-process on a real SQLite store with controlled
 * times: each case of the table builds a shop, signs contacts up, restocks, lets the fan-out
 * queue the notifications, marks the chosen ones sent (and clicked) at chosen instants, then
 * posts one order and reads back which notification converted and how. Sequences (the same
 * order twice, two sources, first order wins, cancel, refund, stats) follow the table.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/app.h"
#include "core/attribution.h"
#include "core/campaign_row.h"
#include "core/catalog.h"
#include "core/fanout.h"
#include "core/order.h"
#include "core/shop.h"
#include "core/signup.h"
#include "core/stats.h"
#include "core/token.h"
#include "test.h"

/* 2026-11-24T12:00:00Z; orders are placed 30 days later */
#define T0       1795521600LL
#define ORDER_AT (T0 + 30 * 86400LL)
#define DAY      86400LL

struct env {
    char dir[64], db[96];
    struct config cfg;
    struct app app;
    struct arena *a;
    struct shop shop;
};

static void env_open(struct env *e)
{
    struct rs_status st = {0};
    snprintf(e->dir, sizeof(e->dir), "/tmp/restock-attr-XXXXXX");
    CHECK(mkdtemp(e->dir) != NULL);
    snprintf(e->db, sizeof(e->db), "%s/t.db", e->dir);
    char *argv[] = {"--db", e->db, "--public-url", "https://r.example", "--log-format", "text"};
    CHECK_INT(config_load(&e->cfg, 6, argv, &st), RS_OK);
    CHECK_INT(app_open(&e->app, &e->cfg, &st), RS_OK);
    e->a = arena_new();
    char key[API_KEY_MAX];
    struct shop_new in = {"Shop", "https://shop.example", "EUR", "Europe/Copenhagen"};
    CHECK_INT(shop_create(&e->app, &in, e->a, &e->shop, key, &st), RS_OK);
}

static void env_close(struct env *e)
{
    app_close(&e->app);
    config_free(&e->cfg);
    arena_free(e->a);
    char path[128];
    const char *const suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s%s", e->db, suffix[i]);
        unlink(path);
    }
    rmdir(e->dir);
}

/* One integer from the database file, or runs a statement when it returns none. */
static long long q(struct env *e, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    long long v = -1;
    if (sqlite3_open_v2(e->db, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
        if (rc == SQLITE_DONE) v = 0;
        sqlite3_finalize(s);
    } else {
        fprintf(stderr, "  sql: %s: %s\n", sql, sqlite3_errmsg(db));
    }
    sqlite3_close(db);
    return v;
}

static void stock(struct env *e, const char *variant, int available, int64_t now)
{
    struct rs_status st = {0};
    char json[128];
    snprintf(json, sizeof(json), "[{\"variant_id\":\"%s\",\"available\":%d}]", variant, available);
    struct catalog_batch b = {.shop = &e->shop, .arena = e->a, .now = now};
    json_t *j = json_loads(json, 0, NULL);
    CHECK_INT(inventory_parse(&b, j, &st), RS_OK);
    json_decref(j);
    CHECK_INT(committer_run(e->app.cm, catalog_apply, &b, &st), RS_OK);
}

static int64_t signup(struct env *e, const char *variant, const char *contact_json, int64_t now)
{
    struct rs_status st = {0};
    char body[512];
    snprintf(body, sizeof(body), "{\"shop\":\"%s\",\"variant_id\":\"%s\",%s}", e->shop.uuid,
             variant, contact_json);
    json_t *j = json_loads(body, 0, NULL);
    struct signup su;
    CHECK_INT(signup_parse(&e->app, j, e->a, &su, &st), RS_OK);
    json_decref(j);
    su.shop = &e->shop;
    su.arena = e->a;
    su.now = now;
    CHECK_INT(committer_run(e->app.cm, signup_apply, &su, &st), RS_OK);
    return su.out.id;
}

static void fanout(struct env *e, int64_t now)
{
    int found = 1, steps = 0;
    struct rs_status st = {0};
    while (found && steps++ < 100)
        CHECK_INT(fanout_step(&e->app, now, 0, NULL, &found, &st), RS_OK);
}

static int mark_sent(struct tx *tx, void *arg, struct rs_status *st)
{
    (void)st;
    return tx->ops->notification_result(tx->c, arg, 0); /* never leased */
}

/* A notification to a subscription of `variant` sent at `sent` (clicked at `clicked`, 0: not
 * clicked): sold out, sign-up, restock and fan-out just before, then marked sent. Its id. */
static int64_t notify(struct env *e, const char *variant, const char *contact, int64_t sent,
                      int64_t clicked)
{
    stock(e, variant, 0, sent - 120);
    int64_t sub = signup(e, variant, contact, sent - 110);
    stock(e, variant, 5, sent - 100);
    fanout(e, sent - 100);
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT id FROM notifications WHERE subscription_id = %lld ORDER BY id DESC LIMIT 1",
             (long long)sub);
    int64_t id = q(e, sql);
    CHECK(id > 0);
    struct rs_status st = {0};
    struct notification n;
    CHECK_INT(e->app.ops->notification_get(e->app.ops->reader(e->app.store), id, e->a, &n), RS_OK);
    e->app.ops->reader_release(e->app.store);
    n.status = N_SENT;
    n.sent_at = sent;
    n.attempts = 1;
    CHECK_INT(committer_run(e->app.cm, mark_sent, &n, &st), RS_OK);
    if (clicked) {
        snprintf(sql, sizeof(sql), "UPDATE notifications SET clicked_at = %lld WHERE id = %lld",
                 (long long)clicked, (long long)id);
        CHECK_INT(q(e, sql), 0);
    }
    return id;
}

struct placed {
    int rc, created, ignored, converted;
    struct conversion conv;
    struct order out;
};

/* Posts an order (the /v1/orders shape) through order_parse and order_apply. */
static struct placed order(struct env *e, const char *json)
{
    struct placed p = {0};
    struct rs_status st = {0};
    struct order_job j = {.app = &e->app, .shop = &e->shop, .arena = e->a};
    json_t *body = json_loads(json, 0, NULL);
    CHECK(body != NULL);
    p.rc = order_parse(body, &e->shop, "api", ORDER_AT, e->a, &j.in, &j.test, &st);
    json_decref(body);
    if (p.rc) {
        fprintf(stderr, "  order: %s\n", st.msg);
        return p;
    }
    p.rc = committer_run(e->app.cm, order_apply, &j, &st);
    p.created = j.created;
    p.ignored = j.ignored;
    p.converted = j.converted;
    p.conv = j.conv;
    p.out = j.out;
    return p;
}

static void settings(struct env *e, int conversions_enabled)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "UPDATE shops SET conversions_enabled = %d WHERE sid = %lld",
             conversions_enabled, (long long)e->shop.sid);
    CHECK_INT(q(e, sql), 0);
    e->shop.conversions_enabled = conversions_enabled;
}

static void goal_window(struct env *e, int days)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "UPDATE campaigns SET json = json_set(json, '$.goal.window_days', %d)"
             " WHERE shop_id = %lld",
             days, (long long)e->shop.sid);
    CHECK_INT(q(e, sql), 0);
}

/* ---- the table ---------------------------------------------------------------------------- */

#define ADA   "\"channel\":\"email\",\"email\":\"ada@example.com\""
#define BOB   "\"channel\":\"email\",\"email\":\"bob@example.com\""
#define ADA_C "\"channel\":\"email\",\"email\":\"ada@example.com\",\"customer_id\":\"C-9\""
#define ADA_T "\"channel\":\"email\",\"email\":\"ada@example.com\",\"tracking_user_id\":\"trk-1\""
#define SMS   "\"channel\":\"sms\",\"phone\":\"+4520123456\""
#define SMS_E "\"channel\":\"sms\",\"phone\":\"+4520123456\",\"email\":\"ada@example.com\""

struct nspec {
    const char *variant, *contact;
    int64_t sent_before;    /* seconds before the order */
    int64_t clicked_before; /* seconds before the order; 0: never clicked; < 0: after it */
};

struct acase {
    const char *name;
    struct nspec n[3];
    const char *buyer; /* the order's identity fields */
    const char *items; /* the order's items */
    int token_of;      /* the notification whose click token the cart carries; -1: none */
    int window;        /* the campaigns' goal window_days; 0: the default (10) */
    int disabled;      /* conversions_enabled off */
    int kind;          /* -1: no conversion; else CONV_DIRECT or CONV_ASSISTED */
    int which;         /* the notification converted */
};

#define V1    "[{\"variant_id\":\"v1\",\"price\":\"19.90\"}]"
#define V2    "[{\"variant_id\":\"v2\"}]"
#define V1V2  "[{\"variant_id\":\"v1\"},{\"variant_id\":\"v2\"}]"
#define BY(x) "\"email\":\"" x "\""

static const struct acase cases[] = {
    {"window edge, inside",
     {{"v1", ADA, 10 * DAY, 0}},
     BY("ada@example.com"),
     V1,
     -1,
     0,
     0,
     CONV_ASSISTED,
     0},
    {"window edge, one second outside",
     {{"v1", ADA, 10 * DAY + 1, 0}},
     BY("ada@example.com"),
     V1,
     -1,
     0,
     0,
     -1,
     0},
    {"sent one second after the order",
     {{"v1", ADA, -1, 0}},
     BY("ada@example.com"),
     V1,
     -1,
     0,
     0,
     -1,
     0},
    {"campaign goal window 3 days, inside",
     {{"v1", ADA, 3 * DAY, 0}},
     BY("ada@example.com"),
     V1,
     -1,
     3,
     0,
     CONV_ASSISTED,
     0},
    {"campaign goal window 3 days, outside",
     {{"v1", ADA, 3 * DAY + 1, 0}},
     BY("ada@example.com"),
     V1,
     -1,
     3,
     0,
     -1,
     0},
    {"clicked before the order: direct",
     {{"v1", ADA, 2 * DAY, DAY}},
     BY("ada@example.com"),
     V1,
     -1,
     0,
     0,
     CONV_DIRECT,
     0},
    {"clicked the second before the order: direct",
     {{"v1", ADA, 2 * DAY, 1}},
     BY("ada@example.com"),
     V1,
     -1,
     0,
     0,
     CONV_DIRECT,
     0},
    {"clicked after the order: assisted",
     {{"v1", ADA, 2 * DAY, -1}},
     BY("ada@example.com"),
     V1,
     -1,
     0,
     0,
     CONV_ASSISTED,
     0},
    {"no click (customised button): assisted",
     {{"v1", ADA, DAY, 0}},
     BY("ada@example.com"),
     V1,
     -1,
     0,
     0,
     CONV_ASSISTED,
     0},
    {"two notifications of one variant: the latest sent",
     {{"v1", ADA, 5 * DAY, 0}, {"v1", ADA, 2 * DAY, 0}},
     BY("ada@example.com"),
     V1,
     -1,
     0,
     0,
     CONV_ASSISTED,
     1},
    {"two notifications of one variant: the clicked one",
     {{"v1", ADA, 5 * DAY, 4 * DAY}, {"v1", ADA, 2 * DAY, 0}},
     BY("ada@example.com"),
     V1,
     -1,
     0,
     0,
     CONV_DIRECT,
     0},
    {"two clicked: the latest sent",
     {{"v1", ADA, 5 * DAY, DAY}, {"v1", ADA, 2 * DAY, 2 * DAY - 5}},
     BY("ada@example.com"),
     V1,
     -1,
     0,
     0,
     CONV_DIRECT,
     1},
    {"two variants in one order",
     {{"v1", ADA, 3 * DAY, 0}, {"v2", ADA, DAY, 0}},
     BY("ada@example.com"),
     V1V2,
     -1,
     0,
     0,
     CONV_ASSISTED,
     1},
    {"a variant the order does not have",
     {{"v2", ADA, DAY, DAY - 5}},
     BY("ada@example.com"),
     V1,
     -1,
     0,
     0,
     -1,
     0},
    {"email in any case",
     {{"v1", ADA, DAY, 0}},
     BY("ADA@Example.COM"),
     V1,
     -1,
     0,
     0,
     CONV_ASSISTED,
     0},
    {"another shopper", {{"v1", ADA, DAY, 0}}, BY("bob@example.com"), V1, -1, 0, 0, -1, 0},
    {"by phone",
     {{"v1", SMS, DAY, 0}},
     "\"phone\":\"+45 20 12 34 56\"",
     V1,
     -1,
     0,
     0,
     CONV_ASSISTED,
     0},
    {"by the email of an SMS sign-up",
     {{"v1", SMS_E, DAY, 0}},
     BY("ada@example.com"),
     V1,
     -1,
     0,
     0,
     CONV_ASSISTED,
     0},
    {"by customer id",
     {{"v1", ADA_C, DAY, 0}},
     BY("other@example.com") ",\"customer_id\":\"C-9\"",
     V1,
     -1,
     0,
     0,
     CONV_ASSISTED,
     0},
    {"by tracking user id",
     {{"v1", ADA_T, DAY, 0}},
     "\"tracking_user_id\":\"trk-1\"",
     V1,
     -1,
     0,
     0,
     CONV_ASSISTED,
     0},
    {"cart token with another email",
     {{"v1", ADA, 2 * DAY, 0}},
     BY("bob@example.com"),
     V1,
     0,
     0,
     0,
     CONV_DIRECT,
     0},
    {"cart token beats a later click",
     {{"v1", BOB, 3 * DAY, 0}, {"v1", ADA, DAY, DAY - 5}},
     BY("ada@example.com"),
     V1,
     0,
     0,
     0,
     CONV_DIRECT,
     0},
    {"cart token outside the window",
     {{"v1", ADA, 11 * DAY, 0}},
     BY("bob@example.com"),
     V1,
     0,
     0,
     0,
     -1,
     0},
    {"cart token for a variant not in the order",
     {{"v2", ADA, DAY, 0}},
     BY("bob@example.com"),
     V1,
     0,
     0,
     0,
     -1,
     0},
    {"conversions disabled",
     {{"v1", ADA, DAY, DAY - 5}},
     BY("ada@example.com"),
     V1,
     -1,
     0,
     1,
     -1,
     0},
};

static void run_case(const struct acase *c)
{
    struct env e;
    int before = test_failures;
    env_open(&e);
    struct rs_status st = {0};
    struct catalog_batch b = {.shop = &e.shop, .arena = e.a, .now = T0 - DAY};
    json_t *j = json_loads("[{\"variant_id\":\"v1\",\"available\":0},"
                           "{\"variant_id\":\"v2\",\"available\":0}]",
                           0, NULL);
    CHECK_INT(catalog_parse(&b, j, &st), RS_OK);
    json_decref(j);
    CHECK_INT(committer_run(e.app.cm, catalog_apply, &b, &st), RS_OK);
    if (c->window) goal_window(&e, c->window);
    int64_t ids[3] = {0};
    for (int i = 0; i < 3 && c->n[i].variant; i++) {
        const struct nspec *n = &c->n[i];
        ids[i] = notify(&e, n->variant, n->contact, ORDER_AT - n->sent_before,
                        n->clicked_before ? ORDER_AT - n->clicked_before : 0);
    }
    if (c->disabled) settings(&e, 0);
    char tok[TOKEN_MAX] = "", json[1024];
    if (c->token_of >= 0) token_make(e.app.secret, TOKEN_CLICK, ids[c->token_of], tok);
    snprintf(
        json, sizeof(json),
        "{\"order_number\":\"1001\",\"total\":\"39.80\",\"created_at\":\"2026-12-24T12:00:00Z\","
        "%s,\"items\":%s,\"note_attributes\":[{\"name\":\"restock\",\"value\":\"%s\"}]}",
        c->buyer, c->items, tok);
    struct placed p = order(&e, json);
    CHECK_INT(p.rc, RS_OK);
    CHECK_INT(p.created, 1);
    if (c->kind < 0) {
        CHECK_INT(p.converted, 0);
        CHECK_INT(q(&e, "SELECT count(*) FROM conversions"), 0);
    } else {
        CHECK_INT(p.converted, 1);
        CHECK_INT(p.conv.kind, c->kind);
        CHECK_INT(p.conv.notification_id, ids[c->which]);
        CHECK_INT(p.conv.amount, 3980);
        CHECK_INT(p.conv.at, ORDER_AT);
        CHECK_INT(q(&e, "SELECT count(*) FROM conversions"), 1);
    }
    CHECK_INT(q(&e, "SELECT count(*) FROM orders"), 1);
    if (test_failures != before) fprintf(stderr, "  in case: %s\n", c->name);
    env_close(&e);
}

TEST(attribution_table)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i]);
}

/* ---- the pure decision -------------------------------------------------------------------- */

TEST(attribution_decide_pure)
{
    struct attr_cand c[3] = {
        {.notification_id = 1, .sent_at = 100, .clicked_at = 0, .window_days = 1},
        {.notification_id = 2, .sent_at = 100, .clicked_at = 0, .window_days = 1},
        {.notification_id = 3, .sent_at = 50, .clicked_at = 0, .window_days = 1, .converted = 1},
    };
    enum conversion_kind k;
    CHECK_INT(attribution_decide(c, 3, 200, 1, &k), 1); /* a tie: the higher id */
    CHECK_INT(k, CONV_ASSISTED);
    CHECK_INT(attribution_decide(c, 3, 200, 0, &k), -1);
    c[2].converted = 0;
    c[2].clicked_at = 60;
    CHECK_INT(attribution_decide(c, 3, 200, 1, &k), 2);
    CHECK_INT(k, CONV_DIRECT);
    CHECK_INT(attribution_decide(c, 3, 99, 1, &k), 2); /* the others are later than the order */
    CHECK_INT(attribution_decide(c, 3, 50 + 86401, 1, &k), 1);
    CHECK_INT(attribution_decide(c, 0, 200, 1, &k), -1);
}

/* ---- sequences ---------------------------------------------------------------------------- */

static void setup_two(struct env *e, int64_t *n1, int64_t *n2)
{
    struct rs_status st = {0};
    struct catalog_batch b = {.shop = &e->shop, .arena = e->a, .now = T0 - DAY};
    json_t *j = json_loads("[{\"variant_id\":\"v1\",\"product_number\":\"TEE-M\","
                           "\"url\":\"https://shop.example/p/tee\",\"available\":0}]",
                           0, NULL);
    CHECK_INT(catalog_parse(&b, j, &st), RS_OK);
    json_decref(j);
    CHECK_INT(committer_run(e->app.cm, catalog_apply, &b, &st), RS_OK);
    *n1 = notify(e, "v1", ADA, ORDER_AT - 3 * DAY, 0);
    *n2 = notify(e, "v1", ADA, ORDER_AT - 2 * DAY, ORDER_AT - DAY);
}

#define ORDER_JSON(num, extra)                                                                     \
    "{\"order_number\":\"" num "\",\"total\":\"50.00\",\"created_at\":\"2026-12-24T12:00:00Z\","   \
    "\"email\":\"ada@example.com\",\"items\":[{\"product_number\":\"TEE-M\"}]" extra "}"

TEST(attribution_same_order_twice_and_first_order_wins)
{
    struct env e;
    int64_t n1, n2;
    env_open(&e);
    setup_two(&e, &n1, &n2);
    struct placed p = order(&e, ORDER_JSON("A-1", ""));
    CHECK_INT(p.created, 1);
    CHECK_INT(p.converted, 1);
    CHECK_INT(p.conv.kind, CONV_DIRECT);
    CHECK_INT(p.conv.notification_id, n2);
    CHECK_STR(p.out.items[0].variant_id, "v1"); /* resolved from the product number */
    struct placed again =
        order(&e, "{\"order_number\":\"A-1\",\"total\":\"99.00\",\"email\":\"bob@example.com\","
                  "\"items\":[{\"variant_id\":\"v9\"}]}");
    CHECK_INT(again.created, 0);
    CHECK_INT(again.out.total, 5000); /* the stored one */
    CHECK_INT(again.converted, 1);
    CHECK_INT(again.conv.notification_id, n2);
    CHECK_INT(q(&e, "SELECT count(*) FROM orders"), 1);
    CHECK_INT(q(&e, "SELECT count(*) FROM conversions"), 1);
    /* a second order: n2 has converted, n1 (sent, not clicked) is next */
    p = order(&e, ORDER_JSON("A-2", ""));
    CHECK_INT(p.converted, 1);
    CHECK_INT(p.conv.kind, CONV_ASSISTED);
    CHECK_INT(p.conv.notification_id, n1);
    /* a third: nothing left to convert */
    p = order(&e, ORDER_JSON("A-3", ""));
    CHECK_INT(p.created, 1);
    CHECK_INT(p.converted, 0);
    CHECK_INT(q(&e, "SELECT count(*) FROM conversions"), 2);
    /* purchases recorded for the campaigns' filters */
    CHECK_INT(q(&e, "SELECT count(*) FROM activity WHERE who = 'ada@example.com'"
                    " AND kind = 'purchase' AND variant_id = 'v1'"),
              3);
    env_close(&e);
}

TEST(attribution_two_sources_and_test_orders)
{
    struct env e;
    int64_t n1, n2;
    env_open(&e);
    setup_two(&e, &n1, &n2);
    struct rs_status st = {0};
    /* a test order: nothing stored */
    struct placed p = order(&e, ORDER_JSON("T-1", ",\"test\":true"));
    CHECK_INT(p.ignored, 1);
    CHECK_INT(q(&e, "SELECT count(*) FROM orders"), 0);
    CHECK_INT(q(&e, "SELECT count(*) FROM activity"), 0);
    /* the collect call, then the same order through the API */
    json_t *body = json_loads("{\"websiteUuid\":\"x\",\"orderNumber\":500,\"total\":50,"
                              "\"email\":\"Ada@example.com\",\"trackingUserId\":\"t\","
                              "\"urls\":[\"https://shop.example/p/tee?utm_source=x\"]}",
                              0, NULL);
    struct order_job j = {.app = &e.app, .shop = &e.shop, .arena = e.a};
    CHECK_INT(collect_parse(body, &e.shop, ORDER_AT, e.a, &j.in, &st), RS_OK);
    json_decref(body);
    CHECK_INT(committer_run(e.app.cm, order_apply, &j, &st), RS_OK);
    CHECK_INT(j.created, 1);
    CHECK_INT(j.converted, 1);
    CHECK_INT(j.conv.notification_id, n2);
    CHECK_STR(j.out.source, "collect");
    p = order(&e, ORDER_JSON("500", ""));
    CHECK_INT(p.created, 0);
    CHECK_INT(q(&e, "SELECT count(*) FROM conversions"), 1);
    CHECK_INT(q(&e, "SELECT count(*) FROM orders"), 1);
    env_close(&e);
}

static int change(struct env *e, const char *number, enum order_op op, const char *amount,
                  struct order_change *ch)
{
    struct rs_status st = {0};
    *ch = (struct order_change){
        .shop = &e->shop, .order_number = number, .op = op, .arena = e->a, .now = ORDER_AT};
    if (amount) {
        json_t *b = json_loads(amount, 0, NULL);
        int rc = order_refund_parse(b, ch, &st);
        json_decref(b);
        if (rc) return rc;
    }
    return committer_run(e->app.cm, order_change_apply, ch, &st);
}

static json_t *stats(struct env *e)
{
    struct rs_status st = {0};
    struct tx tx = {e->app.ops, e->app.ops->reader(e->app.store)};
    json_t *out = NULL;
    CHECK_INT(stats_query(&tx, &e->shop, "2026-12-20", "2026-12-24", 0, e->a, &out, &st), RS_OK);
    e->app.ops->reader_release(e->app.store);
    return out;
}

static int put_conversion(struct tx *tx, void *arg, struct rs_status *st)
{
    (void)st;
    return tx->ops->conversion_insert(tx->c, arg);
}

/* A purchase the storefront reports twice, as the goal event and as the order: the order takes
 * the event's conversion over (once, with its amount and date, direct as clicked) instead of
 * converting the notification before it too. */
TEST(attribution_an_order_takes_over_a_goal_event_conversion)
{
    struct env e;
    int64_t n1, n2;
    env_open(&e);
    setup_two(&e, &n1, &n2);
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO conversions(shop_id, notification_id, campaign_id, order_id, kind,"
             " amount, refunded, currency, status, at, created_at) SELECT shop_id, id,"
             " campaign_id, 0, 1, 0, 0, 'EUR', 0, %lld, %lld FROM notifications WHERE id = %lld",
             (long long)(ORDER_AT - 3600), (long long)(ORDER_AT - 3600), (long long)n2);
    CHECK_INT(q(&e, sql), 0); /* what a goal event with no value records (track.c) */
    struct rs_status st = {0};
    struct conversion ev = {.sid = e.shop.sid,
                            .notification_id = n2,
                            .kind = CONV_ASSISTED,
                            .amount = 999,
                            .currency = "EUR",
                            .at = ORDER_AT,
                            .created_at = ORDER_AT};
    /* a second goal event does not replace the first */
    CHECK_INT(committer_run(e.app.cm, put_conversion, &ev, &st), RS_ECONFLICT);
    CHECK_INT(q(&e, "SELECT amount FROM conversions"), 0);
    struct placed p = order(&e, ORDER_JSON("G-1", ""));
    CHECK_INT(p.converted, 1);
    CHECK_INT(p.conv.notification_id, n2);
    CHECK_INT(p.conv.kind, CONV_DIRECT);
    CHECK_INT(p.conv.order_id, p.out.id);
    CHECK_INT(q(&e, "SELECT count(*) FROM conversions"), 1);
    CHECK_INT(q(&e, "SELECT amount FROM conversions"), 5000);
    json_t *s = stats(&e);
    json_t *t = json_object_get(s, "totals");
    json_t *direct = json_object_get(t, "direct"), *assisted = json_object_get(t, "assisted");
    CHECK_INT(json_integer_value(json_object_get(direct, "count")), 1);
    CHECK_STR(json_string_value(json_object_get(direct, "revenue")), "50.00");
    CHECK_INT(json_integer_value(json_object_get(assisted, "count")), 0);
    json_decref(s);
    /* now an order's: the next order falls to n1, and a later goal event (conversion_insert
     * with order_id 0, as track.c's) is refused and changes nothing */
    p = order(&e, ORDER_JSON("G-2", ""));
    CHECK_INT(p.conv.notification_id, n1);
    CHECK_INT(committer_run(e.app.cm, put_conversion, &ev, &st), RS_ECONFLICT);
    snprintf(sql, sizeof(sql), "SELECT amount FROM conversions WHERE notification_id = %lld",
             (long long)n2);
    CHECK_INT(q(&e, sql), 5000);
    CHECK_INT(q(&e, "SELECT count(*) FROM conversions WHERE order_id <> 0"), 2);
    s = stats(&e);
    direct = json_object_get(json_object_get(s, "totals"), "direct");
    CHECK_STR(json_string_value(json_object_get(direct, "revenue")), "50.00");
    json_decref(s);
    env_close(&e);
}

TEST(attribution_cancel_refund_and_stats)
{
    struct env e;
    int64_t n1, n2;
    env_open(&e);
    setup_two(&e, &n1, &n2);
    struct placed p = order(&e, ORDER_JSON("R-1", ""));
    CHECK_INT(p.conv.kind, CONV_DIRECT);
    json_t *s = stats(&e);
    json_t *t = json_object_get(s, "totals");
    CHECK_INT(json_integer_value(json_object_get(t, "sent")), 2);
    CHECK_INT(json_integer_value(json_object_get(t, "clicked")), 1); /* the rollup's trigger */
    json_t *direct = json_object_get(t, "direct");
    CHECK_INT(json_integer_value(json_object_get(direct, "count")), 1);
    CHECK_STR(json_string_value(json_object_get(direct, "revenue")), "50.00");
    CHECK_INT(json_array_size(json_object_get(s, "days")), 5);
    json_decref(s);

    struct order_change ch;
    CHECK_INT(change(&e, "R-1", ORDER_REFUND, "{\"amount\":\"10.50\"}", &ch), RS_OK);
    CHECK_INT(ch.out.refunded, 1050);
    CHECK_INT(ch.conv.refunded, 1050);
    CHECK_INT(change(&e, "R-1", ORDER_REFUND, "{\"amount\":\"39.51\"}", &ch), RS_EINVAL);
    CHECK_INT(change(&e, "R-1", ORDER_REFUND, "{\"amount\":\"0\"}", &ch), RS_EINVAL);
    CHECK_INT(change(&e, "R-1", ORDER_REFUND, "{\"amount\":\"1.001\"}", &ch), RS_EINVAL);
    s = stats(&e);
    direct = json_object_get(json_object_get(s, "totals"), "direct");
    CHECK_STR(json_string_value(json_object_get(direct, "revenue")), "50.00");
    CHECK_STR(json_string_value(json_object_get(direct, "revenue_net")), "39.50");
    json_decref(s);

    CHECK_INT(change(&e, "R-1", ORDER_CANCEL, NULL, &ch), RS_OK);
    CHECK_INT(ch.out.status, ORDER_CANCELLED);
    CHECK_INT(ch.conv.status, 1);
    s = stats(&e);
    direct = json_object_get(json_object_get(s, "totals"), "direct");
    CHECK_INT(json_integer_value(json_object_get(direct, "count")), 0);
    CHECK_STR(json_string_value(json_object_get(direct, "revenue")), "0.00");
    json_decref(s);
    CHECK_INT(change(&e, "R-9", ORDER_CANCEL, NULL, &ch), RS_ENOTFOUND);
    /* the rollup agrees with the rows it counts */
    CHECK_INT(q(&e, "SELECT sum(direct_n) FROM stats_slots"), 0);
    CHECK_INT(q(&e, "SELECT sum(sent) FROM stats_slots"),
              q(&e, "SELECT count(*) FROM notifications WHERE status = 1"));
    env_close(&e);
}

static json_t *day_of(json_t *s, const char *date)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(s, "days"), i, d)
    {
        if (strcmp(json_string_value(json_object_get(d, "date")), date) == 0) return d;
    }
    return NULL;
}

TEST(attribution_stats_days_follow_the_shop_zone)
{
    /* Copenhagen is UTC+1 in December: 22:59:59Z is the 23rd there, 23:00:00Z the 24th */
    struct env e;
    int64_t n1, n2;
    env_open(&e);
    setup_two(&e, &n1, &n2);
    struct placed p =
        order(&e, "{\"order_number\":\"Z-1\",\"total\":\"10.00\",\"created_at\":"
                  "\"2026-12-23T22:59:59Z\",\"email\":\"ada@example.com\",\"items\":[{\"variant_"
                  "id\":\"v1\"}]}");
    CHECK_INT(p.conv.kind, CONV_DIRECT);
    p = order(&e, "{\"order_number\":\"Z-2\",\"total\":\"20.00\",\"created_at\":"
                  "\"2026-12-23T23:00:00Z\",\"email\":\"ada@example.com\",\"items\":[{\"variant_"
                  "id\":\"v1\"}]}");
    CHECK_INT(p.conv.kind, CONV_ASSISTED);
    json_t *s = stats(&e);
    json_t *d23 = day_of(s, "2026-12-23"), *d24 = day_of(s, "2026-12-24");
    CHECK(d23 && d24);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(d23, "direct"), "count")), 1);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(d23, "assisted"), "count")), 0);
    CHECK_STR(json_string_value(json_object_get(json_object_get(d24, "assisted"), "revenue")),
              "20.00");
    CHECK_INT(json_integer_value(json_object_get(d23, "clicked")), 1); /* n2's click, 12:00Z */
    json_t *t = json_object_get(s, "totals");
    CHECK(json_real_value(json_object_get(t, "conversion_rate_sent")) == 1.0);
    CHECK(json_real_value(json_object_get(t, "click_rate")) == 0.5);
    json_decref(s);
    env_close(&e);
}
