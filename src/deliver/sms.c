/*
 * sms — segment counting (GSM 03.38 / UCS-2) and the Twilio-style provider POST; contracts in
 * sms.h.
 *
 * Segments: a text that is all GSM-7 (the default alphabet plus the extension table, whose
 * characters are sent as ESC + char and so cost two septets) costs one segment up to 160 septets;
 * a longer one is sent concatenated, 153 septets per segment (the user data header takes the
 * rest), and an ESC pair is never split between two segments. Anything else goes as UCS-2: 70
 * UTF-16 code units in one segment, 67 when concatenated, a surrogate pair (a character outside
 * the BMP) never split. Providers (Twilio among them) count this way.
 *
 * Sending: curl_easy_reset leaves the handle's connection cache alone, so a worker's handle keeps
 * its connection to the provider between messages while no option of an earlier call leaks into
 * the next one.
 */
#include "deliver/sms.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/cancel.h"
#include "deliver/retry_after.h"
#include "util/buf.h"
#include "util/utf8.h"

/* ---- segments ---- */

/* The GSM 03.38 default alphabet outside printable ASCII, as Unicode (the 0x1B escape aside). */
static const uint32_t gsm_basic_extra[] = {
    0x00A3, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, 0x00D8, 0x00F8,
    0x00C5, 0x00E5, 0x0394, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, 0x03A3,
    0x0398, 0x039E, 0x00C6, 0x00E6, 0x00DF, 0x00C9, 0x00A4, 0x00A1, 0x00C4, 0x00D6,
    0x00D1, 0x00DC, 0x00A7, 0x00BF, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

/* Septets cp costs in GSM-7: 1 (default alphabet), 2 (extension table) or 0 (not GSM-7). */
static int gsm_septets(uint32_t cp)
{
    if (cp == '\n' || cp == '\r') return 1;
    if (cp == '\f' || cp == 0x20AC || (cp && cp < 0x80 && strchr("^{}\\[~]|", (int)cp))) return 2;
    if (cp >= 0x20 && cp < 0x7F) return cp == '`' ? 0 : 1; /* '`' is not in the alphabet */
    for (size_t i = 0; i < sizeof(gsm_basic_extra) / sizeof(gsm_basic_extra[0]); i++)
        if (gsm_basic_extra[i] == cp) return 1;
    return 0;
}

/* Segments for units of cost 1 or 2, given in order by next(): one segment when the total fits
 * `single`, else greedy `multi`-unit segments that never split a 2-unit item. */
struct seg_count {
    int single, multi;
    long total;      /* all units */
    long segs, used; /* concatenated segments so far and units in the last one */
};

static void seg_add(struct seg_count *c, int units)
{
    c->total += units;
    if (c->segs == 0 || c->used + units > c->multi) {
        c->segs++;
        c->used = 0;
    }
    c->used += units;
}

static int seg_result(const struct seg_count *c)
{
    if (c->total <= c->single) return 1;
    return c->segs > 1000000 ? 1000000 : (int)c->segs;
}

int sms_segments(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t n = strlen(text);
    struct seg_count gsm = {160, 153, 0, 0, 0}, ucs = {70, 67, 0, 0, 0};
    int is_gsm = 1;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int len = utf8_decode(p + i, n - i, &cp);
        if (len < 0) return -1;
        i += (size_t)len;
        int septets = gsm_septets(cp);
        if (!septets) is_gsm = 0;
        if (is_gsm) seg_add(&gsm, septets);
        seg_add(&ucs, cp > 0xFFFF ? 2 : 1);
    }
    return seg_result(is_gsm ? &gsm : &ucs);
}

/* ---- sending ---- */

#define SMS_CONNECT_TIMEOUT 10L /* seconds */
#define SMS_TOTAL_TIMEOUT   30L /* seconds */
#define SMS_REPLY_MAX       4096

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
    buf_append(userp, data, size * nmemb); /* beyond the limit the reply is just cut short */
    return size * nmemb;
}

static size_t header_cb(char *data, size_t size, size_t nitems, void *userp)
{
    retry_after_header(data, size * nitems, userp);
    return size * nitems;
}

/* Appends name=value with the value percent-encoded; 0, or -1 when curl ran out of memory. */
static int put_field(CURL *h, struct buf *form, const char *name, const char *value)
{
    char *esc = curl_easy_escape(h, value, 0);
    if (!esc) return -1;
    buf_printf(form, "%s%s=%s", form->len ? "&" : "", name, esc);
    curl_free(esc);
    return 0;
}

/* The provider's reply, one line of printable text, for the error message. */
static void reply_excerpt(const struct buf *reply, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < reply->len && n + 1 < cap; i++) {
        unsigned char c = (unsigned char)reply->p[i];
        out[n++] = (c < 0x20 || c == 0x7F) ? ' ' : (char)c;
    }
    out[n] = '\0';
}

void sms_send(CURL *h, const struct sms_config *cfg, const char *to, const char *body,
              struct send_result *r)
{
    r->outcome = SEND_FAILED;
    r->code = 0;
    r->error[0] = '\0';
    r->retry_after = 0;
    if (!cfg->url || !*cfg->url) {
        snprintf(r->error, sizeof(r->error), "sms: no sms_url configured");
        return;
    }
    if (!to || !body) {
        snprintf(r->error, sizeof(r->error), "sms: no recipient or no text");
        return;
    }
    struct buf form = BUF_INIT(0), reply = BUF_INIT(SMS_REPLY_MAX);
    struct curl_slist *hdrs = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";

    if (put_field(h, &form, "To", to) || put_field(h, &form, "From", cfg->from ? cfg->from : "") ||
        put_field(h, &form, "Body", body)) {
        r->outcome = SEND_RETRY;
        snprintf(r->error, sizeof(r->error), "sms: out of memory encoding the form");
        goto out;
    }
    hdrs = curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded");
    hdrs = hdrs ? curl_slist_append(hdrs, "Accept: application/json") : NULL;
    if (!hdrs) {
        fprintf(stderr, "restock: out of memory (curl_slist_append)\n");
        abort();
    }

    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, cfg->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, SMS_CONNECT_TIMEOUT);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, SMS_TOTAL_TIMEOUT);
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(h, CURLOPT_USERNAME, cfg->user ? cfg->user : "");
    curl_easy_setopt(h, CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, form.p);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)form.len);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &r->retry_after);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    cancel_on(h, cfg->cancel);
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_reset(h); /* drop the pointers into this frame */

    if (rc != CURLE_OK) {
        r->outcome = SEND_RETRY;
        snprintf(r->error, sizeof(r->error), "sms: %.200s",
                 errbuf[0] ? errbuf : curl_easy_strerror(rc));
        goto out;
    }
    r->code = code;
    if (code >= 200 && code <= 299) {
        r->outcome = SEND_OK;
        r->retry_after = 0;
        goto out;
    }
    /* 429 and 5xx are the provider's trouble, 408 a timeout, 401 our credentials (fixed by the
     * operator, not by giving up on the message). Other 4xx are about this message (an invalid
     * number, say). Anything else (1xx, 3xx: redirects are not followed) is taken for a
     * misconfigured URL, worth retrying once it is fixed. */
    int failed = code >= 400 && code <= 499 && code != 401 && code != 408 && code != 429;
    r->outcome = failed ? SEND_FAILED : SEND_RETRY;
    if (failed) r->retry_after = 0; /* only a retry waits */
    char excerpt[200];
    reply_excerpt(&reply, excerpt, sizeof(excerpt));
    snprintf(r->error, sizeof(r->error), "sms: HTTP %ld: %s", code, excerpt);
out:
    curl_slist_free_all(hdrs);
    buf_free(&reply);
    buf_free(&form);
}
