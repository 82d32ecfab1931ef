/*
 * h_public — handlers of the public endpoints: sign-ups, stock for widgets, unsubscribe pages,
 * liveness and metrics. The dispatcher has already applied CORS and the per-address rate limit.
 */
#include <stdlib.h>
#include <string.h>

#include "core/catalog.h"
#include "core/ratelimit.h"
#include "core/signup.h"
#include "core/token.h"
#include "http/http_int.h"
#include "util/crypto.h"
#include "util/json.h"
#include "util/timeutil.h"

/* The shop named by a public id (any case); answers 404 and returns non-zero when there is
 * none. */
static int public_shop(struct req *r, const char *given, struct shop *out)
{
    char *uuid = arena_strdup(r->arena, given);
    uuid_lower(uuid);
    struct store_conn *c = r->app->ops->reader(r->app->store);
    int rc = !c                  ? RS_ESTORE
             : !uuid_valid(uuid) ? RS_ENOTFOUND
                                 : r->app->ops->shop_by_uuid(c, uuid, r->arena, out);
    if (rc) req_error(r, rc, rc == RS_ENOTFOUND ? "shop: no such shop" : NULL);
    return rc;
}

int h_stock_get(struct req *r)
{
    struct shop sh;
    struct variant v;
    if (public_shop(r, req_param(r, 0), &sh)) return RS_OK;
    struct store_conn *c = r->app->ops->reader(r->app->store);
    int rc = r->app->ops->variant_get(c, sh.sid, req_param(r, 1), r->arena, &v);
    if (rc) {
        req_error(r, rc, rc == RS_ENOTFOUND ? "variant_id: no such variant" : NULL);
        return RS_OK;
    }
    /* the storefront's hottest read: written straight, without building a JSON value */
    struct buf out = BUF_INIT(0);
    buf_puts(&out, "{\"variant_id\":");
    json_write_string(&out, v.variant_id, strlen(v.variant_id));
    buf_printf(&out, ",\"status\":\"%s\",\"available\":%lld,\"vapid_public_key\":",
               stock_status_name(stock_status_of(&sh, v.available)), (long long)v.available);
    json_write_string(&out, sh.vapid_public, strlen(sh.vapid_public));
    buf_puts(&out, ",\"channels\":[");
    for (int ch = 0, n = 0; ch < CH_COUNT; ch++)
        if (signup_channel_offered(r->app, (enum channel)ch))
            buf_printf(&out, "%s\"%s\"", n++ ? "," : "", channel_name((enum channel)ch));
    buf_puts(&out, "]}");
    req_response(r, 200, "application/json", out.p, out.len);
    buf_free(&out);
    return RS_OK;
}

/* ---- POST /v1/subscriptions ---------------------------------------------------------------- */

static char *contact_key(struct req *r, const struct signup *su)
{
    return arena_printf(r->arena, "%s|%s", su->shop_uuid, su->sub.contact_key);
}

/* A refused sign-up (no such shop or variant, in stock, a store failure) changes nothing, so
 * it does not count against the contact's limit either. */
static void signed_up(struct req *r)
{
    struct signup *su = r->run_arg;
    if (r->job.status.err) {
        const char *key = contact_key(r, su);
        ratelimit_give_back(r->app->rl_contact, key, strlen(key), now_s() * 1000);
        req_fail(r, &r->job.status);
        return;
    }
    req_json_response(r, su->created ? 201 : 200, subscription_to_json(&su->out, su->shop_uuid));
}

/* The honeypot's answer: the one signup_pretend found a real sign-up would get, though it
 * stored nothing (or, when it did not run — the server stopping —, what a real one gets). */
static void pretended(struct req *r)
{
    struct signup *su = r->run_arg;
    if (su->pretended) r->job.status = su->result;
    signed_up(r);
}

static int contact_limited(struct req *r, const struct signup *su)
{
    int retry = 0;
    char *key = contact_key(r, su);
    if (ratelimit_take(r->app->rl_contact, key, strlen(key), now_s() * 1000, &retry)) return 0;
    req_error(r, RS_ERATE, "too many sign-ups for this contact");
    req_add_header(r, "Retry-After", arena_printf(r->arena, "%d", retry));
    return 1;
}

int h_subscribe(struct req *r)
{
    json_t *body = req_json(r);
    if (!body) return RS_OK;
    struct signup *su = arena_alloc(r->arena, sizeof(*su));
    struct rs_status st = {0};
    int rc = signup_parse(r->app, body, r->arena, su, &st);
    json_decref(body);
    if (rc) {
        req_fail(r, &st);
        return RS_OK;
    }
    if (!signup_channel_offered(r->app, su->sub.channel)) { /* only sms can be, for now */
        req_error(r, RS_EINVAL,
                  "channel: sms is not offered here (the server has no SMS "
                  "provider configured); sign up by email or web push");
        return RS_OK;
    }
    if (contact_limited(r, su)) return RS_OK;
    su->arena = r->arena;
    su->now = now_s();
    r->finish_always = 1; /* signed_up gives the contact's limit back when it is refused */
    if (su->honeypot) return req_submit(r, signup_pretend, su, pretended);
    return req_submit(r, signup_apply, su, signed_up);
}

/* ---- unsubscribe --------------------------------------------------------------------------- */

struct unsub {
    struct subscription sub;
    struct shop shop;
    int all;
    int64_t changed, now;
};

/* Reads the subscription a /u/ token names, and its shop. Answers 404 when the token is bad. */
static int unsub_lookup(struct req *r, struct unsub *u)
{
    const char *tok = req_param(r, 0);
    int64_t id;
    struct store_conn *c = r->app->ops->reader(r->app->store);
    int rc = token_parse(r->app->secret, TOKEN_UNSUBSCRIBE, tok, strlen(tok), &id) ? RS_ENOTFOUND
             : !c                                                                  ? RS_ESTORE
                  : r->app->ops->sub_get(c, id, r->arena, &u->sub);
    if (!rc) rc = r->app->ops->shop_by_sid(c, u->sub.sid, r->arena, &u->shop);
    if (rc) req_error(r, rc, rc == RS_ENOTFOUND ? "token: no such subscription" : NULL);
    return rc;
}

static void page(struct req *r, int status, const struct unsub *u, const char *title,
                 const char *text, int form)
{
    struct buf b = BUF_INIT(0);
    buf_puts(&b, "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                 "content=\"width=device-width,initial-scale=1\"><title>");
    buf_html(&b, title);
    buf_puts(&b, "</title><style>body{font:16px system-ui,sans-serif;max-width:32em;margin:3em "
                 "auto;padding:0 1em}button{font:inherit;padding:.5em 1em;margin:.3em 0}"
                 "</style></head><body><h1>");
    buf_html(&b, title);
    buf_puts(&b, "</h1><p>");
    buf_html(&b, text);
    buf_puts(&b, "</p>");
    if (form) {
        buf_puts(&b, "<form method=\"post\"><button name=\"scope\" value=\"one\">Unsubscribe"
                     "</button></form><form method=\"post\"><button name=\"scope\" value=\"all\">"
                     "Unsubscribe from everything at ");
        buf_html(&b, u->shop.name);
        buf_puts(&b, "</button></form>");
    }
    buf_puts(&b, "</body></html>");
    req_response(r, status, "text/html; charset=utf-8", b.p, b.len);
    buf_free(&b);
}

int h_unsubscribe_page(struct req *r)
{
    struct unsub *u = arena_alloc(r->arena, sizeof(*u));
    if (unsub_lookup(r, u)) return RS_OK;
    /* the product as the shopper knows it: "Organic Tee — Red / M"; its id only when the
     * catalog no longer has it */
    struct variant v;
    const char *item = u->sub.variant_id;
    struct store_conn *c = r->app->ops->reader(r->app->store);
    if (c && r->app->ops->variant_get(c, u->sub.sid, u->sub.variant_id, r->arena, &v) == RS_OK &&
        v.title && *v.title)
        item = v.variant_title && *v.variant_title
                   ? arena_printf(r->arena, "%s \u2014 %s", v.title, v.variant_title)
                   : v.title;
    const char *what =
        u->sub.status == SUB_UNSUBSCRIBED
            ? arena_printf(r->arena, "You are already unsubscribed from %s about %s.", u->shop.name,
                           item)
            : arena_printf(r->arena, "Stop notifications from %s about %s?", u->shop.name, item);
    page(r, 200, u, "Unsubscribe", what, 1);
    return RS_OK;
}

static int unsubscribe_job(struct tx *tx, void *arg, struct rs_status *st)
{
    struct unsub *u = arg;
    int rc;
    if (u->all)
        rc = tx->ops->sub_unsubscribe_contact(tx->c, u->sub.sid, u->sub.contact_key, u->now,
                                              &u->changed);
    else if (u->sub.status == SUB_UNSUBSCRIBED)
        rc = RS_OK;
    else
        rc = tx->ops->sub_set_status(tx->c, u->sub.id, SUB_UNSUBSCRIBED, u->now);
    return rc ? rs_fail(st, rc, "the store failed") : RS_OK;
}

static void unsubscribed(struct req *r)
{
    struct unsub *u = r->run_arg;
    page(r, 200, u, "Unsubscribed",
         u->all ? "You will get no more notifications from this shop."
                : "You will get no more notifications about this item.",
         0);
}

/* ---- double opt-in: GET /c/{token} ------------------------------------------------------- */

struct confirm {
    struct subscription sub;
    struct arena *a;
    int64_t now;
    int outcome; /* 0 confirmed, 1 already, 2 expired or gone */
};

/* On the writer, so two clicks of one link agree. */
static int confirm_job(struct tx *tx, void *arg, struct rs_status *st)
{
    struct confirm *c = arg;
    int rc = tx->ops->sub_get(tx->c, c->sub.id, c->a, &c->sub);
    if (rc) return rs_fail(st, rc, "token: no such subscription");
    if (c->sub.status != SUB_PENDING) {
        c->outcome = c->sub.status == SUB_UNSUBSCRIBED || c->sub.status == SUB_EXPIRED ? 2 : 1;
        return RS_OK;
    }
    if (c->now - c->sub.updated_at > SIGNUP_CONFIRM_TTL) {
        c->outcome = 2;
        return RS_OK;
    }
    rc = tx->ops->sub_set_status(tx->c, c->sub.id, SUB_WAITING, c->now);
    return rc ? rs_fail(st, rc, "the store failed") : RS_OK;
}

static void confirmed(struct req *r)
{
    struct confirm *c = r->run_arg;
    struct unsub u = {.sub = c->sub};
    static const char *const text[] = {
        "Thank you. We will let you know as soon as it is back in stock.",
        "You had already confirmed. We will let you know as soon as it is back in stock.",
        "This confirmation link has expired. Please sign up again on the product page."};
    page(r, c->outcome == 2 ? 410 : 200, &u, c->outcome == 2 ? "Link expired" : "Confirmed",
         text[c->outcome], 0);
}

int h_confirm(struct req *r)
{
    const char *tok = req_param(r, 0);
    struct confirm *c = arena_alloc(r->arena, sizeof(*c));
    if (token_parse(r->app->secret, TOKEN_CONFIRM, tok, strlen(tok), &c->sub.id)) {
        req_error(r, RS_ENOTFOUND, "token: no such subscription");
        return RS_OK;
    }
    c->a = r->arena;
    c->now = now_s();
    return req_submit(r, confirm_job, c, confirmed);
}

/* RFC 8058: a POST (body List-Unsubscribe=One-Click) unsubscribes and answers 200, no redirect.
 * The page's own form sends scope=one or scope=all. */
int h_unsubscribe_post(struct req *r)
{
    struct unsub *u = arena_alloc(r->arena, sizeof(*u));
    if (unsub_lookup(r, u)) return RS_OK;
    const char *body = r->body.p ? r->body.p : "";
    u->all = strstr(body, "scope=all") != NULL;
    u->now = now_s();
    return req_submit(r, unsubscribe_job, u, unsubscribed);
}

/* ---- operations ---------------------------------------------------------------------------- */

int h_healthz(struct req *r)
{
    struct store_conn *c = r->app->ops->reader(r->app->store);
    int64_t n;
    if (!c || r->app->ops->shop_count(c, &n)) {
        req_error(r, RS_EUNAVAILABLE, "the store is not answering");
        return RS_OK;
    }
    if (committer_broken(r->app->cm)) {
        req_error(r, RS_EUNAVAILABLE,
                  "the store could not sync to disk; every write fails "
                  "until the server is restarted");
        return RS_OK;
    }
    req_json_response(r, 200, json_pack("{s:s}", "status", "ok"));
    return RS_OK;
}

int h_metrics(struct req *r)
{
    struct buf b = BUF_INIT(0);
    metrics_render(&b, r->app);
    req_response(r, 200, "text/plain; version=0.0.4", b.p ? b.p : "", b.len);
    buf_free(&b);
    return RS_OK;
}
