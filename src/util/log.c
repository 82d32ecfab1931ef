/*
 * log — JSON-lines or text logging to stderr; see log.h. Messages are JSON-escaped by jansson so
 * a log line is always one valid JSON object whatever the message holds.
 */
#include "util/log.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static int json_mode = 1;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_init(const char *format)
{
    if (format && strcmp(format, "json") == 0)
        json_mode = 1;
    else if (format && strcmp(format, "text") == 0)
        json_mode = 0;
    else
        json_mode = !isatty(STDERR_FILENO);
}

static void write_all(const char *p, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(STDERR_FILENO, p + off, len - off);
        if (n <= 0) break;
        off += (size_t)n;
    }
}

static void emit(struct buf *b)
{
    buf_putc(b, '\n');
    write_all(b->p, b->len);
    buf_free(b);
}

static void stamp(struct buf *b)
{
    char ts[32];
    rfc3339_format(now_s(), ts, sizeof(ts));
    buf_puts(b, ts);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    struct buf msg = BUF_INIT(0), b = BUF_INIT(0);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    if (json_mode) {
        json_t *o =
            json_pack("{s:s,s:s%}", "level", level_names[lvl], "msg", msg.p ? msg.p : "", msg.len);
        if (!o) o = json_pack("{s:s,s:s}", "level", level_names[lvl], "msg", "(invalid UTF-8)");
        char *s = json_dumps(o, JSON_COMPACT);
        buf_puts(&b, "{\"ts\":\"");
        stamp(&b);
        buf_printf(&b, "\",%s", s + 1);
        free(s);
        json_decref(o);
    } else {
        stamp(&b);
        buf_printf(&b, " %-5s %s", level_names[lvl], msg.p ? msg.p : "");
    }
    buf_free(&msg);
    emit(&b);
}

/* ---- the access log ------------------------------------------------------------------------
 *
 * One write(2) per request cost more than building its line, so access lines collect in a
 * per-thread buffer of whole lines, written when it fills and by the flusher thread every
 * FLUSH_MS. A buffer's mutex is only ever contended by the flusher. Lock order: abufs_mu, then
 * a buffer's mu. A thread's buffer is written and freed when the thread exits.
 */
#define ACCESS_BUF  8192
#define ACCESS_LINE 1024
#define FLUSH_MS    100

struct abuf {
    pthread_mutex_t mu;
    size_t len;
    struct abuf *next;
    char data[ACCESS_BUF];
};

static struct abuf *abufs;
static pthread_mutex_t abufs_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t abuf_key;
static pthread_once_t abuf_once = PTHREAD_ONCE_INIT;
static _Thread_local struct abuf *tl_abuf;

static void abuf_write(struct abuf *b) /* b->mu held */
{
    write_all(b->data, b->len);
    b->len = 0;
}

static void abuf_release(void *arg) /* at thread exit */
{
    struct abuf *b = arg;
    pthread_mutex_lock(&abufs_mu);
    for (struct abuf **p = &abufs; *p; p = &(*p)->next)
        if (*p == b) {
            *p = b->next;
            break;
        }
    pthread_mutex_lock(&b->mu);
    abuf_write(b);
    pthread_mutex_unlock(&b->mu);
    pthread_mutex_unlock(&abufs_mu);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

void log_flush(void)
{
    pthread_mutex_lock(&abufs_mu);
    for (struct abuf *b = abufs; b; b = b->next) {
        pthread_mutex_lock(&b->mu);
        abuf_write(b);
        pthread_mutex_unlock(&b->mu);
    }
    pthread_mutex_unlock(&abufs_mu);
}

static void *flusher(void *arg)
{
    (void)arg;
    for (;;) {
        nanosleep(&(struct timespec){0, FLUSH_MS * 1000000L}, NULL);
        log_flush();
    }
    return NULL;
}

static void abuf_setup(void)
{
    pthread_t t;
    pthread_key_create(&abuf_key, abuf_release);
    if (pthread_create(&t, NULL, flusher, NULL) == 0) pthread_detach(t);
}

static struct abuf *thread_abuf(void)
{
    if (tl_abuf) return tl_abuf;
    pthread_once(&abuf_once, abuf_setup);
    struct abuf *b = xmalloc(sizeof(*b));
    pthread_mutex_init(&b->mu, NULL);
    b->len = 0;
    pthread_mutex_lock(&abufs_mu);
    b->next = abufs;
    abufs = b;
    pthread_mutex_unlock(&abufs_mu);
    pthread_setspecific(abuf_key, b);
    return tl_abuf = b;
}

/* The RFC 3339 stamp of the current second, formatted once per second per thread. */
static const char *stamp_now(void)
{
    static _Thread_local int64_t at = -1;
    static _Thread_local char ts[32];
    int64_t t = now_s();
    if (t != at) {
        rfc3339_format(t, ts, sizeof(ts));
        at = t;
    }
    return ts;
}

/* A line being built in a fixed buffer; appends past `cap` are cut. */
struct line {
    char *p;
    size_t len, cap;
};

static void put(struct line *l, const char *s, size_t n)
{
    if (n > l->cap - l->len) n = l->cap - l->len;
    memcpy(l->p + l->len, s, n);
    l->len += n;
}

static void put_str(struct line *l, const char *s, size_t max)
{
    put(l, s, strnlen(s, max));
}

/* v in decimal, zero-padded to at least `width` digits. */
static void put_uint(struct line *l, unsigned long v, int width)
{
    char d[24];
    int n = 0;
    do {
        d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v || n < width);
    put(l, d + sizeof(d) - n, (size_t)n);
}

#define PUT_LIT(l, s) put((l), (s), sizeof(s) - 1)

/* The hot path: one line per request, appended piece by piece (no printf, no JSON library) to
 * the thread's buffer. The HTTP layer passes printable ASCII with no quote or backslash, so no
 * escaping is needed. */
void log_access(const char *method, const char *path, const char *route, int status, double ms,
                const char *client)
{
    struct abuf *b = thread_abuf();
    unsigned long us = ms > 0 ? (unsigned long)(ms * 1000 + 0.5) : 0;
    unsigned long st = status > 0 ? (unsigned long)status : 0;
    pthread_mutex_lock(&b->mu);
    if (ACCESS_BUF - b->len < ACCESS_LINE) abuf_write(b);
    struct line l = {b->data + b->len, 0, ACCESS_LINE - 1};
    if (json_mode) {
        PUT_LIT(&l, "{\"ts\":\"");
        put_str(&l, stamp_now(), 32);
        PUT_LIT(&l, "\",\"level\":\"info\",\"msg\":\"access\",\"method\":\"");
        put_str(&l, method, 32);
        PUT_LIT(&l, "\",\"path\":\"");
        put_str(&l, path, 600);
        PUT_LIT(&l, "\",\"route\":");
        if (route) {
            PUT_LIT(&l, "\"");
            put_str(&l, route, 64);
            PUT_LIT(&l, "\"");
        } else {
            PUT_LIT(&l, "null");
        }
        PUT_LIT(&l, ",\"status\":");
        put_uint(&l, st, 1);
        PUT_LIT(&l, ",\"ms\":");
        put_uint(&l, us / 1000, 1);
        PUT_LIT(&l, ".");
        put_uint(&l, us % 1000, 3);
        PUT_LIT(&l, ",\"client\":\"");
        put_str(&l, client, 64);
        PUT_LIT(&l, "\"}");
    } else {
        put_str(&l, stamp_now(), 32);
        PUT_LIT(&l, " info  ");
        put_str(&l, method, 32);
        PUT_LIT(&l, " ");
        put_str(&l, path, 600);
        PUT_LIT(&l, " ");
        put_uint(&l, st, 1);
        PUT_LIT(&l, " ");
        put_uint(&l, us / 1000, 1);
        PUT_LIT(&l, ".");
        put_uint(&l, us % 1000 / 10, 2);
        PUT_LIT(&l, "ms ");
        put_str(&l, client, 64);
    }
    l.p[l.len++] = '\n'; /* cap leaves room for it */
    b->len += l.len;
    pthread_mutex_unlock(&b->mu);
}
