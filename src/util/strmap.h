/*
 * strmap — a map from byte strings to int, for sets of identifiers up to millions (the order
 * numbers of an order feed).
 *
 * Open addressing with linear probing over a power-of-two table of entry pointers, at most 3/4
 * full; each key is copied with its value into one arena, so a map is freed in one call and
 * entries never move. Memory per key: 11 to 22 bytes of table (by how full it is) plus the entry,
 * its key, length and value rounded up to 16 bytes: 16 for a key of up to 8 bytes, 32 up to 24 —
 * a million 10-byte keys take about 50 MiB at most. Keys may hold any byte, NUL included, and are
 * shorter than 4 GiB. Out of memory aborts (xalloc.h). Not thread-safe.
 */
#ifndef RESTOCK_STRMAP_H
#define RESTOCK_STRMAP_H

#include <stddef.h>

struct strmap;

struct strmap *strmap_new(void);
void strmap_free(struct strmap *m); /* NULL is fine */

/* The value of key s (n bytes), to read or write through: NULL when the key is absent, unless
 * add, which adds it with value 0 (a key of 4 GiB or more is never added: NULL). The pointer
 * stays valid until strmap_free. */
int *strmap_get(struct strmap *m, const char *s, size_t n, int add);

size_t strmap_count(const struct strmap *m);

#endif
