/*
 * timeutil — the clock, RFC 3339, proleptic Gregorian calendar arithmetic and IANA time zones read
 * straight from TZif files (see timeutil.h for the contracts).
 *
 * Time zones: a zone is loaded from /usr/share/zoneinfo/NAME on first use. Only the version 2+
 * 64-bit data block is read (RFC 8536 §3): the transition times, the type each one switches to,
 * each type's UTC offset, and the footer, a POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3"
 * that governs every instant after the last transition (for "slim" files that is most of the
 * present). Before the first transition type 0 applies. Leap-second records are skipped.
 *
 * Invariants:
 * - A loaded zone is immutable and never freed; the list of zones only grows, under zones_lock,
 *   and only with names that passed tz_name_ok, so its size is bounded by the tz database.
 * - zone.trans is strictly ascending and every zone.trans_type[i] < zone.ntypes (checked at
 *   load), so lookups need no further checks.
 * - A footer that cannot be parsed is ignored: the last transition's type then applies forever.
 * - rfc3339_parse accepts only instants whose UTC form has a four-digit year (0000-9999), so
 *   that rfc3339_format can always write what it accepted, and parse(format(t)) == t.
 */
#include "util/timeutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/xalloc.h"

#define ZONEINFO_DIR  "/usr/share/zoneinfo/"
#define TZ_NAME_MAX   64
#define TZIF_MAX_SIZE (1 << 20)
#define TZIF_HEADER   44
#define DAY           86400
/* Footer rules are evaluated for at most this far from 1970 (about 34,800 years). */
#define RULE_T_MAX ((int64_t)1 << 40)

/* ---- the clock ---- */

static pthread_once_t now_once = PTHREAD_ONCE_INIT;
static int64_t pinned_now;
static int now_pinned;

static void now_init(void)
{
    const char *s = getenv("RESTOCK_NOW");
    char *end;
    if (!s || !*s) return;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return;
    pinned_now = v;
    now_pinned = 1;
}

int64_t now_s(void)
{
    pthread_once(&now_once, now_init);
    return now_pinned ? pinned_now : (int64_t)time(NULL);
}

/* ---- the calendar ---- */

static int is_leap(int64_t y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in_month(int64_t y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b < 0);
}

/* Counts in 400-year eras of 146097 days, with years starting on March 1 so that the leap day is
 * the last day of a year; 719468 is the day number of 1970-01-01 in that count. */
int64_t days_from_civil(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = floor_div(yy, 400);
    int64_t yoe = yy - era * 400;                                  /* [0, 399] */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t days, int *y, int *m, int *d)
{
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153; /* March = 0 */
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* ---- RFC 3339 and dates ---- */

/* Reads exactly n decimal digits at s into *v. */
static int digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

/* Parses "YYYY-MM-DD" at the start of s (no terminator check). */
static int date_prefix(const char *s, int *y, int *m, int *d)
{
    if (digits(s, 4, y) || s[4] != '-' || digits(s + 5, 2, m) || s[7] != '-' || digits(s + 8, 2, d))
        return -1;
    return *m >= 1 && *m <= 12 && *d >= 1 && *d <= days_in_month(*y, *m) ? 0 : -1;
}

int date_parse(const char *s, int *y, int *m, int *d)
{
    int yy, mm, dd;
    if (!s || strnlen(s, 11) != 10 || date_prefix(s, &yy, &mm, &dd) < 0) return -1;
    *y = yy, *m = mm, *d = dd;
    return 0;
}

size_t rfc3339_format(int64_t t, char *out, size_t cap)
{
    int64_t days = floor_div(t, DAY), secs = t - days * DAY;
    int y, m, d;
    if (cap == 0) return 0;
    civil_from_days(days, &y, &m, &d);
    int len = snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(secs / 3600),
                       (int)(secs / 60 % 60), (int)(secs % 60));
    if (len < 0) return 0;
    return (size_t)len < cap ? (size_t)len : cap - 1;
}

/* Parses the zone designator at s ("Z", "z", "+HH:MM", "-HH:MM") and the end of the string. */
static int rfc3339_zone(const char *s, int *off)
{
    int h, mi;
    *off = 0;
    if (s[0] == 'Z' || s[0] == 'z') return s[1] == '\0' ? 0 : -1;
    if ((s[0] != '+' && s[0] != '-') || digits(s + 1, 2, &h) || s[3] != ':' ||
        digits(s + 4, 2, &mi) || s[6] != '\0' || h > 23 || mi > 59)
        return -1;
    *off = (s[0] == '-' ? -1 : 1) * (h * 3600 + mi * 60);
    return 0;
}

int rfc3339_parse(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec, off;
    if (!s || strnlen(s, 20) < 20 || date_prefix(s, &y, &mo, &d) < 0) return -1;
    if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, &h) || s[13] != ':' ||
        digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
        return -1;
    if (h > 23 || mi > 59 || sec > 60) return -1; /* 60: a leap second, folded into the next */
    const char *p = s + 19;
    if (*p == '.') {
        const char *f = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == f) return -1;
    }
    if (rfc3339_zone(p, &off) < 0) return -1;
    int64_t t = days_from_civil(y, mo, d) * DAY + h * 3600 + mi * 60 + sec - off;
    if (t < days_from_civil(0, 1, 1) * DAY || t >= days_from_civil(10000, 1, 1) * DAY) return -1;
    *out = t;
    return 0;
}

/* ---- POSIX TZ strings (the TZif footer) ---- */

struct tz_rule {
    char kind; /* 'J': Julian day 1-365, Feb 29 never counted; 'D': day 0-365; 'M': m.w.d */
    int n, m, w, d;
    int32_t secs; /* local time of day of the change, -167h to 167h */
};

struct tz_posix {
    int32_t std_off, dst_off; /* UTC offsets, east positive */
    int has_dst;
    struct tz_rule start, end; /* start: in standard time; end: in daylight time */
};

/* Reads 1 to maxd digits into *v. */
static int read_uint(const char **p, int maxd, int *v)
{
    int n = 0;
    *v = 0;
    while (n < maxd && **p >= '0' && **p <= '9')
        *v = *v * 10 + (*(*p)++ - '0'), n++;
    return n > 0 ? 0 : -1;
}

/* A zone abbreviation: 3+ letters, or <...> with letters, digits, '+' and '-'. */
static int read_abbr(const char **p)
{
    const char *s = *p;
    if (*s == '<') {
        for (s++; (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
                  (*s >= '0' && *s <= '9') || *s == '+' || *s == '-';)
            s++;
        if (*s != '>' || s - *p < 4) return -1;
        *p = s + 1;
        return 0;
    }
    while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))
        s++;
    if (s - *p < 3) return -1;
    *p = s;
    return 0;
}

/* [+-]hh[:mm[:ss]] with hh at most 167, into signed seconds. */
static int read_hms(const char **p, int32_t *secs)
{
    int sign = 1, h, m = 0, s = 0;
    if (**p == '+' || **p == '-') sign = *(*p)++ == '-' ? -1 : 1;
    if (read_uint(p, 3, &h) || h > 167) return -1;
    if (**p == ':' && (++*p, read_uint(p, 2, &m) || m > 59)) return -1;
    if (**p == ':' && (++*p, read_uint(p, 2, &s) || s > 59)) return -1;
    *secs = sign * (h * 3600 + m * 60 + s);
    return 0;
}

static int read_rule(const char **p, struct tz_rule *r)
{
    r->secs = 7200;
    r->kind = **p == 'J' || **p == 'M' ? *(*p)++ : 'D';
    if (r->kind == 'J') {
        if (read_uint(p, 3, &r->n) || r->n < 1 || r->n > 365) return -1;
    } else if (r->kind == 'D') {
        if (read_uint(p, 3, &r->n) || r->n > 365) return -1;
    } else {
        if (read_uint(p, 2, &r->m) || r->m < 1 || r->m > 12 || *(*p)++ != '.' ||
            read_uint(p, 1, &r->w) || r->w < 1 || r->w > 5 || *(*p)++ != '.' ||
            read_uint(p, 1, &r->d) || r->d > 6)
            return -1;
    }
    if (**p == '/') {
        ++*p;
        return read_hms(p, &r->secs);
    }
    return 0;
}

static int posix_tz_parse(const char *s, struct tz_posix *tz)
{
    int32_t off;
    memset(tz, 0, sizeof(*tz));
    if (read_abbr(&s) || read_hms(&s, &off)) return -1;
    tz->std_off = tz->dst_off = -off; /* POSIX offsets are west positive */
    if (*s == '\0') return 0;
    if (read_abbr(&s)) return -1;
    tz->has_dst = 1;
    tz->dst_off = tz->std_off + 3600;
    if (*s != ',') {
        if (read_hms(&s, &off)) return -1;
        tz->dst_off = -off;
    }
    /* tzdata always gives the rules; POSIX's implementation-defined default is not guessed. */
    if (*s++ != ',' || read_rule(&s, &tz->start) || *s++ != ',' || read_rule(&s, &tz->end))
        return -1;
    return *s == '\0' ? 0 : -1;
}

/* The instant of rule r in year y, as seconds since the epoch of a clock showing local time. */
static int64_t rule_local(const struct tz_rule *r, int64_t y)
{
    int64_t days = days_from_civil((int)y, 1, 1);
    if (r->kind == 'J') {
        days += r->n - 1 + (is_leap(y) && r->n >= 60);
    } else if (r->kind == 'D') {
        days += r->n;
    } else {
        int64_t first = days_from_civil((int)y, r->m, 1);
        int wd1 = (int)(first + 4 - floor_div(first + 4, 7) * 7); /* 1970-01-01: a Thursday */
        int day = (r->d - wd1 + 7) % 7 + (r->w - 1) * 7;
        if (day >= days_in_month(y, r->m)) day -= 7;
        days = first + day;
    }
    return days * DAY + r->secs;
}

/* The offset at t under a footer rule: the state set by the latest change at or before t among
 * the changes of the years around t's (a start wins a tie, for year-round daylight time). */
static int32_t posix_tz_offset(const struct tz_posix *tz, int64_t t)
{
    int y, m, d, dst = 0;
    int64_t best = INT64_MIN;
    if (!tz->has_dst) return tz->std_off;
    if (t > RULE_T_MAX) t = RULE_T_MAX;
    if (t < -RULE_T_MAX) t = -RULE_T_MAX;
    civil_from_days(floor_div(t, DAY), &y, &m, &d);
    for (int64_t yy = y - 1; yy <= y + 1; yy++) {
        int64_t start = rule_local(&tz->start, yy) - tz->std_off;
        int64_t end = rule_local(&tz->end, yy) - tz->dst_off;
        if (end <= t && end > best) best = end, dst = 0;
        if (start <= t && start >= best) best = start, dst = 1;
    }
    return dst ? tz->dst_off : tz->std_off;
}

/* ---- TZif files ---- */

struct zone {
    struct zone *next;
    char name[TZ_NAME_MAX + 1];
    size_t ntrans, ntypes;
    int64_t *trans;      /* transition instants, strictly ascending */
    uint8_t *trans_type; /* the type each transition switches to */
    int32_t *type_off;   /* UTC offset of each type */
    int has_footer;
    struct tz_posix footer;
};

static pthread_mutex_t zones_lock = PTHREAD_MUTEX_INITIALIZER;
static struct zone *zones;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_counts {
    uint64_t isut, isstd, leap, time, type, chars;
};

/* Reads the header at p (len bytes available) and returns the length of the data block that
 * follows it for timesize-byte times, or 0 on a malformed header. */
static uint64_t tzif_header(const uint8_t *p, size_t len, int timesize, struct tzif_counts *c)
{
    if (len < TZIF_HEADER || memcmp(p, "TZif", 4) != 0 || p[4] < '2') return 0;
    c->isut = be32(p + 20), c->isstd = be32(p + 24), c->leap = be32(p + 28);
    c->time = be32(p + 32), c->type = be32(p + 36), c->chars = be32(p + 40);
    if (c->type == 0 || c->type > 256) return 0;
    return c->time * (uint64_t)timesize + c->time + c->type * 6 + c->chars +
           c->leap * (uint64_t)(timesize + 4) + c->isstd + c->isut;
}

/* Fills z's transitions and types from the v2+ data block at p. */
static int tzif_data(struct zone *z, const struct tzif_counts *c, const uint8_t *p)
{
    z->ntrans = (size_t)c->time, z->ntypes = (size_t)c->type;
    z->trans = xmalloc(z->ntrans * sizeof(z->trans[0]));
    z->trans_type = xmalloc(z->ntrans);
    z->type_off = xmalloc(z->ntypes * sizeof(z->type_off[0]));
    const uint8_t *idx = p + 8 * z->ntrans, *types = idx + z->ntrans;
    for (size_t i = 0; i < z->ntrans; i++) {
        z->trans[i] = be64(p + 8 * i);
        z->trans_type[i] = idx[i];
        if (idx[i] >= z->ntypes || (i > 0 && z->trans[i] <= z->trans[i - 1])) return -1;
    }
    for (size_t i = 0; i < z->ntypes; i++) {
        z->type_off[i] = (int32_t)be32(types + 6 * i);
        if (z->type_off[i] == INT32_MIN) return -1;
    }
    return 0;
}

/* Reads the footer "\nTZ\n" at p[0..n); an absent or unparsable one leaves has_footer 0. */
static void tzif_footer(struct zone *z, const uint8_t *p, size_t n)
{
    char buf[128];
    const uint8_t *nl = n > 1 && p[0] == '\n' ? memchr(p + 1, '\n', n - 1) : NULL;
    size_t len = nl ? (size_t)(nl - p) - 1 : 0;
    if (len == 0 || len >= sizeof(buf) || memchr(p + 1, '\0', len)) return;
    memcpy(buf, p + 1, len);
    buf[len] = '\0';
    z->has_footer = posix_tz_parse(buf, &z->footer) == 0;
}

static int tzif_parse(struct zone *z, const uint8_t *p, size_t len)
{
    struct tzif_counts c1, c2;
    uint64_t body1 = tzif_header(p, len, 4, &c1);
    if (body1 == 0 || body1 > len - TZIF_HEADER) return -1;
    size_t off = TZIF_HEADER + (size_t)body1;
    uint64_t body2 = tzif_header(p + off, len - off, 8, &c2);
    if (body2 == 0 || body2 > len - off - TZIF_HEADER) return -1;
    off += TZIF_HEADER;
    if (tzif_data(z, &c2, p + off) < 0) return -1;
    off += (size_t)body2;
    tzif_footer(z, p + off, len - off);
    return 0;
}

/* Reads the whole file at path into a new buffer (*data, to free) of *len bytes. */
static int read_file(const char *path, uint8_t **data, size_t *len)
{
    int rc = -1;
    uint8_t *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) goto out;
    buf = xmalloc(TZIF_MAX_SIZE + 1);
    size_t n = fread(buf, 1, TZIF_MAX_SIZE + 1, f);
    if (ferror(f) || n > TZIF_MAX_SIZE) goto out;
    *data = buf, *len = n;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    if (f) fclose(f);
    return rc;
}

static void zone_free(struct zone *z)
{
    if (!z) return;
    free(z->trans);
    free(z->trans_type);
    free(z->type_off);
    free(z);
}

static struct zone *zone_load(const char *name)
{
    char path[sizeof(ZONEINFO_DIR) + TZ_NAME_MAX];
    uint8_t *data = NULL;
    size_t len = 0;
    struct zone *z = xcalloc(1, sizeof(*z));
    snprintf(z->name, sizeof(z->name), "%s", name);
    snprintf(path, sizeof(path), "%s%s", ZONEINFO_DIR, name);
    if (read_file(path, &data, &len) < 0 || tzif_parse(z, data, len) < 0) {
        zone_free(z);
        z = NULL;
    }
    free(data);
    return z;
}

/* The name rules of tz_valid, without looking at the file system. */
static int tz_name_ok(const char *name)
{
    size_t n = name ? strnlen(name, TZ_NAME_MAX + 1) : 0;
    if (n == 0 || n > TZ_NAME_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-./", name[i]))
            return 0;
    /* Every '/'-separated component is non-empty and neither "." nor "..". */
    for (const char *c = name; *c; c += strcspn(c, "/"), c += *c == '/') {
        size_t len = strcspn(c, "/");
        if (len == 0 || (c[0] == '.' && (len == 1 || (len == 2 && c[1] == '.')))) return 0;
        if (c[len] == '/' && c[len + 1] == '\0') return 0; /* trailing '/' */
    }
    return 1;
}

/* The cached zone called name, loading it on first use; NULL when there is none. */
static const struct zone *zone_get(const char *name)
{
    struct zone *z;
    if (!tz_name_ok(name)) return NULL;
    pthread_mutex_lock(&zones_lock);
    for (z = zones; z; z = z->next)
        if (strcmp(z->name, name) == 0) break;
    if (!z && (z = zone_load(name)) != NULL) {
        z->next = zones;
        zones = z;
    }
    pthread_mutex_unlock(&zones_lock);
    return z;
}

int tz_valid(const char *name)
{
    return zone_get(name) != NULL;
}

static int32_t zone_offset(const struct zone *z, int64_t t)
{
    if (z->ntrans == 0 || t > z->trans[z->ntrans - 1]) {
        if (z->has_footer) return posix_tz_offset(&z->footer, t);
        return z->type_off[z->ntrans ? z->trans_type[z->ntrans - 1] : 0];
    }
    if (t < z->trans[0]) return z->type_off[0];
    size_t lo = 0, hi = z->ntrans - 1; /* trans[lo] <= t < trans[hi + 1] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (z->trans[mid] <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    return z->type_off[z->trans_type[lo]];
}

int tz_offset(const char *name, int64_t t, int32_t *off)
{
    const struct zone *z = zone_get(name);
    if (!z) return -1;
    *off = zone_offset(z, t);
    return 0;
}

int tz_local_to_utc(const char *name, int64_t local, int64_t min, int64_t *out)
{
    const struct zone *z = zone_get(name);
    if (!z || local < -RULE_T_MAX || local > RULE_T_MAX) return -1;
    /* Offsets stay within a day, so every instant showing `local` lies within a day of it, and
     * the offsets in force there are among those a day before, at and a day after it. */
    int32_t offs[3] = {zone_offset(z, local - DAY), zone_offset(z, local),
                       zone_offset(z, local + DAY)};
    int32_t lo_off = offs[0], hi_off = offs[0];
    int64_t best = INT64_MAX;
    int shown = 0;
    for (int i = 0; i < 3; i++) {
        int64_t t = local - offs[i];
        if (offs[i] < lo_off) lo_off = offs[i];
        if (offs[i] > hi_off) hi_off = offs[i];
        if (zone_offset(z, t) != offs[i]) continue;
        shown = 1;
        if (t >= min && t < best) best = t;
    }
    if (!shown && lo_off != hi_off) {
        /* Skipped: the gap ends at the transition between local - hi_off (still on the earlier,
         * smaller offset) and local - lo_off (on the later one). */
        int64_t lo = local - hi_off, hi = local - lo_off;
        int32_t before = zone_offset(z, lo);
        if (zone_offset(z, hi) == before) return -1;
        while (hi - lo > 1) {
            int64_t mid = lo + (hi - lo) / 2;
            if (zone_offset(z, mid) == before)
                lo = mid;
            else
                hi = mid;
        }
        if (hi >= min) best = hi;
    }
    if (best == INT64_MAX) return -1;
    *out = best;
    return 0;
}
