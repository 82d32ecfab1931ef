/*
 * h_orders — orders in (admin API and Hello Retail's collect call), cancellations, refunds and
 * the stats report. The rules live in core/order.c, core/attribution.c and core/stats.c.
 *
 * POST /serve/collect/conversion answers in Hello Retail's shape, {"success":...,"message":...}
 * (SPEC §6.2), errors included: its route carries R_COLLECT, which makes req_error use that
 * shape, so the dispatcher's own refusals (content type, size, bad JSON) keep the contract.
 */
#include <string.h>

#include "core/order.h"
#include "core/stats.h"
#include "http/http_int.h"
#include "util/timeutil.h"

static void order_done(struct req *r)
{
    struct order_job *j = r->run_arg;
    if (j->ignored) {
        req_json_response(r, 200,
                          json_pack("{s:b,s:s,s:s}", "ignored", 1, "reason",
                                    "test order: not stored, not attributed", "order_number",
                                    j->in.order_number));
        return;
    }
    req_json_response(r, j->created ? 201 : 200,
                      order_to_json(&j->out, j->converted ? &j->conv : NULL));
}

int h_order_create(struct req *r)
{
    json_t *body = req_json(r);
    if (!body) return RS_OK;
    struct order_job *j = arena_alloc(r->arena, sizeof(*j));
    struct rs_status st = {0};
    int rc = order_parse(body, &r->shop, "api", now_s(), r->arena, &j->in, &j->test, &st);
    json_decref(body);
    if (rc) {
        req_fail(r, &st);
        return RS_OK;
    }
    j->app = r->app;
    j->shop = &r->shop;
    j->arena = r->arena;
    return req_submit(r, order_apply, j, order_done);
}

int h_order_get(struct req *r)
{
    struct order o;
    struct conversion cv;
    struct store_conn *c = r->app->ops->reader(r->app->store);
    const char *number = order_number_norm(req_param(r, 0), r->arena);
    int rc = !number ? RS_ENOTFOUND
             : c     ? r->app->ops->order_get(c, r->shop.sid, number, r->arena, &o)
                     : RS_ESTORE;
    if (rc) {
        req_error(r, rc, rc == RS_ENOTFOUND ? "order_number: no such order" : NULL);
        return RS_OK;
    }
    rc = r->app->ops->conversion_by_order(c, r->shop.sid, o.id, r->arena, &cv);
    if (rc && rc != RS_ENOTFOUND) {
        req_error(r, rc, NULL);
        return RS_OK;
    }
    req_json_response(r, 200, order_to_json(&o, rc == RS_OK ? &cv : NULL));
    return RS_OK;
}

static void change_done(struct req *r)
{
    struct order_change *ch = r->run_arg;
    req_json_response(r, 200, order_to_json(&ch->out, ch->converted ? &ch->conv : NULL));
}

static int order_change(struct req *r, enum order_op op)
{
    struct order_change *ch = arena_alloc(r->arena, sizeof(*ch));
    ch->shop = &r->shop;
    ch->order_number = order_number_norm(req_param(r, 0), r->arena);
    if (!ch->order_number) {
        req_error(r, RS_ENOTFOUND, "order_number: no such order");
        return RS_OK;
    }
    ch->op = op;
    ch->arena = r->arena;
    ch->now = now_s();
    if (op == ORDER_REFUND) {
        json_t *body = req_json(r);
        if (!body) return RS_OK;
        struct rs_status st = {0};
        int rc = order_refund_parse(body, ch, &st);
        json_decref(body);
        if (rc) {
            req_fail(r, &st);
            return RS_OK;
        }
    }
    return req_submit(r, order_change_apply, ch, change_done);
}

int h_order_cancel(struct req *r)
{
    return order_change(r, ORDER_CANCEL);
}

int h_order_refund(struct req *r)
{
    return order_change(r, ORDER_REFUND);
}

/* ---- POST /serve/collect/conversion --------------------------------------------------------- */

static void collect_done(struct req *r)
{
    req_json_response(r, 200,
                      json_pack("{s:b,s:s}", "success", 1, "message", "Conversion tracked"));
}

int h_collect(struct req *r)
{
    json_t *body = req_json(r);
    if (!body) return RS_OK;
    struct rs_status st = {0};
    struct order_job *j = arena_alloc(r->arena, sizeof(*j));
    struct shop *sh = arena_alloc(r->arena, sizeof(*sh));
    const char *uuid = json_is_object(body) ? collect_website(body, r->arena) : NULL;
    struct store_conn *c = uuid ? r->app->ops->reader(r->app->store) : NULL;
    int rc = !uuid ? RS_ENOTFOUND
             : c   ? r->app->ops->shop_by_uuid(c, uuid, r->arena, sh)
                   : RS_ESTORE;
    if (rc == RS_ENOTFOUND)
        rs_fail(&st, RS_EINVAL, "Website not found");
    else if (rc)
        rs_fail(&st, rc, "the store failed");
    else
        rc = collect_parse(body, sh, now_s(), r->arena, &j->in, &st);
    json_decref(body);
    if (rc) {
        req_fail(r, &st);
        return RS_OK;
    }
    j->app = r->app;
    j->shop = sh;
    j->arena = r->arena;
    return req_submit(r, order_apply, j, collect_done);
}

/* ---- GET /v1/stats -------------------------------------------------------------------------- */

int h_stats(struct req *r)
{
    int64_t campaign = 0;
    if (req_query_int(r, "campaign", 1, INT64_MAX, &campaign)) {
        req_error(r, RS_EINVAL, "campaign: must be a campaign id");
        return RS_OK;
    }
    struct rs_status st = {0};
    struct tx tx = {r->app->ops, r->app->ops->reader(r->app->store)};
    struct stored_campaign sc;
    int rc = !tx.c      ? rs_fail(&st, RS_ESTORE, "the store failed")
             : campaign ? tx.ops->campaign_get(tx.c, r->shop.sid, campaign, r->arena, &sc)
                        : RS_OK;
    if (rc == RS_ENOTFOUND) { /* another shop's, a deleted one, or none: not zeros */
        req_error(r, rc, "campaign: no such campaign");
        return RS_OK;
    }
    json_t *out = NULL;
    if (!rc)
        rc = stats_query(&tx, &r->shop, req_query(r, "from"), req_query(r, "to"), campaign,
                         r->arena, &out, &st);
    else if (!st.err)
        rs_fail(&st, rc, "the store failed");
    if (rc)
        req_fail(r, &st);
    else
        req_json_response(r, 200, out);
    return RS_OK;
}
