/*
 * model — the rows restock keeps, as C structs shared by the core, the store and the front ends.
 *
 * Strings are borrowed: whoever fills a struct (a store read, a request parser) allocates them
 * from the arena it was given, and they live as long as that arena. Money is in integer minor
 * units of the row's currency; times are Unix seconds (0 = never / unknown). `sid` is the shop's
 * internal key, leading every stored key; `uuid` is its public id.
 */
#ifndef RESTOCK_MODEL_H
#define RESTOCK_MODEL_H

#include <stddef.h>
#include <stdint.h>

struct shop {
    int64_t sid;
    const char *uuid, *name, *url, *currency, *timezone, *locale;
    const char *sender_name, *sender_email;
    const char *webhook_secret, *vapid_public, *vapid_private; /* base64url */
    uint8_t api_key_hash[32];                                  /* SHA-256 of the API key */
    int64_t low_stock_threshold, min_available, min_soldout_minutes;
    int64_t subscription_ttl_days, max_notifications;
    int conversions_enabled, double_opt_in;
    int64_t created_at;
    const char *feed_url;          /* an XML product feed fetched on a schedule; "" none */
    int64_t feed_interval_minutes; /* 0: not fetched */
};

struct variant {
    int64_t sid;
    const char *variant_id, *product_id, *product_number, *inventory_item_id;
    const char *title, *variant_title, *url, *image_url, *currency, *category;
    int64_t price, original_price; /* minor units; -1 = unknown */
    int64_t available;
    int64_t soldout_since; /* when available fell below min_available; 0 while in stock */
    int64_t updated_at;
};

enum channel { CH_EMAIL, CH_SMS, CH_WEBPUSH, CH_COUNT };

enum sub_status {
    SUB_PENDING,
    SUB_WAITING,
    SUB_NOTIFIED,
    SUB_UNSUBSCRIBED,
    SUB_EXPIRED,
    SUB_STATUS_COUNT
};

struct subscription {
    int64_t id, sid;
    const char *variant_id;
    enum channel channel;
    enum sub_status status;
    const char *contact_key; /* canonical email, E.164 phone or push endpoint: the dedup key */
    const char *email, *phone, *push_endpoint, *push_p256dh, *push_auth;
    const char *first_name, *customer_id, *tracking_user_id, *locale, *source;
    int64_t quantity, notify_count;
    int64_t created_at, updated_at, confirmed_at, notified_at, unsubscribed_at;
};

/* A restock event and the fan-out's progress through its waiting list. */
struct restock {
    int64_t id, sid;
    const char *variant_id;
    int64_t available, soldout_since, at;
    int64_t cursor;        /* the last subscription id handled */
    int64_t next_batch_at; /* delivery policy: when to read stock again and go on; 0: now */
    int64_t sent;          /* notifications queued for it so far */
    int64_t processed_at;  /* 0 while the fan-out has work on it */
    const char *state;     /* "pending", "sending", "interval", "rewalk", "paused", "done" */
};

enum notif_status {
    N_QUEUED,
    N_SENT,
    N_RETRYING,
    N_FAILED,
    N_EXPIRED,
    N_DROPPED,
    N_SKIPPED_CAP,
    N_STATUS_COUNT
};

struct notification {
    int64_t id, sid, subscription_id, restock_id, campaign_id;
    enum channel channel;
    enum notif_status status;
    int64_t attempts, not_before, lease_until, expires_at, created_at, sent_at;
    int64_t segments;              /* SMS segments (0 for other channels) */
    const char *reason;            /* why failed / dropped / retrying */
    int64_t opened_at, clicked_at; /* the first open and the first tracked click (0: none) */
    /* What the fan-out counted when it queued it, given back if it is dropped unsent
     * (deliver/outbox.c): units of its campaign's max_sends budget for the restock (SMS
     * segments, else 1; 0: no budget), the shop-local day its frequency cap counted it on (0:
     * none). maybe_sent: a worker's lease of it ended with no result recorded (a crash, a
     * result written too late), so it may have been handed to the channel: nothing is given
     * back. */
    int64_t budget_units, cap_day;
    int maybe_sent;
};

const char *notif_status_name(enum notif_status s);
int notif_status_parse(const char *s);

const char *channel_name(enum channel c);
int channel_parse(const char *s); /* -1 when unknown */
const char *sub_status_name(enum sub_status s);
int sub_status_parse(const char *s);

/* An order (SPEC §2): counted once per shop and order number. */
enum order_status { ORDER_PLACED, ORDER_CANCELLED, ORDER_REFUNDED, ORDER_STATUS_COUNT };

struct order_item {
    const char *variant_id; /* as given, or resolved from product_number / url; NULL: unknown */
    const char *product_number, *url;
    int64_t quantity, price; /* price in minor units of the order's currency */
};

struct order {
    int64_t id, sid;
    const char *order_number, *source, *currency;
    int64_t total, refunded; /* minor units */
    int64_t created_at, received_at;
    enum order_status status;
    const char *email, *phone, *customer_id, *tracking_user_id; /* the buyer, normalised */
    const char *cart_token; /* the restock click token carried through the cart, or NULL */
    struct order_item *items;
    size_t nitems;
};

/* An order (or a goal event, order_id 0) attributed to a notification (SPEC §6). */
enum conversion_kind { CONV_DIRECT, CONV_ASSISTED };

/* A goal event's conversion whose purchase an order reported and attributed to another
 * notification (store.h conversion_supersede): kept, not counted. */
#define CONV_SUPERSEDED   2
#define CONV_SUPERSEDED_S "2"

struct conversion {
    int64_t id, sid, notification_id, campaign_id, order_id;
    enum conversion_kind kind;
    int64_t amount, refunded; /* minor units of currency */
    const char *currency;
    int status; /* 0 counted, 1 cancelled, CONV_SUPERSEDED */
    int64_t at, created_at;
};

const char *order_status_name(enum order_status s);

#endif
