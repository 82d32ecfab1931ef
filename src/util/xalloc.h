/*
 * xalloc — restock's one out-of-memory policy.
 *
 * restock is a server: when malloc fails there is no sensible partial answer, so every allocation
 * goes through these wrappers, which print one line and abort (as Redis and h2o do). Callers never
 * check for NULL. All returned memory is the caller's to free(); free(NULL) is fine.
 */
#ifndef RESTOCK_XALLOC_H
#define RESTOCK_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
