/*
 * h_track — tracked links and events of notifications (core/track.h):
 *   GET /r/{token}                   click: recorded durably, then 302 to the shop (?to=cart: the
 *                                    cart permalink)
 *   GET /o/{token}                   email open pixel: recorded durably, then a 1×1 GIF
 *   POST /v1/events                  {msgHash, event, attributes}: a hit; "open"; goal events
 *   GET /v1/notifications/{id}/events, GET /v1/campaigns/{id}/events   top 5 events (admin)
 *
 * A HEAD request is answered like its GET but records nothing (link checkers and prefetchers
 * send them). A pixel with a bad token, or of a notification that does not exist, is still the
 * GIF (a pixel must never break a mail's rendering) and records nothing; so is one the store
 * failed to record.
 */
#include <stdlib.h>
#include <string.h>

#include "core/token.h"
#include "core/track.h"
#include "http/http_int.h"
#include "util/log.h"
#include "util/money.h"
#include "util/timeutil.h"

/* A transparent 1×1 GIF89a: a 2-colour global table, a graphic control extension marking colour
 * 0 transparent, one image of one pixel (LZW minimum code size 2: clear, 0, end). */
static const unsigned char pixel[] = {'G',  'I',  'F',  '8',  '9',  'a',  1, 0, 1, 0,
                                      0x80, 0,    0,                                  /* header */
                                      0,    0,    0,    0xff, 0xff, 0xff,             /* colours */
                                      0x21, 0xf9, 4,    1,    0,    0,    0, 0,       /* GCE */
                                      0x2c, 0,    0,    0,    0,    1,    0, 1, 0, 0, /* image */
                                      2,    2,    0x44, 0x01, 0,                      /* LZW data */
                                      0x3b};                                          /* trailer */

/* The id a token of `kind` names; 0 for a bad token. */
static int64_t token_id(struct req *r, enum token_kind kind, const char *tok)
{
    int64_t id;
    return tok && token_parse(r->app->secret, kind, tok, strlen(tok), &id) == RS_OK ? id : 0;
}

/* The notification a token of `kind` names, with what tracking needs, read on this thread's
 * reader. RS_ENOTFOUND for a bad token or an unknown notification. */
static int lookup(struct req *r, enum token_kind kind, const char *tok, struct notif_context *x)
{
    int64_t id = token_id(r, kind, tok);
    if (!id) return RS_ENOTFOUND;
    struct store_conn *c = r->app->ops->reader(r->app->store);
    return c ? r->app->ops->notification_context(c, id, r->arena, x) : RS_ESTORE;
}

/* x: the context read already, or NULL for the job to read it (track_job.id). */
static void job_init(struct track_job *j, struct req *r, const struct notif_context *x,
                     enum hit_kind k)
{
    memset(j, 0, sizeof(*j));
    if (x) j->ctx = *x;
    j->kind = k;
    j->now = now_s();
    j->arena = r->arena;
}

static struct track_job *job_new(struct req *r, const struct notif_context *x, enum hit_kind k)
{
    struct track_job *j = arena_alloc(r->arena, sizeof(*j));
    job_init(j, r, x, k);
    return j;
}

static int is_head(const struct req *r)
{
    return strcmp(r->method, "HEAD") == 0;
}

/* ---- GET /r/{token} ------------------------------------------------------------------------ */

/* A click: its job reads the notification in the write transaction (track_job.id), so the
 * Location is made after the commit, from what was recorded. A HEAD reads on the reader and
 * records nothing. */
struct click {
    struct track_job job; /* first: the committer's argument is the click */
    const char *token;
    int to_cart;
};

static void redirect(struct req *r)
{
    const struct click *k = r->run_arg;
    const struct notif_context *x = &k->job.ctx;
    struct redirect_in in = {.shop_url = x->shop_url,
                             .variant_url = x->variant_url,
                             .variant_id = x->variant_id,
                             .quantity = x->quantity,
                             .to_cart = k->to_cart,
                             .token = k->token,
                             .campaign = track_campaign(&x->campaign)};
    req_response(r, 302, NULL, "", 0);
    req_add_header(r, "Location", track_redirect(&in, r->arena));
}

int h_click(struct req *r)
{
    struct click *k = arena_alloc(r->arena, sizeof(*k));
    const char *to = req_query(r, "to"); /* anything but "cart" is the product page */
    job_init(&k->job, r, NULL, HIT_CLICK);
    k->token = req_param(r, 0);
    k->to_cart = to && strcmp(to, "cart") == 0;
    if (is_head(r) || r->over_limit) {
        int rc = lookup(r, TOKEN_CLICK, k->token, &k->job.ctx);
        if (rc) {
            req_error(r, rc, rc == RS_ENOTFOUND ? "token: no such notification" : NULL);
            return RS_OK;
        }
        if (is_head(r) || k->job.ctx.clicked_at) { /* a repeat over the limit: not recorded */
            r->run_arg = k;
            redirect(r);
            return RS_OK;
        }
        k->job.only_first = 1; /* the first click, unless another beats it to the writer */
    }
    k->job.id = token_id(r, TOKEN_CLICK, k->token);
    if (!k->job.id) {
        req_error(r, RS_ENOTFOUND, "token: no such notification");
        return RS_OK;
    }
    return req_submit(r, track_apply, k, redirect);
}

/* ---- GET /o/{token} ------------------------------------------------------------------------ */

static void gif(struct req *r)
{
    req_response(r, 200, "image/gif", (const char *)pixel, sizeof(pixel));
    req_add_header(r, "Cache-Control", "no-store, no-cache, must-revalidate");
    req_add_header(r, "Pragma", "no-cache");
    req_add_header(r, "Expires", "0");
}

/* The pixel is the GIF whatever happened: a notification the job could not read, or a store
 * that failed (logged by the committer), never breaks a mail's rendering. */
int h_open(struct req *r)
{
    struct track_job *j = job_new(r, NULL, HIT_OPEN);
    j->id = token_id(r, TOKEN_OPEN, req_param(r, 0));
    if (j->id && r->over_limit && !is_head(r)) { /* a repeat over the limit is not recorded */
        struct notif_context x;
        if (lookup(r, TOKEN_OPEN, req_param(r, 0), &x) || x.opened_at) j->id = 0;
        j->only_first = 1;
    }
    if (!j->id || is_head(r)) {
        gif(r);
        return RS_OK;
    }
    r->finish_always = 1;
    return req_submit(r, track_apply, j, gif);
}

/* ---- POST /v1/events ----------------------------------------------------------------------- */

static void event_done(struct req *r)
{
    req_json_response(r, 200, json_pack("{s:b}", "ok", 1));
}

int h_event(struct req *r)
{
    json_t *body = req_json(r);
    if (!body) return RS_OK;
    struct track_event ev;
    struct rs_status st = {0};
    if (track_event_parse(body, r->arena, &ev, &st)) {
        json_decref(body);
        req_fail(r, &st);
        return RS_OK;
    }
    struct notif_context x;
    int rc = lookup(r, TOKEN_MSG, ev.msg_hash, &x);
    if (rc) {
        json_decref(body);
        req_error(r, rc, rc == RS_ENOTFOUND ? "msgHash: no such notification" : NULL);
        return RS_OK;
    }
    const struct campaign *c = track_campaign(&x.campaign);
    struct track_job *j = job_new(r, &x, HIT_EVENT);
    j->name = ev.name;
    j->attributes = ev.attributes;
    j->goal = strcmp(ev.name, c ? c->goal_event : "purchase") == 0;
    if (j->goal) j->amount = track_event_amount(ev.attrs, currency_exponent(x.currency));
    j->window_days = c ? c->goal_window_days : 0;
    json_decref(body);
    return req_submit(r, track_apply, j, event_done);
}

/* ---- top events (admin) -------------------------------------------------------------------- */

#define TOP_EVENTS 5

static int top_one(void *arg, const char *name, int64_t hits)
{
    json_array_append_new(arg, json_pack("{s:s,s:I}", "event", name, "hits", (json_int_t)hits));
    return 0;
}

/* The path's id, or 0 when it is not a positive integer. */
static int64_t path_id(struct req *r)
{
    const char *p = req_param(r, 0);
    char *end;
    long long id = strtoll(p, &end, 10);
    return *p && !*end && id > 0 ? id : 0;
}

static void answer_top(struct req *r, struct store_conn *c, int64_t notification_id,
                       int64_t campaign_id)
{
    json_t *data = json_array();
    int rc = r->app->ops->event_top(c, r->shop.sid, notification_id, campaign_id, TOP_EVENTS,
                                    r->arena, top_one, data);
    if (rc) {
        json_decref(data);
        req_error(r, rc, NULL);
        return;
    }
    req_json_response(r, 200, json_pack("{s:o}", "data", data));
}

int h_notification_events(struct req *r)
{
    int64_t id = path_id(r);
    struct notification n;
    struct store_conn *c = r->app->ops->reader(r->app->store);
    int rc = !id ? RS_ENOTFOUND
             : c ? r->app->ops->notification_get(c, id, r->arena, &n)
                 : RS_ESTORE;
    if (rc == RS_OK && n.sid != r->shop.sid) rc = RS_ENOTFOUND; /* another shop's */
    if (rc) {
        req_error(r, rc, rc == RS_ENOTFOUND ? "id: no such notification" : NULL);
        return RS_OK;
    }
    answer_top(r, c, id, 0);
    return RS_OK;
}

int h_campaign_events(struct req *r)
{
    int64_t id = path_id(r);
    struct stored_campaign sc;
    struct store_conn *c = r->app->ops->reader(r->app->store);
    int rc = !id ? RS_ENOTFOUND
             : c ? r->app->ops->campaign_get(c, r->shop.sid, id, r->arena, &sc)
                 : RS_ESTORE;
    if (rc) {
        req_error(r, rc, rc == RS_ENOTFOUND ? "id: no such campaign" : NULL);
        return RS_OK;
    }
    answer_top(r, c, 0, id);
    return RS_OK;
}
