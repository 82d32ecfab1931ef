/*
 * server — libmicrohttpd glue and the one dispatcher; see server.h and http_int.h.
 *
 * Per request: on_request() is called by MHD first with the headers (state NEW: the route is
 * matched and a declared Content-Length over the limit is refused at once), then with body
 * chunks (appended to r->body up to the limit), then once more with no data (state BODY: the
 * dispatcher runs). A handler that hands a write to the committer leaves the connection
 * suspended (state WAIT); the committer's done() marks it READY and resumes it, and MHD's next
 * call builds and sends the answer on an HTTP thread. The request (and its arena) is freed in
 * on_completed().
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <errno.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/ratelimit.h"
#include "core/shop.h"
#include "http/http_int.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xalloc.h"

enum { ST_NEW, ST_BODY, ST_WAIT, ST_READY, ST_SENT };

/* Each connection's MHD memory pool: the request line and headers must fit (about half of it),
 * bodies stream through it in chunks. MHD zeroes the pool between keep-alive requests, so its
 * size is paid on every request; 16 KiB (MHD's default is 32) holds any sane header set. */
#define CONN_MEMORY (16 * 1024)

struct http_server {
    struct MHD_Daemon *d;
    struct app *app;
};

static atomic_int jobs_in_flight; /* requests that waited for another thread, not yet done */
static atomic_int stopping;       /* http_stop began: no job is taken any more */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- helpers for handlers ------------------------------------------------------------------ */

const char *req_param(struct req *r, int i)
{
    return i >= 0 && i < MAX_PARAMS ? r->params[i] : NULL;
}

/* ---- URL decoding ---------------------------------------------------------------------------
 *
 * Routes split the path on '/', so an id containing a slash (a feed's `g:id` of "SKU/1", which
 * the widget sends as SKU%2F1) must stay one segment. MHD's decoding is replaced by unescape():
 * every %XX is decoded except %2F and %25, which stay as they are; after matching, a captured
 * segment and a query value are finished by finish_escapes(), which decodes exactly those two.
 * Keeping %25 too means "%252F" (a literal "%2F") is not decoded twice into a slash. %00 is never
 * decoded (a NUL byte would end the string: "v1%00zz" would read as "v1"); a request whose path
 * still holds one is answered 404 (nothing has that name), one whose query does 400. */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes in place the %XX escapes of s whose value is '/' or '%' (kept = 1) or every other one
 * but %00 (kept = 0); returns the new length. */
static size_t decode(char *s, int kept)
{
    char *w = s;
    for (const char *p = s; *p;) {
        int hi = p[0] == '%' ? hex_value(p[1]) : -1, lo = hi >= 0 ? hex_value(p[2]) : -1;
        int v = hi * 16 + lo;
        if (hi >= 0 && lo >= 0 && v != 0 && (v == '/' || v == '%') == kept) {
            *w++ = (char)v;
            p += 3;
        } else {
            *w++ = *p++;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    return decode(s, 0);
}

/* 1 when s (as unescape() left it) holds an encoded NUL. */
static int nul_escaped(const char *s)
{
    return s && strstr(s, "%00") != NULL;
}

static enum MHD_Result query_nul(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    (void)kind;
    if (!nul_escaped(key) && !nul_escaped(value)) return MHD_YES;
    *(int *)cls = 1;
    return MHD_NO;
}

/* A %00 in r's URL answered: 404 in the path (no resource has a NUL in its name), 400 in a query
 * key or value. 0 when there is none. */
static int refuse_nul(struct req *r)
{
    int query = 0;
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_nul, &query);
    if (nul_escaped(r->path))
        req_error(r, RS_ENOTFOUND, "path: %00 (a NUL byte) names nothing");
    else if (query)
        req_error(r, RS_EINVAL, "query: %00 (a NUL byte) is no value");
    return nul_escaped(r->path) || query;
}

/* s with the %2F and %25 unescape() kept decoded (arena); s itself when it has none. */
static const char *finish_escapes(struct arena *a, const char *s)
{
    if (!s || !strchr(s, '%')) return s;
    char *out = arena_strdup(a, s);
    decode(out, 1);
    return out;
}

const char *req_query(struct req *r, const char *key)
{
    return finish_escapes(r->arena,
                          MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key));
}

const char *req_header(struct req *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, key);
}

void req_add_header(struct req *r, const char *name, const char *value)
{
    if (r->nhdr < 4) {
        r->hdr[r->nhdr][0] = name;
        r->hdr[r->nhdr][1] = value;
        r->nhdr++;
    }
}

void req_stream(struct req *r, int status, const char *type, MHD_ContentReaderCallback read,
                void *cls, MHD_ContentReaderFreeCallback free_cls)
{
    if (r->stream_free) r->stream_free(r->stream_cls);
    free(r->resp);
    r->resp = NULL;
    r->resp_len = 0;
    r->stream_read = read;
    r->stream_free = free_cls;
    r->stream_cls = cls;
    r->resp_type = type;
    r->status = status;
}

/* Drops a stream the answer no longer uses (an error replaced it, or it was never sent). */
static void drop_stream(struct req *r)
{
    if (r->stream_free) r->stream_free(r->stream_cls);
    r->stream_read = NULL;
    r->stream_free = NULL;
    r->stream_cls = NULL;
}

void req_response(struct req *r, int status, const char *type, const char *body, size_t n)
{
    drop_stream(r);
    free(r->resp);
    r->resp = xmalloc(n + 1);
    memcpy(r->resp, body, n);
    r->resp_len = n;
    r->resp_type = type;
    r->status = status;
}

void req_json_response(struct req *r, int status, json_t *v)
{
    drop_stream(r);
    struct buf out = BUF_INIT(0);
    int rc = v ? json_write(&out, v) : -1;
    json_decref(v);
    if (rc) { /* only when building the value failed (out of memory, or invalid UTF-8) */
        buf_free(&out);
        req_error(r, RS_EINTERNAL, "cannot encode the answer");
        return;
    }
    free(r->resp);
    r->resp_len = out.len;
    r->resp = buf_take(&out);
    r->resp_type = "application/json";
    r->status = status;
}

/* Messages may quote input; make them valid UTF-8 for JSON by replacing non-ASCII bytes. */
static json_t *safe_string(const char *s)
{
    json_t *v = json_string(s);
    if (v) return v;
    char tmp[256];
    size_t i;
    for (i = 0; s[i] && i < sizeof(tmp) - 1; i++)
        tmp[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
    tmp[i] = '\0';
    return json_string(tmp);
}

/* Hello Retail's error shape (routes with R_COLLECT, SPEC §6.2). */
static void collect_error(struct req *r, int err, const char *msg)
{
    int status = rs_httpstatus(err);
    status = status == 429 ? 429 : status >= 500 ? 500 : 400;
    json_t *o = json_pack("{s:b,s:o}", "success", 0, "message",
                          safe_string(msg && *msg ? msg : rs_strerror(err)));
    req_json_response(r, status, o);
}

void req_error(struct req *r, int err, const char *msg)
{
    if (r->route && (r->route->flags & R_COLLECT)) {
        collect_error(r, err, msg);
        return;
    }
    json_t *e = json_object();
    json_object_set_new(e, "code", json_string(rs_errcode(err)));
    json_object_set_new(e, "message", safe_string(msg && *msg ? msg : rs_strerror(err)));
    req_json_response(r, rs_httpstatus(err), json_pack("{s:o}", "error", e));
}

void req_fail(struct req *r, const struct rs_status *st)
{
    req_error(r, st->err, st->msg);
}

/* Parses an optional decimal query parameter within [lo, hi]. -1 when malformed. */
int req_query_int(struct req *r, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
    const char *v = req_query(r, key);
    if (!v) return 0;
    char *end;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || n < lo || n > hi) return -1;
    *out = n;
    return 0;
}

json_t *req_json(struct req *r)
{
    struct rs_status st = {0};
    json_t *v = json_parse_strict(r->body.p ? r->body.p : "", r->body.len, &st);
    if (!v) req_fail(r, &st);
    return v;
}

static int job_run(struct tx *tx, void *arg, struct rs_status *st)
{
    struct req *r = arg;
    return r->run(tx, r->run_arg, st);
}

static void job_done(struct store_job *job)
{
    struct req *r = job->arg;
    r->state = ST_READY;
    MHD_resume_connection(r->conn); /* counted until answered: see on_completed */
}

/* The start of a wait for work done on another thread: counted in jobs_in_flight, and the
 * connection suspended (first: the work may end, and resume it, before the handler returns).
 * 1 to go on; 0 when the server is stopping and r was answered at once. */
static int begin_wait(struct req *r, void (*finish)(struct req *r))
{
    r->finish = finish;
    atomic_fetch_add(&jobs_in_flight, 1);
    if (atomic_load(&stopping)) { /* counted first: http_stop either waits for it or sees this */
        atomic_fetch_sub(&jobs_in_flight, 1);
        rs_fail(&r->job.status, RS_EUNAVAILABLE, "shutting down"); /* what finish() reads */
        if (r->finish_always)
            finish(r);
        else
            req_fail(r, &r->job.status);
        return 0;
    }
    r->state = ST_WAIT;
    r->waited = 1;
    r->job.done = job_done;
    r->job.arg = r;
    MHD_suspend_connection(r->conn);
    return 1;
}

int req_submit(struct req *r, int (*run)(struct tx *, void *, struct rs_status *), void *arg,
               void (*finish)(struct req *r))
{
    r->run = run;
    r->run_arg = arg;
    if (!begin_wait(r, finish)) return RS_OK;
    r->job.run = job_run;
    committer_submit(r->app->cm, &r->job);
    return RS_PENDING;
}

struct offload {
    struct req *r;
    int (*fn)(void *arg, struct rs_status *st);
};

/* Offloaded requests running at once, each on a thread, for at most an outside service's
 * timeout: bounded, so a script (or a leaked key) cannot pile up threads. */
#define OFFLOAD_MAX 8
static atomic_int offloads;

static void *offload_main(void *arg)
{
    struct offload *o = arg;
    struct store_job *j = &o->r->job;
    j->status = (struct rs_status){0};
    int rc = o->fn(o->r->run_arg, &j->status);
    if (rc && !j->status.err) rs_fail(&j->status, rc, "%s", rs_strerror(rc));
    atomic_fetch_sub(&offloads, 1);
    job_done(j); /* the last use of o and r: the answer may free them at once */
    return NULL;
}

int req_offload(struct req *r, int (*fn)(void *arg, struct rs_status *st), void *arg,
                void (*finish)(struct req *r))
{
    r->run_arg = arg;
    if (atomic_fetch_add(&offloads, 1) >= OFFLOAD_MAX) {
        atomic_fetch_sub(&offloads, 1);
        req_error(r, RS_ERATE,
                  arena_printf(r->arena, "busy: %d requests wait on outside services already",
                               OFFLOAD_MAX));
        req_add_header(r, "Retry-After", "5");
        return RS_OK;
    }
    if (!begin_wait(r, finish)) {
        atomic_fetch_sub(&offloads, 1);
        return RS_OK;
    }
    struct offload *o = arena_alloc(r->arena, sizeof(*o));
    *o = (struct offload){r, fn};
    pthread_attr_t at;
    pthread_t t;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &at, offload_main, o)) offload_main(o); /* no thread: here, then */
    pthread_attr_destroy(&at);
    return RS_PENDING;
}

/* ---- routing ------------------------------------------------------------------------------- */

/* Matches path against pattern, capturing "{x}" segments into params (arena). */
static int match(const char *pattern, const char *path, struct arena *a,
                 const char *params[MAX_PARAMS])
{
    int np = 0;
    while (*pattern && *path) {
        if (*pattern == '{') {
            const char *end = strchr(path, '/');
            size_t n = end ? (size_t)(end - path) : strlen(path);
            if (n == 0 || np == MAX_PARAMS) return 0;
            params[np++] = finish_escapes(a, arena_strndup(a, path, n));
            path += n;
            pattern = strchr(pattern, '}') + 1;
        } else if (*pattern++ != *path++) {
            return 0;
        }
    }
    return !*pattern && !*path;
}

/* Finds the route; sets *path_known when some route has this path with another method. */
static int find_route(struct req *r, const char *method, int *path_known)
{
    *path_known = 0;
    for (int i = 0; i < nroutes; i++) {
        const char *params[MAX_PARAMS] = {0};
        if (!match(routes[i].pattern, r->path, r->arena, params)) continue;
        if (strcmp(routes[i].method, method) != 0) {
            *path_known = 1;
            if (strcmp(method, "OPTIONS") == 0 && (routes[i].flags & R_PUBLIC)) return -2 - i;
            continue;
        }
        memcpy(r->params, params, sizeof(params));
        return i;
    }
    return -1;
}

/* The methods r's path answers, for a 405's Allow, in the arena: its routes' methods, HEAD with
 * GET, and OPTIONS (preflights) when one of them is public. *flags: its routes' flags, OR-ed. */
static const char *path_methods(struct req *r, unsigned *flags)
{
    static const char *const order[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    int has[sizeof(order) / sizeof(order[0])] = {0};
    *flags = 0;
    for (int i = 0; i < nroutes; i++) {
        const char *params[MAX_PARAMS] = {0};
        if (!match(routes[i].pattern, r->path, r->arena, params)) continue;
        *flags |= routes[i].flags;
        for (size_t m = 0; m < sizeof(order) / sizeof(order[0]); m++)
            has[m] |= strcmp(routes[i].method, order[m]) == 0;
    }
    has[1] |= has[0];
    has[6] |= (*flags & R_PUBLIC) != 0;
    char *out = arena_alloc(r->arena, 64);
    size_t n = 0;
    out[0] = '\0';
    for (size_t m = 0; m < sizeof(order) / sizeof(order[0]); m++)
        if (has[m]) n += (size_t)snprintf(out + n, 64 - n, "%s%s", n ? ", " : "", order[m]);
    return out;
}

static int content_type_ok(struct req *r)
{
    const char *ct = req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!ct) return 0;
    size_t n = strcspn(ct, ";");
    while (n && ct[n - 1] == ' ')
        n--;
    int json = n == 16 && strncasecmp(ct, "application/json", 16) == 0;
    int text = n == 10 && strncasecmp(ct, "text/plain", 10) == 0;
    if (!(json || (text && (r->route->flags & R_PUBLIC)))) return 0;
    const char *cs = strcasestr(ct, "charset=");
    return !cs || strncasecmp(cs + 8, "utf-8", 5) == 0 || strncasecmp(cs + 8, "\"utf-8\"", 7) == 0;
}

static int authenticate(struct req *r)
{
    const char *h = req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
        req_error(r, RS_EUNAUTH, "Authorization: expected Bearer API_KEY");
        return RS_EUNAUTH;
    }
    int rc = shop_authenticate(r->app, h + 7, r->arena, &r->shop);
    if (rc) req_error(r, rc, rc == RS_EUNAUTH ? "Authorization: wrong API key" : NULL);
    return rc;
}

static int rate_limited(struct req *r)
{
    int retry = 0;
    if (ratelimit_take(r->app->rl_ip, r->client, strlen(r->client), (int64_t)now_ms(), &retry))
        return 0;
    if (r->route->flags & R_TRACK) {
        r->over_limit = 1;
        return 0;
    }
    char *v = arena_printf(r->arena, "%d", retry);
    req_error(r, RS_ERATE, "too many requests from this address");
    req_add_header(r, "Retry-After", v);
    return 1;
}

struct query_check {
    const char *allowed; /* the route's list, "a,b,c" (NULL: none) */
    const char *unknown; /* the first key not in it */
};

static enum MHD_Result query_known(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind, (void)value;
    struct query_check *q = cls;
    size_t n = strlen(key);
    for (const char *p = q->allowed; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] != 0))
        if (strcspn(p, ",") == n && memcmp(p, key, n) == 0) return MHD_YES;
    q->unknown = key;
    return MHD_NO;
}

/* An admin route given a query parameter it does not take: answered 400 naming it. */
static int unknown_query(struct req *r)
{
    struct query_check q = {r->route->query, NULL};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_known, &q);
    if (!q.unknown) return 0;
    const char *key = finish_escapes(r->arena, q.unknown);
    req_error(r, RS_EINVAL,
              q.allowed ? arena_printf(r->arena, "%s: unknown query parameter; this path takes %s",
                                       key, q.allowed)
                        : arena_printf(r->arena,
                                       "%s: unknown query parameter; this path takes none", key));
    return 1;
}

/* Runs the route's shared checks, then its handler. Returns RS_PENDING when the answer comes
 * later; otherwise the answer is set. */
static int dispatch(struct req *r)
{
    const struct route *rt = r->route;
    if ((rt->flags & R_PUBLIC) && rate_limited(r)) return RS_OK;
    if ((rt->flags & R_ADMIN) && (authenticate(r) || unknown_query(r))) return RS_OK;
    if (r->body.toobig) {
        req_error(r, RS_ETOOBIG, NULL);
        return RS_OK;
    }
    if ((rt->flags & R_BODY) && !content_type_ok(r)) {
        req_error(r, RS_EMEDIA,
                  (rt->flags & R_PUBLIC)
                      ? "Content-Type: expected application/json or text/plain (UTF-8)"
                      : "Content-Type: expected application/json (UTF-8)");
        return RS_OK;
    }
    return rt->fn(r);
}

/* ---- MHD callbacks ------------------------------------------------------------------------- */

static void client_address(struct MHD_Connection *c, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, cap, "?");
    if (!ci || !ci->client_addr) return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)cap);
}

static void add_cors(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
    MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    MHD_add_response_header(resp, "Access-Control-Allow-Headers", "Content-Type");
    MHD_add_response_header(resp, "Access-Control-Max-Age", "86400");
}

static enum MHD_Result send_answer(struct req *r)
{
    if (!r->status) req_error(r, RS_EINTERNAL, "no answer");
    struct MHD_Response *resp;
    if (r->stream_read) {
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, r->stream_read,
                                                 r->stream_cls, r->stream_free);
        if (!resp) drop_stream(r);
        r->stream_read = NULL; /* the response owns the stream now */
        r->stream_free = NULL;
        r->stream_cls = NULL;
        if (!resp) return MHD_NO;
    } else {
        resp = MHD_create_response_from_buffer(r->resp_len, r->resp ? r->resp : (void *)"",
                                               r->resp ? MHD_RESPMEM_MUST_FREE
                                                       : MHD_RESPMEM_PERSISTENT);
    }
    r->resp = NULL;
    if (r->resp_type) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->resp_type);
    int cache_set = 0; /* a handler's own Cache-Control replaces the default */
    for (int i = 0; i < r->nhdr; i++)
        cache_set |= strcasecmp(r->hdr[i][0], MHD_HTTP_HEADER_CACHE_CONTROL) == 0;
    if (!cache_set) MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (r->cors) add_cors(resp);
    for (int i = 0; i < r->nhdr; i++)
        MHD_add_response_header(resp, r->hdr[i][0], r->hdr[i][1]);
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    r->state = ST_SENT;
    return ret;
}

static struct req *req_new(struct app *app, struct MHD_Connection *conn, const char *url,
                           const char *method)
{
    struct req *r = xcalloc(1, sizeof(*r));
    r->t0 = now_ms();
    r->arena = arena_new();
    r->conn = conn;
    r->app = app;
    r->method = arena_strdup(r->arena, method);
    r->path = arena_strdup(r->arena, url);
    r->body = BUF_INIT((size_t)app->cfg->body_limit);
    r->route_index = -1;
    client_address(conn, r->client, sizeof(r->client));
    return r;
}

/* State NEW: match the route. A %00 in the URL, 404, 405 and preflights are decided now and
 * sent once the request has been read; a declared oversize body is refused at once (*answered). */
static enum MHD_Result on_headers(struct req *r, int *answered)
{
    int known;
    const char *m = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
    int i = find_route(r, m, &known);
    *answered = 0;
    r->state = ST_BODY;
    if (i <= -2) { /* CORS preflight of a public route */
        r->route_index = -2 - i;
        r->preflight = 1;
        r->cors = 1;
        req_response(r, 204, NULL, "", 0);
        return MHD_YES;
    }
    if (i >= 0) {
        r->route = &routes[i];
        r->route_index = i;
        r->cors = (r->route->flags & R_PUBLIC) != 0;
    }
    if (refuse_nul(r)) return MHD_YES;
    if (i < 0 && !known) {
        req_error(r, RS_ENOTFOUND, "no such path");
        return MHD_YES;
    }
    if (i < 0) { /* a public path's 405 has CORS, so a storefront's script can read it */
        unsigned flags;
        const char *allow = path_methods(r, &flags);
        const char *msg = arena_printf(r->arena, "method not allowed; this path takes %s", allow);
        r->cors = (flags & R_PUBLIC) != 0;
        if (flags & R_COLLECT) /* Hello Retail's shape, as the path's other errors */
            collect_error(r, RS_EMETHOD, msg);
        else
            req_error(r, RS_EMETHOD, msg);
        req_add_header(r, "Allow", allow);
        return MHD_YES;
    }
    if (r->route->body_limit > r->body.limit) r->body.limit = r->route->body_limit;
    const char *cl = req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > r->body.limit) {
        req_error(r, RS_ETOOBIG, NULL);
        *answered = 1;
        return send_answer(r);
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **ctx)
{
    (void)version;
    struct req *r = *ctx;
    if (!r) {
        /* answering now would cost the connection (MHD closes it when a response is queued
         * before the request was read), so only a declared oversize body is refused here */
        r = *ctx = req_new(cls, conn, url, method);
        int answered;
        enum MHD_Result ret = on_headers(r, &answered);
        return ret;
    }
    if (r->state == ST_BODY && *upload_data_size) {
        buf_append(&r->body, upload_data, *upload_data_size); /* over the limit: toobig */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->state == ST_READY) {
        if (r->job.status.err && !r->finish_always)
            req_fail(r, &r->job.status);
        else
            r->finish(r);
    } else if (r->state != ST_BODY) {
        return MHD_YES; /* resumed spuriously, or already answered */
    } else if (!r->status && dispatch(r) == RS_PENDING) {
        r->app->ops->reader_release(r->app->store);
        return MHD_YES;
    }
    r->app->ops->reader_release(r->app->store);
    return send_answer(r);
}

static void sanitize(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f || *s == '"' || *s == '\\')
            *s = '?';
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **ctx,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct req *r = *ctx;
    if (!r) return;
    double ms = now_ms() - r->t0;
    metrics_observe(r->route_index, r->status, ms);
    char *path = arena_strdup(r->arena, r->path), *method = arena_strdup(r->arena, r->method);
    sanitize(path);
    sanitize(method);
    log_access(method, path, r->route ? r->route->name : NULL, r->status, ms, r->client);
    /* a request that waited stops counting once its answer is sent (or its connection gone),
     * not at its resume: http_stop must not close a connection whose write is not answered */
    if (r->waited) atomic_fetch_sub(&jobs_in_flight, 1);
    drop_stream(r);
    free(r->resp);
    buf_free(&r->body);
    arena_free(r->arena);
    free(r);
    *ctx = NULL;
}

/* ---- start and stop ------------------------------------------------------------------------ */

/* New connections once a stop began: refused (closed at once), as a stop accepts nothing new.
 * Not MHD_quiesce_daemon, which in libmicrohttpd's epoll mode races its own threads for the
 * listening socket and may abort the process ("Failed to remove listen FD from epoll set"). */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t len)
{
    (void)cls, (void)addr, (void)len;
    return atomic_load(&stopping) ? MHD_NO : MHD_YES;
}

static int resolve(const char *listen, struct sockaddr_storage *ss, struct rs_status *st)
{
    const char *colon = strrchr(listen, ':');
    char host[256];
    size_t hn = (size_t)(colon - listen);
    if (hn >= sizeof(host)) return rs_fail(st, RS_EUSAGE, "listen: host too long");
    memcpy(host, listen, hn);
    host[hn] = '\0';
    char *h = host;
    if (hn >= 2 && host[0] == '[' && host[hn - 1] == ']') {
        host[hn - 1] = '\0';
        h = host + 1;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
                    *res = NULL;
    int rc = getaddrinfo(*h ? h : NULL, colon + 1, &hints, &res);
    if (rc) return rs_fail(st, RS_EUSAGE, "listen: %s: %s", listen, gai_strerror(rc));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return RS_OK;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_msg(LOG_WARN, "http: %s", msg);
}

/* The listening socket, opened here rather than by MHD so that a failure is one line saying why
 * (MHD would log its own line first). -1 on failure. */
static int listen_socket(const struct sockaddr_storage *ss, const char *addr, struct rs_status *st)
{
    socklen_t len =
        ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    int one = 1, fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        rs_fail(st, RS_EINTERNAL, "cannot listen on %s: %s", addr, strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss->ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (const struct sockaddr *)ss, len) || listen(fd, 1024)) {
        rs_fail(st, RS_EINTERNAL, "cannot listen on %s: %s", addr, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

struct http_server *http_start(struct app *app, struct rs_status *st)
{
    struct sockaddr_storage ss = {0};
    if (resolve(app->cfg->listen, &ss, st)) return NULL;
    int fd = listen_socket(&ss, app->cfg->listen, st);
    if (fd < 0) return NULL;
    unsigned threads = app->cfg->threads > 0 ? (unsigned)app->cfg->threads
                                             : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1) threads = 1;
    struct http_server *srv = xcalloc(1, sizeof(*srv));
    srv->app = app;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     MHD_USE_TURBO;
    if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    srv->d = MHD_start_daemon(
        flags, 0, accept_policy, NULL, on_request, app, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_UNESCAPE_CALLBACK, unescape,
        NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)20000, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY, MHD_OPTION_END);
    if (!srv->d) {
        close(fd);
        free(srv);
        rs_fail(st, RS_EINTERNAL, "cannot listen on %s (address in use or not available)",
                app->cfg->listen);
        return NULL;
    }
    return srv;
}

void http_stop(struct http_server *srv)
{
    if (!srv) return;
    atomic_store(&stopping, 1);           /* from here accept_policy refuses every new connection */
    atomic_store(&srv->app->stopping, 1); /* and a test send in flight gives up */
    log_msg(LOG_INFO, "stopping: %d requests to answer", (int)atomic_load(&jobs_in_flight));
    /* Suspended requests get their durable answer before the connections close. However long
     * the disk takes: every job is answered in the end (a failure too), and stopping the daemon
     * with requests suspended would free them under the committer's done(). */
    for (int i = 1; atomic_load(&jobs_in_flight) > 0; i++) {
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        if (i % 500 == 0)
            log_msg(LOG_WARN, "stopping: %d requests still to answer",
                    (int)atomic_load(&jobs_in_flight));
    }
    MHD_stop_daemon(srv->d); /* closes the listening socket too */
    free(srv);
}
