/* Fuzzes the order parsers over arbitrary input: as a POST /v1/orders body, as Hello Retail's
 * collect body, and as an order feed (CSV or JSON lines) for `restock import-orders`.
 * Invariants: no crash or leak; an accepted order has 1..ORDER_MAX_ITEMS items each naming a
 * variant, product number or URL, no negative money, a refund within the total (all of it
 * when refunded), a positive date; every feed record is
 * either a JSON value (which the order parser then judges) or a reported error with a line. */
#include <stdio.h>
#include <stdlib.h>

#include "core/order.h"
#include "core/order_import.h"
#include "util/json.h"

static void check(const struct order *o)
{
    if (!o->order_number || !o->currency || o->total < 0 || o->created_at <= 0 || !o->nitems ||
        o->nitems > ORDER_MAX_ITEMS || o->refunded < 0 || o->refunded > o->total ||
        (unsigned)o->status >= ORDER_STATUS_COUNT ||
        (o->status == ORDER_REFUNDED && o->refunded != o->total))
        abort();
    for (size_t i = 0; i < o->nitems; i++) {
        const struct order_item *it = &o->items[i];
        if ((!it->variant_id && !it->product_number && !it->url) || it->price < 0 ||
            it->quantity < 1)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
    struct shop sh = {.sid = 1, .currency = "EUR", .uuid = "6c1f0000-0000-4000-8000-000000000000"};
    struct rs_status st = {0};
    struct arena *a = arena_new();
    struct order o;
    int test;
    json_t *v = json_parse_strict((const char *)data, n, &st);
    if (v && order_parse(v, &sh, "api", 1795521600, a, &o, &test, &st) == RS_OK) check(&o);
    if (v && json_is_object(v)) {
        collect_website(v, a);
        if (collect_parse(v, &sh, 1795521600, a, &o, &st) == RS_OK) check(&o);
    }
    json_decref(v);
    FILE *f = fmemopen((void *)data, n, "r");
    struct order_import *im = f ? order_import_open(f, &st) : NULL;
    json_t *rec;
    long line, records = 0;
    int rc;
    while (im && records++ < 10000 && (rc = order_import_next(im, &rec, &line, &st)) != 0) {
        if (rc == -2) abort(); /* a read error, which a memory stream never has */
        if (rc > 0 && !rec) abort();
        if (rc < 0 && line < 1) abort();
        if (rc > 0 && order_parse(rec, &sh, "import", 1795521600, a, &o, &test, &st) == RS_OK)
            check(&o);
        json_decref(rec);
    }
    order_import_close(im);
    if (f) fclose(f);
    arena_free(a);
    return 0;
}
