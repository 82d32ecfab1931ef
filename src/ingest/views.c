/*
 * views — the clickstream; contract in views.h.
 */
#include "ingest/views.h"

#include <string.h>

#include "core/contact.h"
#include "util/crypto.h"
#include "util/json.h"
#include "util/money.h"

static const struct jfield view_fields[] = {
    {"shop", JF_STRING, JF_REQUIRED},    {"variant_id", JF_ID, JF_REQUIRED},
    {"kind", JF_STRING, JF_REQUIRED},    {"tracking_user_id", JF_STRING, JF_NULLABLE},
    {"customer_id", JF_ID, JF_NULLABLE}, {"email", JF_STRING, JF_NULLABLE},
    {"phone", JF_STRING, JF_NULLABLE},   {"push", JF_OBJECT, JF_NULLABLE},
    {"locale", JF_STRING, JF_NULLABLE},  {"title", JF_STRING, JF_NULLABLE},
    {"url", JF_STRING, JF_NULLABLE},     {"image_url", JF_STRING, JF_NULLABLE},
    {"price", JF_MONEY, JF_NULLABLE},
};

#define NF(t) (sizeof(t) / sizeof((t)[0]))

/* The push subscription, validated by the sign-up code itself (same checks, same messages). */
static int parse_push(struct app *app, const json_t *body, struct view *v, struct rs_status *st)
{
    json_t *su = json_pack("{s:s,s:O,s:s,s:O}", "shop", v->shop_uuid, "variant_id",
                           json_object_get(body, "variant_id"), "channel", "webpush", "push",
                           json_object_get(body, "push"));
    const char *copy[] = {"tracking_user_id", "customer_id", "locale"};
    for (size_t i = 0; i < NF(copy); i++)
        if (jhas(body, copy[i])) json_object_set(su, copy[i], json_object_get(body, copy[i]));
    int rc = signup_parse(app, su, v->arena, &v->push, st);
    json_decref(su);
    if (rc) return rc;
    v->push.sub.source = v->kind;
    v->has_push = 1;
    return RS_OK;
}

static int parse_attrs(const json_t *body, struct view *v, struct rs_status *st)
{
    struct variant *x = &v->attrs.v;
    struct arena *a = v->arena;
    const struct {
        const char *key;
        unsigned bit;
        const char **dst;
        size_t max;
    } texts[] = {
        {"title", VF_TITLE, &x->title, 2048},
        {"url", VF_URL, &x->url, 2048},
        {"image_url", VF_IMAGE_URL, &x->image_url, 2048},
    };
    for (size_t i = 0; i < NF(texts); i++) {
        const char *s = jstr(body, texts[i].key);
        if (!s || !*s) continue;
        if (strlen(s) > texts[i].max)
            return rs_fail(st, RS_EINVAL, "%s: longer than %zu bytes", texts[i].key, texts[i].max);
        *texts[i].dst = arena_strdup(a, s);
        v->attrs.has |= texts[i].bit;
    }
    if (x->image_url && strncmp(x->image_url, "https://", 8) && strncmp(x->image_url, "http://", 7))
        return rs_fail(st, RS_EINVAL, "image_url: must be an http(s) URL");
    x->price = -1;
    if (jhas(body, "price")) {
        /* in the shop's currency, whose exponent is known once the shop is read: checked here
         * at the largest exponent, converted in views_apply */
        int64_t probe;
        int rc = jmoney(body, "price", 3, &probe, "", st);
        if (rc) return rc;
        if (probe < 0) return rs_fail(st, RS_EINVAL, "price: must not be negative");
        const json_t *pj = json_object_get(body, "price");
        if (json_is_string(pj))
            v->price_text = arena_strdup(a, json_string_value(pj));
        else if (json_is_integer(pj))
            v->price_text = arena_printf(a, "%lld", (long long)json_integer_value(pj));
        else
            v->price_real = json_number_value(pj);
        v->attrs.has |= VF_PRICE;
    }
    return RS_OK;
}

int views_parse(struct app *app, const json_t *body, struct arena *a, struct view *v,
                struct rs_status *st)
{
    memset(v, 0, sizeof(*v));
    v->arena = a;
    int rc = json_check(body, view_fields, NF(view_fields), "", st);
    if (rc) return rc;
    char *shop = arena_strdup(a, jstr(body, "shop"));
    if (!uuid_valid(shop)) return rs_fail(st, RS_EINVAL, "shop: must be a shop id (UUID)");
    uuid_lower(shop);
    v->shop_uuid = shop;
    char tmp[24];
    const char *vid = jid(body, "variant_id", tmp);
    if (!*vid || strlen(vid) > 255)
        return rs_fail(st, RS_EINVAL, "variant_id: must be 1 to 255 bytes");
    v->variant_id = arena_strdup(a, vid);
    const char *kind = jstr(body, "kind");
    if (strcmp(kind, "view") && strcmp(kind, "cart") && strcmp(kind, "wishlist"))
        return rs_fail(st, RS_EINVAL, "kind: must be view, cart or wishlist");
    v->kind = arena_strdup(a, kind);
    char buf[300];
    const char *email = jstr(body, "email"), *phone = jstr(body, "phone");
    if (email) {
        if (email_normalize(email, buf, sizeof(buf)))
            return rs_fail(st, RS_EINVAL, "email: not a valid email address");
        v->who[v->nwho++] = arena_strdup(a, buf);
    }
    if (phone) {
        if (phone_normalize(phone, buf, sizeof(buf)))
            return rs_fail(st, RS_EINVAL, "phone: must be in E.164 form, like +4520123456");
        v->who[v->nwho++] = arena_strdup(a, buf);
    }
    const char *tid = jstr(body, "tracking_user_id"), *cid = jid(body, "customer_id", tmp);
    if (tid && (!*tid || strlen(tid) > 255))
        return rs_fail(st, RS_EINVAL, "tracking_user_id: must be 1 to 255 bytes");
    if (cid && (!*cid || strlen(cid) > 255))
        return rs_fail(st, RS_EINVAL, "customer_id: must be 1 to 255 bytes");
    if (tid) v->who[v->nwho++] = arena_printf(a, "t:%s", tid);
    if (cid) v->who[v->nwho++] = arena_printf(a, "c:%s", cid);
    if (jhas(body, "push")) {
        if ((rc = parse_push(app, body, v, st))) return rc;
        if (v->nwho < 4) v->who[v->nwho++] = v->push.sub.contact_key;
    }
    if (!v->nwho)
        return rs_fail(st, RS_EINVAL,
                       "tracking_user_id: required, or a contact (email, phone, push)");
    return parse_attrs(body, v, st);
}

/* Fills what the catalog does not know; never stock, never a price a trusted source set. */
static int fill_variant(struct tx *tx, struct view *v, const struct shop *sh, struct variant *cur,
                        int *exists, struct rs_status *st)
{
    int rc = tx->ops->variant_get(tx->c, sh->sid, v->variant_id, v->arena, cur);
    if (rc && rc != RS_ENOTFOUND) return rs_fail(st, rc, "the store failed");
    *exists = rc == RS_OK;
    const struct variant *x = &v->attrs.v;
    unsigned has = v->attrs.has;
    if (!has) return RS_OK;
    if (x->url && (strncmp(x->url, sh->url, strlen(sh->url)) ||
                   (x->url[strlen(sh->url)] && x->url[strlen(sh->url)] != '/' &&
                    x->url[strlen(sh->url)] != '?')))
        return rs_fail(st, RS_EINVAL, "url: must be a page of the shop (%s)", sh->url);
    if (has & VF_PRICE) {
        int exp = currency_exponent(sh->currency);
        int64_t minor;
        int bad = v->price_text ? money_parse(v->price_text, strlen(v->price_text), exp, &minor)
                                : money_from_double(v->price_real, exp, &minor);
        if (bad < 0)
            return rs_fail(st, RS_EINVAL, "price: must be a decimal amount in %s", sh->currency);
        v->attrs.v.price = minor;
    }
    if (!*exists) {
        *cur = (struct variant){.sid = sh->sid,
                                .variant_id = v->variant_id,
                                .price = -1,
                                .original_price = -1,
                                .soldout_since = v->now};
        v->variant_created = 1;
    }
    int changed = !*exists;
    if ((has & VF_TITLE) && !cur->title) cur->title = x->title, changed = 1;
    if ((has & VF_URL) && !cur->url) cur->url = x->url, changed = 1;
    if ((has & VF_IMAGE_URL) && !cur->image_url) cur->image_url = x->image_url, changed = 1;
    if ((has & VF_PRICE) && cur->price < 0) cur->price = x->price, changed = 1;
    if (!changed) return RS_OK;
    cur->updated_at = v->now;
    *exists = 1;
    rc = tx->ops->variant_put(tx->c, cur);
    return rc ? rs_fail(st, rc, "the store failed") : RS_OK;
}

static int found(void *arg, const struct subscription *s)
{
    (void)s;
    *(int *)arg = 1;
    return 1;
}

/* Has the contact unsubscribed from anything at the shop? Then a view subscribes them to
 * nothing: they asked for no more messages, and looking at a product is not asking again. */
static int opted_out(struct tx *tx, const struct view *v, int64_t sid, int *yes)
{
    struct sub_filter f = {.sid = sid,
                           .status = SUB_UNSUBSCRIBED,
                           .channel = -1,
                           .contact_key = v->push.sub.contact_key,
                           .limit = 1};
    *yes = 0;
    return tx->ops->sub_list(tx->c, &f, v->arena, found, yes);
}

int views_apply(struct tx *tx, void *arg, struct rs_status *st)
{
    struct view *v = arg;
    struct shop sh;
    int rc = tx->ops->shop_by_uuid(tx->c, v->shop_uuid, v->arena, &sh);
    if (rc == RS_ENOTFOUND) return rs_fail(st, rc, "shop: no such shop");
    if (rc) return rs_fail(st, rc, "the store failed");
    struct variant cur;
    int exists = 0;
    if ((rc = fill_variant(tx, v, &sh, &cur, &exists, st))) return rc;
    for (int i = 0; i < v->nwho; i++)
        if ((rc = tx->ops->activity_add(tx->c, sh.sid, v->who[i], v->kind, v->variant_id, v->now)))
            return rs_fail(st, rc, "the store failed");
    if (!v->has_push || strcmp(v->kind, "cart") == 0 || !exists ||
        stock_status_of(&sh, cur.available) != STOCK_SOLD_OUT)
        return RS_OK;
    int out;
    if ((rc = opted_out(tx, v, sh.sid, &out))) return rs_fail(st, rc, "the store failed");
    if (out) return RS_OK;
    struct signup *su = &v->push;
    su->shop = &sh;
    su->arena = v->arena;
    su->now = v->now;
    if ((rc = signup_apply(tx, su, st))) return rc;
    v->subscribed = su->created;
    v->subscription_id = su->out.id;
    return RS_OK;
}

int views_prune(struct tx *tx, void *arg, struct rs_status *st)
{
    struct views_prune *p = arg;
    int rc = tx->ops->ingest_prune(tx->c, p->now - (int64_t)VIEWS_KEEP_DAYS * 86400,
                                   p->now - (int64_t)PURCHASES_KEEP_DAYS * 86400,
                                   p->now - 30 * 86400, VIEWS_PRUNE_CHUNK, &p->deleted);
    return rc ? rs_fail(st, rc, "the store failed") : RS_OK;
}
