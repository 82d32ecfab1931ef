/*
 * ratelimit — GCRA over a fixed open-addressed table; see ratelimit.h.
 * A slot holds a 64-bit key hash and its TAT (ms). Emission interval T = period / limit,
 * tolerance tau = period - T, so `limit` requests fit in an idle key's burst.
 */
#include "core/ratelimit.h"

#include <pthread.h>
#include <stdlib.h>

#include "util/xalloc.h"

#define SLOTS   (1u << 16)
#define STRIPES 64
#define PROBE   4

struct slot {
    uint64_t key;
    int64_t tat;
};

struct ratelimit {
    int64_t interval, tau; /* ms */
    pthread_mutex_t mu[STRIPES];
    struct slot slots[SLOTS];
};

struct ratelimit *ratelimit_new(long limit, int64_t period_s)
{
    if (limit <= 0) return NULL;
    struct ratelimit *rl = xcalloc(1, sizeof(*rl));
    rl->interval = period_s * 1000 / limit;
    if (rl->interval < 1) rl->interval = 1;
    rl->tau = period_s * 1000 - rl->interval;
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&rl->mu[i], NULL);
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl) return;
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&rl->mu[i]);
    free(rl);
}

static uint64_t hash(const void *key, size_t n)
{
    const unsigned char *p = key;
    uint64_t h = 1469598103934665603ull; /* FNV-1a, then a final mix */
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h | 1; /* 0 marks an empty slot */
}

void ratelimit_give_back(struct ratelimit *rl, const void *key, size_t n, int64_t now_ms)
{
    if (!rl) return;
    uint64_t h = hash(key, n);
    unsigned base = (unsigned)(h % (SLOTS / PROBE)) * PROBE;
    pthread_mutex_t *mu = &rl->mu[(base / PROBE) % STRIPES];
    pthread_mutex_lock(mu);
    for (unsigned i = 0; i < PROBE; i++) {
        struct slot *c = &rl->slots[base + i];
        if (c->key != h) continue;
        c->tat -= rl->interval;
        if (c->tat < now_ms) c->tat = now_ms;
        break;
    }
    pthread_mutex_unlock(mu);
}

int ratelimit_take(struct ratelimit *rl, const void *key, size_t n, int64_t now_ms,
                   int *retry_after)
{
    if (!rl) return 1;
    uint64_t h = hash(key, n);
    /* the probe window never crosses a stripe: slots are grouped by stripe */
    unsigned base = (unsigned)(h % (SLOTS / PROBE)) * PROBE;
    pthread_mutex_t *mu = &rl->mu[(base / PROBE) % STRIPES];
    pthread_mutex_lock(mu);
    struct slot *s = NULL, *victim = &rl->slots[base];
    for (unsigned i = 0; i < PROBE; i++) {
        struct slot *c = &rl->slots[base + i];
        if (c->key == h) {
            s = c;
            break;
        }
        if (c->tat < victim->tat) victim = c;
    }
    if (!s) { /* a new key takes the least-loaded slot */
        s = victim;
        s->key = h;
        s->tat = now_ms;
    }
    int64_t tat = s->tat > now_ms ? s->tat : now_ms;
    int ok = tat - now_ms <= rl->tau;
    if (ok)
        s->tat = tat + rl->interval;
    else
        *retry_after = (int)((tat - rl->tau - now_ms + 999) / 1000);
    pthread_mutex_unlock(mu);
    if (!ok && *retry_after < 1) *retry_after = 1;
    return ok;
}
