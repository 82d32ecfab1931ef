/*
 * main — the restock command line (SPEC §3): a thin front end over the core.
 *
 *   restock serve [--db DB] [--listen HOST:PORT] [--config FILE] [--demo] [options]
 *   restock shop add --name NAME --url URL [--currency EUR] [--timezone ZONE] [--db DB]
 *   restock shop key --shop ID [--db DB]
 *   restock export customers --shop ID [--from DATE] [--to DATE] [--db DB]
 *   restock import-feed --shop ID [--in-stock N] [--db DB] FILE
 *   restock import-orders --shop ID FILE [--db DB]
 *   restock COMMAND --help
 *   restock --help | --version
 *
 * Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad input; every failure prints one
 * line on stderr saying what and why.
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/app.h"
#include "core/demo.h"
#include "core/fanout.h"
#include "core/order.h"
#include "core/order_import.h"
#include "core/report.h"
#include "core/shop.h"
#include "deliver/outbox.h"
#include "http/server.h"
#include "ingest/feed.h"
#include "ingest/feed_fetch.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/timeutil.h"

#define RESTOCK_VERSION "0.1.0"

static int exit_code(int err)
{
    return err == RS_EUSAGE || err == RS_EINVAL ? 2 : 1;
}

static int die(const struct rs_status *st)
{
    fprintf(stderr, "restock: %s\n", st->msg[0] ? st->msg : rs_strerror(st->err));
    return exit_code(st->err);
}

static int cmd_serve(int argc, char **argv)
{
    struct config cfg;
    struct app app;
    struct rs_status st = {0};
    if (config_load(&cfg, argc, argv, &st)) return die(&st);
    log_init(cfg.log_format);
    /* SIGINT and SIGTERM are taken by sigwait below, so blocked before any thread starts (the
     * store's and the committer's too), which inherit the mask: only the main thread ever gets
     * them. After the first, the main thread unblocks them: a second ends the process at once
     * (nothing answered is lost by that, as with any crash). */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (app_open(&app, &cfg, &st)) {
        config_free(&cfg);
        return die(&st);
    }
    int rc = 0;
    struct feed_fetcher *feeds = NULL;
    if (cfg.demo) {
        char key[API_KEY_MAX], id[40];
        enum demo_state demo;
        if (demo_seed(&app, &demo, key, id, &st)) {
            rc = die(&st);
            goto out;
        }
        if (demo == DEMO_CREATED)
            log_msg(LOG_INFO, "demo shop %s created; its API key is %s (shown once)", id, key);
        else if (demo == DEMO_FOUND)
            log_msg(LOG_INFO,
                    "demo shop %s exists; its API key was shown once, when it was created: "
                    "restock shop key --shop %s --db %s gives it a new one (and ends the old)",
                    id, id, cfg.db);
        else
            log_msg(LOG_INFO, "--demo: the database has shops, none of them the demo shop's: "
                              "no demo shop created");
    }
    app.outbox = outbox_start(&app);
    app.fanout = fanout_start(&app);
    feeds = feed_fetcher_start(&app);
    struct http_server *srv = http_start(&app, &st);
    if (!srv) {
        rc = die(&st);
        goto out;
    }
    log_msg(LOG_INFO, "restock %s listening on http://%s (store: %s %s)", RESTOCK_VERSION,
            cfg.listen, app.ops->name, cfg.db);
    int sig = 0;
    sigwait(&set, &sig);
    log_msg(LOG_INFO, "signal %d: stopping", sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    http_stop(srv);
out:
    feed_fetcher_stop(feeds);
    fanout_stop(app.fanout);
    outbox_stop(app.outbox);
    app_close(&app);
    config_free(&cfg);
    log_flush();
    return rc;
}

static int cmd_shop_add(int argc, char **argv)
{
    struct shop_new in = {0};
    const char *db = NULL;
    struct rs_status st = {0};
    for (int i = 0; i < argc; i++) {
        const char **slot = strcmp(argv[i], "--name") == 0       ? &in.name
                            : strcmp(argv[i], "--url") == 0      ? &in.url
                            : strcmp(argv[i], "--currency") == 0 ? &in.currency
                            : strcmp(argv[i], "--timezone") == 0 ? &in.timezone
                            : strcmp(argv[i], "--db") == 0       ? &db
                                                                 : NULL;
        if (!slot)
            return rs_fail(&st, RS_EUSAGE, "shop add: unexpected argument %s", argv[i]), die(&st);
        if (i + 1 >= argc)
            return rs_fail(&st, RS_EUSAGE, "shop add: %s needs a value", argv[i]), die(&st);
        *slot = argv[++i];
    }
    if (!in.name || !in.url)
        return rs_fail(&st, RS_EUSAGE, "shop add: --name and --url are required"), die(&st);
    char *cargv[] = {"--db", (char *)db};
    struct config cfg;
    struct app app;
    if (config_load(&cfg, db ? 2 : 0, cargv, &st)) return die(&st);
    log_init(cfg.log_format);
    if (app_open(&app, &cfg, &st)) {
        config_free(&cfg);
        return die(&st);
    }
    struct arena *a = arena_new();
    struct shop sh;
    char key[API_KEY_MAX];
    int rc = shop_create(&app, &in, a, &sh, key, &st);
    if (rc == RS_OK) {
        json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "id", sh.uuid, "api_key", key, "webhook_secret",
                              sh.webhook_secret, "vapid_public_key", sh.vapid_public);
        char *s = json_dumps(o, JSON_COMPACT);
        printf("%s\n", s);
        free(s);
        json_decref(o);
    }
    arena_free(a);
    app_close(&app);
    config_free(&cfg);
    return rc ? die(&st) : 0;
}

/* A new API key for an existing shop, from the machine that owns its database: the way to a
 * working key when the one shown at creation (the demo shop's, in a log) is lost. */
static int cmd_shop_key(int argc, char **argv)
{
    const char *db = NULL, *shop = NULL;
    struct rs_status st = {0};
    for (int i = 0; i < argc; i++) {
        const char **slot = strcmp(argv[i], "--shop") == 0 ? &shop
                            : strcmp(argv[i], "--db") == 0 ? &db
                                                           : NULL;
        if (!slot)
            return rs_fail(&st, RS_EUSAGE, "shop key: unexpected argument %s", argv[i]), die(&st);
        if (i + 1 >= argc)
            return rs_fail(&st, RS_EUSAGE, "shop key: %s needs a value", argv[i]), die(&st);
        *slot = argv[++i];
    }
    if (!shop) return rs_fail(&st, RS_EUSAGE, "shop key: --shop is required"), die(&st);
    if (!uuid_valid(shop))
        return rs_fail(&st, RS_EUSAGE, "shop key: --shop: not a shop id (UUID)"), die(&st);
    char *cargv[] = {"--db", (char *)db};
    struct config cfg;
    struct app app;
    if (config_load(&cfg, db ? 2 : 0, cargv, &st)) return die(&st);
    log_init(cfg.log_format);
    if (app_open(&app, &cfg, &st)) {
        config_free(&cfg);
        return die(&st);
    }
    struct arena *a = arena_new();
    char *uuid = arena_strdup(a, shop), key[API_KEY_MAX];
    uuid_lower(uuid);
    struct shop sh;
    int rc = shop_new_key(&app, uuid, a, &sh, key, &st);
    if (rc == RS_OK) {
        json_t *o = json_pack("{s:s,s:s}", "id", sh.uuid, "api_key", key);
        char *s = json_dumps(o, JSON_COMPACT);
        printf("%s\n", s);
        free(s);
        json_decref(o);
    } else if (rc == RS_ENOTFOUND) {
        rs_fail(&st, RS_EINVAL, "shop key: --shop: no shop %s", uuid);
    } else {
        struct rs_status why = st;
        rs_fail(&st, why.err, "shop key: %s", why.msg);
    }
    arena_free(a);
    app_close(&app);
    config_free(&cfg);
    return rc ? die(&st) : 0;
}

static void feed_line(void *arg, long line, const char *msg)
{
    (void)arg;
    fprintf(stderr, "restock: import-feed: line %ld: %s (item skipped)\n", line, msg);
}

/* Streams the feed into the shop's catalog, one durable batch at a time; bad items are reported
 * on stderr and skipped (exit 0); a feed that is not well-formed XML is exit 2 (items before
 * the error stay applied), as is a FILE that cannot be opened or is a directory. */
static int cmd_import_feed(int argc, char **argv)
{
    const char *db = NULL, *shop = NULL, *file = NULL, *in_stock = NULL;
    struct rs_status st = {0};
    for (int i = 0; i < argc; i++) {
        const char **slot = strcmp(argv[i], "--shop") == 0       ? &shop
                            : strcmp(argv[i], "--db") == 0       ? &db
                            : strcmp(argv[i], "--in-stock") == 0 ? &in_stock
                                                                 : NULL;
        if (!slot) {
            if (argv[i][0] == '-' || file)
                return rs_fail(&st, RS_EUSAGE, "import-feed: unexpected argument %s", argv[i]),
                       die(&st);
            file = argv[i];
            continue;
        }
        if (i + 1 >= argc)
            return rs_fail(&st, RS_EUSAGE, "import-feed: %s needs a value", argv[i]), die(&st);
        *slot = argv[++i];
    }
    if (!shop || !file)
        return rs_fail(&st, RS_EUSAGE, "import-feed: --shop ID and FILE are required"), die(&st);
    struct feed_opts o = {.in_stock_default = 1, .batch = 1000};
    if (in_stock) {
        char *end;
        o.in_stock_default = strtoll(in_stock, &end, 10);
        if (!*in_stock || *end || o.in_stock_default < 0 || o.in_stock_default > 1000000000)
            return rs_fail(&st, RS_EUSAGE, "import-feed: --in-stock must be 0 to 1000000000"),
                   die(&st);
    }
    char *cargv[] = {"--db", (char *)db};
    struct config cfg;
    struct app app;
    if (config_load(&cfg, db ? 2 : 0, cargv, &st)) return die(&st);
    log_init(cfg.log_format);
    if (app_open(&app, &cfg, &st)) {
        config_free(&cfg);
        return die(&st);
    }
    struct arena *a = arena_new();
    struct shop sh;
    char *uuid = arena_strdup(a, shop);
    uuid_lower(uuid);
    struct store_conn *c = app.ops->reader(app.store);
    int rc = c ? app.ops->shop_by_uuid(c, uuid, a, &sh) : RS_ESTORE;
    app.ops->reader_release(app.store);
    if (rc == RS_ENOTFOUND)
        rs_fail(&st, RS_EUSAGE, "import-feed: --shop: no shop %s", shop);
    else if (rc)
        rs_fail(&st, rc, "import-feed: the store failed");
    struct feed_stats fs = {0};
    if (!rc) rc = feed_import_file(&app, &sh, file, &o, feed_line, NULL, &fs, &st);
    if (!rc || fs.items)
        printf("{\"items\":%zu,\"created\":%zu,\"updated\":%zu,\"restocked\":%zu,\"bad\":%zu}\n",
               fs.items, fs.created, fs.updated, fs.restocked, fs.bad);
    arena_free(a);
    app_close(&app);
    config_free(&cfg);
    return rc ? die(&st) : 0;
}

/* The customers report as CSV on stdout, read in pages like the HTTP stream (core/report.h). */
static int export_rows(struct app *app, struct report_filter *f, struct rs_status *st)
{
    struct buf out = BUF_INIT(0);
    report_csv_header(&out);
    int rc = RS_OK, n = f->limit;
    while (rc == RS_OK && n == f->limit) {
        struct arena *a = arena_new();
        struct tx tx = {app->ops, app->ops->reader(app->store)};
        rc = tx.c ? report_csv_page(&tx, f, a, &out, &n) : RS_ESTORE;
        app->ops->reader_release(app->store);
        arena_free(a);
        if (out.len && fwrite(out.p, 1, out.len, stdout) != out.len) rc = RS_EINTERNAL;
        buf_reset(&out);
    }
    buf_free(&out);
    if (rc == RS_OK && fflush(stdout)) rc = RS_EINTERNAL;
    if (rc)
        rs_fail(st, rc, "export customers: %s",
                rc == RS_EINTERNAL ? "cannot write to stdout" : "the store failed");
    return rc;
}

static int cmd_export_customers(int argc, char **argv)
{
    const char *db = NULL, *shop = NULL, *from = NULL, *to = NULL;
    struct rs_status st = {0};
    for (int i = 0; i < argc; i++) {
        const char **slot = strcmp(argv[i], "--shop") == 0   ? &shop
                            : strcmp(argv[i], "--from") == 0 ? &from
                            : strcmp(argv[i], "--to") == 0   ? &to
                            : strcmp(argv[i], "--db") == 0   ? &db
                                                             : NULL;
        if (!slot)
            return rs_fail(&st, RS_EUSAGE, "export customers: unexpected argument %s", argv[i]),
                   die(&st);
        if (i + 1 >= argc)
            return rs_fail(&st, RS_EUSAGE, "export customers: %s needs a value", argv[i]), die(&st);
        *slot = argv[++i];
    }
    if (!shop) return rs_fail(&st, RS_EUSAGE, "export customers: --shop is required"), die(&st);
    char *cargv[] = {"--db", (char *)db};
    struct config cfg;
    struct app app;
    if (config_load(&cfg, db ? 2 : 0, cargv, &st)) return die(&st);
    log_init(cfg.log_format);
    if (app_open(&app, &cfg, &st)) {
        config_free(&cfg);
        return die(&st);
    }
    struct arena *a = arena_new();
    struct shop sh;
    char *uuid = arena_strdup(a, shop);
    uuid_lower(uuid);
    struct store_conn *c = app.ops->reader(app.store);
    int rc = !c                  ? RS_ESTORE
             : !uuid_valid(uuid) ? RS_ENOTFOUND
                                 : app.ops->shop_by_uuid(c, uuid, a, &sh);
    app.ops->reader_release(app.store);
    if (rc == RS_ENOTFOUND)
        rs_fail(&st, RS_EINVAL, "export customers: --shop: no shop %s", shop);
    else if (rc)
        rs_fail(&st, rc, "export customers: cannot read the shop");
    struct report_filter f = {.sid = rc ? 0 : sh.sid, .limit = REPORT_PAGE};
    if (!rc && (rc = report_range(sh.timezone, from, to, "--", &f.from, &f.to, &st))) {
        struct rs_status why = st;
        rs_fail(&st, why.err, "export customers: %s", why.msg);
    }
    if (!rc) rc = export_rows(&app, &f, &st);
    arena_free(a);
    app_close(&app);
    config_free(&cfg);
    return rc ? die(&st) : 0;
}

/* ---- import-orders ------------------------------------------------------------------------ */

#define IMPORT_BATCH 256

struct import_batch {
    struct order_job jobs[IMPORT_BATCH];
    int n;
    long created, existing, ignored, converted;
};

/* One transaction for a batch of orders (each already validated). */
static int import_run(struct tx *tx, void *arg, struct rs_status *st)
{
    struct import_batch *b = arg;
    for (int i = 0; i < b->n; i++) {
        int rc = order_apply(tx, &b->jobs[i], st);
        if (rc) return rc;
    }
    return RS_OK;
}

static int import_flush(struct app *app, struct import_batch *b, struct arena **a,
                        struct rs_status *st)
{
    if (!b->n) return RS_OK;
    int rc = committer_run(app->cm, import_run, b, st);
    for (int i = 0; !rc && i < b->n; i++) {
        b->created += b->jobs[i].created;
        b->existing += !b->jobs[i].created && !b->jobs[i].ignored;
        b->ignored += b->jobs[i].ignored;
        b->converted += b->jobs[i].created && b->jobs[i].converted;
    }
    b->n = 0;
    arena_free(*a);
    *a = arena_new();
    return rc;
}

static int import_orders(struct app *app, const struct shop *sh, FILE *f, const char *path,
                         struct rs_status *st)
{
    struct order_import *im = order_import_open(f, st);
    if (!im && st->err == RS_EINVAL) return RS_EINVAL;
    if (!im) {
        struct rs_status why = *st;
        return rs_fail(st, why.err, "import-orders: %s: %.200s", path, why.msg);
    }
    struct import_batch *b = calloc(1, sizeof(*b));
    struct arena *a = arena_new();
    long bad = 0;
    int rc = RS_OK, more;
    for (;;) {
        json_t *o = NULL;
        long line = 0;
        struct rs_status lst = {0};
        more = order_import_next(im, &o, &line, &lst);
        if (more == 0) break;
        if (more == -2) { /* a read error: stop; the batches committed so far stay */
            rc = rs_fail(st, lst.err, "import-orders: %s: %.200s", path, lst.msg);
            break;
        }
        struct order_job *j = &b->jobs[b->n];
        memset(j, 0, sizeof(*j));
        if (more > 0 && order_parse(o, sh, "import", now_s(), a, &j->in, &j->test, &lst)) more = -1;
        json_decref(o);
        if (more < 0) {
            fprintf(stderr, "restock: %s:%ld: %s\n", path, line, lst.msg);
            bad++;
            continue;
        }
        j->app = app;
        j->shop = sh;
        j->arena = a;
        if (++b->n == IMPORT_BATCH && (rc = import_flush(app, b, &a, st))) break;
    }
    if (!rc) rc = import_flush(app, b, &a, st);
    if (!rc)
        printf("{\"created\":%ld,\"existing\":%ld,\"ignored\":%ld,\"conversions\":%ld,"
               "\"bad_lines\":%ld}\n",
               b->created, b->existing, b->ignored, b->converted, bad);
    if (!rc && bad) rc = rs_fail(st, RS_EINVAL, "%ld bad record(s) skipped", bad);
    arena_free(a);
    free(b);
    order_import_close(im);
    return rc;
}

static int cmd_import_orders(int argc, char **argv)
{
    const char *db = NULL, *shop_id = NULL, *path = NULL;
    struct rs_status st = {0};
    for (int i = 0; i < argc; i++) {
        const char **slot = strcmp(argv[i], "--shop") == 0 ? &shop_id
                            : strcmp(argv[i], "--db") == 0 ? &db
                                                           : NULL;
        if (!slot) {
            if (path || argv[i][0] == '-')
                return rs_fail(&st, RS_EUSAGE, "import-orders: unexpected argument %s", argv[i]),
                       die(&st);
            path = argv[i];
            continue;
        }
        if (i + 1 >= argc)
            return rs_fail(&st, RS_EUSAGE, "import-orders: %s needs a value", argv[i]), die(&st);
        *slot = argv[++i];
    }
    if (!shop_id || !path)
        return rs_fail(&st, RS_EUSAGE, "import-orders: --shop ID and FILE are required"), die(&st);
    FILE *f = fopen(path, "r");
    if (!f)
        return rs_fail(&st, RS_EUSAGE, "import-orders: cannot open %s: %s", path, strerror(errno)),
               die(&st);
    char *cargv[] = {"--db", (char *)db};
    struct config cfg;
    struct app app;
    if (config_load(&cfg, db ? 2 : 0, cargv, &st)) {
        fclose(f);
        return die(&st);
    }
    log_init(cfg.log_format);
    if (app_open(&app, &cfg, &st)) {
        fclose(f);
        config_free(&cfg);
        return die(&st);
    }
    struct arena *a = arena_new();
    struct shop sh;
    char *uuid = arena_strdup(a, shop_id);
    int rc = RS_EINVAL;
    if (!uuid_valid(uuid)) {
        rs_fail(&st, RS_EUSAGE, "import-orders: --shop: not a shop id (UUID)");
    } else {
        uuid_lower(uuid);
        rc = app.ops->shop_by_uuid(app.ops->reader(app.store), uuid, a, &sh);
        app.ops->reader_release(app.store);
        if (rc == RS_ENOTFOUND)
            rs_fail(&st, RS_EUSAGE, "import-orders: --shop: no shop %s", uuid);
        else if (rc)
            rs_fail(&st, rc, "import-orders: the store failed");
        else
            rc = import_orders(&app, &sh, f, path, &st);
    }
    fclose(f);
    arena_free(a);
    app_close(&app);
    config_free(&cfg);
    return rc ? die(&st) : 0;
}

/* ---- the command table -------------------------------------------------------------------- */

/* One row per command: `restock --help` lists every row's usage and summary, `restock NAME
 * [ACTION] --help` prints the row's usage and help. */
static const struct command {
    const char *name, *action; /* action: NULL for a command of one word */
    int (*run)(int argc, char **argv);
    const char *args;    /* what follows the name on the usage line */
    const char *summary; /* one line for restock --help */
    const char *help;    /* the rest of the command's own --help */
} commands[] = {
    {"serve", NULL, cmd_serve, "[--db DB] [--listen HOST:PORT] [--config FILE] [--demo] [options]",
     "the HTTP server, the restock fan-out and the delivery workers, in one process",
     "Serves the HTTP API, the dashboard and the widget, and runs the restock fan-out and\n"
     "the delivery workers in one process, until SIGTERM or SIGINT (a second one ends it at\n"
     "once). --demo creates a demo shop with products, subscribers and history on an empty\n"
     "database and logs its API key once; on a later start it logs the demo shop's id and\n"
     "the restock shop key command that gives it a new key.\n"},
    {"shop", "add", cmd_shop_add,
     "--name NAME --url URL [--currency EUR] [--timezone ZONE] [--db DB]", "create a shop",
     "Creates a shop and its default campaigns. URL is the storefront's origin\n"
     "(https://shop.example), the currency an ISO 4217 code (default EUR), ZONE an IANA time\n"
     "zone (default UTC). Prints one JSON object: id, api_key (shown only here; restock keeps\n"
     "its SHA-256), webhook_secret and vapid_public_key.\n"},
    {"shop", "key", cmd_shop_key, "--shop ID [--db DB]",
     "a new API key for a shop (its old key stops working)",
     "Issues a new API key for the shop and prints {\"id\":...,\"api_key\":...}; the shop's\n"
     "previous key stops working (on a server running on the database within 50 ms). Only\n"
     "the new key's SHA-256 is kept, so this is the way to a working key when the one shown\n"
     "at creation is lost.\n"},
    {"export", "customers", cmd_export_customers, "--shop ID [--from DATE] [--to DATE] [--db DB]",
     "the customers report, as CSV on stdout",
     "Writes the customers report as RFC 4180 CSV to stdout, the same bytes as\n"
     "GET /v1/reports/customers?format=csv. --from and --to are dates, YYYY-MM-DD, in the\n"
     "shop's time zone, and filter on when the notifications were sent.\n"},
    {"import-feed", NULL, cmd_import_feed, "--shop ID [--in-stock N] [--db DB] FILE",
     "an XML product feed into the shop's catalog",
     "Streams a Google Merchant RSS 2.0 or Atom feed into the shop's catalog in durable\n"
     "batches of 1,000 items and prints {\"items\":...,\"created\":...,\"updated\":...,\n"
     "\"restocked\":...,\"bad\":...}. A bad item is reported on stderr with its line and\n"
     "skipped (exit 0); XML that is not well-formed stops the import at that line (exit 2;\n"
     "the items before it stay applied). --in-stock N: the units of an item \"in stock\"\n"
     "without g:quantity (default 1).\n"},
    {"import-orders", NULL, cmd_import_orders, "--shop ID FILE [--db DB]",
     "historic orders: CSV with a header, or JSON lines",
     "Reads historic orders from CSV (a header row naming the columns, one line item per\n"
     "row, an order's rows one after another) or JSON lines (one POST /v1/orders object per\n"
     "line), and stores and attributes them by the API's rules; every order needs its\n"
     "created_at. Give the orders oldest first. Prints {\"created\":...,\"existing\":...,\n"
     "\"ignored\":...,\"conversions\":...,\"bad_lines\":...}; a bad record is reported as\n"
     "FILE:LINE: message on stderr and skipped, and makes the exit code 2.\n"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char exit_codes[] = "Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad "
                                 "input.\n";

static void usage_line(FILE *out, const struct command *c, const char *lead)
{
    fprintf(out, "%srestock %s%s%s %s\n", lead, c->name, c->action ? " " : "",
            c->action ? c->action : "", c->args);
}

static void usage(FILE *out)
{
    fprintf(out, "restock %s — back-in-stock notifications and conversion attribution\n\nUsage:\n",
            RESTOCK_VERSION);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        usage_line(out, &commands[i], "  ");
        fprintf(out, "      %s\n", commands[i].summary);
    }
    fprintf(out,
            "  restock COMMAND --help\n"
            "      that command's usage\n"
            "  restock --help | --version\n\n"
            "DB is a SQLite file path (default restock.db); PostgreSQL is not supported yet.\n"
            "--demo creates a demo shop with products and subscribers on an empty database.\n\n");
    config_print_help(out);
    fprintf(out, "\n%s", exit_codes);
}

/* restock NAME [ACTION] --help: the command's usage and what it does; serve's options. */
static void command_help(FILE *out, const struct command *c)
{
    usage_line(out, c, "Usage: ");
    fprintf(out, "\n%s\n", c->help);
    if (c->run == cmd_serve)
        config_print_help(out);
    else
        fprintf(out, "DB is a SQLite file path (default restock.db, or RESTOCK_DB).\n");
    fprintf(out, "\n%s", exit_codes);
}

/* 1 when the arguments ask for help: -h or --help where a flag may stand (not as a flag's
 * value: every flag but --demo takes one, as --flag VALUE or --flag=VALUE). */
static int wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
        if (strncmp(argv[i], "--", 2) == 0 && !strchr(argv[i], '=') &&
            strcmp(argv[i], "--demo") != 0)
            i++;
    }
    return 0;
}

/* A command of two words (shop, export) given without its action, or an unknown action:
 * -h/--help lists its actions (exit 0); otherwise a usage error naming what it expects. */
static int command_group(const char *name, int argc, char **argv)
{
    char actions[128] = "";
    for (size_t i = 0, n = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            n += snprintf(actions + n, sizeof(actions) - n, "%s%s", n ? " or " : "",
                          commands[i].action);
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        printf("Usage:\n");
        for (size_t i = 0; i < NCOMMANDS; i++)
            if (strcmp(commands[i].name, name) == 0) {
                usage_line(stdout, &commands[i], "  ");
                printf("      %s\n", commands[i].summary);
            }
        printf("\nrestock %s ACTION --help: that action's usage.\n", name);
        return 0;
    }
    struct rs_status st = {0};
    if (argc == 0)
        rs_fail(&st, RS_EUSAGE, "%s: expected an action: %s (see restock %s --help)", name, actions,
                name);
    else
        rs_fail(&st, RS_EUSAGE, "unknown command %s %s (see restock %s --help)", name, argv[0],
                name);
    return die(&st);
}

int main(int argc, char **argv)
{
    struct rs_status st = {0};
    /* before any thread: libcurl's global state (SMTP, SMS, web push) is not thread-safe to
     * create lazily */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "restock: cannot initialise libcurl\n");
        return 1;
    }
    atexit(curl_global_cleanup);
    if (argc < 2) {
        rs_fail(&st, RS_EUSAGE, "no command given (see restock --help)");
        return die(&st);
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("restock %s\n", RESTOCK_VERSION);
        return 0;
    }
    int grouped = 0;
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const struct command *c = &commands[i];
        if (strcmp(c->name, cmd) != 0) continue;
        grouped |= c->action != NULL;
        if (c->action && (argc < 3 || strcmp(argv[2], c->action) != 0)) continue;
        int skip = c->action ? 3 : 2;
        if (wants_help(argc - skip, argv + skip)) {
            command_help(stdout, c);
            return 0;
        }
        return c->run(argc - skip, argv + skip);
    }
    if (grouped) return command_group(cmd, argc - 2, argv + 2);
    rs_fail(&st, RS_EUSAGE, "unknown command %s (see restock --help)", cmd);
    return die(&st);
}
