/* track — clicks, opens and events of notifications; contract in track.h. */
#include "core/track.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/attribution.h"
#include "core/campaign_row.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/money.h"

/* ---- redirects ----------------------------------------------------------------------------- */

static int unreserved(unsigned char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

static void put_hex(struct buf *b, unsigned char ch)
{
    static const char hex[] = "0123456789ABCDEF";
    char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
    buf_append(b, e, 3);
}

/* A query component: everything but RFC 3986's unreserved characters percent-encoded. */
static void put_component(struct buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (unreserved(ch))
            buf_putc(b, (char)ch);
        else
            put_hex(b, ch);
    }
}

/* Part of a URL given to us (n bytes), kept as written except bytes no URL may hold raw: controls
 * (CR and LF among them), space, non-ASCII and the characters RFC 3986 never allows. */
static void put_url_part(struct buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch <= 0x20 || ch >= 0x7f || strchr("\"<>\\^`{|}", ch))
            put_hex(b, ch);
        else
            buf_putc(b, (char)ch);
    }
}

int track_same_origin(const char *origin, const char *url)
{
    size_t n = strlen(origin);
    if (!url || strncasecmp(origin, url, n) != 0) return 0;
    char next = url[n];
    return next == '\0' || next == '/' || next == '?' || next == '#';
}

struct utm {
    const char *key, *value;
};

/* The campaign's non-empty UTM parameters into out[5]; their count. */
static int utm_params(const struct campaign *c, struct utm out[5])
{
    int n = 0;
    if (!c) return 0;
    const struct utm all[5] = {{"utm_source", c->utm_source},
                               {"utm_medium", c->utm_medium},
                               {"utm_campaign", c->utm_campaign},
                               {"utm_content", c->utm_content},
                               {"utm_term", c->utm_term}};
    for (int i = 0; i < 5; i++)
        if (all[i].value && *all[i].value) out[n++] = all[i];
    return n;
}

/* Is the query parameter p (n bytes, "key=value" or "key") one of ours? */
static int replaced(const char *p, size_t n, const struct utm *u, int nu)
{
    size_t kn = 0;
    while (kn < n && p[kn] != '=')
        kn++;
    for (int i = 0; i < nu; i++)
        if (strlen(u[i].key) == kn && memcmp(u[i].key, p, kn) == 0) return 1;
    return 0;
}

/* Appends "?k=v&..." (or "&..." after `sep`) for the UTM parameters. */
static void put_utm(struct buf *b, const struct utm *u, int nu, char sep)
{
    for (int i = 0; i < nu; i++) {
        buf_putc(b, i ? '&' : sep);
        buf_puts(b, u[i].key);
        buf_putc(b, '=');
        put_component(b, u[i].value);
    }
}

static const char *product_url(const struct redirect_in *in, const struct utm *u, int nu,
                               struct arena *a)
{
    const char *base =
        track_same_origin(in->shop_url, in->variant_url) ? in->variant_url : in->shop_url;
    size_t len = strlen(base);
    const char *hash = memchr(base, '#', len);
    size_t pre = hash ? (size_t)(hash - base) : len;
    const char *q = memchr(base, '?', pre);
    size_t path = q ? (size_t)(q - base) : pre;
    size_t origin = strlen(in->shop_url);
    struct buf b = BUF_INIT(0);
    buf_puts(&b, in->shop_url); /* the canonical origin, whatever the case of the variant's */
    if (path == origin)
        buf_putc(&b, '/'); /* the bare origin: its root */
    else
        put_url_part(&b, base + origin, path - origin);
    char sep = '?';
    for (const char *p = q ? q + 1 : NULL; p && p < base + pre;) { /* the query, minus ours */
        const char *amp = memchr(p, '&', (size_t)(base + pre - p));
        size_t n = amp ? (size_t)(amp - p) : (size_t)(base + pre - p);
        if (n && !replaced(p, n, u, nu)) {
            buf_putc(&b, sep);
            put_url_part(&b, p, n);
            sep = '&';
        }
        p = amp ? amp + 1 : NULL;
    }
    put_utm(&b, u, nu, sep);
    if (hash) put_url_part(&b, hash, len - pre);
    const char *out = arena_strndup(a, b.p ? b.p : "", b.len);
    buf_free(&b);
    return out;
}

const char *track_redirect(const struct redirect_in *in, struct arena *a)
{
    struct utm u[5];
    int nu = utm_params(in->campaign, u);
    if (!in->to_cart || !in->variant_id || !*in->variant_id) return product_url(in, u, nu, a);
    struct buf b = BUF_INIT(0);
    buf_puts(&b, in->shop_url);
    buf_puts(&b, "/cart/");
    put_component(&b, in->variant_id);
    buf_printf(
        &b, ":%lld?attributes%%5Brestock%%5D=", (long long)(in->quantity > 0 ? in->quantity : 1));
    put_component(&b, in->token ? in->token : "");
    put_utm(&b, u, nu, '&');
    const char *out = arena_strndup(a, b.p, b.len);
    buf_free(&b);
    return out;
}

/* ---- campaigns, parsed once per thread ------------------------------------------------------ */

#define CAMPAIGN_CACHE 8

struct cached_campaign {
    int64_t id;
    char *json; /* the row's text: the key (malloc'd); NULL: an empty slot */
    struct arena *arena;
    struct campaign c;
};

struct campaign_cache {
    struct cached_campaign slot[CAMPAIGN_CACHE];
    unsigned next; /* the slot to replace next */
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_free(void *p)
{
    struct campaign_cache *cc = p;
    for (int i = 0; i < CAMPAIGN_CACHE; i++) {
        free(cc->slot[i].json);
        arena_free(cc->slot[i].arena);
    }
    free(cc);
}

static void cache_init(void)
{
    pthread_key_create(&cache_key, cache_free);
}

const struct campaign *track_campaign(const struct stored_campaign *row)
{
    if (!row->json) return NULL;
    pthread_once(&cache_once, cache_init);
    struct campaign_cache *cc = pthread_getspecific(cache_key);
    if (!cc) {
        cc = calloc(1, sizeof(*cc));
        if (!cc || pthread_setspecific(cache_key, cc)) abort();
    }
    for (int i = 0; i < CAMPAIGN_CACHE; i++) {
        struct cached_campaign *e = &cc->slot[i];
        if (e->json && e->id == row->id && strcmp(e->json, row->json) == 0) return &e->c;
    }
    struct cached_campaign *e = &cc->slot[cc->next];
    free(e->json);
    arena_free(e->arena);
    *e = (struct cached_campaign){.id = row->id, .arena = arena_new()};
    if (campaign_from_row(row, e->arena, &e->c)) {
        arena_free(e->arena);
        e->arena = NULL;
        return NULL;
    }
    e->json = strdup(row->json);
    if (!e->json) abort();
    cc->next = (cc->next + 1) % CAMPAIGN_CACHE;
    return &e->c;
}

/* ---- events -------------------------------------------------------------------------------- */

static int event_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > TRACK_EVENT_MAX) return 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              strchr("_.:-", ch)))
            return 0;
    }
    return 1;
}

int track_event_parse(const json_t *body, struct arena *a, struct track_event *ev,
                      struct rs_status *st)
{
    static const struct jfield fields[] = {
        {"msgHash", JF_STRING, JF_REQUIRED},
        {"event", JF_STRING, JF_REQUIRED},
        {"attributes", JF_OBJECT, JF_NULLABLE},
    };
    int rc = json_check(body, fields, sizeof(fields) / sizeof(fields[0]), "", st);
    if (rc) return rc;
    memset(ev, 0, sizeof(*ev));
    ev->msg_hash = arena_strdup(a, jstr(body, "msgHash"));
    ev->name = arena_strdup(a, jstr(body, "event"));
    if (!event_name_ok(ev->name))
        return rs_fail(st, RS_EINVAL,
                       "event: must be 1 to %d letters, digits, '_', '.', ':' or '-'",
                       TRACK_EVENT_MAX);
    if (jhas(body, "attributes")) {
        ev->attrs = json_object_get(body, "attributes");
        char *s = json_dumps(ev->attrs, JSON_COMPACT);
        if (!s || strlen(s) > TRACK_ATTRS_MAX) {
            free(s);
            return rs_fail(st, RS_EINVAL, "attributes: over %d bytes as JSON", TRACK_ATTRS_MAX);
        }
        ev->attributes = arena_strdup(a, s);
        free(s);
    }
    return RS_OK;
}

int64_t track_event_amount(const json_t *attrs, int exp)
{
    static const char *const keys[] = {"value", "revenue", "total"};
    if (!attrs || exp < 0) return 0;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const json_t *v = json_object_get(attrs, keys[i]);
        int64_t amount;
        int bad = -1;
        if (json_is_string(v))
            bad = money_parse_zeros(json_string_value(v), json_string_length(v), exp, &amount);
        else if (json_is_integer(v) && json_integer_value(v) >= 0) {
            struct rs_status ignored = {0};
            bad = jmoney(attrs, keys[i], exp, &amount, "", &ignored);
        } else if (json_is_real(v) && json_real_value(v) >= 0) /* before rounding, as collect */
            bad = money_round_double(json_real_value(v), exp, &amount);
        if (!bad && amount >= 0 && amount <= MONEY_AMOUNT_MAX) return amount;
    }
    return 0;
}

/* ---- the write job ------------------------------------------------------------------------- */

/* Has an order of the subscription's buyer (by any identity it carries, as activity records
 * them) bought the notification's variant since `since`? */
static int ordered_since(struct tx *tx, struct track_job *j, int64_t since, int *yes)
{
    struct subscription s;
    *yes = 0;
    int rc = tx->ops->sub_get(tx->c, j->ctx.subscription_id, j->arena, &s);
    if (rc) return rc == RS_ENOTFOUND ? RS_OK : rc;
    const char *who[5] = {s.contact_key, s.email, s.phone, NULL, NULL};
    if (s.tracking_user_id) who[3] = arena_printf(j->arena, "t:%s", s.tracking_user_id);
    if (s.customer_id) who[4] = arena_printf(j->arena, "c:%s", s.customer_id);
    for (int i = 0; i < 5 && !*yes && !rc; i++)
        if (who[i])
            rc = tx->ops->activity_since(tx->c, j->ctx.sid, who[i], "purchase", j->ctx.variant_id,
                                         since, yes);
    return rc;
}

/* A goal event: a conversion of the notification, direct when it was clicked — when it comes
 * within the campaign goal's window of the send (the rule an order meets), and no order has
 * bought the variant for the buyer since the send: that order was attributed already (to this
 * notification or another), and the event is the same purchase. */
static int convert(struct tx *tx, struct track_job *j)
{
    struct notification n;
    int rc = tx->ops->notification_get(tx->c, j->ctx.id, j->arena, &n);
    if (rc) return rc;
    struct attr_cand window = {.sent_at = n.sent_at, .window_days = j->window_days};
    if (!attribution_eligible(&window, j->now)) return RS_OK;
    int ordered;
    if ((rc = ordered_since(tx, j, n.sent_at, &ordered)) || ordered) return rc;
    struct conversion cv = {
        .sid = j->ctx.sid,
        .notification_id = j->ctx.id,
        .campaign_id = j->ctx.campaign_id,
        .kind = n.clicked_at ? CONV_DIRECT : CONV_ASSISTED,
        .amount = j->amount,
        .currency = j->ctx.currency,
        .at = j->now,
        .created_at = j->now,
    };
    rc = tx->ops->conversion_insert(tx->c, &cv);
    j->converted = rc == RS_OK;
    return rc == RS_ECONFLICT ? RS_OK : rc; /* it had converted already: the first one stands */
}

int track_apply(struct tx *tx, void *arg, struct rs_status *st)
{
    struct track_job *j = arg;
    if (j->id) {
        int rc = tx->ops->notification_context(tx->c, j->id, j->arena, &j->ctx);
        if (rc == RS_ENOTFOUND) return rs_fail(st, rc, "token: no such notification");
        if (rc) return rs_fail(st, rc, "the store failed");
    }
    const struct notif_context *x = &j->ctx;
    if (j->only_first && (j->kind == HIT_CLICK ? x->clicked_at : x->opened_at)) return RS_OK;
    struct hit h = {.sid = x->sid,
                    .notification_id = x->id,
                    .campaign_id = x->campaign_id,
                    .kind = j->kind,
                    .name = j->kind == HIT_EVENT ? j->name : NULL,
                    .attributes = j->kind == HIT_EVENT ? j->attributes : NULL,
                    .at = j->now};
    int64_t opened = 0, clicked = 0;
    int rc = tx->ops->hit_insert(tx->c, &h);
    if (j->kind == HIT_CLICK) {
        opened = clicked = j->now;
    } else if (j->kind == HIT_OPEN) {
        opened = j->now;
    } else if (strcmp(j->name, "open") == 0) { /* a push open: an open like the pixel's */
        struct hit o = {.sid = x->sid,
                        .notification_id = x->id,
                        .campaign_id = x->campaign_id,
                        .kind = HIT_OPEN,
                        .at = j->now};
        if (!rc) rc = tx->ops->hit_insert(tx->c, &o);
        opened = j->now;
    }
    if (x->opened_at) opened = 0; /* already set when read: it never changes back to 0 */
    if (x->clicked_at) clicked = 0;
    if (!rc && (opened || clicked)) rc = tx->ops->notification_touch(tx->c, x->id, opened, clicked);
    if (!rc && j->goal && x->conversions_enabled) rc = convert(tx, j);
    return rc ? rs_fail(st, rc, "the store failed") : RS_OK;
}
