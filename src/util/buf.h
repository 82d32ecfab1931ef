/*
 * buf — a growable byte buffer that knows its limit (curl's dynbuf).
 *
 * A buf is always NUL-terminated after its content (p[len] == 0) once anything was appended, so
 * its content can be read as a C string. `limit` (0 = none) caps len: an append that would exceed
 * it appends nothing and returns -1, and the buffer remembers it overflowed (`toobig`).
 * Growth aborts on out-of-memory (xalloc.h). buf_free releases the memory and resets the buf.
 */
#ifndef RESTOCK_BUF_H
#define RESTOCK_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *p;
    size_t len, cap, limit;
    int toobig;
};

#define BUF_INIT(lim) ((struct buf){NULL, 0, 0, (lim), 0})

int buf_append(struct buf *b, const void *data, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Appends s with HTML special characters escaped (& < > " '). */
int buf_html(struct buf *b, const char *s);
void buf_reset(struct buf *b);
/* Hands the content to the caller (to free()); the buf is left empty. Never NULL. */
char *buf_take(struct buf *b);
void buf_free(struct buf *b);

#endif
