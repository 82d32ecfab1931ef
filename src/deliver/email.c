/*
 * email — the notification email (RFC 5322 + MIME) and its delivery over SMTP with libcurl;
 * contracts in email.h.
 *
 * The message, as email_build writes it (every line ends in CRLF):
 *
 *   From: "Shop" <shop@example.com>         display name quoted, or RFC 2047 encoded-words
 *   To: someone@example.org
 *   Subject: ...                            folded at spaces, or encoded-words one per line
 *   Date: Tue, 24 Nov 2026 10:08:38 +0000   always UTC
 *   Message-ID: <id>
 *   MIME-Version: 1.0
 *   List-Unsubscribe: <https://...>         both omitted when unsubscribe_url is NULL or ""
 *   List-Unsubscribe-Post: List-Unsubscribe=One-Click
 *   Content-Type: multipart/alternative;
 *    boundary="=_rs_<32 random hex>"           (folded: the line would pass 78)
 *
 *   --boundary   text/plain; charset=UTF-8, quoted-printable
 *   --boundary   text/html; charset=UTF-8, quoted-printable
 *   --boundary--
 *
 * The boundary starts with "=_", which quoted-printable text can never contain, so no body can
 * collide with it. Quoted-printable lines are at most 76 characters (soft breaks "=" CRLF); a
 * line break in the text ("\n" or "\r\n") becomes a CRLF hard break, so the decoded part is the
 * original text with CRLF line ends. Encoded-words hold whole UTF-8 characters (RFC 2047 §5) and
 * are at most 64 characters, so header lines stay under 78.
 *
 * Delivery: one curl easy handle per struct smtp, so curl's connection cache keeps the SMTP
 * session open between messages; the options that never change are set once in smtp_new. TLS:
 * smtps:// always; smtp:// upgrades with STARTTLS when the relay offers it, and must when there
 * are credentials (no AUTH in cleartext); the certificate is always verified.
 */
#include "deliver/email.h"

#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deliver/cancel.h"
#include "util/crypto.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define HEADER_LINE 78 /* RFC 5322 §2.1.1: lines SHOULD be at most 78 characters */
#define QP_LINE     76 /* RFC 2045 §6.7 (5): encoded lines at most 76 characters */
#define EW_BYTES    39 /* UTF-8 bytes per encoded-word: 52 base64 characters, 64 in all */
#define NAME_PLAIN  64 /* a longer display name is written as encoded-words (they fold) */

/* ---- header values ---- */

/* 1 when s is printable ASCII (space and tab included), does not contain "=?" (it would read as
 * an encoded-word) and has no run of non-blanks too long to fold. */
static int plain_text(const char *s)
{
    size_t run = 0;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c < 0x20 && c != '\t') || c > 0x7E) return 0;
        if (c == '=' && p[1] == '?') return 0;
        run = (c == ' ' || c == '\t') ? 0 : run + 1;
        if (run > 900) return 0;
    }
    return 1;
}

/* 1 when s has no CR or LF and is valid UTF-8: a text header value email_build accepts. */
static int text_ok(const char *s)
{
    return s && !strpbrk(s, "\r\n") && utf8_valid(s, strlen(s));
}

/* 1 when s is non-empty printable ASCII without space, '<' or '>' (and, if need_at, with an
 * '@'): what may go inside angle brackets or be an address. */
static int token_ok(const char *s, int need_at)
{
    if (!s || !*s) return 0;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7F || c == '<' || c == '>') return 0;
    }
    return !need_at || strchr(s, '@');
}

/* 1 when an address may go in a header: no blanks, controls, '<', '>' or ','; one '@' at least.
 * Non-ASCII is allowed (an SMTPUTF8 mailbox). */
static int addr_ok(const char *s)
{
    if (!s || !*s || !strchr(s, '@')) return 0;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7F || c == '<' || c == '>' || c == ',') return 0;
    }
    return utf8_valid(s, strlen(s));
}

/* Appends s as RFC 2047 "B" encoded-words, each of whole UTF-8 characters (s is valid UTF-8),
 * separated by folding whitespace. */
static void put_encoded_words(struct buf *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n) {
            uint32_t cp;
            int len = utf8_decode(p + j, n - j, &cp);
            if (j - i + (size_t)len > EW_BYTES) break;
            j += (size_t)len;
        }
        char b64[64];
        base64_encode(p + i, j - i, b64);
        buf_printf(out, "%s=?UTF-8?B?%s?=", i ? "\r\n " : "", b64);
        i = j;
    }
}

/* Appends s (plain_text) folded before a run of blanks wherever the line would pass 78
 * characters; `col` characters are already on the line. Unfolding gives s back. */
static void put_folded(struct buf *out, size_t col, const char *s)
{
    size_t first = col;
    const char *p = s;
    while (*p) {
        const char *w = p + strspn(p, " \t");
        const char *e = w + strcspn(w, " \t");
        size_t n = (size_t)(e - p);
        if (col + n > HEADER_LINE && col > first && w > p && e > w) {
            buf_puts(out, "\r\n");
            col = 0;
        }
        buf_append(out, p, n);
        col += n;
        p = e;
    }
}

static void put_subject(struct buf *out, const char *subject)
{
    buf_puts(out, "Subject: ");
    if (plain_text(subject))
        put_folded(out, 9, subject);
    else
        put_encoded_words(out, subject);
    buf_puts(out, "\r\n");
}

static void put_from(struct buf *out, const char *name, const char *addr)
{
    buf_puts(out, "From: ");
    if (name && *name) {
        if (plain_text(name) && strlen(name) <= NAME_PLAIN && !strchr(name, '\t')) {
            buf_putc(out, '"');
            for (const char *p = name; *p; p++) {
                if (*p == '"' || *p == '\\') buf_putc(out, '\\');
                buf_putc(out, *p);
            }
            buf_putc(out, '"');
        } else {
            put_encoded_words(out, name);
        }
        buf_printf(out, " <%s>\r\n", addr);
    } else {
        buf_printf(out, "%s\r\n", addr);
    }
}

/* "Date: Tue, 24 Nov 2026 10:08:38 +0000" (RFC 5322 §3.3), in UTC. */
static void put_date(struct buf *out, long long t)
{
    static const char *const wday[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    long long days = t / 86400, secs = t % 86400;
    if (secs < 0) secs += 86400, days--;
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", wday[((days % 7) + 7) % 7],
               d, mon[m - 1], y, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

/* ---- quoted-printable (RFC 2045 §6.7) ---- */

/* 1 when p is at a line break ("\n" or "\r\n") or the end of the text. */
static int at_eol(const char *p)
{
    return *p == '\0' || *p == '\n' || (p[0] == '\r' && p[1] == '\n');
}

static void put_qp(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t col = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '\r' && p[1] == '\n') p++;
        if (*p == '\n') {
            buf_puts(out, "\r\n");
            col = 0;
            continue;
        }
        unsigned char c = (unsigned char)*p;
        /* Blanks are literal unless they would end a line; '=' and non-printables are encoded. */
        int lit = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_eol(p + 1));
        size_t n = lit ? 1 : 3;
        if (col + n > QP_LINE - 1) { /* room for the soft break's '=' */
            buf_puts(out, "=\r\n");
            col = 0;
        }
        /* Keep "." and "From " off the start of a line: safe through SMTP and mbox. */
        if (col == 0 && lit && (c == '.' || strncmp(p, "From ", 5) == 0)) lit = 0, n = 3;
        if (lit) {
            buf_putc(out, (char)c);
        } else {
            char e[3] = {'=', hex[c >> 4], hex[c & 15]};
            buf_append(out, e, 3);
        }
        col += n;
    }
}

static void put_part(struct buf *out, const char *boundary, const char *type, const char *body)
{
    buf_printf(out,
               "--%s\r\nContent-Type: %s; charset=UTF-8\r\n"
               "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
               boundary, type);
    put_qp(out, body);
    buf_puts(out, "\r\n");
}

int email_build(const struct email_msg *m, struct buf *out)
{
    if (!addr_ok(m->from_addr) || !addr_ok(m->to_addr) || !text_ok(m->subject) ||
        (m->from_name && !text_ok(m->from_name)) || !token_ok(m->message_id, 1) || !m->text ||
        !m->html)
        return -1;
    int unsub = m->unsubscribe_url && *m->unsubscribe_url;
    if (unsub && !token_ok(m->unsubscribe_url, 0)) return -1;

    size_t start = out->len;
    unsigned char rnd[16];
    char boundary[5 + 33] = "=_rs_";
    crypto_random(rnd, sizeof(rnd));
    hex_encode(rnd, sizeof(rnd), boundary + 5);

    put_from(out, m->from_name, m->from_addr);
    buf_printf(out, "To: %s\r\n", m->to_addr);
    put_subject(out, m->subject);
    put_date(out, m->date);
    buf_printf(out, "Message-ID: <%s>\r\nMIME-Version: 1.0\r\n", m->message_id);
    if (unsub)
        buf_printf(out,
                   "List-Unsubscribe: <%s>\r\n"
                   "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
                   m->unsubscribe_url);
    buf_printf(out, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n\r\n", boundary);
    put_part(out, boundary, "text/plain", m->text);
    put_part(out, boundary, "text/html", m->html);
    buf_printf(out, "--%s--\r\n", boundary);

    if (out->toobig) { /* over the buffer's limit: leave out as it was */
        out->len = start;
        if (out->p) out->p[start] = '\0';
        return -1;
    }
    return 0;
}

/* ---- SMTP ---- */

struct smtp {
    CURL *h;
};

#define SMTP_CONNECT_TIMEOUT  10L  /* seconds to connect (and finish TLS) */
#define SMTP_RESPONSE_TIMEOUT 30L  /* seconds to wait for any one server reply */
#define SMTP_TOTAL_TIMEOUT    120L /* seconds for one whole message */

struct smtp *smtp_new(const char *url, const char *user, const char *password)
{
    struct smtp *s = xcalloc(1, sizeof(*s));
    s->h = curl_easy_init();
    if (!s->h) {
        fprintf(stderr, "restock: out of memory (curl_easy_init)\n");
        abort();
    }
    CURL *h = s->h;
    /* Options are copied by libcurl, so url, user and password need not outlive this call. A
     * NULL or bad url shows at the first send (SEND_RETRY). */
    if (!url) url = "";
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    /* smtp:// takes STARTTLS when the relay offers it; with credentials it must, so a password
     * never crosses the wire in cleartext (a relay without STARTTLS: SEND_RETRY). */
    int creds = user && *user;
    int tls_only = strncasecmp(url, "smtps:", 6) == 0 || creds;
    curl_easy_setopt(h, CURLOPT_USE_SSL, tls_only ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
    if (creds) {
        curl_easy_setopt(h, CURLOPT_USERNAME, user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, password ? password : "");
    }
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, SMTP_CONNECT_TIMEOUT);
    curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, SMTP_RESPONSE_TIMEOUT);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, SMTP_TOTAL_TIMEOUT);
    return s;
}

void smtp_trust(struct smtp *s, const char *ca_file)
{
    if (s && ca_file && *ca_file) curl_easy_setopt(s->h, CURLOPT_CAINFO, ca_file);
}

void smtp_cancel_on(struct smtp *s, const atomic_int *flag)
{
    if (s) cancel_on(s->h, flag); /* smtp never resets its handle: the options stay */
}

void smtp_free(struct smtp *s)
{
    if (!s) return;
    curl_easy_cleanup(s->h); /* sends QUIT on a connection still open */
    free(s);
}

struct cursor {
    const char *p;
    size_t left;
};

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *userp)
{
    struct cursor *c = userp;
    size_t n = size * nmemb;
    if (n > c->left) n = c->left;
    memcpy(dst, c->p, n);
    c->p += n;
    c->left -= n;
    return n;
}

/* Replies that are about the relay's configuration (authentication), not this message: they are
 * worth retrying once the operator fixed it, even though they are 5xx. */
static int auth_reply(long code)
{
    return code == 530 || code == 534 || code == 535 || code == 538;
}

static void result_set(struct send_result *r, enum send_outcome o, long code, const char *what,
                       const char *detail)
{
    r->outcome = o;
    r->code = code;
    if (code)
        snprintf(r->error, sizeof(r->error), "%s: %s (reply %ld)", what, detail, code);
    else
        snprintf(r->error, sizeof(r->error), "%s: %s", what, detail);
}

void smtp_send(struct smtp *s, const char *from_addr, const char *to_addr, const struct buf *msg,
               struct send_result *r)
{
    if (!addr_ok(from_addr) || !addr_ok(to_addr)) {
        result_set(r, SEND_FAILED, 0, "smtp", "invalid sender or recipient address");
        return;
    }
    struct curl_slist *rcpt = curl_slist_append(NULL, to_addr);
    if (!rcpt) {
        fprintf(stderr, "restock: out of memory (curl_slist_append)\n");
        abort();
    }
    char from[512];
    snprintf(from, sizeof(from), "<%s>", from_addr);
    char errbuf[CURL_ERROR_SIZE] = "";
    struct cursor cur = {msg->p ? msg->p : "", msg->len};

    CURL *h = s->h;
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, &cur);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg->len);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    /* Nothing the handle keeps may point at this frame once we return. */
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, NULL);
    curl_easy_setopt(h, CURLOPT_READDATA, NULL);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all(rcpt);

    const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    if (rc == CURLE_OK)
        result_set(r, SEND_OK, code, "smtp", "sent");
    else if (code >= 500 && code <= 599 && rc != CURLE_LOGIN_DENIED && !auth_reply(code))
        result_set(r, SEND_FAILED, code, "smtp", detail);
    else
        result_set(r, SEND_RETRY, code >= 400 && code <= 599 ? code : 0, "smtp", detail);
}
