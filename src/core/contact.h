/*
 * contact — validation and normalisation of the ways to reach a shopper.
 *
 * Pure functions over strings: no I/O, no allocation except where stated. Each `*_normalize`
 * writes the canonical form into out (cap bytes) and returns 0, or -1 when the input is invalid
 * (or does not fit). Canonical forms are what restock compares: two sign-ups are the same contact
 * exactly when their canonical forms are equal.
 */
#ifndef RESTOCK_CONTACT_H
#define RESTOCK_CONTACT_H

#include <stddef.h>

/* An email address: local@domain, at most 254 bytes, no spaces or control characters, one '@',
 * a domain of dot-separated labels (letters, digits, '-', not starting or ending with '-', at
 * least two labels). Canonical form: the whole address lower-cased (SPEC: emails compare
 * case-insensitively). */
int email_normalize(const char *in, char *out, size_t cap);

/* A phone number in E.164: '+', a non-zero first digit, 8 to 15 digits in all. Spaces, '-', '.'
 * and parentheses between digits are accepted in the input and removed. */
int phone_normalize(const char *in, char *out, size_t cap);

/* A BCP 47 language tag, checked for shape: a 2-3 letter language, then optional subtags of 1-8
 * alphanumerics separated by '-' (e.g. "da", "da-DK", "zh-Hant-TW"); '_' is accepted as '-'.
 * Canonical form: language lower-case, a 2-letter region upper-case, a 4-letter script title-case,
 * the rest as given. At most 35 bytes. */
int locale_normalize(const char *in, char *out, size_t cap);

/* The push services a web push endpoint may point at (the `push_hosts` option). */
struct push_hosts;
/* Parses a comma-separated list of `host[:port]` entries; a host may start with "*." to allow any
 * subdomain. NULL or "" gives the browsers' push services: fcm.googleapis.com,
 * updates.push.services.mozilla.com, *.push.apple.com, *.notify.windows.com. Returns NULL on a
 * malformed list. Free with push_hosts_free (NULL is fine). */
struct push_hosts *push_hosts_parse(const char *list);
void push_hosts_free(struct push_hosts *h);
/* 1 when endpoint is an absolute URL that restock may POST to: scheme https, or http only when its
 * host is a loopback address (127.0.0.0/8, ::1, localhost) that is itself listed; a host listed
 * (a "*." entry matches subdomains only); the port the listed one (default 443 for https, 80 for
 * http when the entry has no port); no userinfo ('@'), no fragment, no whitespace or control
 * characters, at most 1024 bytes. Host comparison is case-insensitive. 0 otherwise. */
int push_endpoint_allowed(const struct push_hosts *h, const char *endpoint);

#endif
