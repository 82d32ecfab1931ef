/*
 * catalog — variants, their stock status, and restock detection (SPEC §2).
 *
 * Stock status of a variant: sold_out when available < the shop's min_available, low_stock when
 * available <= low_stock_threshold, else in_stock. A restock is available rising from below
 * min_available to at least it, after at least min_soldout_minutes below it. Saving unchanged
 * stock is never a restock; a variant first seen in stock is not a restock either.
 */
#ifndef RESTOCK_CATALOG_H
#define RESTOCK_CATALOG_H

#include <jansson.h>
#include <stddef.h>

#include "core/model.h"
#include "store/store.h"

enum stock_status { STOCK_SOLD_OUT, STOCK_LOW, STOCK_IN };

enum stock_status stock_status_of(const struct shop *sh, int64_t available);
const char *stock_status_name(enum stock_status s);

/* Moves v to a new stock level at time now, keeping soldout_since right. `existed` is 0 for a
 * variant seen for the first time. Returns 1 when the change is a restock, else 0. Pure. */
int stock_apply(const struct shop *sh, struct variant *v, int existed, int64_t available,
                int64_t now);

/* One variant of a PUT /v1/catalog or POST /v1/inventory batch: the fields given (`has` bits),
 * the rest kept from the stored variant. */
enum {
    VF_PRODUCT_ID = 1 << 0,
    VF_PRODUCT_NUMBER = 1 << 1,
    VF_INVENTORY_ITEM = 1 << 2,
    VF_TITLE = 1 << 3,
    VF_VARIANT_TITLE = 1 << 4,
    VF_URL = 1 << 5,
    VF_IMAGE_URL = 1 << 6,
    VF_PRICE = 1 << 7,
    VF_ORIGINAL_PRICE = 1 << 8,
    VF_CURRENCY = 1 << 9,
    VF_CATEGORY = 1 << 10,
    VF_AVAILABLE = 1 << 11,
};

struct variant_in {
    struct variant v;
    unsigned has;
};

struct catalog_batch {
    const struct shop *shop;
    struct variant_in *items;
    size_t n;
    int inventory_only; /* POST /v1/inventory: unknown variants are an error */
    int64_t now;
    /* results, filled by catalog_apply */
    size_t created, updated;
    const char **restocked; /* variant ids, arena */
    size_t nrestocked;
    struct arena *arena;
};

/* Validates a PUT /v1/catalog body (an array of variant objects) into b->items. RS_EINVAL naming
 * the element and field ("[3].price: ..."). */
int catalog_parse(struct catalog_batch *b, const json_t *body, struct rs_status *st);
/* Validates a POST /v1/inventory body ([{"variant_id","available"}]). */
int inventory_parse(struct catalog_batch *b, const json_t *body, struct rs_status *st);
/* The writer job: upserts the batch, records restocks. Unknown variant in an inventory batch:
 * RS_EINVAL (and the committer rolls the whole batch back). */
int catalog_apply(struct tx *tx, void *batch, struct rs_status *st);

json_t *variant_to_json(const struct shop *sh, const struct variant *v);

#endif
