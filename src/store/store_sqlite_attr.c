/*
 * store_sqlite_attr — the SQLite backend's operations on tracking, reports, orders, attribution and
 * stats. The schema is drawn at the top of store_sqlite.c; what the files share is in sqlite_int.h.
 */
#include "store/sqlite_int.h"

static const char *const sql[Q_COUNT] = {
    [Q_ORDER_GET] = "SELECT " ORDER_COLS " FROM orders WHERE shop_id = ? AND order_number = ?",
    [Q_ORDER_ITEMS] = "SELECT variant_id, product_number, url, quantity, price FROM order_items"
                      " WHERE order_id = ? ORDER BY n",
    [Q_ORDER_INSERT] = "INSERT INTO orders(" ORDER_COLS ") VALUES (NULL,?,?,?,?,?,?,?,?,?,?,?,?,"
                       "?,?)",
    [Q_ORDER_ITEM_INSERT] = "INSERT INTO order_items VALUES (?,?,?,?,?,?,?)",
    [Q_ORDER_UPDATE] = "UPDATE orders SET status = ?2, refunded = ?3 WHERE id = ?1",
    [Q_VARIANT_BY_NUMBER] = "SELECT variant_id FROM variants WHERE shop_id = ?"
                            " AND product_number = ? LIMIT 100",
    [Q_VARIANT_BY_URL] =
        "SELECT variant_id FROM variants WHERE shop_id = ? AND url_key = ? LIMIT 100",
    /* the index-led ways to a buyer's subscriptions, one per identity (only those the order
     * has are asked) */
    [Q_ATTR_BY_KEY] = "SELECT id, variant_id FROM subscriptions WHERE shop_id = ?"
                      " AND contact_key = ?",
    [Q_ATTR_BY_EMAIL] = "SELECT id, variant_id FROM subscriptions WHERE shop_id = ? AND email = ?"
                        " AND channel <> 0 AND email IS NOT NULL",
    [Q_ATTR_BY_PHONE] = "SELECT id, variant_id FROM subscriptions WHERE shop_id = ? AND phone = ?"
                        " AND channel <> 1 AND phone IS NOT NULL",
    [Q_ATTR_BY_CUSTOMER] = "SELECT id, variant_id FROM subscriptions WHERE shop_id = ?"
                           " AND customer_id = ?",
    [Q_ATTR_BY_TRACKING] = "SELECT id, variant_id FROM subscriptions WHERE shop_id = ?"
                           " AND tracking_user_id = ?",
    /* a subscription's sent notifications through its variant's restocks in the window and the
     * outbox key (shop_id, restock_id, subscription_id) */
    [Q_ATTR_NOTIFS] =
        "SELECT n.id, n.campaign_id, n.sent_at, n.clicked_at, " CONVERTED_BY ","
        " " GOAL_WINDOW " FROM restocks r JOIN notifications n ON n.shop_id = r.shop_id"
        " AND n.restock_id = r.id AND n.subscription_id = ?3"
        " WHERE r.shop_id = ?1 AND r.variant_id = ?2 AND r.at >= ?4 AND r.at <= ?5"
        " AND n.status = 1",
    [Q_ATTR_ONE] = "SELECT n.id, n.campaign_id, n.sent_at, n.clicked_at, " CONVERTED_BY ","
                   " " GOAL_WINDOW
                   ", n.subscription_id, s.variant_id FROM notifications n JOIN subscriptions s"
                   " ON s.id = n.subscription_id WHERE n.id = ?2 AND n.shop_id = ?1"
                   " AND n.status = 1 AND n.restock_id <> 0",
    /* a new conversion, or an order's taking over a goal event's (order_id 0); no row back
     * when the notification has converted otherwise */
    [Q_CONV_INSERT] = "INSERT INTO conversions(shop_id, notification_id, campaign_id, order_id,"
                      " kind, amount, refunded, currency, status, at, created_at)"
                      " VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(shop_id, notification_id)"
                      " DO UPDATE SET campaign_id = excluded.campaign_id,"
                      " order_id = excluded.order_id, kind = excluded.kind,"
                      " amount = excluded.amount, refunded = excluded.refunded,"
                      " currency = excluded.currency, status = excluded.status, at = excluded.at,"
                      " created_at = excluded.created_at"
                      " WHERE conversions.order_id = 0 AND excluded.order_id <> 0 RETURNING id",
    [Q_CONV_BY_ORDER] = "SELECT id, shop_id, notification_id, campaign_id, order_id, kind, amount,"
                        " refunded, currency, status, at, created_at FROM conversions"
                        " WHERE shop_id = ? AND order_id = ? AND order_id <> 0 LIMIT 1",
    [Q_CONV_SET] = "UPDATE conversions SET status = ?3, refunded = ?4 WHERE shop_id = ?1"
                   " AND order_id = ?2 AND order_id <> 0",
    [Q_CONV_SUPERSEDE] = "UPDATE conversions SET status = " CONV_SUPERSEDED_S
                         " WHERE shop_id = ?1 AND notification_id = ?2 AND order_id = 0"
                         " AND status = 0",
    [Q_REFUND_ADD] = "INSERT INTO order_refunds VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING",
    [Q_STATS_RESET] = STATS_CONV_RESET("shop_id = ?1"),
    [Q_STATS_RECOUNT] = STATS_CONV_RECOUNT("c.shop_id = ?1"),
    [Q_STATS_SLOTS] = "SELECT " STATS_SUMS " FROM stats_slots WHERE shop_id = ? AND slot >= ?"
                      " AND slot <= ? GROUP BY slot ORDER BY slot",
    [Q_STATS_SLOTS_CAMPAIGN] = "SELECT " STATS_SUMS " FROM stats_slots WHERE shop_id = ?"
                               " AND slot >= ? AND slot <= ? AND campaign_id = ? GROUP BY slot"
                               " ORDER BY slot",
    [Q_STATS_EVENTS] = "SELECT name, sum(hits) AS h FROM event_slots WHERE shop_id = ?"
                       " AND slot >= ? AND slot <= ? GROUP BY name ORDER BY h DESC, name LIMIT ?",
    [Q_STATS_EVENTS_CAMPAIGN] = "SELECT name, sum(hits) AS h FROM event_slots WHERE shop_id = ?"
                                " AND slot >= ? AND slot <= ? AND campaign_id = ? GROUP BY name"
                                " ORDER BY h DESC, name LIMIT ?",
    [Q_NOTIF_CONTEXT] = "SELECT n.id, n.shop_id, n.campaign_id, n.subscription_id, n.opened_at,"
                        " n.clicked_at, s.url, s.currency, s.conversions_enabled, b.variant_id,"
                        " v.url, b.quantity, c.id, c.channel, c.status, c.is_default, c.json,"
                        " c.created_at, c.updated_at FROM notifications n"
                        " JOIN shops s ON s.sid = n.shop_id"
                        " LEFT JOIN subscriptions b ON b.id = n.subscription_id"
                        " LEFT JOIN variants v ON v.shop_id = n.shop_id"
                        " AND v.variant_id = b.variant_id"
                        " LEFT JOIN campaigns c ON c.id = n.campaign_id AND c.shop_id = n.shop_id"
                        " WHERE n.id = ?",
    [Q_HIT_INSERT] = "INSERT INTO hits(shop_id, notification_id, campaign_id, kind, name,"
                     " attributes, at) VALUES (?,?,?,?,?,?,?)",
    [Q_NOTIF_TOUCH] = "UPDATE notifications SET"
                      " opened_at = CASE WHEN opened_at = 0 THEN ?2 ELSE opened_at END,"
                      " clicked_at = CASE WHEN clicked_at = 0 THEN ?3 ELSE clicked_at END"
                      " WHERE id = ?1 AND ((opened_at = 0 AND ?2 <> 0)"
                      " OR (clicked_at = 0 AND ?3 <> 0))",
    [Q_EVENT_TOP_NOTIF] = "SELECT name, count(*) FROM hits WHERE shop_id = ?1"
                          " AND notification_id = ?2 AND kind = 2 GROUP BY name"
                          " ORDER BY 2 DESC, name LIMIT ?3",
    [Q_EVENT_TOP_CAMP] = "SELECT name, count(*) FROM hits WHERE shop_id = ?1"
                         " AND campaign_id = ?2 AND kind = 2 GROUP BY name"
                         " ORDER BY 2 DESC, name LIMIT ?3",
    /* the outbox walked by id (+n.shop_id: never by notifications_key, which would sort every
     * page); confirmation messages (restock 0) are not notifications of a restock */
    [Q_REPORT_CUSTOMERS] =
        "SELECT n.id, n.channel, coalesce(s.email, s.phone, s.push_endpoint, s.contact_key),"
        " s.variant_id, v.title, v.variant_title, s.created_at, n.sent_at, n.opened_at,"
        " n.clicked_at, c.kind, o.order_number, c.at, c.amount, c.currency, c.refunded"
        " FROM notifications n JOIN subscriptions s ON s.id = n.subscription_id"
        " LEFT JOIN variants v ON v.shop_id = s.shop_id AND v.variant_id = s.variant_id"
        " LEFT JOIN conversions c ON c.shop_id = n.shop_id AND c.notification_id = n.id"
        " AND c.status = 0"
        " LEFT JOIN orders o ON o.id = c.order_id"
        " WHERE +n.shop_id = ?1 AND n.id > ?2 AND n.status = 1 AND n.restock_id <> 0"
        " AND n.sent_at >= ?3 AND (?4 = 0 OR n.sent_at < ?4) ORDER BY n.id LIMIT ?5",
    [Q_REPORT_WAITING] = "SELECT variant_id, quantity, created_at FROM subscriptions"
                         " WHERE shop_id = ? AND status = 1 ORDER BY variant_id, id",
};

/* ---- tracking ------------------------------------------------------------------------------ */

int sq_notification_context(struct store_conn *c, int64_t id, struct arena *a,
                            struct notif_context *x)
{
    sqlite3_stmt *s = stmt(c, Q_NOTIF_CONTEXT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    int rc = step_row(c, s);
    if (rc) return rc;
    *x = (struct notif_context){
        .id = sqlite3_column_int64(s, 0),
        .sid = sqlite3_column_int64(s, 1),
        .campaign_id = sqlite3_column_int64(s, 2),
        .subscription_id = sqlite3_column_int64(s, 3),
        .opened_at = sqlite3_column_int64(s, 4),
        .clicked_at = sqlite3_column_int64(s, 5),
        .shop_url = col_text(s, 6, a),
        .currency = col_text(s, 7, a),
        .conversions_enabled = sqlite3_column_int(s, 8),
        .variant_id = col_text(s, 9, a),
        .variant_url = col_text(s, 10, a),
        .quantity = sqlite3_column_int64(s, 11),
        .campaign =
            {
                .id = sqlite3_column_int64(s, 12),
                .sid = sqlite3_column_int64(s, 1),
                .channel = sqlite3_column_int(s, 13),
                .status = sqlite3_column_int(s, 14),
                .is_default = sqlite3_column_int(s, 15),
                .json = col_text(s, 16, a),
                .created_at = sqlite3_column_int64(s, 17),
                .updated_at = sqlite3_column_int64(s, 18),
            },
    };
    finish(s);
    return RS_OK;
}

int sq_hit_insert(struct store_conn *c, const struct hit *h)
{
    sqlite3_stmt *s = stmt(c, Q_HIT_INSERT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, h->sid);
    sqlite3_bind_int64(s, 2, h->notification_id);
    sqlite3_bind_int64(s, 3, h->campaign_id);
    sqlite3_bind_int(s, 4, (int)h->kind);
    bind_text(s, 5, h->name);
    bind_text(s, 6, h->attributes);
    sqlite3_bind_int64(s, 7, h->at);
    return exec_done(c, s);
}

int sq_notification_touch(struct store_conn *c, int64_t id, int64_t opened_at, int64_t clicked_at)
{
    sqlite3_stmt *s = stmt(c, Q_NOTIF_TOUCH);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, opened_at);
    sqlite3_bind_int64(s, 3, clicked_at);
    return exec_done(c, s);
}

int sq_event_top(struct store_conn *c, int64_t sid, int64_t notification_id, int64_t campaign_id,
                 int limit, struct arena *a, int (*cb)(void *, const char *, int64_t), void *arg)
{
    sqlite3_stmt *s = stmt(c, notification_id ? Q_EVENT_TOP_NOTIF : Q_EVENT_TOP_CAMP);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, notification_id ? notification_id : campaign_id);
    sqlite3_bind_int(s, 3, limit);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (cb(arg, col_text(s, 0, a), sqlite3_column_int64(s, 1))) break;
    int out = rc == SQLITE_ROW || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, sqlite3_sql(s));
    finish(s);
    return out;
}

/* ---- reports ------------------------------------------------------------------------------ */

int sq_report_customers(struct store_conn *c, const struct report_filter *f, struct arena *a,
                        int (*cb)(void *, const struct customer_row *), void *arg)
{
    sqlite3_stmt *s = stmt(c, Q_REPORT_CUSTOMERS);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, f->sid);
    sqlite3_bind_int64(s, 2, f->after_id);
    sqlite3_bind_int64(s, 3, f->from);
    sqlite3_bind_int64(s, 4, f->to);
    sqlite3_bind_int(s, 5, f->limit);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int converted = sqlite3_column_type(s, 10) != SQLITE_NULL;
        struct customer_row row = {
            .notification_id = sqlite3_column_int64(s, 0),
            .channel = (enum channel)sqlite3_column_int(s, 1),
            .contact = col_text(s, 2, a),
            .variant_id = col_text(s, 3, a),
            .product_title = col_text(s, 4, a),
            .variant_title = col_text(s, 5, a),
            .signed_up = sqlite3_column_int64(s, 6),
            .sent_at = sqlite3_column_int64(s, 7),
            .opened_at = sqlite3_column_int64(s, 8),
            .clicked_at = sqlite3_column_int64(s, 9),
            .conversion = converted ? sqlite3_column_int(s, 10) : -1,
            .order_number = col_text(s, 11, a),
            .order_at = sqlite3_column_int64(s, 12),
            .order_total = converted ? sqlite3_column_int64(s, 13) : -1,
            .order_currency = col_text(s, 14, a),
            .order_refunded = sqlite3_column_int64(s, 15),
        };
        if (cb(arg, &row)) break;
    }
    int out = rc == SQLITE_ROW || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, sqlite3_sql(s));
    finish(s);
    return out;
}

int sq_report_waiting(struct store_conn *c, int64_t sid, struct arena *a,
                      int (*cb)(void *, const struct waiting_row *), void *arg)
{
    sqlite3_stmt *s = stmt(c, Q_REPORT_WAITING);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    int rc;
    (void)a;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct waiting_row row = {
            .variant_id = (const char *)sqlite3_column_text(s, 0), /* valid until the next step */
            .quantity = sqlite3_column_int64(s, 1),
            .created_at = sqlite3_column_int64(s, 2),
        };
        if (cb(arg, &row)) break;
    }
    int out = rc == SQLITE_ROW || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, sqlite3_sql(s));
    finish(s);
    return out;
}

/* ---- orders, attribution, stats ----------------------------------------------------------- */

static void read_order(sqlite3_stmt *s, struct arena *a, struct order *o)
{
    memset(o, 0, sizeof(*o));
    o->id = sqlite3_column_int64(s, 0);
    o->sid = sqlite3_column_int64(s, 1);
    o->order_number = col_text(s, 2, a);
    o->source = col_text(s, 3, a);
    o->total = sqlite3_column_int64(s, 4);
    o->currency = col_text(s, 5, a);
    o->created_at = sqlite3_column_int64(s, 6);
    o->status = (enum order_status)sqlite3_column_int(s, 7);
    o->refunded = sqlite3_column_int64(s, 8);
    o->email = col_text(s, 9, a);
    o->phone = col_text(s, 10, a);
    o->customer_id = col_text(s, 11, a);
    o->tracking_user_id = col_text(s, 12, a);
    o->cart_token = col_text(s, 13, a);
    o->received_at = sqlite3_column_int64(s, 14);
}

static int order_items(struct store_conn *c, struct arena *a, struct order *o)
{
    sqlite3_stmt *s = stmt(c, Q_ORDER_ITEMS);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, o->id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (o->nitems == cap) {
            cap = cap ? 2 * cap : 8;
            struct order_item *n = arena_alloc(a, cap * sizeof(*n));
            if (o->nitems) memcpy(n, o->items, o->nitems * sizeof(*n));
            o->items = n;
        }
        struct order_item *it = &o->items[o->nitems++];
        it->variant_id = col_text(s, 0, a);
        it->product_number = col_text(s, 1, a);
        it->url = col_text(s, 2, a);
        it->quantity = sqlite3_column_int64(s, 3);
        it->price = sqlite3_column_int64(s, 4);
    }
    finish(s);
    return rc == SQLITE_DONE ? RS_OK : fail_db(c->db, sql[Q_ORDER_ITEMS]);
}

int sq_order_get(struct store_conn *c, int64_t sid, const char *order_number, struct arena *a,
                 struct order *out)
{
    sqlite3_stmt *s = stmt(c, Q_ORDER_GET);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, order_number);
    int rc = step_row(c, s);
    if (rc) return rc;
    read_order(s, a, out);
    finish(s);
    return order_items(c, a, out);
}

int sq_order_insert(struct store_conn *c, struct order *o)
{
    sqlite3_stmt *s = stmt(c, Q_ORDER_INSERT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, o->sid);
    bind_text(s, 2, o->order_number);
    bind_text(s, 3, o->source);
    sqlite3_bind_int64(s, 4, o->total);
    bind_text(s, 5, o->currency);
    sqlite3_bind_int64(s, 6, o->created_at);
    sqlite3_bind_int(s, 7, (int)o->status);
    sqlite3_bind_int64(s, 8, o->refunded);
    bind_text(s, 9, o->email);
    bind_text(s, 10, o->phone);
    bind_text(s, 11, o->customer_id);
    bind_text(s, 12, o->tracking_user_id);
    bind_text(s, 13, o->cart_token);
    sqlite3_bind_int64(s, 14, o->received_at);
    int rc = exec_done(c, s);
    if (rc) return rc;
    o->id = sqlite3_last_insert_rowid(c->db);
    sqlite3_stmt *it = stmt(c, Q_ORDER_ITEM_INSERT);
    if (!it) return RS_ESTORE;
    for (size_t i = 0; i < o->nitems && rc == RS_OK; i++) {
        sqlite3_bind_int64(it, 1, o->id);
        sqlite3_bind_int64(it, 2, (int64_t)i);
        bind_text(it, 3, o->items[i].variant_id);
        bind_text(it, 4, o->items[i].product_number);
        bind_text(it, 5, o->items[i].url);
        sqlite3_bind_int64(it, 6, o->items[i].quantity);
        sqlite3_bind_int64(it, 7, o->items[i].price);
        rc = exec_done(c, it);
    }
    return rc;
}

int sq_order_update(struct store_conn *c, const struct order *o)
{
    sqlite3_stmt *s = stmt(c, Q_ORDER_UPDATE);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, o->id);
    sqlite3_bind_int(s, 2, (int)o->status);
    sqlite3_bind_int64(s, 3, o->refunded);
    return exec_done(c, s);
}

int sq_variant_resolve(struct store_conn *c, int64_t sid, const char *product_number,
                       const char *url, struct arena *a, int (*cb)(void *, const char *), void *arg)
{
    sqlite3_stmt *s = stmt(c, product_number ? Q_VARIANT_BY_NUMBER : Q_VARIANT_BY_URL);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    if (product_number || !url)
        bind_text(s, 2, product_number); /* NULL: nothing matches */
    else /* its query and fragment dropped, as the variants' url_key is */
        sqlite3_bind_text(s, 2, url, (int)strcspn(url, "?#"), SQLITE_STATIC);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
        stop = cb(arg, col_text(s, 0, a));
    finish(s);
    return stop || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, sqlite3_sql(s));
}

static void read_cand(sqlite3_stmt *s, struct attr_cand *out)
{
    memset(out, 0, sizeof(*out));
    out->notification_id = sqlite3_column_int64(s, 0);
    out->campaign_id = sqlite3_column_int64(s, 1);
    out->sent_at = sqlite3_column_int64(s, 2);
    out->clicked_at = sqlite3_column_int64(s, 3);
    out->converted = sqlite3_column_int(s, 4);
    out->window_days = sqlite3_column_int(s, 5);
}

struct attr_sub {
    int64_t id;
    const char *variant_id;
};

struct attr_subs {
    struct attr_sub *v;
    size_t n, cap;
};

/* Adds the subscriptions one identity finds (those for the query's variants, each once). */
static int attr_subs_by(struct store_conn *c, enum stmt_id id, const struct attr_query *q,
                        const char *value, struct arena *a, struct attr_subs *out)
{
    if (!value) return RS_OK;
    sqlite3_stmt *s = stmt(c, id);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, q->sid);
    bind_text(s, 2, value);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t sub = sqlite3_column_int64(s, 0);
        const char *v = (const char *)sqlite3_column_text(s, 1);
        size_t k = 0, i = 0;
        while (k < q->nvariants && (!v || strcmp(q->variants[k], v) != 0))
            k++;
        while (i < out->n && out->v[i].id != sub)
            i++;
        if (k == q->nvariants || i < out->n) continue; /* another variant, or found already */
        if (out->n == out->cap) {
            out->cap = out->cap ? 2 * out->cap : 8;
            struct attr_sub *m = arena_alloc(a, out->cap * sizeof(*m));
            if (out->n) memcpy(m, out->v, out->n * sizeof(*m));
            out->v = m;
        }
        out->v[out->n].id = sub;
        out->v[out->n++].variant_id = q->variants[k];
    }
    finish(s);
    return rc == SQLITE_DONE ? RS_OK : fail_db(c->db, sql[id]);
}

int sq_attr_candidates(struct store_conn *c, const struct attr_query *q, struct arena *a,
                       int (*cb)(void *, const struct attr_cand *), void *arg)
{
    struct attr_subs subs = {0};
    int rc;
    if ((rc = attr_subs_by(c, Q_ATTR_BY_KEY, q, q->email, a, &subs)) ||
        (rc = attr_subs_by(c, Q_ATTR_BY_KEY, q, q->phone, a, &subs)) ||
        (rc = attr_subs_by(c, Q_ATTR_BY_EMAIL, q, q->email, a, &subs)) ||
        (rc = attr_subs_by(c, Q_ATTR_BY_PHONE, q, q->phone, a, &subs)) ||
        (rc = attr_subs_by(c, Q_ATTR_BY_CUSTOMER, q, q->customer_id, a, &subs)) ||
        (rc = attr_subs_by(c, Q_ATTR_BY_TRACKING, q, q->tracking_user_id, a, &subs)))
        return rc;
    sqlite3_stmt *ns = stmt(c, Q_ATTR_NOTIFS);
    if (!ns) return RS_ESTORE;
    int stop = 0;
    for (size_t i = 0; i < subs.n && !stop; i++) {
        sqlite3_bind_int64(ns, 1, q->sid);
        bind_text(ns, 2, subs.v[i].variant_id);
        sqlite3_bind_int64(ns, 3, subs.v[i].id);
        sqlite3_bind_int64(ns, 4, q->since);
        sqlite3_bind_int64(ns, 5, q->until);
        while (!stop && (rc = sqlite3_step(ns)) == SQLITE_ROW) {
            struct attr_cand cand;
            read_cand(ns, &cand);
            cand.subscription_id = subs.v[i].id;
            cand.variant_id = subs.v[i].variant_id;
            stop = cb(arg, &cand);
        }
        finish(ns);
        if (!stop && rc != SQLITE_DONE) return fail_db(c->db, sql[Q_ATTR_NOTIFS]);
    }
    return RS_OK;
}

int sq_attr_candidate(struct store_conn *c, int64_t sid, int64_t notification_id, struct arena *a,
                      struct attr_cand *out)
{
    sqlite3_stmt *s = stmt(c, Q_ATTR_ONE);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, notification_id);
    int rc = step_row(c, s);
    if (rc) return rc;
    read_cand(s, out);
    out->subscription_id = sqlite3_column_int64(s, 6);
    out->variant_id = col_text(s, 7, a);
    finish(s);
    return RS_OK;
}

int sq_conversion_insert(struct store_conn *c, struct conversion *cv)
{
    sqlite3_stmt *s = stmt(c, Q_CONV_INSERT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, cv->sid);
    sqlite3_bind_int64(s, 2, cv->notification_id);
    sqlite3_bind_int64(s, 3, cv->campaign_id);
    sqlite3_bind_int64(s, 4, cv->order_id);
    sqlite3_bind_int(s, 5, (int)cv->kind);
    sqlite3_bind_int64(s, 6, cv->amount);
    sqlite3_bind_int64(s, 7, cv->refunded);
    bind_text(s, 8, cv->currency);
    sqlite3_bind_int(s, 9, cv->status);
    sqlite3_bind_int64(s, 10, cv->at);
    sqlite3_bind_int64(s, 11, cv->created_at);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) cv->id = sqlite3_column_int64(s, 0);
    rc = rc == SQLITE_ROW    ? RS_OK
         : rc == SQLITE_DONE ? RS_ECONFLICT
                             : fail_db(c->db, sqlite3_sql(s));
    finish(s);
    return rc;
}

int sq_conversion_by_order(struct store_conn *c, int64_t sid, int64_t order_id, struct arena *a,
                           struct conversion *out)
{
    sqlite3_stmt *s = stmt(c, Q_CONV_BY_ORDER);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, order_id);
    int rc = step_row(c, s);
    if (rc) return rc;
    out->id = sqlite3_column_int64(s, 0);
    out->sid = sqlite3_column_int64(s, 1);
    out->notification_id = sqlite3_column_int64(s, 2);
    out->campaign_id = sqlite3_column_int64(s, 3);
    out->order_id = sqlite3_column_int64(s, 4);
    out->kind = (enum conversion_kind)sqlite3_column_int(s, 5);
    out->amount = sqlite3_column_int64(s, 6);
    out->refunded = sqlite3_column_int64(s, 7);
    out->currency = col_text(s, 8, a);
    out->status = sqlite3_column_int(s, 9);
    out->at = sqlite3_column_int64(s, 10);
    out->created_at = sqlite3_column_int64(s, 11);
    finish(s);
    return RS_OK;
}

int sq_conversion_set(struct store_conn *c, int64_t sid, int64_t order_id, int status,
                      int64_t refunded)
{
    sqlite3_stmt *s = stmt(c, Q_CONV_SET);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, order_id);
    sqlite3_bind_int(s, 3, status);
    sqlite3_bind_int64(s, 4, refunded);
    return exec_done(c, s);
}

int sq_conversion_supersede(struct store_conn *c, int64_t sid, int64_t notification_id)
{
    sqlite3_stmt *s = stmt(c, Q_CONV_SUPERSEDE);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, notification_id);
    return exec_done(c, s);
}

int sq_refund_add(struct store_conn *c, int64_t sid, int64_t order_id, const char *refund_id,
                  int64_t amount, int64_t at, int *dup)
{
    sqlite3_stmt *s = stmt(c, Q_REFUND_ADD);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, order_id);
    bind_text(s, 3, refund_id);
    sqlite3_bind_int64(s, 4, amount);
    sqlite3_bind_int64(s, 5, at);
    return exec_seen(c, s, dup);
}

int sq_stats_recount(struct store_conn *c, int64_t sid)
{
    for (enum stmt_id id = Q_STATS_RESET; id <= Q_STATS_RECOUNT; id++) {
        sqlite3_stmt *s = stmt(c, id);
        if (!s) return RS_ESTORE;
        sqlite3_bind_int64(s, 1, sid);
        int rc = exec_done(c, s);
        if (rc) return rc;
    }
    return RS_OK;
}

int sq_stats_slots(struct store_conn *c, int64_t sid, int64_t campaign_id, int64_t lo, int64_t hi,
                   int (*cb)(void *, const struct stats_slot *), void *arg)
{
    sqlite3_stmt *s = stmt(c, campaign_id > 0 ? Q_STATS_SLOTS_CAMPAIGN : Q_STATS_SLOTS);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, lo);
    sqlite3_bind_int64(s, 3, hi);
    if (campaign_id > 0) sqlite3_bind_int64(s, 4, campaign_id);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct stats_slot v;
        int64_t *f[] = {
            &v.slot,          &v.sent,       &v.opened,     &v.clicked,         &v.direct_n,
            &v.direct_amount, &v.direct_net, &v.assisted_n, &v.assisted_amount, &v.assisted_net};
        for (int i = 0; i < 10; i++)
            *f[i] = sqlite3_column_int64(s, i);
        stop = cb(arg, &v);
    }
    finish(s);
    return stop || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, sqlite3_sql(s));
}

int sq_stats_events(struct store_conn *c, int64_t sid, int64_t campaign_id, int64_t lo, int64_t hi,
                    int limit, struct arena *a, int (*cb)(void *, const char *, int64_t), void *arg)
{
    sqlite3_stmt *s = stmt(c, campaign_id > 0 ? Q_STATS_EVENTS_CAMPAIGN : Q_STATS_EVENTS);
    if (!s) return RS_ESTORE;
    int k = 1;
    sqlite3_bind_int64(s, k++, sid);
    sqlite3_bind_int64(s, k++, lo);
    sqlite3_bind_int64(s, k++, hi);
    if (campaign_id > 0) sqlite3_bind_int64(s, k++, campaign_id);
    sqlite3_bind_int(s, k, limit);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
        stop = cb(arg, col_text(s, 0, a), sqlite3_column_int64(s, 1));
    finish(s);
    return stop || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, sqlite3_sql(s));
}
