/*
 * webpush — Web Push delivery: RFC 8291 message encryption (aes128gcm, RFC 8188), VAPID (RFC
 * 8292) and the RFC 8030 request, on OpenSSL 3's EVP interfaces and libcurl.
 *
 * Keys travel base64url-encoded (no padding) as browsers give them: the subscription's p256dh (a
 * 65-byte uncompressed P-256 point) and auth (16 bytes); the shop's VAPID key pair (private
 * scalar 32 bytes, public point 65 bytes). Functions return 0 on success, -1 on bad input or a
 * library failure. Thread-safe.
 */
#ifndef RESTOCK_WEBPUSH_H
#define RESTOCK_WEBPUSH_H

#include <stdatomic.h>
#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* Encrypts plaintext for a subscription (RFC 8291 §3-4): the aes128gcm body, i.e. the RFC 8188
 * header (salt, record size 4096, key id = the application server's ephemeral public key) and one
 * record (plaintext || 0x02 padding delimiter), appended to out. as_private (32 bytes) and salt
 * (16) may be NULL for fresh random ones; tests pass the RFC 8291 §5 values to reproduce its
 * example byte for byte. Plaintext longer than 3993 bytes is refused. */
int webpush_encrypt(const uint8_t ua_public[65], const uint8_t auth[16], const void *plaintext,
                    size_t n, const uint8_t *as_private, const uint8_t *salt, struct buf *out);

/* The VAPID Authorization header value for an endpoint (RFC 8292 §2-3):
 * "vapid t=JWT, k=PUBLIC_KEY", the JWT ES256-signed (raw r||s, base64url) with claims aud (the
 * endpoint's origin), exp (expires, Unix seconds, at most 24 h ahead) and sub (subject, a mailto:
 * or https: URL). Appended to out. The origin is the lower-cased scheme://host[:port] with a
 * default port (443, 80) left out; -1 for an endpoint that is not http(s) with a plain host
 * (name, IPv4 or [IPv6]), a subject that is not a mailto:/https: URL of printable ASCII, an
 * expires not in (now, now + 24 h], or keys that are not a matching P-256 pair. */
int vapid_authorization(const char *endpoint, const char *subject, const char *private_b64,
                        const char *public_b64, int64_t expires, struct buf *out);

struct push_request {
    const char *endpoint, *p256dh, *auth;     /* the subscription */
    const char *vapid_private, *vapid_public; /* the shop's key pair, base64url */
    const char *vapid_subject;
    const char *payload;      /* JSON text to encrypt */
    long ttl;                 /* seconds (TTL header) */
    const char *urgency;      /* "very-low", "low", "normal" or "high"; NULL: normal */
    const char *topic;        /* Topic header (≤ 32 base64url chars) or NULL */
    const atomic_int *cancel; /* set: the send ends (PUSH_RETRY) when it is (cancel.h); NULL */
};

enum push_outcome {
    PUSH_SENT,  /* 201 (or any 2xx) */
    PUSH_GONE,  /* 404 or 410: the subscription has ended */
    PUSH_RETRY, /* 429, 5xx, or a network failure: try again later (retry_after if given) */
    PUSH_FAILED /* any other answer (400, 401, 403, 413...): do not retry */
};

struct push_result {
    enum push_outcome outcome;
    long status;      /* HTTP status, 0 when no answer */
    long retry_after; /* seconds from a Retry-After header, 0 when none */
    char error[256];  /* what went wrong, for the notification's record */
};

/* Sends one push message with curl handle h (reused across calls by one worker, so connections
 * are kept alive). Always fills r; returns 0 when the request was made (whatever the status), -1
 * when it could not be built (bad keys), with r->outcome PUSH_FAILED.
 *
 * Details the caller can rely on: -1 also for a payload over 3993 bytes, a negative ttl, an
 * urgency or topic not as above, or a VAPID refusal (see vapid_authorization); r->status is then
 * 0. The VAPID token is made per call and expires 12 h later. h's options are reset
 * (curl_easy_reset, which keeps live connections) before and after the request, so options set
 * on h elsewhere do not apply: only http: and https:, no redirects, 10 s to connect, 30 s in all.
 * A transport failure (refused, timeout, TLS) gives 0 with PUSH_RETRY, status 0 and curl's message
 * in r->error. retry_after comes from Retry-After as seconds or an HTTP-date, capped at a week,
 * whatever the status. r->error is "" for PUSH_SENT, else "push service answered STATUS: " and
 * the first bytes of the answer (printable ASCII). */
int webpush_send(CURL *h, const struct push_request *req, struct push_result *r);

#endif
