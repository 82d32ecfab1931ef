/*
 * shopify — Shopify webhooks; contract in shopify.h.
 *
 * Payloads are read leniently (Shopify adds fields in every API version): only the fields
 * restock uses are looked at, each checked for its type, and a field of the wrong type is an
 * error naming it. Strings kept are bounded (MAX_ID, MAX_TEXT).
 */
#include "ingest/shopify.h"

#include <ctype.h>
#include <string.h>

#include "core/contact.h"
#include "core/order.h"
#include "util/buf.h"
#include "util/crypto.h"
#include "util/json.h"
#include "util/log.h"
#include "util/money.h"
#include "util/timeutil.h"

#define MAX_ID   255
#define MAX_TEXT 2048

static const struct {
    const char *name;
    enum shopify_topic topic;
} topics[] = {
    {"inventory_levels/update", SHT_INVENTORY},
    {"inventory_levels/connect", SHT_INVENTORY},
    {"products/update", SHT_PRODUCT},
    {"products/create", SHT_PRODUCT},
    {"orders/create", SHT_ORDER},
    {"orders/paid", SHT_ORDER},
    {"orders/cancelled", SHT_CANCEL},
    {"refunds/create", SHT_REFUND},
    {"customers/data_request", SHT_DATA_REQUEST},
    {"customers/redact", SHT_CUSTOMER_REDACT},
    {"shop/redact", SHT_SHOP_REDACT},
};

enum shopify_topic shopify_topic_parse(const char *topic)
{
    for (size_t i = 0; topic && i < sizeof(topics) / sizeof(topics[0]); i++)
        if (strcmp(topic, topics[i].name) == 0) return topics[i].topic;
    return SHT_UNKNOWN;
}

int shopify_verify(const char *secret, const void *body, size_t n, const char *hmac_b64)
{
    uint8_t want[32], got[36];
    if (!secret || !hmac_b64) return 0;
    size_t hl = strlen(hmac_b64);
    if (hl != 44) return 0; /* base64 of 32 bytes */
    if (base64_decode(hmac_b64, hl, got, sizeof(got)) != 32) return 0;
    crypto_hmac_sha256(secret, strlen(secret), n ? body : "", n, want);
    return crypto_equal(want, got, 32);
}

/* ---- JSON with exact big integers ---------------------------------------------------------- */

json_t *shopify_json_parse(const char *body, size_t n, struct rs_status *st)
{
    /* one pass: copy, quoting integer tokens of 19+ digits (outside strings) */
    struct buf b = BUF_INIT(0);
    int in_str = 0, quoted = 0;
    for (size_t i = 0; i < n;) {
        char c = body[i];
        if (in_str) {
            size_t j = i;
            while (j < n && body[j] != '"' && body[j] != '\\')
                j++;
            if (j < n && body[j] == '\\')
                j = j + 2 > n ? n : j + 2;
            else if (j < n) {
                in_str = 0;
                j++;
            }
            buf_append(&b, body + i, j - i);
            i = j;
            continue;
        }
        if (c == '"') {
            in_str = 1;
            buf_putc(&b, c);
            i++;
            continue;
        }
        if (c == '-' || isdigit((unsigned char)c)) {
            size_t j = i + (c == '-');
            while (j < n && isdigit((unsigned char)body[j]))
                j++;
            int integer = j >= n || (body[j] != '.' && body[j] != 'e' && body[j] != 'E');
            size_t digits = j - i - (c == '-');
            if (integer && digits >= 19 && c != '-') {
                buf_putc(&b, '"');
                buf_append(&b, body + i, j - i);
                buf_putc(&b, '"');
                quoted = 1;
            } else {
                buf_append(&b, body + i, j - i);
            }
            i = j;
            continue;
        }
        buf_putc(&b, c);
        i++;
    }
    json_t *v = quoted ? json_parse_strict(b.p, b.len, st) : json_parse_strict(body, n, st);
    buf_free(&b);
    return v;
}

/* ---- field readers ------------------------------------------------------------------------- */

/* An id field (integer or string) as decimal text in a; NULL when absent or null. */
static int get_id(const json_t *o, const char *key, struct arena *a, const char **out,
                  const char *where, struct rs_status *st)
{
    const json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v || json_is_null(v)) return RS_OK;
    if (json_is_integer(v)) {
        *out = arena_printf(a, "%lld", (long long)json_integer_value(v));
        return RS_OK;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > MAX_ID)
        return rs_fail(st, RS_EINVAL, "%s%s: must be an id (an integer or a string)", where, key);
    *out = arena_strdup(a, json_string_value(v));
    return RS_OK;
}

/* A text field; NULL when absent, null or empty. */
static int get_text(const json_t *o, const char *key, size_t max, struct arena *a, const char **out,
                    const char *where, struct rs_status *st)
{
    const json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v || json_is_null(v)) return RS_OK;
    if (!json_is_string(v)) return rs_fail(st, RS_EINVAL, "%s%s: must be a string", where, key);
    if (json_string_length(v) > max)
        return rs_fail(st, RS_EINVAL, "%s%s: longer than %zu bytes", where, key, max);
    if (json_string_length(v)) *out = arena_strdup(a, json_string_value(v));
    return RS_OK;
}

/* A money field (Shopify sends strings; numbers are accepted); -1 when absent or null. */
static int get_money(const json_t *o, const char *key, int exp, int64_t *out, const char *where,
                     struct rs_status *st)
{
    *out = -1;
    if (!jhas(o, key)) return RS_OK;
    const json_t *v = json_object_get(o, key);
    if (!json_is_string(v) && !json_is_number(v))
        return rs_fail(st, RS_EINVAL, "%s%s: must be a decimal amount", where, key);
    return jmoney(o, key, exp, out, where, st);
}

static int get_int(const json_t *o, const char *key, int64_t *out, const char *where,
                   struct rs_status *st)
{
    const json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) return RS_OK;
    if (!json_is_integer(v)) return rs_fail(st, RS_EINVAL, "%s%s: must be an integer", where, key);
    *out = json_integer_value(v);
    return RS_OK;
}

static int need_object(const json_t *o, const char *what, struct rs_status *st)
{
    return json_is_object(o) ? RS_OK : rs_fail(st, RS_EINVAL, "%s: must be an object", what);
}

/* ---- products/update ----------------------------------------------------------------------- */

/* The image of a variant: the product image listing its id, else the product's main image. */
static const char *variant_image(const json_t *p, const char *vid, const json_t *variant)
{
    const json_t *images = json_object_get(p, "images");
    const json_t *img_id = json_object_get(variant, "image_id");
    size_t i;
    const json_t *img;
    if (json_is_array(images)) json_array_foreach(images, i, img)
        {
            if (!json_is_object(img) || !json_is_string(json_object_get(img, "src"))) continue;
            if (json_is_integer(img_id) && json_equal(json_object_get(img, "id"), img_id))
                return json_string_value(json_object_get(img, "src"));
            const json_t *vids = json_object_get(img, "variant_ids");
            size_t k;
            const json_t *x;
            if (json_is_array(vids)) json_array_foreach(vids, k, x)
                {
                    char tmp[24];
                    const char *s =
                        json_is_integer(x)
                            ? (snprintf(tmp, sizeof(tmp), "%lld", (long long)json_integer_value(x)),
                               tmp)
                        : json_is_string(x) ? json_string_value(x)
                                            : "";
                    if (strcmp(s, vid) == 0) return json_string_value(json_object_get(img, "src"));
                }
        }
    const json_t *main = json_object_get(p, "image");
    if (json_is_object(main) && json_is_string(json_object_get(main, "src")))
        return json_string_value(json_object_get(main, "src"));
    return NULL;
}

static int product_variant(const json_t *p, const json_t *pv, size_t i, const struct shop *sh,
                           const char *product_id, const char *title, const char *url,
                           const char *category, struct catalog_batch *b, struct rs_status *st)
{
    struct arena *a = b->arena;
    struct variant_in *in = &b->items[i];
    struct variant *v = &in->v;
    char where[32];
    snprintf(where, sizeof(where), "variants[%zu].", i);
    int rc = need_object(pv, "variants[]", st);
    if (rc || (rc = get_id(pv, "id", a, &v->variant_id, where, st))) return rc;
    if (!v->variant_id) return rs_fail(st, RS_EINVAL, "%sid: required", where);
    int exp = currency_exponent(sh->currency);
    const char *vt = NULL, *image = variant_image(p, v->variant_id, pv);
    if ((rc = get_id(pv, "inventory_item_id", a, &v->inventory_item_id, where, st)) ||
        (rc = get_text(pv, "sku", MAX_ID, a, &v->product_number, where, st)) ||
        (rc = get_text(pv, "title", MAX_TEXT, a, &vt, where, st)) ||
        (rc = get_money(pv, "price", exp, &v->price, where, st)) ||
        (rc = get_money(pv, "compare_at_price", exp, &v->original_price, where, st)))
        return rc;
    v->available = -1;
    if ((rc = get_int(pv, "inventory_quantity", &v->available, where, st))) return rc;
    if (v->available < -1) v->available = 0; /* oversold: nothing to sell */
    if (v->available > 1000000000) v->available = 1000000000;
    v->product_id = product_id;
    v->title = title;
    v->variant_title = vt && strcmp(vt, "Default Title") != 0 ? vt : NULL;
    v->url = url;
    v->image_url = image && strlen(image) <= MAX_TEXT &&
                           (strncmp(image, "https://", 8) == 0 || strncmp(image, "http://", 7) == 0)
                       ? arena_strdup(a, image)
                       : NULL;
    v->category = category;
    in->has = VF_PRODUCT_ID | VF_PRODUCT_NUMBER | VF_TITLE | VF_VARIANT_TITLE | VF_URL |
              VF_IMAGE_URL | VF_PRICE | VF_ORIGINAL_PRICE | VF_CATEGORY;
    if (v->inventory_item_id) in->has |= VF_INVENTORY_ITEM;
    return RS_OK;
}

int shopify_product_convert(const json_t *p, const struct shop *sh, struct catalog_batch *b,
                            struct rs_status *st)
{
    struct arena *a = b->arena;
    const char *product_id, *title, *handle, *category;
    int rc = need_object(p, "body", st);
    if (rc || (rc = get_id(p, "id", a, &product_id, "", st)) ||
        (rc = get_text(p, "title", MAX_TEXT, a, &title, "", st)) ||
        (rc = get_text(p, "handle", MAX_ID, a, &handle, "", st)) ||
        (rc = get_text(p, "product_type", MAX_TEXT, a, &category, "", st)))
        return rc;
    const json_t *variants = json_object_get(p, "variants");
    if (!json_is_array(variants)) return rs_fail(st, RS_EINVAL, "variants: must be an array");
    size_t n = json_array_size(variants);
    if (n > 10000) return rs_fail(st, RS_EINVAL, "variants: at most 10000");
    const char *url = NULL;
    if (handle) {
        for (const char *c = handle; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
                return rs_fail(st, RS_EINVAL, "handle: must be letters, digits, - and _");
        url = arena_printf(a, "%s/products/%s", sh->url, handle);
    }
    b->shop = sh;
    b->items = arena_alloc(a, (n ? n : 1) * sizeof(*b->items));
    b->n = n;
    for (size_t i = 0; i < n; i++)
        if ((rc = product_variant(p, json_array_get(variants, i), i, sh, product_id, title, url,
                                  category, b, st)))
            return rc;
    return RS_OK;
}

/* ---- orders -------------------------------------------------------------------------------- */

static const char *norm_email(const char *e, struct arena *a)
{
    char buf[300];
    if (!e) return NULL;
    if (email_normalize(e, buf, sizeof(buf)) == 0) return arena_strdup(a, buf);
    char *s = arena_strdup(a, e);
    for (char *c = s; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    return s;
}

static const char *norm_phone(const char *p, struct arena *a)
{
    char buf[64];
    if (!p) return NULL;
    return phone_normalize(p, buf, sizeof(buf)) == 0 ? arena_strdup(a, buf) : p;
}

static int order_items(const json_t *o, int exp, struct arena *a, struct order_in *out,
                       struct rs_status *st)
{
    const json_t *items = json_object_get(o, "line_items");
    if (!items || json_is_null(items)) return RS_OK;
    if (!json_is_array(items)) return rs_fail(st, RS_EINVAL, "line_items: must be an array");
    size_t n = json_array_size(items);
    if (n > 10000) return rs_fail(st, RS_EINVAL, "line_items: at most 10000");
    out->items = arena_alloc(a, (n ? n : 1) * sizeof(*out->items));
    out->nitems = n;
    for (size_t i = 0; i < n; i++) {
        const json_t *li = json_array_get(items, i);
        struct order_item_in *it = &out->items[i];
        char where[40];
        snprintf(where, sizeof(where), "line_items[%zu].", i);
        int rc = need_object(li, "line_items[]", st);
        it->quantity = 1;
        if (rc || (rc = get_id(li, "variant_id", a, &it->variant_id, where, st)) ||
            (rc = get_text(li, "sku", MAX_ID, a, &it->product_number, where, st)) ||
            (rc = get_int(li, "quantity", &it->quantity, where, st)) ||
            (rc = get_money(li, "price", exp, &it->price, where, st)))
            return rc;
        if (it->quantity < 0 || it->quantity > 1000000)
            return rs_fail(st, RS_EINVAL, "%squantity: must be from 0 to 1000000", where);
    }
    return RS_OK;
}

int shopify_order_convert(const json_t *o, const struct shop *sh, struct arena *a,
                          struct order_in *out, int *test, struct rs_status *st)
{
    memset(out, 0, sizeof(*out));
    int rc = need_object(o, "body", st);
    if (rc) return rc;
    out->source = "shopify";
    const char *name = NULL, *currency = NULL, *created = NULL, *email = NULL, *phone = NULL;
    if ((rc = get_id(o, "id", a, &out->external_id, "", st)) ||
        (rc = get_id(o, "order_number", a, &out->order_number, "", st)) ||
        (rc = get_text(o, "name", MAX_ID, a, &name, "", st)) ||
        (rc = get_text(o, "currency", 3, a, &currency, "", st)) ||
        (rc = get_text(o, "created_at", 64, a, &created, "", st)) ||
        (rc = get_text(o, "email", 256, a, &email, "", st)) ||
        (rc = get_text(o, "phone", 64, a, &phone, "", st)))
        return rc;
    if (!out->order_number && name) out->order_number = order_number_norm(name, a); /* "#1001" */
    if (!out->order_number || !*out->order_number)
        return rs_fail(st, RS_EINVAL, "order_number: required");
    out->currency = currency ? currency : sh->currency;
    int exp = currency_exponent(out->currency);
    if (exp < 0) return rs_fail(st, RS_EINVAL, "currency: must be an ISO 4217 code");
    if ((rc = get_money(o, "total_price", exp, &out->total, "", st))) return rc;
    if (out->total < 0) out->total = 0;
    if (out->total > MONEY_AMOUNT_MAX) return rs_fail(st, RS_EINVAL, "total_price: too large");
    out->created_at = 0;
    if (created && rfc3339_parse(created, &out->created_at))
        return rs_fail(st, RS_EINVAL, "created_at: must be an RFC 3339 time");
    const json_t *cust = json_object_get(o, "customer");
    if (json_is_object(cust)) {
        const char *ce = NULL, *cp = NULL;
        if ((rc = get_id(cust, "id", a, &out->customer_id, "customer.", st)) ||
            (rc = get_text(cust, "email", 256, a, &ce, "customer.", st)) ||
            (rc = get_text(cust, "phone", 64, a, &cp, "customer.", st)))
            return rc;
        if (!email) email = ce;
        if (!phone) phone = cp;
    }
    out->email = norm_email(email, a);
    out->phone = norm_phone(phone, a);
    const json_t *notes = json_object_get(o, "note_attributes");
    size_t i;
    const json_t *na;
    if (json_is_array(notes)) json_array_foreach(notes, i, na)
        {
            const char *k = json_string_value(json_object_get(na, "name"));
            const char *v = json_string_value(json_object_get(na, "value"));
            if (k && v && strcmp(k, "restock") == 0 && *v && strlen(v) <= MAX_ID)
                out->cart_token = arena_strdup(a, v);
        }
    const json_t *t = json_object_get(o, "test");
    *test = json_is_true(t);
    out->cancelled = json_is_string(json_object_get(o, "cancelled_at"));
    return order_items(o, exp, a, out, st);
}

/* Adds a money set's shop_money ({"amount":"1.00","currency_code":"EUR"}) to *sum, all in
 * one currency *cur. 0 when absent (set NULL), 1 when added, -1 when it cannot be. */
static int add_shop_money(const json_t *set, const char **cur, int64_t *sum)
{
    if (!set) return 0;
    const json_t *m = json_object_get(set, "shop_money");
    const char *c = json_string_value(json_object_get(m, "currency_code"));
    const char *v = json_string_value(json_object_get(m, "amount"));
    int64_t x;
    if (!c || !v || (*cur && strcmp(*cur, c) != 0) ||
        money_parse(v, strlen(v), currency_exponent(c), &x) || x < 0 || x > MONEY_AMOUNT_MAX)
        return -1;
    *cur = c;
    *sum += x;
    return 1;
}

/* The refund line items' subtotals and taxes in the shop's money (subtotal_set and
 * total_tax_set's shop_money), when every item gives them in one currency: a multi-currency
 * order is kept in the shop's currency, while its refund transactions are in the buyer's.
 * Never fails: anything else leaves shop_currency NULL. */
static int shop_money_lines(const json_t *lines, struct arena *a, struct shopify_refund *out)
{
    size_t i;
    const json_t *it;
    const char *cur = NULL;
    int64_t sum = 0;
    json_array_foreach(lines, i, it)
    {
        if (add_shop_money(json_object_get(it, "subtotal_set"), &cur, &sum) != 1 ||
            add_shop_money(json_object_get(it, "total_tax_set"), &cur, &sum) < 0)
            return RS_OK;
    }
    if (cur) {
        out->shop_currency = arena_strdup(a, cur);
        out->shop_amount = sum;
    }
    return RS_OK;
}

int shopify_refund_convert(const json_t *r, const struct shop *sh, struct arena *a,
                           struct shopify_refund *out, struct rs_status *st)
{
    memset(out, 0, sizeof(*out));
    int rc = need_object(r, "body", st);
    if (rc || (rc = get_id(r, "order_id", a, &out->order_id, "", st)) ||
        (rc = get_id(r, "id", a, &out->refund_id, "", st)))
        return rc;
    if (!out->order_id) return rs_fail(st, RS_EINVAL, "order_id: required");
    const char **currency = &out->currency;
    int64_t *amount = &out->amount;
    *currency = sh->currency;
    const json_t *txs = json_object_get(r, "transactions");
    size_t i, seen = 0;
    const json_t *tx;
    if (json_is_array(txs)) json_array_foreach(txs, i, tx)
        {
            char where[40];
            snprintf(where, sizeof(where), "transactions[%zu].", i);
            const char *kind = json_string_value(json_object_get(tx, "kind"));
            const char *status = json_string_value(json_object_get(tx, "status"));
            const char *cur = json_string_value(json_object_get(tx, "currency"));
            if (!kind || strcmp(kind, "refund") || (status && strcmp(status, "success"))) continue;
            if (cur && currency_exponent(cur) >= 0) *currency = arena_strdup(a, cur);
            int64_t m;
            if ((rc = get_money(tx, "amount", currency_exponent(*currency), &m, where, st)))
                return rc;
            if (m > 0) *amount += m;
            seen++;
        }
    const json_t *lines = json_object_get(r, "refund_line_items");
    if (!seen && json_is_array(lines)) json_array_foreach(lines, i, tx)
        {
            char where[48];
            snprintf(where, sizeof(where), "refund_line_items[%zu].", i);
            int64_t m;
            if ((rc = get_money(tx, "subtotal", currency_exponent(*currency), &m, where, st)))
                return rc;
            if (m > 0) *amount += m;
        }
    return shop_money_lines(lines, a, out);
}

/* ---- privacy topics ------------------------------------------------------------------------ */

/* The customer's identity keys (activity's `who` form) as a JSON array, and the request row. */
static int customer_keys(struct shopify_hook *h, const json_t *body, struct rs_status *st)
{
    struct arena *a = h->arena;
    const json_t *c = json_object_get(body, "customer");
    int rc = need_object(c, "customer", st);
    const char *id = NULL, *email = NULL, *phone = NULL;
    if (rc || (rc = get_id(c, "id", a, &id, "customer.", st)) ||
        (rc = get_text(c, "email", 256, a, &email, "customer.", st)) ||
        (rc = get_text(c, "phone", 64, a, &phone, "customer.", st)))
        return rc;
    json_t *keys = json_array();
    const char *e = norm_email(email, a), *p = norm_phone(phone, a);
    if (e) json_array_append_new(keys, json_string(e));
    if (p) json_array_append_new(keys, json_string(p));
    if (phone && p != phone) json_array_append_new(keys, json_string(phone));
    if (id) json_array_append_new(keys, json_string(arena_printf(a, "c:%s", id)));
    char *s = json_dumps(keys, JSON_COMPACT);
    h->who_json = arena_strdup(a, s);
    free(s);
    json_decref(keys);
    const json_t *dr = json_object_get(body, "data_request");
    h->request = (struct privacy_request){
        .sid = h->shop->sid,
        .kind = "data_request",
        .customer_id = id,
        .email = e,
        .phone = p,
        .at = h->now,
    };
    if (json_is_object(dr)) return get_id(dr, "id", a, &h->request.request_id, "data_request.", st);
    return RS_OK;
}

/* ---- parse and apply ----------------------------------------------------------------------- */

int shopify_parse(struct shopify_hook *h, const char *body, size_t n, struct rs_status *st)
{
    if (h->topic == SHT_UNKNOWN) return RS_OK;
    json_t *j = shopify_json_parse(body, n, st);
    if (!j) return RS_EJSON;
    int rc = RS_OK;
    struct arena *a = h->arena;
    h->batch.arena = a;
    h->batch.shop = h->shop;
    h->batch.now = h->now;
    switch (h->topic) {
    case SHT_INVENTORY: {
        h->available = -1;
        if ((rc = need_object(j, "body", st)) ||
            (rc = get_id(j, "inventory_item_id", a, &h->item_id, "", st)) ||
            (rc = get_id(j, "location_id", a, &h->location_id, "", st)) ||
            (rc = get_int(j, "available", &h->available, "", st)))
            break;
        if (!h->item_id || !h->location_id)
            rc = rs_fail(st, RS_EINVAL, "%s: required",
                         h->item_id ? "location_id" : "inventory_item_id");
        else if (!json_object_get(j, "available"))
            rc = rs_fail(st, RS_EINVAL, "available: required (null when untracked)");
        else if (h->available < -1000000000 || h->available > 1000000000)
            rc = rs_fail(st, RS_EINVAL, "available: out of range");
        else if (h->available < 0 && jhas(j, "available"))
            h->available = 0; /* oversold at this location: counts as none */
        break;
    }
    case SHT_PRODUCT:
        rc = shopify_product_convert(j, h->shop, &h->batch, st);
        break;
    case SHT_ORDER:
    case SHT_CANCEL:
        rc = shopify_order_convert(j, h->shop, a, &h->order, &h->test, st);
        break;
    case SHT_REFUND:
        rc = shopify_refund_convert(j, h->shop, a, &h->refund, st);
        break;
    case SHT_DATA_REQUEST:
    case SHT_CUSTOMER_REDACT:
        rc = customer_keys(h, j, st);
        break;
    default:
        break;
    }
    json_decref(j);
    return rc;
}

static int store_fail(struct rs_status *st, int rc)
{
    return rs_fail(st, rc, "the store failed");
}

static int apply_inventory(struct tx *tx, struct shopify_hook *h, struct rs_status *st)
{
    const struct shop *sh = h->shop;
    int64_t sum = 0, nlevels = 0;
    /* null (untracked at this location) removes the location's level: it is not a level */
    int rc = tx->ops->level_set(tx->c, sh->sid, h->item_id, h->location_id,
                                h->available < 0 ? -1 : h->available, h->now, &sum, &nlevels);
    if (rc) return store_fail(st, rc);
    const char *vid;
    rc = tx->ops->variant_by_item(tx->c, sh->sid, h->item_id, h->arena, &vid);
    if (rc == RS_ENOTFOUND) {
        h->outcome = "unknown inventory item: level kept";
        return RS_OK;
    }
    if (rc) return store_fail(st, rc);
    if (nlevels == 0) {
        h->outcome = "untracked: stock unchanged";
        return RS_OK;
    }
    struct catalog_batch *b = &h->batch;
    b->items = arena_alloc(h->arena, sizeof(*b->items));
    b->items[0].v.variant_id = vid;
    b->items[0].v.available = sum;
    b->items[0].has = VF_AVAILABLE;
    b->n = 1;
    b->inventory_only = 1;
    h->outcome = "stock updated";
    return catalog_apply(tx, b, st);
}

static int apply_product(struct tx *tx, struct shopify_hook *h, struct rs_status *st)
{
    struct catalog_batch *b = &h->batch;
    for (size_t i = 0; i < b->n; i++) {
        struct variant_in *in = &b->items[i];
        struct variant cur;
        if (in->v.available < 0) continue;
        int rc = tx->ops->variant_get(tx->c, h->shop->sid, in->v.variant_id, h->arena, &cur);
        if (rc == RS_ENOTFOUND)
            in->has |= VF_AVAILABLE; /* a variant new to restock starts at Shopify's total */
        else if (rc)
            return store_fail(st, rc);
    }
    h->outcome = "catalog updated";
    return catalog_apply(tx, b, st);
}

static int apply_order(struct tx *tx, struct shopify_hook *h, struct rs_status *st)
{
    const struct order_sink *sink = h->app->orders;
    const struct shop *sh = h->shop;
    if (h->test) {
        h->outcome = "test order ignored";
        return RS_OK;
    }
    if (h->order.external_id) {
        int rc =
            tx->ops->shopify_order_put(tx->c, sh->sid, h->order.external_id, h->order.order_number);
        if (rc) return store_fail(st, rc);
    }
    if (!sink) {
        h->outcome = "order checked; no attribution wired in";
        return RS_OK;
    }
    if (h->topic == SHT_CANCEL) {
        int rc = sink->cancel(h->app, tx, sh, h->order.order_number, h->now, st);
        if (rc != RS_ENOTFOUND) {
            h->outcome = "order cancelled";
            return rc;
        }
        /* Shopify does not keep its webhooks in order: the cancel came first. Its body is the
         * whole order, so the order is recorded as cancelled, and the create that follows finds
         * it and changes nothing. */
        *st = (struct rs_status){0};
        h->order.cancelled = 1;
    }
    h->outcome = h->order.cancelled ? "order recorded as cancelled" : "order recorded";
    return sink->create(h->app, tx, sh, &h->order, h->now, st);
}

static int apply_refund(struct tx *tx, struct shopify_hook *h, struct rs_status *st)
{
    const char *number;
    const struct shopify_refund *rf = &h->refund;
    int rc = tx->ops->shopify_order_get(tx->c, h->shop->sid, rf->order_id, h->arena, &number);
    if (rc == RS_ENOTFOUND) {
        h->outcome = "refund of an order never received: ignored";
        return RS_OK;
    }
    if (rc) return store_fail(st, rc);
    if (!h->app->orders) {
        h->outcome = "refund checked; no attribution wired in";
        return RS_OK;
    }
    rc = h->app->orders->refund(h->app, tx, h->shop, number, rf->refund_id, rf->amount,
                                rf->currency, h->now, st);
    if (rc == RS_ECONFLICT && rf->shop_currency) { /* the order is in the shop's money */
        *st = (struct rs_status){0};
        rc = h->app->orders->refund(h->app, tx, h->shop, number, rf->refund_id, rf->shop_amount,
                                    rf->shop_currency, h->now, st);
    }
    if (rc == RS_ENOTFOUND || rc == RS_ECONFLICT) { /* acknowledged, so Shopify stops retrying */
        h->outcome = rc == RS_ENOTFOUND ? "order unknown: ignored"
                                        : "refund in another currency than the order's: ignored";
        log_msg(LOG_WARN, "shopify: refund of order %s ignored: %s", number, st->msg);
        *st = (struct rs_status){0};
        return RS_OK;
    }
    h->outcome = "refund recorded";
    return rc;
}

int shopify_apply(struct tx *tx, void *arg, struct rs_status *st)
{
    struct shopify_hook *h = arg;
    const struct shop *sh = h->shop;
    int rc;
    if (h->event_id) {
        int dup = 0;
        rc = tx->ops->webhook_event_add(tx->c, sh->sid, h->event_id, h->topic_name, h->now, &dup);
        if (rc) return store_fail(st, rc);
        if (dup) {
            h->duplicate = 1;
            h->outcome = "delivered before: ignored";
            return RS_OK;
        }
    }
    int64_t n = 0;
    switch (h->topic) {
    case SHT_INVENTORY:
        return apply_inventory(tx, h, st);
    case SHT_PRODUCT:
        return apply_product(tx, h, st);
    case SHT_ORDER:
    case SHT_CANCEL:
        return apply_order(tx, h, st);
    case SHT_REFUND:
        return apply_refund(tx, h, st);
    case SHT_DATA_REQUEST:
        if ((rc = tx->ops->privacy_request_add(tx->c, &h->request))) return store_fail(st, rc);
        h->outcome = arena_printf(h->arena, "recorded as request %lld", (long long)h->request.id);
        return RS_OK;
    case SHT_CUSTOMER_REDACT:
        if ((rc = tx->ops->customer_redact(tx->c, sh->sid, h->who_json, h->now, &n)))
            return store_fail(st, rc);
        h->outcome = arena_printf(h->arena, "customer erased (%lld subscriptions)", (long long)n);
        return RS_OK;
    case SHT_SHOP_REDACT:
        if ((rc = tx->ops->shop_erase(tx->c, sh->sid))) return store_fail(st, rc);
        h->outcome = "shop erased";
        return RS_OK;
    default:
        h->outcome = "topic ignored";
        return RS_OK;
    }
}
