/*
 * Ingest: Shopify signature checks, payload conversion (ids over 2^53 and past int64 kept exact,
 * string prices, note attributes, test orders), the order seam driven through shopify_apply on a
 * real SQLite store with a recording sink (attribution is not on this branch), and the XML feed
 * parser (RSS and Atom, bad items with their lines).
 */
#include <stdlib.h>
#include <unistd.h>

#include "core/app.h"
#include "core/shop.h"
#include "ingest/feed.h"
#include "ingest/shopify.h"
#include "test.h"
#include "util/crypto.h"
#include "util/json.h"

static void sign(const char *secret, const char *body, char out[48])
{
    uint8_t mac[32];
    crypto_hmac_sha256(secret, strlen(secret), body, strlen(body), mac);
    base64_encode(mac, 32, out);
}

TEST(shopify_verify_cases)
{
    const char *body = "{\"inventory_item_id\":49148385181733801,\"available\":3}";
    char good[48], other[48];
    sign("s3cret", body, good);
    sign("other", body, other);
    CHECK_INT(shopify_verify("s3cret", body, strlen(body), good), 1);
    CHECK_INT(shopify_verify("s3cret", body, strlen(body) - 1, good), 0); /* body changed */
    CHECK_INT(shopify_verify("s3cret", body, strlen(body), other), 0);    /* other secret */
    CHECK_INT(shopify_verify("s3cret", body, strlen(body), NULL), 0);
    CHECK_INT(shopify_verify("s3cret", body, strlen(body), ""), 0);
    CHECK_INT(
        shopify_verify("s3cret", body, strlen(body), "not base64 at all, 44 chars long!!!!!!!!!!"),
        0);
    good[10] = good[10] == 'A' ? 'B' : 'A';
    CHECK_INT(shopify_verify("s3cret", body, strlen(body), good), 0);
    char empty[48];
    sign("s3cret", "", empty);
    CHECK_INT(shopify_verify("s3cret", NULL, 0, empty), 1);
}

TEST(shopify_json_keeps_big_ids_exact)
{
    static const struct {
        const char *json, *key, *want;
    } cases[] = {
        {"{\"id\":45283937034345791}", "id", "45283937034345791"},       /* > 2^53 */
        {"{\"id\":9223372036854775807}", "id", "9223372036854775807"},   /* int64 max */
        {"{\"id\":12345678901234567890}", "id", "12345678901234567890"}, /* > int64 */
        {"{\"id\":\"12345678901234567890\"}", "id", "12345678901234567890"},
        {"{\"s\":\"a \\\"12345678901234567890\\\" b\",\"id\":1}", "id", "1"},
        {"{\"id\": 12345678901234567890 }", "id", "12345678901234567890"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rs_status st = {0};
        json_t *j = shopify_json_parse(cases[i].json, strlen(cases[i].json), &st);
        CHECK(j != NULL);
        char tmp[24];
        if (j) CHECK_STR(jid(j, cases[i].key, tmp), cases[i].want);
        json_decref(j);
    }
    struct rs_status st = {0};
    const char *mixed = "{\"s\":\"x\\\"1\",\"f\":1.5e3}";
    json_t *j = shopify_json_parse(mixed, strlen(mixed), &st);
    CHECK(j && json_real_value(json_object_get(j, "f")) == 1500.0);
    CHECK_STR(json_string_value(json_object_get(j, "s")), "x\"1");
    json_decref(j);
    CHECK(shopify_json_parse("{\"id\":123", 9, &st) == NULL);
    CHECK_INT(st.err, RS_EJSON);
}

static const struct shop test_shop = {.sid = 1,
                                      .uuid = "00000000-0000-4000-8000-000000000001",
                                      .url = "https://shop.example",
                                      .currency = "EUR",
                                      .min_available = 1,
                                      .low_stock_threshold = 5};

static const char order_json[] =
    "{\"id\":5678901234567890123,\"email\":\"Ada@Example.COM\",\"created_at\":"
    "\"2026-11-24T11:00:00+01:00\",\"currency\":\"EUR\",\"total_price\":\"39.80\","
    "\"name\":\"#1001\",\"order_number\":1001,\"test\":false,\"phone\":null,"
    "\"note_attributes\":[{\"name\":\"gift\",\"value\":\"no\"},{\"name\":\"restock\","
    "\"value\":\"tok123\"}],\"customer\":{\"id\":7005551234567890123,\"email\":"
    "\"ada@example.com\",\"phone\":\"+45 20 12 34 56\"},\"line_items\":[{\"id\":1,"
    "\"variant_id\":45283937034345791,\"sku\":\"TEE-RED-M\",\"quantity\":2,\"price\":"
    "\"19.90\"},{\"id\":2,\"variant_id\":null,\"sku\":null,\"quantity\":1,\"price\":\"0.00\"}]}";

TEST(shopify_order_conversion)
{
    struct arena *a = arena_new();
    struct rs_status st = {0};
    json_t *j = shopify_json_parse(order_json, strlen(order_json), &st);
    struct order_in o;
    int test = -1;
    CHECK_INT(shopify_order_convert(j, &test_shop, a, &o, &test, &st), RS_OK);
    CHECK_STR(o.order_number, "1001");
    CHECK_STR(o.external_id, "5678901234567890123");
    CHECK_STR(o.source, "shopify");
    CHECK_INT(o.total, 3980);
    CHECK_STR(o.currency, "EUR");
    CHECK_INT(o.created_at, 1795514400LL); /* 10:00Z */
    CHECK_STR(o.email, "ada@example.com");
    CHECK_STR(o.phone, "+4520123456");
    CHECK_STR(o.customer_id, "7005551234567890123");
    CHECK_STR(o.cart_token, "tok123");
    CHECK_INT(test, 0);
    CHECK_INT(o.nitems, 2);
    CHECK_STR(o.items[0].variant_id, "45283937034345791");
    CHECK_STR(o.items[0].product_number, "TEE-RED-M");
    CHECK_INT(o.items[0].quantity, 2);
    CHECK_INT(o.items[0].price, 1990);
    CHECK(o.items[1].variant_id == NULL);
    json_decref(j);

    /* name without order_number; test flag; bad money named */
    static const struct {
        const char *json;
        int rc;
        const char *number, *msg;
        int test;
    } cases[] = {
        {"{\"id\":1,\"name\":\"#2002\",\"total_price\":\"1.00\",\"test\":true}", RS_OK, "2002",
         NULL, 1},
        {"{\"id\":1,\"total_price\":\"1.00\"}", RS_EINVAL, NULL, "order_number: required", 0},
        {"{\"order_number\":3,\"total_price\":\"1.001\"}", RS_EINVAL, NULL, "total_price", 0},
        {"{\"order_number\":3,\"currency\":\"XXY\"}", RS_EINVAL, NULL, "currency", 0},
        {"{\"order_number\":3,\"line_items\":[{\"quantity\":\"2\"}]}", RS_EINVAL, NULL,
         "line_items[0].quantity", 0},
        {"{\"order_number\":3,\"created_at\":\"yesterday\"}", RS_EINVAL, NULL, "created_at", 0},
        {"[1]", RS_EINVAL, NULL, "body", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rs_status s2 = {0};
        json_t *x = shopify_json_parse(cases[i].json, strlen(cases[i].json), &s2);
        int rc = shopify_order_convert(x, &test_shop, a, &o, &test, &s2);
        CHECK_INT(rc, cases[i].rc);
        if (cases[i].number && !rc) CHECK_STR(o.order_number, cases[i].number);
        if (!rc) CHECK_INT(test, cases[i].test);
        if (cases[i].msg) CHECK(strstr(s2.msg, cases[i].msg) != NULL);
        json_decref(x);
    }
    arena_free(a);
}

TEST(shopify_refund_and_product_conversion)
{
    struct arena *a = arena_new();
    struct rs_status st = {0};
    const char *refund =
        "{\"id\":509562969,\"order_id\":5678901234567890123,\"refund_line_items\":[{\"subtotal\":"
        "\"99.00\"}],\"transactions\":[{\"kind\":\"refund\",\"status\":\"success\",\"amount\":"
        "\"10.50\",\"currency\":\"EUR\"},{\"kind\":\"refund\",\"status\":\"failure\",\"amount\":"
        "\"5.00\"},{\"kind\":\"sale\",\"status\":\"success\",\"amount\":\"7.00\"},{\"kind\":"
        "\"refund\",\"status\":\"success\",\"amount\":\"1.25\"}]}";
    json_t *j = shopify_json_parse(refund, strlen(refund), &st);
    struct shopify_refund rf;
    CHECK_INT(shopify_refund_convert(j, &test_shop, a, &rf, &st), RS_OK);
    CHECK_STR(rf.order_id, "5678901234567890123");
    CHECK_STR(rf.refund_id, "509562969");
    CHECK_INT(rf.amount, 1175);
    CHECK_STR(rf.currency, "EUR");
    json_decref(j);
    const char *lines_only = "{\"order_id\":9,\"refund_line_items\":[{\"subtotal\":\"3.00\"},"
                             "{\"subtotal\":\"4.50\"}],\"transactions\":[]}";
    j = shopify_json_parse(lines_only, strlen(lines_only), &st);
    CHECK_INT(shopify_refund_convert(j, &test_shop, a, &rf, &st), RS_OK);
    CHECK_INT(rf.amount, 750);
    CHECK(rf.refund_id == NULL);
    json_decref(j);

    const char *product =
        "{\"id\":8934839023471932411,\"title\":\"Tee\",\"handle\":\"organic-tee\","
        "\"product_type\":\"Shirts\",\"image\":{\"src\":\"https://cdn.example/main.jpg\"},"
        "\"images\":[{\"id\":77,\"src\":\"https://cdn.example/v.jpg\",\"variant_ids\":[]}],"
        "\"variants\":[{\"id\":45283937034345791,\"inventory_item_id\":49148385181733801,"
        "\"title\":\"Default Title\",\"price\":\"19.90\",\"compare_at_price\":null,\"sku\":"
        "\"TEE\",\"inventory_quantity\":-2,\"image_id\":77},{\"id\":2,\"price\":\"5\","
        "\"compare_at_price\":\"6.00\",\"title\":\"Blue\"}]}";
    j = shopify_json_parse(product, strlen(product), &st);
    struct catalog_batch b = {.arena = a};
    CHECK_INT(shopify_product_convert(j, &test_shop, &b, &st), RS_OK);
    CHECK_INT(b.n, 2);
    const struct variant *v = &b.items[0].v;
    CHECK_STR(v->variant_id, "45283937034345791");
    CHECK_STR(v->product_id, "8934839023471932411");
    CHECK_STR(v->inventory_item_id, "49148385181733801");
    CHECK(v->variant_title == NULL); /* "Default Title" */
    CHECK_STR(v->url, "https://shop.example/products/organic-tee");
    CHECK_STR(v->image_url, "https://cdn.example/v.jpg");
    CHECK_INT(v->price, 1990);
    CHECK_INT(v->original_price, -1);
    CHECK_INT(v->available, 0); /* oversold counts as none */
    CHECK(!(b.items[0].has & VF_AVAILABLE));
    v = &b.items[1].v;
    CHECK_STR(v->variant_title, "Blue");
    CHECK_STR(v->image_url, "https://cdn.example/main.jpg");
    CHECK_INT(v->price, 500);
    CHECK_INT(v->original_price, 600);
    CHECK_INT(v->available, -1);
    json_decref(j);
    const char *bad = "{\"id\":1,\"handle\":\"../x\",\"variants\":[]}";
    j = shopify_json_parse(bad, strlen(bad), &st);
    CHECK_INT(shopify_product_convert(j, &test_shop, &b, &st), RS_EINVAL);
    CHECK(strstr(st.msg, "handle") != NULL);
    json_decref(j);
    arena_free(a);
}

/* ---- the seam, on a real store ------------------------------------------------------------ */

static struct {
    int creates, cancels, refunds;
    char number[32], token[32], email[64];
    int64_t total, refunded;
} rec;

static int rec_create(struct app *app, struct tx *tx, const struct shop *sh,
                      const struct order_in *o, int64_t now, struct rs_status *st)
{
    (void)app, (void)tx, (void)sh, (void)now, (void)st;
    rec.creates++;
    snprintf(rec.number, sizeof(rec.number), "%s", o->order_number);
    snprintf(rec.token, sizeof(rec.token), "%s", o->cart_token ? o->cart_token : "");
    snprintf(rec.email, sizeof(rec.email), "%s", o->email ? o->email : "");
    rec.total = o->total;
    return RS_OK;
}

static int rec_cancel(struct app *app, struct tx *tx, const struct shop *sh, const char *number,
                      int64_t at, struct rs_status *st)
{
    (void)app, (void)tx, (void)sh, (void)at, (void)st;
    rec.cancels++;
    snprintf(rec.number, sizeof(rec.number), "%s", number);
    return RS_OK;
}

static int rec_refund(struct app *app, struct tx *tx, const struct shop *sh, const char *number,
                      const char *refund_id, int64_t amount, const char *currency, int64_t at,
                      struct rs_status *st)
{
    (void)app, (void)tx, (void)sh, (void)at, (void)st, (void)currency, (void)refund_id;
    rec.refunds++;
    snprintf(rec.number, sizeof(rec.number), "%s", number);
    rec.refunded += amount;
    return RS_OK;
}

static const struct order_sink rec_sink = {rec_create, rec_cancel, rec_refund};

static int deliver(struct app *app, const struct shop *sh, const char *topic, const char *event,
                   const char *body, struct arena *a)
{
    struct shopify_hook h = {.app = app,
                             .shop = sh,
                             .topic = shopify_topic_parse(topic),
                             .topic_name = topic,
                             .event_id = event,
                             .now = 1795521600,
                             .arena = a};
    struct rs_status st = {0};
    int rc = shopify_parse(&h, body, strlen(body), &st);
    return rc ? rc : committer_run(app->cm, shopify_apply, &h, &st);
}

TEST(shopify_orders_reach_the_sink_once)
{
    char dir[] = "/tmp/restock-ingest-XXXXXX", db[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(db, sizeof(db), "%s/t.db", dir);
    char *argv[] = {"--db", db, "--log-format", "text"};
    struct config cfg;
    struct app app;
    struct rs_status st = {0};
    CHECK_INT(config_load(&cfg, 4, argv, &st), RS_OK);
    CHECK_INT(app_open(&app, &cfg, &st), RS_OK);
    struct arena *a = arena_new();
    struct shop sh;
    char key[API_KEY_MAX];
    struct shop_new in = {"Shop", "https://shop.example", "EUR", "Europe/Copenhagen"};
    CHECK_INT(shop_create(&app, &in, a, &sh, key, &st), RS_OK);
    memset(&rec, 0, sizeof(rec));

    /* no sink wired: acknowledged, nothing recorded */
    CHECK_INT(deliver(&app, &sh, "orders/create", "e0", order_json, a), RS_OK);
    CHECK_INT(rec.creates, 0);
    app.orders = &rec_sink;
    CHECK_INT(deliver(&app, &sh, "orders/create", "e1", order_json, a), RS_OK);
    CHECK_INT(deliver(&app, &sh, "orders/create", "e1", order_json, a), RS_OK); /* redelivery */
    CHECK_INT(rec.creates, 1);
    CHECK_STR(rec.number, "1001");
    CHECK_STR(rec.token, "tok123");
    CHECK_STR(rec.email, "ada@example.com");
    CHECK_INT(rec.total, 3980);
    CHECK_INT(deliver(&app, &sh, "orders/paid", "e2", order_json, a), RS_OK);
    CHECK_INT(rec.creates, 2); /* the sink keys orders by number: a second create is its no-op */
    const char *test_order = "{\"id\":1,\"order_number\":7,\"total_price\":\"1.00\",\"test\":true}";
    CHECK_INT(deliver(&app, &sh, "orders/create", "e3", test_order, a), RS_OK);
    CHECK_INT(rec.creates, 2);
    CHECK_INT(deliver(&app, &sh, "refunds/create", "e4",
                      "{\"order_id\":5678901234567890123,\"transactions\":[{\"kind\":\"refund\","
                      "\"status\":\"success\",\"amount\":\"19.90\"}]}",
                      a),
              RS_OK);
    CHECK_INT(rec.refunds, 1);
    CHECK_INT(rec.refunded, 1990);
    CHECK_INT(deliver(&app, &sh, "refunds/create", "e5",
                      "{\"order_id\":42,\"transactions\":[{\"kind\":\"refund\",\"status\":"
                      "\"success\",\"amount\":\"1.00\"}]}",
                      a),
              RS_OK);
    CHECK_INT(rec.refunds, 1); /* an order never received */
    CHECK_INT(deliver(&app, &sh, "orders/cancelled", "e6", order_json, a), RS_OK);
    CHECK_INT(rec.cancels, 1);
    CHECK_STR(rec.number, "1001");
    CHECK_INT(deliver(&app, &sh, "orders/create", "e7", "{\"order_number\":", a), RS_EJSON);

    arena_free(a);
    app_close(&app);
    config_free(&cfg);
    const char *const suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char p[96];
        snprintf(p, sizeof(p), "%s%s", db, suffix[i]);
        unlink(p);
    }
    rmdir(dir);
}

/* ---- feeds -------------------------------------------------------------------------------- */

struct collected {
    int n, bad;
    char ids[8][16];
    int64_t avail[8], price[8], orig[8];
    long lines[8];
};

static int collect(void *arg, struct variant_in *items, size_t n, struct arena **a,
                   struct rs_status *st)
{
    (void)a, (void)st;
    struct collected *c = arg;
    for (size_t i = 0; i < n && c->n < 8; i++, c->n++) {
        snprintf(c->ids[c->n], 16, "%s", items[i].v.variant_id);
        c->avail[c->n] = items[i].v.available;
        c->price[c->n] = items[i].v.price;
        c->orig[c->n] = items[i].v.original_price;
    }
    return RS_OK;
}

static void report(void *arg, long line, const char *msg)
{
    (void)msg;
    struct collected *c = arg;
    if (c->bad < 8) c->lines[c->bad] = line;
    c->bad++;
}

TEST(feed_rss_and_atom)
{
    const char *rss =
        "<?xml version=\"1.0\"?>\n"
        "<rss xmlns:g=\"http://base.google.com/ns/1.0\"><channel>\n"
        "<item><g:id>a</g:id><g:price>19.90 EUR</g:price>"
        "<g:availability>in stock</g:availability></item>\n"
        "<item><g:id>b</g:id><g:price>EUR 10</g:price><g:sale_price>8.00 EUR</g:sale_price>"
        "<g:availability>out of stock</g:availability></item>\n"
        "<item><g:id></g:id><g:availability>in stock</g:availability></item>\n"
        "<item><g:id>c</g:id><g:quantity>12</g:quantity></item>\n"
        "<item><g:id>d</g:id><g:availability>in stock</g:availability>"
        "<g:quantity>-1</g:quantity></item>\n"
        "<item><g:id>e</g:id><g:price>1.00 EUR</g:price><g:sale_price>1.00 USD</g:sale_price>"
        "<g:availability>in stock</g:availability></item>\n"
        "<item><g:id>f</g:id><g:link>javascript:alert(1)</g:link>"
        "<g:availability>in stock</g:availability></item>\n"
        "</channel></rss>\n";
    struct collected c = {0};
    struct feed_stats fs;
    struct feed_opts o = {.in_stock_default = 3, .batch = 2};
    struct rs_status st = {0};
    CHECK_INT(feed_parse_memory(rss, strlen(rss), &o, collect, report, &c, &fs, &st), RS_OK);
    CHECK_INT(fs.items, 3);
    CHECK_INT(fs.bad, 4);
    CHECK_INT(fs.batches, 2);
    CHECK_STR(c.ids[0], "a");
    CHECK_INT(c.avail[0], 3);
    CHECK_INT(c.price[0], 1990);
    CHECK_STR(c.ids[1], "b");
    CHECK_INT(c.avail[1], 0);
    CHECK_INT(c.price[1], 800);
    CHECK_INT(c.orig[1], 1000);
    CHECK_STR(c.ids[2], "c");
    CHECK_INT(c.avail[2], 12);
    CHECK_INT(c.lines[0], 5);
    CHECK_INT(c.lines[1], 7);
    CHECK_INT(c.lines[2], 8);
    CHECK_INT(c.lines[3], 9);

    const char *atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\" "
                       "xmlns:g=\"http://base.google.com/ns/1.0\">"
                       "<entry><g:id>x</g:id><link href=\"https://s.example/x\"/>"
                       "<g:availability>preorder</g:availability></entry>"
                       "<entry/></feed>";
    memset(&c, 0, sizeof(c));
    CHECK_INT(feed_parse_memory(atom, strlen(atom), NULL, collect, report, &c, &fs, &st), RS_OK);
    CHECK_INT(fs.items, 1);
    CHECK_INT(fs.bad, 1);
    CHECK_STR(c.ids[0], "x");

    const char *broken = "<rss><channel><item><g:id>x</g:id></item>\n<item>";
    CHECK_INT(feed_parse_memory(broken, strlen(broken), NULL, collect, report, &c, &fs, &st),
              RS_EINVAL);
    CHECK(strncmp(st.msg, "line ", 5) == 0);
    /* an external entity is never loaded */
    const char *xxe = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY e SYSTEM "
                      "\"file:///etc/passwd\">]><rss xmlns:g=\"http://base.google.com/ns/1.0\">"
                      "<channel><item><g:id>&e;</g:id><g:availability>in stock</g:availability>"
                      "</item></channel></rss>";
    memset(&c, 0, sizeof(c));
    feed_parse_memory(xxe, strlen(xxe), NULL, collect, report, &c, &fs, &st);
    CHECK(c.n == 0 || strstr(c.ids[0], "root") == NULL);
}
