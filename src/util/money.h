/*
 * money — exact amounts in integer minor units, and the ISO 4217 table.
 *
 * Money never travels as a binary float inside restock: "19.90" EUR is 1990. The exponent (the
 * number of minor-unit digits) comes from the currency: 2 for EUR, 0 for JPY, 3 for KWD.
 */
#ifndef RESTOCK_MONEY_H
#define RESTOCK_MONEY_H

#include <stddef.h>
#include <stdint.h>

/* The minor-unit exponent of an active ISO 4217 code (upper case, e.g. "EUR" → 2), or -1 when s
 * is not one. */
int currency_exponent(const char *code);

/* The largest amount (in magnitude) an order, a price, a refund or an event may carry: 13
 * digits of minor units (99,999,999,999.99 EUR), so that sums over millions of them stay far
 * inside int64. */
#define MONEY_AMOUNT_MAX 9999999999999LL

/* Parses a decimal amount: optional '-', digits, optionally '.' and at most `exp` digits (fewer
 * are padded: "19.9" → 1990 at exp 2). No exponent notation, no '+', no spaces, no thousands
 * separators, at least one digit before any '.'. Fails (-1) on anything else and when the value
 * does not fit in int64. */
int money_parse(const char *s, size_t n, int exp, int64_t *out);
/* As money_parse, and decimals beyond `exp` are taken when they are zeros: "1000.00" at exp 0
 * is 1000 (how a client that always writes two decimals gives a yen amount). */
int money_parse_zeros(const char *s, size_t n, int exp, int64_t *out);
/* Formats minor units as a decimal string with exactly `exp` decimals ("19.90", "-0.05", "100")
 * into out (cap bytes, 24 is always enough). Returns the length. */
size_t money_format(int64_t minor, int exp, char *out, size_t cap);
/* For JSON numbers that arrived as doubles: accepts d when it has at most `exp` decimals (after
 * rounding to the nearest representable decimal of `exp` digits, the value must equal d when
 * converted back) and fits; -1 otherwise. Used only at the wire boundary. */
int money_from_double(double d, int exp, int64_t *out);
/* As money_from_double, but rounds d to the nearest minor unit (halves away from zero) instead
 * of refusing more decimals: for a client that computes totals in floating point (a browser's
 * 19.9 * 3 is 59.699999999999996). -1 when not finite or out of range. */
int money_round_double(double d, int exp, int64_t *out);

#endif
