/*
 * test_report — the reports over the SQLite store (core/report.h, store.h's report_customers and
 * report_waiting): which notifications are rows, the conversion and order joined to each, keyset
 * pages, date ranges, and the demand report's ranking, units, revenue and waits. Attribution rows
 * (orders, conversions) are written with plain SQL, as migration 5 lays them out.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/report.h"
#include "store/commit.h"
#include "test.h"

struct renv {
    struct store *s;
    struct committer *cm;
    struct arena *a;
    struct shop shop, other;
    char path[64];
};

static int put_shop(struct tx *tx, void *arg, struct rs_status *st)
{
    (void)st;
    return tx->ops->shop_insert(tx->c, arg);
}

static int put_variant(struct tx *tx, void *arg, struct rs_status *st)
{
    (void)st;
    return tx->ops->variant_put(tx->c, arg);
}

static int put_sub(struct tx *tx, void *arg, struct rs_status *st)
{
    (void)st;
    return tx->ops->sub_insert(tx->c, arg);
}

static int put_notif(struct tx *tx, void *arg, struct rs_status *st)
{
    (void)st;
    return tx->ops->notification_insert(tx->c, arg);
}

static struct shop shop_named(const char *uuid, unsigned char key)
{
    struct shop sh = {.uuid = uuid,
                      .name = "S",
                      .url = "https://s.example",
                      .currency = "EUR",
                      .timezone = "UTC",
                      .locale = "en",
                      .sender_name = "S",
                      .sender_email = "",
                      .webhook_secret = "w",
                      .vapid_public = "p",
                      .vapid_private = "q",
                      .min_available = 1,
                      .low_stock_threshold = 5,
                      .subscription_ttl_days = 180,
                      .max_notifications = 3};
    memset(sh.api_key_hash, key, 32);
    return sh;
}

static void renv_open(struct renv *e)
{
    struct rs_status st = {0};
    snprintf(e->path, sizeof(e->path), "/tmp/restock_report_%d_%ld.db", (int)getpid(), random());
    CHECK_INT(store_sqlite.open(e->path, &e->s, &st), RS_OK);
    e->cm = committer_start(&store_sqlite, e->s);
    e->a = arena_new();
    e->shop = shop_named("11111111-2222-4333-8444-555555555555", 1);
    e->other = shop_named("21111111-2222-4333-8444-555555555555", 2);
    CHECK_INT(committer_run(e->cm, put_shop, &e->shop, &st), RS_OK);
    CHECK_INT(committer_run(e->cm, put_shop, &e->other, &st), RS_OK);
}

static void renv_close(struct renv *e)
{
    char p[96];
    committer_stop(e->cm);
    store_sqlite.close(e->s);
    arena_free(e->a);
    unlink(e->path);
    snprintf(p, sizeof(p), "%s-wal", e->path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", e->path);
    unlink(p);
}

static int64_t add_sub(struct renv *e, const struct shop *sh, const char *variant,
                       const char *email, int status, int64_t quantity, int64_t created)
{
    struct rs_status st = {0};
    struct subscription s = {.sid = sh->sid,
                             .variant_id = variant,
                             .channel = CH_EMAIL,
                             .status = status,
                             .contact_key = email,
                             .email = email,
                             .quantity = quantity,
                             .created_at = created,
                             .updated_at = created};
    CHECK_INT(committer_run(e->cm, put_sub, &s, &st), RS_OK);
    return s.id;
}

static int64_t add_notif(struct renv *e, const struct shop *sh, int64_t sub, int64_t restock,
                         int status, int64_t sent_at)
{
    struct rs_status st = {0};
    struct notification n = {.sid = sh->sid,
                             .subscription_id = sub,
                             .restock_id = restock,
                             .campaign_id = 1,
                             .channel = CH_EMAIL,
                             .status = status,
                             .created_at = sent_at ? sent_at - 5 : 1,
                             .sent_at = sent_at};
    CHECK_INT(committer_run(e->cm, put_notif, &n, &st), RS_OK);
    return n.id;
}

static void sql(struct renv *e, const char *q)
{
    sqlite3 *db = NULL;
    char *err = NULL;
    CHECK_INT(sqlite3_open(e->path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_exec(db, q, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "  sql: %s: %s\n", q, err);
        test_failures++;
    }
    sqlite3_free(err);
    sqlite3_close(db);
}

struct rows {
    struct customer_row r[16];
    int n;
};

static int keep_row(void *arg, const struct customer_row *row)
{
    struct rows *rs = arg;
    if (rs->n < 16) rs->r[rs->n++] = *row;
    return 0;
}

static struct rows read_rows(struct renv *e, struct report_filter f)
{
    struct rows rs = {0};
    struct store_conn *c = store_sqlite.reader(e->s);
    CHECK_INT(store_sqlite.report_customers(c, &f, e->a, keep_row, &rs), RS_OK);
    store_sqlite.reader_release(e->s);
    return rs;
}

TEST(report_customers_rows)
{
    struct renv e;
    struct rs_status st = {0};
    renv_open(&e);
    struct variant tee = {.sid = e.shop.sid,
                          .variant_id = "4471",
                          .title = "Tee",
                          .variant_title = "Red",
                          .price = 1990,
                          .original_price = -1,
                          .available = 5};
    CHECK_INT(committer_run(e.cm, put_variant, &tee, &st), RS_OK);
    int64_t ada = add_sub(&e, &e.shop, "4471", "ada@example.com", SUB_NOTIFIED, 1, 100);
    int64_t bob = add_sub(&e, &e.shop, "4471", "bob@example.com", SUB_NOTIFIED, 1, 110);
    int64_t cy = add_sub(&e, &e.shop, "gone", "cy@example.com", SUB_NOTIFIED, 1, 120);
    int64_t eve = add_sub(&e, &e.other, "4471", "eve@example.com", SUB_NOTIFIED, 1, 130);
    int64_t n1 = add_notif(&e, &e.shop, ada, 1, N_SENT, 1000);
    add_notif(&e, &e.shop, ada, 0, N_SENT, 1001); /* a double opt-in confirmation: not a row */
    int64_t n2 = add_notif(&e, &e.shop, bob, 1, N_SENT, 2000);
    add_notif(&e, &e.shop, cy, 1, N_QUEUED, 0); /* not sent: not a row */
    int64_t n3 = add_notif(&e, &e.shop, cy, 2, N_SENT, 86400 + 5);
    add_notif(&e, &e.other, eve, 3, N_SENT, 1500); /* another shop's */
    char q[1024];
    snprintf(q, sizeof(q),
             "UPDATE notifications SET opened_at = 1100, clicked_at = 1200 WHERE id = %lld;"
             "INSERT INTO orders(id, shop_id, order_number, source, total, currency, created_at,"
             " status, received_at) VALUES (7, %lld, 'A-1', 'api', 3980, 'EUR', 1300, 0, 1300),"
             " (8, %lld, 'A-2', 'api', 1990, 'EUR', 2300, 0, 2300);"
             "INSERT INTO conversions(shop_id, notification_id, campaign_id, order_id, kind,"
             " amount, refunded, currency, status, at, created_at) VALUES"
             " (%lld, %lld, 1, 7, 0, 3980, 980, 'EUR', 0, 1300, 1300),"
             " (%lld, %lld, 1, 8, 1, 1990, 0, 'EUR', 1, 2300, 2300),"
             " (%lld, %lld, 1, 0, 1, 2500, 0, 'EUR', 0, 86400 + 50, 86400 + 50);",
             (long long)n1, (long long)e.shop.sid, (long long)e.shop.sid, (long long)e.shop.sid,
             (long long)n1, (long long)e.shop.sid, (long long)n2, (long long)e.shop.sid,
             (long long)n3);
    sql(&e, q);

    struct rows rs = read_rows(&e, (struct report_filter){.sid = e.shop.sid, .limit = 100});
    CHECK_INT(rs.n, 3);
    CHECK_INT(rs.r[0].notification_id, n1);
    CHECK_STR(rs.r[0].contact, "ada@example.com");
    CHECK_STR(rs.r[0].product_title, "Tee");
    CHECK_INT(rs.r[0].signed_up, 100);
    CHECK_INT(rs.r[0].sent_at, 1000);
    CHECK_INT(rs.r[0].opened_at, 1100);
    CHECK_INT(rs.r[0].clicked_at, 1200);
    CHECK_INT(rs.r[0].conversion, 0);
    CHECK_STR(rs.r[0].order_number, "A-1");
    CHECK_INT(rs.r[0].order_total, 3980);
    CHECK_INT(rs.r[0].order_at, 1300);
    CHECK_INT(rs.r[0].order_refunded, 980);
    CHECK_INT(rs.r[1].notification_id, n2); /* its conversion was cancelled */
    CHECK_INT(rs.r[1].conversion, -1);
    CHECK(rs.r[1].order_number == NULL);
    CHECK_INT(rs.r[1].order_total, -1);
    CHECK_INT(rs.r[2].notification_id, n3); /* a variant the catalog no longer has */
    CHECK(rs.r[2].product_title == NULL);
    CHECK_STR(rs.r[2].variant_id, "gone");
    CHECK_INT(rs.r[2].conversion, 1); /* a goal event's: no order, the conversion's value */
    CHECK(rs.r[2].order_number == NULL);
    CHECK_INT(rs.r[2].order_total, 2500);
    CHECK_INT(rs.r[2].order_at, 86400 + 50);
    CHECK_STR(rs.r[2].order_currency, "EUR");

    /* keyset pages and the sent_at range [from, to) */
    rs = read_rows(&e, (struct report_filter){.sid = e.shop.sid, .limit = 2});
    CHECK_INT(rs.n, 2);
    rs = read_rows(&e, (struct report_filter){.sid = e.shop.sid, .after_id = n2, .limit = 2});
    CHECK_INT(rs.n, 1);
    CHECK_INT(rs.r[0].notification_id, n3);
    rs = read_rows(&e, (struct report_filter){.sid = e.shop.sid, .from = 1001, .limit = 9});
    CHECK_INT(rs.n, 2);
    rs = read_rows(&e, (struct report_filter){.sid = e.shop.sid, .to = 2000, .limit = 9});
    CHECK_INT(rs.n, 1);
    rs = read_rows(&e, (struct report_filter){.sid = e.other.sid, .limit = 9});
    CHECK_INT(rs.n, 1);
    CHECK_STR(rs.r[0].contact, "eve@example.com");

    /* the CSV pages: header + every row once, after_id advanced */
    struct buf out = BUF_INIT(0);
    struct report_filter f = {.sid = e.shop.sid, .limit = 2};
    struct tx tx = {&store_sqlite, store_sqlite.reader(e.s)};
    int n = 0, pages = 0;
    do {
        CHECK_INT(report_csv_page(&tx, &f, e.a, &out, &n), RS_OK);
        pages++;
    } while (n == f.limit && pages < 10);
    store_sqlite.reader_release(e.s);
    CHECK_INT(pages, 2);
    CHECK_INT(f.after_id, n3);
    CHECK(strstr(out.p, "ada@example.com,email,4471,Tee,Red,1970-01-01T00:01:40Z,"
                        "1970-01-01T00:16:40Z,1970-01-01T00:18:20Z,1970-01-01T00:20:00Z,direct,"
                        "A-1,1970-01-01T00:21:40Z,39.80,EUR,9.80,30.00\r\n") == out.p);
    buf_free(&out);
    renv_close(&e);
}

TEST(report_demand_ranking)
{
    struct renv e;
    struct rs_status st = {0};
    renv_open(&e);
    struct variant boot = {.sid = e.shop.sid,
                           .variant_id = "boot",
                           .title = "Boot",
                           .price = 12900,
                           .original_price = -1,
                           .available = 0};
    struct variant cap = {.sid = e.shop.sid,
                          .variant_id = "cap",
                          .title = "Cap",
                          .price = -1, /* no price: no potential revenue */
                          .original_price = -1,
                          .available = 0};
    CHECK_INT(committer_run(e.cm, put_variant, &boot, &st), RS_OK);
    CHECK_INT(committer_run(e.cm, put_variant, &cap, &st), RS_OK);
    add_sub(&e, &e.shop, "cap", "a@x.example", SUB_WAITING, 5, 900);
    add_sub(&e, &e.shop, "boot", "a@x.example", SUB_WAITING, 1, 100);
    add_sub(&e, &e.shop, "boot", "b@x.example", SUB_WAITING, 2, 400);
    add_sub(&e, &e.shop, "boot", "c@x.example", SUB_WAITING, 1, 200);
    add_sub(&e, &e.shop, "boot", "d@x.example", SUB_NOTIFIED, 1, 50); /* not waiting */
    add_sub(&e, &e.shop, "boot", "e@x.example", SUB_PENDING, 1, 60);  /* not waiting */
    add_sub(&e, &e.other, "boot", "f@x.example", SUB_WAITING, 1, 70); /* another shop */
    add_sub(&e, &e.shop, "cap", "b@x.example", SUB_WAITING, 1, 700);
    struct tx tx = {&store_sqlite, store_sqlite.reader(e.s)};
    json_t *out = NULL;
    CHECK_INT(report_demand(&tx, &e.shop, 1000, 10, e.a, &out), RS_OK);
    store_sqlite.reader_release(e.s);
    char *s = json_dumps(out, JSON_COMPACT);
    CHECK_STR(s, "{\"data\":[{\"variant_id\":\"boot\",\"product_title\":\"Boot\","
                 "\"variant_title\":null,\"url\":null,\"image_url\":null,\"status\":\"sold_out\","
                 "\"available\":0,\"price\":\"129.00\",\"currency\":\"EUR\",\"waiting\":3,"
                 "\"waiting_units\":4,\"potential_revenue\":\"516.00\","
                 "\"last_signup_at\":\"1970-01-01T00:06:40Z\",\"median_wait_seconds\":800,"
                 "\"longest_wait_seconds\":900},{\"variant_id\":\"cap\",\"product_title\":\"Cap\","
                 "\"variant_title\":null,\"url\":null,\"image_url\":null,\"status\":\"sold_out\","
                 "\"available\":0,\"price\":null,\"currency\":\"EUR\",\"waiting\":2,"
                 "\"waiting_units\":6,\"potential_revenue\":null,"
                 "\"last_signup_at\":\"1970-01-01T00:15:00Z\",\"median_wait_seconds\":200,"
                 "\"longest_wait_seconds\":300}]}");
    free(s);
    json_decref(out);
    tx.c = store_sqlite.reader(e.s);
    CHECK_INT(report_demand(&tx, &e.shop, 1000, 1, e.a, &out), RS_OK);
    store_sqlite.reader_release(e.s);
    CHECK_INT(json_array_size(json_object_get(out, "data")), 1);
    json_decref(out);
    renv_close(&e);
}
