/*
 * The fan-out's rules (fanout.h), in-process on a real SQLite store with a controllable clock:
 * each case builds a shop with its default campaigns, signs contacts up, restocks, runs the
 * fan-out at chosen instants and reads the outcome back from the database file.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/app.h"
#include "core/campaign_row.h"
#include "core/catalog.h"
#include "core/fanout.h"
#include "core/shop.h"
#include "core/signup.h"
#include "deliver/outbox.h"
#include "standin.h"
#include "util/buf.h"
#include "test.h"

/* 2026-11-24T12:00:00Z, a Tuesday: 13:00 in Copenhagen. */
#define T0 1795521600LL

struct env {
    char dir[64], db[96];
    struct config cfg;
    struct app app;
    struct arena *a;
    struct shop shop;
};

/* smtp_url: where email goes (env_open: a port that refuses, so sends fail and retry). */
static void env_open_shop(struct env *e, const char *tz, const char *smtp_url, const char *currency)
{
    struct rs_status st = {0};
    snprintf(e->dir, sizeof(e->dir), "/tmp/restock-fanout-XXXXXX");
    CHECK(mkdtemp(e->dir) != NULL);
    snprintf(e->db, sizeof(e->db), "%s/t.db", e->dir);
    char *argv[] = {
        "--db",           e->db,          "--public-url", "https://r.example", "--smtp-url",
        (char *)smtp_url, "--log-format", "text"};
    CHECK_INT(config_load(&e->cfg, 8, argv, &st), RS_OK);
    CHECK_INT(app_open(&e->app, &e->cfg, &st), RS_OK);
    e->a = arena_new();
    char key[API_KEY_MAX];
    struct shop_new in = {"Shop", "https://shop.example", currency, tz};
    CHECK_INT(shop_create(&e->app, &in, e->a, &e->shop, key, &st), RS_OK);
}

static void env_open_smtp(struct env *e, const char *tz, const char *smtp_url)
{
    env_open_shop(e, tz, smtp_url, "EUR");
}

static void env_open(struct env *e, const char *tz)
{
    env_open_smtp(e, tz, "smtp://127.0.0.1:9");
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

static void catalog(struct env *e, const char *json, int inventory, int64_t now)
{
    struct rs_status st = {0};
    struct catalog_batch b = {.shop = &e->shop, .arena = e->a, .now = now};
    json_t *j = json_loads(json, 0, NULL);
    CHECK_INT(inventory ? inventory_parse(&b, j, &st) : catalog_parse(&b, j, &st), RS_OK);
    json_decref(j);
    CHECK_INT(committer_run(e->app.cm, catalog_apply, &b, &st), RS_OK);
}

static void signup(struct env *e, const char *variant, const char *contact_json, int64_t now)
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
}

static void emails(struct env *e, const char *variant, int n, int64_t now)
{
    for (int i = 0; i < n; i++) {
        char c[128];
        snprintf(c, sizeof(c), "\"channel\":\"email\",\"email\":\"p%d@example.com\"", i);
        signup(e, variant, c, now + i);
    }
}

/* Runs the fan-out at `now` until nothing is due; returns the steps that found work. */
static int run(struct env *e, int64_t now, struct fanout_stats *fs)
{
    int steps = 0, found = 1;
    struct rs_status st = {0};
    while (found && steps < 1000) {
        CHECK_INT(fanout_step(&e->app, now, 2, fs, &found, &st), RS_OK);
        steps += found;
    }
    return steps;
}

/* One integer from the database file (a test's window on what was stored). */
static long long q(struct env *e, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    long long v = -1;
    if (sqlite3_open_v2(e->db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    } else {
        fprintf(stderr, "  sql: %s: %s\n", sql, sqlite3_errmsg(db));
    }
    sqlite3_close(db);
    return v;
}

/* Runs one statement on the database file, as a delivery worker's outcome would be recorded
 * (the outbox is not drained in most cases here). */
static void exec_sql(struct env *e, const char *sql)
{
    sqlite3 *db;
    CHECK(sqlite3_open(e->db, &db) == SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) fprintf(stderr, "  sql: %s\n", err);
    CHECK(err == NULL);
    sqlite3_free(err);
    sqlite3_close(db);
}

#define DELIVERED(e) exec_sql(e, "UPDATE notifications SET status = 1 WHERE status IN (0, 2)")

struct patch_arg {
    struct env *e;
    int channel;
    const char *json;
    int64_t id;  /* 0: the channel's default */
    int64_t now; /* when it is written */
};

static int patch_one(void *arg, const struct stored_campaign *sc)
{
    struct stored_campaign *out = arg;
    if (!out->id && sc->is_default && sc->channel == out->channel) *out = *sc;
    return 0;
}

static int patch_job(struct tx *tx, void *arg, struct rs_status *st)
{
    struct patch_arg *p = arg;
    struct stored_campaign row = {.channel = p->channel};
    int rc = tx->ops->campaign_list(tx->c, p->e->shop.sid, p->e->a, patch_one, &row);
    struct campaign base, c;
    if (rc || !row.id || campaign_from_row(&row, p->e->a, &base)) return RS_ESTORE;
    json_t *j = json_loads(p->json, 0, NULL);
    rc = campaign_parse(j, &base, p->e->shop.currency, p->e->a, &c, st);
    json_decref(j);
    if (rc) return rc;
    c.id = base.id;
    c.sid = base.sid;
    c.is_default = base.is_default;
    campaign_to_row(&c, p->e->a, &row);
    rc = tx->ops->campaign_update(tx->c, &row);
    return rc ? rc : fanout_campaign_changed(tx, &base, &c, p->now); /* as h_campaigns.c */
}

/* PATCHes a channel's default campaign at `now`. */
static void patch_at(struct env *e, enum channel ch, const char *json, int64_t now)
{
    struct rs_status st = {0};
    struct patch_arg p = {e, (int)ch, json, 0, now};
    int rc = committer_run(e->app.cm, patch_job, &p, &st);
    if (rc) fprintf(stderr, "  patch %s: %s\n", json, st.msg);
    CHECK_INT(rc, RS_OK);
}

static void patch(struct env *e, enum channel ch, const char *json)
{
    patch_at(e, ch, json, T0);
}

static int add_job(struct tx *tx, void *arg, struct rs_status *st)
{
    struct patch_arg *p = arg;
    struct campaign c;
    json_t *j = json_loads(p->json, 0, NULL);
    int rc = campaign_parse(j, NULL, p->e->shop.currency, p->e->a, &c, st);
    json_decref(j);
    if (rc) return rc;
    c.sid = p->e->shop.sid;
    struct stored_campaign row;
    campaign_to_row(&c, p->e->a, &row);
    rc = tx->ops->campaign_insert(tx->c, &row);
    c.id = p->id = row.id;
    return rc ? rc : fanout_campaign_changed(tx, NULL, &c, p->now);
}

static int64_t add_campaign(struct env *e, const char *json)
{
    struct rs_status st = {0};
    struct patch_arg p = {e, 0, json, 0, T0};
    int rc = committer_run(e->app.cm, add_job, &p, &st);
    if (rc) fprintf(stderr, "  add %s: %s\n", json, st.msg);
    CHECK_INT(rc, RS_OK);
    return p.id;
}

static const char *const tee =
    "[{\"variant_id\":\"v1\",\"title\":\"Tee\",\"url\":\"https://shop.example/p/tee\","
    "\"price\":\"19.90\",\"original_price\":\"24.90\",\"category\":\"Shirts\",\"available\":0}]";

#define NOTIFS(e, cond) q(e, "SELECT count(*) FROM notifications WHERE " cond)
#define SUBS(e, cond)   q(e, "SELECT count(*) FROM subscriptions WHERE " cond)

TEST(fanout_queues_each_waiting_subscriber_once)
{
    struct env e;
    env_open(&e, "Europe/Copenhagen");
    catalog(&e, tee, 0, T0);
    emails(&e, "v1", 5, T0);
    signup(&e, "v1", "\"channel\":\"sms\",\"phone\":\"+4520123456\"", T0);
    CHECK_INT(run(&e, T0, NULL), 0); /* nothing restocked yet */
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":3}]", 1, T0 + 60);
    struct fanout_stats fs = {0};
    CHECK(run(&e, T0 + 60, &fs) >= 3); /* chunks of 2 */
    CHECK_INT(fs.queued, 6);
    CHECK_INT(NOTIFS(&e, "status = 0"), 6);
    CHECK_INT(NOTIFS(&e, "channel = 1 AND segments >= 1"), 1);
    CHECK_INT(SUBS(&e, "status = 2 AND notify_count = 1"), 6);
    CHECK_INT(q(&e, "SELECT count(*) FROM restocks WHERE state = 'done'"), 1);
    CHECK_INT(run(&e, T0 + 120, NULL), 0); /* done is done: nobody twice */
    CHECK_INT(NOTIFS(&e, "1"), 6);
    env_close(&e);
}

TEST(fanout_paused_campaign_keeps_them_waiting)
{
    struct env e;
    env_open(&e, "UTC");
    catalog(&e, tee, 0, T0);
    emails(&e, "v1", 3, T0);
    patch(&e, CH_EMAIL, "{\"status\":\"paused\"}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":3}]", 1, T0 + 60);
    run(&e, T0 + 60, NULL);
    CHECK_INT(NOTIFS(&e, "1"), 0);
    CHECK_INT(SUBS(&e, "status = 1"), 3);
    CHECK_INT(q(&e, "SELECT count(*) FROM decisions WHERE decision = 'waiting'"), 3);
    env_close(&e);
}

TEST(fanout_ratio_and_interval_batches)
{
    struct env e;
    env_open(&e, "UTC");
    catalog(&e, tee, 0, T0);
    emails(&e, "v1", 5, T0);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"big@example.com\",\"quantity\":3", T0 + 9);
    patch(&e, CH_EMAIL, "{\"delivery\":{\"send_ratio\":0.5,\"interval_minutes\":10}}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":4}]", 1, T0 + 60);
    run(&e, T0 + 60, NULL); /* quota ceil(4 × 0.5) = 2 */
    CHECK_INT(NOTIFS(&e, "1"), 2);
    CHECK_INT(q(&e, "SELECT count(*) FROM restocks WHERE state = 'interval'"), 1);
    run(&e, T0 + 60 + 599, NULL); /* not yet */
    CHECK_INT(NOTIFS(&e, "1"), 2);
    run(&e, T0 + 60 + 600, NULL);
    CHECK_INT(NOTIFS(&e, "1"), 4);
    run(&e, T0 + 60 + 1200, NULL); /* p4, then big (3 units) would pass the quota of 2 */
    CHECK_INT(NOTIFS(&e, "1"), 5);
    run(&e, T0 + 60 + 1800, NULL); /* the first of a batch always goes */
    CHECK_INT(NOTIFS(&e, "1"), 6);
    CHECK_INT(q(&e, "SELECT count(*) FROM restocks WHERE state = 'done'"), 1);
    env_close(&e);
}

TEST(fanout_sold_out_again_pauses_and_reenrols)
{
    struct env e;
    env_open(&e, "UTC");
    catalog(&e, tee, 0, T0);
    emails(&e, "v1", 4, T0);
    patch(&e, CH_EMAIL, "{\"delivery\":{\"send_ratio\":1,\"interval_minutes\":5}}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":2}]", 1, T0 + 60);
    run(&e, T0 + 60, NULL);
    CHECK_INT(NOTIFS(&e, "1"), 2);
    DELIVERED(&e);
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":0}]", 1, T0 + 120);
    CHECK_INT(SUBS(&e, "status = 1"), 4); /* the two told wait again */
    run(&e, T0 + 60 + 300, NULL);
    CHECK_INT(q(&e, "SELECT count(*) FROM restocks WHERE state = 'paused'"), 1);
    CHECK_INT(NOTIFS(&e, "1"), 2);
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":10}]", 1, T0 + 600);
    run(&e, T0 + 600, NULL); /* the next restock tells all four */
    CHECK_INT(NOTIFS(&e, "1"), 6);
    CHECK_INT(SUBS(&e, "status = 2"), 4);
    env_close(&e);
}

TEST(fanout_silent_hours_delay_and_drop)
{
    /* 13:00 in Copenhagen: silent 12:00–14:00 */
    struct env e;
    env_open(&e, "Europe/Copenhagen");
    catalog(&e, tee, 0, T0);
    emails(&e, "v1", 2, T0);
    signup(&e, "v1", "\"channel\":\"sms\",\"phone\":\"+4520123456\"", T0);
    patch(&e, CH_EMAIL,
          "{\"silent_hours\":{\"from\":\"12:00\",\"to\":\"14:00\",\"mode\":\"delay\"}}");
    patch(&e, CH_SMS, "{\"silent_hours\":{\"from\":\"12:00\",\"to\":\"14:00\",\"mode\":\"drop\"}}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":9}]", 1, T0);
    run(&e, T0, NULL);
    CHECK_INT(NOTIFS(&e, "channel = 0 AND status = 0 AND not_before = 1795525200"), 2);
    CHECK_INT(NOTIFS(&e, "channel = 1 AND status = 5"), 1); /* dropped */
    CHECK_INT(SUBS(&e, "channel = 1 AND status = 1"), 1);   /* still waiting */
    env_close(&e);
}

TEST(fanout_frequency_cap_and_bypass)
{
    struct env e;
    env_open(&e, "UTC");
    catalog(&e,
            "[{\"variant_id\":\"v1\",\"available\":0},{\"variant_id\":\"v2\",\"available\":0},"
            "{\"variant_id\":\"v3\",\"available\":0}]",
            0, T0);
    const char *ada = "\"channel\":\"email\",\"email\":\"ada@example.com\"";
    signup(&e, "v1", ada, T0);
    signup(&e, "v2", ada, T0);
    signup(&e, "v3", ada, T0);
    patch(&e, CH_EMAIL, "{\"frequency_cap\":{\"per_day\":1,\"bypass_cap\":false}}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":5},{\"variant_id\":\"v2\",\"available\":5}]",
            1, T0 + 10);
    run(&e, T0 + 10, NULL);
    CHECK_INT(NOTIFS(&e, "status = 0"), 1);
    CHECK_INT(NOTIFS(&e, "status = 6"), 1); /* skipped_cap */
    patch(&e, CH_EMAIL, "{\"frequency_cap\":{\"per_day\":1,\"bypass_cap\":true}}");
    catalog(&e, "[{\"variant_id\":\"v3\",\"available\":5}]", 1, T0 + 20);
    run(&e, T0 + 20, NULL);
    CHECK_INT(NOTIFS(&e, "status = 0"), 2);
    env_close(&e);
}

TEST(fanout_budget_languages_and_test_status)
{
    struct env e;
    env_open(&e, "UTC");
    catalog(&e, tee, 0, T0);
    signup(&e, "v1", "\"channel\":\"sms\",\"phone\":\"+4520000001\"", T0);
    signup(&e, "v1", "\"channel\":\"sms\",\"phone\":\"+4520000002\"", T0 + 1);
    signup(&e, "v1", "\"channel\":\"sms\",\"phone\":\"+4520000003\"", T0 + 2);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"da@example.com\",\"locale\":\"da-DK\"",
           T0 + 3);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"en@example.com\",\"locale\":\"en\"",
           T0 + 4);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"tester@example.com\"", T0 + 5);
    patch(&e, CH_SMS, "{\"delivery\":{\"send_ratio\":0,\"interval_minutes\":60,\"max_sends\":2}}");
    int64_t da = add_campaign(
        &e, "{\"channel\":\"email\",\"status\":\"active\",\"languages\":[\"da\"],"
            "\"templates\":{\"da\":{\"subject\":\"Tilbage\",\"html\":\"<p>{{action_url}}</p>\","
            "\"text\":\"{{action_url}}\"}}}");
    int64_t t = add_campaign(&e, "{\"channel\":\"email\",\"status\":\"test\","
                                 "\"test_contacts\":[\"Tester@Example.com\"]}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":5}]", 1, T0 + 10);
    run(&e, T0 + 10, NULL);
    CHECK_INT(NOTIFS(&e, "channel = 1"), 2); /* the third SMS is over budget */
    CHECK_INT(q(&e, "SELECT count(*) FROM decisions WHERE reason LIKE '%max_sends%'"), 1);
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM notifications WHERE campaign_id = %lld",
             (long long)da);
    CHECK_INT(q(&e, sql), 1);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM notifications WHERE campaign_id = %lld",
             (long long)t);
    CHECK_INT(q(&e, sql), 1);
    CHECK_INT(NOTIFS(&e, "channel = 0"), 3);
    env_close(&e);
}

TEST(fanout_expiry_of_old_subscriptions_and_ttl)
{
    struct env e;
    env_open(&e, "UTC");
    catalog(&e, tee, 0, T0);
    emails(&e, "v1", 1, T0 - 200 * 86400LL); /* older than the 180 days */
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"new@example.com\"", T0);
    patch(&e, CH_EMAIL, "{\"ttl\":600}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":5}]", 1, T0 + 10);
    run(&e, T0 + 10, NULL);
    CHECK_INT(SUBS(&e, "status = 4"), 1);
    CHECK_INT(NOTIFS(&e, "status = 0 AND expires_at = 1795522210"), 1);
    /* nothing delivered it in time: the worker expires it without sending */
    CHECK_INT(outbox_drain(&e.app, T0 + 10 + 600, 10), 1);
    CHECK_INT(NOTIFS(&e, "status = 4"), 1);
    env_close(&e);
}

TEST(fanout_product_filters)
{
    static const struct {
        const char *filters;
        int queued;
    } cases[] = {
        {"{}", 1},
        {"{\"exclude_categories\":[\"Shirts\"]}", 0},
        {"{\"exclude_categories\":[\"Shoes\"]}", 1},
        {"{\"min_price\":\"19.90\"}", 1},
        {"{\"min_price\":\"19.91\"}", 0},
        {"{\"max_price\":\"19.89\"}", 0},
        {"{\"currencies\":[\"DKK\"]}", 0},
        {"{\"currencies\":[\"EUR\"],\"max_price\":\"20\"}", 1},
        {"{\"on_sale_only\":true}", 1}, /* 19.90 < 24.90 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct env e;
        env_open(&e, "UTC");
        catalog(&e, tee, 0, T0);
        emails(&e, "v1", 1, T0);
        char patch_json[256];
        snprintf(patch_json, sizeof(patch_json), "{\"product_filters\":%s}", cases[i].filters);
        patch(&e, CH_EMAIL, patch_json);
        catalog(&e, "[{\"variant_id\":\"v1\",\"available\":5}]", 1, T0 + 10);
        run(&e, T0 + 10, NULL);
        if (NOTIFS(&e, "1") != cases[i].queued) fprintf(stderr, "  case %s\n", cases[i].filters);
        CHECK_INT(NOTIFS(&e, "1"), cases[i].queued);
        env_close(&e);
    }
}

TEST(fanout_price_filters_in_the_shops_currency)
{
    /* a yen shop: 2000 yen is inside 1000..5000 and outside 2001..; a campaign stored when
     * bounds were read with 2 decimals ("1000.00", 100000 of them) still means 1000 yen */
    static const struct {
        const char *filters;
        int queued;
    } cases[] = {
        {"{\"min_price\":\"1000\",\"max_price\":\"5000\"}", 1},
        {"{\"min_price\":\"2001\"}", 0},
        {"{\"max_price\":\"1999\"}", 0},
        {"{\"max_price\":\"2000\"}", 1},
    };
    for (size_t i = 0; i <= sizeof(cases) / sizeof(cases[0]); i++) {
        struct env e;
        env_open_shop(&e, "Asia/Tokyo", "smtp://127.0.0.1:9", "JPY");
        catalog(&e,
                "[{\"variant_id\":\"v1\",\"title\":\"Tee\",\"price\":\"2000\","
                "\"available\":0}]",
                0, T0);
        emails(&e, "v1", 1, T0);
        if (i < sizeof(cases) / sizeof(cases[0])) {
            char patch_json[256];
            snprintf(patch_json, sizeof(patch_json), "{\"product_filters\":%s}", cases[i].filters);
            patch(&e, CH_EMAIL, patch_json);
        } else { /* as an older restock stored it */
            exec_sql(&e, "UPDATE campaigns SET json = json_set(json, '$.product_filters.min_price',"
                         " '1000.00', '$.product_filters.max_price', '5000.00') WHERE channel = 0");
        }
        catalog(&e, "[{\"variant_id\":\"v1\",\"available\":5}]", 1, T0 + 10);
        run(&e, T0 + 10, NULL);
        int want = i < sizeof(cases) / sizeof(cases[0]) ? cases[i].queued : 1;
        if (NOTIFS(&e, "1") != want) fprintf(stderr, "  case %zu\n", i);
        CHECK_INT(NOTIFS(&e, "1"), want);
        env_close(&e);
    }
}

struct act {
    struct env *e;
    const char *who, *kind, *variant;
    int64_t at;
};

static int act_job(struct tx *tx, void *arg, struct rs_status *st)
{
    (void)st;
    struct act *a = arg;
    return tx->ops->activity_add(tx->c, a->e->shop.sid, a->who, a->kind, a->variant, a->at);
}

static void activity(struct env *e, const char *who, const char *kind, const char *variant,
                     int64_t at)
{
    struct rs_status st = {0};
    struct act a = {e, who, kind, variant, at};
    CHECK_INT(committer_run(e->app.cm, act_job, &a, &st), RS_OK);
}

TEST(fanout_event_filters_and_buyers)
{
    static const struct {
        const char *patch;
        int ada, bob, cy; /* 1: queued */
    } cases[] = {
        /* ada bought v1 after signing up; bob viewed something 3 days ago (by tracking id); cy
         * bought v1 before signing up */
        {"{}", 0, 1, 1},
        {"{\"exclude_buyers\":false}", 1, 1, 1},
        {"{\"exclude_buyers\":false,\"event_filters\":[{\"mode\":\"include\",\"event\":\"view\","
         "\"days\":7}]}",
         0, 1, 0},
        {"{\"exclude_buyers\":false,\"event_filters\":[{\"mode\":\"include\",\"event\":\"view\","
         "\"days\":2}]}",
         0, 0, 0},
        {"{\"event_filters\":[{\"mode\":\"exclude\",\"event\":\"purchase\",\"days\":30}]}", 0, 1,
         0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct env e;
        env_open(&e, "UTC");
        catalog(&e, tee, 0, T0);
        activity(&e, "cy@example.com", "purchase", "v1", T0 - 100);
        signup(&e, "v1", "\"channel\":\"email\",\"email\":\"ada@example.com\"", T0);
        signup(&e, "v1",
               "\"channel\":\"email\",\"email\":\"bob@example.com\","
               "\"tracking_user_id\":\"tu-9\"",
               T0 + 1);
        signup(&e, "v1", "\"channel\":\"email\",\"email\":\"cy@example.com\"", T0 + 2);
        activity(&e, "ada@example.com", "purchase", "v1", T0 + 50);
        activity(&e, "t:tu-9", "view", "v7", T0 + 3600 - 3 * 86400);
        patch(&e, CH_EMAIL, cases[i].patch);
        catalog(&e, "[{\"variant_id\":\"v1\",\"available\":5}]", 1, T0 + 3600);
        run(&e, T0 + 3600, NULL);
        long long want = cases[i].ada + cases[i].bob + cases[i].cy;
        if (NOTIFS(&e, "status = 0") != want) fprintf(stderr, "  case %zu\n", i);
        CHECK_INT(NOTIFS(&e, "status = 0"), want);
        CHECK_INT(NOTIFS(&e, "status = 5"), 3 - want); /* dropped, with the reason */
        CHECK_INT(SUBS(&e, "status = 1"), 3 - want);   /* they keep waiting */
        env_close(&e);
    }
}

static int put_sub_job(struct tx *tx, void *arg, struct rs_status *st)
{
    (void)st;
    return tx->ops->sub_insert(tx->c, arg);
}

TEST(fanout_view_trigger_only_for_its_campaign)
{
    struct env e;
    env_open(&e, "UTC");
    catalog(&e, tee, 0, T0);
    /* what the clickstream makes of a viewer with a push subscription: source "view" */
    struct subscription s = {.sid = e.shop.sid,
                             .variant_id = "v1",
                             .channel = CH_WEBPUSH,
                             .status = SUB_WAITING,
                             .contact_key = "https://fcm.googleapis.com/fcm/send/abc",
                             .push_endpoint = "https://fcm.googleapis.com/fcm/send/abc",
                             .push_p256dh = "x",
                             .push_auth = "y",
                             .source = "view",
                             .quantity = 1,
                             .created_at = T0,
                             .updated_at = T0};
    struct rs_status st = {0};
    CHECK_INT(committer_run(e.app.cm, put_sub_job, &s, &st), RS_OK);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"ada@example.com\"", T0);
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":5}]", 1, T0 + 10);
    run(&e, T0 + 10, NULL); /* only the default (sign-up) campaigns exist: the viewer waits */
    CHECK_INT(NOTIFS(&e, "channel = 2"), 0);
    CHECK_INT(NOTIFS(&e, "channel = 0"), 1);
    int64_t id = add_campaign(&e, "{\"channel\":\"webpush\",\"status\":\"active\","
                                  "\"trigger\":\"view\"}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":0}]", 1, T0 + 20);
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":5}]", 1, T0 + 30);
    run(&e, T0 + 30, NULL);
    char sql[128];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM notifications WHERE channel = 2 AND campaign_id = %lld",
             (long long)id);
    CHECK_INT(q(&e, sql), 1);
    env_close(&e);
}

TEST(fanout_reenrol_skips_who_bought)
{
    struct env e;
    env_open(&e, "UTC");
    catalog(&e, tee, 0, T0);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"ada@example.com\"", T0);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"bob@example.com\",\"customer_id\":\"77\"",
           T0);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"cy@example.com\"", T0);
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":5}]", 1, T0 + 10);
    run(&e, T0 + 10, NULL);
    CHECK_INT(SUBS(&e, "status = 2"), 3);
    DELIVERED(&e);
    activity(&e, "ada@example.com", "purchase", "v1", T0 + 20); /* bought it */
    activity(&e, "c:77", "purchase", "v1", T0 + 20);            /* bought it, by customer id */
    activity(&e, "cy@example.com", "purchase", "v9", T0 + 20);  /* bought something else */
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":0}]", 1, T0 + 30);
    CHECK_INT(SUBS(&e, "status = 1"), 1);
    CHECK_INT(q(&e, "SELECT count(*) FROM subscriptions WHERE status = 1 AND email = "
                    "'cy@example.com'"),
              1);
    env_close(&e);
}
/* ---- regressions found in review ---- */

TEST(fanout_no_second_message_while_one_is_live)
{
    /* sold out and back while the first message is still queued (or retrying): the
     * subscription is not enrolled again, so the second restock queues nothing more */
    struct env e;
    env_open(&e, "UTC");
    catalog(&e, tee, 0, T0);
    emails(&e, "v1", 2, T0);
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":3}]", 1, T0 + 10);
    run(&e, T0 + 10, NULL);
    CHECK_INT(NOTIFS(&e, "status = 0"), 2);
    exec_sql(&e, "UPDATE notifications SET status = 2 WHERE subscription_id = "
                 "(SELECT min(id) FROM subscriptions)"); /* one retrying, one queued */
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":0}]", 1, T0 + 20);
    CHECK_INT(SUBS(&e, "status = 2"), 2);
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":3}]", 1, T0 + 30);
    run(&e, T0 + 30, NULL);
    CHECK_INT(NOTIFS(&e, "1"), 2);
    CHECK_INT(q(&e, "SELECT count(*) FROM restocks"), 2);
    /* once those are settled, the next sell-out enrols them again as before */
    exec_sql(&e, "UPDATE notifications SET status = 3"); /* failed */
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":0}]", 1, T0 + 40);
    CHECK_INT(SUBS(&e, "status = 1"), 2);
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":3}]", 1, T0 + 50);
    run(&e, T0 + 50, NULL);
    CHECK_INT(NOTIFS(&e, "status = 0"), 2);
    env_close(&e);
}

static int step_big(struct env *e, int64_t now)
{
    int steps = 0, found = 1;
    struct rs_status st = {0};
    while (found && steps < 1000) {
        CHECK_INT(fanout_step(&e->app, now, 4096, NULL, &found, &st), RS_OK);
        steps += found;
    }
    return steps;
}

TEST(fanout_reopened_subscription_starts_afresh)
{
    struct env e;
    env_open(&e, "UTC");
    catalog(&e, tee, 0, T0);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"old@example.com\"", T0 - 200 * 86400LL);
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":5}]", 1, T0 + 10);
    run(&e, T0 + 10, NULL);
    CHECK_INT(SUBS(&e, "status = 4"), 1); /* expired */
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":0}]", 1, T0 + 20);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"old@example.com\"",
           T0 + 30); /* asks again */
    CHECK_INT(SUBS(&e, "status = 1"), 1);
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":5}]", 1, T0 + 40);
    run(&e, T0 + 40, NULL);
    CHECK_INT(NOTIFS(&e, "1"), 1);
    env_close(&e);
}

TEST(fanout_quota_counts_only_those_told)
{
    struct env e;
    env_open(&e, "UTC");
    catalog(&e, tee, 0, T0);
    signup(&e, "v1", "\"channel\":\"sms\",\"phone\":\"+4520000001\"", T0);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"a@example.com\"", T0 + 1);
    patch(&e, CH_SMS, "{\"status\":\"paused\"}");
    patch(&e, CH_EMAIL, "{\"delivery\":{\"send_ratio\":0.5,\"interval_minutes\":60}}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":2}]", 1, T0 + 10); /* quota 1 */
    run(&e, T0 + 10, NULL);
    CHECK_INT(NOTIFS(&e, "1"), 1);
    env_close(&e);
}

TEST(fanout_budget_spent_only_on_the_queued)
{
    struct env e;
    env_open(&e, "UTC");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":0},{\"variant_id\":\"v2\",\"available\":0}]",
            0, T0);
    signup(&e, "v2", "\"channel\":\"email\",\"email\":\"ada@example.com\"", T0);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"ada@example.com\"", T0);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"p2@example.com\"", T0 + 1);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"p3@example.com\"", T0 + 2);
    patch(&e, CH_EMAIL,
          "{\"frequency_cap\":{\"per_day\":1,\"bypass_cap\":false},"
          "\"delivery\":{\"send_ratio\":0,\"interval_minutes\":60,\"max_sends\":2}}");
    catalog(&e, "[{\"variant_id\":\"v2\",\"available\":5}]", 1, T0 + 10);
    run(&e, T0 + 10, NULL);
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":5}]", 1, T0 + 20);
    run(&e, T0 + 20, NULL);
    CHECK_INT(q(&e, "SELECT count(*) FROM notifications WHERE restock_id = 2 AND status = 0"), 2);
    env_close(&e);
}

TEST(fanout_budgets_of_many_restocks)
{
    struct env e;
    env_open(&e, "UTC");
    /* 260 variants, one email subscriber each, email campaign with a budget: fills budgets[] */
    struct buf b = BUF_INIT(0), inv = BUF_INIT(0);
    buf_puts(&b, "[");
    buf_puts(&inv, "[");
    for (int i = 0; i < 260; i++) {
        buf_printf(&b, "%s{\"variant_id\":\"w%d\",\"available\":0}", i ? "," : "", i);
        buf_printf(&inv, "%s{\"variant_id\":\"w%d\",\"available\":5}", i ? "," : "", i);
    }
    buf_puts(&b, ",{\"variant_id\":\"v1\",\"available\":0}]");
    buf_puts(&inv, "]");
    catalog(&e, b.p, 0, T0);
    for (int i = 0; i < 260; i++) {
        char vid[16];
        snprintf(vid, sizeof(vid), "w%d", i);
        signup(&e, vid, "\"channel\":\"email\",\"email\":\"x@example.com\"", T0);
    }
    patch(&e, CH_EMAIL,
          "{\"delivery\":{\"send_ratio\":0,\"interval_minutes\":60,\"max_sends\":2}}");
    patch(&e, CH_SMS, "{\"delivery\":{\"send_ratio\":0,\"interval_minutes\":60,\"max_sends\":2}}");
    catalog(&e, inv.p, 1, T0 + 10);
    step_big(&e, T0 + 10);
    for (int i = 0; i < 5; i++) {
        char c[96];
        snprintf(c, sizeof(c), "\"channel\":\"email\",\"email\":\"e%d@example.com\"", i);
        signup(&e, "v1", c, T0 + 20 + 2 * i);
        snprintf(c, sizeof(c), "\"channel\":\"sms\",\"phone\":\"+452000010%d\"", i);
        signup(&e, "v1", c, T0 + 21 + 2 * i);
    }
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":5}]", 1, T0 + 100);
    step_big(&e, T0 + 100);
    long long em = q(&e, "SELECT count(*) FROM notifications n JOIN restocks r ON r.id = "
                         "n.restock_id WHERE r.variant_id = 'v1' AND n.channel = 0");
    long long sm = q(&e, "SELECT count(*) FROM notifications n JOIN restocks r ON r.id = "
                         "n.restock_id WHERE r.variant_id = 'v1' AND n.channel = 1");
    CHECK(em <= 2);
    CHECK(sm <= 2);
    buf_free(&b);
    buf_free(&inv);
    env_close(&e);
}

TEST(outbox_paused_campaign_sends_nobody)
{
    /* queued for after the silent hours, then the campaign is paused: nobody is sent, the
     * subscriber waits again (SPEC §5) */
    struct env e;
    env_open(&e, "Europe/Copenhagen");
    catalog(&e, tee, 0, T0);
    emails(&e, "v1", 2, T0);
    patch(&e, CH_EMAIL,
          "{\"silent_hours\":{\"from\":\"12:00\",\"to\":\"14:00\",\"mode\":\"delay\"}}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":9}]", 1, T0);
    run(&e, T0, NULL);
    CHECK_INT(NOTIFS(&e, "status = 0"), 2);
    patch(&e, CH_EMAIL, "{\"status\":\"paused\"}");
    CHECK_INT(outbox_drain(&e.app, T0 + 3600, 10), 2);
    CHECK_INT(NOTIFS(&e, "status = 5 AND reason LIKE '%paused%'"), 2);
    CHECK_INT(SUBS(&e, "status = 1"), 2);
    env_close(&e);
}

TEST(outbox_campaign_switched_to_test_or_moved_later)
{
    /* queued for after the silent hours; then the campaign goes to test with one of the two
     * as its test contact: the other's message is dropped (it waits again), the tester's is
     * tried. Then starts_at moves two hours on: the tester's retry is held until then. */
    struct env e;
    env_open(&e, "Europe/Copenhagen");
    catalog(&e, tee, 0, T0);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"real@example.com\"", T0);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"tester@example.com\"", T0);
    patch(&e, CH_EMAIL,
          "{\"silent_hours\":{\"from\":\"12:00\",\"to\":\"14:00\",\"mode\":\"delay\"}}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":9}]", 1, T0);
    run(&e, T0, NULL);
    CHECK_INT(NOTIFS(&e, "status = 0"), 2);
    patch(&e, CH_EMAIL, "{\"status\":\"test\",\"test_contacts\":[\"Tester@example.com\"]}");
    CHECK_INT(outbox_drain(&e.app, T0 + 3600, 10), 2);
    CHECK_INT(NOTIFS(&e, "status = 5 AND reason LIKE '%test contacts%'"), 1);
    CHECK_INT(q(&e, "SELECT status FROM subscriptions WHERE email = 'real@example.com'"), 1);
    /* the tester's went to the (refusing) SMTP server: retrying, one attempt */
    CHECK_INT(NOTIFS(&e, "status = 2 AND attempts = 1"), 1);
    patch(&e, CH_EMAIL, "{\"status\":\"active\",\"starts_at\":\"2026-11-24T15:00:00Z\"}");
    CHECK_INT(outbox_drain(&e.app, T0 + 3 * 3600 - 1, 10), 1);
    CHECK_INT(NOTIFS(&e, "status = 2 AND attempts = 1 AND lease_until = 0"
                         " AND not_before = 1795532400"),
              1);                                              /* held, no attempt used */
    CHECK_INT(outbox_drain(&e.app, T0 + 3 * 3600 - 1, 10), 0); /* not due before it starts */
    CHECK_INT(outbox_drain(&e.app, T0 + 3 * 3600, 10), 1);
    CHECK_INT(NOTIFS(&e, "status = 2 AND attempts = 2"), 1); /* tried once it started */
    env_close(&e);
}

TEST(outbox_hold_past_the_ttl_gives_the_place_back)
{
    /* ttl 600 s. One message queued for after the silent hours, then starts_at moves past
     * when it would expire: it can never go out in time, so it is dropped at once and its
     * subscriber waits again, as for a pause. The second, held until a starts_at within its
     * ttl, stays held; the third, already retrying, expires after its retries ran past the
     * ttl with the campaign started: expired, and its subscriber stays notified (as ever). */
    struct env e;
    env_open(&e, "Europe/Copenhagen");
    catalog(&e, tee, 0, T0);
    emails(&e, "v1", 1, T0);
    patch(
        &e, CH_EMAIL,
        "{\"ttl\":600,\"silent_hours\":{\"from\":\"12:00\",\"to\":\"14:00\",\"mode\":\"delay\"}}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":9}]", 1, T0);
    run(&e, T0, NULL);
    CHECK_INT(NOTIFS(&e, "status = 0 AND expires_at = 1795525800"), 1); /* 13:10 UTC */
    patch(&e, CH_EMAIL, "{\"starts_at\":\"2026-11-24T13:10:00Z\"}");    /* = its expiry */
    CHECK_INT(outbox_drain(&e.app, T0 + 3600, 10), 1);
    CHECK_INT(NOTIFS(&e, "status = 5 AND attempts = 0 AND reason LIKE '%starts_at%ttl%'"), 1);
    CHECK_INT(SUBS(&e, "status = 1"), 1);
    env_close(&e);

    env_open(&e, "Europe/Copenhagen");
    catalog(&e, tee, 0, T0);
    emails(&e, "v1", 1, T0);
    patch(
        &e, CH_EMAIL,
        "{\"ttl\":600,\"silent_hours\":{\"from\":\"12:00\",\"to\":\"14:00\",\"mode\":\"delay\"}}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":9}]", 1, T0);
    run(&e, T0, NULL);
    patch(&e, CH_EMAIL, "{\"starts_at\":\"2026-11-24T13:09:59Z\"}"); /* a second before */
    CHECK_INT(outbox_drain(&e.app, T0 + 3600, 10), 1);
    CHECK_INT(NOTIFS(&e, "status = 0 AND not_before = 1795525799 AND lease_until = 0"), 1);
    CHECK_INT(SUBS(&e, "status = 2"), 1);
    env_close(&e);

    env_open(&e, "UTC");
    catalog(&e, tee, 0, T0);
    emails(&e, "v1", 1, T0);
    patch(&e, CH_EMAIL, "{\"ttl\":600}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":9}]", 1, T0);
    run(&e, T0, NULL);
    CHECK_INT(outbox_drain(&e.app, T0, 10), 1); /* the SMTP server refuses: retrying */
    CHECK_INT(NOTIFS(&e, "status = 2 AND attempts = 1"), 1);
    CHECK_INT(outbox_drain(&e.app, T0 + 600, 10), 1);
    CHECK_INT(NOTIFS(&e, "status = 4 AND reason LIKE 'ttl passed%'"), 1);
    CHECK_INT(SUBS(&e, "status = 2"), 1);
    env_close(&e);
}

/* ---- re-walks: a campaign that comes to apply tells who its restock passed over ----------------
 */

#define RESTOCKS(e, cond) q(e, "SELECT count(*) FROM restocks WHERE " cond)
#define REWALKS_DUE(e)    q(e, "SELECT count(*) FROM campaigns WHERE rewalk_at <> 0")

/* Notifications of the restock of variant `v` to contact `who` (an email or a phone). */
static long long told(struct env *e, const char *v, const char *who)
{
    char sql[320];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM notifications n JOIN subscriptions s ON s.id = "
             "n.subscription_id WHERE s.variant_id = '%s' AND (s.email = '%s' OR s.phone = '%s')",
             v, who, who);
    return q(e, sql);
}

TEST(fanout_resumed_campaign_walks_again)
{
    /* paused when v1 restocks: nobody is told; active again while v1 is in stock: the same
     * restock walks its waiting list again and tells them, once; edits since add nothing */
    struct env e;
    env_open(&e, "UTC");
    catalog(&e, tee, 0, T0);
    emails(&e, "v1", 3, T0);
    patch(&e, CH_EMAIL, "{\"status\":\"paused\"}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":3}]", 1, T0 + 60);
    run(&e, T0 + 60, NULL);
    CHECK_INT(NOTIFS(&e, "1"), 0);
    CHECK_INT(RESTOCKS(&e, "state = 'done'"), 1);
    CHECK_INT(REWALKS_DUE(&e), 0); /* pausing records none */
    patch_at(&e, CH_EMAIL, "{\"status\":\"active\"}", T0 + 120);
    CHECK_INT(REWALKS_DUE(&e), 1);
    struct fanout_stats fs = {0};
    run(&e, T0 + 120, &fs);
    CHECK_INT(fs.rewalks, 1);
    CHECK_INT(fs.queued, 3);
    CHECK_INT(NOTIFS(&e, "status = 0 AND restock_id = 1"), 3);
    CHECK_INT(SUBS(&e, "status = 2 AND notify_count = 1"), 3);
    CHECK_INT(RESTOCKS(&e, "1"), 1); /* the same restock */
    CHECK_INT(RESTOCKS(&e, "state = 'done'"), 1);
    CHECK_INT(REWALKS_DUE(&e), 0);
    patch_at(&e, CH_EMAIL, "{\"notes\":\"resumed\"}", T0 + 180);
    patch_at(&e, CH_EMAIL, "{\"status\":\"active\"}", T0 + 181); /* it was */
    CHECK_INT(REWALKS_DUE(&e), 0);
    CHECK_INT(run(&e, T0 + 240, NULL), 0);
    CHECK_INT(NOTIFS(&e, "1"), 3);
    env_close(&e);
}

TEST(fanout_rewalk_spends_the_restocks_budget)
{
    /* max_sends 2 (SMS: segments) is per campaign and restock, re-walks included: v1's two went
     * out before the pause, v2 restocked while paused. Resumed twice, edited, a test campaign
     * created: two for each restock, never more */
    struct env e;
    env_open(&e, "UTC");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":0},{\"variant_id\":\"v2\",\"available\":0}]",
            0, T0);
    for (int i = 0; i < 6; i++) {
        char c[96];
        snprintf(c, sizeof(c), "\"channel\":\"sms\",\"phone\":\"+452000000%d\"", i);
        signup(&e, "v1", c, T0 + i);
        signup(&e, "v2", c, T0 + i);
    }
    patch(&e, CH_SMS, "{\"delivery\":{\"send_ratio\":0,\"interval_minutes\":60,\"max_sends\":2}}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":5}]", 1, T0 + 10);
    run(&e, T0 + 10, NULL);
    CHECK_INT(NOTIFS(&e, "restock_id = 1"), 2);
    DELIVERED(&e);
    patch_at(&e, CH_SMS, "{\"status\":\"paused\"}", T0 + 20);
    catalog(&e, "[{\"variant_id\":\"v2\",\"available\":5}]", 1, T0 + 30);
    run(&e, T0 + 30, NULL);
    CHECK_INT(NOTIFS(&e, "restock_id = 2"), 0);
    patch_at(&e, CH_SMS, "{\"status\":\"active\"}", T0 + 40);
    run(&e, T0 + 40, NULL);
    CHECK_INT(NOTIFS(&e, "restock_id = 1"), 2); /* its budget was spent before the pause */
    CHECK_INT(NOTIFS(&e, "restock_id = 2"), 2); /* the two oldest */
    CHECK_INT(told(&e, "v2", "+4520000000") + told(&e, "v2", "+4520000001"), 2);
    patch_at(&e, CH_SMS, "{\"status\":\"paused\"}", T0 + 50);
    patch_at(&e, CH_SMS, "{\"status\":\"active\"}", T0 + 60);
    patch_at(&e, CH_SMS, "{\"notes\":\"again\"}", T0 + 70);
    run(&e, T0 + 70, NULL);
    add_campaign(&e,
                 "{\"channel\":\"sms\",\"status\":\"test\",\"test_contacts\":[\"+4520000005\"]}");
    run(&e, T0 + 80, NULL);
    CHECK_INT(NOTIFS(&e, "restock_id = 1"), 2);
    CHECK_INT(NOTIFS(&e, "restock_id = 2"), 2);
    CHECK_INT(q(&e, "SELECT sum(used) FROM budgets WHERE restock_id = 1"), 2);
    CHECK_INT(q(&e, "SELECT sum(used) FROM budgets WHERE restock_id = 2"), 2);
    CHECK_INT(SUBS(&e, "status = 1"), 8); /* the rest keep waiting for the next restock */
    env_close(&e);
}

TEST(fanout_rewalk_keeps_the_restocks_pacing)
{
    /* SMS paused when v1 restocks; email goes out 2 units a batch (ceil(4 × 0.5)) every 10
     * minutes. SMS resumed during the interval: its subscriber waits for the restock's next
     * batch, in which it goes first (the oldest sign-up), within that batch's quota */
    struct env e;
    env_open(&e, "UTC");
    catalog(&e, tee, 0, T0);
    signup(&e, "v1", "\"channel\":\"sms\",\"phone\":\"+4520000001\"", T0);
    emails(&e, "v1", 3, T0 + 1);
    signup(&e, "v1", "\"channel\":\"sms\",\"phone\":\"+4520000002\"", T0 + 10);
    patch(&e, CH_SMS, "{\"status\":\"paused\"}");
    patch(&e, CH_EMAIL, "{\"delivery\":{\"send_ratio\":0.5,\"interval_minutes\":10}}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":4}]", 1, T0 + 60);
    run(&e, T0 + 60, NULL);
    CHECK_INT(NOTIFS(&e, "1"), 2); /* p0, p1 */
    CHECK_INT(RESTOCKS(&e, "state = 'interval'"), 1);
    patch_at(&e, CH_SMS, "{\"status\":\"active\"}", T0 + 120);
    run(&e, T0 + 120, NULL);
    CHECK_INT(NOTIFS(&e, "1"), 2); /* not before the interval is over */
    run(&e, T0 + 60 + 599, NULL);
    CHECK_INT(NOTIFS(&e, "1"), 2);
    run(&e, T0 + 60 + 600, NULL);
    CHECK_INT(NOTIFS(&e, "1"), 4);
    CHECK_INT(told(&e, "v1", "+4520000001"), 1);
    CHECK_INT(told(&e, "v1", "p2@example.com"), 1);
    CHECK_INT(RESTOCKS(&e, "state = 'interval'"), 1);
    run(&e, T0 + 60 + 1200, NULL);
    CHECK_INT(NOTIFS(&e, "1"), 5);
    CHECK_INT(RESTOCKS(&e, "1"), 1);
    CHECK_INT(SUBS(&e, "status = 2"), 5);
    env_close(&e);
}

TEST(fanout_rewalk_requeues_a_dropped_message_in_place)
{
    /* queued for after the silent hours, dropped by a pause before they end, resumed after:
     * the same rows are queued again, one per subscription and restock */
    struct env e;
    env_open(&e, "Europe/Copenhagen");
    catalog(&e, tee, 0, T0);
    emails(&e, "v1", 2, T0);
    patch(&e, CH_EMAIL,
          "{\"silent_hours\":{\"from\":\"12:00\",\"to\":\"14:00\",\"mode\":\"delay\"}}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":9}]", 1, T0);
    run(&e, T0, NULL);
    CHECK_INT(NOTIFS(&e, "status = 0"), 2);
    patch(&e, CH_EMAIL, "{\"status\":\"paused\"}");
    CHECK_INT(outbox_drain(&e.app, T0 + 3700, 10), 2);
    CHECK_INT(NOTIFS(&e, "status = 5 AND reason LIKE '%paused%'"), 2);
    CHECK_INT(SUBS(&e, "status = 1"), 2);
    patch_at(&e, CH_EMAIL, "{\"status\":\"active\"}", T0 + 3700);
    run(&e, T0 + 3700, NULL);
    CHECK_INT(NOTIFS(&e, "1"), 2);
    CHECK_INT(q(&e, "SELECT max(id) FROM notifications"), 2); /* in place */
    CHECK_INT(NOTIFS(&e, "status = 0 AND reason IS NULL AND attempts = 0"
                         " AND not_before = 1795525300 AND created_at = 1795525300"),
              2);
    CHECK_INT(SUBS(&e, "status = 2"), 2);
    env_close(&e);
}

/* ---- a message dropped unsent gives back what it was counted for ----------------------------
 */

/* An env whose email goes to a fresh SMTP stand-in (sink), which keeps each message it takes as
 * DIR/0001.json, 0002.json, ... */
static void env_open_sink(struct env *e, struct standin *sink, const char *tz)
{
    const char *const args[] = {NULL};
    CHECK(standin_start(sink, "tests/e2e/smtp_sink.py", args) == 0);
    char url[64];
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", sink->port);
    env_open_smtp(e, tz, url);
}

/* Did the sink take its n-th message (within wait_ms)? */
static int sink_has(const struct standin *sink, int n, int wait_ms)
{
    char name[16];
    snprintf(name, sizeof(name), "%04d.json", n);
    char *m = standin_read(sink, name, wait_ms, NULL);
    free(m);
    return m != NULL;
}

TEST(outbox_dropped_unsent_gives_the_budget_back)
{
    /* max_sends 2, four waiting: two queued, then the campaign is paused before they go out
     * (both dropped, never tried). Resumed: the restock's budget is whole again, so the same
     * two are queued again and sent. Paused and resumed once more: nothing more — two sent in
     * all, as max_sends says */
    struct standin sink;
    struct env e;
    env_open_sink(&e, &sink, "UTC");
    catalog(&e, tee, 0, T0);
    emails(&e, "v1", 4, T0);
    patch(&e, CH_EMAIL,
          "{\"delivery\":{\"send_ratio\":0,\"interval_minutes\":60,\"max_sends\":2}}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":9}]", 1, T0);
    run(&e, T0, NULL);
    CHECK_INT(NOTIFS(&e, "status = 0 AND budget_units = 1"), 2);
    CHECK_INT(q(&e, "SELECT used FROM budgets"), 2);
    patch_at(&e, CH_EMAIL, "{\"status\":\"paused\"}", T0 + 10);
    CHECK_INT(outbox_drain(&e.app, T0 + 10, 10), 2);
    CHECK_INT(NOTIFS(&e, "status = 5 AND attempts = 0 AND reason LIKE '%paused%'"), 2);
    CHECK_INT(q(&e, "SELECT used FROM budgets"), 0);
    CHECK_INT(SUBS(&e, "status = 1"), 4);
    patch_at(&e, CH_EMAIL, "{\"status\":\"active\"}", T0 + 20);
    struct fanout_stats fs = {0};
    run(&e, T0 + 20, &fs);
    CHECK_INT(fs.queued, 2);
    CHECK_INT(NOTIFS(&e, "status = 0"), 2);
    CHECK_INT(told(&e, "v1", "p0@example.com") + told(&e, "v1", "p1@example.com"), 2);
    CHECK_INT(outbox_drain(&e.app, T0 + 20, 10), 2);
    CHECK_INT(NOTIFS(&e, "status = 1"), 2);
    patch_at(&e, CH_EMAIL, "{\"status\":\"paused\"}", T0 + 30);
    patch_at(&e, CH_EMAIL, "{\"status\":\"active\"}", T0 + 40);
    run(&e, T0 + 40, NULL);
    CHECK_INT(outbox_drain(&e.app, T0 + 40, 10), 0);
    CHECK_INT(NOTIFS(&e, "status IN (0, 1, 2)"), 2);
    CHECK_INT(q(&e, "SELECT used FROM budgets"), 2);
    CHECK(sink_has(&sink, 2, 2000));
    CHECK(!sink_has(&sink, 3, 500)); /* never more than max_sends for the restock */
    CHECK_INT(SUBS(&e, "status = 1"), 2);
    env_close(&e);
    standin_stop(&sink);
}

TEST(outbox_dropped_unsent_gives_the_frequency_cap_back)
{
    /* a cap of one a day: ada's message is queued (her day's one), dropped by a pause before it
     * goes out, and the campaign resumed the same day: she is told, not skipped_cap */
    struct env e;
    env_open(&e, "UTC");
    catalog(&e, tee, 0, T0);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"ada@example.com\"", T0);
    patch(&e, CH_EMAIL, "{\"frequency_cap\":{\"per_day\":1,\"bypass_cap\":false}}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":9}]", 1, T0);
    run(&e, T0, NULL);
    CHECK_INT(NOTIFS(&e, "status = 0 AND cap_day = 20781"), 1); /* 2026-11-24 */
    CHECK_INT(q(&e, "SELECT n FROM caps WHERE day = 20781"), 1);
    patch_at(&e, CH_EMAIL, "{\"status\":\"paused\"}", T0 + 10);
    CHECK_INT(outbox_drain(&e.app, T0 + 10, 10), 1);
    CHECK_INT(NOTIFS(&e, "status = 5 AND attempts = 0"), 1);
    CHECK_INT(q(&e, "SELECT n FROM caps WHERE day = 20781"), 0);
    patch_at(&e, CH_EMAIL, "{\"status\":\"active\"}", T0 + 20);
    struct fanout_stats fs = {0};
    run(&e, T0 + 20, &fs);
    CHECK_INT(fs.capped, 0);
    CHECK_INT(fs.queued, 1);
    CHECK_INT(NOTIFS(&e, "status = 0"), 1);
    CHECK_INT(NOTIFS(&e, "status = 6"), 0);
    CHECK_INT(q(&e, "SELECT n FROM caps WHERE day = 20781"), 1);
    env_close(&e);
}

TEST(outbox_dropped_unsent_gives_the_notification_count_back)
{
    /* queued (notify_count 1), dropped by a pause, queued again when resumed and sent: one
     * message received, one counted — so a later re-enrolment under max_notifications counts
     * only what she was sent */
    struct standin sink;
    struct env e;
    env_open_sink(&e, &sink, "UTC");
    catalog(&e, tee, 0, T0);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"ada@example.com\"", T0);
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":9}]", 1, T0);
    run(&e, T0, NULL);
    CHECK_INT(SUBS(&e, "status = 2 AND notify_count = 1"), 1);
    patch_at(&e, CH_EMAIL, "{\"status\":\"paused\"}", T0 + 10);
    CHECK_INT(outbox_drain(&e.app, T0 + 10, 10), 1);
    CHECK_INT(SUBS(&e, "status = 1 AND notify_count = 0"), 1);
    patch_at(&e, CH_EMAIL, "{\"status\":\"active\"}", T0 + 20);
    run(&e, T0 + 20, NULL);
    CHECK_INT(outbox_drain(&e.app, T0 + 20, 10), 1);
    CHECK_INT(NOTIFS(&e, "status = 1"), 1);
    CHECK_INT(SUBS(&e, "status = 2 AND notify_count = 1"), 1);
    CHECK(sink_has(&sink, 1, 2000));
    env_close(&e);
    standin_stop(&sink);
}

TEST(outbox_dropped_after_an_attempt_stays_spent)
{
    /* max_sends 2, a cap of one a day, batches of one every 10 minutes: ada's message is tried
     * (the SMTP server refuses: retrying, one attempt — it may have reached her), then bob's is
     * queued; the campaign is paused and both are dropped. Bob's was never tried: his unit of
     * the budget, his cap and his count come back. Ada's stays spent: resumed the same day,
     * she is capped, and bob is told in the restock's next batch */
    struct env e;
    env_open(&e, "UTC");
    catalog(&e, tee, 0, T0);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"ada@example.com\"", T0);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"bob@example.com\"", T0 + 1);
    patch(&e, CH_EMAIL,
          "{\"frequency_cap\":{\"per_day\":1,\"bypass_cap\":false},"
          "\"delivery\":{\"send_ratio\":0.5,\"interval_minutes\":10,\"max_sends\":2}}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":2}]", 1, T0); /* quota 1 */
    run(&e, T0, NULL);
    CHECK_INT(told(&e, "v1", "ada@example.com"), 1);
    CHECK_INT(outbox_drain(&e.app, T0, 10), 1);
    CHECK_INT(NOTIFS(&e, "status = 2 AND attempts = 1"), 1);
    run(&e, T0 + 600, NULL);
    CHECK_INT(told(&e, "v1", "bob@example.com"), 1);
    CHECK_INT(q(&e, "SELECT used FROM budgets"), 2);
    patch_at(&e, CH_EMAIL, "{\"status\":\"paused\"}", T0 + 700);
    CHECK_INT(outbox_drain(&e.app, T0 + 3600, 10), 2);
    CHECK_INT(NOTIFS(&e, "status = 5 AND reason LIKE '%paused%'"), 2);
    CHECK_INT(q(&e, "SELECT used FROM budgets"), 1); /* ada's unit only */
    CHECK_INT(q(&e, "SELECT n FROM caps WHERE contact_key = 'ada@example.com'"), 1);
    CHECK_INT(q(&e, "SELECT n FROM caps WHERE contact_key = 'bob@example.com'"), 0);
    CHECK_INT(SUBS(&e, "email = 'ada@example.com' AND status = 1 AND notify_count = 1"), 1);
    CHECK_INT(SUBS(&e, "email = 'bob@example.com' AND status = 1 AND notify_count = 0"), 1);
    patch_at(&e, CH_EMAIL, "{\"status\":\"active\"}", T0 + 3700);
    run(&e, T0 + 3700, NULL); /* the batch it ended in (bob's) is full: the next one then */
    run(&e, T0 + 3700 + 600, NULL);
    CHECK_INT(q(&e, "SELECT n.status FROM notifications n JOIN subscriptions s"
                    " ON s.id = n.subscription_id WHERE s.email = 'ada@example.com'"),
              N_SKIPPED_CAP);
    CHECK_INT(q(&e, "SELECT n.status FROM notifications n JOIN subscriptions s"
                    " ON s.id = n.subscription_id WHERE s.email = 'bob@example.com'"),
              N_QUEUED);
    CHECK_INT(q(&e, "SELECT used FROM budgets"), 2);
    env_close(&e);
}

TEST(outbox_dropped_after_a_lost_lease_stays_spent)
{
    /* a worker claimed the message and its lease ran out with no result recorded (it crashed,
     * or its result came too late): it may have been handed to the SMTP server. Dropped by a
     * pause afterwards, it gives nothing back, though it shows no attempt */
    struct env e;
    env_open(&e, "UTC");
    catalog(&e, tee, 0, T0);
    emails(&e, "v1", 2, T0);
    patch(&e, CH_EMAIL,
          "{\"delivery\":{\"send_ratio\":0,\"interval_minutes\":60,\"max_sends\":1}}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":9}]", 1, T0);
    run(&e, T0, NULL);
    exec_sql(&e, "UPDATE notifications SET lease_until = 1795521780"); /* claimed at T0 */
    patch_at(&e, CH_EMAIL, "{\"status\":\"paused\"}", T0 + 10);
    CHECK_INT(outbox_drain(&e.app, T0 + 3600, 10), 1);
    CHECK_INT(NOTIFS(&e, "status = 5 AND attempts = 0 AND maybe_sent = 1"), 1);
    CHECK_INT(q(&e, "SELECT used FROM budgets"), 1);
    CHECK_INT(SUBS(&e, "notify_count = 1"), 1);
    patch_at(&e, CH_EMAIL, "{\"status\":\"active\"}", T0 + 3700);
    struct fanout_stats fs = {0};
    run(&e, T0 + 3700, &fs);
    CHECK_INT(fs.queued, 0); /* the budget stays spent */
    env_close(&e);
}

TEST(fanout_rewalk_decides_again_as_any_step)
{
    /* v1 restocks while SMS is paused: ada is capped (v2's message to her today), bob bought
     * v1 (an excluded buyer), carl (SMS) is passed over. SMS resumed the same day: carl is
     * told; ada is capped still and bob excluded still, each with the one row they had. The
     * email campaign paused and resumed the next day: ada's cap counts a new day, and her row
     * is queued in place */
    struct env e;
    env_open(&e, "UTC");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":0},{\"variant_id\":\"v2\",\"available\":0}]",
            0, T0);
    const char *ada = "\"channel\":\"email\",\"email\":\"ada@example.com\"";
    signup(&e, "v2", ada, T0);
    signup(&e, "v1", ada, T0);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"bob@example.com\"", T0);
    signup(&e, "v1", "\"channel\":\"sms\",\"phone\":\"+4520000003\"", T0);
    activity(&e, "bob@example.com", "purchase", "v1", T0 + 5);
    patch(&e, CH_EMAIL, "{\"frequency_cap\":{\"per_day\":1,\"bypass_cap\":false}}");
    patch(&e, CH_SMS, "{\"status\":\"paused\"}");
    catalog(&e, "[{\"variant_id\":\"v2\",\"available\":5}]", 1, T0 + 10);
    run(&e, T0 + 10, NULL);
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":5}]", 1, T0 + 20);
    run(&e, T0 + 20, NULL);
    CHECK_INT(NOTIFS(&e, "restock_id = 2"), 2);
    CHECK_INT(NOTIFS(&e, "restock_id = 2 AND status = 6"), 1); /* ada: skipped_cap */
    CHECK_INT(NOTIFS(&e, "restock_id = 2 AND status = 5"), 1); /* bob: dropped */
    patch_at(&e, CH_SMS, "{\"status\":\"active\"}", T0 + 30);
    run(&e, T0 + 30, NULL);
    CHECK_INT(NOTIFS(&e, "restock_id = 2"), 3);
    CHECK_INT(NOTIFS(&e, "restock_id = 2 AND status = 0 AND channel = 1"), 1); /* carl */
    CHECK_INT(NOTIFS(&e, "restock_id = 2 AND status = 6"), 1);
    CHECK_INT(NOTIFS(&e, "restock_id = 2 AND status = 5"), 1);
    CHECK_INT(q(&e, "SELECT n FROM caps WHERE contact_key = 'ada@example.com'"), 1);
    patch_at(&e, CH_EMAIL, "{\"status\":\"paused\"}", T0 + 86400);
    patch_at(&e, CH_EMAIL, "{\"status\":\"active\"}", T0 + 86401);
    run(&e, T0 + 86401, NULL);
    CHECK_INT(NOTIFS(&e, "restock_id = 2"), 3);
    CHECK_INT(told(&e, "v1", "ada@example.com"), 1);
    CHECK_INT(q(&e, "SELECT n.status FROM notifications n JOIN subscriptions s ON s.id ="
                    " n.subscription_id WHERE n.restock_id = 2 AND s.email = 'ada@example.com'"),
              0);
    CHECK_INT(NOTIFS(&e, "restock_id = 2 AND status = 5"), 1);
    CHECK_INT(SUBS(&e, "status = 1"), 1); /* bob */
    env_close(&e);
}

TEST(fanout_rewalk_passes_over_who_the_restock_told)
{
    /* both told by v1's restock; v1 sells out (they wait again) and is back within the shop's
     * min_soldout_minutes, which is no restock. A re-walk of that restock then passes them
     * over: one message per subscription and restock; they wait for the next one */
    struct env e;
    env_open(&e, "UTC");
    e.shop.min_soldout_minutes = 30;
    catalog(&e, tee, 0, T0);
    emails(&e, "v1", 2, T0);
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":5}]", 1, T0 + 3600);
    run(&e, T0 + 3600, NULL);
    CHECK_INT(NOTIFS(&e, "status = 0"), 2);
    DELIVERED(&e);
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":0}]", 1, T0 + 3700);
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":5}]", 1, T0 + 3710);
    CHECK_INT(RESTOCKS(&e, "1"), 1);
    CHECK_INT(SUBS(&e, "status = 1"), 2);
    patch_at(&e, CH_EMAIL, "{\"status\":\"paused\"}", T0 + 3720);
    patch_at(&e, CH_EMAIL, "{\"status\":\"active\"}", T0 + 3721);
    struct fanout_stats fs = {0};
    run(&e, T0 + 3721, &fs);
    CHECK_INT(fs.rewalks, 1);
    CHECK(fs.steps >= 1); /* the restock was walked again */
    CHECK_INT(fs.queued + fs.skipped + fs.dropped + fs.capped, 0);
    CHECK_INT(NOTIFS(&e, "1"), 2);
    CHECK_INT(NOTIFS(&e, "status = 1"), 2);
    CHECK_INT(SUBS(&e, "status = 1"), 2);
    CHECK_INT(q(&e, "SELECT sum(notify_count) FROM subscriptions"), 2);
    env_close(&e);
}

TEST(fanout_rewalk_only_where_the_variant_is_in_stock)
{
    /* paused while v1, v2 and v3 restock; v1 sells out before the resume, v3 after it (before
     * its walk): only v2's subscriber is told */
    struct env e;
    env_open(&e, "UTC");
    catalog(&e,
            "[{\"variant_id\":\"v1\",\"available\":0},{\"variant_id\":\"v2\",\"available\":0},"
            "{\"variant_id\":\"v3\",\"available\":0}]",
            0, T0);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"a@example.com\"", T0);
    signup(&e, "v2", "\"channel\":\"email\",\"email\":\"b@example.com\"", T0);
    signup(&e, "v3", "\"channel\":\"email\",\"email\":\"c@example.com\"", T0);
    patch(&e, CH_EMAIL, "{\"status\":\"paused\"}");
    catalog(&e,
            "[{\"variant_id\":\"v1\",\"available\":5},{\"variant_id\":\"v2\",\"available\":5},"
            "{\"variant_id\":\"v3\",\"available\":5}]",
            1, T0 + 10);
    run(&e, T0 + 10, NULL);
    CHECK_INT(NOTIFS(&e, "1"), 0);
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":0}]", 1, T0 + 20);
    patch_at(&e, CH_EMAIL, "{\"status\":\"active\"}", T0 + 30);
    struct rs_status st = {0};
    int found = 0;
    CHECK_INT(fanout_step(&e.app, T0 + 30, 2, NULL, &found, &st), RS_OK); /* the re-walk */
    CHECK_INT(found, 1);
    CHECK_INT(RESTOCKS(&e, "state = 'rewalk' AND processed_at IS NULL"), 2); /* v2, v3 */
    catalog(&e, "[{\"variant_id\":\"v3\",\"available\":0}]", 1, T0 + 31);
    run(&e, T0 + 31, NULL);
    CHECK_INT(NOTIFS(&e, "1"), 1);
    CHECK_INT(told(&e, "v2", "b@example.com"), 1);
    CHECK_INT(RESTOCKS(&e, "state = 'done' AND processed_at IS NOT NULL"), 3);
    CHECK_INT(SUBS(&e, "status = 1"), 2);
    env_close(&e);
}

TEST(fanout_rewalk_when_starts_at_arrives)
{
    /* the email campaign starts at 13:00 UTC; v1 restocks at 12:01: nobody is told then, both
     * at 13:00, by the same restock. Its notes edited meanwhile change nothing of that */
    struct env e;
    env_open(&e, "UTC");
    catalog(&e, tee, 0, T0);
    emails(&e, "v1", 2, T0);
    patch(&e, CH_EMAIL, "{\"starts_at\":\"2026-11-24T13:00:00Z\"}");
    CHECK_INT(q(&e, "SELECT rewalk_at FROM campaigns WHERE channel = 0"), T0 + 3600);
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":5}]", 1, T0 + 60);
    run(&e, T0 + 60, NULL);
    CHECK_INT(NOTIFS(&e, "1"), 0);
    patch_at(&e, CH_EMAIL, "{\"notes\":\"from one\"}", T0 + 120);
    CHECK_INT(q(&e, "SELECT rewalk_at FROM campaigns WHERE channel = 0"), T0 + 3600);
    CHECK_INT(run(&e, T0 + 3599, NULL), 0);
    CHECK_INT(NOTIFS(&e, "1"), 0);
    run(&e, T0 + 3600, NULL);
    CHECK_INT(NOTIFS(&e, "status = 0 AND restock_id = 1"), 2);
    CHECK_INT(RESTOCKS(&e, "1"), 1);
    CHECK_INT(REWALKS_DUE(&e), 0);
    env_close(&e);
}

TEST(fanout_test_campaign_made_active_walks_again)
{
    /* in test when v1 restocks: only the tester is told; made active: the other one too, and
     * the tester not twice */
    struct env e;
    env_open(&e, "UTC");
    catalog(&e, tee, 0, T0);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"real@example.com\"", T0);
    signup(&e, "v1", "\"channel\":\"email\",\"email\":\"tester@example.com\"", T0 + 1);
    patch(&e, CH_EMAIL, "{\"status\":\"test\",\"test_contacts\":[\"tester@example.com\"]}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":5}]", 1, T0 + 10);
    run(&e, T0 + 10, NULL);
    CHECK_INT(told(&e, "v1", "tester@example.com"), 1);
    CHECK_INT(NOTIFS(&e, "1"), 1);
    patch_at(&e, CH_EMAIL, "{\"status\":\"active\"}", T0 + 20);
    run(&e, T0 + 20, NULL);
    CHECK_INT(told(&e, "v1", "real@example.com"), 1);
    CHECK_INT(told(&e, "v1", "tester@example.com"), 1);
    CHECK_INT(NOTIFS(&e, "status = 0"), 2);
    env_close(&e);
}

TEST(fanout_creating_or_editing_a_campaign_walks_nobody_again)
{
    /* paused when v1 restocks; then another campaign is created active and the paused one is
     * edited: neither reaches more people because of the write, so nobody is walked again */
    struct env e;
    env_open(&e, "UTC");
    catalog(&e, tee, 0, T0);
    emails(&e, "v1", 2, T0);
    patch(&e, CH_EMAIL, "{\"status\":\"paused\"}");
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":5}]", 1, T0 + 10);
    run(&e, T0 + 10, NULL);
    add_campaign(&e, "{\"channel\":\"email\",\"status\":\"active\",\"name\":\"new\"}");
    patch_at(&e, CH_EMAIL, "{\"notes\":\"later\",\"ttl\":3600}", T0 + 30);
    CHECK_INT(REWALKS_DUE(&e), 0);
    CHECK_INT(run(&e, T0 + 40, NULL), 0);
    CHECK_INT(NOTIFS(&e, "1"), 0);
    CHECK_INT(SUBS(&e, "status = 1"), 2);
    env_close(&e);
}

/* ---- leases of slow batches ------------------------------------------------------------------ */

static struct env *slow_env;
static int64_t slow_calls;

/* A batch's clock where every send takes 100 s. At the third reading (before the second
 * message goes out, its lease about to run out), another worker — another process on the same
 * database — claims the messages still queued, as it may once their lease has run out. */
static int64_t slow_clock(void)
{
    int64_t n = slow_calls++;
    if (n == 2) {
        sqlite3 *db;
        CHECK(sqlite3_open(slow_env->db, &db) == SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        CHECK(sqlite3_exec(db,
                           "UPDATE notifications SET lease_until = lease_until + 7 "
                           "WHERE status = 0 AND lease_until > 0",
                           NULL, NULL, NULL) == SQLITE_OK);
        CHECK_INT(sqlite3_changes(db), 1);
        sqlite3_close(db);
    }
    return 1000000 + 100 * n;
}

TEST(outbox_slow_batch_renews_its_lease_and_yields_a_lost_one)
{
    /* two messages claimed in one batch; the first goes out 100 s after the claim, so its lease
     * (180 s) no longer outlasts a send (130 s): it is renewed, and its result recorded under
     * the new lease. The second's lease was taken over meanwhile: this worker must not send it
     * (the other one will), and the other worker's claim stands. The SMTP stand-in counts what
     * was actually sent. */
    struct standin sink;
    const char *const args[] = {NULL};
    CHECK(standin_start(&sink, "tests/e2e/smtp_sink.py", args) == 0);
    char url[64];
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", sink.port);
    struct env e;
    env_open_smtp(&e, "UTC", url);
    catalog(&e, tee, 0, T0);
    emails(&e, "v1", 2, T0);
    catalog(&e, "[{\"variant_id\":\"v1\",\"available\":9}]", 1, T0);
    run(&e, T0, NULL);
    CHECK_INT(NOTIFS(&e, "status = 0"), 2);
    /* every raise of a lease that is held, recorded by a trigger of the test's own */
    sqlite3 *db;
    CHECK(sqlite3_open(e.db, &db) == SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    CHECK(sqlite3_exec(db,
                       "CREATE TABLE t_raises(id, old, new);"
                       "CREATE TRIGGER t_raise AFTER UPDATE OF lease_until ON notifications"
                       " WHEN old.lease_until > 0 AND new.lease_until > old.lease_until"
                       " BEGIN INSERT INTO t_raises VALUES (new.id, old.lease_until,"
                       " new.lease_until); END;",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    slow_env = &e;
    slow_calls = 0;
    outbox_set_clock(slow_clock);
    CHECK_INT(outbox_drain(&e.app, T0 + 10, 2), 2);
    outbox_set_clock(NULL);
    CHECK(slow_calls >= 3);
    /* the first was renewed before its send: to 100 s (its send's start) + the 180 s lease,
     * where the claim had set 10 s + 180 s; the second's raise (+7) is the other worker's */
    CHECK_INT(q(&e, "SELECT count(*) FROM t_raises WHERE new - old = 100"), 1);
    CHECK_INT(q(&e, "SELECT count(*) FROM t_raises WHERE new - old = 7"), 1);
    CHECK_INT(q(&e, "SELECT count(*) FROM t_raises"), 2);
    /* the first: sent once, recorded, its lease given back */
    CHECK_INT(NOTIFS(&e, "status = 1 AND attempts = 1 AND lease_until = 0"), 1);
    /* the second: untouched by this worker, still held by the other one's lease */
    CHECK_INT(NOTIFS(&e, "status = 0 AND attempts = 0 AND lease_until > 0"), 1);
    char *one = standin_read(&sink, "0001.json", 2000, NULL);
    char *two = standin_read(&sink, "0002.json", 500, NULL);
    CHECK(one != NULL);
    CHECK(two == NULL); /* never sent twice */
    free(one);
    free(two);
    env_close(&e);
    standin_stop(&sink);
}
