/*
 * fanout — from a restock event to queued notifications, under the shop's campaigns (SPEC §5).
 *
 * The fan-out consumes the `restocks` table. Each step is one writer job: it takes the oldest
 * restock that is due, walks up to `chunk` of its variant's waiting subscriptions in sign-up
 * order (from the restock's cursor), decides for each, and saves the cursor — all in one
 * transaction, so a crash at any point either keeps a whole step or none of it, and a
 * subscription is never queued twice for one restock (the outbox's unique key says so too).
 *
 * For each waiting subscription, in this order:
 *   expired       older than the shop's subscription_ttl_days → status expired
 *   campaign      the first campaign of its channel (custom ones by id, then the default) that
 *                 is active (or `test` and the contact is a test contact), inside its
 *                 starts_at/ends_at, whose trigger is how the subscription came (a sign-up, or a
 *                 view / wishlist recorded by the clickstream), whose languages include the
 *                 contact's locale (or the shop's) and whose product filters admit the variant;
 *                 none → stays waiting
 *   activity      exclude_buyers: bought this variant since signing up → notification dropped;
 *                 event filters: include / exclude contacts who did view, cart, wishlist or
 *                 purchase in the last N days (by email, phone, push endpoint, customer id or
 *                 tracking user id) → notification dropped when left out
 *   max_sends     the campaign's per-restock budget (SMS: counted in segments) → stays waiting
 *   frequency cap N per contact per shop-local day, unless bypass → notification skipped_cap
 *   silent hours  mode drop → notification dropped; mode delay → queued for when they end
 *   otherwise     notification queued (expires at not_before + ttl), subscription notified
 * Every subscription not notified leaves a row in `decisions` (or a dropped / skipped_cap
 * notification) saying why.
 *
 * Delivery policy: a restock goes out in batches. The batch quota is ceil(available × R) units
 * (each subscription counts its quantity), R the smallest positive send_ratio of the campaigns
 * that apply (0 everywhere: no quota); the first subscription of a batch always goes, so a
 * quantity larger than the quota cannot stall the queue. When the quota is used the restock
 * waits interval_minutes (the largest of those campaigns), then stock is read again: below the
 * shop's min_available the restock is `paused` and the rest keep waiting for the next restock.
 */
#ifndef RESTOCK_FANOUT_H
#define RESTOCK_FANOUT_H

#include <stdint.h>

#include "core/app.h"

struct fanout_stats {
    long steps, queued, delayed, dropped, capped, expired, skipped;
};

/* Runs one step at time `now` (durably, through the committer); *found says whether a restock
 * was due. RS_OK, or an RS_ error (detail in st) when the store failed (nothing of the step is
 * kept). stats may be NULL; chunk <= 0 takes the default. */
int fanout_step(struct app *app, int64_t now, int chunk, struct fanout_stats *stats, int *found,
                struct rs_status *st);

/* The background fan-out of `restock serve`: steps while there is work, otherwise sleeps until
 * fanout_kick() or a second passes (interval batches fall due on the clock). */
struct fanout;
struct fanout *fanout_start(struct app *app);
void fanout_kick(struct fanout *f); /* NULL is fine */
void fanout_stop(struct fanout *f); /* NULL is fine; finishes the step under way */

#endif
