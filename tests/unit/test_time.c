/* Unit tests for util/timeutil: RFC 3339, dates, the civil calendar and TZif time zones (the
 * expected offsets were cross-checked against Python's zoneinfo on the same tzdata). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test.h"
#include "util/timeutil.h"

TEST(time_rfc3339_format)
{
    static const struct {
        int64_t t;
        const char *want;
    } cases[] = {
        {0, "1970-01-01T00:00:00Z"},
        {1795341600, "2026-11-22T10:00:00Z"},
        {-1, "1969-12-31T23:59:59Z"},
        {951782400, "2000-02-29T00:00:00Z"},
        {253402300799, "9999-12-31T23:59:59Z"},
        {-62167219200, "0000-01-01T00:00:00Z"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[32];
        CHECK_INT(rfc3339_format(cases[i].t, out, sizeof(out)), 20);
        CHECK_STR(out, cases[i].want);
    }
}

TEST(time_rfc3339_parse)
{
    static const struct {
        const char *s;
        int rc;
        int64_t want;
    } cases[] = {
        {"2026-11-22T10:00:00Z", 0, 1795341600},
        {"2026-11-22t10:00:00z", 0, 1795341600},
        {"2026-11-22 10:00:00Z", 0, 1795341600},
        {"2026-11-22T11:00:00+01:00", 0, 1795341600},
        {"2026-11-22T04:30:00-05:30", 0, 1795341600},
        {"2026-11-22T10:00:00-00:00", 0, 1795341600},
        {"2026-11-22T10:00:00.123456789Z", 0, 1795341600},
        {"2026-11-22T10:00:00.9+00:00", 0, 1795341600},
        {"2026-12-31T23:59:60Z", 0, 1798761600},
        {"1969-12-31T23:59:59Z", 0, -1},
        {"2024-02-29T00:00:00Z", 0, 1709164800},
        {"0000-01-01T00:00:00Z", 0, -62167219200},
        {"9999-12-31T23:59:59Z", 0, 253402300799},
        {"0000-01-01T00:00:00+00:01", -1, 0},
        {"9999-12-31T23:59:59-00:01", -1, 0},
        {"2025-02-29T00:00:00Z", -1, 0},
        {"2026-13-01T00:00:00Z", -1, 0},
        {"2026-00-01T00:00:00Z", -1, 0},
        {"2026-11-31T00:00:00Z", -1, 0},
        {"2026-11-22T24:00:00Z", -1, 0},
        {"2026-11-22T10:60:00Z", -1, 0},
        {"2026-11-22T10:00:61Z", -1, 0},
        {"2026-11-22T10:00:00", -1, 0},
        {"2026-11-22T10:00:00.Z", -1, 0},
        {"2026-11-22T10:00:00+0100", -1, 0},
        {"2026-11-22T10:00:00+24:00", -1, 0},
        {"2026-11-22T10:00:00+01:60", -1, 0},
        {"2026-11-22T10:00:00Z ", -1, 0},
        {"2026-11-22T10:00Z", -1, 0},
        {"2026-11-22X10:00:00Z", -1, 0},
        {"26-11-22T10:00:00Z", -1, 0},
        {"2026-1-22T10:00:00Z", -1, 0},
        {"+2026-11-22T10:00:00Z", -1, 0},
        {"2026-11-22", -1, 0},
        {"", -1, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t t = 42;
        int rc = rfc3339_parse(cases[i].s, &t);
        if (rc != cases[i].rc) fprintf(stderr, "  input \"%s\"\n", cases[i].s);
        CHECK_INT(rc, cases[i].rc);
        if (rc == 0) CHECK_INT(t, cases[i].want);
    }
    int64_t t;
    CHECK_INT(rfc3339_parse(NULL, &t), -1);
}

TEST(time_date_parse)
{
    static const struct {
        const char *s;
        int rc, y, m, d;
    } cases[] = {
        {"2024-02-29", 0, 2024, 2, 29},
        {"2000-02-29", 0, 2000, 2, 29},
        {"2026-12-31", 0, 2026, 12, 31},
        {"2025-02-29", -1, 0, 0, 0},
        {"1900-02-29", -1, 0, 0, 0},
        {"2026-02-30", -1, 0, 0, 0},
        {"2026-04-31", -1, 0, 0, 0},
        {"2026-13-01", -1, 0, 0, 0},
        {"2026-01-00", -1, 0, 0, 0},
        {"2026-1-01", -1, 0, 0, 0},
        {"2026-01-01T", -1, 0, 0, 0},
        {"2026/01/01", -1, 0, 0, 0},
        {"", -1, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int y = -1, m = -1, d = -1;
        int rc = date_parse(cases[i].s, &y, &m, &d);
        CHECK_INT(rc, cases[i].rc);
        if (rc == 0) {
            CHECK_INT(y, cases[i].y);
            CHECK_INT(m, cases[i].m);
            CHECK_INT(d, cases[i].d);
        } else {
            CHECK_INT(y, -1); /* outputs untouched on failure */
        }
    }
}

TEST(time_civil_days)
{
    static const struct {
        int y, m, d;
        int64_t days;
    } cases[] = {
        {1970, 1, 1, 0},    {1969, 12, 31, -1},    {2000, 3, 1, 11017},     {2026, 11, 22, 20779},
        {0, 1, 1, -719528}, {-1, 12, 31, -719529}, {9999, 12, 31, 2932896},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int y, m, d;
        CHECK_INT(days_from_civil(cases[i].y, cases[i].m, cases[i].d), cases[i].days);
        civil_from_days(cases[i].days, &y, &m, &d);
        CHECK_INT(y, cases[i].y);
        CHECK_INT(m, cases[i].m);
        CHECK_INT(d, cases[i].d);
    }
    /* Every day over eight centuries maps back to itself, and consecutive days are consecutive. */
    int py = 0, pm = 0, pd = 0;
    for (int64_t days = -200000; days < 100000; days++) {
        int y, m, d;
        civil_from_days(days, &y, &m, &d);
        if (days_from_civil(y, m, d) != days) {
            CHECK_INT(days_from_civil(y, m, d), days);
            break;
        }
        if (days > -200000 &&
            !(d == pd + 1 || (d == 1 && (m == pm + 1 || (m == 1 && y == py + 1))))) {
            CHECK(0);
            break;
        }
        py = y, pm = m, pd = d;
    }
}

TEST(time_tz_valid)
{
    static const struct {
        const char *name;
        int ok;
    } cases[] = {
        {"Europe/Copenhagen", 1},
        {"America/Argentina/Buenos_Aires", 1},
        {"Etc/GMT+5", 1},
        {"UTC", 1},
        {"../etc/passwd", 0},
        {"Europe/../Europe/Copenhagen", 0},
        {"Europe/./Copenhagen", 0},
        {"Europe//Copenhagen", 0},
        {"Europe/Copenhagen/", 0},
        {"/usr/share/zoneinfo/UTC", 0},
        {"Nope/Zone", 0},
        {"Europe", 0},
        {"zone.tab", 0},
        {"Europe/Copenhagen ", 0},
        {"", 0},
        {"Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (tz_valid(cases[i].name) != cases[i].ok)
            fprintf(stderr, "  zone \"%s\"\n", cases[i].name);
        CHECK_INT(tz_valid(cases[i].name), cases[i].ok);
    }
    CHECK_INT(tz_valid(NULL), 0);
}

TEST(time_tz_offset)
{
    static const struct {
        const char *zone;
        int64_t t;
        int32_t off;
    } cases[] = {
        {"Europe/Copenhagen", 1774745999, 3600},  /* 2026-03-29T00:59:59Z */
        {"Europe/Copenhagen", 1774746000, 7200},  /* 2026-03-29T01:00:00Z */
        {"Europe/Copenhagen", 1792889999, 7200},  /* 2026-10-25T00:59:59Z */
        {"Europe/Copenhagen", 1792890000, 3600},  /* 2026-10-25T01:00:00Z */
        {"Europe/Copenhagen", -5364662400, 3020}, /* 1800: local mean time */
        {"America/New_York", 1772953199, -18000}, /* 2026-03-08T06:59:59Z */
        {"America/New_York", 1772953200, -14400},
        {"America/New_York", 1793512799, -14400}, /* 2026-11-01T05:59:59Z */
        {"America/New_York", 1793512800, -18000},
        {"Asia/Kolkata", 1780272000, 19800},
        {"UTC", 1795341600, 0},
        {"Etc/GMT+5", 1795341600, -18000},
        /* After the last transition the footer rule decides. */
        {"Europe/Copenhagen", 2216249999, 3600}, /* 2040-03-25T00:59:59Z */
        {"Europe/Copenhagen", 2216250000, 7200},
        {"Europe/Copenhagen", 2224713600, 7200}, /* 2040-07-01 */
        {"Europe/Copenhagen", 2234998799, 7200}, /* 2040-10-28T00:59:59Z */
        {"Europe/Copenhagen", 2234998800, 3600},
        {"America/New_York", 2382480000, -14400}, /* 2045-07-01 */
        {"Australia/Sydney", 2210198400, 39600},  /* 2040-01-15: southern summer */
        {"Australia/Sydney", 2225923200, 36000},
        {"Australia/Lord_Howe", 2210198400, 39600},
        {"Australia/Lord_Howe", 2225923200, 37800}, /* a half-hour shift */
        {"Europe/Dublin", 2210198400, 0},           /* negative DST: winter is the "daylight" */
        {"Europe/Dublin", 2225923200, 3600},
        {"America/Sao_Paulo", 2208988800, -10800},
        {"Europe/Copenhagen", INT64_MAX, 3600},
        {"Europe/Copenhagen", INT64_MIN, 3020},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int32_t off = 12345;
        CHECK_INT(tz_offset(cases[i].zone, cases[i].t, &off), 0);
        if (off != cases[i].off)
            fprintf(stderr, "  %s at %lld\n", cases[i].zone, (long long)cases[i].t);
        CHECK_INT(off, cases[i].off);
    }
    int32_t off = 12345;
    CHECK_INT(tz_offset("Nope/Zone", 0, &off), -1);
    CHECK_INT(off, 12345);
    CHECK_INT(tz_offset("../etc/passwd", 0, &off), -1);
}

TEST(time_tz_local_to_utc)
{
    /* local: wall-clock seconds; 2026-03-29 and 2026-10-25 are Copenhagen's DST changes */
    const int64_t mar29 = days_from_civil(2026, 3, 29) * 86400,
                  oct25 = days_from_civil(2026, 10, 25) * 86400;
    static const int64_t any = INT64_MIN;
    const struct {
        const char *zone;
        int64_t local, min, want; /* want -1: none */
    } cases[] = {
        {"Europe/Copenhagen", mar29 + 1 * 3600, any, mar29},            /* 01:00 CET */
        {"Europe/Copenhagen", mar29 + 8 * 3600, any, mar29 + 6 * 3600}, /* 08:00 CEST */
        {"Europe/Copenhagen", mar29 + 2 * 3600 + 1800, any,
         1774746000}, /* skipped: the gap's end */
        {"Europe/Copenhagen", mar29 + 2 * 3600, any, 1774746000},
        {"Europe/Copenhagen", mar29 + 3 * 3600, any, 1774746000},          /* 03:00 CEST exists */
        {"Europe/Copenhagen", oct25 + 2 * 3600 + 1800, any, oct25 + 1800}, /* twice: the first */
        {"Europe/Copenhagen", oct25 + 2 * 3600 + 1800, oct25 + 1801, oct25 + 5400},
        {"Europe/Copenhagen", oct25 + 2 * 3600 + 1800, oct25 + 5401, -1},
        {"Europe/Copenhagen", oct25 + 8 * 3600, any, oct25 + 7 * 3600},
        {"America/New_York", days_from_civil(2026, 3, 8) * 86400 + 8 * 3600, any,
         days_from_civil(2026, 3, 8) * 86400 + 12 * 3600},
        {"Australia/Lord_Howe", days_from_civil(2040, 1, 15) * 86400, any,
         days_from_civil(2040, 1, 15) * 86400 - 39600},
        {"UTC", 1795341600, any, 1795341600},
        {"UTC", 1795341600, 1795341601, -1},
        {"Nope/Zone", 1795341600, any, -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t t = 12345;
        int rc = tz_local_to_utc(cases[i].zone, cases[i].local, cases[i].min, &t);
        if (rc != (cases[i].want == -1 ? -1 : 0) || (rc == 0 && t != cases[i].want))
            fprintf(stderr, "  case %zu: %d %lld\n", i, rc, (long long)t);
        CHECK_INT(rc, cases[i].want == -1 ? -1 : 0);
        CHECK_INT(t, cases[i].want == -1 ? 12345 : cases[i].want);
        if (rc == 0) { /* a shown wall time really is shown then */
            int32_t off = 0;
            tz_offset(cases[i].zone, t, &off);
            CHECK(t + off >= cases[i].local);
        }
    }
}

TEST(time_now)
{
    /* RESTOCK_NOW is read once per process, so this only checks the unpinned clock. */
    if (getenv("RESTOCK_NOW")) return;
    int64_t a = (int64_t)time(NULL), now = now_s();
    CHECK(now >= a && now <= a + 2);
}
