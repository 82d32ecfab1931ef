/*
 * shop — creation, authentication and settings of shops; contract in shop.h.
 * Settings are validated by one table (name, kind, bounds) so PATCH and creation share rules.
 */
#include "core/shop.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "core/campaign_row.h"
#include "core/contact.h"
#include "util/crypto.h"
#include "util/json.h"
#include "util/money.h"
#include "util/timeutil.h"
#include "util/utf8.h"

const char *shop_url_canonical(const char *url, struct arena *a)
{
    const char *host;
    if (strncmp(url, "https://", 8) == 0)
        host = url + 8;
    else if (strncmp(url, "http://", 7) == 0)
        host = url + 7;
    else
        return NULL;
    size_t n = strlen(url);
    if (n > 255) return NULL;
    if (n && url[n - 1] == '/') n--;
    size_t hn = (size_t)(url + n - host);
    if (hn == 0) return NULL;
    for (size_t i = 0; i < hn; i++) {
        unsigned char ch = (unsigned char)host[i];
        if (!(isalnum(ch) || ch == '.' || ch == '-' || ch == ':' || ch == '[' || ch == ']'))
            return NULL; /* no path, query, fragment, credentials or spaces */
    }
    if (host[0] == '.' || host[0] == '-' || host[0] == ':') return NULL;
    char *out = arena_strndup(a, url, n);
    for (char *p = out + (host - url); *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return out;
}

/* ---- settings ------------------------------------------------------------------------------ */

enum set_kind { K_TEXT, K_URL, K_CURRENCY, K_TZ, K_LOCALE, K_EMAIL, K_INT, K_BOOL, K_FEED_URL };

/* A feed_url: "" (none), or http(s)://host... of printable ASCII, at most 2048 bytes. Where it
 * may resolve to is checked when fetched (feed_fetch.c). */
static int feed_url_ok(const char *u)
{
    if (!*u) return 1;
    if (strlen(u) > 2048) return 0;
    size_t skip = strncmp(u, "https://", 8) == 0 ? 8 : strncmp(u, "http://", 7) == 0 ? 7 : 0;
    if (!skip || !u[skip] || u[skip] == '/') return 0;
    for (const char *c = u; *c; c++)
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f) return 0;
    return 1;
}

static const struct setting {
    const char *name;
    enum set_kind kind;
    size_t off;
    int64_t min, max;
} settings[] = {
#define T(f, k)                                                                                    \
    {                                                                                              \
#f, k, offsetof(struct shop, f), 0, 0                                                      \
    }
#define N(f, lo, hi)                                                                               \
    {                                                                                              \
#f, K_INT, offsetof(struct shop, f), lo, hi                                                \
    }
    T(name, K_TEXT),
    T(url, K_URL),
    T(currency, K_CURRENCY),
    T(timezone, K_TZ),
    T(locale, K_LOCALE),
    T(sender_name, K_TEXT),
    T(sender_email, K_EMAIL),
    N(low_stock_threshold, 0, 1000000),
    N(min_available, 1, 1000000),
    N(min_soldout_minutes, 0, 525600),
    N(subscription_ttl_days, 1, 3650),
    N(max_notifications, 1, 100),
    {"conversions_enabled", K_BOOL, offsetof(struct shop, conversions_enabled), 0, 1},
    {"double_opt_in", K_BOOL, offsetof(struct shop, double_opt_in), 0, 1},
    T(feed_url, K_FEED_URL),
    N(feed_interval_minutes, 0, 10080),
#undef T
#undef N
};
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))
_Static_assert(NSETTINGS <= 32, "shop_change.fields has a bit per setting");

/* Validates one setting's JSON value; on success stores it into sh (strings from a). */
static int apply_setting(struct shop *sh, const struct setting *s, const json_t *v, struct arena *a,
                         struct rs_status *st)
{
    char *base = (char *)sh;
    if (s->kind == K_INT) {
        if (!json_is_integer(v) || json_integer_value(v) < s->min || json_integer_value(v) > s->max)
            return rs_fail(st, RS_EINVAL, "%s: must be an integer from %lld to %lld", s->name,
                           (long long)s->min, (long long)s->max);
        *(int64_t *)(base + s->off) = json_integer_value(v);
        return RS_OK;
    }
    if (s->kind == K_BOOL) {
        if (!json_is_boolean(v))
            return rs_fail(st, RS_EINVAL, "%s: must be true or false", s->name);
        *(int *)(base + s->off) = json_is_true(v);
        return RS_OK;
    }
    if (!json_is_string(v)) return rs_fail(st, RS_EINVAL, "%s: must be a string", s->name);
    const char *in = json_string_value(v), *val = NULL;
    char tmp[300];
    switch (s->kind) {
    case K_TEXT:
        if (strlen(in) <= 200 && (*in || strcmp(s->name, "name") != 0) && !has_control(in))
            val = arena_strdup(a, in);
        break;
    case K_URL:
        val = shop_url_canonical(in, a);
        break;
    case K_CURRENCY:
        if (currency_exponent(in) >= 0) val = arena_strdup(a, in);
        break;
    case K_FEED_URL:
        if (feed_url_ok(in)) val = arena_strdup(a, in);
        break;
    case K_TZ:
        if (tz_valid(in)) val = arena_strdup(a, in);
        break;
    case K_LOCALE:
        if (locale_normalize(in, tmp, sizeof(tmp)) == 0) val = arena_strdup(a, tmp);
        break;
    case K_EMAIL:
        if (!*in)
            val = "";
        else if (email_normalize(in, tmp, sizeof(tmp)) == 0)
            val = arena_strdup(a, tmp);
        break;
    default:
        break;
    }
    if (!val) {
        static const char *const what[] = {[K_TEXT] =
                                               "a text of at most 200 bytes, no control characters",
                                           [K_URL] = "an http(s) origin like https://shop.example",
                                           [K_CURRENCY] = "an ISO 4217 currency code",
                                           [K_TZ] = "an IANA time zone name",
                                           [K_LOCALE] = "a BCP 47 language tag",
                                           [K_EMAIL] = "an email address",
                                           [K_FEED_URL] = "an http(s) URL, or \"\" for none"};
        return rs_fail(st, RS_EINVAL, "%s: must be %s", s->name, what[s->kind]);
    }
    *(const char **)(base + s->off) = val;
    return RS_OK;
}

int shop_patch(struct shop *sh, const json_t *patch, struct arena *a, struct rs_status *st)
{
    if (!json_is_object(patch)) return rs_fail(st, RS_EINVAL, "body: must be an object");
    struct shop tmp = *sh;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)patch, key, v)
    {
        size_t i;
        for (i = 0; i < NSETTINGS; i++)
            if (strcmp(settings[i].name, key) == 0) break;
        if (i == NSETTINGS) {
            if (strcmp(key, "id") == 0 || strcmp(key, "websiteUuid") == 0 ||
                strcmp(key, "vapid_public_key") == 0 || strcmp(key, "created_at") == 0)
                return rs_fail(st, RS_EINVAL, "%s: read-only", key);
            return rs_fail(st, RS_EINVAL, "%.64s: unknown field", key);
        }
        int rc = apply_setting(&tmp, &settings[i], v, a, st);
        if (rc) return rc;
    }
    *sh = tmp;
    return RS_OK;
}

int shop_change_parse(struct shop_change *ch, const struct shop *sh, const json_t *patch,
                      struct arena *a, struct rs_status *st)
{
    memset(ch, 0, sizeof(*ch));
    ch->want = *sh;
    int rc = shop_patch(&ch->want, patch, a, st);
    if (rc) return rc;
    for (size_t i = 0; i < NSETTINGS; i++)
        if (json_object_get(patch, settings[i].name)) ch->fields |= 1u << i;
    ch->sid = sh->sid;
    ch->arena = a;
    return RS_OK;
}

static size_t setting_size(const struct setting *s)
{
    return s->kind == K_INT ? sizeof(int64_t) : s->kind == K_BOOL ? sizeof(int) : sizeof(char *);
}

int shop_change_apply(struct tx *tx, void *arg, struct rs_status *st)
{
    struct shop_change *ch = arg;
    struct shop cur;
    int rc = tx->ops->shop_by_sid(tx->c, ch->sid, ch->arena, &cur);
    if (rc) return rs_fail(st, rc, rc == RS_ENOTFOUND ? "shop: no such shop" : "the store failed");
    const char *was = cur.currency;
    for (size_t i = 0; i < NSETTINGS; i++)
        if (ch->fields & (1u << i))
            memcpy((char *)&cur + settings[i].off, (const char *)&ch->want + settings[i].off,
                   setting_size(&settings[i]));
    if ((rc = tx->ops->shop_update(tx->c, &cur))) return rs_fail(st, rc, "cannot store the shop");
    /* revenue counts only the shop's currency (the rollup's triggers): recount it in the new */
    if (strcmp(was, cur.currency) != 0 && (rc = tx->ops->stats_recount(tx->c, cur.sid)))
        return rs_fail(st, rc, "the store failed");
    ch->out = cur;
    return RS_OK;
}

json_t *shop_to_json(const struct shop *sh)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(sh->uuid));
    for (size_t i = 0; i < NSETTINGS; i++) {
        const struct setting *s = &settings[i];
        const char *base = (const char *)sh;
        json_t *v;
        if (s->kind == K_INT)
            v = json_integer(*(const int64_t *)(base + s->off));
        else if (s->kind == K_BOOL)
            v = json_boolean(*(const int *)(base + s->off));
        else
            v = json_string(*(const char *const *)(base + s->off));
        json_object_set_new(o, s->name, v);
    }
    json_object_set_new(o, "vapid_public_key", json_string(sh->vapid_public));
    char ts[32];
    rfc3339_format(sh->created_at, ts, sizeof(ts));
    json_object_set_new(o, "created_at", json_string(ts));
    return o;
}

/* ---- creation and authentication ----------------------------------------------------------- */

struct new_shop {
    struct shop *sh;
    struct arena *a;
};

/* The shop and its default campaigns, one per channel, in one job: a shop works at once. */
static int insert_job(struct tx *tx, void *arg, struct rs_status *st)
{
    struct new_shop *ns = arg;
    int rc = tx->ops->shop_insert(tx->c, ns->sh);
    if (!rc) rc = campaign_insert_defaults(tx, ns->sh->sid, ns->sh->created_at, ns->a);
    return rc ? rs_fail(st, rc, "cannot store the shop") : RS_OK;
}

static void random_text(char *out, size_t bytes, const char *prefix)
{
    uint8_t raw[48];
    size_t n = strlen(prefix);
    memcpy(out, prefix, n);
    crypto_random(raw, bytes);
    base64url_encode(raw, bytes, out + n);
}

int shop_create(struct app *app, const struct shop_new *in, struct arena *a, struct shop *out,
                char api_key[API_KEY_MAX], struct rs_status *st)
{
    struct shop sh = {
        .name = "",
        .url = "",
        .currency = "EUR",
        .timezone = "UTC",
        .locale = "en",
        .sender_name = "",
        .sender_email = "",
        .low_stock_threshold = 5,
        .min_available = 1,
        .min_soldout_minutes = 0,
        .subscription_ttl_days = 180,
        .max_notifications = 3,
        .conversions_enabled = 1,
        .double_opt_in = 0,
        .feed_url = "",
        .created_at = now_s(),
    };
    if (!in->name) return rs_fail(st, RS_EINVAL, "name: required");
    if (!in->url) return rs_fail(st, RS_EINVAL, "url: required");
    json_t *patch = json_object();
    const char *const given[][2] = {{"name", in->name},
                                    {"url", in->url},
                                    {"currency", in->currency},
                                    {"timezone", in->timezone}};
    for (size_t i = 0; i < 4; i++) {
        json_t *v = given[i][1] ? json_string(given[i][1]) : NULL;
        if (given[i][1] && !v) {
            json_decref(patch);
            return rs_fail(st, RS_EINVAL, "%s: must be valid UTF-8", given[i][0]);
        }
        if (v) json_object_set_new(patch, given[i][0], v);
    }
    int rc = shop_patch(&sh, patch, a, st);
    json_decref(patch);
    if (rc) return rc;
    sh.sender_name = sh.name;

    char uuid[37], *secret = arena_alloc(a, 64), *pub = arena_alloc(a, 96),
                   *priv = arena_alloc(a, 64);
    uint8_t vpriv[32], vpub[65];
    uuid_v4(uuid);
    sh.uuid = arena_strdup(a, uuid);
    random_text(api_key, 24, "rk_");
    crypto_sha256(api_key, strlen(api_key), sh.api_key_hash);
    random_text(secret, 32, "");
    sh.webhook_secret = secret;
    if (crypto_p256_keygen(vpriv, vpub)) return rs_fail(st, RS_EINTERNAL, "VAPID key generation");
    base64url_encode(vpub, sizeof(vpub), pub);
    base64url_encode(vpriv, sizeof(vpriv), priv);
    sh.vapid_public = pub;
    sh.vapid_private = priv;

    struct new_shop ns = {&sh, a};
    rc = committer_run(app->cm, insert_job, &ns, st);
    if (rc) return rc;
    *out = sh;
    return RS_OK;
}

struct new_key {
    const char *uuid;
    uint8_t hash[32];
    struct arena *a;
    struct shop out;
};

static int new_key_job(struct tx *tx, void *arg, struct rs_status *st)
{
    struct new_key *k = arg;
    int rc = tx->ops->shop_by_uuid(tx->c, k->uuid, k->a, &k->out);
    if (!rc) rc = tx->ops->shop_set_key(tx->c, k->out.sid, k->hash);
    if (rc == RS_ENOTFOUND) return rs_fail(st, rc, "no shop %s", k->uuid);
    if (rc) return rs_fail(st, rc, "cannot store the shop's key");
    memcpy(k->out.api_key_hash, k->hash, 32);
    return RS_OK;
}

int shop_new_key(struct app *app, const char *uuid, struct arena *a, struct shop *out,
                 char api_key[API_KEY_MAX], struct rs_status *st)
{
    struct new_key k = {.uuid = uuid, .a = a};
    random_text(api_key, 24, "rk_");
    crypto_sha256(api_key, strlen(api_key), k.hash);
    int rc = committer_run(app->cm, new_key_job, &k, st);
    if (!rc) *out = k.out;
    return rc;
}

int shop_authenticate(struct app *app, const char *api_key, struct arena *a, struct shop *out)
{
    uint8_t h[32];
    if (!api_key || strlen(api_key) >= API_KEY_MAX) return RS_EUNAUTH;
    crypto_sha256(api_key, strlen(api_key), h);
    struct store_conn *c = app->ops->reader(app->store);
    if (!c) return RS_ESTORE;
    int rc = app->ops->shop_by_key(c, h, a, out);
    if (rc == RS_ENOTFOUND) return RS_EUNAUTH;
    /* the lookup is by hash through an index; compare again in constant time for good measure */
    if (rc == RS_OK && !crypto_equal(h, out->api_key_hash, 32)) return RS_EUNAUTH;
    return rc;
}
