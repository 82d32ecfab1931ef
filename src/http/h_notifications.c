/*
 * h_notifications — what the fan-out and the workers did, for the shop's admin:
 *   GET /v1/notifications?subscription_id=&status=&limit=&after=   the outbox, in id order
 *   GET /v1/subscriptions/{id}/decisions                           why it was not notified
 */
#include <stdlib.h>

#include "core/token.h"
#include "http/http_int.h"
#include "util/timeutil.h"

/* An RFC 3339 time, or null for 0. */
static json_t *time_json(int64_t t)
{
    char buf[32];
    if (!t) return json_null();
    rfc3339_format(t, buf, sizeof(buf));
    return json_string(buf);
}

struct list_ctx {
    struct req *r;
    json_t *data;
    int64_t last_id;
    int n;
};

static int notif_one(void *arg, const struct notification *n)
{
    struct list_ctx *lc = arg;
    char hash[TOKEN_MAX];
    token_make(lc->r->app->secret, TOKEN_MSG, n->id, hash);
    json_t *o = json_pack(
        "{s:I,s:s,s:I,s:I,s:I,s:s,s:s,s:I,s:o,s:o,s:o,s:o,s:I,s:s?}", "id", (json_int_t)n->id,
        "msg_hash", hash, "subscription_id", (json_int_t)n->subscription_id, "restock_id",
        (json_int_t)n->restock_id, "campaign_id", (json_int_t)n->campaign_id, "channel",
        channel_name(n->channel), "status", notif_status_name(n->status), "attempts",
        (json_int_t)n->attempts, "not_before", time_json(n->not_before), "expires_at",
        time_json(n->expires_at), "created_at", time_json(n->created_at), "sent_at",
        time_json(n->sent_at), "segments", (json_int_t)n->segments, "reason", n->reason);
    json_object_set_new(o, "opened_at", time_json(n->opened_at));
    json_object_set_new(o, "clicked_at", time_json(n->clicked_at));
    json_array_append_new(lc->data, o);
    lc->last_id = n->id;
    lc->n++;
    return 0;
}

int h_notifications_list(struct req *r)
{
    struct notif_filter f = {.sid = r->shop.sid, .status = -1};
    int64_t limit = 100;
    const char *status = req_query(r, "status");
    if (status && (f.status = notif_status_parse(status)) < 0) {
        req_error(r, RS_EINVAL,
                  "status: must be queued, sent, retrying, failed, expired, dropped or "
                  "skipped_cap");
        return RS_OK;
    }
    if (req_query_int(r, "subscription_id", 1, INT64_MAX, &f.subscription_id)) {
        req_error(r, RS_EINVAL, "subscription_id: must be a subscription id");
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
    struct list_ctx lc = {.r = r, .data = json_array()};
    struct store_conn *c = r->app->ops->reader(r->app->store);
    int rc = c ? r->app->ops->notification_list(c, &f, r->arena, notif_one, &lc) : RS_ESTORE;
    if (rc) {
        json_decref(lc.data);
        req_error(r, rc, NULL);
        return RS_OK;
    }
    json_t *next = lc.n == f.limit
                       ? json_string(arena_printf(r->arena, "%lld", (long long)lc.last_id))
                       : json_null();
    req_json_response(r, 200, json_pack("{s:o,s:o}", "data", lc.data, "next", next));
    return RS_OK;
}

static int decision_one(void *arg, const struct decision *d)
{
    struct list_ctx *lc = arg;
    json_array_append_new(
        lc->data, json_pack("{s:I,s:I,s:o,s:s,s:s,s:o}", "restock_id", (json_int_t)d->restock_id,
                            "campaign_id", (json_int_t)d->campaign_id, "subscription_id",
                            json_integer(d->subscription_id), "decision", d->decision, "reason",
                            d->reason, "at", time_json(d->at)));
    return 0;
}

int h_decisions_list(struct req *r)
{
    const char *p = req_param(r, 0);
    char *end;
    long long id = strtoll(p, &end, 10);
    struct subscription s;
    struct store_conn *c = r->app->ops->reader(r->app->store);
    int rc = (!*p || *end || id <= 0) ? RS_ENOTFOUND
             : c                      ? r->app->ops->sub_get(c, id, r->arena, &s)
                                      : RS_ESTORE;
    if (rc == RS_OK && s.sid != r->shop.sid) rc = RS_ENOTFOUND; /* another shop's: not here */
    if (rc) {
        req_error(r, rc, rc == RS_ENOTFOUND ? "id: no such subscription" : NULL);
        return RS_OK;
    }
    struct list_ctx lc = {.r = r, .data = json_array()};
    rc = r->app->ops->decision_list(c, r->shop.sid, id, r->arena, decision_one, &lc);
    if (rc) {
        json_decref(lc.data);
        req_error(r, rc, NULL);
        return RS_OK;
    }
    req_json_response(r, 200, json_pack("{s:o}", "data", lc.data));
    return RS_OK;
}
