/*
 * store_sqlite_outbox — the SQLite backend's operations on restocks, the outbox, budgets, caps,
 * decisions and shoppers' activity. The schema is drawn at the top of store_sqlite.c; what the
 * files share is in sqlite_int.h.
 */
#include "store/sqlite_int.h"

/* The fan-out's insert of a notification (Q_NOTIF_PUT, and NOTIF_BATCH rows at once): a row of
 * the same subscription and restock is kept, unless it was never to be delivered (dropped 5,
 * skipped_cap 6): a re-walk's new decision then takes its place, under its id. */
#define NOTIF_PUT_HEAD                                                                             \
    "INSERT INTO notifications(shop_id, subscription_id, restock_id, campaign_id, channel,"        \
    " status, attempts, not_before, lease_until, expires_at, created_at, sent_at, segments,"       \
    " reason, budget_units, cap_day, maybe_sent) VALUES "
#define NOTIF_PUT_TAIL                                                                             \
    " ON CONFLICT(shop_id, restock_id, subscription_id) DO UPDATE SET"                             \
    " campaign_id = excluded.campaign_id, channel = excluded.channel, status = excluded.status,"   \
    " attempts = excluded.attempts, not_before = excluded.not_before,"                             \
    " lease_until = excluded.lease_until, expires_at = excluded.expires_at,"                       \
    " created_at = excluded.created_at, sent_at = excluded.sent_at,"                               \
    " segments = excluded.segments, reason = excluded.reason,"                                     \
    " budget_units = excluded.budget_units, cap_day = excluded.cap_day,"                           \
    " maybe_sent = excluded.maybe_sent"                                                            \
    " WHERE notifications.status IN (5, 6)"
#define NOTIF_VALUES  "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
#define NOTIF_NVALUES 17

#define NOTIF_COLS                                                                                 \
    "id, shop_id, subscription_id, restock_id, campaign_id, channel, status, attempts,"            \
    " not_before, lease_until, expires_at, created_at, sent_at, segments, reason, opened_at,"      \
    " clicked_at, budget_units, cap_day, maybe_sent"

static const char *const sql[Q_COUNT] = {
    [Q_RESTOCK_NEXT] = "SELECT id, shop_id, variant_id, available, soldout_since, at, cursor,"
                       " next_batch_at, sent, processed_at, state FROM restocks"
                       " WHERE processed_at IS NULL AND next_batch_at <= ? ORDER BY id LIMIT 1",
    [Q_RESTOCK_UPDATE] = "UPDATE restocks SET cursor = ?2, next_batch_at = ?3, sent = ?4,"
                         " processed_at = nullif(?5, 0), state = ?6 WHERE id = ?1",
    /* each variant's latest restock through restocks_variant (shop_id, variant_id, at) */
    [Q_RESTOCK_REWIND] =
        "UPDATE restocks SET cursor = 0, processed_at = NULL,"
        " state = CASE state WHEN 'done' THEN 'rewalk' ELSE state END"
        " WHERE state <> 'paused' AND id IN (SELECT (SELECT r.id FROM restocks r"
        " WHERE r.shop_id = ?1 AND r.variant_id = v.variant_id ORDER BY r.at DESC, r.id DESC"
        " LIMIT 1) FROM variants v WHERE v.shop_id = ?1 AND v.available >= ?3"
        " AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.shop_id = ?1"
        " AND s.variant_id = v.variant_id AND s.status = 1 AND s.channel = ?2))",
    [Q_NOTIF_INSERT] = NOTIF_PUT_HEAD NOTIF_VALUES,
    [Q_NOTIF_PUT] = NOTIF_PUT_HEAD NOTIF_VALUES NOTIF_PUT_TAIL,
    [Q_NOTIF_STATUS] = "SELECT status FROM notifications WHERE shop_id = ? AND restock_id = ?"
                       " AND subscription_id = ?",
    [Q_NOTIF_AFTER] = "SELECT 1 FROM notifications WHERE shop_id = ? AND restock_id = ?"
                      " AND subscription_id > ? LIMIT 1",
    [Q_NOTIF_GET] = "SELECT " NOTIF_COLS " FROM notifications WHERE id = ?",
    /* a lease still set on a row that is due again ended with no result: it may have gone out */
    [Q_OUTBOX_CLAIM] = "UPDATE notifications SET lease_until = ?3,"
                       " maybe_sent = maybe_sent OR lease_until > 0 WHERE id IN (SELECT id FROM"
                       " notifications WHERE channel = ?1 AND status IN (0, 2)"
                       " AND not_before <= ?2 AND lease_until <= ?2"
                       " ORDER BY not_before LIMIT ?4) RETURNING id",
    [Q_NOTIF_RESULT] = "UPDATE notifications SET status = ?2, attempts = ?3, not_before = ?4,"
                       " lease_until = ?5, sent_at = ?6, segments = ?7, reason = ?8 WHERE id = ?1"
                       " AND lease_until = ?9 AND status IN (0, 2)",
    [Q_OUTBOX_RENEW] = "UPDATE notifications SET lease_until = ?3 WHERE id = ?1"
                       " AND lease_until = ?2 AND status IN (0, 2)",
    [Q_OUTBOX_RELEASE] = "UPDATE notifications SET lease_until = 0, maybe_sent = 1"
                         " WHERE status IN (0, 2) AND lease_until > 0",
    [Q_SUB_REOPEN] = "UPDATE subscriptions SET status = ?2, created_at = ?3, updated_at = ?3,"
                     " notify_count = 0, notified_at = 0, confirmed_at = 0 WHERE id = ?1",
    [Q_BUDGET_GET] = "SELECT used FROM budgets WHERE shop_id = ? AND restock_id = ?"
                     " AND campaign_id = ?",
    [Q_BUDGET_ADD] = "INSERT INTO budgets VALUES (?1, ?2, ?3, ?4)"
                     " ON CONFLICT DO UPDATE SET used = used + ?4",
    [Q_CAP_GET] = "SELECT n FROM caps WHERE shop_id = ? AND campaign_id = ? AND contact_key = ?"
                  " AND day = ?",
    [Q_CAP_ADD] = "INSERT INTO caps VALUES (?,?,?,?,1) ON CONFLICT DO UPDATE SET n = n + 1",
    /* a message dropped unsent gives back what the fan-out counted for it */
    [Q_BUDGET_GIVE_BACK] = "UPDATE budgets SET used = max(used - ?4, 0) WHERE shop_id = ?1"
                           " AND restock_id = ?2 AND campaign_id = ?3",
    [Q_CAP_GIVE_BACK] = "UPDATE caps SET n = max(n - 1, 0) WHERE shop_id = ? AND campaign_id = ?"
                        " AND contact_key = ? AND day = ?",
    [Q_SUB_GIVE_BACK] = "UPDATE subscriptions SET notify_count = max(notify_count - 1, 0)"
                        " WHERE id = ?",
    [Q_CONFIRM_QUEUE] = "INSERT INTO notifications(shop_id, subscription_id, restock_id,"
                        " campaign_id, channel, status, attempts, not_before, lease_until,"
                        " expires_at, created_at, sent_at, segments, reason)"
                        " VALUES (?1, ?2, 0, 0, ?3, 0, 0, ?4, 0, ?4 + ?5, ?4, 0, 0, NULL)"
                        " ON CONFLICT(shop_id, restock_id, subscription_id) DO UPDATE SET"
                        " status = 0, attempts = 0, not_before = ?4, lease_until = 0,"
                        " expires_at = ?4 + ?5, created_at = ?4, sent_at = 0, reason = NULL"
                        " WHERE notifications.created_at <= ?4 - ?6"
                        " AND notifications.lease_until <= ?4",
    [Q_ACTIVITY_ADD] = "INSERT INTO activity VALUES (?,?,?,?,?)",
    [Q_ACTIVITY_SINCE] = "SELECT 1 FROM activity WHERE shop_id = ? AND who = ? AND kind = ?"
                         " AND at >= ? LIMIT 1",
    [Q_ACTIVITY_SINCE_VARIANT] = "SELECT 1 FROM activity WHERE shop_id = ? AND who = ?"
                                 " AND kind = ? AND at >= ? AND variant_id = ? LIMIT 1",
    [Q_DECISION_INSERT] = "INSERT INTO decisions(shop_id, restock_id, subscription_id,"
                          " campaign_id, decision, reason, at) VALUES (?,?,?,?,?,?,?)",
};

/* ---- restocks and the outbox -------------------------------------------------------------- */

int sq_restock_next(struct store_conn *c, int64_t now, struct arena *a, struct restock *r)
{
    sqlite3_stmt *s = stmt(c, Q_RESTOCK_NEXT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, now);
    int rc = step_row(c, s);
    if (rc) return rc;
    r->id = sqlite3_column_int64(s, 0);
    r->sid = sqlite3_column_int64(s, 1);
    r->variant_id = col_text(s, 2, a);
    r->available = sqlite3_column_int64(s, 3);
    r->soldout_since = sqlite3_column_int64(s, 4);
    r->at = sqlite3_column_int64(s, 5);
    r->cursor = sqlite3_column_int64(s, 6);
    r->next_batch_at = sqlite3_column_int64(s, 7);
    r->sent = sqlite3_column_int64(s, 8);
    r->processed_at = sqlite3_column_int64(s, 9);
    r->state = col_text(s, 10, a);
    finish(s);
    return RS_OK;
}

int sq_restock_rewind(struct store_conn *c, int64_t sid, int channel, int64_t min_available,
                      int64_t *n)
{
    sqlite3_stmt *s = stmt(c, Q_RESTOCK_REWIND);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int(s, 2, channel);
    sqlite3_bind_int64(s, 3, min_available);
    int rc = exec_done(c, s);
    if (rc == RS_OK) *n = sqlite3_changes(c->db);
    return rc;
}

int sq_restock_update(struct store_conn *c, const struct restock *r)
{
    sqlite3_stmt *s = stmt(c, Q_RESTOCK_UPDATE);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, r->id);
    sqlite3_bind_int64(s, 2, r->cursor);
    sqlite3_bind_int64(s, 3, r->next_batch_at);
    sqlite3_bind_int64(s, 4, r->sent);
    sqlite3_bind_int64(s, 5, r->processed_at);
    bind_text(s, 6, r->state);
    return exec_done(c, s);
}

/* Binds a notification's NOTIF_NVALUES values from parameter base + 1 on. */
static void bind_notif(sqlite3_stmt *s, int base, const struct notification *n)
{
    sqlite3_bind_int64(s, base + 1, n->sid);
    sqlite3_bind_int64(s, base + 2, n->subscription_id);
    sqlite3_bind_int64(s, base + 3, n->restock_id);
    sqlite3_bind_int64(s, base + 4, n->campaign_id);
    sqlite3_bind_int(s, base + 5, (int)n->channel);
    sqlite3_bind_int(s, base + 6, (int)n->status);
    sqlite3_bind_int64(s, base + 7, n->attempts);
    sqlite3_bind_int64(s, base + 8, n->not_before);
    sqlite3_bind_int64(s, base + 9, n->lease_until);
    sqlite3_bind_int64(s, base + 10, n->expires_at);
    sqlite3_bind_int64(s, base + 11, n->created_at);
    sqlite3_bind_int64(s, base + 12, n->sent_at);
    sqlite3_bind_int64(s, base + 13, n->segments);
    bind_text(s, base + 14, n->reason);
    sqlite3_bind_int64(s, base + 15, n->budget_units);
    sqlite3_bind_int64(s, base + 16, n->cap_day);
    sqlite3_bind_int(s, base + 17, n->maybe_sent);
}

int sq_notification_insert(struct store_conn *c, struct notification *n)
{
    sqlite3_stmt *s = stmt(c, Q_NOTIF_INSERT);
    if (!s) return RS_ESTORE;
    bind_notif(s, 0, n);
    int rc = exec_done(c, s);
    if (rc == RS_OK) n->id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

/* Rows per multi-row INSERT: one statement's start-up and step for many rows (17 × 64
 * parameters, well under SQLite's limit). */
#define NOTIF_BATCH 64

static sqlite3_stmt *notif_batch_stmt(struct store_conn *c)
{
    if (c->notif_batch) return c->notif_batch;
    struct buf q = BUF_INIT(0);
    buf_puts(&q, NOTIF_PUT_HEAD);
    for (int i = 0; i < NOTIF_BATCH; i++)
        buf_puts(&q, i ? "," NOTIF_VALUES : NOTIF_VALUES);
    buf_puts(&q, NOTIF_PUT_TAIL);
    if (sqlite3_prepare_v3(c->db, q.p, -1, SQLITE_PREPARE_PERSISTENT, &c->notif_batch, NULL))
        fail_db(c->db, "notification batch");
    buf_free(&q);
    return c->notif_batch;
}

int sq_notification_insert_many(struct store_conn *c, const struct notification *n, size_t count)
{
    size_t i = 0;
    sqlite3_stmt *b = count >= NOTIF_BATCH ? notif_batch_stmt(c) : NULL;
    for (; b && i + NOTIF_BATCH <= count; i += NOTIF_BATCH) {
        for (int k = 0; k < NOTIF_BATCH; k++)
            bind_notif(b, NOTIF_NVALUES * k, &n[i + (size_t)k]);
        int rc = exec_done(c, b);
        if (rc) return rc;
    }
    sqlite3_stmt *one = stmt(c, Q_NOTIF_PUT);
    if (!one) return RS_ESTORE;
    for (; i < count; i++) {
        bind_notif(one, 0, &n[i]);
        int rc = exec_done(c, one);
        if (rc) return rc;
    }
    return RS_OK;
}

static void read_notif(sqlite3_stmt *s, struct arena *a, struct notification *n)
{
    n->id = sqlite3_column_int64(s, 0);
    n->sid = sqlite3_column_int64(s, 1);
    n->subscription_id = sqlite3_column_int64(s, 2);
    n->restock_id = sqlite3_column_int64(s, 3);
    n->campaign_id = sqlite3_column_int64(s, 4);
    n->channel = (enum channel)sqlite3_column_int(s, 5);
    n->status = (enum notif_status)sqlite3_column_int(s, 6);
    n->attempts = sqlite3_column_int64(s, 7);
    n->not_before = sqlite3_column_int64(s, 8);
    n->lease_until = sqlite3_column_int64(s, 9);
    n->expires_at = sqlite3_column_int64(s, 10);
    n->created_at = sqlite3_column_int64(s, 11);
    n->sent_at = sqlite3_column_int64(s, 12);
    n->segments = sqlite3_column_int64(s, 13);
    n->reason = col_text(s, 14, a);
    n->opened_at = sqlite3_column_int64(s, 15);
    n->clicked_at = sqlite3_column_int64(s, 16);
    n->budget_units = sqlite3_column_int64(s, 17);
    n->cap_day = sqlite3_column_int64(s, 18);
    n->maybe_sent = sqlite3_column_int(s, 19);
}

int sq_notification_get(struct store_conn *c, int64_t id, struct arena *a, struct notification *n)
{
    sqlite3_stmt *s = stmt(c, Q_NOTIF_GET);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    int rc = step_row(c, s);
    if (rc) return rc;
    read_notif(s, a, n);
    finish(s);
    return RS_OK;
}

int sq_notification_status(struct store_conn *c, int64_t sid, int64_t restock_id, int64_t sub_id,
                           int *status)
{
    sqlite3_stmt *s = stmt(c, Q_NOTIF_STATUS);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, restock_id);
    sqlite3_bind_int64(s, 3, sub_id);
    int rc = step_row(c, s);
    if (rc) return rc;
    *status = sqlite3_column_int(s, 0);
    finish(s);
    return RS_OK;
}

int sq_notification_after(struct store_conn *c, int64_t sid, int64_t restock_id, int64_t after_id,
                          int *yes)
{
    sqlite3_stmt *s = stmt(c, Q_NOTIF_AFTER);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, restock_id);
    sqlite3_bind_int64(s, 3, after_id);
    int rc = step_row(c, s);
    *yes = rc == RS_OK;
    if (rc == RS_OK) finish(s);
    return rc == RS_ENOTFOUND ? RS_OK : rc;
}

int sq_confirm_queue(struct store_conn *c, int64_t sid, int64_t sub_id, enum channel ch,
                     int64_t now, int64_t ttl, int64_t resend_after, int *queued)
{
    sqlite3_stmt *s = stmt(c, Q_CONFIRM_QUEUE);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, sub_id);
    sqlite3_bind_int(s, 3, (int)ch);
    sqlite3_bind_int64(s, 4, now);
    sqlite3_bind_int64(s, 5, ttl);
    sqlite3_bind_int64(s, 6, resend_after);
    int rc = exec_done(c, s);
    if (rc == RS_OK) *queued = sqlite3_changes(c->db) > 0;
    return rc;
}

int sq_activity_add(struct store_conn *c, int64_t sid, const char *who, const char *kind,
                    const char *variant_id, int64_t at)
{
    sqlite3_stmt *s = stmt(c, Q_ACTIVITY_ADD);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, who);
    bind_text(s, 3, kind);
    bind_text(s, 4, variant_id);
    sqlite3_bind_int64(s, 5, at);
    return exec_done(c, s);
}

int sq_activity_since(struct store_conn *c, int64_t sid, const char *who, const char *kind,
                      const char *variant_id, int64_t since, int *found)
{
    sqlite3_stmt *s = stmt(c, variant_id ? Q_ACTIVITY_SINCE_VARIANT : Q_ACTIVITY_SINCE);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, who);
    bind_text(s, 3, kind);
    sqlite3_bind_int64(s, 4, since);
    if (variant_id) bind_text(s, 5, variant_id);
    int rc = step_row(c, s);
    if (rc == RS_ENOTFOUND) {
        *found = 0;
        return RS_OK;
    }
    if (rc) return rc;
    finish(s);
    *found = 1;
    return RS_OK;
}

int sq_notification_list(struct store_conn *c, const struct notif_filter *f, struct arena *a,
                         int (*cb)(void *, const struct notification *), void *arg)
{
    char q[512];
    snprintf(q, sizeof(q),
             "SELECT " NOTIF_COLS " FROM notifications WHERE shop_id = ?1 AND id > ?2%s%s"
             " ORDER BY id LIMIT ?5",
             f->subscription_id ? " AND subscription_id = ?3" : "",
             f->status >= 0 ? " AND status = ?4" : "");
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(c->db, q, -1, &s, NULL) != SQLITE_OK) return fail_db(c->db, q);
    sqlite3_bind_int64(s, 1, f->sid);
    sqlite3_bind_int64(s, 2, f->after_id);
    if (f->subscription_id) sqlite3_bind_int64(s, 3, f->subscription_id);
    if (f->status >= 0) sqlite3_bind_int(s, 4, f->status);
    sqlite3_bind_int(s, 5, f->limit);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct notification n;
        read_notif(s, a, &n);
        if (cb(arg, &n)) break;
    }
    int out = rc == SQLITE_ROW || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, q);
    sqlite3_finalize(s);
    return out;
}

int sq_decision_list(struct store_conn *c, int64_t sid, int64_t subscription_id, struct arena *a,
                     int (*cb)(void *, const struct decision *), void *arg)
{
    static const char q[] = "SELECT id, restock_id, subscription_id, campaign_id, decision,"
                            " reason, at FROM decisions WHERE shop_id = ? AND subscription_id = ?"
                            " ORDER BY id LIMIT 1000";
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(c->db, q, -1, &s, NULL) != SQLITE_OK) return fail_db(c->db, q);
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, subscription_id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct decision d = {
            .id = sqlite3_column_int64(s, 0),
            .restock_id = sqlite3_column_int64(s, 1),
            .subscription_id = sqlite3_column_int64(s, 2),
            .campaign_id = sqlite3_column_int64(s, 3),
            .decision = col_text(s, 4, a),
            .reason = col_text(s, 5, a),
            .at = sqlite3_column_int64(s, 6),
        };
        if (cb(arg, &d)) break;
    }
    int out = rc == SQLITE_ROW || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, q);
    sqlite3_finalize(s);
    return out;
}

/* One due-ordered range per channel (the index's), the channels taken in turn from one that
 * changes with the clock, so a busy channel cannot starve another. */
int sq_outbox_claim(struct store_conn *c, unsigned channels, int64_t now, int64_t lease_until,
                    int limit, int (*cb)(void *arg, int64_t id), void *arg)
{
    sqlite3_stmt *s = stmt(c, Q_OUTBOX_CLAIM);
    if (!s) return RS_ESTORE;
    int got = 0, stop = 0;
    for (int k = 0; k < CH_COUNT && got < limit && !stop; k++) {
        int ch = (int)((now + k) % CH_COUNT);
        if (!(channels & (1u << ch))) continue;
        sqlite3_bind_int(s, 1, ch);
        sqlite3_bind_int64(s, 2, now);
        sqlite3_bind_int64(s, 3, lease_until);
        sqlite3_bind_int(s, 4, limit - got);
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) { /* RETURNING: step to the end */
            got++;
            if (!stop) stop = cb(arg, sqlite3_column_int64(s, 0));
        }
        finish(s);
        if (rc != SQLITE_DONE) return fail_db(c->db, sql[Q_OUTBOX_CLAIM]);
    }
    return RS_OK;
}

int sq_notification_result(struct store_conn *c, const struct notification *n, int64_t lease)
{
    sqlite3_stmt *s = stmt(c, Q_NOTIF_RESULT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, n->id);
    sqlite3_bind_int(s, 2, (int)n->status);
    sqlite3_bind_int64(s, 3, n->attempts);
    sqlite3_bind_int64(s, 4, n->not_before);
    sqlite3_bind_int64(s, 5, n->lease_until);
    sqlite3_bind_int64(s, 6, n->sent_at);
    sqlite3_bind_int64(s, 7, n->segments);
    bind_text(s, 8, n->reason);
    sqlite3_bind_int64(s, 9, lease);
    int rc = exec_done(c, s);
    if (rc == RS_OK && sqlite3_changes(c->db) == 0) return RS_ECONFLICT; /* the lease was lost */
    return rc;
}

int sq_outbox_renew(struct store_conn *c, int64_t id, int64_t lease, int64_t new_lease)
{
    sqlite3_stmt *s = stmt(c, Q_OUTBOX_RENEW);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, lease);
    sqlite3_bind_int64(s, 3, new_lease);
    int rc = exec_done(c, s);
    if (rc == RS_OK && sqlite3_changes(c->db) == 0) return RS_ECONFLICT;
    return rc;
}

int sq_outbox_release(struct store_conn *c)
{
    return simple(c, Q_OUTBOX_RELEASE);
}

int sq_sub_reopen(struct store_conn *c, int64_t id, enum sub_status st, int64_t at)
{
    sqlite3_stmt *s = stmt(c, Q_SUB_REOPEN);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int(s, 2, (int)st);
    sqlite3_bind_int64(s, 3, at);
    return exec_done(c, s);
}

int sq_budget_get(struct store_conn *c, int64_t sid, int64_t restock_id, int64_t campaign_id,
                  int64_t *used)
{
    sqlite3_stmt *s = stmt(c, Q_BUDGET_GET);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, restock_id);
    sqlite3_bind_int64(s, 3, campaign_id);
    int rc = step_row(c, s);
    *used = 0;
    if (rc == RS_ENOTFOUND) return RS_OK;
    if (rc) return rc;
    *used = sqlite3_column_int64(s, 0);
    finish(s);
    return RS_OK;
}

int sq_budget_add(struct store_conn *c, int64_t sid, int64_t restock_id, int64_t campaign_id,
                  int64_t n)
{
    sqlite3_stmt *s = stmt(c, Q_BUDGET_ADD);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, restock_id);
    sqlite3_bind_int64(s, 3, campaign_id);
    sqlite3_bind_int64(s, 4, n);
    return exec_done(c, s);
}

int sq_cap_get(struct store_conn *c, int64_t sid, int64_t campaign_id, const char *contact_key,
               int64_t day, int64_t *n)
{
    sqlite3_stmt *s = stmt(c, Q_CAP_GET);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, campaign_id);
    bind_text(s, 3, contact_key);
    sqlite3_bind_int64(s, 4, day);
    return count_query(c, s, n);
}

int sq_cap_add(struct store_conn *c, int64_t sid, int64_t campaign_id, const char *contact_key,
               int64_t day)
{
    sqlite3_stmt *s = stmt(c, Q_CAP_ADD);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, campaign_id);
    bind_text(s, 3, contact_key);
    sqlite3_bind_int64(s, 4, day);
    return exec_done(c, s);
}

/* Each statement clamps at 0, so a counter that was reset meanwhile (a subscription re-opened)
 * does not go negative. */
int sq_notification_give_back(struct store_conn *c, const struct notification *n,
                              const char *contact_key)
{
    sqlite3_stmt *s;
    int rc = RS_OK;
    if (n->budget_units > 0) {
        if (!(s = stmt(c, Q_BUDGET_GIVE_BACK))) return RS_ESTORE;
        sqlite3_bind_int64(s, 1, n->sid);
        sqlite3_bind_int64(s, 2, n->restock_id);
        sqlite3_bind_int64(s, 3, n->campaign_id);
        sqlite3_bind_int64(s, 4, n->budget_units);
        if ((rc = exec_done(c, s))) return rc;
    }
    if (n->cap_day && contact_key) {
        if (!(s = stmt(c, Q_CAP_GIVE_BACK))) return RS_ESTORE;
        sqlite3_bind_int64(s, 1, n->sid);
        sqlite3_bind_int64(s, 2, n->campaign_id);
        bind_text(s, 3, contact_key);
        sqlite3_bind_int64(s, 4, n->cap_day);
        if ((rc = exec_done(c, s))) return rc;
    }
    if (n->restock_id) { /* a double opt-in confirmation (restock 0) counted nothing */
        if (!(s = stmt(c, Q_SUB_GIVE_BACK))) return RS_ESTORE;
        sqlite3_bind_int64(s, 1, n->subscription_id);
        rc = exec_done(c, s);
    }
    return rc;
}

int sq_decision_insert(struct store_conn *c, int64_t sid, int64_t restock_id,
                       int64_t subscription_id, int64_t campaign_id, const char *decision,
                       const char *reason, int64_t at)
{
    sqlite3_stmt *s = stmt(c, Q_DECISION_INSERT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, restock_id);
    sqlite3_bind_int64(s, 3, subscription_id);
    sqlite3_bind_int64(s, 4, campaign_id);
    bind_text(s, 5, decision);
    bind_text(s, 6, reason);
    sqlite3_bind_int64(s, 7, at);
    return exec_done(c, s);
}
