/*
 * h_reports — the admin reports (core/report.h):
 *   GET /v1/reports/customers?from=&to=&limit=&after=   JSON pages (keyset: `next` → `after`)
 *   GET /v1/reports/customers?format=csv&from=&to=      RFC 4180 CSV of every row, streamed
 *   GET /v1/reports/demand?limit=                       variants by waiting subscribers
 *
 * The CSV stream. MHD asks for more bytes on the connection's HTTP thread whenever the socket can
 * take them; each time the buffer of the previous page has been sent, csv_read() reads the next
 * REPORT_PAGE rows through the thread's store reader, taken and released within that call (the
 * reader contract of store.h: held per thread until reader_release, so never across calls, which
 * may interleave with other requests on the same thread). Memory stays at one page, whatever the
 * number of rows; the keyset (notification id) makes the pages one consistent walk.
 */
#include <stdlib.h>
#include <string.h>

#include "core/report.h"
#include "http/http_int.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* from, to in the shop's time zone; answers 400 and returns non-zero when malformed. */
static int range(struct req *r, struct report_filter *f)
{
    struct rs_status st = {0};
    if (report_range(r->shop.timezone, req_query(r, "from"), req_query(r, "to"), "", &f->from,
                     &f->to, &st)) {
        req_fail(r, &st);
        return -1;
    }
    return 0;
}

/* ---- CSV ------------------------------------------------------------------------------------ */

struct csv_stream {
    struct app *app;
    struct report_filter f;
    struct arena *arena; /* the current page's strings */
    struct buf out;      /* the current page as CSV */
    size_t off;          /* bytes of out already sent */
    int done;
};

static void csv_free(void *cls)
{
    struct csv_stream *cs = cls;
    if (!cs) return;
    arena_free(cs->arena);
    buf_free(&cs->out);
    free(cs);
}

/* Reads the next page into cs->out. */
static int csv_refill(struct csv_stream *cs)
{
    struct app *app = cs->app;
    buf_reset(&cs->out);
    cs->off = 0;
    arena_free(cs->arena);
    cs->arena = arena_new();
    struct tx tx = {app->ops, app->ops->reader(app->store)};
    int n = 0, rc = tx.c ? report_csv_page(&tx, &cs->f, cs->arena, &cs->out, &n) : RS_ESTORE;
    app->ops->reader_release(app->store);
    if (rc) return rc;
    if (n < cs->f.limit) cs->done = 1;
    return RS_OK;
}

static ssize_t csv_read(void *cls, uint64_t pos, char *dst, size_t max)
{
    (void)pos;
    struct csv_stream *cs = cls;
    while (cs->off == cs->out.len) {
        if (cs->done) return MHD_CONTENT_READER_END_OF_STREAM;
        if (csv_refill(cs)) {
            log_msg(LOG_ERROR, "customers report: the store failed mid-stream; cut short");
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
    }
    size_t n = cs->out.len - cs->off;
    if (n > max) n = max;
    memcpy(dst, cs->out.p + cs->off, n);
    cs->off += n;
    return (ssize_t)n;
}

static int customers_csv(struct req *r, const struct report_filter *f)
{
    struct csv_stream *cs = xcalloc(1, sizeof(*cs));
    cs->app = r->app;
    cs->f = *f;
    cs->f.limit = REPORT_PAGE;
    cs->out = BUF_INIT(0);
    report_csv_header(&cs->out);
    req_add_header(r, "Content-Disposition", "attachment; filename=\"customers.csv\"");
    req_stream(r, 200, "text/csv; charset=utf-8; header=present", csv_read, cs, csv_free);
    return RS_OK;
}

/* ---- JSON ----------------------------------------------------------------------------------- */

struct json_page {
    json_t *data;
    int64_t last_id;
    int n;
};

static int json_one(void *arg, const struct customer_row *row)
{
    struct json_page *p = arg;
    json_array_append_new(p->data, report_customer_json(row));
    p->last_id = row->notification_id;
    p->n++;
    return 0;
}

int h_report_customers(struct req *r)
{
    struct report_filter f = {.sid = r->shop.sid};
    if (range(r, &f)) return RS_OK;
    const char *format = req_query(r, "format");
    if (format && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0) {
        req_error(r, RS_EINVAL, "format: must be csv or json");
        return RS_OK;
    }
    if (format && strcmp(format, "csv") == 0) return customers_csv(r, &f);
    int64_t limit = 100;
    if (req_query_int(r, "limit", 1, 1000, &limit)) {
        req_error(r, RS_EINVAL, "limit: must be an integer from 1 to 1000");
        return RS_OK;
    }
    if (req_query_int(r, "after", 0, INT64_MAX, &f.after_id)) {
        req_error(r, RS_EINVAL, "after: must be a cursor from a previous page's next");
        return RS_OK;
    }
    f.limit = (int)limit;
    struct json_page p = {.data = json_array()};
    struct store_conn *c = r->app->ops->reader(r->app->store);
    int rc = c ? r->app->ops->report_customers(c, &f, r->arena, json_one, &p) : RS_ESTORE;
    if (rc) {
        json_decref(p.data);
        req_error(r, rc, NULL);
        return RS_OK;
    }
    json_t *next = p.n == f.limit
                       ? json_string(arena_printf(r->arena, "%lld", (long long)p.last_id))
                       : json_null();
    req_json_response(r, 200, json_pack("{s:o,s:o}", "data", p.data, "next", next));
    return RS_OK;
}

int h_report_demand(struct req *r)
{
    int64_t limit = 50;
    if (req_query_int(r, "limit", 1, 1000, &limit)) {
        req_error(r, RS_EINVAL, "limit: must be an integer from 1 to 1000");
        return RS_OK;
    }
    struct tx tx = {r->app->ops, r->app->ops->reader(r->app->store)};
    json_t *out = NULL;
    int rc = tx.c ? report_demand(&tx, &r->shop, now_s(), (int)limit, r->arena, &out) : RS_ESTORE;
    if (rc) {
        req_error(r, rc, NULL);
        return RS_OK;
    }
    req_json_response(r, 200, out);
    return RS_OK;
}
