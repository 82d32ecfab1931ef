/*
 * store_sqlite — the SQLite backend of store.h, the embedded default.
 *
 * Durability: WAL journal. The group committer (commit.c) carries many requests per COMMIT and
 * answers none before its transaction is on disk: the writer commits with synchronous=NORMAL
 * (the WAL frames are written, not synced) and the committer's syncer thread then makes them
 * durable with sq_sync, an fdatasync of the WAL file, while the writer runs the next batch. Any
 * other connection commits with synchronous=FULL. Checkpoints sync the WAL before they copy it
 * (SQLite does at NORMAL too), so a frame is never lost to a WAL restart. One writer
 * connection (used only by the committer thread) and one read connection per reading thread; WAL
 * lets readers run beside the writer. Every statement is prepared once per connection and kept.
 *
 * Read snapshots. Starting a read transaction costs SQLite file-lock system calls on the WAL
 * index, more than the lookup itself, so a reader keeps its transaction open across requests
 * while `commits` (bumped by every writer COMMIT, before any job's done() runs) is unchanged since
 * the snapshot began: a snapshot is reused only while it is exactly current. The housekeeper
 * thread ends snapshots that are stale or idle for IDLE_MS, so an idle thread never pins the WAL
 * against checkpoints. Other processes on the file (the CLI's `shop add`) do not bump `commits`:
 * a snapshot is never reused once IDLE_MS old, and a shop lookup that finds nothing on a reused
 * snapshot looks again on a fresh one, so a shop added while serving is usable at once. A reader's
 * mutex is held by its thread from reader() to reader_release(); the housekeeper only try-locks it.
 *
 * Shops by public id. One transaction's view of a shop changes only through its own writes, so
 * a connection remembers the last SHOP_CACHE shops it read by uuid and answers from them while
 * the transaction lasts and writes no shop (the widget's stock read would otherwise spend a fifth
 * of its time re-reading the same shop row, the committer once per sign-up of a batch). `view`
 * counts the ends of such views: a reader's snapshot ending; on the writer every COMMIT,
 * ROLLBACK, ROLLBACK TO and shop write. Entries of an older view are never used.
 *
 * The schema and its migrations are in store_sqlite_schema.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <stdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/sqlite_int.h"
#include "util/buf.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/xalloc.h"

static const char *const sql[Q_COUNT] = {
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_READ_BEGIN] = "BEGIN",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_SAVEPOINT] = "SAVEPOINT job",
    [Q_RELEASE] = "RELEASE job",
    [Q_ROLLBACK_TO] = "ROLLBACK TO job",
    [Q_SECRET] = "SELECT value FROM meta WHERE key = 'server_secret'",
};

static _Thread_local struct {
    unsigned long gen;
    struct store_conn *conn;
} tl_reader;
static unsigned long next_gen = 1;
static pthread_mutex_t gen_mu = PTHREAD_MUTEX_INITIALIZER;

/* ---- connections -------------------------------------------------------------------------- */

static void conn_close(struct store_conn *c)
{
    if (!c) return;
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(c->stmt[i]);
    sqlite3_finalize(c->notif_batch);
    for (int i = 0; i < SHOP_CACHE; i++)
        arena_free(c->shops[i].arena);
    sqlite3_close(c->db);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* Busy handler: waits for a lock up to 5 s like sqlite3_busy_timeout, but polls every 50 µs for
 * the first 10 ms (SQLite's own waits 1, 2, 5, 10 ms...). The writer's RESTART checkpoint
 * (busy_quick, see on_wal) waits for readers still on the WAL: each poll tells them to take a
 * new snapshot (which, the WAL being all copied, no longer reads it) and ends the idle ones'; it
 * gives up after 2 ms rather than hold every commit up behind a long read. */
static void end_snapshots(struct store *s, int64_t idle_ms);

static int busy_wait(void *arg, int n)
{
    struct store_conn *c = arg;
    if (c->busy_quick) {
        if (n >= 40) return 0;
        atomic_fetch_add(&c->store->commits, 1);
        end_snapshots(c->store, 0);
    }
    if (n < 200) {
        nanosleep(&(struct timespec){.tv_nsec = 50000}, NULL);
        return 1;
    }
    if (n >= 200 + 4990) return 0;
    nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    return 1;
}

static struct store_conn *conn_open(const char *path, struct rs_status *st)
{
    struct store_conn *c = xcalloc(1, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
        rs_fail(st, RS_ESTORE, "cannot open %s: %s", path, sqlite3_errmsg(c->db));
        conn_close(c);
        return NULL;
    }
    sqlite3_busy_handler(c->db, busy_wait, c);
    sqlite3_extended_result_codes(c->db, 1);
    char *err = NULL;
    if (sqlite3_exec(c->db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                     "PRAGMA cache_size=-16000; PRAGMA temp_store=MEMORY;",
                     NULL, NULL, &err) != SQLITE_OK) {
        rs_fail(st, RS_ESTORE, "cannot set up %s: %s", path, err ? err : "?");
        sqlite3_free(err);
        conn_close(c);
        return NULL;
    }
    return c;
}

static void *housekeeper(void *arg);

/* Checkpoints. The writer would checkpoint the WAL itself, inside the COMMIT that passes
 * wal_autocheckpoint pages, and every request of that batch would wait for the copy and its
 * fsync. Instead, in two steps:
 * - the writer's WAL hook wakes the checkpointer thread, which copies the WAL back on its own
 *   connection (PASSIVE: never blocking the writer or a reader) while commits go on, in passes
 *   until at most CHECKPOINT_TAIL pages are left;
 * - the copy covers only the frames committed when it began, and a WAL is restarted from its
 *   start once every frame is copied and no reader reads an older snapshot, which under steady
 *   reads and writes never happens by itself (readers always lag a commit behind). So once the
 *   background pass is done, the writer's hook ends the snapshots of idle readers and runs
 *   a RESTART checkpoint between two commits: it copies the few frames committed meanwhile
 *   and waits, at most 2 ms, for readers still on the WAL (busy_wait: each poll bumps
 *   `commits`, so a reader takes a fresh snapshot at its next read, and ends idle snapshots);
 *   so the next write transaction starts the WAL over, which stays about CHECKPOINT_PAGES long.
 *   A reader busy for longer (a fan-out step) makes it try again RESTART_RETRY pages later.
 * CHECKPOINT_PAGES (40 MB) rather than SQLite's 1,000 lets a page written by many commits (index
 * tails, the stats rollup) be copied once, not ten times. Should the WAL reach CHECKPOINT_INLINE
 * pages while a background pass runs, the writer copies inline too. */
#define CHECKPOINT_PAGES  10000
#define CHECKPOINT_INLINE (8 * CHECKPOINT_PAGES)
#define RESTART_RETRY     500
#define CHECKPOINT_PASSES 8  /* background passes at most, */
#define CHECKPOINT_TAIL   64 /* until at most this many pages are left for the writer */

enum { CK_IDLE, CK_RUNNING, CK_DONE }; /* the background pass */

static int on_wal(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct store *s = arg;
    if (pages < CHECKPOINT_PAGES) return SQLITE_OK;
    int state = atomic_load(&s->checkpoint_state);
    if (state == CK_DONE && pages >= s->restart_at) {
        /* this runs inside the COMMIT, before sq_commit bumps `commits`: bumped now, readers
         * in a request take the new snapshot at their next read instead of reusing theirs */
        atomic_fetch_add(&s->commits, 1);
        end_snapshots(s, 0);
        s->writer->busy_quick = 1;
        int log = 0, copied = -1;
        int rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_RESTART, &log, &copied);
        s->writer->busy_quick = 0;
        if (rc == SQLITE_OK || (rc == SQLITE_BUSY && log >= 0 && copied == log)) {
            /* every frame copied: the next write transaction starts the WAL over, unless a
             * reader still on it then (BUSY here) makes that wait for the next round; an error
             * or a BUSY before any copy leaves log and copied at -1, and is a retry */
            atomic_store(&s->checkpoint_state, CK_IDLE);
            s->restart_at = CHECKPOINT_PAGES;
        } else { /* a reader is busy for longer (a fan-out step): after RESTART_RETRY more */
            s->restart_at = pages + RESTART_RETRY;
        }
    } else if (pages >= CHECKPOINT_INLINE) {
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    } else if (state == CK_IDLE) {
        atomic_store(&s->checkpoint_state, CK_RUNNING);
        pthread_mutex_lock(&s->hk_mu);
        pthread_cond_broadcast(&s->hk_cv);
        pthread_mutex_unlock(&s->hk_mu);
    }
    return SQLITE_OK;
}

static void *checkpointer(void *arg)
{
    struct store *s = arg;
    pthread_mutex_lock(&s->hk_mu);
    while (!s->stopping) {
        if (atomic_load(&s->checkpoint_state) != CK_RUNNING) {
            pthread_cond_wait(&s->hk_cv, &s->hk_mu);
            continue;
        }
        pthread_mutex_unlock(&s->hk_mu);
        /* each pass copies what the commits during the previous one added, so a few passes
         * leave the writer a short tail */
        for (int pass = 0; pass < CHECKPOINT_PASSES; pass++) {
            int log = 0, copied = 0;
            int rc = sqlite3_wal_checkpoint_v2(s->checkpoint_conn->db, NULL,
                                               SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
            if (rc != SQLITE_OK && rc != SQLITE_BUSY) fail_db(s->checkpoint_conn->db, "checkpoint");
            if (rc != SQLITE_OK || log - copied <= CHECKPOINT_TAIL) break;
        }
        atomic_store(&s->checkpoint_state, CK_DONE);
        pthread_mutex_lock(&s->hk_mu);
    }
    pthread_mutex_unlock(&s->hk_mu);
    return NULL;
}

/* SQLite's memory statistics take one process-wide mutex on every allocation, which the HTTP
 * threads' readers and the committer then contend for; restock reads none of them. This must
 * run before SQLite initialises, so it is done once, at the first open. */
static void sqlite_setup(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int sq_open(const char *target, struct store **out, struct rs_status *st)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_setup);
    struct store_conn *w = conn_open(target, st);
    if (!w) return RS_ESTORE;
    if (sq_migrate(w, st)) {
        conn_close(w);
        return RS_ESTORE;
    }
    struct store_conn *ck = conn_open(target, st);
    if (!ck) {
        conn_close(w);
        return RS_ESTORE;
    }
    struct store *s = xcalloc(1, sizeof(*s));
    s->checkpoint_conn = ck;
    s->restart_at = CHECKPOINT_PAGES;
    sqlite3_wal_hook(w->db, on_wal, s); /* replaces the writer's own automatic checkpoints */
    s->path = xstrdup(target);
    const char *db_name = sqlite3_db_filename(w->db, "main");
    s->wal_path = xstrdup(db_name && *db_name ? sqlite3_filename_wal(db_name) : "");
    s->wal_fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_lock(&gen_mu);
    s->gen = next_gen++;
    pthread_mutex_unlock(&gen_mu);
    s->writer = w;
    w->store = s;
    pthread_mutex_init(&s->hk_mu, NULL);
    pthread_cond_init(&s->hk_cv, NULL);
    if (pthread_create(&s->housekeeper, NULL, housekeeper, s) ||
        pthread_create(&s->checkpointer, NULL, checkpointer, s)) {
        log_msg(LOG_ERROR, "cannot start the store's threads");
        abort();
    }
    *out = s;
    return RS_OK;
}

static void sq_close(struct store *s)
{
    if (!s) return;
    pthread_mutex_lock(&s->hk_mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->hk_cv);
    pthread_mutex_unlock(&s->hk_mu);
    pthread_join(s->housekeeper, NULL);
    pthread_join(s->checkpointer, NULL);
    conn_close(s->checkpoint_conn);
    pthread_cond_destroy(&s->hk_cv);
    pthread_mutex_destroy(&s->hk_mu);
    for (struct store_conn *c = s->conns, *n; c; c = n) {
        n = c->next;
        conn_close(c);
    }
    conn_close(s->writer);
    pthread_mutex_destroy(&s->mu);
    if (s->wal_fd >= 0) close(s->wal_fd);
    free(s->wal_path);
    free(s->path);
    free(s);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void end_snapshot(struct store_conn *c)
{
    if (!c->in_txn) return;
    simple(c, Q_COMMIT);
    c->in_txn = 0;
    c->view++;
}

/* Ends the snapshots of readers not in use that are stale or idle for idle_ms. */
static void end_snapshots(struct store *s, int64_t idle_ms)
{
    pthread_mutex_lock(&s->mu);
    unsigned long commits = atomic_load(&s->commits);
    int64_t now = mono_ms();
    for (struct store_conn *c = s->conns; c; c = c->next) {
        if (pthread_mutex_trylock(&c->mu)) continue; /* in use: its thread will see */
        if (c->in_txn && (c->snap_commits != commits || now - c->last_used_ms >= idle_ms))
            end_snapshot(c);
        pthread_mutex_unlock(&c->mu);
    }
    pthread_mutex_unlock(&s->mu);
}

/* Ends reader snapshots that are stale or idle, so they never pin the WAL. */
static void *housekeeper(void *arg)
{
    struct store *s = arg;
    pthread_mutex_lock(&s->hk_mu);
    while (!s->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += IDLE_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&s->hk_cv, &s->hk_mu, &until);
        end_snapshots(s, IDLE_MS);
    }
    pthread_mutex_unlock(&s->hk_mu);
    return NULL;
}

static struct store_conn *thread_reader(struct store *s)
{
    if (tl_reader.gen == s->gen && tl_reader.conn) return tl_reader.conn;
    struct rs_status st = {0};
    struct store_conn *c = conn_open(s->path, &st);
    if (!c) {
        log_msg(LOG_ERROR, "%s", st.msg);
        return NULL;
    }
    c->store = s;
    pthread_mutex_lock(&s->mu);
    c->next = s->conns;
    s->conns = c;
    pthread_mutex_unlock(&s->mu);
    tl_reader.gen = s->gen;
    tl_reader.conn = c;
    return c;
}

static void begin_snapshot(struct store_conn *c)
{
    /* the snapshot itself begins at the first read, after `commits` was read: if a commit lands
     * in between, the snapshot is newer than recorded, and only ends sooner */
    c->snap_commits = atomic_load(&c->store->commits);
    c->snap_ms = mono_ms();
    c->snap_reused = 0;
    if (simple(c, Q_READ_BEGIN) == RS_OK) c->in_txn = 1;
}

/* Other processes (`restock shop add` while serving) commit without bumping `commits`, so a
 * snapshot is also ended once IDLE_MS old: their writes show within IDLE_MS. */
static struct store_conn *sq_reader(struct store *s)
{
    struct store_conn *c = thread_reader(s);
    if (!c || c->held) return c;
    pthread_mutex_lock(&c->mu);
    c->held = 1;
    if (c->in_txn &&
        (c->snap_commits != atomic_load(&s->commits) || mono_ms() - c->snap_ms >= IDLE_MS))
        end_snapshot(c);
    if (!c->in_txn)
        begin_snapshot(c);
    else
        c->snap_reused = 1;
    return c;
}

/* A shop missing from a reused snapshot may have been added by another process since: starts a
 * fresh snapshot and returns 1 when looking again can help. */
int sq_fresh_snapshot(struct store_conn *c)
{
    if (!c->in_txn || !c->snap_reused) return 0;
    end_snapshot(c);
    begin_snapshot(c);
    return 1;
}

static void sq_reader_release(struct store *s)
{
    if (tl_reader.gen != s->gen || !tl_reader.conn || !tl_reader.conn->held) return;
    struct store_conn *c = tl_reader.conn;
    c->last_used_ms = mono_ms();
    c->held = 0;
    pthread_mutex_unlock(&c->mu);
}

static struct store_conn *sq_writer(struct store *s)
{
    return s->writer;
}

/* ---- statement helpers -------------------------------------------------------------------- */

static int sq_begin(struct store_conn *c)
{
    return simple(c, Q_BEGIN);
}
static int sq_commit(struct store_conn *c)
{
    c->view++;
    int rc = simple(c, Q_COMMIT);
    if (rc == RS_OK && c->store) atomic_fetch_add(&c->store->commits, 1);
    return rc;
}
static void sq_durable(struct store_conn *c, int full)
{
    if (c->sync_full == full + 1) return; /* 0: unknown yet */
    sqlite3_exec(c->db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", NULL, NULL,
                 NULL);
    c->sync_full = full + 1;
}

/* Syncs the WAL file through its own descriptor (any descriptor of a file flushes its data):
 * only the syncer thread calls this, the writer's own file object stays the writer's. A WAL
 * deleted meanwhile (st_nlink 0; SQLite deletes it only when its last connection closes, and the
 * writer stays open) is opened again by name; one that cannot be opened fails the batch. */
static int sq_sync(struct store *s)
{
    struct stat sb;
    if (!s->wal_path[0]) return RS_OK; /* a temporary database: nothing to sync */
    if (s->wal_fd >= 0 && (fstat(s->wal_fd, &sb) || sb.st_nlink == 0)) {
        close(s->wal_fd);
        s->wal_fd = -1;
    }
    if (s->wal_fd < 0) {
        s->wal_fd = open(s->wal_path, O_RDONLY | O_CLOEXEC);
        if (s->wal_fd < 0) {
            log_msg(LOG_ERROR, "sqlite: cannot open %s: %s", s->wal_path, strerror(errno));
            return RS_ESTORE;
        }
    }
    if (fdatasync(s->wal_fd)) {
        log_msg(LOG_ERROR, "sqlite: fdatasync %s: %s", s->wal_path, strerror(errno));
        return RS_ESTORE;
    }
    return RS_OK;
}

static int sq_rollback(struct store_conn *c)
{
    c->view++;
    return simple(c, Q_ROLLBACK);
}
static int sq_savepoint(struct store_conn *c)
{
    return simple(c, Q_SAVEPOINT);
}
static int sq_release(struct store_conn *c)
{
    return simple(c, Q_RELEASE);
}
static int sq_rollback_to(struct store_conn *c)
{
    c->view++;
    return simple(c, Q_ROLLBACK_TO);
}

static int sq_secret(struct store_conn *c, uint8_t out[32])
{
    sqlite3_stmt *s = stmt(c, Q_SECRET);
    if (!s) return RS_ESTORE;
    int rc = step_row(c, s);
    if (rc) return rc == RS_ENOTFOUND ? RS_ESTORE : rc;
    const char *hex = (const char *)sqlite3_column_text(s, 0);
    for (int i = 0; i < 32; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char ch = hex && hex[2 * i + k] ? hex[2 * i + k] : '0';
            v = v * 16 + (unsigned)(ch <= '9' ? ch - '0' : ch - 'a' + 10);
        }
        out[i] = (uint8_t)v;
    }
    finish(s);
    return RS_OK;
}

const struct store_ops store_sqlite = {
    .name = "sqlite",
    .single_process = 1,
    .open = sq_open,
    .close = sq_close,
    .reader = sq_reader,
    .reader_release = sq_reader_release,
    .writer = sq_writer,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .savepoint = sq_savepoint,
    .release = sq_release,
    .rollback_to = sq_rollback_to,
    .durable = sq_durable,
    .sync = sq_sync,
    .secret = sq_secret,
    .shop_insert = sq_shop_insert,
    .shop_update = sq_shop_update,
    .shop_set_key = sq_shop_set_key,
    .shop_by_uuid = sq_shop_by_uuid,
    .shop_by_key = sq_shop_by_key,
    .shop_by_sid = sq_shop_by_sid,
    .shop_by_url = sq_shop_by_url,
    .shop_count = sq_shop_count,
    .variant_get = sq_variant_get,
    .variant_put = sq_variant_put,
    .variant_put_stock = sq_variant_put_stock,
    .restock_insert = sq_restock_insert,
    .sub_insert = sq_sub_insert,
    .sub_find = sq_sub_find,
    .sub_get = sq_sub_get,
    .sub_list = sq_sub_list,
    .sub_set_status = sq_sub_set_status,
    .sub_unsubscribe_contact = sq_sub_unsubscribe_contact,
    .sub_reenroll = sq_sub_reenroll,
    .sub_waiting = sq_sub_waiting,
    .sub_notified = sq_sub_notified,
    .campaign_insert = sq_campaign_insert,
    .campaign_update = sq_campaign_update,
    .campaign_delete = sq_campaign_delete,
    .campaign_get = sq_campaign_get,
    .campaign_list = sq_campaign_list,
    .campaign_set_rewalk = sq_campaign_set_rewalk,
    .campaign_rewalk_next = sq_campaign_rewalk_next,
    .restock_next = sq_restock_next,
    .restock_update = sq_restock_update,
    .restock_rewind = sq_restock_rewind,
    .notification_insert = sq_notification_insert,
    .notification_get = sq_notification_get,
    .notification_insert_many = sq_notification_insert_many,
    .notification_status = sq_notification_status,
    .notification_after = sq_notification_after,
    .outbox_claim = sq_outbox_claim,
    .notification_result = sq_notification_result,
    .cap_get = sq_cap_get,
    .cap_add = sq_cap_add,
    .notification_give_back = sq_notification_give_back,
    .decision_insert = sq_decision_insert,
    .notification_list = sq_notification_list,
    .confirm_queue = sq_confirm_queue,
    .outbox_renew = sq_outbox_renew,
    .outbox_release = sq_outbox_release,
    .order_get = sq_order_get,
    .order_insert = sq_order_insert,
    .order_update = sq_order_update,
    .variant_resolve = sq_variant_resolve,
    .attr_candidates = sq_attr_candidates,
    .attr_candidate = sq_attr_candidate,
    .conversion_insert = sq_conversion_insert,
    .conversion_by_order = sq_conversion_by_order,
    .conversion_set = sq_conversion_set,
    .conversion_supersede = sq_conversion_supersede,
    .refund_add = sq_refund_add,
    .stats_slots = sq_stats_slots,
    .stats_recount = sq_stats_recount,
    .stats_events = sq_stats_events,
    .variant_by_item = sq_variant_by_item,
    .level_set = sq_level_set,
    .webhook_event_add = sq_webhook_event_add,
    .shopify_order_put = sq_shopify_order_put,
    .shopify_order_get = sq_shopify_order_get,
    .privacy_request_add = sq_privacy_request_add,
    .privacy_request_get = sq_privacy_request_get,
    .customer_redact = sq_customer_redact,
    .shop_erase = sq_shop_erase,
    .ingest_prune = sq_ingest_prune,
    .feed_due = sq_feed_due,
    .feed_mark = sq_feed_mark,
    .sub_reopen = sq_sub_reopen,
    .budget_get = sq_budget_get,
    .budget_add = sq_budget_add,
    .activity_add = sq_activity_add,
    .activity_since = sq_activity_since,
    .decision_list = sq_decision_list,
    .notification_context = sq_notification_context,
    .hit_insert = sq_hit_insert,
    .notification_touch = sq_notification_touch,
    .event_top = sq_event_top,
    .report_customers = sq_report_customers,
    .report_waiting = sq_report_waiting,
};
