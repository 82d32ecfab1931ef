/*
 * log — JSON-lines or text logging to stderr; see log.h. Messages are JSON-escaped by jansson so
 * a log line is always one valid JSON object whatever the message holds.
 */
#include "util/log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/timeutil.h"

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

static void emit(struct buf *b)
{
    buf_putc(b, '\n');
    ssize_t off = 0;
    while ((size_t)off < b->len) {
        ssize_t n = write(STDERR_FILENO, b->p + off, b->len - (size_t)off);
        if (n <= 0) break;
        off += n;
    }
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
        json_t *o = json_pack("{s:s,s:s%}", "level", level_names[lvl], "msg", msg.p ? msg.p : "",
                              msg.len);
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

void log_access(const char *method, const char *path, const char *route, int status, double ms,
                const char *client)
{
    struct buf b = BUF_INIT(0);
    if (json_mode) {
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:i,s:f,s:s}", "level", "info", "msg", "access",
                              "method", method, "path", path, "status", status, "ms", ms, "client",
                              client);
        if (!o) return; /* callers pass printable ASCII; anything else is not logged */
        json_object_set_new(o, "route", json_string(route));
        char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(4));
        buf_puts(&b, "{\"ts\":\"");
        stamp(&b);
        buf_printf(&b, "\",%s", s + 1);
        free(s);
        json_decref(o);
    } else {
        stamp(&b);
        buf_printf(&b, " info  %s %s %d %.2fms %s", method, path, status, ms, client);
    }
    emit(&b);
}
