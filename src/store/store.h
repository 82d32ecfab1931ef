/*
 * store — restock's one storage interface: a struct of operations, one file per backend
 * (store_sqlite.c now, store_pg.c later), as SQLite's VFS or Redis's ae backends.
 *
 * Connections. A `store_conn` is used by one thread at a time. reader() gives the calling thread
 * its own read connection (created on first use, kept until close) and holds it for the thread
 * until reader_release(); the HTTP layer releases after every request. A reader sees every write
 * whose job has completed (read-your-writes): the backend may keep a read snapshot across calls
 * only while nothing has been committed since it began. Writes happen only on the writer
 * connection, inside jobs run by the group committer (commit.h), which wraps each job in a
 * savepoint and many jobs in one durable transaction.
 *
 * Results. Every operation returns RS_OK, RS_ENOTFOUND (a lookup found nothing), RS_ECONFLICT (a
 * unique key exists) or RS_ESTORE (the backend failed; logged). Strings of rows read are allocated
 * from the arena passed in and live as long as it.
 */
#ifndef RESTOCK_STORE_H
#define RESTOCK_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "util/arena.h"
#include "util/err.h"

struct store;
struct store_conn;

struct sub_filter {
    int64_t sid;
    const char *variant_id; /* NULL: any */
    int status, channel;    /* -1: any */
    const char *contact_key;
    int64_t after_id; /* keyset pagination: ids > after_id */
    int limit;
};

typedef int (*sub_cb)(void *arg, const struct subscription *s);

struct stored_campaign {
    int64_t id, sid;
    int channel, status, is_default;
    const char *json; /* the campaign as campaign_to_json gives it */
    int64_t created_at, updated_at;
};

struct notif_filter {
    int64_t sid;
    int64_t subscription_id; /* 0: any */
    int status;              /* -1: any */
    int64_t after_id;
    int limit;
};

struct decision {
    int64_t id, restock_id, subscription_id, campaign_id;
    const char *decision, *reason;
    int64_t at;
};

/* Tracking (core/track.h): every open, click and event call of a notification. */
enum hit_kind { HIT_OPEN = 0, HIT_CLICK = 1, HIT_EVENT = 2 };

struct hit {
    int64_t sid, notification_id, campaign_id;
    enum hit_kind kind;
    const char *name, *attributes; /* HIT_EVENT: the event's name and attributes (JSON) */
    int64_t at;
};

/* What a tracked link needs about its notification, in one read. */
struct notif_context {
    int64_t id, sid, campaign_id, subscription_id;
    int64_t opened_at, clicked_at;
    const char *shop_url, *currency;
    int conversions_enabled;
    const char *variant_id;
    const char *variant_url;         /* NULL: none, or the variant is no longer in the catalog */
    int64_t quantity;                /* the subscription's */
    struct stored_campaign campaign; /* json NULL: no campaign (a confirmation message); a
                                        deleted campaign is still given */
};

/* One row of the customers report (SPEC §4): a sent notification, its subscription and what
 * came of it. conversion: -1 none, 0 direct, 1 assisted (counted conversions only); order
 * fields are NULL/0 without an order (order_total -1). */
struct customer_row {
    int64_t notification_id;
    enum channel channel;
    const char *contact, *variant_id, *product_title, *variant_title;
    int64_t signed_up, sent_at, opened_at, clicked_at;
    int conversion;
    /* the conversion's: its order's number (NULL for a goal event's), date, value, currency
     * and refunds so far; order_total -1 when not converted */
    const char *order_number, *order_currency;
    int64_t order_at, order_total, order_refunded;
};

/* Customers report page: sent notifications of shop sid with id > after_id and sent_at in
 * [from, to) (to 0: no upper bound), in id order, at most limit. */
struct report_filter {
    int64_t sid, after_id, from, to;
    int limit;
};

/* A waiting subscription as the demand report reads it. */
struct waiting_row { /* variant_id is valid only during the callback */
    const char *variant_id;
    int64_t quantity, created_at;
};

/* A customers/data_request received from Shopify (privacy_requests). */
struct privacy_request {
    int64_t id, sid;
    const char *kind; /* "data_request" */
    const char *customer_id, *email, *phone, *request_id;
    int64_t at;
};

/* Attribution (SPEC §6): a sent notification that may convert an order. A candidate's conversion so
 * far: none, an order's, or only a goal event's (order_id 0), which an order takes over
 * (conversion_insert replaces it) so one purchase is not counted twice. */
enum { ATTR_UNCONVERTED, ATTR_BY_ORDER, ATTR_BY_EVENT };

struct attr_cand {
    int64_t notification_id, campaign_id, subscription_id;
    const char *variant_id;
    int64_t sent_at, clicked_at; /* clicked_at 0: never clicked */
    int converted;   /* its conversion: ATTR_UNCONVERTED, ATTR_BY_ORDER, ATTR_BY_EVENT */
    int window_days; /* its campaign's goal window_days; 0: none stored */
    int via_token;   /* named by the order's cart token (filled by the core) */
};

/* Whose notifications to look for: any of the identities (NULL: not given), for the variants,
 * through restocks of those variants at [since, until]. */
struct attr_query {
    int64_t sid;
    const char *email, *phone, *customer_id, *tracking_user_id;
    const char *const *variants;
    size_t nvariants;
    int64_t since, until;
};

/* Per-slot totals of the stats rollup (15-minute slots of UTC time: slot = t / 900). */
struct stats_slot {
    int64_t slot;
    int64_t sent, opened, clicked;
    int64_t direct_n, direct_amount, direct_net;
    int64_t assisted_n, assisted_amount, assisted_net;
};

struct store_ops {
    const char *name;
    int single_process; /* one `serve` process per database (SQLite) */
    /* Opens (creating and migrating) the store at target. RS_ESTORE with a message on failure.
     */
    int (*open)(const char *target, struct store **out, struct rs_status *st);
    void (*close)(struct store *s);
    struct store_conn *(*reader)(struct store *s);
    void (*reader_release)(struct store *s); /* no-op when the thread holds none */
    struct store_conn *(*writer)(struct store *s);

    int (*begin)(struct store_conn *c);
    int (*commit)(struct store_conn *c);
    int (*rollback)(struct store_conn *c);
    int (*savepoint)(struct store_conn *c);
    int (*release)(struct store_conn *c);
    int (*rollback_to)(struct store_conn *c);
    /* Whether the next commits on c wait for the disk (1, the default) or only for the OS (0):
     * see JOB_PROCESS_DURABLE in commit.h. */
    void (*durable)(struct store_conn *c, int full);
    /* Optional. Makes every transaction the writer has committed so far durable; RS_OK or
     * RS_ESTORE. Called by the committer's syncer thread only, beside the writer's next batch:
     * with it the committer commits with durable(c, 0) and answers after sync (commit.h). */
    int (*sync)(struct store *s);

    /* The server secret (32 bytes), created with the store. */
    int (*secret)(struct store_conn *c, uint8_t out[32]);

    int (*shop_insert)(struct store_conn *c, struct shop *sh); /* sets sh->sid */
    int (*shop_update)(struct store_conn *c, const struct shop *sh);
    /* Replaces the shop's API key hash: the old key finds the shop no more. RS_ENOTFOUND when no
     * shop has that sid. */
    int (*shop_set_key)(struct store_conn *c, int64_t sid, const uint8_t hash[32]);
    int (*shop_by_uuid)(struct store_conn *c, const char *uuid, struct arena *a, struct shop *out);
    int (*shop_by_key)(struct store_conn *c, const uint8_t hash[32], struct arena *a,
                       struct shop *out);
    int (*shop_by_sid)(struct store_conn *c, int64_t sid, struct arena *a, struct shop *out);
    /* The oldest shop whose storefront url is url (as stored: canonical), or RS_ENOTFOUND. */
    int (*shop_by_url)(struct store_conn *c, const char *url, struct arena *a, struct shop *out);
    int (*shop_count)(struct store_conn *c, int64_t *n);

    int (*variant_get)(struct store_conn *c, int64_t sid, const char *variant_id, struct arena *a,
                       struct variant *out);
    int (*variant_put)(struct store_conn *c, const struct variant *v); /* insert or replace */
    /* An existing variant's stock only (available, soldout_since, updated_at): no index of the
     * variant's descriptive columns is touched. */
    int (*variant_put_stock)(struct store_conn *c, const struct variant *v);
    int (*restock_insert)(struct store_conn *c, int64_t sid, const char *variant_id,
                          int64_t available, int64_t soldout_since, int64_t at);

    int (*sub_insert)(struct store_conn *c, struct subscription *s); /* sets s->id */
    int (*sub_find)(struct store_conn *c, int64_t sid, const char *variant_id, enum channel ch,
                    const char *contact_key, struct arena *a, struct subscription *out);
    int (*sub_get)(struct store_conn *c, int64_t id, struct arena *a, struct subscription *out);
    /* Calls cb for each match in id order, at most f->limit; stops early when cb returns != 0.
     */
    int (*sub_list)(struct store_conn *c, const struct sub_filter *f, struct arena *a, sub_cb cb,
                    void *arg);
    /* RS_ENOTFOUND when there is no such subscription, or when st is SUB_WAITING and it is
     * unsubscribed or expired: only a new sign-up (sub_reopen) brings those back. */
    int (*sub_set_status)(struct store_conn *c, int64_t id, enum sub_status st, int64_t at);
    /* Unsubscribes every subscription of a contact at a shop; *n = how many changed. */
    int (*sub_unsubscribe_contact)(struct store_conn *c, int64_t sid, const char *contact_key,
                                   int64_t at, int64_t *n);
    /* A variant sold out again: its notified subscriptions with notify_count < max whose
     * contact has not bought it since being notified (activity) go back to waiting (SPEC §2),
     * except those whose notification is still queued or retrying: one message on its way per
     * subscription at a time (it stays notified; a later sell-out enrols it). *n = how many. */
    int (*sub_reenroll)(struct store_conn *c, int64_t sid, const char *variant_id, int64_t max,
                        int64_t at, int64_t *n);
    /* The waiting subscriptions of a variant with id > after_id, in sign-up order, with only
     * what the fan-out reads: id, sid, variant_id, channel, status, contact_key, first_name,
     * locale, quantity, notify_count, created_at, customer_id, tracking_user_id, source (the
     * other fields are NULL or 0). */
    int (*sub_waiting)(struct store_conn *c, int64_t sid, const char *variant_id, int64_t after_id,
                       int limit, struct arena *a, sub_cb cb, void *arg);
    /* Marks notified (status, notified_at, notify_count + 1) every waiting subscription with id
     * in (after_id, upto_id] that has a queued notification of this restock: one statement for a
     * fan-out step. (One notified already, whose message is still queued, is left as it is: a
     * re-walk passes over it.) */
    int (*sub_notified)(struct store_conn *c, int64_t sid, int64_t restock_id, int64_t after_id,
                        int64_t upto_id, int64_t at);

    /* Campaigns: stored as their validated JSON (campaign.h). */
    int (*campaign_insert)(struct store_conn *c, struct stored_campaign *sc); /* sets sc->id */
    int (*campaign_update)(struct store_conn *c, const struct stored_campaign *sc);
    int (*campaign_delete)(struct store_conn *c, int64_t sid, int64_t id, int64_t at);
    int (*campaign_get)(struct store_conn *c, int64_t sid, int64_t id, struct arena *a,
                        struct stored_campaign *out);
    /* Every live campaign of a shop, in id order. */
    int (*campaign_list)(struct store_conn *c, int64_t sid, struct arena *a,
                         int (*cb)(void *arg, const struct stored_campaign *sc), void *arg);
    /* Re-walks (fanout.h): campaign id's is due at `at` (0: none; deleting a campaign clears
     * it). campaign_rewalk_next reads the campaign (not deleted) whose re-walk is due first at
     * `now`, RS_ENOTFOUND when none is. */
    int (*campaign_set_rewalk)(struct store_conn *c, int64_t sid, int64_t id, int64_t at);
    int (*campaign_rewalk_next)(struct store_conn *c, int64_t now, struct arena *a,
                                struct stored_campaign *out);

    /* Restock events, the fan-out's queue. */
    int (*restock_next)(struct store_conn *c, int64_t now, struct arena *a, struct restock *out);
    int (*restock_update)(struct store_conn *c, const struct restock *r);
    /* A re-walk: the latest restock of each variant of shop sid that has available >=
     * min_available and a waiting subscription of `channel` walks the variant's waiting list
     * again from its start, as the same restock (its batch, its budgets): its cursor goes back
     * to 0, and one that was done is open again in state "rewalk". One "paused" (sold out at
     * a batch's start: the rest wait for the next restock) is left as it is. *n = how many. */
    int (*restock_rewind)(struct store_conn *c, int64_t sid, int channel, int64_t min_available,
                          int64_t *n);

    /* The outbox. notification_insert: RS_ECONFLICT when the subscription already has one for
     * that restock (the idempotency key). */
    int (*notification_insert)(struct store_conn *c, struct notification *n); /* sets n->id */
    /* Inserts many at once, for the fan-out; ids are not returned. A row whose key exists is
     * kept (the fan-out's idempotency) unless it is dropped or skipped_cap — never delivered —:
     * then the new one replaces it in place, under the same id (a re-walk's new decision). */
    int (*notification_insert_many)(struct store_conn *c, const struct notification *n,
                                    size_t count);
    int (*notification_get)(struct store_conn *c, int64_t id, struct arena *a,
                            struct notification *out);
    /* The status of subscription sub_id's notification of a restock; RS_ENOTFOUND: none. */
    int (*notification_status)(struct store_conn *c, int64_t sid, int64_t restock_id,
                               int64_t sub_id, int *status);
    /* *yes: the restock has a notification of a subscription with id > after_id (a walk whose
     * cursor was rewound has; a first walk never has one ahead of its cursor). */
    int (*notification_after)(struct store_conn *c, int64_t sid, int64_t restock_id,
                              int64_t after_id, int *yes);
    /* Leases up to `limit` due notifications (queued or retrying, not_before <= now, lease
     * expired) of the given channels (bit per enum channel) until lease_until; calls cb with
     * each id. */
    int (*outbox_claim)(struct store_conn *c, unsigned channels, int64_t now, int64_t lease_until,
                        int limit, int (*cb)(void *arg, int64_t id), void *arg);
    /* Records a delivery's outcome, only while the worker still holds the notification's lease
     * (lease_until == lease, status queued or retrying): RS_ECONFLICT when it was lost. */
    int (*notification_result)(struct store_conn *c, const struct notification *n, int64_t lease);
    /* Extends a held lease (lease_until == lease) to new_lease; RS_ECONFLICT when not held. */
    int (*outbox_renew)(struct store_conn *c, int64_t id, int64_t lease, int64_t new_lease);
    /* Ends every lease: at the start of the only process of a database (SQLite). */
    int (*outbox_release)(struct store_conn *c);
    /* Re-opens an unsubscribed or expired subscription as a new sign-up: status, created_at =
     * updated_at = at, notify_count, notified_at and confirmed_at reset. */
    int (*sub_reopen)(struct store_conn *c, int64_t id, enum sub_status st, int64_t at);
    /* A campaign's max_sends spending on a restock (budgets table): read, and add to it. */
    int (*budget_get)(struct store_conn *c, int64_t sid, int64_t restock_id, int64_t campaign_id,
                      int64_t *used);
    int (*budget_add)(struct store_conn *c, int64_t sid, int64_t restock_id, int64_t campaign_id,
                      int64_t n);
    /* Frequency caps: notifications of a campaign to a contact on a day (shop-local day
     * number). */
    int (*cap_get)(struct store_conn *c, int64_t sid, int64_t campaign_id, const char *contact_key,
                   int64_t day, int64_t *n);
    int (*cap_add)(struct store_conn *c, int64_t sid, int64_t campaign_id, const char *contact_key,
                   int64_t day);
    /* Gives back what the fan-out counted when it queued notification n, as n records it: its
     * budget_units to the budget of (n's restock, n's campaign), one to the cap of (n's
     * campaign, contact_key, n's cap_day), one to n's subscription's notify_count (a message of
     * a restock) — each only when counted, none below 0. For a message dropped before it could
     * have gone out; the caller settles n in the same transaction, under its lease, so it is
     * given back once per queueing. */
    int (*notification_give_back)(struct store_conn *c, const struct notification *n,
                                  const char *contact_key);
    /* Why a subscription was or was not notified for a restock. */
    int (*decision_insert)(struct store_conn *c, int64_t sid, int64_t restock_id,
                           int64_t subscription_id, int64_t campaign_id, const char *decision,
                           const char *reason, int64_t at);
    /* Orders and attribution (SPEC §6). order_get reads an order and its items by number;
     * order_insert stores one with its items (sets o->id; RS_ECONFLICT when the number exists);
     * order_update saves status and refunded. */
    int (*order_get)(struct store_conn *c, int64_t sid, const char *order_number, struct arena *a,
                     struct order *out);
    int (*order_insert)(struct store_conn *c, struct order *o);
    int (*order_update)(struct store_conn *c, const struct order *o);
    /* The variant ids of a shop with this product number (url NULL) or this product URL
     * (product_number NULL; compared without query and fragment on either side), at most 100,
     * through cb. */
    int (*variant_resolve)(struct store_conn *c, int64_t sid, const char *product_number,
                           const char *url, struct arena *a,
                           int (*cb)(void *arg, const char *variant_id), void *arg);
    /* The sent notifications to a buyer for the query's variants (see struct attr_query), each
     * once, through cb (via_token left 0). */
    int (*attr_candidates)(struct store_conn *c, const struct attr_query *q, struct arena *a,
                           int (*cb)(void *arg, const struct attr_cand *cand), void *arg);
    /* One sent notification of the shop as a candidate; RS_ENOTFOUND when it is not one. */
    int (*attr_candidate)(struct store_conn *c, int64_t sid, int64_t notification_id,
                          struct arena *a, struct attr_cand *out);
    /* conversion_insert: RS_ECONFLICT when the notification has converted already — except
     * that an order's conversion (order_id set) replaces a goal event's (order_id 0). */
    int (*conversion_insert)(struct store_conn *c, struct conversion *cv); /* sets cv->id */
    int (*conversion_by_order)(struct store_conn *c, int64_t sid, int64_t order_id, struct arena *a,
                               struct conversion *out);
    /* Sets status and refunded of the conversion of an order (none: RS_OK, nothing changes). */
    int (*conversion_set)(struct store_conn *c, int64_t sid, int64_t order_id, int status,
                          int64_t refunded);
    /* A goal event's counted conversion of the notification (order_id 0), if any, becomes
     * CONV_SUPERSEDED: an order of the same purchase converted another notification. It leaves
     * the totals; an order that wins the notification later still takes it over. */
    int (*conversion_supersede)(struct store_conn *c, int64_t sid, int64_t notification_id);
    /* Records refund refund_id of an order; *dup when it was recorded already (nothing
     * changes). */
    int (*refund_add)(struct store_conn *c, int64_t sid, int64_t order_id, const char *refund_id,
                      int64_t amount, int64_t at, int *dup);
    /* The stats rollup (kept by triggers in the same transactions as the rows it counts): the
     * slots in [lo, hi] in slot order, summed over campaigns, or of one campaign (> 0). */
    int (*stats_slots)(struct store_conn *c, int64_t sid, int64_t campaign_id, int64_t lo,
                       int64_t hi, int (*cb)(void *arg, const struct stats_slot *s), void *arg);
    /* The conversion columns of shop sid's rollup recounted from its conversions, as the
     * triggers would have counted them in its present currency (after a currency change). */
    int (*stats_recount)(struct store_conn *c, int64_t sid);
    /* The `limit` most hit event names (hits of kind 2) in slots [lo, hi], most first. */
    int (*stats_events)(struct store_conn *c, int64_t sid, int64_t campaign_id, int64_t lo,
                        int64_t hi, int limit, struct arena *a,
                        int (*cb)(void *arg, const char *name, int64_t hits), void *arg);
    /* Queues a subscription's double opt-in confirmation (a notification with restock_id 0), or
     * re-queues it when the last was queued at least resend_after seconds ago; *queued says
     * whether anything was (re)queued. It expires ttl seconds after now. */
    int (*confirm_queue)(struct store_conn *c, int64_t sid, int64_t sub_id, enum channel ch,
                         int64_t now, int64_t ttl, int64_t resend_after, int *queued);
    /* What shoppers did (activity table): kind "view", "cart", "wishlist" or "purchase"; who
     * a contact key, "t:" + tracking user id or "c:" + customer id. activity_since says whether
     * who did kind (of variant_id, unless NULL) at or after since. */
    int (*activity_add)(struct store_conn *c, int64_t sid, const char *who, const char *kind,
                        const char *variant_id, int64_t at);
    int (*activity_since)(struct store_conn *c, int64_t sid, const char *who, const char *kind,
                          const char *variant_id, int64_t since, int *found);
    /* Listings for the admin API, in id order (keyset pagination by after_id). */
    int (*notification_list)(struct store_conn *c, const struct notif_filter *f, struct arena *a,
                             int (*cb)(void *arg, const struct notification *n), void *arg);
    int (*decision_list)(struct store_conn *c, int64_t sid, int64_t subscription_id,
                         struct arena *a, int (*cb)(void *arg, const struct decision *d),
                         void *arg);

    /* Tracking. notification_context: RS_ENOTFOUND when there is no such notification. */
    int (*notification_context)(struct store_conn *c, int64_t id, struct arena *a,
                                struct notif_context *out);
    int (*hit_insert)(struct store_conn *c, const struct hit *h);
    /* Sets opened_at and clicked_at where they are 0 and the value given is not. */
    int (*notification_touch)(struct store_conn *c, int64_t id, int64_t opened_at,
                              int64_t clicked_at);
    /* The `limit` event names (hits of kind HIT_EVENT) with the most hits, most first (ties by
     * name), of one notification (notification_id != 0) or of one campaign. */
    int (*event_top)(struct store_conn *c, int64_t sid, int64_t notification_id,
                     int64_t campaign_id, int limit, struct arena *a,
                     int (*cb)(void *arg, const char *name, int64_t hits), void *arg);
    /* Reports (report.h). report_customers: one page, see struct report_filter.
     * report_waiting: every waiting subscription of a shop, grouped by variant (variant_id
     * order, then sign-up order). Both stop early when cb returns != 0. */
    int (*report_customers)(struct store_conn *c, const struct report_filter *f, struct arena *a,
                            int (*cb)(void *arg, const struct customer_row *row), void *arg);
    int (*report_waiting)(struct store_conn *c, int64_t sid, struct arena *a,
                          int (*cb)(void *arg, const struct waiting_row *row), void *arg);
    /* ---- ingest (src/ingest): Shopify, feeds, the clickstream ---- */
    /* The variant with this Shopify inventory_item_id (the lowest variant id if several);
     * *variant_id in a. RS_ENOTFOUND when none. */
    int (*variant_by_item)(struct store_conn *c, int64_t sid, const char *inventory_item_id,
                           struct arena *a, const char **variant_id);
    /* Sets one location's level of an inventory item (available < 0: the location no longer
     * tracks it, its level is removed), then *sum = the item's levels summed over locations and
     * *nlevels = how many there are. */
    int (*level_set)(struct store_conn *c, int64_t sid, const char *inventory_item_id,
                     const char *location_id, int64_t available, int64_t at, int64_t *sum,
                     int64_t *nlevels);
    /* Records a delivered webhook's event id; *dup = 1 (and nothing written) when it was
     * recorded before. */
    int (*webhook_event_add)(struct store_conn *c, int64_t sid, const char *event_id,
                             const char *topic, int64_t at, int *dup);
    /* Shopify order id ↔ order number (refunds name only the id). get: RS_ENOTFOUND. */
    int (*shopify_order_put)(struct store_conn *c, int64_t sid, const char *order_id,
                             const char *order_number);
    int (*shopify_order_get)(struct store_conn *c, int64_t sid, const char *order_id,
                             struct arena *a, const char **order_number);
    int (*privacy_request_add)(struct store_conn *c, struct privacy_request *pr); /* sets id */
    int (*privacy_request_get)(struct store_conn *c, int64_t sid, int64_t id, struct arena *a,
                               struct privacy_request *out);
    /* Erases a customer's personal data at a shop. who_json is a JSON array of identity keys in
     * activity's form (canonical email, E.164 phone, "c:" + customer id, "t:" + tracking id);
     * the identities carried by that customer's subscriptions join the set. Subscriptions keep
     * their rows (counts stay right) but lose every contact field (contact_key becomes
     * "redacted:" + id; waiting or pending ones are unsubscribed); activity rows keep their
     * kind and time under who "redacted"; orders lose email, phone, customer and tracking ids
     * and cart token; caps and privacy requests of them go; hits of their notifications lose
     * their attributes. *n = subscriptions changed. */
    int (*customer_redact)(struct store_conn *c, int64_t sid, const char *who_json, int64_t at,
                           int64_t *n);
    /* Erases a shop and every row of it (every table with a shop_id column, order items through
     * their orders, the shop row). */
    int (*shop_erase)(struct store_conn *c, int64_t sid);
    /* Deletes activity older than activity_before (purchases: older than purchases_before) and
     * webhook event ids older than events_before, at most `limit` rows of each; *n = rows
     * deleted. */
    int (*ingest_prune)(struct store_conn *c, int64_t activity_before, int64_t purchases_before,
                        int64_t events_before, int limit, int64_t *n);
    /* Shops whose feed is due at now (feed_url set, feed_interval_minutes > 0, last fetched at
     * least that long ago): cb(arg, sid) for each. feed_mark records a fetch's start. */
    int (*feed_due)(struct store_conn *c, int64_t now, int (*cb)(void *arg, int64_t sid),
                    void *arg);
    int (*feed_mark)(struct store_conn *c, int64_t sid, int64_t at);
};

/* A connection with its backend's operations: what core functions take to read or write. */
struct tx {
    const struct store_ops *ops;
    struct store_conn *c;
};

/* The backend for a target: a postgresql:// URL (not yet available) or a SQLite path. */
const struct store_ops *store_backend(const char *target);

extern const struct store_ops store_sqlite;

#endif
