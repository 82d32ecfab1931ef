/*
 * signup — validation and idempotent storage of sign-ups; contract in signup.h.
 */
#include "core/signup.h"

#include <string.h>

#include "core/catalog.h"
#include "core/contact.h"
#include "util/crypto.h"
#include "util/json.h"
#include "util/timeutil.h"
#include "util/utf8.h"

static const struct jfield signup_fields[] = {
    {"shop", JF_STRING, JF_REQUIRED},
    {"variant_id", JF_ID, JF_REQUIRED},
    {"channel", JF_STRING, JF_REQUIRED},
    {"email", JF_STRING, JF_NULLABLE},
    {"phone", JF_STRING, JF_NULLABLE},
    {"push", JF_OBJECT, JF_NULLABLE},
    {"first_name", JF_STRING, JF_NULLABLE},
    {"customer_id", JF_ID, JF_NULLABLE},
    {"tracking_user_id", JF_STRING, JF_NULLABLE},
    {"locale", JF_STRING, JF_NULLABLE},
    {"quantity", JF_INT, JF_NULLABLE},
    {"source", JF_STRING, JF_NULLABLE},
    {"website", JF_STRING, JF_NULLABLE}, /* the honeypot */
};

static const struct jfield push_fields[] = {
    {"endpoint", JF_STRING, JF_REQUIRED},
    {"keys", JF_OBJECT, JF_REQUIRED},
    {"expirationTime", JF_ANY, JF_NULLABLE}, /* as PushSubscription.toJSON() gives it */
};

static const struct jfield key_fields[] = {
    {"p256dh", JF_STRING, JF_REQUIRED},
    {"auth", JF_STRING, JF_REQUIRED},
};

#define NF(t) (sizeof(t) / sizeof((t)[0]))

static int parse_push(struct app *app, const json_t *push, struct arena *a, struct subscription *s,
                      struct rs_status *st)
{
    int rc = json_check(push, push_fields, NF(push_fields), "push", st);
    if (!rc)
        rc = json_check(json_object_get(push, "keys"), key_fields, NF(key_fields), "push.keys", st);
    if (rc) return rc;
    const char *ep = jstr(push, "endpoint");
    const json_t *keys = json_object_get(push, "keys");
    const char *p256dh = jstr(keys, "p256dh"), *auth = jstr(keys, "auth");
    uint8_t raw[80];
    if (!push_endpoint_allowed(app->push_hosts, ep))
        return rs_fail(st, RS_EINVAL, "push.endpoint: not an HTTPS URL of an allowed push service");
    long n = base64url_decode(p256dh, strlen(p256dh), raw, sizeof(raw));
    if (n != 65 || !crypto_p256_point_valid(raw, 65))
        return rs_fail(st, RS_EINVAL, "push.keys.p256dh: must be an uncompressed P-256 point");
    n = base64url_decode(auth, strlen(auth), raw, sizeof(raw));
    if (n != 16) return rs_fail(st, RS_EINVAL, "push.keys.auth: must be 16 bytes, base64url");
    s->push_endpoint = arena_strdup(a, ep);
    s->push_p256dh = arena_strdup(a, p256dh);
    s->push_auth = arena_strdup(a, auth);
    s->contact_key = s->push_endpoint;
    return RS_OK;
}

/* An optional short text field into *dst (arena), at most max bytes. */
static int short_text(const json_t *body, const char *key, size_t max, struct arena *a,
                      const char **dst, struct rs_status *st)
{
    char tmp[24];
    const char *v = jid(body, key, tmp);
    if (!v) return RS_OK;
    if (strlen(v) > max) return rs_fail(st, RS_EINVAL, "%s: longer than %zu bytes", key, max);
    if (has_control(v)) return rs_fail(st, RS_EINVAL, "%s: must not hold control characters", key);
    *dst = arena_strdup(a, v);
    return RS_OK;
}

static int parse_contact(struct app *app, const json_t *body, struct arena *a,
                         struct subscription *s, struct rs_status *st)
{
    char buf[300];
    const char *email = jstr(body, "email"), *phone = jstr(body, "phone");
    if (email) {
        if (email_normalize(email, buf, sizeof(buf)))
            return rs_fail(st, RS_EINVAL, "email: not a valid email address");
        s->email = arena_strdup(a, buf);
    }
    if (phone) {
        if (phone_normalize(phone, buf, sizeof(buf)))
            return rs_fail(st, RS_EINVAL, "phone: must be in E.164 form, like +4520123456");
        s->phone = arena_strdup(a, buf);
    }
    switch (s->channel) {
    case CH_EMAIL:
        if (!s->email) return rs_fail(st, RS_EINVAL, "email: required for channel email");
        s->contact_key = s->email;
        break;
    case CH_SMS:
        if (!s->phone) return rs_fail(st, RS_EINVAL, "phone: required for channel sms");
        s->contact_key = s->phone;
        break;
    default:
        if (!jhas(body, "push"))
            return rs_fail(st, RS_EINVAL, "push: required for channel webpush");
        return parse_push(app, json_object_get(body, "push"), a, s, st);
    }
    if (jhas(body, "push")) return rs_fail(st, RS_EINVAL, "push: only for channel webpush");
    return RS_OK;
}

int signup_parse(struct app *app, const json_t *body, struct arena *a, struct signup *out,
                 struct rs_status *st)
{
    memset(out, 0, sizeof(*out));
    int rc = json_check(body, signup_fields, NF(signup_fields), "", st);
    if (rc) return rc;
    struct subscription *s = &out->sub;
    const char *website = jstr(body, "website");
    out->honeypot = website && *website;
    char *shop_uuid = arena_strdup(a, jstr(body, "shop"));
    if (!uuid_valid(shop_uuid)) return rs_fail(st, RS_EINVAL, "shop: must be a shop id (UUID)");
    uuid_lower(shop_uuid); /* any case finds the shop, and keys one per-contact limit */
    out->shop_uuid = shop_uuid;
    char tmp[24];
    const char *vid = jid(body, "variant_id", tmp);
    if (!*vid || strlen(vid) > 255)
        return rs_fail(st, RS_EINVAL, "variant_id: must be 1 to 255 bytes");
    s->variant_id = arena_strdup(a, vid);
    int ch = channel_parse(jstr(body, "channel"));
    if (ch < 0) return rs_fail(st, RS_EINVAL, "channel: must be email, sms or webpush");
    s->channel = (enum channel)ch;
    if ((rc = parse_contact(app, body, a, s, st))) return rc;
    if ((rc = short_text(body, "first_name", 100, a, &s->first_name, st)) ||
        (rc = short_text(body, "customer_id", 255, a, &s->customer_id, st)) ||
        (rc = short_text(body, "tracking_user_id", 255, a, &s->tracking_user_id, st)))
        return rc;
    const char *locale = jstr(body, "locale");
    if (locale) {
        char buf[64];
        if (locale_normalize(locale, buf, sizeof(buf)))
            return rs_fail(st, RS_EINVAL, "locale: must be a BCP 47 language tag, like da-DK");
        s->locale = arena_strdup(a, buf);
    }
    s->quantity = jint(body, "quantity", 1);
    if (s->quantity < 1 || s->quantity > 1000)
        return rs_fail(st, RS_EINVAL, "quantity: must be from 1 to 1000");
    const char *src = jstr(body, "source");
    if (src && strcmp(src, "widget") && strcmp(src, "chat") && strcmp(src, "api"))
        return rs_fail(st, RS_EINVAL, "source: must be widget, chat or api");
    s->source = src ? arena_strdup(a, src) : "api";
    return RS_OK;
}

int signup_channel_offered(const struct app *app, enum channel ch)
{
    return ch != CH_SMS || *app->cfg->sms_url;
}

/* Queues (or, at most once a minute, re-queues) the confirmation message of a pending
 * subscription; the link's validity starts again with it (updated_at). */
static int confirm(struct tx *tx, struct signup *su, struct rs_status *st)
{
    int queued = 0;
    int rc = tx->ops->confirm_queue(tx->c, su->out.sid, su->out.id, su->out.channel, su->now,
                                    SIGNUP_CONFIRM_TTL, SIGNUP_RESEND_AFTER, &queued);
    if (!rc && queued && su->out.updated_at != su->now) {
        rc = tx->ops->sub_set_status(tx->c, su->out.id, SUB_PENDING, su->now);
        su->out.updated_at = su->now;
    }
    return rc ? rs_fail(st, rc, "the store failed") : RS_OK;
}

int signup_apply(struct tx *tx, void *arg, struct rs_status *st)
{
    struct signup *su = arg;
    struct subscription *s = &su->sub;
    struct variant v;
    int rc;
    if (!su->shop) {
        rc = tx->ops->shop_by_uuid(tx->c, su->shop_uuid, su->arena, &su->shop_buf);
        if (rc == RS_ENOTFOUND) return rs_fail(st, rc, "shop: no such shop");
        if (rc) return rs_fail(st, rc, "the store failed");
        su->shop = &su->shop_buf;
    }
    const struct shop *sh = su->shop;
    rc = tx->ops->variant_get(tx->c, sh->sid, s->variant_id, su->arena, &v);
    if (rc == RS_ENOTFOUND)
        return rs_fail(st, RS_ENOTFOUND, "variant_id: no variant %s in this shop", s->variant_id);
    if (rc) return rs_fail(st, rc, "the store failed");
    if (stock_status_of(sh, v.available) != STOCK_SOLD_OUT)
        return rs_fail(st, RS_EINSTOCK,
                       "variant_id: %s is in stock; sign-ups are taken while "
                       "it is sold out",
                       s->variant_id);
    rc = tx->ops->sub_find(tx->c, sh->sid, s->variant_id, s->channel, s->contact_key, su->arena,
                           &su->out);
    if (rc == RS_OK) {
        su->created = 0;
        if (su->out.status == SUB_PENDING) return confirm(tx, su, st); /* a resend */
        if (su->out.status != SUB_UNSUBSCRIBED && su->out.status != SUB_EXPIRED) return RS_OK;
        /* asked again: a new sign-up for the TTL, buyers and notification counts */
        enum sub_status again = sh->double_opt_in ? SUB_PENDING : SUB_WAITING;
        if ((rc = tx->ops->sub_reopen(tx->c, su->out.id, again, su->now)))
            return rs_fail(st, rc, "the store failed");
        su->out.status = again;
        su->out.created_at = su->out.updated_at = su->now;
        su->out.notify_count = 0;
        su->out.notified_at = su->out.confirmed_at = 0;
        return again == SUB_PENDING ? confirm(tx, su, st) : RS_OK;
    }
    if (rc != RS_ENOTFOUND) return rs_fail(st, rc, "the store failed");
    s->sid = sh->sid;
    s->status = sh->double_opt_in ? SUB_PENDING : SUB_WAITING;
    s->created_at = s->updated_at = su->now;
    if ((rc = tx->ops->sub_insert(tx->c, s))) return rs_fail(st, rc, "the store failed");
    su->out = *s;
    su->created = 1;
    return s->status == SUB_PENDING ? confirm(tx, su, st) : RS_OK;
}

int signup_pretend(struct tx *tx, void *arg, struct rs_status *st)
{
    struct signup *su = arg;
    su->result = (struct rs_status){0};
    signup_apply(tx, su, &su->result);
    su->pretended = 1;
    return rs_fail(st, RS_ECONFLICT, "a honeypot sign-up: its writes are rolled back");
}

static void set_time(json_t *o, const char *key, int64_t t)
{
    char ts[32];
    if (!t) return;
    rfc3339_format(t, ts, sizeof(ts));
    json_object_set_new(o, key, json_string(ts));
}

json_t *subscription_to_json(const struct subscription *s, const char *shop_uuid)
{
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)s->id);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:s?}", "id", id, "shop", shop_uuid,
                          "variant_id", s->variant_id, "channel", channel_name(s->channel),
                          "status", sub_status_name(s->status), "quantity", (json_int_t)s->quantity,
                          "source", s->source);
    if (s->email) json_object_set_new(o, "email", json_string(s->email));
    if (s->phone) json_object_set_new(o, "phone", json_string(s->phone));
    if (s->push_endpoint)
        json_object_set_new(o, "push", json_pack("{s:s}", "endpoint", s->push_endpoint));
    if (s->first_name) json_object_set_new(o, "first_name", json_string(s->first_name));
    if (s->customer_id) json_object_set_new(o, "customer_id", json_string(s->customer_id));
    if (s->tracking_user_id)
        json_object_set_new(o, "tracking_user_id", json_string(s->tracking_user_id));
    if (s->locale) json_object_set_new(o, "locale", json_string(s->locale));
    set_time(o, "created_at", s->created_at);
    set_time(o, "updated_at", s->updated_at);
    set_time(o, "confirmed_at", s->confirmed_at);
    set_time(o, "notified_at", s->notified_at);
    set_time(o, "unsubscribed_at", s->unsubscribed_at);
    json_object_set_new(o, "notify_count", json_integer(s->notify_count));
    return o;
}
