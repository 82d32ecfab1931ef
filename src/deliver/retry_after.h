/*
 * retry_after — a service's Retry-After header (RFC 9110 §10.2.3), for the HTTP channels (web
 * push, SMS): how long it asks us to wait before trying again.
 */
#ifndef RESTOCK_RETRY_AFTER_H
#define RESTOCK_RETRY_AFTER_H

#include <stddef.h>

#define RETRY_AFTER_MAX 604800 /* a week: longer answers are capped */

/* The header's value (n bytes, blanks and CRLF around it allowed), delay-seconds or an
 * HTTP-date, as seconds from now: 0 when it is unusable or in the past, at most
 * RETRY_AFTER_MAX. */
long retry_after_parse(const char *v, size_t n);

/* For a curl header callback: one header line (n bytes). A status line ("HTTP/...", a new
 * response after a 1xx) sets *secs to 0, a Retry-After line to its value; others leave it. */
void retry_after_header(const char *line, size_t n, long *secs);

#endif
