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
 *
 * Re-walks. A subscription no campaign applied to (its channel's were paused, drafts, in test
 * without it, not started or ended) keeps waiting, and so does one whose message a campaign stopped
 * since dropped (deliver/outbox.c); the walk of that restock has gone past them. When a campaign
 * comes to reach more people — a write that makes it do so now (paused, draft or test → active,
 * paused or draft → test, its starts_at or ends_at moved so that it runs now), or its starts_at
 * arriving — fanout_campaign_changed records a re-walk for then (campaigns.rewalk_at); a write that
 * does not raise its reach (status and times: campaign_reach) records none — notes, templates,
 * filters, languages, test contacts — nor does creating a campaign that sends at once. When it is
 * due, one job rewinds the latest restock of each of the shop's variants still in stock (available
 * >= min_available) with waiting subscribers of the campaign's channel (store.h restock_rewind; a
 * `paused` one, sold out at a batch's start, is left alone): its cursor goes back to the first
 * subscription, a finished one reopens (state `rewalk`: stock is read again, then it goes on in the
 * batch it ended in). The walk is the same restock's — the same `sent` count of its batch, the same
 * next_batch_at, the same budgets rows — so no restock sends more than each campaign's max_sends,
 * nor queues more than a batch's quota per interval, however often campaigns change. A message
 * dropped before it could have gone out gave its budget units, cap and notify_count back
 * (deliver/outbox.c, docs/outbox.md): walking again, its subscriber is counted afresh. Walking
 * again, each waiting subscription is decided as in any step, except one whose message of this
 * restock is on its way, delivered, failed or expired: it is passed over. What a subscription
 * dropped or skipped_cap gets now replaces that row, under its id, so the outbox keeps one row per
 * (shop, restock, subscription).
 */
#ifndef RESTOCK_FANOUT_H
#define RESTOCK_FANOUT_H

#include <stdint.h>

#include "core/app.h"

struct fanout_stats {
    long steps, queued, delayed, dropped, capped, expired, skipped;
    long rewalks; /* campaigns' re-walks done (restocks rewound or not) */
};

/* Runs one step at time `now` (durably, through the committer): a campaign's re-walk that is
 * due, else a step of a restock; *found says whether one was. RS_OK, or an RS_ error (detail in st)
 * when the store failed (nothing of the step is kept). stats may be NULL; chunk <= 0 takes the
 * default. */
int fanout_step(struct app *app, int64_t now, int chunk, struct fanout_stats *stats, int *found,
                struct rs_status *st);

/* A campaign was written in writer job tx (before: as it was; NULL when it is new): records its
 * re-walk when it reaches more people at `now` than before (due now), or will at its starts_at
 * (due then). A write that records none leaves one already due in place. RS_OK or a store error
 * (the job then fails, the campaign's write with it). */
struct campaign;
int fanout_campaign_changed(struct tx *tx, const struct campaign *before,
                            const struct campaign *after, int64_t now);

/* The background fan-out of `restock serve`: steps while there is work, otherwise sleeps until
 * fanout_kick() or a second passes (interval batches fall due on the clock). */
struct fanout;
struct fanout *fanout_start(struct app *app);
void fanout_kick(struct fanout *f); /* NULL is fine */
void fanout_stop(struct fanout *f); /* NULL is fine; finishes the step under way */

#endif
