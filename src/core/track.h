/*
 * track — what shoppers do with a notification: tracked clicks (/r/), email opens (/o/) and
 * events tied to a message (POST /v1/events), SPEC §4 and §6.1.
 *
 * Every click, open and event call is a `hits` row (store.h) — a click or open over the
 * per-address limit only when it is the notification's first; the first open and the first click
 * also stamp the notification's opened_at / clicked_at, which attribution and the stats read. A
 * click counts as an open too when none was recorded (mail clients that block images still
 * click). An event named "open" records an open (push messages have no pixel). An event named as
 * the campaign's goal (default "purchase") is a conversion of the message when the shop has
 * conversions on: direct if the message was clicked, assisted otherwise, at most one per
 * notification (the store's unique key), worth the event's "value", "revenue" or "total"
 * attribute when one holds a decimal amount — only within the goal's window_days of the send,
 * as for an order, and not when an order of the buyer bought the variant since the send (the
 * order was attributed already: the event is the same purchase, core/attribution.h).
 *
 * Redirects. track_redirect builds the Location of a click: only ever on the shop's own origin
 * (a variant URL elsewhere gives way to the shop's URL), with the campaign's UTM parameters
 * percent-encoded (RFC 3986 unreserved characters kept) before any fragment, replacing a
 * parameter of the same name already in the URL; every byte outside printable ASCII is
 * percent-encoded, so no CR, LF or other control character can reach the header.
 */
#ifndef RESTOCK_TRACK_H
#define RESTOCK_TRACK_H

#include <jansson.h>
#include <stdint.h>

#include "core/campaign.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

#define TRACK_EVENT_MAX 64         /* characters of an event name */
#define TRACK_ATTRS_MAX (4 * 1024) /* bytes of an event's attributes, as compact JSON */

struct redirect_in {
    const char *shop_url;    /* canonical: scheme://host[:port], no path (shop_url_canonical) */
    const char *variant_url; /* NULL: the variant has none (the shop's url is used) */
    const char *variant_id;  /* for the cart permalink */
    int64_t quantity;        /* for the cart permalink; < 1 counts as 1 */
    int to_cart;             /* the Shopify cart permalink SHOP/cart/VARIANT:QTY */
    const char *token;       /* the click token, carried to the cart as attributes[restock] */
    const struct campaign *campaign; /* its utm_* parameters; NULL: none */
};

/* The Location of a click (from arena a). Never NULL; always shop_url followed by '/'. */
const char *track_redirect(const struct redirect_in *in, struct arena *a);

/* Is url on the origin `origin` (canonical scheme://host[:port])? Scheme and host compare
 * without case; anything after the origin must start a path, a query or a fragment. */
int track_same_origin(const char *origin, const char *url);

/* The campaign of a stored row, parsed through a per-thread cache of the last rows parsed (keyed
 * by id and the row's JSON text, so a changed campaign is parsed again): a click must not pay
 * for parsing a whole campaign. Valid until the calling thread's next call; NULL when the row
 * has no JSON (no campaign) or it does not parse. */
const struct campaign *track_campaign(const struct stored_campaign *row);

/* A validated POST /v1/events body. */
struct track_event {
    const char *msg_hash, *name;
    const char *attributes; /* compact JSON object, or NULL */
    const json_t *attrs;    /* borrowed from the parsed body: valid while it lives */
};

/* Checks a POST /v1/events body: msgHash (string), event (1..64 of letters, digits, _ . : -),
 * attributes (an object of at most 4 KiB as compact JSON, or null). RS_EINVAL naming the
 * field. */
int track_event_parse(const json_t *body, struct arena *a, struct track_event *ev,
                      struct rs_status *st);

/* The amount of a goal event: the first of attributes "value", "revenue", "total" that holds a
 * decimal amount in the currency's exponent, at most MONEY_AMOUNT_MAX and not negative; 0 when
 * none does. A string may carry zeros beyond the currency's decimals ("1000.00" yen); a number
 * is rounded to the minor unit, as the collect call rounds a browser's float total
 * (19.9 * 3 is 59.699999999999996). */
int64_t track_event_amount(const json_t *attrs, int exp);

/* A write job (run by the group committer): records one click, open or event of a notification,
 * with its consequences described above. With `id` set, the job reads the notification's context
 * itself, in the write transaction: a click or open then costs no read transaction of its own
 * (a fresh snapshot after every commit, SQLite's page cache dropped with it), and the context is
 * exactly what the transaction sees. An unknown id fails the job with RS_ENOTFOUND, "token: no
 * such notification", and records nothing. */
struct track_job {
    struct notif_context ctx; /* read before the job (store.h), or by it (id) */
    int64_t id;               /* non-zero: the notification to read ctx of, in the job */
    enum hit_kind kind;
    const char *name, *attributes; /* HIT_EVENT */
    int goal;                      /* an event named as the campaign's goal */
    int64_t amount;                /* the goal event's amount */
    int window_days;               /* the campaign goal's window (0: the default) */
    int64_t now;
    int only_first; /* record a click or open only when it is the notification's first */
    struct arena *arena;
    int converted; /* out: a conversion was recorded */
};

int track_apply(struct tx *tx, void *arg, struct rs_status *st);

#endif
