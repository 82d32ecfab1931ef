/*
 * bench/fanout — the restock-to-inbox figures (issue 3), deterministic, in one run:
 *
 *   queue     N waiting email subscribers of one variant (default 1,000,000), then a restock:
 *             the time until every notification is queued, through restock's own fan-out
 *             (fanout_step, durable commits) — beside a plain batched SQLite insert of the same
 *             N rows into a table of the same shape and indexes, same pragmas, same batch size.
 *   deliver   M notifications (default 5,000) sent by restock's outbox workers (W, default 8,
 *             restock's default) to a local SMTP sink — beside a bare libcurl loop sending M
 *             messages of the same size over one connection to the same sink, and beside W
 *             such loops in W threads (the same concurrency). Each outbox worker makes every
 *             result durable before its next send (outbox.h), which is what the second ratio
 *             prices. (Needs --smtp-url.)
 *   rss       the process's peak resident set (VmHWM) after each phase.
 *
 * Usage: fanout [--subs N] [--chunk C] [--smtp-url smtp://127.0.0.1:PORT] [--mails M]
 *               [--workers W] [--dir DIR]
 */
#include <curl/curl.h>
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
#include "core/shop.h"
#include "deliver/email.h"
#include "deliver/outbox.h"
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
    fprintf(stderr, "fanout bench: %s: %s\n", what, st ? st->msg : "");
    exit(1);
}

/* ---- set-up: a shop, a sold-out variant, N waiting subscribers ------------------------------- */

struct fill {
    int64_t sid, from, to, now;
};

static int fill_job(struct tx *tx, void *arg, struct rs_status *st)
{
    struct fill *f = arg;
    char key[64];
    for (int64_t i = f->from; i < f->to; i++) {
        snprintf(key, sizeof(key), "p%lld@example.com", (long long)i);
        struct subscription s = {.sid = f->sid,
                                 .variant_id = "v1",
                                 .channel = CH_EMAIL,
                                 .status = SUB_WAITING,
                                 .contact_key = key,
                                 .email = key,
                                 .first_name = "Ada",
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

static void catalog(struct app *app, struct shop *sh, struct arena *a, const char *json,
                    int inventory, int64_t now)
{
    struct rs_status st = {0};
    struct catalog_batch b = {.shop = sh, .arena = a, .now = now};
    json_t *j = json_loads(json, 0, NULL);
    if ((inventory ? inventory_parse(&b, j, &st) : catalog_parse(&b, j, &st)) ||
        committer_run(app->cm, catalog_apply, &b, &st))
        die("catalog", &st);
    json_decref(j);
}

static void populate(struct app *app, struct shop *sh, struct arena *a, long n, int64_t now)
{
    catalog(app, sh, a,
            "[{\"variant_id\":\"v1\",\"title\":\"Organic Tee\",\"variant_title\":\"Red / M\","
            "\"url\":\"https://shop.example/products/tee\",\"price\":\"19.90\",\"available\":0}]",
            0, now);
    struct rs_status st = {0};
    for (long i = 0; i < n; i += 50000) {
        struct fill f = {sh->sid, i, i + 50000 < n ? i + 50000 : n, now};
        if (committer_run(app->cm, fill_job, &f, &st)) die("populate", &st);
    }
}

/* ---- queue: restock's fan-out ------------------------------------------------------------- */

static double queue_restock(struct app *app, struct shop *sh, struct arena *a, int chunk,
                            int64_t now, long *queued)
{
    double t0 = now_ms();
    catalog(app, sh, a, "[{\"variant_id\":\"v1\",\"available\":1000000}]", 1, now);
    struct fanout_stats fs = {0};
    struct rs_status st = {0};
    int found = 1;
    while (found)
        if (fanout_step(app, now, chunk, &fs, &found, &st)) die("fan-out", &st);
    *queued = fs.queued;
    return now_ms() - t0;
}

/* ---- queue: the baseline, a plain batched insert ------------------------------------------ */

static double queue_baseline(const char *path, long n, int chunk)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    unlink(path);
    if (sqlite3_open(path, &db) != SQLITE_OK) die("baseline open", NULL);
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-16000;"
                 "CREATE TABLE notifications(id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL,"
                 " subscription_id INTEGER NOT NULL, restock_id INTEGER NOT NULL,"
                 " campaign_id INTEGER NOT NULL, channel INTEGER NOT NULL,"
                 " status INTEGER NOT NULL, attempts INTEGER NOT NULL,"
                 " not_before INTEGER NOT NULL, lease_until INTEGER NOT NULL,"
                 " expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL,"
                 " sent_at INTEGER NOT NULL, segments INTEGER NOT NULL, reason TEXT);"
                 "CREATE UNIQUE INDEX k ON notifications(shop_id, restock_id, subscription_id);"
                 "CREATE INDEX d ON notifications(status, not_before) WHERE status IN (0, 2);",
                 NULL, NULL, NULL);
    sqlite3_prepare_v2(db,
                       "INSERT INTO notifications(shop_id, subscription_id, restock_id,"
                       " campaign_id, channel, status, attempts, not_before, lease_until,"
                       " expires_at, created_at, sent_at, segments, reason)"
                       " VALUES (1,?,1,1,0,0,0,1000,0,87400,1000,0,0,NULL)",
                       -1, &s, NULL);
    double t0 = now_ms();
    for (long i = 0; i < n;) {
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        for (long k = 0; k < chunk && i < n; k++, i++) {
            sqlite3_bind_int64(s, 1, i + 1);
            sqlite3_step(s);
            sqlite3_reset(s);
        }
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) die("baseline", NULL);
    }
    double ms = now_ms() - t0;
    sqlite3_finalize(s);
    sqlite3_close(db);
    return ms;
}

/* ---- deliver: settled (sent or failed) notifications
 * ------------------------------------------------------------------------------ */

static long count_sent(const char *db_path)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    long n = -1;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM notifications WHERE status <> 0", -1, &s,
                           NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return n;
}

struct bare {
    const char *url;
    const struct buf *msg;
    long n, failed;
};

static void *bare_loop(void *arg)
{
    struct bare *b = arg;
    struct smtp *s = smtp_new(b->url, "", "");
    for (long i = 0; i < b->n; i++) {
        struct send_result r;
        smtp_send(s, "shop@shop.example", "p1@example.com", b->msg, &r);
        if (r.outcome != SEND_OK) b->failed++;
    }
    smtp_free(s);
    return NULL;
}

/* The same number of messages, of restock's size, with a bare libcurl SMTP loop per thread. */
static double deliver_baseline(const char *url, long n, int workers, long *failed)
{
    struct email_msg em = {.from_name = "Shop",
                           .from_addr = "shop@shop.example",
                           .to_addr = "p1@example.com",
                           .subject = "Organic Tee is back in stock",
                           .text = "Hi Ada, Organic Tee (Red / M) is back: "
                                   "https://r.example/r/AAAAAAAAAAAAAAAAAAAAAAAAAA",
                           .html = "<p>Hi Ada, <a href=\"https://r.example/r/AAAAAAAAAAAAAAAAAAAA"
                                   "\">Organic Tee</a> is back.</p>",
                           .unsubscribe_url = "https://r.example/u/AAAAAAAAAAAAAAAAAAAAAAAAAA",
                           .message_id = "AAAAAAAAAAAAAAAAAAAAAAAAAA@restock",
                           .date = 1795521600};
    struct buf msg = BUF_INIT(0);
    email_build(&em, &msg);
    pthread_t t[64];
    struct bare b[64];
    double t0 = now_ms();
    for (int i = 0; i < workers; i++) {
        b[i] = (struct bare){url, &msg, n / workers + (i < n % workers), 0};
        pthread_create(&t[i], NULL, bare_loop, &b[i]);
    }
    *failed = 0;
    for (int i = 0; i < workers; i++) {
        pthread_join(t[i], NULL);
        *failed += b[i].failed;
    }
    buf_free(&msg);
    return now_ms() - t0;
}

/* ---- main --------------------------------------------------------------------------------- */

static void row(const char *name, long n, double ms, const char *base_name, double base_ms)
{
    double rate = n / (ms / 1e3), base = n / (base_ms / 1e3);
    printf("| %-34s | %9ld | %9.0f | %12.0f | %-28s | %12.0f | %5.2f |\n", name, n, ms, rate,
           base_name, base, rate / base);
}

int main(int argc, char **argv)
{
    long subs = 1000000, mails = 5000;
    int chunk = 8192, workers = 8;
    const char *smtp = NULL, *dir = "/tmp";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--subs") == 0) subs = strtol(argv[i + 1], NULL, 10);
        if (strcmp(argv[i], "--mails") == 0) mails = strtol(argv[i + 1], NULL, 10);
        if (strcmp(argv[i], "--chunk") == 0) chunk = (int)strtol(argv[i + 1], NULL, 10);
        if (strcmp(argv[i], "--workers") == 0) workers = (int)strtol(argv[i + 1], NULL, 10);
        if (strcmp(argv[i], "--smtp-url") == 0) smtp = argv[i + 1];
        if (strcmp(argv[i], "--dir") == 0) dir = argv[i + 1];
    }
    if (workers < 1 || workers > 64) workers = 8;
    char db[256], base_db[256], db2[256], wk[16];
    snprintf(db, sizeof(db), "%s/bench-fanout.db", dir);
    snprintf(base_db, sizeof(base_db), "%s/bench-baseline.db", dir);
    snprintf(db2, sizeof(db2), "%s/bench-deliver.db", dir);
    snprintf(wk, sizeof(wk), "%d", workers);
    const char *const suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char p[300];
        snprintf(p, sizeof(p), "%s%s", db, suffixes[i]);
        unlink(p);
        snprintf(p, sizeof(p), "%s%s", db2, suffixes[i]);
        unlink(p);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    printf("| %-34s | %9s | %9s | %12s | %-28s | %12s | %5s |\n", "what", "n", "ms", "per second",
           "baseline", "per second", "ratio");
    printf("|%s|%s|%s|%s|%s|%s|%s|\n", "------------------------------------", "-----------",
           "-----------", "--------------", "------------------------------", "--------------",
           "-------");

    /* queue */
    struct config cfg;
    struct app app;
    struct rs_status st = {0};
    char *qargv[] = {"--db", db, "--public-url", "https://r.example", "--log-format", "text"};
    if (config_load(&cfg, 6, qargv, &st) || app_open(&app, &cfg, &st)) die("open", &st);
    struct arena *a = arena_new();
    struct shop sh;
    char key[API_KEY_MAX];
    struct shop_new in = {"Bench", "https://shop.example", "EUR", "Europe/Copenhagen"};
    if (shop_create(&app, &in, a, &sh, key, &st)) die("shop", &st);
    populate(&app, &sh, a, subs, 1795521600);
    long rss_setup = peak_rss_kib();
    long queued = 0;
    double q_ms = queue_restock(&app, &sh, a, chunk, 1795521660, &queued);
    long rss_queue = peak_rss_kib();
    double b_ms = queue_baseline(base_db, subs, chunk);
    if (queued != subs) fprintf(stderr, "queued %ld of %ld\n", queued, subs);
    row("queue: restock fan-out", queued, q_ms, "batched SQLite INSERT", b_ms);
    app_close(&app);
    config_free(&cfg);

    /* deliver */
    long rss_deliver = -1;
    if (smtp) {
        char *dargv[] = {"--db",         db2,          "--public-url", "https://r.example",
                         "--smtp-url",   (char *)smtp, "--workers",    wk,
                         "--log-format", "text"};
        if (config_load(&cfg, 10, dargv, &st) || app_open(&app, &cfg, &st)) die("open", &st);
        if (shop_create(&app, &in, a, &sh, key, &st)) die("shop", &st);
        populate(&app, &sh, a, mails, now_s() - 60); /* delivery runs on the real clock */
        queue_restock(&app, &sh, a, chunk, now_s(), &queued);
        if (queued != mails) fprintf(stderr, "deliver: queued %ld of %ld\n", queued, mails);
        double t0 = now_ms();
        app.outbox = outbox_start(&app);
        while (count_sent(db2) < mails && now_ms() - t0 < 300e3)
            usleep(20000);
        double d_ms = now_ms() - t0;
        outbox_stop(app.outbox);
        rss_deliver = peak_rss_kib();
        long failed = 0;
        double bare1_ms = deliver_baseline(smtp, mails, 1, &failed);
        char name[64];
        snprintf(name, sizeof(name), "deliver: %d outbox workers -> SMTP", workers);
        row(name, mails, d_ms, "a bare libcurl SMTP loop", bare1_ms);
        double bare_ms = deliver_baseline(smtp, mails, workers, &failed);
        snprintf(name, sizeof(name), "%d bare libcurl loops", workers);
        row("", mails, d_ms, name, bare_ms);
        if (failed) fprintf(stderr, "baseline: %ld sends failed\n", failed);
        app_close(&app);
        config_free(&cfg);
    }
    printf("\npeak RSS (VmHWM): %ld KiB after set-up, %ld KiB after the fan-out", rss_setup,
           rss_queue);
    if (rss_deliver >= 0) printf(", %ld KiB after delivery", rss_deliver);
    printf("\n");
    arena_free(a);
    curl_global_cleanup();
    return 0;
}
