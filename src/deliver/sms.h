/*
 * sms — text messages through a Twilio-style HTTP provider: a form POST of To, From and Body to
 * sms_url with HTTP basic auth (sms_user, sms_password), over libcurl.
 */
#ifndef RESTOCK_SMS_H
#define RESTOCK_SMS_H

#include <stdatomic.h>
#include <curl/curl.h>

#include "deliver/email.h" /* struct send_result */

/* How many SMS segments a text costs: GSM-7 (the GSM 03.38 default alphabet, where the extension
 * characters ^ { } \ [ ~ ] | € count twice) fits 160 septets in one segment and 153 per segment
 * when concatenated; anything else is UCS-2: 70 UTF-16 code units, 67 per segment (a character
 * outside the BMP counts two). An empty text is 1 segment. -1 when text is not valid UTF-8. */
int sms_segments(const char *text);

struct sms_config {
    const char *url, *user, *password, *from;
    const atomic_int *cancel; /* set: the send ends (SEND_RETRY) when it is (cancel.h); NULL */
};

/* Posts one message with curl handle h (reused by one worker). 2xx: SEND_OK; 429, 5xx or no
 * answer: SEND_RETRY; other 4xx: SEND_FAILED (e.g. an invalid number), except 401 (the
 * configured credentials) and 408, which are SEND_RETRY like 1xx/3xx answers (redirects are not
 * followed). An empty cfg->url, or a NULL to or body, is SEND_FAILED. r->code is the HTTP status
 * (0 without an answer); r->error holds the start of the provider's reply; r->retry_after the
 * seconds of the provider's Retry-After (seconds or an HTTP-date, capped at a week) on a
 * SEND_RETRY answer (429, 503...), else 0. Fields are form-urlencoded with curl_easy_escape. All
 * of h's options are reset (curl_easy_reset) before and after, so h keeps only its connection
 * and caches between calls. */
void sms_send(CURL *h, const struct sms_config *cfg, const char *to, const char *body,
              struct send_result *r);

#endif
