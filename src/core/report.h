/*
 * report — the admin reports (SPEC §4): the customers report (one row per sent notification:
 * who, what, when, and the conversion and order it led to) as JSON rows or RFC 4180 CSV, and the
 * demand report (variants ranked by waiting subscribers).
 *
 * The customers report is read in keyset pages (notification id order), so a caller can stream
 * any number of rows in bounded memory: the HTTP layer reads one page per write of the response,
 * the CLI one page after the other. Each page is its own read; a page never repeats or skips a
 * row that existed when the export began (ids only grow), and rows sent meanwhile may appear.
 */
#ifndef RESTOCK_REPORT_H
#define RESTOCK_REPORT_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

/* Rows per page of the CSV stream. */
#define REPORT_PAGE 1000

/* The sent_at range of dates `from` and `to` (YYYY-MM-DD, both inclusive, either NULL) in time
 * zone tz: [*start, *end), *end 0 when open. RS_EINVAL naming the field on a bad date, as
 * `from` with prefix "" (a query parameter) or `--from` with "--" (a command-line flag). */
int report_range(const char *tz, const char *from, const char *to, const char *prefix,
                 int64_t *start, int64_t *end, struct rs_status *st);

/* The CSV header record. */
void report_csv_header(struct buf *b);
/* One CSV record for a row. */
void report_csv_row(struct buf *b, const struct customer_row *row);
/* A row as JSON (new reference). */
json_t *report_customer_json(const struct customer_row *row);

/* Appends one page (f->limit rows after f->after_id) as CSV records to out; sets *n to the rows
 * read and advances f->after_id past them. Strings live in a (reset it between pages). */
int report_csv_page(struct tx *tx, struct report_filter *f, struct arena *a, struct buf *out,
                    int *n);

/* The demand report of shop sh at `now`: at most limit variants with waiting subscribers, most
 * waiting first, as {"data":[...]} into *out (new reference). */
int report_demand(struct tx *tx, const struct shop *sh, int64_t now, int limit, struct arena *a,
                  json_t **out);

#endif
