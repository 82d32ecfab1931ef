/*
 * order — orders in (POST /v1/orders, POST /serve/collect/conversion, `restock import-orders`),
 * their storage and attribution, cancellations and refunds (SPEC §2 Order, §6).
 *
 * Parsing is pure: order_parse takes the API's shape, collect_parse Hello Retail's; both give a
 * struct order with the buyer normalised as sign-ups are (contact.h: lower-case email, E.164
 * phone), money in minor units of the order's currency (default the shop's) and items naming a
 * variant_id, product_number or url. order_apply, a writer job, then does in one transaction:
 *   - an order number the shop has already: nothing changes, the stored order comes back
 *     (created = 0), whatever the source (the same order from a webhook and the collect call)
 *   - a test order (`"test": true`): nothing is stored (ignored = 1)
 *   - otherwise the items' product numbers and URLs are resolved to the shop's variants (a URL
 *     names every variant of its product; query and fragment are ignored; an item restock does
 *     not know is kept, unresolved), the order is stored, a `purchase` is recorded in the
 *     activity table per variant and buyer identity (for the campaigns' exclude_buyers and event
 *     filters), and the order is attributed (attribution.h)
 * order_change_apply cancels an order (its conversion leaves the totals) or adds a refund (the
 * conversion's net value drops; refunds accumulate up to the total; fully refunded orders are
 * `refunded`).
 */
#ifndef RESTOCK_ORDER_H
#define RESTOCK_ORDER_H

#include <jansson.h>

#include "core/app.h"
#include "core/model.h"

#define ORDER_MAX_ITEMS 1000
/* How far ahead of the server's clock an order's created_at may be (clocks differ a little). */
#define ORDER_MAX_AHEAD 86400

/* An order number as every source and lookup spells it: without surrounding spaces (ASCII
 * white space) and without leading '#'s (Shopify's "#1001" is order 1001), so the same
 * order from a webhook, an export and the storefront is one order. NULL when nothing is left,
 * it is over 255 bytes, or it holds a control character. Arena. Normalising twice changes
 * nothing more. */
const char *order_number_norm(const char *s, struct arena *a);
/* The part of s order_number_norm keeps, unchecked: its start, and its length in *len. */
const char *order_number_trim(const char *s, size_t *len);

/* POST /v1/orders's body (shop: the key's shop). RS_EINVAL naming the field. *test says whether
 * the order is marked test. created_at defaults to now and may be at most ORDER_MAX_AHEAD
 * later. */
int order_parse(const json_t *body, const struct shop *sh, const char *source, int64_t now,
                struct arena *a, struct order *o, int *test, struct rs_status *st);

/* The websiteUuid of a collect body, lower-cased (arena), or NULL when missing or not a UUID. */
const char *collect_website(const json_t *body, struct arena *a);
/* A Hello Retail conversion (SPEC §6.2) of shop sh. RS_EINVAL with the message to answer. */
int collect_parse(const json_t *body, const struct shop *sh, int64_t now, struct arena *a,
                  struct order *o, struct rs_status *st);

struct order_job {
    struct app *app;
    const struct shop *shop;
    struct order in;
    int test;
    struct arena *arena;
    /* results */
    int created, ignored, converted;
    struct order out;
    struct conversion conv;
};

int order_apply(struct tx *tx, void *order_job, struct rs_status *st);

enum order_op { ORDER_CANCEL, ORDER_REFUND };

struct order_change {
    const struct shop *shop;
    const char *order_number;
    enum order_op op;
    /* ORDER_REFUND: the amount read at each currency exponent (the order's decides) */
    int64_t amount[5];
    int amount_ok[5];
    const char *refund_id; /* ORDER_REFUND: the refund's own id, or NULL; one seen for the order
                              already changes nothing */
    struct arena *arena;
    int64_t now;
    /* results */
    struct order out;
    struct conversion conv;
    int converted;
};

/* A refund's body, {"amount": "10.00", "refund_id": "R-1"} (refund_id optional), into ch.
 * RS_EINVAL naming the field. */
int order_refund_parse(const json_t *body, struct order_change *ch, struct rs_status *st);
/* RS_ENOTFOUND naming the order, RS_EINVAL naming `amount`. */
int order_change_apply(struct tx *tx, void *order_change, struct rs_status *st);

/* The API's view of an order and its conversion (conv NULL: none). */
json_t *order_to_json(const struct order *o, const struct conversion *conv);

#endif
