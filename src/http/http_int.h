/*
 * http_int — what the HTTP layer's files share: the request, the route table, the response
 * helpers. Private to src/http/.
 *
 * Request lifecycle. The dispatcher (server.c) matches the route, enforces the route's auth,
 * content type, body limit and rate limit, then calls the handler once the body is complete. A
 * handler answers at once (req_json_response / req_error, returning RS_OK) or hands a write job to
 * the group committer with req_submit (returning RS_PENDING); then `finish` is called on an HTTP
 * thread once the write is durable, to build the answer from the job's result. Everything a
 * handler allocates lives in r->arena, freed when the response has been sent.
 */
#ifndef RESTOCK_HTTP_INT_H
#define RESTOCK_HTTP_INT_H

#include <jansson.h>
#include <microhttpd.h>

#include "core/app.h"
#include "store/commit.h"
#include "util/arena.h"
#include "util/buf.h"

struct req;
typedef int (*handler_fn)(struct req *r);

enum route_flags {
    R_ADMIN = 1 << 0,   /* Authorization: Bearer API_KEY; r->shop is the key's shop */
    R_PUBLIC = 1 << 1,  /* CORS, text/plain JSON bodies, rate-limited per client address */
    R_BODY = 1 << 2,    /* takes a JSON body (Content-Type checked) */
    R_FORM = 1 << 3,    /* takes a body of any type (read by the handler) */
    R_COLLECT = 1 << 4, /* errors in Hello Retail's shape {"success":false,"message":...}: 400
                           for bad input, 500 for the rest (429 stays 429) */
    R_TRACK = 1 << 5,   /* a tracked link or pixel: over the per-address limit it is answered
                           as always, and only a notification's first click or open is recorded
                           (r->over_limit; a repeat is answered from a read, never reaching the
                           writer): mail image proxies and office networks send many shoppers'
                           opens and clicks from one address */
};

struct route {
    const char *method, *pattern; /* pattern segments "{name}" capture one path segment */
    handler_fn fn;
    unsigned flags;
    const char *name;  /* for metrics and logs */
    size_t body_limit; /* 0: the configured body_limit */
    /* An admin route's query parameters, comma-separated ("from,to,campaign"); any other is a
     * 400 naming it, so a misspelt filter is not silently a listing of everything. Public
     * routes take any (link wrappers and ad platforms add their own). */
    const char *query;
};

extern const struct route routes[];
extern const int nroutes;

#define MAX_PARAMS 4

struct req {
    struct MHD_Connection *conn;
    struct app *app;
    struct arena *arena;
    const struct route *route;
    int route_index;
    int preflight;  /* an OPTIONS request of a public route */
    int cors;       /* answered with CORS headers: a public route, its preflight, or a 405 on a
                       path that has a public route */
    int over_limit; /* an R_TRACK request over the per-address limit */
    const char *method, *path;
    const char *params[MAX_PARAMS];
    char client[64];
    struct buf body;
    struct shop shop; /* R_ADMIN routes: the authenticated shop */
    double t0;
    /* the answer */
    int status;
    char *resp; /* malloc'd, handed to MHD */
    size_t resp_len;
    const char *resp_type;
    const char *hdr[4][2];
    int nhdr;
    /* a streamed answer (req_stream): sent from a content reader instead of resp */
    MHD_ContentReaderCallback stream_read;
    MHD_ContentReaderFreeCallback stream_free;
    void *stream_cls;
    /* async writes */
    int state;
    struct store_job job; /* job.arg is the request; run/run_arg are the handler's */
    int (*run)(struct tx *tx, void *arg, struct rs_status *st);
    void *run_arg;
    void (*finish)(struct req *r);
    int finish_always; /* finish(r) even when the job failed (the open pixel) */
    int waited;        /* counted in the server's requests in flight until completed */
};

/* A path or query parameter; NULL when absent. */
const char *req_param(struct req *r, int i);
const char *req_query(struct req *r, const char *key);
const char *req_header(struct req *r, const char *key);
/* An optional decimal query parameter within [lo, hi] into *out (untouched when absent). -1 when
 * malformed or out of range. */
int req_query_int(struct req *r, const char *key, int64_t lo, int64_t hi, int64_t *out);
/* Parses the body as strict JSON. NULL after answering the error (400). Caller json_decref()s. */
json_t *req_json(struct req *r);

/* Answers with a JSON value (stolen: the response owns it) and status. */
void req_json_response(struct req *r, int status, json_t *v);
/* Answers with raw bytes (copied). */
void req_response(struct req *r, int status, const char *type, const char *body, size_t n);
/* Answers with the SPEC's error shape: {"error":{"code":...,"message":...}}. msg NULL: default. */
void req_error(struct req *r, int err, const char *msg);
void req_fail(struct req *r, const struct rs_status *st);
void req_add_header(struct req *r, const char *name, const char *value);
/* Answers with a body of unknown length produced by read(cls, ...) as MHD calls it (chunked), on
 * the connection's HTTP thread, after the handler has returned and the thread's store reader has
 * been released: read() may take the thread's reader and must release it before returning.
 * free_cls(cls) runs when the response is done (or never sent). */
void req_stream(struct req *r, int status, const char *type, MHD_ContentReaderCallback read,
                void *cls, MHD_ContentReaderFreeCallback free_cls);
/* Hands a write job to the group committer: run(tx, arg) on the writer, then, once durable,
 * finish(r) on an HTTP thread builds the answer (a failed job is answered with its error without
 * calling finish, unless r->finish_always is set). The handler must return what req_submit
 * returns, right after: RS_PENDING, or RS_OK when the server is stopping and the request was
 * answered 503 at once (finish(r) with finish_always). */
int req_submit(struct req *r, int (*run)(struct tx *, void *, struct rs_status *), void *arg,
               void (*finish)(struct req *r));
/* As req_submit, for work that blocks on the network rather than writes (a test send): fn(arg,
 * st) runs on a thread of its own while the connection waits, so no HTTP thread is held, then
 * finish(r) answers, or fn's error does. fn must not use the store's per-thread readers. At
 * most 8 run at once: beyond, r is answered 429 with Retry-After. */
int req_offload(struct req *r, int (*fn)(void *arg, struct rs_status *st), void *arg,
                void (*finish)(struct req *r));

/* Handlers, by file. */
int h_healthz(struct req *r);
int h_metrics(struct req *r);
int h_shop_get(struct req *r);
int h_shop_patch(struct req *r);
int h_catalog_put(struct req *r);
int h_inventory_post(struct req *r);
int h_variant_get(struct req *r);
int h_stock_get(struct req *r);
int h_subscribe(struct req *r);
int h_subscriptions_list(struct req *r);
int h_campaigns_list(struct req *r);
int h_order_create(struct req *r);
int h_order_get(struct req *r);
int h_order_cancel(struct req *r);
int h_order_refund(struct req *r);
int h_collect(struct req *r);
int h_stats(struct req *r);
int h_campaign_create(struct req *r);
int h_campaign_get(struct req *r);
int h_campaign_patch(struct req *r);
int h_campaign_delete(struct req *r);
int h_campaign_preview(struct req *r);
int h_campaign_test(struct req *r);
int h_notifications_list(struct req *r);
int h_decisions_list(struct req *r);
int h_unsubscribe_page(struct req *r);
int h_unsubscribe_post(struct req *r);
int h_confirm(struct req *r);
int h_click(struct req *r);
int h_open(struct req *r);
int h_event(struct req *r);
int h_notification_events(struct req *r);
int h_campaign_events(struct req *r);
int h_report_customers(struct req *r);
int h_report_demand(struct req *r);
int h_asset(struct req *r);
int h_shopify_webhook(struct req *r);
int h_views(struct req *r);
int h_feed_import(struct req *r);
int h_privacy_request_get(struct req *r);

/* metrics.c */
void metrics_observe(int route, int status, double ms);
void metrics_render(struct buf *out, struct app *app);

#endif
