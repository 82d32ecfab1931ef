/*
 * shopify — Shopify webhooks (SPEC §7): verification, payload conversion, and the writer job.
 *
 * Order of work for one delivery (h_ingest.c): shopify_verify on the raw body (nothing is parsed
 * before it passes), shopify_parse into a `struct shopify_hook` (the payload converted into
 * restock's shapes: a catalog batch, an inventory level, a core order, a refund, a customer's
 * identity keys), then shopify_apply as one writer job: it records the delivery's event id first
 * (a delivery seen before is acknowledged and changes nothing) and applies the topic in the same
 * transaction, so a failed job leaves no trace and Shopify's retry starts afresh.
 *
 * Ids. Shopify ids are integers that exceed 2^53 (and could exceed int64 some day); they are read
 * from the raw text as exact decimal strings, never through a double: shopify_json_parse quotes
 * every integer of 19 or more digits before jansson sees it, and smaller ones are printed from
 * jansson's int64. Prices arrive as decimal strings and are kept in minor units.
 */
#ifndef RESTOCK_SHOPIFY_H
#define RESTOCK_SHOPIFY_H

#include <jansson.h>
#include <stddef.h>

#include "core/app.h"
#include "core/catalog.h"
#include "core/order_sink.h"

enum shopify_topic {
    SHT_UNKNOWN,
    SHT_INVENTORY, /* inventory_levels/update */
    SHT_PRODUCT,   /* products/update (and products/create) */
    SHT_ORDER,     /* orders/create, orders/paid */
    SHT_CANCEL,    /* orders/cancelled */
    SHT_REFUND,    /* refunds/create */
    SHT_DATA_REQUEST,
    SHT_CUSTOMER_REDACT,
    SHT_SHOP_REDACT,
};

enum shopify_topic shopify_topic_parse(const char *topic); /* NULL: SHT_UNKNOWN */

/* 1 when hmac_b64 (the X-Shopify-Hmac-Sha256 header) is the base64 HMAC-SHA256 of body under
 * secret, compared in constant time; 0 otherwise (also for a NULL or malformed header). */
int shopify_verify(const char *secret, const void *body, size_t n, const char *hmac_b64);

/* Parses a payload as strict JSON, big integers kept exact as strings (see above). NULL with
 * RS_EJSON in st. Caller json_decref()s. */
json_t *shopify_json_parse(const char *body, size_t n, struct rs_status *st);

/* products/update → a catalog batch (title, variant title, url from the shop's url and the
 * handle, image, price and compare_at_price as original price, sku, product type, inventory
 * item id; `inventory_quantity` into v.available without VF_AVAILABLE: shopify_apply gives it
 * only to variants restock does not know yet). RS_EINVAL naming the field. */
int shopify_product_convert(const json_t *p, const struct shop *sh, struct catalog_batch *b,
                            struct rs_status *st);

/* orders/create, orders/paid, orders/cancelled → the core order. *test = the order's `test`
 * flag (test orders are ignored by the caller). The restock token is the note attribute named
 * "restock". RS_EINVAL naming the field. */
int shopify_order_convert(const json_t *o, const struct shop *sh, struct arena *a,
                          struct order_in *out, int *test, struct rs_status *st);

/* A refunds/create payload, converted. */
struct shopify_refund {
    const char *order_id;  /* Shopify's order id */
    const char *refund_id; /* the refund's own id (taken once per order), or NULL */
    int64_t amount;        /* the successful refund transactions' sum, or when there are none
                              the refund line items' subtotals */
    const char *currency;  /* the transactions' (else the shop's) */
    /* the refund line items' subtotals in the shop's money, for an order kept in it while the
     * buyer paid in another currency; shop_currency NULL when the payload does not say */
    int64_t shop_amount;
    const char *shop_currency;
};

/* refunds/create → out. RS_EINVAL naming the field. */
int shopify_refund_convert(const json_t *r, const struct shop *sh, struct arena *a,
                           struct shopify_refund *out, struct rs_status *st);

struct shopify_hook {
    /* input */
    struct app *app;
    const struct shop *shop;
    enum shopify_topic topic;
    const char *topic_name;
    const char *event_id; /* X-Shopify-Event-Id or X-Shopify-Webhook-Id; NULL: none */
    int64_t now;
    struct arena *arena;
    /* the converted payload, by topic */
    struct catalog_batch batch;        /* product; and inventory (one item) */
    const char *item_id, *location_id; /* inventory */
    int64_t available;                 /* inventory: -1 for null (untracked) */
    struct order_in order;             /* order, cancel */
    int test;                          /* order: a test order, ignored */
    struct shopify_refund refund;      /* refund */
    const char *who_json;              /* customer topics: identity keys, a JSON array */
    struct privacy_request request;    /* data request */
    /* results */
    int duplicate; /* the event id was seen before: nothing done */
    const char *outcome;
};

/* Converts a verified payload for its topic into h (strings in h->arena). RS_EJSON or RS_EINVAL
 * naming the field. SHT_UNKNOWN needs no parsing: the caller acknowledges it. */
int shopify_parse(struct shopify_hook *h, const char *body, size_t n, struct rs_status *st);

/* The writer job: records the event id, then applies the topic (stock through catalog_apply, so
 * restocks are detected as for every other source; orders through app->orders; privacy topics
 * through the store's erasure). */
int shopify_apply(struct tx *tx, void *hook, struct rs_status *st);

#endif
