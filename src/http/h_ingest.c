/*
 * h_ingest — handlers of what flows in from outside: Shopify webhooks, XML feed uploads, the
 * clickstream (POST /v1/views) and the privacy requests Shopify sent.
 *
 * The webhook verifies the raw body's HMAC before anything of it is parsed (shopify.h); every
 * answer to a verified delivery is 2xx unless the payload is malformed or the store failed, since
 * Shopify retries anything else. Pruning of old activity and webhook ids rides on these
 * handlers: at most once an hour one of them queues the pruning job.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/fanout.h"
#include "core/signup.h"
#include "http/http_int.h"
#include "ingest/feed.h"
#include "ingest/shopify.h"
#include "ingest/views.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* ---- pruning ------------------------------------------------------------------------------- */

#define PRUNE_EVERY 3600 /* seconds; 10 while a run deletes a full chunk */

struct prune_job {
    struct views_prune p;
    struct store_job job;
};

static atomic_llong last_prune;

static void prune_done(struct store_job *job)
{
    struct prune_job *pj = job->arg; /* &pj->p, its first member */
    if (job->status.err)
        log_msg(LOG_WARN, "pruning activity: %s", job->status.msg);
    else if (pj->p.deleted >= VIEWS_PRUNE_CHUNK) /* more to do: again in 10 s */
        atomic_store(&last_prune, (long long)(pj->p.now - PRUNE_EVERY + 10));
    free(pj);
}

static void maybe_prune(struct app *app)
{
    long long now = now_s(), prev = atomic_load(&last_prune);
    if (now - prev < PRUNE_EVERY || !atomic_compare_exchange_strong(&last_prune, &prev, now))
        return;
    struct prune_job *pj = xcalloc(1, sizeof(*pj));
    pj->p.now = now;
    pj->job = (struct store_job){.run = views_prune, .done = prune_done, .arg = &pj->p};
    committer_submit(app->cm, &pj->job);
}

/* ---- POST /webhooks/shopify/{shop} --------------------------------------------------------- */

static void webhook_done(struct req *r)
{
    struct shopify_hook *h = r->run_arg;
    if (h->batch.nrestocked) fanout_kick(r->app->fanout);
    req_json_response(r, 200,
                      json_pack("{s:b,s:s,s:b,s:s}", "ok", 1, "topic", h->topic_name, "duplicate",
                                h->duplicate, "outcome", h->outcome ? h->outcome : ""));
}

int h_shopify_webhook(struct req *r)
{
    char *uuid = arena_strdup(r->arena, req_param(r, 0));
    if (!uuid_valid(uuid)) {
        req_error(r, RS_ENOTFOUND, "shop: no such shop");
        return RS_OK;
    }
    uuid_lower(uuid);
    struct shop *sh = arena_alloc(r->arena, sizeof(*sh));
    struct store_conn *c = r->app->ops->reader(r->app->store);
    int rc = c ? r->app->ops->shop_by_uuid(c, uuid, r->arena, sh) : RS_ESTORE;
    if (rc) {
        req_error(r, rc, rc == RS_ENOTFOUND ? "shop: no such shop" : NULL);
        return RS_OK;
    }
    /* the raw body, before anything reads it */
    if (!shopify_verify(sh->webhook_secret, r->body.p, r->body.len,
                        req_header(r, "X-Shopify-Hmac-Sha256"))) {
        req_error(r, RS_EUNAUTH,
                  "X-Shopify-Hmac-Sha256: not the body's HMAC under the shop's "
                  "webhook secret");
        return RS_OK;
    }
    const char *topic = req_header(r, "X-Shopify-Topic");
    struct shopify_hook *h = arena_alloc(r->arena, sizeof(*h));
    h->app = r->app;
    h->shop = sh;
    h->arena = r->arena;
    h->now = now_s();
    h->topic = shopify_topic_parse(topic);
    h->topic_name = topic ? arena_strdup(r->arena, topic) : "";
    const char *ev = req_header(r, "X-Shopify-Event-Id");
    if (!ev || !*ev) ev = req_header(r, "X-Shopify-Webhook-Id");
    if (ev && *ev && strlen(ev) <= 255) h->event_id = arena_strdup(r->arena, ev);
    maybe_prune(r->app);
    if (h->topic == SHT_UNKNOWN) {
        /* acknowledged, so Shopify does not retry a topic restock does not use */
        req_json_response(r, 200,
                          json_pack("{s:b,s:s,s:b,s:s}", "ok", 1, "topic", h->topic_name,
                                    "duplicate", 0, "outcome", "topic ignored"));
        return RS_OK;
    }
    struct rs_status st = {0};
    if (shopify_parse(h, r->body.p ? r->body.p : "", r->body.len, &st)) {
        req_fail(r, &st);
        return RS_OK;
    }
    return req_submit(r, shopify_apply, h, webhook_done);
}

/* ---- POST /v1/views ------------------------------------------------------------------------ */

static void views_done(struct req *r)
{
    struct view *v = r->run_arg;
    json_t *o = json_pack("{s:b,s:s,s:b}", "recorded", 1, "kind", v->kind, "variant_created",
                          v->variant_created);
    if (v->subscription_id)
        json_object_set_new(o, "subscription",
                            json_pack("{s:s,s:b}", "id",
                                      arena_printf(r->arena, "%lld", (long long)v->subscription_id),
                                      "created", v->subscribed));
    req_json_response(r, 200, o);
}

int h_views(struct req *r)
{
    json_t *body = req_json(r);
    if (!body) return RS_OK;
    struct view *v = arena_alloc(r->arena, sizeof(*v));
    struct rs_status st = {0};
    int rc = views_parse(r->app, body, r->arena, v, &st);
    json_decref(body);
    if (rc) {
        req_fail(r, &st);
        return RS_OK;
    }
    v->now = now_s();
    maybe_prune(r->app);
    return req_submit(r, views_apply, v, views_done);
}

/* ---- POST /v1/feeds/import ----------------------------------------------------------------- */

#define FEED_REPORT_MAX 100

static void feed_report(void *arg, long line, const char *msg)
{
    json_t *errors = arg;
    if (json_array_size(errors) < FEED_REPORT_MAX)
        json_array_append_new(errors,
                              json_pack("{s:I,s:s}", "line", (json_int_t)line, "message", msg));
}

/* The upload is parsed and applied on this HTTP thread, batch by batch through the committer
 * (one durable job per batch): for feeds up to the route's body limit. Larger feeds go through
 * `restock import-feed`. */
int h_feed_import(struct req *r)
{
    struct feed_opts o = {.in_stock_default = 1, .batch = 1000};
    if (req_query_int(r, "in_stock", 0, 1000000000, &o.in_stock_default)) {
        req_error(r, RS_EINVAL, "in_stock: must be an integer from 0 to 1000000000");
        return RS_OK;
    }
    if (!r->body.len) {
        req_error(r, RS_EINVAL, "body: an XML product feed is required");
        return RS_OK;
    }
    json_t *errors = json_array();
    struct feed_stats fs;
    struct rs_status st = {0};
    r->app->ops->reader_release(r->app->store);
    int rc = feed_import_memory(r->app, &r->shop, r->body.p, r->body.len, &o, feed_report, errors,
                                &fs, &st);
    if (rc) {
        json_decref(errors);
        req_fail(r, &st);
        return RS_OK;
    }
    if (fs.restocked) fanout_kick(r->app->fanout);
    req_json_response(r, 200,
                      json_pack("{s:I,s:I,s:I,s:I,s:I,s:o}", "items", (json_int_t)fs.items,
                                "created", (json_int_t)fs.created, "updated",
                                (json_int_t)fs.updated, "restocked", (json_int_t)fs.restocked,
                                "bad", (json_int_t)fs.bad, "errors", errors));
    return RS_OK;
}

/* ---- GET /v1/privacy/requests/{id} --------------------------------------------------------- */

struct export_ctx {
    json_t *subs;
    const char *uuid;
};

static int export_sub(void *arg, const struct subscription *s)
{
    struct export_ctx *x = arg;
    json_array_append_new(x->subs, subscription_to_json(s, x->uuid));
    return 0;
}

/* A data request and the customer's data restock holds (their subscriptions by email and phone),
 * for the merchant to hand over. */
int h_privacy_request_get(struct req *r)
{
    char *end;
    const char *ids = req_param(r, 0);
    long long id = strtoll(ids, &end, 10);
    if (!*ids || *end || id <= 0) {
        req_error(r, RS_ENOTFOUND, "id: no such request");
        return RS_OK;
    }
    struct privacy_request pr;
    const struct store_ops *ops = r->app->ops;
    struct store_conn *c = ops->reader(r->app->store);
    int rc = c ? ops->privacy_request_get(c, r->shop.sid, id, r->arena, &pr) : RS_ESTORE;
    if (rc) {
        req_error(r, rc, rc == RS_ENOTFOUND ? "id: no such request" : NULL);
        return RS_OK;
    }
    struct export_ctx x = {json_array(), r->shop.uuid};
    const char *keys[] = {pr.email, pr.phone};
    for (int i = 0; i < 2 && !rc; i++) {
        if (!keys[i]) continue;
        struct sub_filter f = {.sid = r->shop.sid,
                               .status = -1,
                               .channel = -1,
                               .contact_key = keys[i],
                               .limit = 10000};
        rc = ops->sub_list(c, &f, r->arena, export_sub, &x);
    }
    if (rc) {
        json_decref(x.subs);
        req_error(r, rc, NULL);
        return RS_OK;
    }
    char ts[32];
    rfc3339_format(pr.at, ts, sizeof(ts));
    req_json_response(r, 200,
                      json_pack("{s:s,s:s,s:s?,s:s?,s:s?,s:s?,s:s,s:o}", "id",
                                arena_printf(r->arena, "%lld", (long long)pr.id), "kind", pr.kind,
                                "request_id", pr.request_id, "customer_id", pr.customer_id, "email",
                                pr.email, "phone", pr.phone, "received_at", ts, "subscriptions",
                                x.subs));
    return RS_OK;
}
