/* libFuzzer harness for the XML feed parser: any input is parsed without a crash, leak or
 * undefined behaviour; every item handed over has an id and a stock level in range, and the
 * counts add up. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "ingest/feed.h"

static int check(void *arg, struct variant_in *items, size_t n, struct arena **a,
                 struct rs_status *st)
{
    (void)a, (void)st;
    size_t *seen = arg;
    for (size_t i = 0; i < n; i++) {
        if (!items[i].v.variant_id || !*items[i].v.variant_id) abort();
        if (items[i].v.available < 0 || items[i].v.available > 1000000000) abort();
        if (items[i].v.price < -1) abort();
    }
    *seen += n;
    return RS_OK;
}

static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx, (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xmlSetGenericErrorFunc(NULL, quiet);
    size_t seen = 0;
    struct feed_stats fs;
    struct rs_status st = {0};
    struct feed_opts o = {.in_stock_default = 1, .batch = 3};
    feed_parse_memory((const char *)data, size, &o, check, NULL, &seen, &fs, &st);
    if (seen != fs.items) abort();
    return 0;
}
