/*
 * csv — RFC 4180 output: fields separated by commas, records ended by CRLF, a field quoted when
 * it holds a comma, a double quote, CR or LF (or starts or ends with a space, so spreadsheets keep
 * it), and a double quote inside a quoted field doubled. Text is passed through byte for byte
 * (restock's strings are UTF-8).
 */
#ifndef RESTOCK_CSV_H
#define RESTOCK_CSV_H

#include <stddef.h>

#include "util/buf.h"

/* Appends one field, preceded by a comma unless first. NULL is an empty field. */
void csv_field(struct buf *b, const char *s, int first);
/* Appends one field of n bytes (may hold NUL-free binary-safe text). */
void csv_fieldn(struct buf *b, const char *s, size_t n, int first);
/* Ends the record (CRLF). */
void csv_end(struct buf *b);

#endif
