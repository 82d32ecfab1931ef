/*
 * order — orders in, stored and attributed; contract in order.h.
 */
#include "core/order.h"

#include <string.h>

#include "core/attribution.h"
#include "core/contact.h"
#include "util/crypto.h"
#include "util/json.h"
#include "util/money.h"
#include "util/timeutil.h"

#define NF(t) (sizeof(t) / sizeof((t)[0]))

static const struct jfield order_fields[] = {
    {"order_number", JF_ID, JF_REQUIRED},     {"total", JF_MONEY, JF_REQUIRED},
    {"currency", JF_STRING, JF_NULLABLE},     {"created_at", JF_STRING, JF_NULLABLE},
    {"email", JF_STRING, JF_NULLABLE},        {"phone", JF_STRING, JF_NULLABLE},
    {"customer_id", JF_ID, JF_NULLABLE},      {"tracking_user_id", JF_ID, JF_NULLABLE},
    {"items", JF_ARRAY, JF_REQUIRED},         {"test", JF_BOOL, JF_NULLABLE},
    {"note_attributes", JF_ANY, JF_NULLABLE}, {"cart_token", JF_STRING, JF_NULLABLE},
    {"status", JF_STRING, JF_NULLABLE},       {"refunded", JF_MONEY, JF_NULLABLE},
};

static const struct jfield item_fields[] = {
    {"variant_id", JF_ID, JF_NULLABLE}, {"product_number", JF_ID, JF_NULLABLE},
    {"url", JF_STRING, JF_NULLABLE},    {"quantity", JF_INT, JF_NULLABLE},
    {"price", JF_MONEY, JF_NULLABLE},
};

/* An identifier of at most max bytes, not empty, into *dst (arena). */
static int ident(const char *v, const char *name, size_t max, struct arena *a, const char **dst,
                 struct rs_status *st)
{
    if (!v) return RS_OK;
    size_t n = strlen(v);
    if (!n || n > max) return rs_fail(st, RS_EINVAL, "%s: must be 1 to %zu bytes", name, max);
    *dst = arena_strdup(a, v);
    return RS_OK;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

const char *order_number_trim(const char *s, size_t *len)
{
    size_t n = strlen(s);
    while (n && is_space(s[n - 1]))
        n--;
    while (n && is_space(*s))
        s++, n--;
    while (n && (*s == '#' || is_space(*s))) /* "#1001", "# 1001", "##1001" */
        s++, n--;
    *len = n;
    return s;
}

const char *order_number_norm(const char *s, struct arena *a)
{
    if (!s) return NULL;
    size_t n;
    s = order_number_trim(s, &n);
    if (!n || n > 255) return NULL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return NULL;
    return arena_strndup(a, s, n);
}

/* The buyer's email and phone, normalised as sign-ups are. */
static int buyer(const char *email, const char *phone, const char *ename, const char *pname,
                 struct arena *a, struct order *o, struct rs_status *st)
{
    char buf[300];
    if (email && *email) {
        if (email_normalize(email, buf, sizeof(buf)))
            return rs_fail(st, RS_EINVAL, "%s: not a valid email address", ename);
        o->email = arena_strdup(a, buf);
    }
    if (phone && *phone) {
        if (phone_normalize(phone, buf, sizeof(buf)))
            return rs_fail(st, RS_EINVAL, "%s: must be in E.164 form, like +4520123456", pname);
        o->phone = arena_strdup(a, buf);
    }
    return RS_OK;
}

/* The restock click token among Shopify-style note attributes: [{"name":"restock","value":T}]
 * or {"restock":T}. */
static const char *note_token(const json_t *na)
{
    if (json_is_object(na)) return json_string_value(json_object_get(na, "restock"));
    size_t i;
    json_t *v;
    json_array_foreach(na, i, v)
    {
        const char *name = json_string_value(json_object_get(v, "name"));
        if (name && strcmp(name, "restock") == 0)
            return json_string_value(json_object_get(v, "value"));
    }
    return NULL;
}

static int parse_item(const json_t *it, size_t i, int exp, struct arena *a, struct order_item *out,
                      struct rs_status *st)
{
    char where[32], tmp[24], name[64];
    snprintf(where, sizeof(where), "items[%zu]", i);
    int rc = json_check(it, item_fields, NF(item_fields), where, st);
    if (rc) return rc;
    snprintf(name, sizeof(name), "%s.variant_id", where);
    if ((rc = ident(jid(it, "variant_id", tmp), name, 255, a, &out->variant_id, st))) return rc;
    snprintf(name, sizeof(name), "%s.product_number", where);
    if ((rc = ident(jid(it, "product_number", tmp), name, 255, a, &out->product_number, st)))
        return rc;
    snprintf(name, sizeof(name), "%s.url", where);
    if ((rc = ident(jstr(it, "url"), name, 2048, a, &out->url, st))) return rc;
    if (!out->variant_id && !out->product_number && !out->url)
        return rs_fail(st, RS_EINVAL, "%s: needs a variant_id, product_number or url", where);
    out->quantity = jint(it, "quantity", 1);
    if (out->quantity < 1 || out->quantity > 1000000)
        return rs_fail(st, RS_EINVAL, "%s.quantity: must be from 1 to 1000000", where);
    out->price = 0;
    if (jhas(it, "price") && (rc = jamount(it, "price", exp, &out->price, where, st))) return rc;
    if (out->price < 0) return rs_fail(st, RS_EINVAL, "%s.price: must not be negative", where);
    return RS_OK;
}

/* status and refunded, as order_to_json writes them: a refunded order is refunded in full; a
 * partial refund keeps the order placed (or cancelled); refunded defaults to 0, or to the total
 * for "refunded". */
static int parse_status(const json_t *body, int exp, struct order *o, struct rs_status *st)
{
    const char *s = jstr(body, "status");
    int status = ORDER_PLACED;
    while (s && status < ORDER_STATUS_COUNT && strcmp(s, order_status_name(status)) != 0)
        status++;
    if (status == ORDER_STATUS_COUNT)
        return rs_fail(st, RS_EINVAL,
                       "status: must be one of \"placed\", \"cancelled\", \"refunded\"");
    o->status = (enum order_status)status;
    o->refunded = o->status == ORDER_REFUNDED ? o->total : 0;
    int rc;
    if (jhas(body, "refunded") && (rc = jamount(body, "refunded", exp, &o->refunded, "", st)))
        return rc;
    if (o->refunded < 0 || o->refunded > o->total)
        return rs_fail(st, RS_EINVAL, "refunded: must be from 0 to the total");
    if (o->status == ORDER_REFUNDED && o->refunded != o->total)
        return rs_fail(st, RS_EINVAL,
                       "refunded: a \"refunded\" order is refunded in full (a partial refund "
                       "keeps \"placed\")");
    if (o->status == ORDER_PLACED && o->refunded == o->total && o->total > 0)
        o->status = ORDER_REFUNDED; /* as a refund of the rest would make it */
    return RS_OK;
}

int order_parse(const json_t *body, const struct shop *sh, const char *source, int64_t now,
                struct arena *a, struct order *o, int *test, struct rs_status *st)
{
    memset(o, 0, sizeof(*o));
    int rc = json_check(body, order_fields, NF(order_fields), "", st);
    if (rc) return rc;
    char tmp[24];
    if (!(o->order_number = order_number_norm(jid(body, "order_number", tmp), a)))
        return rs_fail(st, RS_EINVAL,
                       "order_number: must be 1 to 255 bytes (after spaces and a leading '#'), "
                       "no control characters");
    const char *cur = jstr(body, "currency");
    int exp = currency_exponent(cur ? cur : sh->currency);
    if (exp < 0) return rs_fail(st, RS_EINVAL, "currency: not an ISO 4217 code, like EUR");
    o->currency = arena_strdup(a, cur ? cur : sh->currency);
    if ((rc = jamount(body, "total", exp, &o->total, "", st))) return rc;
    if (o->total < 0) return rs_fail(st, RS_EINVAL, "total: must not be negative");
    o->created_at = now;
    const char *at = jstr(body, "created_at");
    if (at && (rfc3339_parse(at, &o->created_at) || o->created_at <= 0))
        return rs_fail(st, RS_EINVAL, "created_at: must be an RFC 3339 time");
    if (o->created_at > now + ORDER_MAX_AHEAD)
        return rs_fail(st, RS_EINVAL, "created_at: more than a day ahead of the server's clock");
    if ((rc = buyer(jstr(body, "email"), jstr(body, "phone"), "email", "phone", a, o, st)) ||
        (rc = ident(jid(body, "customer_id", tmp), "customer_id", 255, a, &o->customer_id, st)))
        return rc;
    if ((rc = ident(jid(body, "tracking_user_id", tmp), "tracking_user_id", 255, a,
                    &o->tracking_user_id, st)))
        return rc;
    const json_t *items = json_object_get(body, "items");
    size_t n = json_array_size(items);
    if (n < 1 || n > ORDER_MAX_ITEMS)
        return rs_fail(st, RS_EINVAL, "items: must hold 1 to %d line items", ORDER_MAX_ITEMS);
    o->items = arena_alloc(a, n * sizeof(*o->items));
    for (size_t i = 0; i < n; i++)
        if ((rc = parse_item(json_array_get(items, i), i, exp, a, &o->items[i], st))) return rc;
    o->nitems = n;
    const json_t *na = json_object_get(body, "note_attributes");
    if (na && !json_is_null(na) && !json_is_array(na) && !json_is_object(na))
        return rs_fail(st, RS_EINVAL, "note_attributes: must be an array or an object");
    const char *tok = na ? note_token(na) : NULL;
    if (!tok) tok = jstr(body, "cart_token");
    if (tok && strlen(tok) <= 128) o->cart_token = arena_strdup(a, tok);
    if ((rc = parse_status(body, exp, o, st))) return rc;
    *test = jbool(body, "test", 0);
    o->source = source;
    o->received_at = now;
    return RS_OK;
}

/* ---- Hello Retail's collect call ---------------------------------------------------------- */

const char *collect_website(const json_t *body, struct arena *a)
{
    const char *w = json_string_value(json_object_get(body, "websiteUuid"));
    if (!w || !uuid_valid(w)) return NULL;
    char *s = arena_strdup(a, w);
    uuid_lower(s);
    return s;
}

/* A string or an integer as text (arena); NULL for anything else. */
static const char *loose_id(const json_t *v, struct arena *a)
{
    if (json_is_string(v)) return arena_strdup(a, json_string_value(v));
    if (json_is_integer(v)) return arena_printf(a, "%lld", (long long)json_integer_value(v));
    return NULL;
}

/* A product URL without its query and fragment. */
static const char *bare_url(const char *u, struct arena *a)
{
    return arena_strndup(a, u, strcspn(u, "?#"));
}

static int collect_items(const json_t *body, struct arena *a, struct order *o, struct rs_status *st)
{
    const json_t *urls = json_object_get(body, "urls");
    const json_t *nums = json_object_get(body, "productNumbers");
    if ((urls && !json_is_null(urls) && !json_is_array(urls)) ||
        (nums && !json_is_null(nums) && !json_is_array(nums)))
        return rs_fail(st, RS_EINVAL, "urls and productNumbers must be arrays");
    size_t n = json_array_size(urls) + json_array_size(nums);
    if (!n) return rs_fail(st, RS_EINVAL, "urls or productNumbers is required");
    if (n > ORDER_MAX_ITEMS) return rs_fail(st, RS_EINVAL, "too many urls or productNumbers");
    o->items = arena_alloc(a, n * sizeof(*o->items));
    size_t i;
    json_t *v;
    json_array_foreach(urls, i, v)
    {
        const char *u = json_string_value(v);
        if (!u || !*u || strlen(u) > 2048)
            return rs_fail(st, RS_EINVAL, "urls must hold product URLs");
        o->items[o->nitems++] = (struct order_item){.url = bare_url(u, a), .quantity = 1};
    }
    json_array_foreach(nums, i, v)
    {
        const char *p = loose_id(v, a);
        if (!p || !*p || strlen(p) > 255)
            return rs_fail(st, RS_EINVAL, "productNumbers must hold product numbers");
        o->items[o->nitems++] = (struct order_item){.product_number = p, .quantity = 1};
    }
    return RS_OK;
}

int collect_parse(const json_t *body, const struct shop *sh, int64_t now, struct arena *a,
                  struct order *o, struct rs_status *st)
{
    memset(o, 0, sizeof(*o));
    o->order_number = order_number_norm(loose_id(json_object_get(body, "orderNumber"), a), a);
    if (!o->order_number) return rs_fail(st, RS_EINVAL, "orderNumber is required (1 to 255 bytes)");
    int exp = currency_exponent(sh->currency);
    o->currency = sh->currency;
    const json_t *t = json_object_get(body, "total");
    int bad = -1;
    if (json_is_string(t))
        bad = money_parse(json_string_value(t), json_string_length(t), exp, &o->total);
    else if (json_is_integer(t)) {
        const char *txt = loose_id(t, a);
        bad = money_parse(txt, strlen(txt), exp, &o->total);
    } else if (json_is_real(t))
        bad = json_real_value(t) < 0 || /* before rounding: -0.004 is not 0 */
              money_round_double(json_real_value(t), exp, &o->total); /* a browser's sum */
    if (bad || o->total < 0 || o->total > MONEY_AMOUNT_MAX)
        return rs_fail(st, RS_EINVAL, "total must be a decimal amount");
    const json_t *email = json_object_get(body, "email");
    if (email && !json_is_null(email) && !json_is_string(email))
        return rs_fail(st, RS_EINVAL, "email must be a string");
    if (buyer(json_string_value(email), NULL, "email", "phone", a, o, st))
        return rs_fail(st, RS_EINVAL, "email is not a valid email address");
    int rc;
    const json_t *cv = json_object_get(body, "customerId"),
                 *tv = json_object_get(body, "trackingUserId");
    const char *cid = loose_id(cv, a), *tid = loose_id(tv, a);
    if ((cv && !cid && !json_is_null(cv)) || (tv && !tid && !json_is_null(tv)))
        return rs_fail(st, RS_EINVAL, "customerId and trackingUserId must be strings or integers");
    if ((cid && strlen(cid) > 255) || (tid && strlen(tid) > 255))
        return rs_fail(st, RS_EINVAL, "customerId and trackingUserId must be at most 255 bytes");
    o->customer_id = cid && *cid ? cid : NULL;
    o->tracking_user_id = tid && *tid ? tid : NULL;
    if ((rc = collect_items(body, a, o, st))) return rc;
    o->created_at = o->received_at = now;
    o->source = "collect";
    return RS_OK;
}

/* ---- the writer's jobs -------------------------------------------------------------------- */

struct vlist {
    const char **v;
    size_t n, cap;
    struct arena *a;
    const char *first; /* the first variant the current item resolved to */
};

static int add_variant(void *arg, const char *id)
{
    struct vlist *l = arg;
    if (!l->first) l->first = id;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], id) == 0) return 0;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        const char **m = arena_alloc(l->a, l->cap * sizeof(*m));
        if (l->n) memcpy(m, l->v, l->n * sizeof(*m));
        l->v = m;
    }
    l->v[l->n++] = id;
    return 0;
}

/* Resolves the items' product numbers and URLs to variant ids, collecting every variant of the
 * order into l. */
static int resolve_items(struct tx *tx, int64_t sid, struct order *o, struct vlist *l)
{
    for (size_t i = 0; i < o->nitems; i++) {
        struct order_item *it = &o->items[i];
        l->first = NULL;
        if (it->variant_id) {
            add_variant(l, it->variant_id);
            continue;
        }
        int rc =
            tx->ops->variant_resolve(tx->c, sid, it->product_number,
                                     it->product_number ? NULL : it->url, l->a, add_variant, l);
        if (rc) return rc;
        it->variant_id = l->first;
    }
    return RS_OK;
}

/* A purchase of each variant by each of the buyer's identities, for the campaigns' filters. */
static int record_purchases(struct tx *tx, const struct order *o, const struct vlist *l,
                            struct arena *a)
{
    const char *who[4] = {o->email, o->phone,
                          o->tracking_user_id ? arena_printf(a, "t:%s", o->tracking_user_id) : NULL,
                          o->customer_id ? arena_printf(a, "c:%s", o->customer_id) : NULL};
    for (size_t k = 0; k < 4; k++)
        for (size_t i = 0; who[k] && i < l->n; i++) {
            int rc =
                tx->ops->activity_add(tx->c, o->sid, who[k], "purchase", l->v[i], o->created_at);
            if (rc) return rc;
        }
    return RS_OK;
}

static int existing(struct tx *tx, struct order_job *j, struct rs_status *st)
{
    j->created = 0;
    int rc = tx->ops->conversion_by_order(tx->c, j->shop->sid, j->out.id, j->arena, &j->conv);
    j->converted = rc == RS_OK;
    if (rc && rc != RS_ENOTFOUND) return rs_fail(st, rc, "the store failed");
    return RS_OK;
}

int order_apply(struct tx *tx, void *arg, struct rs_status *st)
{
    struct order_job *j = arg;
    j->created = j->ignored = j->converted = 0;
    if (j->test) {
        j->ignored = 1;
        return RS_OK;
    }
    const struct shop *sh = j->shop;
    int rc = tx->ops->order_get(tx->c, sh->sid, j->in.order_number, j->arena, &j->out);
    if (rc == RS_OK) return existing(tx, j, st);
    if (rc != RS_ENOTFOUND) return rs_fail(st, rc, "the store failed");
    struct order o = j->in;
    o.sid = sh->sid;
    o.items = arena_alloc(j->arena, (o.nitems ? o.nitems : 1) * sizeof(*o.items));
    if (o.nitems) memcpy(o.items, j->in.items, o.nitems * sizeof(*o.items));
    struct vlist l = {.a = j->arena};
    if ((rc = resolve_items(tx, sh->sid, &o, &l)) || (rc = tx->ops->order_insert(tx->c, &o)) ||
        (rc = record_purchases(tx, &o, &l, j->arena)))
        return rs_fail(st, rc, "the store failed");
    j->out = o;
    j->created = 1;
    return attribution_apply(tx, sh, &o, l.v, l.n, j->app->secret, j->arena, &j->conv,
                             &j->converted, st);
}

int order_refund_parse(const json_t *body, struct order_change *ch, struct rs_status *st)
{
    static const struct jfield f[] = {{"amount", JF_MONEY, JF_REQUIRED},
                                      {"refund_id", JF_ID, JF_NULLABLE}};
    int rc = json_check(body, f, NF(f), "", st), any = 0;
    if (rc) return rc;
    char tmp[24];
    if ((rc = ident(jid(body, "refund_id", tmp), "refund_id", 255, ch->arena, &ch->refund_id, st)))
        return rc;
    struct rs_status ignored;
    for (int exp = 0; exp < 5; exp++) {
        ch->amount_ok[exp] = jamount(body, "amount", exp, &ch->amount[exp], "", &ignored) == RS_OK;
        any |= ch->amount_ok[exp];
    }
    return any ? RS_OK : rs_fail(st, RS_EINVAL, "amount: must be a decimal amount");
}

/* The order's conversion, for the answer. */
static int answer_change(struct tx *tx, struct order_change *ch, struct rs_status *st)
{
    int rc = tx->ops->conversion_by_order(tx->c, ch->out.sid, ch->out.id, ch->arena, &ch->conv);
    ch->converted = rc == RS_OK;
    return rc && rc != RS_ENOTFOUND ? rs_fail(st, rc, "the store failed") : RS_OK;
}

int order_change_apply(struct tx *tx, void *arg, struct rs_status *st)
{
    struct order_change *ch = arg;
    struct order *o = &ch->out;
    int rc = tx->ops->order_get(tx->c, ch->shop->sid, ch->order_number, ch->arena, o);
    if (rc == RS_ENOTFOUND)
        return rs_fail(st, rc, "order_number: no order %s in this shop", ch->order_number);
    if (rc) return rs_fail(st, rc, "the store failed");
    if (ch->op == ORDER_CANCEL) {
        o->status = ORDER_CANCELLED;
    } else {
        int exp = currency_exponent(o->currency);
        int64_t amount = exp >= 0 && exp < 5 ? ch->amount[exp] : 0;
        if (exp < 0 || exp >= 5 || !ch->amount_ok[exp])
            return rs_fail(st, RS_EINVAL,
                           "amount: must be a decimal amount with at most %d decimals", exp);
        if (amount <= 0) return rs_fail(st, RS_EINVAL, "amount: must be more than zero");
        int dup = 0;
        if (ch->refund_id &&
            (rc = tx->ops->refund_add(tx->c, o->sid, o->id, ch->refund_id, amount, ch->now, &dup)))
            return rs_fail(st, rc, "the store failed");
        if (dup) return answer_change(tx, ch, st); /* taken already: nothing changes */
        if (amount > o->total - o->refunded) {
            char left[32];
            money_format(o->total - o->refunded, currency_exponent(o->currency), left,
                         sizeof(left));
            return rs_fail(st, RS_EINVAL, "amount: more than is left to refund (%s)", left);
        }
        o->refunded += amount;
        if (o->refunded == o->total && o->status == ORDER_PLACED) o->status = ORDER_REFUNDED;
    }
    if ((rc = tx->ops->order_update(tx->c, o)) ||
        (rc = tx->ops->conversion_set(tx->c, o->sid, o->id, o->status == ORDER_CANCELLED,
                                      o->refunded)))
        return rs_fail(st, rc, "the store failed");
    return answer_change(tx, ch, st);
}

/* ---- the API's view ----------------------------------------------------------------------- */

static json_t *money_json(int64_t v, const char *currency)
{
    char s[32];
    int exp = currency_exponent(currency);
    money_format(v, exp < 0 ? 2 : exp, s, sizeof(s));
    return json_string(s);
}

static json_t *time_json(int64_t t)
{
    char s[32];
    rfc3339_format(t, s, sizeof(s));
    return json_string(s);
}

static json_t *item_json(const struct order_item *it, const char *currency)
{
    json_t *o = json_object();
    if (it->variant_id) json_object_set_new(o, "variant_id", json_string(it->variant_id));
    if (it->product_number)
        json_object_set_new(o, "product_number", json_string(it->product_number));
    if (it->url) json_object_set_new(o, "url", json_string(it->url));
    json_object_set_new(o, "quantity", json_integer(it->quantity));
    json_object_set_new(o, "price", money_json(it->price, currency));
    return o;
}

json_t *order_to_json(const struct order *o, const struct conversion *cv)
{
    json_t *j = json_object();
    json_object_set_new(j, "id", json_sprintf("%lld", (long long)o->id));
    json_object_set_new(j, "order_number", json_string(o->order_number));
    json_object_set_new(j, "source", json_string(o->source ? o->source : "api"));
    json_object_set_new(j, "status", json_string(order_status_name(o->status)));
    json_object_set_new(j, "total", money_json(o->total, o->currency));
    json_object_set_new(j, "refunded", money_json(o->refunded, o->currency));
    json_object_set_new(j, "currency", json_string(o->currency));
    json_object_set_new(j, "created_at", time_json(o->created_at));
    const char *keys[] = {"email", "phone", "customer_id", "tracking_user_id"};
    const char *vals[] = {o->email, o->phone, o->customer_id, o->tracking_user_id};
    for (int i = 0; i < 4; i++)
        if (vals[i]) json_object_set_new(j, keys[i], json_string(vals[i]));
    json_t *items = json_array();
    for (size_t i = 0; i < o->nitems; i++)
        json_array_append_new(items, item_json(&o->items[i], o->currency));
    json_object_set_new(j, "items", items);
    if (!cv) {
        json_object_set_new(j, "conversion", json_null());
        return j;
    }
    json_t *c = json_object();
    json_object_set_new(c, "kind", json_string(cv->kind == CONV_DIRECT ? "direct" : "assisted"));
    json_object_set_new(c, "notification_id", json_integer(cv->notification_id));
    json_object_set_new(c, "campaign_id", json_integer(cv->campaign_id));
    json_object_set_new(c, "amount", money_json(cv->amount, cv->currency));
    json_object_set_new(c, "refunded", money_json(cv->refunded, cv->currency));
    json_object_set_new(c, "net", money_json(cv->amount - cv->refunded, cv->currency));
    json_object_set_new(c, "status", json_string(cv->status ? "cancelled" : "counted"));
    json_object_set_new(c, "at", time_json(cv->at));
    json_object_set_new(j, "conversion", c);
    return j;
}
