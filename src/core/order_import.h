/*
 * order_import — the order feed of `restock import-orders` (SPEC §3, §7): historic orders from
 * CSV or JSON lines, read as a stream and turned into objects of POST /v1/orders's shape, so one
 * validator (order_parse) and one writer job (order_apply) serve every source.
 *
 * The format is told by content: a file whose first non-blank byte is '{' is JSON lines (one
 * order object per line, blank lines skipped); anything else is CSV (RFC 4180: commas, quoted
 * fields with "" for a quote, CRLF or LF) with a header row naming columns among
 *   order_number, total, currency, created_at, email, phone, customer_id, tracking_user_id,
 *   cart_token, test, status, refunded, variant_id, product_number, url, quantity, price
 * (order_number, total and created_at required). A leading UTF-8 byte order mark (spreadsheets
 * write one) is skipped.
 *
 * Every order needs its created_at, in either format: a record without one is refused, since
 * the API's default (now) would date a historic order at its import and attribute it to this
 * week's notifications.
 *
 * Each CSV row is one line item, and an order's rows must be one after another: they are one
 * order, its order fields read from the first row. An order whose rows come in more than one
 * block (other orders' rows between) is refused whole, reported once at its first row with the
 * lines where it starts again; to know that before its first block is returned, CSV is read
 * twice, and input that cannot seek (a pipe) is first copied to a temporary file (tmpfile()).
 * An empty cell is an absent field, and so are the cells missing from a row shorter than the
 * header; a row of empty cells only (a blank line, or ",,," as spreadsheets write an empty row)
 * is skipped.
 *
 * A CSV row is malformed when it has more cells than the header, a cell that is not UTF-8 (JSON
 * lines are held to that by the JSON parser), text after a quoted cell's closing quote ("V1"x),
 * a NUL byte, an unclosed quote or a cell over 64 KiB. A quote inside an unquoted cell is kept
 * as text (V"1), as most CSV readers do, since where the cell ends is not in doubt; a CR inside
 * quotes is text. A malformed row rejects its whole order: it is reported (naming the order
 * when its number could be read) and the order's other rows are skipped, so no order is
 * imported with some of its items missing.
 *
 * Memory: the rows of one order at a time, and for CSV a map of every order number, about 30
 * to 60 bytes each (util/strmap.h): some 50 MiB for a file of a million orders.
 */
#ifndef RESTOCK_ORDER_IMPORT_H
#define RESTOCK_ORDER_IMPORT_H

#include <jansson.h>
#include <stdio.h>

#include "util/err.h"

struct order_import;

/* Starts reading f (not closed here). NULL with RS_EINVAL when a CSV header is bad, with
 * RS_EINTERNAL when f cannot be read (st says why). */
struct order_import *order_import_open(FILE *f, struct rs_status *st);
void order_import_close(struct order_import *im); /* NULL is fine */

/* The next order: 1 with *out (caller decrefs) and *line (where it starts); 0 at the end; -1
 * for a record that cannot be read (st says why, *line where), after which reading goes on; -2
 * when the input cannot be read (a read error: st says why, RS_EINTERNAL), which every later
 * call returns too. A read error is never taken for the end of the input, and the order being
 * read when it happens is not returned. */
int order_import_next(struct order_import *im, json_t **out, long *line, struct rs_status *st);

#endif
