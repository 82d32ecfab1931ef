/*
 * json — strict JSON in, through jansson, and field checking by table; compact JSON out.
 *
 * Bodies are parsed with duplicate keys rejected, NUL bytes rejected and invalid UTF-8 rejected
 * (jansson's decoder checks it). An object from outside is checked against a table of the fields
 * it may have (name, type, required), so a handler reads only fields it knows to be well-typed and
 * every mistake is answered with a message that names the field, e.g. "quantity: must be an
 * integer" or "items[2].price: must be a decimal amount".
 */
#ifndef RESTOCK_JSON_H
#define RESTOCK_JSON_H

#include <jansson.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

enum jf_type {
    JF_STRING, /* a string */
    JF_ID,     /* an identifier: a string, or an integer (kept exact, as its decimal text) */
    JF_INT,    /* an integer */
    JF_BOOL,   /* true or false */
    JF_MONEY,  /* a decimal amount: a string "19.90" or a number */
    JF_OBJECT,
    JF_ARRAY,
    JF_ANY,
};

enum { JF_REQUIRED = 1, JF_NULLABLE = 2 };

struct jfield {
    const char *name;
    enum jf_type type;
    unsigned flags;
};

/* Parses len bytes as one JSON value. NULL with RS_EJSON in st (message: position and reason). */
json_t *json_parse_strict(const char *text, size_t len, struct rs_status *st);

/* Checks obj against fields[0..n): obj must be an object, every key must be in the table with a
 * value of its type (null only when JF_NULLABLE), every JF_REQUIRED key present and not null.
 * `where` prefixes field names in messages ("" at the top, "items[2]" inside). RS_OK or
 * RS_EINVAL with the message in st. */
int json_check(const json_t *obj, const struct jfield *fields, size_t n, const char *where,
               struct rs_status *st);

/* Getters for fields that json_check has passed. NULL / the default when absent or null. */
const char *jstr(const json_t *obj, const char *key);
/* A JF_ID field as text: a string as is, an integer as decimal written into tmp (24 bytes). */
const char *jid(const json_t *obj, const char *key, char tmp[24]);
int64_t jint(const json_t *obj, const char *key, int64_t dflt);
int jbool(const json_t *obj, const char *key, int dflt);
int jhas(const json_t *obj, const char *key); /* present and not null */

/* A JF_MONEY field in minor units of a currency with exponent exp. RS_EINVAL naming `name`. */
int jmoney(const json_t *obj, const char *key, int exp, int64_t *out, const char *where,
           struct rs_status *st);
/* As jmoney, for what is summed (an order's total, price and refunds, an event's value): at
 * most MONEY_AMOUNT_MAX in magnitude. */
int jamount(const json_t *obj, const char *key, int exp, int64_t *out, const char *where,
            struct rs_status *st);

/* json_dumps' flags for what json_write writes: compact, any value, and reals to 15
 * significant digits (jansson's default 17 shows a rounded 0.3333 as 0.33329999999999999). */
#define JSON_WRITE_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15))

/* Appends v to b as compact JSON, byte for byte what json_dumps(v, JSON_WRITE_FLAGS) writes
 * (object keys in insertion order, UTF-8 as is, control characters, " and \\ escaped), at a
 * fraction of its cost: answers are built on the hot path. Returns 0, or -1 when b's limit was
 * reached (b is then toobig). */
int json_write(struct buf *b, const json_t *v);
/* Appends the UTF-8 text s[0..n) as one JSON string, quoted and escaped as json_write does. */
int json_write_string(struct buf *b, const char *s, size_t n);

#endif
