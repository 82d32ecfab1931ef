/*
 * outbox — the delivery workers: they take queued notifications from the outbox and send them by
 * email (SMTP), SMS (an HTTP provider) or web push (SPEC §10).
 *
 * Claiming. A worker leases a small batch of due notifications (queued or retrying, not_before
 * passed, lease expired) through the group committer, so two workers — or two processes on one
 * database — never hold the same notification. A lease lasts OUTBOX_LEASE seconds and is renewed
 * before a send that could outlast it; a result is recorded only under the lease it was sent
 * under. A worker that dies holding leases leaves them to be claimed again when they run out, or
 * at once when the store serves one process only (SQLite: leases end when `serve` starts).
 *
 * At most once per worker. Each result (sent, retrying, failed, expired) is made durable before
 * the worker sends its next message. So a crash can repeat only the messages that were handed to
 * a channel in the instant of the crash: at most one per worker.
 *
 * Outcomes. Sent → `sent` and sent_at. A transient failure (connection refused, SMTP 4xx, HTTP
 * 429 or 5xx) → `retrying` with not_before = now + retry_base × 2^(attempts-1) (capped at an hour,
 * or the service's Retry-After), and `failed` once max_attempts is reached. A permanent failure
 * (SMTP 5xx, HTTP 4xx) → `failed` with the reason. Push 404/410 → `failed` and every
 * subscription of that push endpoint at the shop is unsubscribed. Past expires_at → `expired`.
 * A subscription unsubscribed since it was queued → `dropped`. A campaign paused, made a draft,
 * ended or deleted since, or switched to `test` when the contact is not one of its test contacts
 * → `dropped`, and the subscription waits again (SPEC §5: paused sends nobody, test only its
 * test contacts) unless it was unsubscribed meanwhile. A campaign whose starts_at was moved past
 * now → held: it stays queued (or retrying, no attempt used) with not_before = starts_at, its
 * expires_at unchanged; when starts_at is at or past its expires_at it could never go out in
 * time, and is `dropped` at once, the subscription waiting again as for a pause. A channel with no
 * configuration (no smtp_url, no sms_url) is not claimed at all: its notifications stay queued.
 *
 * Give-backs. A message `dropped` before it could have gone out — no attempt, and no lease of it
 * that ended without a result (maybe_sent: the claim after such a lease, or the start-up release,
 * sets it) — gives back, in the drop's transaction, what the fan-out counted for it: its
 * max_sends units, its frequency cap, one of the subscription's notify_count (docs/outbox.md).
 */
#ifndef RESTOCK_OUTBOX_H
#define RESTOCK_OUTBOX_H

#include <stdint.h>

#include "core/app.h"

#define OUTBOX_LEASE 180

struct outbox;

/* Starts app->cfg->workers worker threads. */
struct outbox *outbox_start(struct app *app);
void outbox_kick(struct outbox *o); /* new work may be due; NULL is fine */
/* Stops the workers after the message each is sending; NULL is fine. */
void outbox_stop(struct outbox *o);

/* Delivers what is due at `now` with one worker's state, until nothing is due or `max`
 * notifications were handled; returns how many. For tests and benchmarks (in-process). */
long outbox_drain(struct app *app, int64_t now, long max);

/* Tests only: the clock a batch reads to know how long its sends have taken so far (default
 * now_s; NULL restores it), so a test can make sends slow and see leases renewed or lost. Set it
 * before delivering, never while workers run. */
void outbox_set_clock(int64_t (*clock)(void));

/* How many deliveries of a channel ended in a status since the process started (/metrics). */
unsigned long outbox_outcomes(enum channel ch, enum notif_status st);

/* Sends one message now, outside the outbox (POST /v1/campaigns/{id}/test): the campaign's
 * template for the contact in `sub` and `variant`, with preview links. RS_EUNAVAILABLE when the
 * channel is not configured or the delivery failed (the reason in st), "shutting down" when
 * app->stopping ended it (within about a second of being set, not the service's timeout). */
struct campaign;
int outbox_send_test(struct app *app, const struct shop *sh, const struct variant *v,
                     const struct subscription *sub, const struct campaign *c, struct arena *a,
                     struct rs_status *st);

#endif
