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

/* The hot path: one line per request, built with one snprintf (no JSON library). The HTTP layer
 * passes printable ASCII with no quote or backslash, so no escaping is needed. */
void log_access(const char *method, const char *path, const char *route, int status, double ms,
                const char *client)
{
    char line[1024];
    int n;
    if (json_mode)
        n = snprintf(line, sizeof(line),
                     "{\"ts\":\"%s\",\"level\":\"info\",\"msg\":\"access\",\"method\":\"%s\","
                     "\"path\":\"%.600s\",\"route\":%s%s%s,\"status\":%d,\"ms\":%.3f,"
                     "\"client\":\"%s\"}\n",
                     stamp_now(), method, path, route ? "\"" : "", route ? route : "null",
                     route ? "\"" : "", status, ms, client);
    else
        n = snprintf(line, sizeof(line), "%s info  %s %.600s %d %.2fms %s\n", stamp_now(), method,
                     path, status, ms, client);
    if (n < 0) return;
    if ((size_t)n >= sizeof(line)) n = sizeof(line) - 1;
    ssize_t off = 0;
    while (off < n) {
        ssize_t w = write(STDERR_FILENO, line + off, (size_t)(n - off));
        if (w <= 0) break;
        off += w;
    }
}
