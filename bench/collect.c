/*
 * bench/collect — orders in with attribution against a large outbox (issue 4), deterministic:
 *
 *   build     a shop with V variants (default 1,000) and N waiting email subscribers (default
 *             1,000,000, N / V per variant), built through the store's operations; every
 *             variant restocked and fanned out by restock's own fan-out (N queued
 *             notifications), then every notification marked sent a day ago (one UPDATE on the
 *             file, which the stats rollup's triggers count)
 *   inprocess M orders (default 100,000; 0 skips) through order_apply on the group committer,
 *             WINDOW jobs in flight (default 256), each from a distinct order number and a
 *             buyer picked by a fixed sequence over the N contacts, naming her variant by
 *             product number: the core's ceiling, with no HTTP
 *   stats     GET /v1/stats's work (stats_query on a reader) for the 90 days up to today, 20
 *             times: average and worst milliseconds
 *   rss       the process's peak resident set (VmHWM)
 *
 * The database is left at DIR/collect.db for bench/collect.sh, which drives the real endpoint
 * with wrk. Prints KEY=VALUE lines (SHOP, N, V, times) for it.
 *
 * Usage: collect [--subs N] [--variants V] [--orders M] [--window W] [--dir DIR] [--reuse K]
 * (--reuse K: skip the build and attribute M more orders, numbered R<K>-n, on DIR/collect.db)
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/app.h"
#include "core/catalog.h"
#include "core/fanout.h"
#include "core/order.h"
#include "core/shop.h"
#include "core/stats.h"
#include "util/buf.h"
#include "util/timeutil.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long peak_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmHWM:", 6) == 0) kib = strtol(line + 6, NULL, 10);
    if (f) fclose(f);
    return kib;
}

static void die(const char *what, const struct rs_status *st)
{
    fprintf(stderr, "collect bench: %s: %s\n", what, st ? st->msg : "");
    exit(1);
}

/* ---- build ------------------------------------------------------------------------------- */

struct fill {
    int64_t sid, from, to, now;
    long variants;
};

static int fill_job(struct tx *tx, void *arg, struct rs_status *st)
{
    struct fill *f = arg;
    char key[64], vid[32];
    for (int64_t i = f->from; i < f->to; i++) {
        snprintf(key, sizeof(key), "p%lld@bench.example", (long long)i);
        snprintf(vid, sizeof(vid), "v%lld", (long long)(i % f->variants));
        struct subscription s = {.sid = f->sid,
                                 .variant_id = vid,
                                 .channel = CH_EMAIL,
                                 .status = SUB_WAITING,
                                 .contact_key = key,
                                 .email = key,
                                 .locale = "en",
                                 .source = "api",
                                 .quantity = 1,
                                 .created_at = f->now,
                                 .updated_at = f->now};
        int rc = tx->ops->sub_insert(tx->c, &s);
        if (rc) return rs_fail(st, rc, "insert subscriber %lld", (long long)i);
    }
    return RS_OK;
}

/* The catalog (inventory 0) or an inventory update (available n) of every variant. */
static void variants(struct app *app, struct shop *sh, struct arena *a, long v, int available,
                     int64_t now)
{
    for (long from = 0; from < v; from += 500) {
        struct buf j = BUF_INIT(0);
        buf_puts(&j, "[");
        for (long k = from; k < v && k < from + 500; k++) {
            char item[256];
            if (available)
                snprintf(item, sizeof(item), "%s{\"variant_id\":\"v%ld\",\"available\":%d}",
                         k > from ? "," : "", k, available);
            else
                snprintf(item, sizeof(item),
                         "%s{\"variant_id\":\"v%ld\",\"product_number\":\"SKU-%ld\","
                         "\"title\":\"Tee %ld\",\"url\":\"https://bench.example/p/%ld\","
                         "\"price\":\"19.90\",\"available\":0}",
                         k > from ? "," : "", k, k, k, k);
            buf_puts(&j, item);
        }
        buf_puts(&j, "]");
        struct rs_status st = {0};
        struct catalog_batch b = {.shop = sh, .arena = a, .now = now};
        json_t *o = json_loads(j.p, 0, NULL);
        if ((available ? inventory_parse(&b, o, &st) : catalog_parse(&b, o, &st)) ||
            committer_run(app->cm, catalog_apply, &b, &st))
            die("catalog", &st);
        json_decref(o);
        buf_free(&j);
    }
}

static void mark_sent(const char *path, int64_t at)
{
    sqlite3 *db;
    char q[128];
    /* spread over the 9 days before `at`, one 15-minute slot after another: every one within
     * the default 10-day goal window, and the stats rollup with a realistic number of slots */
    snprintf(q, sizeof(q),
             "UPDATE notifications SET status = 1, sent_at = %lld - (id %% 864) * 900,"
             " attempts = 1",
             (long long)at);
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA cache_size=-64000", NULL, NULL, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(db, q, NULL, NULL, NULL) != SQLITE_OK)
        die("mark sent", NULL);
    sqlite3_close(db);
}

/* ---- stats: GET /v1/stats's work for the 90 days up to today, on a reader ------------------ */

static void stats_90(struct app *app, struct shop *sh, double *avg, double *max)
{
    int64_t today = now_s() / 86400;
    int y, m, d;
    char from[16], to[16];
    civil_from_days(today - 89, &y, &m, &d);
    snprintf(from, sizeof(from), "%04d-%02d-%02d", y, m, d);
    civil_from_days(today, &y, &m, &d);
    snprintf(to, sizeof(to), "%04d-%02d-%02d", y, m, d);
    *avg = *max = 0;
    for (int i = 0; i < 20; i++) {
        struct arena *a = arena_new();
        struct rs_status st = {0};
        json_t *out = NULL;
        double t0 = now_ms();
        struct tx tx = {app->ops, app->ops->reader(app->store)};
        if (stats_query(&tx, sh, from, to, 0, a, &out, &st)) die("stats", &st);
        app->ops->reader_release(app->store);
        double ms = now_ms() - t0;
        *avg += ms / 20;
        if (ms > *max) *max = ms;
        json_decref(out);
        arena_free(a);
    }
}

/* ---- in-process orders ---------------------------------------------------------------------- */

struct slot {
    struct store_job job;
    struct order_job oj;
    struct order_item item;
    char number[32], email[64], sku[32];
};

static int order_prefix; /* --reuse: order numbers R<prefix>-n, else B-n */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long pending, converted, failed;

static int slot_run(struct tx *tx, void *arg, struct rs_status *st)
{
    struct slot *s = arg;
    return order_apply(tx, &s->oj, st);
}

static void slot_done(struct store_job *job)
{
    struct slot *s = job->arg;
    pthread_mutex_lock(&mu);
    converted += s->oj.converted;
    failed += job->status.err != RS_OK;
    if (--pending == 0) pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

static double orders(struct app *app, struct shop *sh, long n, long m, long variants, int window,
                     long *conv)
{
    struct slot *slots = calloc((size_t)window, sizeof(*slots));
    double t0 = now_ms();
    int64_t at = now_s();
    for (long done = 0; done < m;) {
        struct arena *a = arena_new();
        int k = 0;
        pthread_mutex_lock(&mu);
        pending = m - done < window ? m - done : window;
        pthread_mutex_unlock(&mu);
        for (; k < window && done < m; k++, done++) {
            struct slot *s = &slots[k];
            long who = (long)((done * 7919 + 17 + (long)order_prefix * 1000003) % n);
            if (order_prefix)
                snprintf(s->number, sizeof(s->number), "R%d-%ld", order_prefix, done);
            else
                snprintf(s->number, sizeof(s->number), "B-%ld", done);
            snprintf(s->email, sizeof(s->email), "p%ld@bench.example", who);
            snprintf(s->sku, sizeof(s->sku), "SKU-%ld", who % variants);
            s->item = (struct order_item){.product_number = s->sku, .quantity = 1};
            s->oj = (struct order_job){.app = app, .shop = sh, .arena = a};
            s->oj.in = (struct order){.order_number = s->number,
                                      .source = "bench",
                                      .currency = "EUR",
                                      .total = 1990,
                                      .created_at = at,
                                      .received_at = at,
                                      .email = s->email,
                                      .items = &s->item,
                                      .nitems = 1};
            s->job = (struct store_job){.run = slot_run, .done = slot_done, .arg = s};
        }
        for (int i = 0; i < k; i++) {
            slots[i].job.arg = &slots[i];
            committer_submit(app->cm, &slots[i].job);
        }
        pthread_mutex_lock(&mu);
        while (pending)
            pthread_cond_wait(&cv, &mu);
        pthread_mutex_unlock(&mu);
        arena_free(a);
    }
    free(slots);
    *conv = converted;
    if (failed) die("orders failed", NULL);
    return now_ms() - t0;
}

int main(int argc, char **argv)
{
    long n = 1000000, v = 1000, m = 100000;
    int window = 256, reuse = 0;
    const char *dir = "/tmp";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--subs") == 0)
            n = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--variants") == 0)
            v = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--orders") == 0)
            m = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--window") == 0)
            window = (int)strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--dir") == 0)
            dir = argv[i + 1];
        else if (strcmp(argv[i], "--reuse") == 0)
            reuse = (int)strtol(argv[i + 1], NULL, 10);
        else
            die("unknown option", NULL);
    }
    if (n < 1 || v < 1 || v > n || window < 1) die("bad arguments", NULL);
    char db[512];
    snprintf(db, sizeof(db), "%s/collect.db", dir);
    if (!reuse) unlink(db);
    char *cargv[] = {"--db", db, "--log-format", "text"};
    struct config cfg;
    struct app app;
    struct rs_status st = {0};
    if (config_load(&cfg, 4, cargv, &st) || app_open(&app, &cfg, &st)) die("open", &st);
    struct arena *a = arena_new();
    struct shop sh;
    char key[API_KEY_MAX];
    struct shop_new in = {"Bench", "https://bench.example", "EUR", "UTC"};
    int64_t now = now_s() - 2 * 86400;
    struct fanout_stats fs = {0};
    double t_subs = 0, t_fan = 0, t_sent = 0;
    if (reuse) { /* orders again on a database built before: order numbers R<reuse>-... */
        struct store_conn *c = app.ops->reader(app.store);
        if (!c || app.ops->shop_by_sid(c, 1, a, &sh)) die("reuse: no shop 1", NULL);
        app.ops->reader_release(app.store);
        order_prefix = reuse;
        goto orders;
    }
    if (shop_create(&app, &in, a, &sh, key, &st)) die("shop", &st);

    double t0 = now_ms();
    variants(&app, &sh, a, v, 0, now);
    for (long i = 0; i < n; i += 50000) {
        struct fill f = {sh.sid, i, i + 50000 < n ? i + 50000 : n, now, v};
        if (committer_run(app.cm, fill_job, &f, &st)) die("subscribers", &st);
    }
    t_subs = now_ms() - t0;
    t0 = now_ms();
    variants(&app, &sh, a, v, 10, now + 60);
    int found = 1;
    while (found)
        if (fanout_step(&app, now + 60, 0, &fs, &found, &st)) die("fan-out", &st);
    t_fan = now_ms() - t0;
    app_close(&app);
    t0 = now_ms();
    mark_sent(db, now + 120);
    t_sent = now_ms() - t0;

    if (app_open(&app, &cfg, &st)) die("reopen", &st);
orders:;
    long conv = 0;
    unsigned long commits0 = committer_commits(app.cm);
    double t_orders = m ? orders(&app, &sh, n, m, v, window, &conv) : 0;
    unsigned long commits = committer_commits(app.cm) - commits0;
    double s_avg, s_max;
    stats_90(&app, &sh, &s_avg, &s_max);
    app_close(&app);
    config_free(&cfg);

    printf("SHOP=%s\nSUBS=%ld\nVARIANTS=%ld\nQUEUED=%ld\n", sh.uuid, n, v, fs.queued);
    printf("BUILD_SUBS_MS=%.0f\nBUILD_FANOUT_MS=%.0f\nBUILD_SENT_MS=%.0f\n", t_subs, t_fan, t_sent);
    if (m)
        printf("INPROCESS_ORDERS=%ld\nINPROCESS_MS=%.0f\nINPROCESS_RATE=%.0f\n"
               "INPROCESS_CONVERSIONS=%ld\nINPROCESS_COMMITS=%lu\n",
               m, t_orders, m / (t_orders / 1000.0), conv, commits);
    printf("STATS_90D_AVG_MS=%.2f\nSTATS_90D_MAX_MS=%.2f\n", s_avg, s_max);
    printf("RSS_KIB=%ld\n", peak_rss_kib());
    arena_free(a);
    return 0;
}
