/*
 * money — parsing and formatting of exact decimal amounts held as int64 minor units, and the
 * ISO 4217 table of minor-unit exponents (see money.h for the contracts).
 *
 * Invariants:
 * - Amounts are never computed through a binary float; money_from_double exists only to accept
 *   JSON numbers at the wire boundary and refuses any double that is not exactly a decimal with at
 *   most `exp` digits (0.30000000000000004 at exp 2 is refused, 19.9 is 1990).
 * - Supported exponents are 0 to MONEY_MAX_EXP (18: 10^18 still fits int64); any other exp makes
 *   money_parse and money_from_double fail and money_format write "".
 * - money_parse accepts exactly what money_format produces (and shorter fractions), so
 *   parse(format(x)) == x for every int64 x, including INT64_MIN.
 * - currencies[] is sorted by code (bsearch relies on it) and lists the active ISO 4217 codes that
 *   have a minor unit; funds-only and precious-metal codes without one (XAU, XDR, ...) are absent.
 */
#include "util/money.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MONEY_MAX_EXP 18

struct currency {
    char code[4];
    int exp;
};

static const struct currency currencies[] = {
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"AOA", 2}, {"ARS", 2}, {"AUD", 2}, {"AWG", 2},
    {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2}, {"BHD", 3}, {"BIF", 0}, {"BMD", 2},
    {"BND", 2}, {"BOB", 2}, {"BOV", 2}, {"BRL", 2}, {"BSD", 2}, {"BTN", 2}, {"BWP", 2}, {"BYN", 2},
    {"BZD", 2}, {"CAD", 2}, {"CDF", 2}, {"CHE", 2}, {"CHF", 2}, {"CHW", 2}, {"CLF", 4}, {"CLP", 0},
    {"CNY", 2}, {"COP", 2}, {"COU", 2}, {"CRC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2}, {"DJF", 0},
    {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2}, {"EUR", 2}, {"FJD", 2},
    {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2}, {"GIP", 2}, {"GMD", 2}, {"GNF", 0}, {"GTQ", 2},
    {"GYD", 2}, {"HKD", 2}, {"HNL", 2}, {"HTG", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2},
    {"IQD", 3}, {"IRR", 2}, {"ISK", 0}, {"JMD", 2}, {"JOD", 3}, {"JPY", 0}, {"KES", 2}, {"KGS", 2},
    {"KHR", 2}, {"KMF", 0}, {"KPW", 2}, {"KRW", 0}, {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2},
    {"LBP", 2}, {"LKR", 2}, {"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2}, {"MGA", 2},
    {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2}, {"MVR", 2}, {"MWK", 2},
    {"MXN", 2}, {"MXV", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2}, {"NGN", 2}, {"NIO", 2}, {"NOK", 2},
    {"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2}, {"PHP", 2}, {"PKR", 2},
    {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2}, {"RUB", 2}, {"RWF", 0}, {"SAR", 2},
    {"SBD", 2}, {"SCR", 2}, {"SDG", 2}, {"SEK", 2}, {"SGD", 2}, {"SHP", 2}, {"SLE", 2}, {"SOS", 2},
    {"SRD", 2}, {"SSP", 2}, {"STN", 2}, {"SVC", 2}, {"SYP", 2}, {"SZL", 2}, {"THB", 2}, {"TJS", 2},
    {"TMT", 2}, {"TND", 3}, {"TOP", 2}, {"TRY", 2}, {"TTD", 2}, {"TWD", 2}, {"TZS", 2}, {"UAH", 2},
    {"UGX", 0}, {"USD", 2}, {"USN", 2}, {"UYI", 0}, {"UYU", 2}, {"UYW", 4}, {"UZS", 2}, {"VED", 2},
    {"VES", 2}, {"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAF", 0}, {"XCD", 2}, {"XCG", 2}, {"XOF", 0},
    {"XPF", 0}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2}, {"ZWG", 2},
};

static int currency_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct currency *)elem)->code);
}

int currency_exponent(const char *code)
{
    if (!code || strlen(code) != 3) return -1;
    const struct currency *c = bsearch(code, currencies, sizeof(currencies) / sizeof(currencies[0]),
                                       sizeof(currencies[0]), currency_cmp);
    return c ? c->exp : -1;
}

static uint64_t pow10u(int exp)
{
    uint64_t p = 1;
    while (exp-- > 0)
        p *= 10;
    return p;
}

/* mag = mag * 10 + digit, failing when the result would exceed limit. */
static int mag_push(uint64_t *mag, unsigned digit, uint64_t limit)
{
    if (*mag > (limit - digit) / 10) return -1;
    *mag = *mag * 10 + digit;
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int money_parse(const char *s, size_t n, int exp, int64_t *out)
{
    if (!s || exp < 0 || exp > MONEY_MAX_EXP) return -1;
    size_t i = 0;
    int neg = n > 0 && s[0] == '-';
    i += (size_t)neg;
    /* The magnitude may reach 2^63 only when negative (INT64_MIN). */
    uint64_t limit = (uint64_t)INT64_MAX + (uint64_t)neg, mag = 0;
    size_t int_start = i;
    for (; i < n && is_digit(s[i]); i++)
        if (mag_push(&mag, (unsigned)(s[i] - '0'), limit) < 0) return -1;
    if (i == int_start) return -1;
    int frac = 0;
    if (i < n && s[i] == '.') {
        for (i++; i < n && is_digit(s[i]); i++, frac++)
            if (frac >= exp || mag_push(&mag, (unsigned)(s[i] - '0'), limit) < 0) return -1;
        if (frac == 0) return -1;
    }
    if (i != n) return -1;
    for (; frac < exp; frac++)
        if (mag_push(&mag, 0, limit) < 0) return -1;
    *out = neg && mag ? -(int64_t)(mag - 1) - 1 : (int64_t)mag;
    return 0;
}

int money_parse_zeros(const char *s, size_t n, int exp, int64_t *out)
{
    size_t len = n;
    if (s && memchr(s, '.', n)) {
        while (len && s[len - 1] == '0')
            len--;
        if (len < n && len && s[len - 1] == '.') len--; /* "5." alone stays what it is */
    }
    return money_parse(s, len, exp, out);
}

size_t money_format(int64_t minor, int exp, char *out, size_t cap)
{
    if (cap == 0) return 0;
    out[0] = '\0';
    if (exp < 0 || exp > MONEY_MAX_EXP) return 0;
    uint64_t mag = minor < 0 ? 0 - (uint64_t)minor : (uint64_t)minor;
    uint64_t p = pow10u(exp);
    const char *sign = minor < 0 ? "-" : "";
    int len;
    if (exp == 0)
        len = snprintf(out, cap, "%s%llu", sign, (unsigned long long)mag);
    else
        len = snprintf(out, cap, "%s%llu.%0*llu", sign, (unsigned long long)(mag / p), exp,
                       (unsigned long long)(mag % p));
    if (len < 0) return 0;
    return (size_t)len < cap ? (size_t)len : cap - 1;
}

int money_round_double(double d, int exp, int64_t *out)
{
    if (!isfinite(d) || exp < 0 || exp > MONEY_MAX_EXP) return -1;
    double r = round(d * (double)pow10u(exp));
    if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0)) return -1;
    *out = (int64_t)r;
    return 0;
}

int money_from_double(double d, int exp, int64_t *out)
{
    if (!isfinite(d) || exp < 0 || exp > MONEY_MAX_EXP) return -1;
    /* Powers of ten up to 10^22 are exact doubles, so p is exact and the check below, a correctly
     * rounded division, yields the double nearest the decimal r / 10^exp — what a JSON parser
     * makes of that decimal's text. */
    double p = (double)pow10u(exp);
    double r = round(d * p);
    if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0)) return -1;
    if (r / p != d) return -1;
    *out = (int64_t)r;
    return 0;
}
