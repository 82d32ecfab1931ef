/*
 * Tracking (core/track.h): the redirect builder (table-driven: UTM encoding, existing queries,
 * fragments, the cart permalink, off-origin variant URLs, header injection), event bodies and
 * amounts, and the write job against a real SQLite store through the group committer.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/campaign_row.h"
#include "core/track.h"
#include "store/commit.h"
#include "test.h"
#include "util/json.h"

#define SHOP "https://shop.example"
#define UTM  "utm_source=restock&utm_medium=email&utm_campaign=back-in-stock"

static const struct campaign plain_utm = {
    .utm_source = "restock", .utm_medium = "email", .utm_campaign = "back-in-stock"};

/* What a campaign patch could try: CR/LF and delimiters in UTM values (campaign_parse refuses
 * control characters, but the builder must not rely on it). */
static const struct campaign nasty_utm = {.utm_source = "a\r\nSet-Cookie: x=1",
                                          .utm_medium = "b&c=d#e?f",
                                          .utm_campaign = "\xc3\xa9t\xc3\xa9 sale",
                                          .utm_content = "100%",
                                          .utm_term = ""};

static const struct {
    const char *variant_url;
    int to_cart;
    const char *variant_id;
    int64_t qty;
    const struct campaign *c;
    const char *want;
} redirects[] = {
    /* product pages */
    {SHOP "/products/tee", 0, "1", 1, &plain_utm, SHOP "/products/tee?" UTM},
    {SHOP "/products/tee?variant=4471", 0, "1", 1, &plain_utm,
     SHOP "/products/tee?variant=4471&" UTM},
    {SHOP "/products/tee?variant=1#reviews", 0, "1", 1, &plain_utm,
     SHOP "/products/tee?variant=1&" UTM "#reviews"},
    {SHOP "/p#x?y", 0, "1", 1, &plain_utm, SHOP "/p?" UTM "#x?y"},
    {SHOP "/p?utm_source=old&a=1&utm_medium=x", 0, "1", 1, &plain_utm, SHOP "/p?a=1&" UTM},
    {SHOP "/p?utm_content=keep", 0, "1", 1, &plain_utm, SHOP "/p?utm_content=keep&" UTM},
    {SHOP "/p?", 0, "1", 1, &plain_utm, SHOP "/p?" UTM},
    {SHOP "/p?&&a=1&", 0, "1", 1, &plain_utm, SHOP "/p?a=1&" UTM},
    {SHOP "?x=1", 0, "1", 1, &plain_utm, SHOP "/?x=1&" UTM},
    {SHOP, 0, "1", 1, &plain_utm, SHOP "/?" UTM},
    {"HTTPS://SHOP.example/P", 0, "1", 1, &plain_utm, SHOP "/P?" UTM},
    {SHOP "/p?x=1", 0, "1", 1, NULL, SHOP "/p?x=1"},
    {NULL, 0, "1", 1, &plain_utm, SHOP "/?" UTM},
    /* off-origin variant URLs give way to the shop's */
    {"https://evil.example/p", 0, "1", 1, &plain_utm, SHOP "/?" UTM},
    {SHOP ".evil.example/p", 0, "1", 1, &plain_utm, SHOP "/?" UTM},
    {SHOP "@evil.example/p", 0, "1", 1, &plain_utm, SHOP "/?" UTM},
    {SHOP "\\@evil.example/p", 0, "1", 1, &plain_utm, SHOP "/?" UTM},
    {SHOP ":8443/p", 0, "1", 1, &plain_utm, SHOP "/?" UTM},
    {"http://shop.example/p", 0, "1", 1, &plain_utm, SHOP "/?" UTM},
    {"//shop.example/p", 0, "1", 1, &plain_utm, SHOP "/?" UTM},
    {"javascript:alert(1)", 0, "1", 1, &plain_utm, SHOP "/?" UTM},
    /* bytes no URL may hold raw are encoded, never passed to the header */
    {SHOP "/p\r\nSet-Cookie: a=b", 0, "1", 1, &plain_utm, SHOP "/p%0D%0ASet-Cookie:%20a=b?" UTM},
    {SHOP "/caf\xc3\xa9?q=\"<x>\"#f g", 0, "1", 1, NULL, SHOP "/caf%C3%A9?q=%22%3Cx%3E%22#f%20g"},
    {SHOP "/p", 0, "1", 1, &nasty_utm,
     SHOP "/p?utm_source=a%0D%0ASet-Cookie%3A%20x%3D1&utm_medium=b%26c%3Dd%23e%3Ff"
          "&utm_campaign=%C3%A9t%C3%A9%20sale&utm_content=100%25"},
    /* the cart permalink, always at the shop's origin */
    {SHOP "/products/tee", 1, "4471", 2, &plain_utm,
     SHOP "/cart/4471:2?attributes%5Brestock%5D=TOK-_9&" UTM},
    {"https://evil.example/p", 1, "4471", 0, &plain_utm,
     SHOP "/cart/4471:1?attributes%5Brestock%5D=TOK-_9&" UTM},
    {NULL, 1, "a/b:c", 3, NULL, SHOP "/cart/a%2Fb%3Ac:3?attributes%5Brestock%5D=TOK-_9"},
    {SHOP "/p", 1, "7", 1, &nasty_utm,
     SHOP "/cart/7:1?attributes%5Brestock%5D=TOK-_9&utm_source=a%0D%0ASet-Cookie%3A%20x%3D1"
          "&utm_medium=b%26c%3Dd%23e%3Ff&utm_campaign=%C3%A9t%C3%A9%20sale&utm_content=100%25"},
    /* a cart link of a subscription without a variant falls back to the product page */
    {SHOP "/p", 1, NULL, 1, &plain_utm, SHOP "/p?" UTM},
};

TEST(track_redirect_table)
{
    struct arena *a = arena_new();
    for (size_t i = 0; i < sizeof(redirects) / sizeof(redirects[0]); i++) {
        struct redirect_in in = {.shop_url = SHOP,
                                 .variant_url = redirects[i].variant_url,
                                 .variant_id = redirects[i].variant_id,
                                 .quantity = redirects[i].qty,
                                 .to_cart = redirects[i].to_cart,
                                 .token = "TOK-_9",
                                 .campaign = redirects[i].c};
        const char *got = track_redirect(&in, a);
        if (!got || strcmp(got, redirects[i].want) != 0)
            fprintf(stderr, "  redirect case %zu\n", i);
        CHECK_STR(got, redirects[i].want);
        /* whatever the input: the shop's origin, then printable ASCII only */
        CHECK(strncmp(got, SHOP "/", strlen(SHOP) + 1) == 0);
        for (const char *p = got; *p; p++)
            CHECK((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f);
    }
    arena_free(a);
}

TEST(track_same_origin)
{
    CHECK(track_same_origin(SHOP, SHOP));
    CHECK(track_same_origin(SHOP, SHOP "/"));
    CHECK(track_same_origin(SHOP, SHOP "?a"));
    CHECK(track_same_origin(SHOP, SHOP "#a"));
    CHECK(track_same_origin(SHOP, "https://Shop.Example/x"));
    CHECK(!track_same_origin(SHOP, NULL));
    CHECK(!track_same_origin(SHOP, SHOP "."));
    CHECK(!track_same_origin(SHOP, SHOP ":443/"));
    CHECK(!track_same_origin(SHOP, "https://shop.exampl"));
    CHECK(!track_same_origin("http://localhost:8080", "http://localhost:80801/"));
    CHECK(track_same_origin("http://localhost:8080", "http://localhost:8080/p"));
}

static const struct {
    const char *body, *err; /* err NULL: valid */
} events[] = {
    {"{\"msgHash\":\"h\",\"event\":\"purchase\"}", NULL},
    {"{\"msgHash\":\"h\",\"event\":\"Add.To-Cart:v2_x\",\"attributes\":{\"a\":1}}", NULL},
    {"{\"msgHash\":\"h\",\"event\":\"open\",\"attributes\":null}", NULL},
    {"{\"event\":\"open\"}", "msgHash"},
    {"{\"msgHash\":7,\"event\":\"open\"}", "msgHash"},
    {"{\"msgHash\":\"h\"}", "event"},
    {"{\"msgHash\":\"h\",\"event\":\"\"}", "event"},
    {"{\"msgHash\":\"h\",\"event\":\"add to cart\"}", "event"},
    {"{\"msgHash\":\"h\",\"event\":\"a\\r\\nb\"}", "event"},
    {"{\"msgHash\":\"h\",\"event\":"
     "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
     "event"}, /* 65 */
    {"{\"msgHash\":\"h\",\"event\":\"x\",\"attributes\":[1]}", "attributes"},
    {"{\"msgHash\":\"h\",\"event\":\"x\",\"extra\":1}", "extra"},
    {"[1]", ""},
};

TEST(track_event_parse_table)
{
    struct arena *a = arena_new();
    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
        struct rs_status st = {0};
        json_t *body = json_parse_strict(events[i].body, strlen(events[i].body), &st);
        CHECK(body != NULL);
        struct track_event ev;
        int rc = track_event_parse(body, a, &ev, &st);
        if (!events[i].err) {
            CHECK_INT(rc, RS_OK);
        } else {
            CHECK_INT(rc, RS_EINVAL);
            CHECK(strncmp(st.msg, events[i].err, strlen(events[i].err)) == 0);
        }
        if (rc != (events[i].err ? RS_EINVAL : RS_OK))
            fprintf(stderr, "  event case %zu: %s\n", i, st.msg);
        json_decref(body);
    }
    /* attributes: up to 4 KiB as compact JSON */
    char big[TRACK_ATTRS_MAX + 64];
    int n =
        snprintf(big, sizeof(big), "{\"msgHash\":\"h\",\"event\":\"x\",\"attributes\":{\"k\":\"");
    int fill = TRACK_ATTRS_MAX - 8; /* {"k":"…"} is 8 bytes around the value */
    memset(big + n, 'v', (size_t)fill);
    snprintf(big + n + fill, sizeof(big) - (size_t)(n + fill), "\"}}");
    struct rs_status st = {0};
    json_t *body = json_parse_strict(big, strlen(big), &st);
    struct track_event ev;
    CHECK_INT(track_event_parse(body, a, &ev, &st), RS_OK);
    CHECK_INT(strlen(ev.attributes), TRACK_ATTRS_MAX);
    json_decref(body);
    big[n] = 'w'; /* one more byte */
    memmove(big + n + 1, big + n, strlen(big + n) + 1);
    body = json_parse_strict(big, strlen(big), &st);
    CHECK_INT(track_event_parse(body, a, &ev, &st), RS_EINVAL);
    CHECK(strncmp(st.msg, "attributes", 10) == 0);
    json_decref(body);
    arena_free(a);
}

TEST(track_event_amount)
{
    static const struct {
        const char *attrs;
        int exp;
        int64_t want;
    } cases[] = {
        {"{\"value\":\"19.90\"}", 2, 1990},
        {"{\"revenue\":19.9}", 2, 1990},
        {"{\"total\":20}", 2, 2000},
        {"{\"total\":20}", 0, 20},
        {"{\"value\":\"abc\",\"revenue\":\"5.5\"}", 2, 550},
        {"{\"value\":\"1.234\"}", 2, 0},
        {"{\"value\":59.699999999999996}", 2, 5970}, /* a browser's 19.9 * 3 */
        {"{\"value\":\"1000.00\"}", 0, 1000},        /* two decimals on a yen amount */
        {"{\"value\":\"10.50\"}", 0, 0},
        {"{\"value\":-0.004}", 2, 0},
        {"{\"value\":-1,\"total\":3}", 2, 300},
        {"{\"value\":\"99999999999.99\"}", 2, 9999999999999},
        {"{\"value\":\"100000000000.00\"}", 2, 0},
        {"{\"value\":1.5e14}", 2, 0},
        {"{\"value\":\"-3\"}", 2, 0},
        {"{\"value\":true}", 2, 0},
        {"{}", 2, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *o = json_loads(cases[i].attrs, 0, NULL);
        CHECK_INT(track_event_amount(o, cases[i].exp), cases[i].want);
        json_decref(o);
    }
    CHECK_INT(track_event_amount(NULL, 2), 0);
}

/* ---- the write job on a real store ---------------------------------------------------------- */

struct fixture {
    struct shop shop;
    struct variant v;
    struct subscription sub;
    struct notification n;
};

static int put_fixture(struct tx *tx, void *arg, struct rs_status *st)
{
    struct fixture *f = arg;
    int rc = tx->ops->shop_insert(tx->c, &f->shop);
    f->v.sid = f->sub.sid = f->n.sid = f->shop.sid;
    if (!rc) rc = tx->ops->variant_put(tx->c, &f->v);
    if (!rc) rc = tx->ops->sub_insert(tx->c, &f->sub);
    f->n.subscription_id = f->sub.id;
    if (!rc) rc = tx->ops->notification_insert(tx->c, &f->n);
    return rc ? rs_fail(st, rc, "fixture") : RS_OK;
}

/* One integer from the database file, read behind the store's back. */
static long long peek(const char *path, const char *q)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    long long v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, q, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static int top_cb(void *arg, const char *name, int64_t hits)
{
    char *out = arg;
    size_t n = strlen(out);
    snprintf(out + n, 256 - n, "%s=%lld ", name, (long long)hits);
    return 0;
}

static int shop_off(struct tx *tx, void *arg, struct rs_status *st)
{
    (void)st;
    return tx->ops->shop_update(tx->c, arg);
}

static void run(struct committer *cm, struct track_job *j, struct store_conn *r, struct arena *a,
                int64_t id, enum hit_kind kind, const char *name, int64_t now)
{
    struct rs_status st = {0};
    CHECK_INT(r ? RS_OK : RS_ESTORE, RS_OK);
    memset(j, 0, sizeof(*j));
    CHECK_INT(store_sqlite.notification_context(r, id, a, &j->ctx), RS_OK);
    j->kind = kind;
    j->name = name;
    j->goal = name && strcmp(name, "purchase") == 0;
    j->amount = 1990;
    j->now = now;
    j->arena = a;
    CHECK_INT(committer_run(cm, track_apply, j, &st), RS_OK);
}

TEST(track_apply_store)
{
    char path[64];
    snprintf(path, sizeof(path), "/tmp/restock_track_%d.db", (int)getpid());
    struct store *s = NULL;
    struct rs_status st = {0};
    CHECK_INT(store_sqlite.open(path, &s, &st), RS_OK);
    struct committer *cm = committer_start(&store_sqlite, s);
    struct arena *a = arena_new();
    struct fixture f = {
        .shop = {.uuid = "11111111-2222-4333-8444-555555555555",
                 .name = "S",
                 .url = SHOP,
                 .currency = "EUR",
                 .timezone = "UTC",
                 .locale = "en",
                 .sender_name = "S",
                 .sender_email = "",
                 .webhook_secret = "w",
                 .vapid_public = "p",
                 .vapid_private = "q",
                 .conversions_enabled = 1},
        .v = {.variant_id = "4471",
              .url = SHOP "/products/tee",
              .price = 1990,
              .original_price = -1},
        .sub = {.variant_id = "4471",
                .channel = CH_EMAIL,
                .status = SUB_NOTIFIED,
                .contact_key = "ada@example.com",
                .email = "ada@example.com",
                .quantity = 3},
        .n = {.restock_id = 1,
              .campaign_id = 42,
              .channel = CH_EMAIL,
              .status = N_SENT,
              .sent_at = 100},
    };
    memset(f.shop.api_key_hash, 7, 32);
    CHECK_INT(committer_run(cm, put_fixture, &f, &st), RS_OK);

    struct store_conn *r = store_sqlite.reader(s);
    struct notif_context x;
    CHECK_INT(store_sqlite.notification_context(r, f.n.id, a, &x), RS_OK);
    CHECK_STR(x.shop_url, SHOP);
    CHECK_STR(x.variant_url, SHOP "/products/tee");
    CHECK_STR(x.variant_id, "4471");
    CHECK_INT(x.quantity, 3);
    CHECK_INT(x.campaign_id, 42);
    CHECK(x.campaign.json == NULL); /* no such campaign row */
    CHECK_INT(store_sqlite.notification_context(r, f.n.id + 1, a, &x), RS_ENOTFOUND);
    store_sqlite.reader_release(s);

    /* an event before any click: assisted; a second goal event converts nothing */
    struct track_job j;
    run(cm, &j, store_sqlite.reader(s), a, f.n.id, HIT_EVENT, "purchase", 200);
    store_sqlite.reader_release(s);
    CHECK_INT(j.converted, 1);
    run(cm, &j, store_sqlite.reader(s), a, f.n.id, HIT_EVENT, "purchase", 210);
    store_sqlite.reader_release(s);
    CHECK_INT(j.converted, 0);
    CHECK_INT(peek(path, "SELECT kind FROM conversions"), 1); /* assisted: not clicked */
    CHECK_INT(peek(path, "SELECT amount FROM conversions"), 1990);
    CHECK_INT(peek(path, "SELECT count(*) FROM conversions WHERE currency = 'EUR' AND at = 200"
                         " AND order_id = 0 AND campaign_id = 42"),
              1);

    /* the first click and the first open stay; a click counts as an open */
    run(cm, &j, store_sqlite.reader(s), a, f.n.id, HIT_CLICK, NULL, 300);
    store_sqlite.reader_release(s);
    run(cm, &j, store_sqlite.reader(s), a, f.n.id, HIT_CLICK, NULL, 400);
    store_sqlite.reader_release(s);
    run(cm, &j, store_sqlite.reader(s), a, f.n.id, HIT_OPEN, NULL, 500);
    store_sqlite.reader_release(s);
    run(cm, &j, store_sqlite.reader(s), a, f.n.id, HIT_EVENT, "AddToCart", 600);
    store_sqlite.reader_release(s);
    run(cm, &j, store_sqlite.reader(s), a, f.n.id, HIT_EVENT, "AddToCart", 610);
    store_sqlite.reader_release(s);
    run(cm, &j, store_sqlite.reader(s), a, f.n.id, HIT_EVENT, "open", 620);
    store_sqlite.reader_release(s);
    r = store_sqlite.reader(s);
    struct notification n;
    CHECK_INT(store_sqlite.notification_get(r, f.n.id, a, &n), RS_OK);
    CHECK_INT(n.clicked_at, 300);
    CHECK_INT(n.opened_at, 300);
    char top[256] = "";
    CHECK_INT(store_sqlite.event_top(r, f.shop.sid, f.n.id, 0, 5, a, top_cb, top), RS_OK);
    CHECK_STR(top, "AddToCart=2 purchase=2 open=1 ");
    top[0] = '\0';
    CHECK_INT(store_sqlite.event_top(r, f.shop.sid, 0, 42, 2, a, top_cb, top), RS_OK);
    CHECK_STR(top, "AddToCart=2 purchase=2 ");
    top[0] = '\0';
    CHECK_INT(store_sqlite.event_top(r, f.shop.sid + 1, f.n.id, 0, 5, a, top_cb, top), RS_OK);
    CHECK_STR(top, "");
    store_sqlite.reader_release(s);
    CHECK_INT(peek(path, "SELECT count(*) FROM hits WHERE kind = 1"), 2); /* every click */
    CHECK_INT(peek(path, "SELECT count(*) FROM hits WHERE kind = 0"), 2); /* pixel + push */
    CHECK_INT(peek(path, "SELECT count(*) FROM hits WHERE kind = 2"), 5); /* every event call */
    CHECK_INT(peek(path, "SELECT count(*) FROM hits WHERE kind = 2 AND name = 'AddToCart'"
                         " AND attributes IS NULL AND campaign_id = 42"),
              2);

    /* a job given the id reads the context in its transaction: what the click needs, and the
     * click already recorded (no second touch); an unknown id records nothing */
    memset(&j, 0, sizeof(j));
    j.id = f.n.id;
    j.kind = HIT_CLICK;
    j.now = 650;
    j.arena = a;
    CHECK_INT(committer_run(cm, track_apply, &j, &st), RS_OK);
    CHECK_INT(j.ctx.id, f.n.id);
    CHECK_STR(j.ctx.shop_url, SHOP);
    CHECK_STR(j.ctx.variant_id, "4471");
    CHECK_INT(j.ctx.quantity, 3);
    CHECK_INT(j.ctx.clicked_at, 300);
    memset(&j, 0, sizeof(j));
    j.id = f.n.id + 1;
    j.kind = HIT_CLICK;
    j.now = 660;
    j.arena = a;
    CHECK_INT(committer_run(cm, track_apply, &j, &st), RS_ENOTFOUND);
    CHECK(strstr(st.msg, "token") != NULL);
    CHECK_INT(peek(path, "SELECT count(*) FROM hits WHERE kind = 1"), 3);
    char q[96];
    snprintf(q, sizeof(q), "SELECT count(*) FROM hits WHERE notification_id <> %lld",
             (long long)f.n.id);
    CHECK_INT(peek(path, q), 0);

    /* with conversions off, a goal event is a hit and nothing more */
    f.shop.conversions_enabled = 0;
    CHECK_INT(committer_run(cm, shop_off, &f.shop, &st), RS_OK);
    run(cm, &j, store_sqlite.reader(s), a, f.n.id, HIT_EVENT, "purchase", 700);
    store_sqlite.reader_release(s);
    CHECK_INT(j.converted, 0);

    committer_stop(cm);
    store_sqlite.close(s);
    arena_free(a);
    char p[96];
    unlink(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
}

/* The per-thread campaign cache: the same row parses once; a changed row parses again. */
TEST(track_campaign_cache)
{
    struct arena *a = arena_new();
    struct campaign c;
    campaign_default(CH_EMAIL, 1, &c);
    struct stored_campaign row;
    campaign_to_row(&c, a, &row);
    row.id = 7;
    const struct campaign *p1 = track_campaign(&row);
    CHECK(p1 != NULL);
    CHECK_STR(p1 ? p1->utm_source : NULL, "restock");
    CHECK_STR(p1 ? p1->goal_event : NULL, "purchase");
    CHECK(track_campaign(&row) == p1);
    c.utm_source = "changed";
    c.goal_event = "signup";
    struct stored_campaign row2;
    campaign_to_row(&c, a, &row2);
    row2.id = 7;
    const struct campaign *p2 = track_campaign(&row2);
    CHECK(p2 != NULL && p2 != p1);
    CHECK_STR(p2 ? p2->utm_source : NULL, "changed");
    CHECK_STR(p2 ? p2->goal_event : NULL, "signup");
    struct stored_campaign none = {.id = 8};
    CHECK(track_campaign(&none) == NULL);
    struct stored_campaign broken = {.id = 9, .json = "{\"channel\":\"fax\"}"};
    CHECK(track_campaign(&broken) == NULL);
    arena_free(a);
}
