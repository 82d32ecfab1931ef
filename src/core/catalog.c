/*
 * catalog — stock status, restock detection and catalog batches; contract in catalog.h.
 *
 * Invariant kept by stock_apply: soldout_since != 0 exactly when available < min_available, and
 * then it is the time stock fell below (or was first seen below) the threshold.
 */
#include "core/catalog.h"

#include <string.h>

#include "util/json.h"
#include "util/money.h"
#include "util/timeutil.h"

enum stock_status stock_status_of(const struct shop *sh, int64_t available)
{
    if (available < sh->min_available) return STOCK_SOLD_OUT;
    if (available <= sh->low_stock_threshold) return STOCK_LOW;
    return STOCK_IN;
}

const char *stock_status_name(enum stock_status s)
{
    static const char *const names[] = {"sold_out", "low_stock", "in_stock"};
    return names[s];
}

int stock_apply(const struct shop *sh, struct variant *v, int existed, int64_t available,
                int64_t now)
{
    int was_out = existed && v->available < sh->min_available;
    int is_out = available < sh->min_available;
    int restock = 0;
    if (is_out) {
        if (!was_out || !v->soldout_since) v->soldout_since = now;
    } else {
        restock = was_out && now - v->soldout_since >= sh->min_soldout_minutes * 60;
        v->soldout_since = 0;
    }
    v->available = available;
    return restock;
}

/* ---- parsing ------------------------------------------------------------------------------- */

static const struct jfield variant_fields[] = {
    {"variant_id", JF_ID, JF_REQUIRED},
    {"product_id", JF_ID, JF_NULLABLE},
    {"product_number", JF_STRING, JF_NULLABLE},
    {"inventory_item_id", JF_ID, JF_NULLABLE},
    {"title", JF_STRING, JF_NULLABLE},
    {"variant_title", JF_STRING, JF_NULLABLE},
    {"url", JF_STRING, JF_NULLABLE},
    {"image_url", JF_STRING, JF_NULLABLE},
    {"price", JF_MONEY, JF_NULLABLE},
    {"original_price", JF_MONEY, JF_NULLABLE},
    {"currency", JF_STRING, JF_NULLABLE},
    {"category", JF_STRING, JF_NULLABLE},
    {"available", JF_INT, 0},
};

static const struct jfield inventory_fields[] = {
    {"variant_id", JF_ID, JF_REQUIRED},
    {"available", JF_INT, JF_REQUIRED},
};

#define MAX_ID   255
#define MAX_TEXT 2048

/* A text field into *dst, with its `has` bit; null clears it. */
static int text_field(struct variant_in *in, const json_t *o, const char *key, unsigned bit,
                      const char **dst, size_t max, struct arena *a, const char *where,
                      struct rs_status *st)
{
    json_t *v = json_object_get(o, key);
    if (!v) return RS_OK;
    in->has |= bit;
    if (json_is_null(v)) {
        *dst = NULL;
        return RS_OK;
    }
    char tmp[24];
    const char *s = jid(o, key, tmp);
    if (strlen(s) > max)
        return rs_fail(st, RS_EINVAL, "%s.%s: longer than %zu bytes", where, key, max);
    *dst = arena_strdup(a, s);
    return RS_OK;
}

static int url_ok(const char *u)
{
    return !u || strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0;
}

static int parse_one(struct catalog_batch *b, struct variant_in *in, const json_t *o, size_t i,
                     struct rs_status *st)
{
    char where[32];
    snprintf(where, sizeof(where), "[%zu]", i);
    int rc = json_check(o, variant_fields, sizeof(variant_fields) / sizeof(variant_fields[0]),
                        where, st);
    if (rc) return rc;
    struct arena *a = b->arena;
    struct variant *v = &in->v;
    char tmp[24];
    const char *vid = jid(o, "variant_id", tmp);
    if (!*vid || strlen(vid) > MAX_ID)
        return rs_fail(st, RS_EINVAL, "%s.variant_id: must be 1 to %d bytes", where, MAX_ID);
    v->variant_id = arena_strdup(a, vid);
    v->price = v->original_price = -1;
    const struct {
        const char *key;
        unsigned bit;
        const char **dst;
        size_t max;
    } texts[] = {
        {"product_id", VF_PRODUCT_ID, &v->product_id, MAX_ID},
        {"product_number", VF_PRODUCT_NUMBER, &v->product_number, MAX_ID},
        {"inventory_item_id", VF_INVENTORY_ITEM, &v->inventory_item_id, MAX_ID},
        {"title", VF_TITLE, &v->title, MAX_TEXT},
        {"variant_title", VF_VARIANT_TITLE, &v->variant_title, MAX_TEXT},
        {"url", VF_URL, &v->url, MAX_TEXT},
        {"image_url", VF_IMAGE_URL, &v->image_url, MAX_TEXT},
        {"currency", VF_CURRENCY, &v->currency, 3},
        {"category", VF_CATEGORY, &v->category, MAX_TEXT},
    };
    for (size_t k = 0; k < sizeof(texts) / sizeof(texts[0]); k++)
        if ((rc = text_field(in, o, texts[k].key, texts[k].bit, texts[k].dst, texts[k].max, a,
                             where, st)))
            return rc;
    if (!url_ok(v->url) || !url_ok(v->image_url))
        return rs_fail(st, RS_EINVAL, "%s.%s: must be an http(s) URL", where,
                       url_ok(v->url) ? "image_url" : "url");
    const char *cur = v->currency ? v->currency : b->shop->currency;
    int exp = currency_exponent(cur);
    if (exp < 0) return rs_fail(st, RS_EINVAL, "%s.currency: must be an ISO 4217 code", where);
    /* a price given as null clears it (unknown), as null clears the text fields */
    if (json_object_get(o, "price")) {
        in->has |= VF_PRICE;
        if (jhas(o, "price") && (rc = jmoney(o, "price", exp, &v->price, where, st))) return rc;
    }
    if (json_object_get(o, "original_price")) {
        in->has |= VF_ORIGINAL_PRICE;
        if (jhas(o, "original_price") &&
            (rc = jmoney(o, "original_price", exp, &v->original_price, where, st)))
            return rc;
    }
    if ((v->price < -1 || v->original_price < -1) || (jhas(o, "price") && v->price < 0))
        return rs_fail(st, RS_EINVAL, "%s.price: must not be negative", where);
    if (json_object_get(o, "available")) {
        in->has |= VF_AVAILABLE;
        v->available = jint(o, "available", 0);
        if (v->available < 0 || v->available > 1000000000)
            return rs_fail(st, RS_EINVAL, "%s.available: must be from 0 to 1000000000", where);
    }
    return RS_OK;
}

static int parse_array(struct catalog_batch *b, const json_t *body, int inventory,
                       struct rs_status *st)
{
    if (!json_is_array(body)) return rs_fail(st, RS_EINVAL, "body: must be an array");
    size_t n = json_array_size(body);
    if (n == 0) return rs_fail(st, RS_EINVAL, "body: must hold at least one variant");
    if (n > 10000) return rs_fail(st, RS_EINVAL, "body: at most 10000 variants per request");
    b->items = arena_alloc(b->arena, n * sizeof(*b->items));
    b->n = n;
    b->inventory_only = inventory;
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(body, i);
        char where[32];
        snprintf(where, sizeof(where), "[%zu]", i);
        int rc = inventory ? json_check(o, inventory_fields, 2, where, st) : RS_OK;
        if (rc || (rc = parse_one(b, &b->items[i], o, i, st))) return rc;
    }
    return RS_OK;
}

int catalog_parse(struct catalog_batch *b, const json_t *body, struct rs_status *st)
{
    return parse_array(b, body, 0, st);
}

int inventory_parse(struct catalog_batch *b, const json_t *body, struct rs_status *st)
{
    return parse_array(b, body, 1, st);
}

/* ---- applying ------------------------------------------------------------------------------ */

static int same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* 1 when merging `in` into dst changes none of dst's descriptive fields. */
static int merge_keeps(const struct variant *dst, const struct variant_in *in)
{
    const struct variant *v = &in->v;
    unsigned h = in->has;
    return (!(h & VF_PRODUCT_ID) || same_text(dst->product_id, v->product_id)) &&
           (!(h & VF_PRODUCT_NUMBER) || same_text(dst->product_number, v->product_number)) &&
           (!(h & VF_INVENTORY_ITEM) || same_text(dst->inventory_item_id, v->inventory_item_id)) &&
           (!(h & VF_TITLE) || same_text(dst->title, v->title)) &&
           (!(h & VF_VARIANT_TITLE) || same_text(dst->variant_title, v->variant_title)) &&
           (!(h & VF_URL) || same_text(dst->url, v->url)) &&
           (!(h & VF_IMAGE_URL) || same_text(dst->image_url, v->image_url)) &&
           (!(h & VF_PRICE) || dst->price == v->price) &&
           (!(h & VF_ORIGINAL_PRICE) || dst->original_price == v->original_price) &&
           (!(h & VF_CURRENCY) || same_text(dst->currency, v->currency)) &&
           (!(h & VF_CATEGORY) || same_text(dst->category, v->category));
}

static void merge(struct variant *dst, const struct variant_in *in)
{
    const struct variant *v = &in->v;
    unsigned h = in->has;
    if (h & VF_PRODUCT_ID) dst->product_id = v->product_id;
    if (h & VF_PRODUCT_NUMBER) dst->product_number = v->product_number;
    if (h & VF_INVENTORY_ITEM) dst->inventory_item_id = v->inventory_item_id;
    if (h & VF_TITLE) dst->title = v->title;
    if (h & VF_VARIANT_TITLE) dst->variant_title = v->variant_title;
    if (h & VF_URL) dst->url = v->url;
    if (h & VF_IMAGE_URL) dst->image_url = v->image_url;
    if (h & VF_PRICE) dst->price = v->price;
    if (h & VF_ORIGINAL_PRICE) dst->original_price = v->original_price;
    if (h & VF_CURRENCY) dst->currency = v->currency;
    if (h & VF_CATEGORY) dst->category = v->category;
}

int catalog_apply(struct tx *tx, void *arg, struct rs_status *st)
{
    struct catalog_batch *b = arg;
    const struct shop *sh = b->shop;
    b->created = b->updated = b->nrestocked = 0;
    b->restocked = arena_alloc(b->arena, b->n * sizeof(char *));
    for (size_t i = 0; i < b->n; i++) {
        const struct variant_in *in = &b->items[i];
        struct variant cur = {0};
        int rc = tx->ops->variant_get(tx->c, sh->sid, in->v.variant_id, b->arena, &cur);
        if (rc && rc != RS_ENOTFOUND) return rs_fail(st, rc, "the store failed");
        int existed = rc == RS_OK;
        if (!existed) {
            if (b->inventory_only)
                return rs_fail(st, RS_EINVAL, "[%zu].variant_id: unknown variant %s", i,
                               in->v.variant_id);
            cur = (struct variant){
                .sid = sh->sid, .variant_id = in->v.variant_id, .price = -1, .original_price = -1};
        }
        /* most updates (a feed's next pass, an inventory webhook) change only the stock: the
         * row's descriptive columns and their indexes are then left alone */
        int stock_only = existed && merge_keeps(&cur, in);
        merge(&cur, in);
        int64_t avail = (in->has & VF_AVAILABLE) ? in->v.available : cur.available;
        int64_t since = cur.soldout_since;
        int was_in = existed && cur.available >= sh->min_available;
        int restock = stock_apply(sh, &cur, existed, avail, b->now);
        if (was_in && cur.available < sh->min_available) {
            /* sold out again: who was told and has not bought waits again (SPEC §2) */
            int64_t n = 0;
            rc = tx->ops->sub_reenroll(tx->c, sh->sid, cur.variant_id, sh->max_notifications,
                                       b->now, &n);
            if (rc) return rs_fail(st, rc, "the store failed");
        }
        cur.updated_at = b->now;
        rc = stock_only ? tx->ops->variant_put_stock(tx->c, &cur)
                        : tx->ops->variant_put(tx->c, &cur);
        if (rc) return rs_fail(st, rc, "the store failed");
        if (restock) {
            rc = tx->ops->restock_insert(tx->c, sh->sid, cur.variant_id, cur.available, since,
                                         b->now);
            if (rc) return rs_fail(st, rc, "the store failed");
            b->restocked[b->nrestocked++] = cur.variant_id;
        }
        existed ? b->updated++ : b->created++;
    }
    return RS_OK;
}

/* ---- output -------------------------------------------------------------------------------- */

static json_t *money_json(int64_t minor, const char *currency)
{
    char buf[32];
    if (minor < 0) return json_null();
    money_format(minor, currency_exponent(currency), buf, sizeof(buf));
    return json_string(buf);
}

json_t *variant_to_json(const struct shop *sh, const struct variant *v)
{
    const char *cur = v->currency ? v->currency : sh->currency;
    char ts[32];
    rfc3339_format(v->updated_at, ts, sizeof(ts));
    json_t *o = json_pack(
        "{s:s,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:o,s:o,s:s,s:s?,s:I,s:s,s:s}", "variant_id",
        v->variant_id, "product_id", v->product_id, "product_number", v->product_number,
        "inventory_item_id", v->inventory_item_id, "title", v->title, "variant_title",
        v->variant_title, "url", v->url, "image_url", v->image_url, "price",
        money_json(v->price, cur), "original_price", money_json(v->original_price, cur), "currency",
        cur, "category", v->category, "available", (json_int_t)v->available, "status",
        stock_status_name(stock_status_of(sh, v->available)), "updated_at", ts);
    return o;
}
