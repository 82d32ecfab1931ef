/*
 * store_sqlite_catalog — the SQLite backend's operations on shops, variants, subscriptions and
 * campaigns. The schema is drawn at the top of store_sqlite.c; what the files share is in
 * sqlite_int.h.
 */
#include "store/sqlite_int.h"

static const char *const sql[Q_COUNT] = {
    [Q_SHOP_INSERT] = "INSERT INTO shops(" SHOP_COLS ") VALUES (NULL,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                      "?,?,?,?,?,?,?,?)",
    [Q_SHOP_UPDATE] = "UPDATE shops SET name=?2, url=?3, currency=?4, timezone=?5, locale=?6,"
                      " sender_name=?7, sender_email=?8, low_stock_threshold=?9,"
                      " min_available=?10, min_soldout_minutes=?11, subscription_ttl_days=?12,"
                      " max_notifications=?13, conversions_enabled=?14, double_opt_in=?15,"
                      " feed_url=?16, feed_interval_minutes=?17"
                      " WHERE sid=?1",
    [Q_SHOP_SET_KEY] = "UPDATE shops SET api_key_hash = ?2 WHERE sid = ?1",
    [Q_SHOP_BY_UUID] = "SELECT " SHOP_COLS " FROM shops WHERE uuid = ?",
    [Q_SHOP_BY_KEY] = "SELECT " SHOP_COLS " FROM shops WHERE api_key_hash = ?",
    [Q_SHOP_BY_SID] = "SELECT " SHOP_COLS " FROM shops WHERE sid = ?",
    [Q_SHOP_BY_URL] = "SELECT " SHOP_COLS " FROM shops WHERE url = ? ORDER BY sid LIMIT 1",
    [Q_SHOP_COUNT] = "SELECT count(*) FROM shops",
    [Q_VARIANT_GET] = "SELECT " VARIANT_COLS " FROM variants WHERE shop_id = ? AND variant_id = ?",
    [Q_VARIANT_PUT] = "INSERT OR REPLACE INTO variants(" VARIANT_COLS ", url_key) VALUES (?1,?2,"
                      "?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16," BARE_URL("?8") ")",
    [Q_VARIANT_PUT_STOCK] =
        "UPDATE variants SET available = ?3, soldout_since = ?4, updated_at = ?5"
        " WHERE shop_id = ?1 AND variant_id = ?2",
    [Q_RESTOCK_INSERT] = "INSERT INTO restocks(shop_id, variant_id, available, soldout_since, at)"
                         " VALUES (?,?,?,?,?)",
    [Q_SUB_INSERT] = "INSERT INTO subscriptions(" SUB_COLS ") VALUES (NULL,?,?,?,?,?,?,?,?,?,?,?,"
                     "?,?,?,?,?,?,?,?,?,?,?)",
    [Q_SUB_FIND] = "SELECT " SUB_COLS " FROM subscriptions WHERE shop_id = ? AND variant_id = ?"
                   " AND channel = ? AND contact_key = ?",
    [Q_SUB_GET] = "SELECT " SUB_COLS " FROM subscriptions WHERE id = ?",
    [Q_SUB_SET_STATUS] = "UPDATE subscriptions SET status = ?2, updated_at = ?3,"
                         " unsubscribed_at = CASE WHEN ?2 = 3 THEN ?3 ELSE unsubscribed_at END,"
                         " confirmed_at = CASE WHEN ?2 = 1 AND confirmed_at = 0 AND status = 0"
                         " THEN ?3 ELSE confirmed_at END WHERE id = ?1"
                         " AND NOT (?2 = 1 AND status IN (3, 4))", /* ended stays ended */
    [Q_SUB_UNSUB_CONTACT] = "UPDATE subscriptions SET status = 3, updated_at = ?3,"
                            " unsubscribed_at = ?3 WHERE shop_id = ?1 AND contact_key = ?2"
                            " AND status <> 3",
    [Q_SUB_REENROLL] = "UPDATE subscriptions SET status = 1, updated_at = ?4 WHERE shop_id = ?1"
                       " AND variant_id = ?2 AND status = 2 AND notify_count < ?3"
                       " AND NOT EXISTS (SELECT 1 FROM activity a WHERE a.shop_id = ?1"
                       " AND a.who IN (subscriptions.contact_key,"
                       " 't:' || subscriptions.tracking_user_id, 'c:' || subscriptions.customer_id)"
                       " AND a.kind = 'purchase' AND a.at >= subscriptions.notified_at"
                       " AND a.variant_id = ?2)"
                       /* nor who still has a message on its way (queued or retrying): one probe
                        * of the partial index of such notifications (migration 14) */
                       " AND NOT EXISTS (SELECT 1 FROM notifications n"
                       " WHERE n.subscription_id = subscriptions.id AND n.status IN (0, 2))",
    [Q_SUB_WAITING] = "SELECT id, channel, contact_key, first_name, locale, quantity, notify_count,"
                      " created_at, customer_id, tracking_user_id, source FROM subscriptions"
                      " WHERE shop_id = ? AND variant_id = ? AND status = 1 AND id > ?"
                      " ORDER BY id LIMIT ?",
    [Q_SUB_NOTIFIED] = "UPDATE subscriptions SET status = 2, notified_at = ?5, updated_at = ?5,"
                       " notify_count = notify_count + 1 WHERE id IN (SELECT subscription_id FROM"
                       " notifications WHERE shop_id = ?1 AND restock_id = ?2"
                       " AND subscription_id > ?3 AND subscription_id <= ?4 AND status = 0)"
                       " AND status = 1",
    [Q_CAMP_INSERT] =
        "INSERT INTO campaigns(shop_id, channel, status, is_default, json, created_at,"
        " updated_at) VALUES (?,?,?,?,?,?,?)",
    [Q_CAMP_UPDATE] = "UPDATE campaigns SET status = ?3, json = ?4, updated_at = ?5"
                      " WHERE shop_id = ?1 AND id = ?2 AND deleted_at = 0",
    [Q_CAMP_DELETE] = "UPDATE campaigns SET deleted_at = ?3, rewalk_at = 0 WHERE shop_id = ?1"
                      " AND id = ?2 AND deleted_at = 0",
    [Q_CAMP_GET] = "SELECT id, shop_id, channel, status, is_default, json, created_at, updated_at"
                   " FROM campaigns WHERE shop_id = ? AND id = ? AND deleted_at = 0",
    [Q_CAMP_LIST] = "SELECT id, shop_id, channel, status, is_default, json, created_at, updated_at"
                    " FROM campaigns WHERE shop_id = ? AND deleted_at = 0 ORDER BY id",
    [Q_CAMP_SET_REWALK] = "UPDATE campaigns SET rewalk_at = ?3 WHERE shop_id = ?1 AND id = ?2",
    [Q_CAMP_REWALK_NEXT] =
        "SELECT id, shop_id, channel, status, is_default, json, created_at, updated_at"
        " FROM campaigns WHERE rewalk_at > 0 AND rewalk_at <= ? AND deleted_at = 0"
        " ORDER BY rewalk_at LIMIT 1",
};

/* ---- shops -------------------------------------------------------------------------------- */

static void bind_shop_settings(sqlite3_stmt *s, const struct shop *sh)
{
    bind_text(s, 2, sh->name);
    bind_text(s, 3, sh->url);
    bind_text(s, 4, sh->currency);
    bind_text(s, 5, sh->timezone);
    bind_text(s, 6, sh->locale);
    bind_text(s, 7, sh->sender_name);
    bind_text(s, 8, sh->sender_email);
}

int sq_shop_insert(struct store_conn *c, struct shop *sh)
{
    sqlite3_stmt *s = stmt(c, Q_SHOP_INSERT);
    if (!s) return RS_ESTORE;
    c->view++;
    bind_text(s, 1, sh->uuid);
    bind_shop_settings(s, sh);
    sqlite3_bind_blob(s, 9, sh->api_key_hash, 32, SQLITE_STATIC);
    bind_text(s, 10, sh->webhook_secret);
    bind_text(s, 11, sh->vapid_public);
    bind_text(s, 12, sh->vapid_private);
    sqlite3_bind_int64(s, 13, sh->low_stock_threshold);
    sqlite3_bind_int64(s, 14, sh->min_available);
    sqlite3_bind_int64(s, 15, sh->min_soldout_minutes);
    sqlite3_bind_int64(s, 16, sh->subscription_ttl_days);
    sqlite3_bind_int64(s, 17, sh->max_notifications);
    sqlite3_bind_int(s, 18, sh->conversions_enabled);
    sqlite3_bind_int(s, 19, sh->double_opt_in);
    sqlite3_bind_int64(s, 20, sh->created_at);
    bind_text(s, 21, sh->feed_url ? sh->feed_url : "");
    sqlite3_bind_int64(s, 22, sh->feed_interval_minutes);
    int rc = exec_done(c, s);
    if (rc == RS_OK) sh->sid = sqlite3_last_insert_rowid(c->db);
    return rc;
}

int sq_shop_update(struct store_conn *c, const struct shop *sh)
{
    sqlite3_stmt *s = stmt(c, Q_SHOP_UPDATE);
    if (!s) return RS_ESTORE;
    c->view++;
    sqlite3_bind_int64(s, 1, sh->sid);
    bind_shop_settings(s, sh);
    sqlite3_bind_int64(s, 9, sh->low_stock_threshold);
    sqlite3_bind_int64(s, 10, sh->min_available);
    sqlite3_bind_int64(s, 11, sh->min_soldout_minutes);
    sqlite3_bind_int64(s, 12, sh->subscription_ttl_days);
    sqlite3_bind_int64(s, 13, sh->max_notifications);
    sqlite3_bind_int(s, 14, sh->conversions_enabled);
    sqlite3_bind_int(s, 15, sh->double_opt_in);
    bind_text(s, 16, sh->feed_url ? sh->feed_url : "");
    sqlite3_bind_int64(s, 17, sh->feed_interval_minutes);
    return exec_done(c, s);
}

int sq_shop_set_key(struct store_conn *c, int64_t sid, const uint8_t hash[32])
{
    sqlite3_stmt *s = stmt(c, Q_SHOP_SET_KEY);
    if (!s) return RS_ESTORE;
    c->view++;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_blob(s, 2, hash, 32, SQLITE_STATIC);
    int rc = exec_done(c, s);
    if (rc == RS_OK && sqlite3_changes(c->db) == 0) return RS_ENOTFOUND;
    return rc;
}

static void read_shop(sqlite3_stmt *s, struct arena *a, struct shop *sh)
{
    memset(sh, 0, sizeof(*sh));
    sh->sid = sqlite3_column_int64(s, 0);
    sh->uuid = col_text(s, 1, a);
    sh->name = col_text(s, 2, a);
    sh->url = col_text(s, 3, a);
    sh->currency = col_text(s, 4, a);
    sh->timezone = col_text(s, 5, a);
    sh->locale = col_text(s, 6, a);
    sh->sender_name = col_text(s, 7, a);
    sh->sender_email = col_text(s, 8, a);
    if (sqlite3_column_bytes(s, 9) == 32) memcpy(sh->api_key_hash, sqlite3_column_blob(s, 9), 32);
    sh->webhook_secret = col_text(s, 10, a);
    sh->vapid_public = col_text(s, 11, a);
    sh->vapid_private = col_text(s, 12, a);
    sh->low_stock_threshold = sqlite3_column_int64(s, 13);
    sh->min_available = sqlite3_column_int64(s, 14);
    sh->min_soldout_minutes = sqlite3_column_int64(s, 15);
    sh->subscription_ttl_days = sqlite3_column_int64(s, 16);
    sh->max_notifications = sqlite3_column_int64(s, 17);
    sh->conversions_enabled = sqlite3_column_int(s, 18);
    sh->double_opt_in = sqlite3_column_int(s, 19);
    sh->created_at = sqlite3_column_int64(s, 20);
    sh->feed_url = col_text(s, 21, a);
    sh->feed_interval_minutes = sqlite3_column_int64(s, 22);
}

static int shop_query(struct store_conn *c, sqlite3_stmt *s, struct arena *a, struct shop *out)
{
    int rc = step_row(c, s);
    if (rc) return rc;
    read_shop(s, a, out);
    finish(s);
    return RS_OK;
}

/* *out = *src with its strings copied into a. */
static void shop_dup(const struct shop *src, struct arena *a, struct shop *out)
{
    *out = *src;
    const char **strings[] = {&out->uuid,         &out->name,          &out->url,
                              &out->currency,     &out->timezone,      &out->locale,
                              &out->sender_name,  &out->sender_email,  &out->webhook_secret,
                              &out->vapid_public, &out->vapid_private, &out->feed_url};
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        if (*strings[i]) *strings[i] = arena_strdup(a, *strings[i]);
}

/* The cached shop with this uuid in the connection's current view, or NULL. Outside a
 * transaction (autocommit) nothing is cached: each statement has its own view. */
static const struct shop *cached_shop(struct store_conn *c, const char *uuid)
{
    if (sqlite3_get_autocommit(c->db)) return NULL;
    for (int i = 0; i < SHOP_CACHE; i++) {
        const struct cached_shop *e = &c->shops[i];
        if (e->arena && e->view == c->view && strcmp(e->shop.uuid, uuid) == 0) return &e->shop;
    }
    return NULL;
}

static void cache_shop(struct store_conn *c, const struct shop *sh)
{
    if (sqlite3_get_autocommit(c->db)) return;
    struct cached_shop *e = &c->shops[c->shops_next];
    c->shops_next = (c->shops_next + 1) % SHOP_CACHE;
    arena_free(e->arena);
    e->arena = arena_new();
    e->view = c->view;
    shop_dup(sh, e->arena, &e->shop);
}

int sq_shop_by_uuid(struct store_conn *c, const char *uuid, struct arena *a, struct shop *out)
{
    const struct shop *hit = cached_shop(c, uuid);
    if (hit) {
        shop_dup(hit, a, out);
        return RS_OK;
    }
    for (int again = 0;; again = 1) {
        sqlite3_stmt *s = stmt(c, Q_SHOP_BY_UUID);
        if (!s) return RS_ESTORE;
        bind_text(s, 1, uuid);
        int rc = shop_query(c, s, a, out);
        if (rc == RS_OK) cache_shop(c, out);
        if (rc != RS_ENOTFOUND || again || !sq_fresh_snapshot(c)) return rc;
    }
}

int sq_shop_by_key(struct store_conn *c, const uint8_t hash[32], struct arena *a, struct shop *out)
{
    for (int again = 0;; again = 1) {
        sqlite3_stmt *s = stmt(c, Q_SHOP_BY_KEY);
        if (!s) return RS_ESTORE;
        sqlite3_bind_blob(s, 1, hash, 32, SQLITE_STATIC);
        int rc = shop_query(c, s, a, out);
        if (rc != RS_ENOTFOUND || again || !sq_fresh_snapshot(c)) return rc;
    }
}

int sq_shop_by_sid(struct store_conn *c, int64_t sid, struct arena *a, struct shop *out)
{
    sqlite3_stmt *s = stmt(c, Q_SHOP_BY_SID);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    return shop_query(c, s, a, out);
}

int sq_shop_by_url(struct store_conn *c, const char *url, struct arena *a, struct shop *out)
{
    sqlite3_stmt *s = stmt(c, Q_SHOP_BY_URL);
    if (!s) return RS_ESTORE;
    bind_text(s, 1, url);
    return shop_query(c, s, a, out);
}

int sq_shop_count(struct store_conn *c, int64_t *n)
{
    sqlite3_stmt *s = stmt(c, Q_SHOP_COUNT);
    if (!s) return RS_ESTORE;
    int rc = step_row(c, s);
    if (rc) return rc;
    *n = sqlite3_column_int64(s, 0);
    finish(s);
    return RS_OK;
}

/* ---- variants ----------------------------------------------------------------------------- */

int sq_variant_get(struct store_conn *c, int64_t sid, const char *variant_id, struct arena *a,
                   struct variant *v)
{
    sqlite3_stmt *s = stmt(c, Q_VARIANT_GET);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, variant_id);
    int rc = step_row(c, s);
    if (rc) return rc;
    v->sid = sqlite3_column_int64(s, 0);
    v->variant_id = col_text(s, 1, a);
    v->product_id = col_text(s, 2, a);
    v->product_number = col_text(s, 3, a);
    v->inventory_item_id = col_text(s, 4, a);
    v->title = col_text(s, 5, a);
    v->variant_title = col_text(s, 6, a);
    v->url = col_text(s, 7, a);
    v->image_url = col_text(s, 8, a);
    v->price = sqlite3_column_int64(s, 9);
    v->original_price = sqlite3_column_int64(s, 10);
    v->currency = col_text(s, 11, a);
    v->category = col_text(s, 12, a);
    v->available = sqlite3_column_int64(s, 13);
    v->soldout_since = sqlite3_column_int64(s, 14);
    v->updated_at = sqlite3_column_int64(s, 15);
    finish(s);
    return RS_OK;
}

int sq_variant_put(struct store_conn *c, const struct variant *v)
{
    sqlite3_stmt *s = stmt(c, Q_VARIANT_PUT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, v->sid);
    bind_text(s, 2, v->variant_id);
    bind_text(s, 3, v->product_id);
    bind_text(s, 4, v->product_number);
    bind_text(s, 5, v->inventory_item_id);
    bind_text(s, 6, v->title);
    bind_text(s, 7, v->variant_title);
    bind_text(s, 8, v->url);
    bind_text(s, 9, v->image_url);
    sqlite3_bind_int64(s, 10, v->price);
    sqlite3_bind_int64(s, 11, v->original_price);
    bind_text(s, 12, v->currency);
    bind_text(s, 13, v->category);
    sqlite3_bind_int64(s, 14, v->available);
    sqlite3_bind_int64(s, 15, v->soldout_since);
    sqlite3_bind_int64(s, 16, v->updated_at);
    return exec_done(c, s);
}

int sq_variant_put_stock(struct store_conn *c, const struct variant *v)
{
    sqlite3_stmt *s = stmt(c, Q_VARIANT_PUT_STOCK);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, v->sid);
    bind_text(s, 2, v->variant_id);
    sqlite3_bind_int64(s, 3, v->available);
    sqlite3_bind_int64(s, 4, v->soldout_since);
    sqlite3_bind_int64(s, 5, v->updated_at);
    return exec_done(c, s);
}

int sq_restock_insert(struct store_conn *c, int64_t sid, const char *variant_id, int64_t available,
                      int64_t soldout_since, int64_t at)
{
    sqlite3_stmt *s = stmt(c, Q_RESTOCK_INSERT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, variant_id);
    sqlite3_bind_int64(s, 3, available);
    sqlite3_bind_int64(s, 4, soldout_since);
    sqlite3_bind_int64(s, 5, at);
    return exec_done(c, s);
}

/* ---- subscriptions ------------------------------------------------------------------------ */

int sq_sub_insert(struct store_conn *c, struct subscription *x)
{
    sqlite3_stmt *s = stmt(c, Q_SUB_INSERT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, x->sid);
    bind_text(s, 2, x->variant_id);
    sqlite3_bind_int(s, 3, (int)x->channel);
    sqlite3_bind_int(s, 4, (int)x->status);
    bind_text(s, 5, x->contact_key);
    bind_text(s, 6, x->email);
    bind_text(s, 7, x->phone);
    bind_text(s, 8, x->push_endpoint);
    bind_text(s, 9, x->push_p256dh);
    bind_text(s, 10, x->push_auth);
    bind_text(s, 11, x->first_name);
    bind_text(s, 12, x->customer_id);
    bind_text(s, 13, x->tracking_user_id);
    bind_text(s, 14, x->locale);
    bind_text(s, 15, x->source);
    sqlite3_bind_int64(s, 16, x->quantity);
    sqlite3_bind_int64(s, 17, x->notify_count);
    sqlite3_bind_int64(s, 18, x->created_at);
    sqlite3_bind_int64(s, 19, x->updated_at);
    sqlite3_bind_int64(s, 20, x->confirmed_at);
    sqlite3_bind_int64(s, 21, x->notified_at);
    sqlite3_bind_int64(s, 22, x->unsubscribed_at);
    int rc = exec_done(c, s);
    if (rc == RS_OK) x->id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

static void read_sub(sqlite3_stmt *s, struct arena *a, struct subscription *x)
{
    x->id = sqlite3_column_int64(s, 0);
    x->sid = sqlite3_column_int64(s, 1);
    x->variant_id = col_text(s, 2, a);
    x->channel = (enum channel)sqlite3_column_int(s, 3);
    x->status = (enum sub_status)sqlite3_column_int(s, 4);
    x->contact_key = col_text(s, 5, a);
    x->email = col_text(s, 6, a);
    x->phone = col_text(s, 7, a);
    x->push_endpoint = col_text(s, 8, a);
    x->push_p256dh = col_text(s, 9, a);
    x->push_auth = col_text(s, 10, a);
    x->first_name = col_text(s, 11, a);
    x->customer_id = col_text(s, 12, a);
    x->tracking_user_id = col_text(s, 13, a);
    x->locale = col_text(s, 14, a);
    x->source = col_text(s, 15, a);
    x->quantity = sqlite3_column_int64(s, 16);
    x->notify_count = sqlite3_column_int64(s, 17);
    x->created_at = sqlite3_column_int64(s, 18);
    x->updated_at = sqlite3_column_int64(s, 19);
    x->confirmed_at = sqlite3_column_int64(s, 20);
    x->notified_at = sqlite3_column_int64(s, 21);
    x->unsubscribed_at = sqlite3_column_int64(s, 22);
}

int sq_sub_find(struct store_conn *c, int64_t sid, const char *variant_id, enum channel ch,
                const char *contact_key, struct arena *a, struct subscription *out)
{
    sqlite3_stmt *s = stmt(c, Q_SUB_FIND);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, variant_id);
    sqlite3_bind_int(s, 3, (int)ch);
    bind_text(s, 4, contact_key);
    int rc = step_row(c, s);
    if (rc) return rc;
    read_sub(s, a, out);
    finish(s);
    return RS_OK;
}

int sq_sub_get(struct store_conn *c, int64_t id, struct arena *a, struct subscription *out)
{
    sqlite3_stmt *s = stmt(c, Q_SUB_GET);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    int rc = step_row(c, s);
    if (rc) return rc;
    read_sub(s, a, out);
    finish(s);
    return RS_OK;
}

/* The list query depends on which filters are set, so it is built per call (not cached). */
int sq_sub_list(struct store_conn *c, const struct sub_filter *f, struct arena *a, sub_cb cb,
                void *arg)
{
    char q[512];
    snprintf(q, sizeof(q),
             "SELECT " SUB_COLS " FROM subscriptions WHERE shop_id = ?1 AND id > ?2%s%s%s%s"
             " ORDER BY id LIMIT ?7",
             f->variant_id ? " AND variant_id = ?3" : "", f->status >= 0 ? " AND status = ?4" : "",
             f->channel >= 0 ? " AND channel = ?5" : "",
             f->contact_key ? " AND contact_key = ?6" : "");
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(c->db, q, -1, &s, NULL) != SQLITE_OK) return fail_db(c->db, q);
    sqlite3_bind_int64(s, 1, f->sid);
    sqlite3_bind_int64(s, 2, f->after_id);
    if (f->variant_id) bind_text(s, 3, f->variant_id);
    if (f->status >= 0) sqlite3_bind_int(s, 4, f->status);
    if (f->channel >= 0) sqlite3_bind_int(s, 5, f->channel);
    if (f->contact_key) bind_text(s, 6, f->contact_key);
    sqlite3_bind_int(s, 7, f->limit);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct subscription x;
        read_sub(s, a, &x);
        if (cb(arg, &x)) break;
    }
    int out = rc == SQLITE_ROW || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, q);
    sqlite3_finalize(s);
    return out;
}

int sq_sub_set_status(struct store_conn *c, int64_t id, enum sub_status st, int64_t at)
{
    sqlite3_stmt *s = stmt(c, Q_SUB_SET_STATUS);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int(s, 2, (int)st);
    sqlite3_bind_int64(s, 3, at);
    int rc = exec_done(c, s);
    if (rc == RS_OK && sqlite3_changes(c->db) == 0) return RS_ENOTFOUND;
    return rc;
}

int sq_sub_unsubscribe_contact(struct store_conn *c, int64_t sid, const char *contact_key,
                               int64_t at, int64_t *n)
{
    sqlite3_stmt *s = stmt(c, Q_SUB_UNSUB_CONTACT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, contact_key);
    sqlite3_bind_int64(s, 3, at);
    int rc = exec_done(c, s);
    if (rc == RS_OK) *n = sqlite3_changes(c->db);
    return rc;
}

int sq_sub_reenroll(struct store_conn *c, int64_t sid, const char *variant_id, int64_t max,
                    int64_t at, int64_t *n)
{
    sqlite3_stmt *s = stmt(c, Q_SUB_REENROLL);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, variant_id);
    sqlite3_bind_int64(s, 3, max);
    sqlite3_bind_int64(s, 4, at);
    int rc = exec_done(c, s);
    if (rc == RS_OK) *n = sqlite3_changes(c->db);
    return rc;
}

int sq_sub_waiting(struct store_conn *c, int64_t sid, const char *variant_id, int64_t after_id,
                   int limit, struct arena *a, sub_cb cb, void *arg)
{
    sqlite3_stmt *s = stmt(c, Q_SUB_WAITING);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, variant_id);
    sqlite3_bind_int64(s, 3, after_id);
    sqlite3_bind_int(s, 4, limit);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct subscription x = {
            .id = sqlite3_column_int64(s, 0),
            .sid = sid,
            .variant_id = variant_id,
            .channel = (enum channel)sqlite3_column_int(s, 1),
            .status = SUB_WAITING,
            .contact_key = col_text(s, 2, a),
            .first_name = col_text(s, 3, a),
            .locale = col_text(s, 4, a),
            .quantity = sqlite3_column_int64(s, 5),
            .notify_count = sqlite3_column_int64(s, 6),
            .created_at = sqlite3_column_int64(s, 7),
            .customer_id = col_text(s, 8, a),
            .tracking_user_id = col_text(s, 9, a),
            .source = col_text(s, 10, a),
        };
        if (cb(arg, &x)) break;
    }
    int out = rc == SQLITE_ROW || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, sql[Q_SUB_WAITING]);
    finish(s);
    return out;
}

int sq_sub_notified(struct store_conn *c, int64_t sid, int64_t restock_id, int64_t after_id,
                    int64_t upto_id, int64_t at)
{
    sqlite3_stmt *s = stmt(c, Q_SUB_NOTIFIED);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, restock_id);
    sqlite3_bind_int64(s, 3, after_id);
    sqlite3_bind_int64(s, 4, upto_id);
    sqlite3_bind_int64(s, 5, at);
    return exec_done(c, s);
}

/* ---- campaigns ---------------------------------------------------------------------------- */

int sq_campaign_insert(struct store_conn *c, struct stored_campaign *sc)
{
    sqlite3_stmt *s = stmt(c, Q_CAMP_INSERT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sc->sid);
    sqlite3_bind_int(s, 2, sc->channel);
    sqlite3_bind_int(s, 3, sc->status);
    sqlite3_bind_int(s, 4, sc->is_default);
    bind_text(s, 5, sc->json);
    sqlite3_bind_int64(s, 6, sc->created_at);
    sqlite3_bind_int64(s, 7, sc->updated_at);
    int rc = exec_done(c, s);
    if (rc == RS_OK) sc->id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

int sq_campaign_update(struct store_conn *c, const struct stored_campaign *sc)
{
    sqlite3_stmt *s = stmt(c, Q_CAMP_UPDATE);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sc->sid);
    sqlite3_bind_int64(s, 2, sc->id);
    sqlite3_bind_int(s, 3, sc->status);
    bind_text(s, 4, sc->json);
    sqlite3_bind_int64(s, 5, sc->updated_at);
    int rc = exec_done(c, s);
    if (rc == RS_OK && sqlite3_changes(c->db) == 0) return RS_ENOTFOUND;
    return rc;
}

int sq_campaign_delete(struct store_conn *c, int64_t sid, int64_t id, int64_t at)
{
    sqlite3_stmt *s = stmt(c, Q_CAMP_DELETE);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, id);
    sqlite3_bind_int64(s, 3, at);
    int rc = exec_done(c, s);
    if (rc == RS_OK && sqlite3_changes(c->db) == 0) return RS_ENOTFOUND;
    return rc;
}

static void read_campaign(sqlite3_stmt *s, struct arena *a, struct stored_campaign *sc)
{
    sc->id = sqlite3_column_int64(s, 0);
    sc->sid = sqlite3_column_int64(s, 1);
    sc->channel = sqlite3_column_int(s, 2);
    sc->status = sqlite3_column_int(s, 3);
    sc->is_default = sqlite3_column_int(s, 4);
    sc->json = col_text(s, 5, a);
    sc->created_at = sqlite3_column_int64(s, 6);
    sc->updated_at = sqlite3_column_int64(s, 7);
}

int sq_campaign_get(struct store_conn *c, int64_t sid, int64_t id, struct arena *a,
                    struct stored_campaign *out)
{
    sqlite3_stmt *s = stmt(c, Q_CAMP_GET);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, id);
    int rc = step_row(c, s);
    if (rc) return rc;
    read_campaign(s, a, out);
    finish(s);
    return RS_OK;
}

int sq_campaign_set_rewalk(struct store_conn *c, int64_t sid, int64_t id, int64_t at)
{
    sqlite3_stmt *s = stmt(c, Q_CAMP_SET_REWALK);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, id);
    sqlite3_bind_int64(s, 3, at);
    return exec_done(c, s);
}

int sq_campaign_rewalk_next(struct store_conn *c, int64_t now, struct arena *a,
                            struct stored_campaign *out)
{
    sqlite3_stmt *s = stmt(c, Q_CAMP_REWALK_NEXT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, now);
    int rc = step_row(c, s);
    if (rc) return rc;
    read_campaign(s, a, out);
    finish(s);
    return RS_OK;
}

int sq_campaign_list(struct store_conn *c, int64_t sid, struct arena *a,
                     int (*cb)(void *arg, const struct stored_campaign *sc), void *arg)
{
    sqlite3_stmt *s = stmt(c, Q_CAMP_LIST);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct stored_campaign sc;
        read_campaign(s, a, &sc);
        if (cb(arg, &sc)) break;
    }
    int out = rc == SQLITE_ROW || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, sql[Q_CAMP_LIST]);
    finish(s);
    return out;
}
