/*
 * store_sqlite_ingest — the SQLite backend's operations on Shopify, feeds, privacy and pruning.
 * The schema is drawn at the top of store_sqlite.c; what the files share is in sqlite_int.h.
 */
#include "store/sqlite_int.h"

static const char *const sql[Q_COUNT] = {
    [Q_VARIANT_BY_ITEM] = "SELECT variant_id FROM variants WHERE shop_id = ?"
                          " AND inventory_item_id = ? ORDER BY variant_id LIMIT 1",
    [Q_LEVEL_PUT] = "INSERT INTO inventory_levels VALUES (?,?,?,?,?) ON CONFLICT DO UPDATE SET"
                    " available = excluded.available, updated_at = excluded.updated_at",
    [Q_LEVEL_DELETE] = "DELETE FROM inventory_levels WHERE shop_id = ? AND inventory_item_id = ?"
                       " AND location_id = ?",
    [Q_LEVEL_SUM] = "SELECT coalesce(sum(available), 0), count(*) FROM inventory_levels"
                    " WHERE shop_id = ? AND inventory_item_id = ?",
    [Q_WEBHOOK_EVENT] = "INSERT OR IGNORE INTO webhook_events VALUES (?,?,?,?)",
    [Q_SHOPIFY_ORDER_PUT] = "INSERT OR REPLACE INTO shopify_orders VALUES (?,?,?)",
    [Q_SHOPIFY_ORDER_GET] = "SELECT order_number FROM shopify_orders WHERE shop_id = ?"
                            " AND order_id = ?",
};

/* ---- ingest -------------------------------------------------------------------------------- */

int sq_variant_by_item(struct store_conn *c, int64_t sid, const char *item, struct arena *a,
                       const char **variant_id)
{
    sqlite3_stmt *s = stmt(c, Q_VARIANT_BY_ITEM);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, item);
    int rc = step_row(c, s);
    if (rc) return rc;
    *variant_id = col_text(s, 0, a);
    finish(s);
    return RS_OK;
}

int sq_level_set(struct store_conn *c, int64_t sid, const char *item, const char *location,
                 int64_t available, int64_t at, int64_t *sum, int64_t *nlevels)
{
    sqlite3_stmt *s = stmt(c, available < 0 ? Q_LEVEL_DELETE : Q_LEVEL_PUT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, item);
    bind_text(s, 3, location);
    if (available >= 0) {
        sqlite3_bind_int64(s, 4, available);
        sqlite3_bind_int64(s, 5, at);
    }
    int rc = exec_done(c, s);
    if (rc) return rc;
    if (!(s = stmt(c, Q_LEVEL_SUM))) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, item);
    if ((rc = step_row(c, s))) return rc;
    *sum = sqlite3_column_int64(s, 0);
    *nlevels = sqlite3_column_int64(s, 1);
    finish(s);
    return RS_OK;
}

int sq_webhook_event_add(struct store_conn *c, int64_t sid, const char *event_id, const char *topic,
                         int64_t at, int *dup)
{
    sqlite3_stmt *s = stmt(c, Q_WEBHOOK_EVENT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, event_id);
    bind_text(s, 3, topic);
    sqlite3_bind_int64(s, 4, at);
    return exec_seen(c, s, dup);
}

int sq_shopify_order_put(struct store_conn *c, int64_t sid, const char *order_id,
                         const char *order_number)
{
    sqlite3_stmt *s = stmt(c, Q_SHOPIFY_ORDER_PUT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, order_id);
    bind_text(s, 3, order_number);
    return exec_done(c, s);
}

int sq_shopify_order_get(struct store_conn *c, int64_t sid, const char *order_id, struct arena *a,
                         const char **order_number)
{
    sqlite3_stmt *s = stmt(c, Q_SHOPIFY_ORDER_GET);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, order_id);
    int rc = step_row(c, s);
    if (rc) return rc;
    *order_number = col_text(s, 0, a);
    finish(s);
    return RS_OK;
}

int sq_privacy_request_add(struct store_conn *c, struct privacy_request *pr)
{
    sqlite3_stmt *s = prepare(c, "INSERT INTO privacy_requests(shop_id, kind, customer_id, email,"
                                 " phone, request_id, at) VALUES (?,?,?,?,?,?,?)");
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, pr->sid);
    bind_text(s, 2, pr->kind);
    bind_text(s, 3, pr->customer_id);
    bind_text(s, 4, pr->email);
    bind_text(s, 5, pr->phone);
    bind_text(s, 6, pr->request_id);
    sqlite3_bind_int64(s, 7, pr->at);
    int rc = exec_done(c, s);
    if (rc == RS_OK) pr->id = sqlite3_last_insert_rowid(c->db);
    sqlite3_finalize(s);
    return rc;
}

int sq_privacy_request_get(struct store_conn *c, int64_t sid, int64_t id, struct arena *a,
                           struct privacy_request *pr)
{
    sqlite3_stmt *s = prepare(c, "SELECT id, shop_id, kind, customer_id, email, phone, request_id,"
                                 " at FROM privacy_requests WHERE shop_id = ? AND id = ?");
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, id);
    int rc = step_row(c, s);
    if (rc == RS_OK)
        *pr = (struct privacy_request){
            .id = sqlite3_column_int64(s, 0),
            .sid = sqlite3_column_int64(s, 1),
            .kind = col_text(s, 2, a),
            .customer_id = col_text(s, 3, a),
            .email = col_text(s, 4, a),
            .phone = col_text(s, 5, a),
            .request_id = col_text(s, 6, a),
            .at = sqlite3_column_int64(s, 7),
        };
    sqlite3_finalize(s);
    return rc;
}

/* Runs a one-off statement with ?1 = sid, ?2 = text, ?3 = at; *changes = rows changed. */
static int run3(struct store_conn *c, const char *q, int64_t sid, const char *text, int64_t at,
                int64_t *changes)
{
    sqlite3_stmt *s = prepare(c, q);
    if (!s) return RS_ESTORE;
    int np = sqlite3_bind_parameter_count(s);
    sqlite3_bind_int64(s, 1, sid);
    if (np >= 2) bind_text(s, 2, text);
    if (np >= 3) sqlite3_bind_int64(s, 3, at);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) return fail_db(c->db, q);
    if (changes) *changes = sqlite3_changes(c->db);
    return RS_OK;
}

/* The identities of the customer's subscriptions join the set (JSON array text, malloc'd). */
static char *redact_set(struct store_conn *c, int64_t sid, const char *who_json)
{
    static const char q[] =
        "SELECT json_group_array(DISTINCT value) FROM (SELECT value FROM json_each(?2)"
        " UNION SELECT x FROM (SELECT contact_key AS x FROM subscriptions s WHERE %s"
        " UNION SELECT email FROM subscriptions s WHERE %s"
        " UNION SELECT phone FROM subscriptions s WHERE %s"
        " UNION SELECT 'c:' || customer_id FROM subscriptions s WHERE %s"
        " UNION SELECT 't:' || tracking_user_id FROM subscriptions s WHERE %s)"
        " WHERE x IS NOT NULL)";
    static const char match[] = "s.shop_id = ?1 AND (s.contact_key IN (SELECT value FROM"
                                " json_each(?2)) OR s.email IN (SELECT value FROM json_each(?2))"
                                " OR s.phone IN (SELECT value FROM json_each(?2))"
                                " OR 'c:' || s.customer_id IN (SELECT value FROM json_each(?2)))";
    struct buf b = BUF_INIT(0);
    buf_printf(&b, q, match, match, match, match, match);
    sqlite3_stmt *s = prepare(c, b.p);
    buf_free(&b);
    if (!s) return NULL;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, who_json);
    char *out = NULL;
    if (sqlite3_step(s) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(s, 0);
        out = t ? strdup(t) : NULL;
    }
    sqlite3_finalize(s);
    return out;
}

#define IN_SET(col) col " IN (SELECT value FROM json_each(?2))"

int sq_customer_redact(struct store_conn *c, int64_t sid, const char *who_json, int64_t at,
                       int64_t *n)
{
    char *set = redact_set(c, sid, who_json);
    if (!set) return fail_db(c->db, "redact");
    static const char subs[] =
        "(SELECT id FROM subscriptions WHERE shop_id = ?1 AND"
        " (" IN_SET("contact_key") " OR " IN_SET("email") " OR " IN_SET("phone") " OR " IN_SET(
            "'c:' || customer_id") " OR " IN_SET("'t:' || tracking_user_id") "))";
    const char *const steps[] = {
        "UPDATE hits SET attributes = NULL WHERE shop_id = ?1 AND kind = 2 AND notification_id IN"
        " (SELECT id FROM notifications WHERE shop_id = ?1 AND subscription_id IN " /* subs */,
        "DELETE FROM caps WHERE shop_id = ?1 AND " IN_SET("contact_key"),
        "UPDATE activity SET who = 'redacted' WHERE shop_id = ?1 AND " IN_SET("who"),
        "UPDATE orders SET email = NULL, phone = NULL, customer_id = NULL,"
        " tracking_user_id = NULL, cart_token = NULL WHERE shop_id = ?1 AND"
        " (" IN_SET("lower(email)") " OR " IN_SET("phone") " OR " IN_SET(
            "'c:' || customer_id") " OR " IN_SET("'t:' || tracking_user_id") ")",
        "DELETE FROM privacy_requests WHERE shop_id = ?1 AND (" IN_SET(
            "lower(email)") " OR " IN_SET("phone") " OR " IN_SET("'c:' || customer_id") ")",
    };
    int rc = RS_OK;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]) && !rc; i++) {
        if (i == 0) {
            struct buf b = BUF_INIT(0);
            buf_printf(&b, "%s%s)", steps[0], subs);
            rc = run3(c, b.p, sid, set, at, NULL);
            buf_free(&b);
        } else {
            rc = run3(c, steps[i], sid, set, at, NULL);
        }
    }
    if (!rc) {
        struct buf b = BUF_INIT(0);
        buf_printf(&b,
                   "UPDATE subscriptions SET contact_key = 'redacted:' || id, email = NULL,"
                   " phone = NULL, push_endpoint = NULL, push_p256dh = NULL, push_auth = NULL,"
                   " first_name = NULL, customer_id = NULL, tracking_user_id = NULL,"
                   " status = CASE WHEN status IN (0, 1) THEN 3 ELSE status END,"
                   " unsubscribed_at = CASE WHEN status IN (0, 1) THEN ?3 ELSE unsubscribed_at"
                   " END, updated_at = ?3 WHERE id IN %s",
                   subs);
        rc = run3(c, b.p, sid, set, at, n);
        buf_free(&b);
    }
    free(set);
    return rc;
}

int sq_shop_erase(struct store_conn *c, int64_t sid)
{
    c->view++; /* a shop write: cached shops of this view are stale */
    int rc = run3(c,
                  "DELETE FROM order_items WHERE order_id IN (SELECT id FROM orders"
                  " WHERE shop_id = ?1)",
                  sid, NULL, 0, NULL);
    /* every table with a shop_id column, so tables added later are erased too */
    sqlite3_stmt *s =
        rc ? NULL
           : prepare(c, "SELECT m.name FROM sqlite_schema m, pragma_table_info(m.name) p"
                        " WHERE m.type = 'table' AND p.name = 'shop_id'");
    if (!rc && !s) rc = RS_ESTORE;
    struct buf names = BUF_INIT(0);
    while (!rc && sqlite3_step(s) == SQLITE_ROW) {
        buf_puts(&names, (const char *)sqlite3_column_text(s, 0));
        buf_putc(&names, '\n');
    }
    sqlite3_finalize(s);
    for (char *p = names.p, *nl; !rc && p && (nl = strchr(p, '\n')); p = nl + 1) {
        *nl = '\0';
        struct buf q = BUF_INIT(0);
        buf_printf(&q, "DELETE FROM \"%s\" WHERE shop_id = ?1", p);
        rc = run3(c, q.p, sid, NULL, 0, NULL);
        buf_free(&q);
    }
    buf_free(&names);
    if (!rc) rc = run3(c, "DELETE FROM shops WHERE sid = ?1", sid, NULL, 0, NULL);
    return rc;
}

int sq_ingest_prune(struct store_conn *c, int64_t activity_before, int64_t purchases_before,
                    int64_t events_before, int limit, int64_t *n)
{
    int64_t a = 0, b = 0;
    struct buf q = BUF_INIT(0);
    buf_printf(&q,
               "DELETE FROM activity WHERE rowid IN (SELECT rowid FROM activity WHERE at < ?3"
               " AND (kind <> 'purchase' OR at < %lld) LIMIT %d)",
               (long long)purchases_before, limit);
    int rc = run3(c, q.p, 0, NULL, activity_before, &a);
    buf_reset(&q);
    buf_printf(&q,
               "DELETE FROM webhook_events WHERE (shop_id, event_id) IN (SELECT shop_id, event_id"
               " FROM webhook_events WHERE at < ?3 LIMIT %d)",
               limit);
    if (!rc) rc = run3(c, q.p, 0, NULL, events_before, &b);
    buf_free(&q);
    *n = a + b;
    return rc;
}

int sq_feed_due(struct store_conn *c, int64_t now, int (*cb)(void *arg, int64_t sid), void *arg)
{
    sqlite3_stmt *s = prepare(c, "SELECT sid FROM shops WHERE feed_interval_minutes > 0"
                                 " AND feed_url <> '' AND feed_fetched_at + feed_interval_minutes"
                                 " * 60 <= ? ORDER BY sid");
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, now);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (cb(arg, sqlite3_column_int64(s, 0))) break;
    int out = rc == SQLITE_ROW || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, "feed_due");
    sqlite3_finalize(s);
    return out;
}

int sq_feed_mark(struct store_conn *c, int64_t sid, int64_t at)
{
    return run3(c, "UPDATE shops SET feed_fetched_at = ?3 WHERE sid = ?1", sid, NULL, at, NULL);
}
