/*
 * feed — XML product feeds (SPEC §7): Google Merchant RSS 2.0 (`<item>` elements with the `g:`
 * namespace, http://base.google.com/ns/1.0) and Atom (`<entry>` elements with the same `g:`
 * fields), streamed with libxml2's xmlTextReader so memory stays bounded whatever the feed's size.
 *
 * Fields: g:id → variant_id (required), g:item_group_id → product_id, g:title (else the item's
 * plain title), g:link (else the RSS link text or the Atom link's href), g:image_link, g:price
 * "19.90 EUR" → price and currency, g:sale_price (the price then, and g:price the original
 * price), g:availability, g:quantity, g:product_type → category, g:mpn → product_number.
 *
 * Stock: `in stock` is g:quantity when given, else opts->in_stock_default units (default 1:
 * "there is some"); `out of stock`, `preorder` and `backorder` are 0 (a shopper waiting for one is
 * told when it is on the shelf). Underscored spellings are accepted. Stock goes through
 * catalog_apply, so a feed can restock.
 *
 * A bad item (no id, a malformed price, an unknown availability, a field over its bound) is
 * reported with the line it starts on and skipped; the import goes on. XML that is not
 * well-formed stops the import at that line (items before it are applied). External entities and
 * network access are never loaded (no XML_PARSE_NOENT, XML_PARSE_NONET).
 */
#ifndef RESTOCK_FEED_H
#define RESTOCK_FEED_H

#include <stddef.h>

#include "core/app.h"
#include "core/catalog.h"

struct feed_opts {
    int64_t in_stock_default; /* units for `in stock` without g:quantity; default 1 */
    size_t batch;             /* items per writer job; default 1000 */
};

struct feed_stats {
    size_t items, bad, batches, created, updated, restocked;
};

/* Called for each bad item (line, message) — the message names the field. */
typedef void (*feed_report_fn)(void *arg, long line, const char *msg);
/* Called with each full batch (and the last); items live in *a. The callee may take the arena
 * (setting *a = NULL: it frees it when done with the items); otherwise it is freed after the call.
 * A non-zero return stops the parse with that error (st set). */
typedef int (*feed_batch_fn)(void *arg, struct variant_in *items, size_t n, struct arena **a,
                             struct rs_status *st);

/* Parses a feed from memory or a file, handing items to batch_fn in batches. RS_OK, or RS_EINVAL
 * for XML that is not well-formed ("line N: ...") or a file that cannot be opened or is a
 * directory ("PATH: ..."), or the batch function's error. */
int feed_parse_memory(const char *xml, size_t n, const struct feed_opts *o, feed_batch_fn batch_fn,
                      feed_report_fn report, void *arg, struct feed_stats *stats,
                      struct rs_status *st);
int feed_parse_file(const char *path, const struct feed_opts *o, feed_batch_fn batch_fn,
                    feed_report_fn report, void *arg, struct feed_stats *stats,
                    struct rs_status *st);

/* Parses and applies a feed to a shop: one catalog_apply writer job per batch through the
 * app's committer, the next batch parsed while the previous one commits (at most one in
 * flight, so memory stays two batches). Returns once every batch is durable. Bad items go to
 * report. */
int feed_import_file(struct app *app, const struct shop *sh, const char *path,
                     const struct feed_opts *o, feed_report_fn report, void *arg,
                     struct feed_stats *stats, struct rs_status *st);
int feed_import_memory(struct app *app, const struct shop *sh, const char *xml, size_t n,
                       const struct feed_opts *o, feed_report_fn report, void *arg,
                       struct feed_stats *stats, struct rs_status *st);

#endif
