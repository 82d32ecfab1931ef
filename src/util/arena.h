/*
 * arena — a per-request memory pool (h2o's h2o_mem_pool_t).
 *
 * Everything a request handler allocates comes from its arena and is released in one
 * arena_free() when the response has been sent. Allocation aborts on out-of-memory. Blocks are
 * chained; large allocations get a block of their own. An arena is not thread-safe: one request,
 * one thread at a time. arena_free(NULL) is fine.
 */
#ifndef RESTOCK_ARENA_H
#define RESTOCK_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

struct arena *arena_new(void);
void arena_free(struct arena *a);
void *arena_alloc(struct arena *a, size_t n); /* 16-byte aligned, zeroed */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
