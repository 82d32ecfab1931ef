/* Unit tests for util/money: parsing, formatting, doubles at the wire boundary, ISO 4217. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "test.h"
#include "util/money.h"

TEST(money_parse_cases)
{
    static const struct {
        const char *s;
        int exp, rc;
        int64_t want;
    } cases[] = {
        {"19.90", 2, 0, 1990},
        {"19.9", 2, 0, 1990},
        {"19", 2, 0, 1900},
        {"0.05", 2, 0, 5},
        {"-0.05", 2, 0, -5},
        {"-0", 2, 0, 0},
        {"007", 0, 0, 7},
        {"100", 0, 0, 100},
        {"1.5", 0, -1, 0},
        {"1.234", 3, 0, 1234},
        {"1.2", 3, 0, 1200},
        {"92233720368547758.07", 2, 0, INT64_MAX},
        {"-92233720368547758.08", 2, 0, INT64_MIN},
        {"92233720368547758.08", 2, -1, 0},
        {"9223372036854775807", 0, 0, INT64_MAX},
        {"-9223372036854775808", 0, 0, INT64_MIN},
        {"9223372036854775808", 0, -1, 0},
        {"92233720368547758080", 0, -1, 0},
        {"92233720368547758", 3, -1, 0},
        {"", 2, -1, 0},
        {"-", 2, -1, 0},
        {"1.", 2, -1, 0},
        {".5", 2, -1, 0},
        {"-.5", 2, -1, 0},
        {"1.234", 2, -1, 0},
        {"1e3", 2, -1, 0},
        {"+1", 2, -1, 0},
        {" 1", 2, -1, 0},
        {"1 ", 2, -1, 0},
        {"1,00", 2, -1, 0},
        {"--1", 2, -1, 0},
        {"1.2.3", 2, -1, 0},
        {"0x10", 2, -1, 0},
        {"1", -1, -1, 0},
        {"1", 19, -1, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t v = 42;
        int rc = money_parse(cases[i].s, strlen(cases[i].s), cases[i].exp, &v);
        if (rc != cases[i].rc) fprintf(stderr, "  case %zu: \"%s\"\n", i, cases[i].s);
        CHECK_INT(rc, cases[i].rc);
        if (rc == 0) CHECK_INT(v, cases[i].want);
    }
    int64_t v;
    CHECK_INT(money_parse("12.50xyz", 5, 2, &v), 0); /* only n bytes are read */
    CHECK_INT(v, 1250);
    CHECK_INT(money_parse("1\0"
                          "2",
                          3, 0, &v),
              -1);
}

TEST(money_format_cases)
{
    static const struct {
        int64_t minor;
        int exp;
        const char *want;
    } cases[] = {
        {1990, 2, "19.90"},
        {-5, 2, "-0.05"},
        {0, 2, "0.00"},
        {100, 0, "100"},
        {-100, 0, "-100"},
        {0, 0, "0"},
        {1234, 3, "1.234"},
        {-1, 3, "-0.001"},
        {5, 4, "0.0005"},
        {INT64_MAX, 2, "92233720368547758.07"},
        {INT64_MIN, 2, "-92233720368547758.08"},
        {INT64_MIN, 0, "-9223372036854775808"},
        {1, 18, "0.000000000000000001"},
        {INT64_MIN, 18, "-9.223372036854775808"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[24];
        size_t n = money_format(cases[i].minor, cases[i].exp, out, sizeof(out));
        CHECK_STR(out, cases[i].want);
        CHECK_INT(n, strlen(cases[i].want));
        int64_t back;
        CHECK_INT(money_parse(out, n, cases[i].exp, &back), 0);
        CHECK_INT(back, cases[i].minor);
    }
    char small[4];
    CHECK_INT(money_format(1990, 2, small, sizeof(small)), 3); /* truncated, still terminated */
    CHECK_STR(small, "19.");
    CHECK_INT(money_format(1, -1, small, sizeof(small)), 0);
    CHECK_STR(small, "");
}

/* 0.1 + 0.2 is 0.30000000000000004: rounded to cents it is 30, but 30 cents converted back is
 * 0.3, a different double, so the value is refused as not exactly a two-decimal amount. */
TEST(money_from_double_cases)
{
    static const struct {
        double d;
        int exp, rc;
        int64_t want;
    } cases[] = {
        {19.9, 2, 0, 1990}, {19.99, 2, 0, 1999},  {0.3, 2, 0, 30},   {0.1 + 0.2, 2, -1, 0},
        {1.005, 2, -1, 0},  {-0.05, 2, 0, -5},    {-0.0, 2, 0, 0},   {100, 0, 0, 100},
        {100.5, 0, -1, 0},  {1.234, 3, 0, 1234},  {1.234, 2, -1, 0}, {1e300, 2, -1, 0},
        {9.3e16, 2, -1, 0}, {INFINITY, 2, -1, 0}, {NAN, 2, -1, 0},   {1, -1, -1, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t v = 42;
        int rc = money_from_double(cases[i].d, cases[i].exp, &v);
        if (rc != cases[i].rc) fprintf(stderr, "  case %zu: %.17g\n", i, cases[i].d);
        CHECK_INT(rc, cases[i].rc);
        if (rc == 0) CHECK_INT(v, cases[i].want);
    }
}

TEST(money_round_double_cases)
{
    static const struct {
        double d;
        int exp, rc;
        int64_t want;
    } cases[] = {
        {59.699999999999996, 2, 0, 5970},
        {0.1 + 0.2, 2, 0, 30},
        {19.9, 2, 0, 1990},
        {1.005, 2, 0, 100},
        {0.125, 2, 0, 13},
        {-0.125, 2, 0, -13},
        {100.5, 0, 0, 101},
        {5000, 0, 0, 5000},
        {1e300, 2, -1, 0},
        {INFINITY, 2, -1, 0},
        {NAN, 2, -1, 0},
        {1, -1, -1, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t v = 42;
        int rc = money_round_double(cases[i].d, cases[i].exp, &v);
        if (rc != cases[i].rc) fprintf(stderr, "  case %zu: %.17g\n", i, cases[i].d);
        CHECK_INT(rc, cases[i].rc);
        if (rc == 0) CHECK_INT(v, cases[i].want);
    }
}

TEST(money_parse_zeros_cases)
{
    static const struct {
        const char *s;
        int exp, rc;
        int64_t want;
    } cases[] = {
        {"1000.00", 0, 0, 1000}, {"1000.0", 0, 0, 1000}, {"1000", 0, 0, 1000},
        {"19.90", 2, 0, 1990},   {"19.900", 2, 0, 1990}, {"19.9", 2, 0, 1990},
        {"0.00", 0, 0, 0},       {"100", 2, 0, 10000},   {"10.50", 0, -1, 0},
        {"19.901", 2, -1, 0},    {"5.", 0, -1, 0},       {".00", 0, -1, 0},
        {"", 2, -1, 0},          {"1e3", 0, -1, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t v = 42;
        int rc = money_parse_zeros(cases[i].s, strlen(cases[i].s), cases[i].exp, &v);
        if (rc != cases[i].rc) fprintf(stderr, "  case %zu: %s\n", i, cases[i].s);
        CHECK_INT(rc, cases[i].rc);
        if (rc == 0) CHECK_INT(v, cases[i].want);
    }
}

TEST(money_currency_exponent)
{
    static const struct {
        const char *code;
        int exp;
    } cases[] = {
        {"EUR", 2},   {"USD", 2}, {"JPY", 0},  {"KWD", 3},  {"DKK", 2},  {"CLF", 4},  {"AED", 2},
        {"ZWG", 2},   {"BHD", 3}, {"ISK", 0},  {"XAF", 0},  {"XYZ", -1}, {"eur", -1}, {"", -1},
        {"EURO", -1}, {"EU", -1}, {"XAU", -1}, {"AAA", -1}, {"ZZZ", -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (currency_exponent(cases[i].code) != cases[i].exp)
            fprintf(stderr, "  code %s\n", cases[i].code);
        CHECK_INT(currency_exponent(cases[i].code), cases[i].exp);
    }
    CHECK_INT(currency_exponent(NULL), -1);
}
