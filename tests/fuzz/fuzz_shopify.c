/* libFuzzer harness for the Shopify webhook payload parsers: the big-integer-preserving JSON
 * reader and every topic's conversion, on any bytes, without a crash, leak or undefined
 * behaviour; what converts has an order number, or variant ids. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/shopify.h"

static const struct shop shop = {.sid = 1,
                                 .uuid = "00000000-0000-4000-8000-000000000001",
                                 .url = "https://shop.example",
                                 .currency = "EUR",
                                 .min_available = 1,
                                 .low_stock_threshold = 5};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum shopify_topic topics[] = {
        SHT_INVENTORY, SHT_PRODUCT, SHT_ORDER, SHT_REFUND, SHT_DATA_REQUEST, SHT_CUSTOMER_REDACT};
    for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++) {
        struct arena *a = arena_new();
        struct shopify_hook h = {.shop = &shop, .topic = topics[i], .arena = a, .now = 1};
        struct rs_status st = {0};
        if (shopify_parse(&h, (const char *)data, size, &st) == RS_OK) {
            if (topics[i] == SHT_ORDER && (!h.order.order_number || !*h.order.order_number))
                abort();
            if (topics[i] == SHT_PRODUCT)
                for (size_t k = 0; k < h.batch.n; k++)
                    if (!h.batch.items[k].v.variant_id) abort();
            if (topics[i] == SHT_INVENTORY && (!h.item_id || !h.location_id)) abort();
        }
        arena_free(a);
    }
    return 0;
}
