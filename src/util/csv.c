/*
 * csv — RFC 4180 fields and records; see csv.h.
 */
#include "util/csv.h"

#include <string.h>

static int needs_quotes(const char *s, size_t n)
{
    if (n && (s[0] == ' ' || s[n - 1] == ' ')) return 1;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n') return 1;
    return 0;
}

void csv_fieldn(struct buf *b, const char *s, size_t n, int first)
{
    if (!first) buf_putc(b, ',');
    if (!s || !n) return;
    if (!needs_quotes(s, n)) {
        buf_append(b, s, n);
        return;
    }
    buf_putc(b, '"');
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '"') continue;
        buf_append(b, s + from, i + 1 - from); /* up to and including the quote */
        buf_putc(b, '"');                      /* doubled */
        from = i + 1;
    }
    buf_append(b, s + from, n - from);
    buf_putc(b, '"');
}

void csv_field(struct buf *b, const char *s, int first)
{
    csv_fieldn(b, s, s ? strlen(s) : 0, first);
}

void csv_end(struct buf *b)
{
    buf_append(b, "\r\n", 2);
}
