/*
 * h_admin — handlers of the admin API for the shop, its catalog and its subscriptions.
 * Every handler here runs after the dispatcher authenticated r->shop.
 */
#include <stdlib.h>
#include <string.h>

#include "core/catalog.h"
#include "core/fanout.h"
#include "core/shop.h"
#include "core/signup.h"
#include "core/token.h"
#include "http/http_int.h"
#include "util/json.h"
#include "util/timeutil.h"

int h_shop_get(struct req *r)
{
    req_json_response(r, 200, shop_to_json(&r->shop));
    return RS_OK;
}

static void shop_patched(struct req *r)
{
    struct shop_change *ch = r->run_arg;
    req_json_response(r, 200, shop_to_json(&ch->out));
}

/* The patch is applied on the writer to the shop as stored then (shop_change_apply), so that
 * concurrent patches of different settings do not undo each other. */
int h_shop_patch(struct req *r)
{
    json_t *body = req_json(r);
    if (!body) return RS_OK;
    struct shop_change *ch = arena_alloc(r->arena, sizeof(*ch));
    struct rs_status st = {0};
    int rc = shop_change_parse(ch, &r->shop, body, r->arena, &st);
    json_decref(body);
    if (rc) {
        req_fail(r, &st);
        return RS_OK;
    }
    return req_submit(r, shop_change_apply, ch, shop_patched);
}

static void catalog_done(struct req *r)
{
    struct catalog_batch *b = r->run_arg;
    if (b->nrestocked) fanout_kick(r->app->fanout);
    json_t *ids = json_array();
    for (size_t i = 0; i < b->nrestocked; i++)
        json_array_append_new(ids, json_string(b->restocked[i]));
    req_json_response(r, 200,
                      json_pack("{s:I,s:I,s:o}", "created", (json_int_t)b->created, "updated",
                                (json_int_t)b->updated, "restocked", ids));
}

static int catalog_common(struct req *r, int inventory)
{
    json_t *body = req_json(r);
    if (!body) return RS_OK;
    struct catalog_batch *b = arena_alloc(r->arena, sizeof(*b));
    b->shop = &r->shop;
    b->arena = r->arena;
    b->now = now_s();
    struct rs_status st = {0};
    int rc = inventory ? inventory_parse(b, body, &st) : catalog_parse(b, body, &st);
    json_decref(body);
    if (rc) {
        req_fail(r, &st);
        return RS_OK;
    }
    return req_submit(r, catalog_apply, b, catalog_done);
}

int h_catalog_put(struct req *r)
{
    return catalog_common(r, 0);
}

int h_inventory_post(struct req *r)
{
    return catalog_common(r, 1);
}

int h_variant_get(struct req *r)
{
    struct variant v;
    struct store_conn *c = r->app->ops->reader(r->app->store);
    int rc =
        c ? r->app->ops->variant_get(c, r->shop.sid, req_param(r, 0), r->arena, &v) : RS_ESTORE;
    if (rc)
        req_error(r, rc, rc == RS_ENOTFOUND ? "variant_id: no such variant" : NULL);
    else
        req_json_response(r, 200, variant_to_json(&r->shop, &v));
    return RS_OK;
}

/* ---- GET /v1/subscriptions ----------------------------------------------------------------- */

struct list_ctx {
    json_t *data;
    struct req *r;
    int64_t last_id;
    int n;
};

static int list_one(void *arg, const struct subscription *s)
{
    struct list_ctx *lc = arg;
    char tok[TOKEN_MAX];
    json_t *o = subscription_to_json(s, lc->r->shop.uuid);
    token_make(lc->r->app->secret, TOKEN_UNSUBSCRIBE, s->id, tok);
    json_object_set_new(
        o, "unsubscribe_url",
        json_string(arena_printf(lc->r->arena, "%s/u/%s", lc->r->app->cfg->public_url, tok)));
    json_array_append_new(lc->data, o);
    lc->last_id = s->id;
    lc->n++;
    return 0;
}

int h_subscriptions_list(struct req *r)
{
    struct sub_filter f = {.sid = r->shop.sid, .status = -1, .channel = -1};
    int64_t limit = 100;
    f.variant_id = req_query(r, "variant_id");
    const char *status = req_query(r, "status"), *channel = req_query(r, "channel");
    if (status && (f.status = sub_status_parse(status)) < 0) {
        req_error(r, RS_EINVAL,
                  "status: must be pending, waiting, notified, unsubscribed or expired");
        return RS_OK;
    }
    if (channel && (f.channel = channel_parse(channel)) < 0) {
        req_error(r, RS_EINVAL, "channel: must be email, sms or webpush");
        return RS_OK;
    }
    if (req_query_int(r, "limit", 1, 1000, &limit)) {
        req_error(r, RS_EINVAL, "limit: must be an integer from 1 to 1000");
        return RS_OK;
    }
    if (req_query_int(r, "after", 0, INT64_MAX, &f.after_id)) {
        req_error(r, RS_EINVAL, "after: must be a cursor from a previous page's next");
        return RS_OK;
    }
    f.limit = (int)limit;
    struct list_ctx lc = {.data = json_array(), .r = r};
    struct store_conn *c = r->app->ops->reader(r->app->store);
    int rc = c ? r->app->ops->sub_list(c, &f, r->arena, list_one, &lc) : RS_ESTORE;
    if (rc) {
        json_decref(lc.data);
        req_error(r, rc, NULL);
        return RS_OK;
    }
    json_t *next = json_null();
    if (lc.n == f.limit) next = json_string(arena_printf(r->arena, "%lld", (long long)lc.last_id));
    req_json_response(r, 200, json_pack("{s:o,s:o}", "data", lc.data, "next", next));
    return RS_OK;
}
