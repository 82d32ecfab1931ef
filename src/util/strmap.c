/*
 * strmap — open-addressing map from strings to int; contract in strmap.h.
 *
 * Invariants: cap is a power of two (or 0 before the first add), count * 4 <= cap * 3, and a key
 * sits in the first free slot at or after (its hash & (cap - 1)), wrapping, so a lookup stops at
 * the first empty slot. Nothing is ever removed.
 */
#include "util/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/xalloc.h"

#define FIRST_CAP 64

struct entry {
    uint32_t len;
    int value;
    char key[];
};

struct strmap {
    struct entry **slot;
    size_t cap, count;
    struct arena *keys;
};

/* FNV-1a, 32 bits: enough to spread keys over the table (equality is by the bytes). */
static uint32_t hash_of(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

struct strmap *strmap_new(void)
{
    struct strmap *m = xcalloc(1, sizeof(*m));
    m->keys = arena_new();
    return m;
}

void strmap_free(struct strmap *m)
{
    if (!m) return;
    arena_free(m->keys);
    free(m->slot);
    free(m);
}

size_t strmap_count(const struct strmap *m)
{
    return m->count;
}

/* The slot where key s is, or the empty one where it would go. */
static struct entry **find(const struct strmap *m, const char *s, size_t n)
{
    size_t i = hash_of(s, n) & (m->cap - 1);
    for (;; i = (i + 1) & (m->cap - 1)) {
        struct entry *e = m->slot[i];
        if (!e || (e->len == n && memcmp(e->key, s, n) == 0)) return &m->slot[i];
    }
}

static void grow(struct strmap *m)
{
    struct entry **old = m->slot;
    size_t ocap = m->cap;
    m->cap = ocap ? ocap * 2 : FIRST_CAP;
    m->slot = xcalloc(m->cap, sizeof(*m->slot));
    for (size_t i = 0; i < ocap; i++)
        if (old[i]) *find(m, old[i]->key, old[i]->len) = old[i];
    free(old);
}

int *strmap_get(struct strmap *m, const char *s, size_t n, int add)
{
    struct entry **at = m->cap ? find(m, s, n) : NULL;
    if (at && *at) return &(*at)->value;
    if (!add || n > UINT32_MAX) return NULL;
    if ((m->count + 1) * 4 > m->cap * 3) {
        grow(m);
        at = find(m, s, n);
    }
    struct entry *e = arena_alloc(m->keys, sizeof(*e) + n);
    e->len = (uint32_t)n;
    memcpy(e->key, s, n);
    *at = e;
    m->count++;
    return &e->value;
}
