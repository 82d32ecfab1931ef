/*
 * metrics — Prometheus text metrics: requests by route and status, latency histograms by route,
 * the committer's queue depth and commit count, and delivery outcomes by channel.
 *
 * Counters are relaxed atomics in fixed arrays indexed by route (the last row is "unmatched"),
 * so observing costs a few atomic adds and no lock.
 */
#include <stdatomic.h>

#include "deliver/outbox.h"
#include "http/http_int.h"

#define MAX_ROUTES 64
#define NSTATUS    16

static const int statuses[NSTATUS] = {200, 201, 204, 302, 400, 401, 404, 405,
                                      409, 413, 415, 429, 500, 503, 0 /* other */};
static const double bounds[] = {0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))

static atomic_ulong counts[MAX_ROUTES + 1][NSTATUS];
static atomic_ulong buckets[MAX_ROUTES + 1][NBOUNDS + 1];
static atomic_ulong sum_us[MAX_ROUTES + 1];

static int row(int route)
{
    return route >= 0 && route < nroutes && route < MAX_ROUTES ? route : MAX_ROUTES;
}

void metrics_observe(int route, int status, double ms)
{
    int rw = row(route), si = NSTATUS - 2;
    for (int i = 0; i < NSTATUS - 2; i++)
        if (statuses[i] == status) si = i;
    atomic_fetch_add_explicit(&counts[rw][si], 1, memory_order_relaxed);
    size_t b = 0;
    while (b < NBOUNDS && ms > bounds[b])
        b++;
    atomic_fetch_add_explicit(&buckets[rw][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&sum_us[rw], (unsigned long)(ms * 1000), memory_order_relaxed);
}

static const char *route_name(int rw)
{
    return rw < nroutes && rw < MAX_ROUTES ? routes[rw].name : "unmatched";
}

void metrics_render(struct buf *out, struct app *app)
{
    buf_puts(out, "# HELP restock_http_requests_total HTTP requests by route and status.\n"
                  "# TYPE restock_http_requests_total counter\n");
    for (int rw = 0; rw <= MAX_ROUTES; rw++)
        for (int si = 0; si < NSTATUS - 1; si++) {
            unsigned long n = atomic_load(&counts[rw][si]);
            if (!n) continue;
            buf_printf(out, "restock_http_requests_total{route=\"%s\",status=\"", route_name(rw));
            if (statuses[si])
                buf_printf(out, "%d", statuses[si]);
            else
                buf_puts(out, "other");
            buf_printf(out, "\"} %lu\n", n);
        }
    buf_puts(out, "# HELP restock_http_request_duration_seconds Time to answer, by route.\n"
                  "# TYPE restock_http_request_duration_seconds histogram\n");
    for (int rw = 0; rw <= MAX_ROUTES; rw++) {
        unsigned long total = 0;
        for (size_t b = 0; b <= NBOUNDS; b++)
            total += atomic_load(&buckets[rw][b]);
        if (!total) continue;
        const char *name = route_name(rw);
        unsigned long cum = 0;
        for (size_t b = 0; b < NBOUNDS; b++) {
            cum += atomic_load(&buckets[rw][b]);
            buf_printf(out,
                       "restock_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} "
                       "%lu\n",
                       name, bounds[b] / 1000, cum);
        }
        buf_printf(out,
                   "restock_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lu\n"
                   "restock_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                   "restock_http_request_duration_seconds_count{route=\"%s\"} %lu\n",
                   name, total, name, (double)atomic_load(&sum_us[rw]) / 1e6, name, total);
    }
    buf_printf(out,
               "# HELP restock_commit_queue_depth Writes waiting for the group commit.\n"
               "# TYPE restock_commit_queue_depth gauge\nrestock_commit_queue_depth %zu\n"
               "# HELP restock_commits_total Durable transactions committed.\n"
               "# TYPE restock_commits_total counter\nrestock_commits_total %lu\n",
               committer_depth(app->cm), committer_commits(app->cm));
    buf_puts(out, "# HELP restock_deliveries_total Delivery attempts by channel and outcome.\n"
                  "# TYPE restock_deliveries_total counter\n");
    for (int ch = 0; ch < CH_COUNT; ch++)
        for (int stt = 0; stt < N_STATUS_COUNT; stt++) {
            unsigned long n = outbox_outcomes((enum channel)ch, (enum notif_status)stt);
            if (n)
                buf_printf(out, "restock_deliveries_total{channel=\"%s\",status=\"%s\"} %lu\n",
                           channel_name((enum channel)ch),
                           notif_status_name((enum notif_status)stt), n);
        }
}
