/*
 * timeutil — RFC 3339 times, calendar dates and IANA time zones.
 *
 * Times inside restock are int64 seconds since the Unix epoch (UTC). Zone conversions use the
 * system's tz database (Debian's tzdata, /usr/share/zoneinfo). libc's localtime_r works only in
 * the process-wide TZ, which a multi-shop server cannot switch per request, so tz_offset() reads
 * the zone's TZif file (RFC 8536) once, caches its transitions and answers from them.
 */
#ifndef RESTOCK_TIMEUTIL_H
#define RESTOCK_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Wall-clock now in seconds. Tests may pin it with the environment variable RESTOCK_NOW (epoch
 * seconds) read at first call — used only by tests that need a controllable clock. */
int64_t now_s(void);

/* Formats t as RFC 3339 UTC, "2026-11-22T10:00:00Z", into out (at least 21 bytes). */
size_t rfc3339_format(int64_t t, char *out, size_t cap);
/* Parses RFC 3339 ("2026-11-22T10:00:00Z", "2026-11-22T11:00:00+01:00", fractional seconds
 * accepted and dropped; 't'/'z' and a space for 'T' accepted). -1 on bad input. */
int rfc3339_parse(const char *s, int64_t *out);
/* Parses a calendar date "YYYY-MM-DD" into year, month, day; -1 when invalid (incl. Feb 30). */
int date_parse(const char *s, int *y, int *m, int *d);
/* Days since 1970-01-01 of a civil date, and back. */
int64_t days_from_civil(int y, int m, int d);
void civil_from_days(int64_t days, int *y, int *m, int *d);

/* 1 when name is a time zone in the tz database: characters [A-Za-z0-9_+-/], no "..", not
 * starting with '/', at most 64 bytes, and /usr/share/zoneinfo/NAME is a TZif file. */
int tz_valid(const char *name);
/* The UTC offset in seconds of zone `name` at instant t (e.g. 3600 for Europe/Copenhagen in
 * winter). Thread-safe; zones are loaded once and cached for the life of the process. -1 on an
 * unknown zone (with *off untouched). */
int tz_offset(const char *name, int64_t t, int32_t *off);
/* Back from the wall clock: the first instant t >= min at which zone `name` shows `local` (local
 * seconds since the epoch, i.e. t + offset(t) == local). A wall time shown twice (clocks going
 * back) gives the earlier instant that is not before min; one that is skipped (clocks going
 * forward) gives the instant the gap ends, the first to show a later time. 0, or -1 on an unknown
 * zone or when there is no such instant at or after min. */
int tz_local_to_utc(const char *name, int64_t local, int64_t min, int64_t *out);

#endif
