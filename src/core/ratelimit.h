/*
 * ratelimit — per-key request limits (client addresses, contacts), in memory.
 *
 * GCRA (a token bucket kept as one "theoretical arrival time" per key): `limit` requests per
 * `period` seconds, with a burst of `limit`. Keys live in a fixed table (no allocation per
 * request, bounded memory): a key whose slot is taken by a busy other key probes a few slots
 * and then evicts the least-loaded one, which can only make the limit more lenient, never
 * refuse a request wrongly. Thread-safe (striped locks).
 */
#ifndef RESTOCK_RATELIMIT_H
#define RESTOCK_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

struct ratelimit;

/* limit 0 makes a limiter that allows everything. */
struct ratelimit *ratelimit_new(long limit, int64_t period_s);
void ratelimit_free(struct ratelimit *rl);
/* 1 when the request is allowed (and counted); 0 when limited, with *retry_after the seconds to
 * wait (at least 1). now_ms: a monotonic clock in milliseconds. */
int ratelimit_take(struct ratelimit *rl, const void *key, size_t n, int64_t now_ms,
                   int *retry_after);

/* Gives back the request the key's last ratelimit_take counted (one that was then refused for
 * another reason, so it should not count against the limit). */
void ratelimit_give_back(struct ratelimit *rl, const void *key, size_t n, int64_t now_ms);

#endif
