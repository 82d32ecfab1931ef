/*
 * contact — validation and canonical forms of emails, E.164 phones, BCP 47 locales, and the check
 * that a web push endpoint points at an allowed push service (see contact.h for the contracts).
 *
 * Invariants:
 * - Everything is byte-wise ASCII: the helpers below never consult the C locale, and bytes outside
 *   printable ASCII are refused where the contract forbids control characters (emails, endpoints).
 * - Each *_normalize is idempotent: feeding a canonical form back yields the same form (the fuzz
 *   harness checks this). On failure out holds nothing useful.
 * - push_hosts holds entries as parsed: host lower-cased (IPv6 literals in inet_ntop's canonical
 *   form, without brackets), a wildcard flag, and a port (0 = the URL scheme's default). Endpoint
 *   hosts are brought to the same form before comparison, so a match is a plain strcmp.
 * - push_endpoint_allowed parses only the URL's scheme and authority and is deliberately narrower
 *   than a general URL parser: no '@' anywhere, no '%' or '\' in the host, no empty port, so no
 *   reading of the URL by a later HTTP client can land on a host this check did not see.
 */
#include "core/contact.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/xalloc.h"

#define EMAIL_MAX    254
#define LOCALE_MAX   35
#define ENDPOINT_MAX 1024
#define HOST_MAX     253

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(char c)
{
    return is_alpha(c) || is_digit(c);
}

static char to_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char to_upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* 1 when s[0..n) is dot-separated labels of letters, digits and '-' (not first or last in a
 * label), at least min_labels of them. */
static int hostname_valid(const char *s, size_t n, size_t min_labels)
{
    size_t labels = 0;
    for (size_t i = 0; i <= n; i++) {
        size_t start = i;
        while (i < n && s[i] != '.') {
            if (!is_alnum(s[i]) && s[i] != '-') return 0;
            i++;
        }
        if (i == start || s[start] == '-' || s[i - 1] == '-') return 0;
        labels++;
    }
    return labels >= min_labels;
}

/* ---- email ---- */

int email_normalize(const char *in, char *out, size_t cap)
{
    if (!in) return -1;
    size_t n = strnlen(in, EMAIL_MAX + 1);
    const char *at = memchr(in, '@', n);
    if (n > EMAIL_MAX || !at || at == in || n + 1 > cap) return -1;
    size_t local = (size_t)(at - in);
    for (size_t i = 0; i < local; i++)
        if ((unsigned char)in[i] <= 0x20 || (unsigned char)in[i] >= 0x7f) return -1;
    /* The domain check also refuses a second '@'. */
    if (!hostname_valid(at + 1, n - local - 1, 2)) return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = to_lower(in[i]);
    out[n] = '\0';
    return 0;
}

/* ---- phone ---- */

int phone_normalize(const char *in, char *out, size_t cap)
{
    char digits[15];
    size_t nd = 0;
    int after_sep = 0;
    if (!in || in[0] != '+') return -1;
    for (const char *p = in + 1; *p; p++) {
        if (is_digit(*p)) {
            if (nd == sizeof(digits)) return -1;
            digits[nd++] = *p;
            after_sep = 0;
        } else if (strchr(" -.()", *p) && nd > 0) {
            after_sep = 1; /* a separator must be followed by a digit */
        } else {
            return -1;
        }
    }
    if (after_sep || nd < 8 || digits[0] == '0' || cap < nd + 2) return -1;
    out[0] = '+';
    memcpy(out + 1, digits, nd);
    out[nd + 1] = '\0';
    return 0;
}

/* ---- locale ---- */

static int all_alpha(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_alpha(s[i])) return 0;
    return 1;
}

/* Writes subtag number idx (s[0..n), already known alphanumeric) in canonical case to out. Before
 * the first singleton (ext == 0), 2 letters are a region and 4 letters a script. */
static void locale_subtag(const char *s, size_t n, size_t idx, int ext, char *out)
{
    int alpha = all_alpha(s, n);
    for (size_t i = 0; i < n; i++) {
        if (idx == 0)
            out[i] = to_lower(s[i]);
        else if (!ext && alpha && n == 2)
            out[i] = to_upper(s[i]);
        else if (!ext && alpha && n == 4)
            out[i] = i == 0 ? to_upper(s[i]) : to_lower(s[i]);
        else
            out[i] = s[i];
    }
}

int locale_normalize(const char *in, char *out, size_t cap)
{
    if (!in) return -1;
    size_t n = strnlen(in, LOCALE_MAX + 1), idx = 0;
    int ext = 0;
    if (n > LOCALE_MAX || n + 1 > cap) return -1;
    for (size_t i = 0; i <= n; i++, idx++) {
        size_t start = i;
        while (i < n && in[i] != '-' && in[i] != '_') {
            if (!is_alnum(in[i])) return -1;
            i++;
        }
        size_t len = i - start;
        if (idx == 0 ? len < 2 || len > 3 || !all_alpha(in, len) : len < 1 || len > 8) return -1;
        if (idx > 0 && len == 1) ext = 1;
        locale_subtag(in + start, len, idx, ext, out + start);
        if (i < n) out[i] = '-';
    }
    out[n] = '\0';
    return 0;
}

/* ---- push endpoints ---- */

struct push_host {
    char *name;   /* lower-case host; an IPv6 literal in inet_ntop form, without brackets */
    int wildcard; /* "*.name": matches proper subdomains of name only */
    int port;     /* 0: the endpoint scheme's default port */
};

struct push_hosts {
    struct push_host *v;
    size_t n;
};

static const char default_push_hosts[] = "fcm.googleapis.com,updates.push.services.mozilla.com,"
                                         "*.push.apple.com,*.notify.windows.com";

/* Parses ":port" (1-65535, 1-5 digits) from s[0..n), or accepts n == 0 with *port = 0. */
static int parse_port(const char *s, size_t n, int *port)
{
    *port = 0;
    if (n == 0) return 0;
    if (s[0] != ':' || n < 2 || n > 6) return -1;
    int v = 0;
    for (size_t i = 1; i < n; i++) {
        if (!is_digit(s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535) return -1;
    *port = v;
    return 0;
}

/* Parses "[v6]" or a host name, then an optional ":port", from s[0..n) into host (HOST_MAX + 1
 * bytes; lower-cased, IPv6 canonical and unbracketed). */
static int parse_hostport(const char *s, size_t n, char *host, int *port)
{
    size_t hlen;
    if (n > 0 && s[0] == '[') {
        const char *end = memchr(s, ']', n);
        char tmp[INET6_ADDRSTRLEN];
        struct in6_addr a;
        hlen = end ? (size_t)(end - s) - 1 : 0;
        if (!end || hlen == 0 || hlen >= sizeof(tmp)) return -1;
        memcpy(tmp, s + 1, hlen);
        tmp[hlen] = '\0';
        if (inet_pton(AF_INET6, tmp, &a) != 1 || !inet_ntop(AF_INET6, &a, host, HOST_MAX + 1))
            return -1;
        hlen += 2;
    } else {
        const char *colon = memchr(s, ':', n);
        hlen = colon ? (size_t)(colon - s) : n;
        if (hlen > HOST_MAX || !hostname_valid(s, hlen, 1)) return -1;
        for (size_t i = 0; i < hlen; i++)
            host[i] = to_lower(s[i]);
        host[hlen] = '\0';
    }
    return parse_port(s + hlen, n - hlen, port);
}

/* Parses one list entry s[0..n), surrounding blanks allowed, into e. */
static int parse_entry(const char *s, size_t n, struct push_host *e)
{
    char host[HOST_MAX + 1];
    while (n > 0 && (s[0] == ' ' || s[0] == '\t'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    e->wildcard = n > 2 && s[0] == '*' && s[1] == '.';
    if (e->wildcard) s += 2, n -= 2;
    if ((e->wildcard && s[0] == '[') || parse_hostport(s, n, host, &e->port) < 0) return -1;
    e->name = xstrdup(host);
    return 0;
}

static int blank(const char *s)
{
    return s[strspn(s, " \t")] == '\0';
}

struct push_hosts *push_hosts_parse(const char *list)
{
    if (!list || blank(list)) list = default_push_hosts;
    struct push_hosts *h = xcalloc(1, sizeof(*h));
    size_t cap = 0;
    for (const char *p = list;; p++) {
        size_t len = strcspn(p, ",");
        if (h->n == cap) {
            cap = cap ? 2 * cap : 8;
            h->v = xrealloc(h->v, cap * sizeof(h->v[0]));
        }
        if (parse_entry(p, len, &h->v[h->n]) < 0) {
            push_hosts_free(h);
            return NULL;
        }
        h->n++;
        p += len;
        if (*p == '\0') break;
    }
    return h;
}

void push_hosts_free(struct push_hosts *h)
{
    if (!h) return;
    for (size_t i = 0; i < h->n; i++)
        free(h->v[i].name);
    free(h->v);
    free(h);
}

static int is_loopback(const char *host)
{
    struct in_addr a4;
    if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0) return 1;
    return inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

static int host_matches(const struct push_host *e, const char *host)
{
    if (!e->wildcard) return strcmp(e->name, host) == 0;
    size_t hn = strlen(host), en = strlen(e->name);
    return hn > en + 1 && host[hn - en - 1] == '.' && strcmp(host + hn - en, e->name) == 0;
}

/* 1 when every byte of the URL is printable ASCII other than the ones push endpoints never carry:
 * '@' (userinfo) and '#' (fragment). */
static int endpoint_chars_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == '@' || c == '#') return 0;
    }
    return 1;
}

int push_endpoint_allowed(const struct push_hosts *h, const char *endpoint)
{
    char host[HOST_MAX + 1];
    int https, port;
    if (!h || !endpoint) return 0;
    size_t n = strnlen(endpoint, ENDPOINT_MAX + 1);
    if (n > ENDPOINT_MAX || !endpoint_chars_ok(endpoint, n)) return 0;
    if (strncasecmp(endpoint, "https://", 8) == 0)
        https = 1;
    else if (strncasecmp(endpoint, "http://", 7) == 0)
        https = 0;
    else
        return 0;
    const char *auth = endpoint + (https ? 8 : 7);
    if (parse_hostport(auth, strcspn(auth, "/?"), host, &port) < 0) return 0;
    if (port == 0) port = https ? 443 : 80;
    for (size_t i = 0; i < h->n; i++) {
        const struct push_host *e = &h->v[i];
        if (!host_matches(e, host) || (e->port ? e->port : https ? 443 : 80) != port) continue;
        if (https || (!e->wildcard && is_loopback(host))) return 1;
    }
    return 0;
}
