/*
 * order_sink — where orders from outside (Shopify webhooks today; the order feed and
 * POST /v1/orders share the shape) are handed to attribution (SPEC §2 Order, §6).
 *
 * The ingest side converts a source's payload into a `struct order_in` (the core order shape)
 * and calls the app's sink from inside a writer job, so the order and whatever recorded its
 * delivery (the webhook's event id) commit together. Attribution implements the sink: `create`
 * stores the order once per (shop, order_number) — a second create of the same number changes
 * nothing — and attributes it; `cancel` takes a cancelled order's conversion out of the totals;
 * `refund` adds `amount` (minor units of `currency`) to the order's refunded total, once per
 * `refund_id` of the order (NULL: no id, always added). Each returns
 * RS_OK, RS_ENOTFOUND (cancel or refund of an order never created), RS_ECONFLICT (a refund in
 * another currency than the order's, which restock cannot convert), or an error with st set
 * (the job, and so the delivery, is rolled back and retried by the source). On RS_ENOTFOUND
 * and RS_ECONFLICT st holds what happened and nothing was written: the caller decides whether
 * that is an answer or an outcome to acknowledge.
 *
 * Strings are borrowed for the call. app->orders NULL (no attribution wired in): orders are
 * converted and checked, and dropped.
 */
#ifndef RESTOCK_ORDER_SINK_H
#define RESTOCK_ORDER_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "store/store.h"

struct order_item_in {
    const char *variant_id, *product_number, *url; /* any may be NULL */
    int64_t quantity;
    int64_t price; /* minor units, per unit; -1 unknown */
};

struct order_in {
    const char *order_number; /* unique per shop: the key of "an order counts once" */
    const char *source;       /* "shopify", "api", "feed" */
    const char *external_id;  /* the source's own id (Shopify order id), or NULL */
    int64_t total;            /* minor units of currency */
    const char *currency;
    int64_t created_at;
    /* the buyer; NULL when unknown. email canonical (lower case), phone E.164 when it parses
     * (else as given) */
    const char *email, *phone, *customer_id, *tracking_user_id;
    const char *cart_token; /* the restock token from the cart attributes (SPEC §6.1), or NULL */
    int cancelled;          /* the order was cancelled already (created so, status cancelled) */
    struct order_item_in *items;
    size_t nitems;
};

struct app;

struct order_sink {
    int (*create)(struct app *app, struct tx *tx, const struct shop *sh, const struct order_in *o,
                  int64_t now, struct rs_status *st);
    int (*cancel)(struct app *app, struct tx *tx, const struct shop *sh, const char *order_number,
                  int64_t at, struct rs_status *st);
    int (*refund)(struct app *app, struct tx *tx, const struct shop *sh, const char *order_number,
                  const char *refund_id, int64_t amount, const char *currency, int64_t at,
                  struct rs_status *st);
};

/* The sink of restock's own attribution (core/order.h): what `serve` wires in. */
extern const struct order_sink order_attribution_sink;

#endif
