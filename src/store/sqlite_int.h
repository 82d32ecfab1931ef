/*
 * sqlite_int — what the SQLite backend's files share (SQLite's own btreeInt.h habit): the
 * connection and store structs, the statement ids, the column lists, the small statement helpers,
 * and the operations each area file defines for the ops table in store_sqlite.c.
 *
 *   store_sqlite.c          connections, read snapshots, checkpoints, transactions, the ops
 *                           table
 *   store_sqlite_schema.c   the schema (drawn at its top) and its migrations
 *   store_sqlite_catalog.c  shops, variants, subscriptions, campaigns
 *   store_sqlite_outbox.c   restocks, the outbox, budgets, caps, decisions, activity
 *   store_sqlite_attr.c     tracking, reports, orders, attribution, stats
 *   store_sqlite_ingest.c   Shopify levels and ids, privacy, redaction, pruning, feeds
 *
 * Private to src/store/store_sqlite*.c.
 */
#ifndef RESTOCK_SQLITE_INT_H
#define RESTOCK_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/log.h"

#define SHOP_COLS                                                                                  \
    "sid, uuid, name, url, currency, timezone, locale, sender_name, sender_email, api_key_hash,"   \
    " webhook_secret, vapid_public, vapid_private, low_stock_threshold, min_available,"            \
    " min_soldout_minutes, subscription_ttl_days, max_notifications, conversions_enabled,"         \
    " double_opt_in, created_at, feed_url, feed_interval_minutes"
#define VARIANT_COLS                                                                               \
    "shop_id, variant_id, product_id, product_number, inventory_item_id, title, variant_title,"    \
    " url, image_url, price, original_price, currency, category, available, soldout_since,"        \
    " updated_at"
#define SUB_COLS                                                                                   \
    "id, shop_id, variant_id, channel, status, contact_key, email, phone, push_endpoint,"          \
    " push_p256dh, push_auth, first_name, customer_id, tracking_user_id, locale, source,"          \
    " quantity, notify_count, created_at, updated_at, confirmed_at, notified_at, unsubscribed_at"

#define ORDER_COLS                                                                                 \
    "id, shop_id, order_number, source, total, currency, created_at, status, refunded, email,"     \
    " phone, customer_id, tracking_user_id, cart_token, received_at"
/* A notification's campaign's goal window (days), read from the stored campaign JSON by SQLite
 * itself (no parse of the whole campaign per order); 0 when there is none. */
#define GOAL_WINDOW                                                                                \
    "coalesce((SELECT json_extract(g.json, '$.goal.window_days') FROM campaigns g"                 \
    " WHERE g.id = n.campaign_id AND g.shop_id = n.shop_id), 0)"
/* SQL: the URL x without its query and fragment (NULL for NULL). variants.url_key holds it,
 * what an order's item URL is matched on (index variants_url, migration 11). */
#define BARE_URL(x) "substr(" x ", 1, min(instr(" x " || '?', '?'), instr(" x " || '#', '#')) - 1)"
/* A candidate notification n's conversion (store.h ATTR_*): 0 none, 1 an order's, 2 a goal
 * event's only */
#define CONVERTED_BY                                                                               \
    "coalesce((SELECT CASE c.order_id WHEN 0 THEN 2 ELSE 1 END FROM conversions c"                 \
    " WHERE c.shop_id = n.shop_id AND c.notification_id = n.id), 0)"
/* A conversion r's amount and net in the stats rollup: only in the shop's own currency (restock
 * has no exchange rates; another currency's minor units would be summed as the shop's) */
#define IN_SHOP(r, x)                                                                              \
    "(CASE WHEN " r ".currency = (SELECT s.currency FROM shops s WHERE s.sid = " r ".shop_id)"     \
    " THEN " x " ELSE 0 END)"
#define AMOUNT_IN_SHOP(r) IN_SHOP(r, r ".amount")
#define NET_IN_SHOP(r)    IN_SHOP(r, r ".amount - " r ".refunded")
/* The conversion columns of the rollup's slots zeroed, then recounted from the conversions, for
 * the shops `where` selects (over shop_id; for the recount over c.shop_id): migration 12 for
 * all, Q_STATS_RESET and Q_STATS_RECOUNT for one shop whose currency changed. */
#define STATS_CONV_RESET(where)                                                                    \
    "UPDATE stats_slots SET direct_n = 0, direct_amount = 0, direct_net = 0, assisted_n = 0,"      \
    " assisted_amount = 0, assisted_net = 0 WHERE " where
#define C_AMOUNT_IN_SHOP AMOUNT_IN_SHOP("c")
#define C_NET_IN_SHOP    NET_IN_SHOP("c")
#define STATS_CONV_RECOUNT(where)                                                                  \
    "INSERT INTO stats_slots(shop_id, slot, campaign_id, direct_n, direct_amount, direct_net,"     \
    " assisted_n, assisted_amount, assisted_net) SELECT c.shop_id, c.at / 900, c.campaign_id,"     \
    " sum(c.kind = 0), sum(CASE c.kind WHEN 0 THEN " C_AMOUNT_IN_SHOP " ELSE 0 END),"              \
    " sum(CASE c.kind WHEN 0 THEN " C_NET_IN_SHOP " ELSE 0 END), sum(c.kind <> 0),"                \
    " sum(CASE c.kind WHEN 0 THEN 0 ELSE " C_AMOUNT_IN_SHOP " END),"                               \
    " sum(CASE c.kind WHEN 0 THEN 0 ELSE " C_NET_IN_SHOP " END) FROM conversions c"                \
    " WHERE c.status = 0 AND " where " GROUP BY 1, 2, 3 ON CONFLICT DO UPDATE SET"                 \
    " direct_n = direct_n + excluded.direct_n,"                                                    \
    " direct_amount = direct_amount + excluded.direct_amount,"                                     \
    " direct_net = direct_net + excluded.direct_net,"                                              \
    " assisted_n = assisted_n + excluded.assisted_n,"                                              \
    " assisted_amount = assisted_amount + excluded.assisted_amount,"                               \
    " assisted_net = assisted_net + excluded.assisted_net"
#define STATS_SUMS                                                                                 \
    "slot, sum(sent), sum(opened), sum(clicked), sum(direct_n), sum(direct_amount),"               \
    " sum(direct_net), sum(assisted_n), sum(assisted_amount), sum(assisted_net)"

enum stmt_id {
    Q_BEGIN,
    Q_READ_BEGIN,
    Q_COMMIT,
    Q_ROLLBACK,
    Q_SAVEPOINT,
    Q_RELEASE,
    Q_ROLLBACK_TO,
    Q_SECRET,
    Q_SHOP_INSERT,
    Q_SHOP_UPDATE,
    Q_SHOP_SET_KEY,
    Q_SHOP_BY_UUID,
    Q_SHOP_BY_KEY,
    Q_SHOP_BY_SID,
    Q_SHOP_BY_URL,
    Q_SHOP_COUNT,
    Q_VARIANT_GET,
    Q_VARIANT_PUT,
    Q_VARIANT_PUT_STOCK,
    Q_RESTOCK_INSERT,
    Q_SUB_INSERT,
    Q_SUB_FIND,
    Q_SUB_GET,
    Q_SUB_SET_STATUS,
    Q_SUB_UNSUB_CONTACT,
    Q_SUB_REENROLL,
    Q_SUB_WAITING,
    Q_SUB_NOTIFIED,
    Q_CAMP_INSERT,
    Q_CAMP_UPDATE,
    Q_CAMP_DELETE,
    Q_CAMP_GET,
    Q_CAMP_LIST,
    Q_CAMP_SET_REWALK,
    Q_CAMP_REWALK_NEXT,
    Q_RESTOCK_NEXT,
    Q_RESTOCK_UPDATE,
    Q_RESTOCK_REWIND,
    Q_NOTIF_INSERT,
    Q_NOTIF_PUT,
    Q_NOTIF_STATUS,
    Q_NOTIF_AFTER,
    Q_OUTBOX_RENEW,
    Q_OUTBOX_RELEASE,
    Q_SUB_REOPEN,
    Q_BUDGET_GET,
    Q_BUDGET_ADD,
    Q_NOTIF_GET,
    Q_OUTBOX_CLAIM,
    Q_NOTIF_RESULT,
    Q_CAP_GET,
    Q_CAP_ADD,
    Q_BUDGET_GIVE_BACK,
    Q_CAP_GIVE_BACK,
    Q_SUB_GIVE_BACK,
    Q_DECISION_INSERT,
    Q_ORDER_GET,
    Q_ORDER_ITEMS,
    Q_ORDER_INSERT,
    Q_ORDER_ITEM_INSERT,
    Q_ORDER_UPDATE,
    Q_VARIANT_BY_NUMBER,
    Q_VARIANT_BY_URL,
    Q_ATTR_BY_KEY,
    Q_ATTR_BY_EMAIL,
    Q_ATTR_BY_PHONE,
    Q_ATTR_BY_CUSTOMER,
    Q_ATTR_BY_TRACKING,
    Q_ATTR_NOTIFS,
    Q_ATTR_ONE,
    Q_CONV_INSERT,
    Q_CONV_BY_ORDER,
    Q_CONV_SET,
    Q_CONV_SUPERSEDE,
    Q_REFUND_ADD,
    Q_STATS_SLOTS,
    Q_STATS_RESET,
    Q_STATS_RECOUNT,
    Q_STATS_SLOTS_CAMPAIGN,
    Q_STATS_EVENTS,
    Q_STATS_EVENTS_CAMPAIGN,
    Q_VARIANT_BY_ITEM,
    Q_LEVEL_PUT,
    Q_LEVEL_DELETE,
    Q_LEVEL_SUM,
    Q_WEBHOOK_EVENT,
    Q_SHOPIFY_ORDER_PUT,
    Q_SHOPIFY_ORDER_GET,
    Q_CONFIRM_QUEUE,
    Q_ACTIVITY_ADD,
    Q_ACTIVITY_SINCE,
    Q_ACTIVITY_SINCE_VARIANT,
    Q_NOTIF_CONTEXT,
    Q_HIT_INSERT,
    Q_NOTIF_TOUCH,
    Q_EVENT_TOP_NOTIF,
    Q_EVENT_TOP_CAMP,
    Q_REPORT_CUSTOMERS,
    Q_REPORT_WAITING,
    Q_COUNT
};

#define IDLE_MS    50
#define SHOP_CACHE 8

struct cached_shop {
    struct arena *arena; /* holds shop's strings; NULL: empty */
    unsigned long view;  /* the connection's view it was read in */
    struct shop shop;
};

struct store_conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[Q_COUNT];
    sqlite3_stmt *notif_batch; /* NOTIF_BATCH rows of Q_NOTIF_PUT's insert */
    int sync_full;             /* sq_durable's last setting + 1; 0: the pragma's default */
    int busy_quick;            /* the busy handler gives up after 2 ms (a RESTART checkpoint) */
    struct store *store;
    struct store_conn *next; /* the store's list of connections */
    unsigned long view;      /* see "Shops by public id" above */
    struct cached_shop shops[SHOP_CACHE];
    unsigned shops_next; /* the entry to replace next */
    /* readers only */
    pthread_mutex_t mu;
    int held, in_txn;
    int snap_reused; /* the open snapshot began before the current reader() */
    unsigned long snap_commits;
    int64_t snap_ms, last_used_ms;
};

struct store {
    char *path;
    unsigned long gen; /* tells this store's thread-local readers from an earlier store's */
    pthread_mutex_t mu;
    struct store_conn *writer, *conns;
    atomic_ulong commits;
    pthread_t housekeeper, checkpointer;
    pthread_mutex_t hk_mu; /* both threads' sleep, and `stopping` */
    pthread_cond_t hk_cv;
    int stopping;
    struct store_conn *checkpoint_conn; /* the checkpointer's own */
    atomic_int checkpoint_state;        /* CK_* in store_sqlite.c */
    int restart_at;                     /* WAL pages; the writer's */
    char *wal_path;                     /* the WAL file's name, for sq_sync */
    int wal_fd;                         /* the syncer's descriptor of it; -1 until opened */
};

/* ---- statement helpers ---- */

static inline int fail_db(sqlite3 *db, const char *what)
{
    log_msg(LOG_ERROR, "sqlite: %s: %s", what, db ? sqlite3_errmsg(db) : "cannot open");
    return RS_ESTORE;
}

/* The connection's prepared statement `id`, prepared from `text` on first use; NULL (logged) on
 * failure. Each file keeps the SQL of the statements it runs in its own `sql[]` table, and
 * calls stmt(c, id), which names that table. */
static inline sqlite3_stmt *stmt_of(struct store_conn *c, enum stmt_id id, const char *text)
{
    if (!c->stmt[id] &&
        sqlite3_prepare_v3(c->db, text, -1, SQLITE_PREPARE_PERSISTENT, &c->stmt[id], NULL)) {
        fail_db(c->db, text);
        return NULL;
    }
    return c->stmt[id];
}
#define stmt(c, id) stmt_of((c), (id), sql[(id)])

/* Runs a statement that returns no rows; resets it. */
static inline int exec_done(struct store_conn *c, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc == SQLITE_DONE) return RS_OK;
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) return RS_ECONFLICT;
    return fail_db(c->db, sqlite3_sql(s));
}

/* exec_done for an INSERT that ignores a row it has already (ON CONFLICT DO NOTHING): *dup when
 * nothing was inserted. */
static inline int exec_seen(struct store_conn *c, sqlite3_stmt *s, int *dup)
{
    int rc = exec_done(c, s);
    if (rc == RS_OK) *dup = sqlite3_changes(c->db) == 0;
    return rc;
}

/* Runs a prepared statement with no parameters: simple(c, Q_BEGIN). */
static inline int run_prepared(struct store_conn *c, sqlite3_stmt *s)
{
    return s ? exec_done(c, s) : RS_ESTORE;
}
#define simple(c, id) run_prepared((c), stmt((c), (id)))

static inline void bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

static inline const char *col_text(sqlite3_stmt *s, int i, struct arena *a)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(s, i)) : NULL;
}

/* Steps a one-row query: RS_OK with the row ready, RS_ENOTFOUND, or RS_ESTORE. On anything but
 * RS_OK the statement is reset; on RS_OK the caller reads columns and then calls finish(). */
static inline int step_row(struct store_conn *c, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) return RS_OK;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE ? RS_ENOTFOUND : fail_db(c->db, sqlite3_sql(s));
}

static inline void finish(sqlite3_stmt *s)
{
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

/* Prepares a one-off statement (the rare ingest operations are not worth a kept statement). */
static inline sqlite3_stmt *prepare(struct store_conn *c, const char *q)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(c->db, q, -1, &s, NULL) != SQLITE_OK) {
        fail_db(c->db, q);
        return NULL;
    }
    return s;
}

static inline int count_query(struct store_conn *c, sqlite3_stmt *s, int64_t *n)
{
    int rc = step_row(c, s);
    if (rc == RS_ENOTFOUND) {
        *n = 0;
        return RS_OK;
    }
    if (rc) return rc;
    *n = sqlite3_column_int64(s, 0);
    finish(s);
    return RS_OK;
}

/* store_sqlite_schema.c: brings the database at c to the latest schema version, each migration
 * in its own transaction (the first also makes the server secret). RS_ESTORE with st when one
 * fails or the database is newer than this restock. */
int sq_migrate(struct store_conn *c, struct rs_status *st);

/* store_sqlite.c: a shop missing from a reused read snapshot may have been added by another
 * process since; starts a fresh snapshot and returns 1 when looking again can help. */
int sq_fresh_snapshot(struct store_conn *c);

/* ---- the operations of the area files (store_sqlite_*.c) ---- */

int sq_shop_insert(struct store_conn *c, struct shop *sh);
int sq_shop_update(struct store_conn *c, const struct shop *sh);
int sq_shop_set_key(struct store_conn *c, int64_t sid, const uint8_t hash[32]);
int sq_shop_by_uuid(struct store_conn *c, const char *uuid, struct arena *a, struct shop *out);
int sq_shop_by_key(struct store_conn *c, const uint8_t hash[32], struct arena *a, struct shop *out);
int sq_shop_by_sid(struct store_conn *c, int64_t sid, struct arena *a, struct shop *out);
int sq_shop_by_url(struct store_conn *c, const char *url, struct arena *a, struct shop *out);
int sq_shop_count(struct store_conn *c, int64_t *n);
int sq_variant_get(struct store_conn *c, int64_t sid, const char *variant_id, struct arena *a,
                   struct variant *v);
int sq_variant_put(struct store_conn *c, const struct variant *v);
int sq_variant_put_stock(struct store_conn *c, const struct variant *v);
int sq_restock_insert(struct store_conn *c, int64_t sid, const char *variant_id, int64_t available,
                      int64_t soldout_since, int64_t at);
int sq_sub_insert(struct store_conn *c, struct subscription *x);
int sq_sub_find(struct store_conn *c, int64_t sid, const char *variant_id, enum channel ch,
                const char *contact_key, struct arena *a, struct subscription *out);
int sq_sub_get(struct store_conn *c, int64_t id, struct arena *a, struct subscription *out);
int sq_sub_list(struct store_conn *c, const struct sub_filter *f, struct arena *a, sub_cb cb,
                void *arg);
int sq_sub_set_status(struct store_conn *c, int64_t id, enum sub_status st, int64_t at);
int sq_sub_unsubscribe_contact(struct store_conn *c, int64_t sid, const char *contact_key,
                               int64_t at, int64_t *n);
int sq_sub_reenroll(struct store_conn *c, int64_t sid, const char *variant_id, int64_t max,
                    int64_t at, int64_t *n);
int sq_sub_waiting(struct store_conn *c, int64_t sid, const char *variant_id, int64_t after_id,
                   int limit, struct arena *a, sub_cb cb, void *arg);
int sq_sub_notified(struct store_conn *c, int64_t sid, int64_t restock_id, int64_t after_id,
                    int64_t upto_id, int64_t at);
int sq_campaign_insert(struct store_conn *c, struct stored_campaign *sc);
int sq_campaign_update(struct store_conn *c, const struct stored_campaign *sc);
int sq_campaign_delete(struct store_conn *c, int64_t sid, int64_t id, int64_t at);
int sq_campaign_get(struct store_conn *c, int64_t sid, int64_t id, struct arena *a,
                    struct stored_campaign *out);
int sq_campaign_list(struct store_conn *c, int64_t sid, struct arena *a,
                     int (*cb)(void *arg, const struct stored_campaign *sc), void *arg);
int sq_campaign_set_rewalk(struct store_conn *c, int64_t sid, int64_t id, int64_t at);
int sq_campaign_rewalk_next(struct store_conn *c, int64_t now, struct arena *a,
                            struct stored_campaign *out);
int sq_restock_next(struct store_conn *c, int64_t now, struct arena *a, struct restock *r);
int sq_restock_update(struct store_conn *c, const struct restock *r);
int sq_restock_rewind(struct store_conn *c, int64_t sid, int channel, int64_t min_available,
                      int64_t *n);
int sq_notification_insert(struct store_conn *c, struct notification *n);
int sq_notification_insert_many(struct store_conn *c, const struct notification *n, size_t count);
int sq_notification_status(struct store_conn *c, int64_t sid, int64_t restock_id, int64_t sub_id,
                           int *status);
int sq_notification_after(struct store_conn *c, int64_t sid, int64_t restock_id, int64_t after_id,
                          int *yes);
int sq_notification_get(struct store_conn *c, int64_t id, struct arena *a, struct notification *n);
int sq_confirm_queue(struct store_conn *c, int64_t sid, int64_t sub_id, enum channel ch,
                     int64_t now, int64_t ttl, int64_t resend_after, int *queued);
int sq_activity_add(struct store_conn *c, int64_t sid, const char *who, const char *kind,
                    const char *variant_id, int64_t at);
int sq_activity_since(struct store_conn *c, int64_t sid, const char *who, const char *kind,
                      const char *variant_id, int64_t since, int *found);
int sq_notification_list(struct store_conn *c, const struct notif_filter *f, struct arena *a,
                         int (*cb)(void *, const struct notification *), void *arg);
int sq_decision_list(struct store_conn *c, int64_t sid, int64_t subscription_id, struct arena *a,
                     int (*cb)(void *, const struct decision *), void *arg);
int sq_outbox_claim(struct store_conn *c, unsigned channels, int64_t now, int64_t lease_until,
                    int limit, int (*cb)(void *arg, int64_t id), void *arg);
int sq_notification_result(struct store_conn *c, const struct notification *n, int64_t lease);
int sq_outbox_renew(struct store_conn *c, int64_t id, int64_t lease, int64_t new_lease);
int sq_outbox_release(struct store_conn *c);
int sq_sub_reopen(struct store_conn *c, int64_t id, enum sub_status st, int64_t at);
int sq_budget_get(struct store_conn *c, int64_t sid, int64_t restock_id, int64_t campaign_id,
                  int64_t *used);
int sq_budget_add(struct store_conn *c, int64_t sid, int64_t restock_id, int64_t campaign_id,
                  int64_t n);
int sq_cap_get(struct store_conn *c, int64_t sid, int64_t campaign_id, const char *contact_key,
               int64_t day, int64_t *n);
int sq_cap_add(struct store_conn *c, int64_t sid, int64_t campaign_id, const char *contact_key,
               int64_t day);
int sq_notification_give_back(struct store_conn *c, const struct notification *n,
                              const char *contact_key);
int sq_decision_insert(struct store_conn *c, int64_t sid, int64_t restock_id,
                       int64_t subscription_id, int64_t campaign_id, const char *decision,
                       const char *reason, int64_t at);
int sq_notification_context(struct store_conn *c, int64_t id, struct arena *a,
                            struct notif_context *x);
int sq_hit_insert(struct store_conn *c, const struct hit *h);
int sq_notification_touch(struct store_conn *c, int64_t id, int64_t opened_at, int64_t clicked_at);
int sq_event_top(struct store_conn *c, int64_t sid, int64_t notification_id, int64_t campaign_id,
                 int limit, struct arena *a, int (*cb)(void *, const char *, int64_t), void *arg);
int sq_report_customers(struct store_conn *c, const struct report_filter *f, struct arena *a,
                        int (*cb)(void *, const struct customer_row *), void *arg);
int sq_report_waiting(struct store_conn *c, int64_t sid, struct arena *a,
                      int (*cb)(void *, const struct waiting_row *), void *arg);
int sq_order_get(struct store_conn *c, int64_t sid, const char *order_number, struct arena *a,
                 struct order *out);
int sq_order_insert(struct store_conn *c, struct order *o);
int sq_order_update(struct store_conn *c, const struct order *o);
int sq_variant_resolve(struct store_conn *c, int64_t sid, const char *product_number,
                       const char *url, struct arena *a, int (*cb)(void *, const char *),
                       void *arg);
int sq_attr_candidates(struct store_conn *c, const struct attr_query *q, struct arena *a,
                       int (*cb)(void *, const struct attr_cand *), void *arg);
int sq_attr_candidate(struct store_conn *c, int64_t sid, int64_t notification_id, struct arena *a,
                      struct attr_cand *out);
int sq_conversion_insert(struct store_conn *c, struct conversion *cv);
int sq_conversion_by_order(struct store_conn *c, int64_t sid, int64_t order_id, struct arena *a,
                           struct conversion *out);
int sq_conversion_supersede(struct store_conn *c, int64_t sid, int64_t notification_id);
int sq_refund_add(struct store_conn *c, int64_t sid, int64_t order_id, const char *refund_id,
                  int64_t amount, int64_t at, int *dup);
int sq_conversion_set(struct store_conn *c, int64_t sid, int64_t order_id, int status,
                      int64_t refunded);
int sq_stats_recount(struct store_conn *c, int64_t sid);
int sq_stats_slots(struct store_conn *c, int64_t sid, int64_t campaign_id, int64_t lo, int64_t hi,
                   int (*cb)(void *, const struct stats_slot *), void *arg);
int sq_stats_events(struct store_conn *c, int64_t sid, int64_t campaign_id, int64_t lo, int64_t hi,
                    int limit, struct arena *a, int (*cb)(void *, const char *, int64_t),
                    void *arg);
int sq_variant_by_item(struct store_conn *c, int64_t sid, const char *item, struct arena *a,
                       const char **variant_id);
int sq_level_set(struct store_conn *c, int64_t sid, const char *item, const char *location,
                 int64_t available, int64_t at, int64_t *sum, int64_t *nlevels);
int sq_webhook_event_add(struct store_conn *c, int64_t sid, const char *event_id, const char *topic,
                         int64_t at, int *dup);
int sq_shopify_order_put(struct store_conn *c, int64_t sid, const char *order_id,
                         const char *order_number);
int sq_shopify_order_get(struct store_conn *c, int64_t sid, const char *order_id, struct arena *a,
                         const char **order_number);
int sq_privacy_request_add(struct store_conn *c, struct privacy_request *pr);
int sq_privacy_request_get(struct store_conn *c, int64_t sid, int64_t id, struct arena *a,
                           struct privacy_request *pr);
int sq_customer_redact(struct store_conn *c, int64_t sid, const char *who_json, int64_t at,
                       int64_t *n);
int sq_shop_erase(struct store_conn *c, int64_t sid);
int sq_ingest_prune(struct store_conn *c, int64_t activity_before, int64_t purchases_before,
                    int64_t events_before, int limit, int64_t *n);
int sq_feed_due(struct store_conn *c, int64_t now, int (*cb)(void *arg, int64_t sid), void *arg);
int sq_feed_mark(struct store_conn *c, int64_t sid, int64_t at);

#endif
