/*
 * webpush — one Web Push message: RFC 8291 encryption, a VAPID token (RFC 8292) and the RFC 8030
 * POST, on OpenSSL 3's EVP interfaces and libcurl (see webpush.h for the contracts).
 *
 * The aes128gcm body (RFC 8188 §2, RFC 8291 §4), all of it built in one bounded stack array:
 *
 *   salt (16) | rs (4, big-endian, 4096) | idlen (1, 65) | keyid = AS public key (65)   header: 86
 *   AES-128-GCM(plaintext | 0x02) | tag (16)                                            one record
 *
 * Key derivation (RFC 8291 §3.3-3.4, RFC 8188 §2.2):
 *   ecdh  = ECDH(as_private, ua_public)
 *   IKM   = HKDF-SHA256(salt = auth, ikm = ecdh, info = "WebPush: info" 0x00 ua_public as_public)
 *   CEK   = HKDF-SHA256(salt, IKM, "Content-Encoding: aes128gcm" 0x00, 16)
 *   NONCE = HKDF-SHA256(salt, IKM, "Content-Encoding: nonce" 0x00, 12)
 *
 * Invariants:
 * - Every key from outside is checked before use: the subscription's p256dh must be a valid
 *   uncompressed P-256 point, auth exactly 16 bytes, the VAPID private scalar in [1, n-1] and the
 *   VAPID public key the point that scalar gives (a mismatched pair is refused, never sent).
 * - Nothing is kept between calls (every function is thread-safe as OpenSSL 3 and a per-thread
 *   curl handle are). Secrets (private scalars, ECDH output, IKM, CEK, nonce) are wiped with
 *   OPENSSL_cleanse before their memory is left.
 * - On failure an output buf is left as it was: results are appended in one call at the end.
 * - webpush_send owns the curl handle's options for the duration of the call: it resets them
 *   first and last (curl_easy_reset keeps live connections, so keep-alive still works), so no
 *   option set by an earlier user of the handle leaks in, and no pointer into this call's memory
 *   is left behind in the handle.
 */
#include "deliver/webpush.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "deliver/cancel.h"
#include "deliver/retry_after.h"
#include "util/crypto.h"

#define P256_PUB        65
#define P256_PRIV       32
#define AUTH_LEN        16
#define SALT_LEN        16
#define RECORD_SIZE     4096
#define HEADER_LEN      (SALT_LEN + 4 + 1 + P256_PUB) /* 86 */
#define TAG_LEN         16
#define PLAINTEXT_MAX   (RECORD_SIZE - HEADER_LEN - TAG_LEN - 1)   /* 3993 (RFC 8291 §4) */
#define BODY_MAX        (HEADER_LEN + PLAINTEXT_MAX + 1 + TAG_LEN) /* 4096 */
#define ORIGIN_MAX      300
#define VAPID_MAX_AHEAD 86400 /* RFC 8292 §2: exp no more than 24 hours ahead */
#define VAPID_LIFETIME  43200 /* webpush_send's tokens: 12 hours */
#define ERRBODY_MAX     160   /* bytes of an error answer kept for the record */

/* ---- P-256 keys from raw bytes ---- */

/* The public point (uncompressed) of private scalar priv. -1 unless 0 < priv < n. */
static int p256_public_of(const uint8_t priv[P256_PRIV], uint8_t pub[P256_PUB])
{
    int rc = -1;
    EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    EC_POINT *pt = NULL;
    BIGNUM *d = BN_secure_new();

    if (!group || !d || !BN_bin2bn(priv, P256_PRIV, d)) goto out;
    BN_set_flags(d, BN_FLG_CONSTTIME);
    if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(group)) >= 0) goto out;
    pt = EC_POINT_new(group);
    if (!pt || EC_POINT_mul(group, pt, d, NULL, NULL, NULL) != 1) goto out;
    if (EC_POINT_point2oct(group, pt, POINT_CONVERSION_UNCOMPRESSED, pub, P256_PUB, NULL) !=
        P256_PUB)
        goto out;
    rc = 0;
out:
    EC_POINT_free(pt);
    BN_clear_free(d);
    EC_GROUP_free(group);
    return rc;
}

/* An EVP_PKEY for P-256 public point pub, with private scalar priv when not NULL (the caller has
 * checked that they belong together). NULL on failure; the caller frees. */
static EVP_PKEY *p256_pkey(const uint8_t pub[P256_PUB], const uint8_t *priv)
{
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    BIGNUM *d = NULL;

    if (!bld) goto out;
    if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, SN_X9_62_prime256v1, 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, P256_PUB))
        goto out;
    if (priv) {
        d = BN_secure_new();
        if (!d || !BN_bin2bn(priv, P256_PRIV, d) ||
            !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d))
            goto out;
    }
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
out:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(d);
    return pkey;
}

/* Decodes base64url text into exactly n bytes; -1 otherwise. */
static int b64url_exact(const char *text, uint8_t *out, size_t n)
{
    if (!text) return -1;
    return base64url_decode(text, strlen(text), out, n) == (long)n ? 0 : -1;
}

/* ---- RFC 8291 encryption ---- */

static int hkdf_sha256(const uint8_t *salt, size_t saltlen, const uint8_t *ikm, size_t ikmlen,
                       const void *info, size_t infolen, uint8_t *out, size_t outlen)
{
    int rc = -1;
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikmlen),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, infolen),
        OSSL_PARAM_construct_end(),
    };
    if (kctx && EVP_KDF_derive(kctx, out, outlen, params) == 1) rc = 0;
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    return rc;
}

/* ECDH of our key pair with the peer's public point: 32 bytes into secret. */
static int ecdh_p256(EVP_PKEY *ours, EVP_PKEY *peer, uint8_t secret[32])
{
    int rc = -1;
    size_t len = 32;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ours, NULL);
    if (ctx && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, peer) == 1 &&
        EVP_PKEY_derive(ctx, secret, &len) == 1 && len == 32)
        rc = 0;
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

/* AES-128-GCM of plaintext || 0x02 (the last record's delimiter) into out, tag appended. */
static int seal_record(const uint8_t cek[16], const uint8_t nonce[12], const void *plaintext,
                       size_t n, uint8_t *out)
{
    static const uint8_t delimiter = 0x02;
    int rc = -1, len = 0, total = 0;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

    if (!c || EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
        EVP_EncryptInit_ex(c, NULL, NULL, cek, nonce) != 1)
        goto out;
    if (n > 0) {
        if (EVP_EncryptUpdate(c, out, &len, plaintext, (int)n) != 1) goto out;
        total += len;
    }
    if (EVP_EncryptUpdate(c, out + total, &len, &delimiter, 1) != 1) goto out;
    total += len;
    if (EVP_EncryptFinal_ex(c, out + total, &len) != 1) goto out;
    total += len;
    if ((size_t)total != n + 1) goto out;
    if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, TAG_LEN, out + total) != 1) goto out;
    rc = 0;
out:
    EVP_CIPHER_CTX_free(c);
    return rc;
}

int webpush_encrypt(const uint8_t ua_public[65], const uint8_t auth[16], const void *plaintext,
                    size_t n, const uint8_t *as_private, const uint8_t *salt, struct buf *out)
{
    static const char key_label[] = "WebPush: info";               /* + its NUL */
    static const char cek_label[] = "Content-Encoding: aes128gcm"; /* + its NUL */
    static const char nonce_label[] = "Content-Encoding: nonce";   /* + its NUL */
    int rc = -1;
    uint8_t as_priv[P256_PRIV], as_pub[P256_PUB], ecdh[32], ikm[32], cek[16], nonce[12];
    uint8_t key_info[sizeof(key_label) + 2 * P256_PUB];
    uint8_t body[BODY_MAX];
    EVP_PKEY *as_key = NULL, *ua_key = NULL;

    if (!ua_public || !auth || !out || (n > 0 && !plaintext) || n > PLAINTEXT_MAX) return -1;
    if (!crypto_p256_point_valid(ua_public, P256_PUB)) return -1;
    if (as_private) {
        memcpy(as_priv, as_private, P256_PRIV);
        if (p256_public_of(as_priv, as_pub) < 0) goto out;
    } else if (crypto_p256_keygen(as_priv, as_pub) < 0) {
        goto out;
    }
    if (salt)
        memcpy(body, salt, SALT_LEN);
    else
        crypto_random(body, SALT_LEN);

    as_key = p256_pkey(as_pub, as_priv);
    ua_key = p256_pkey(ua_public, NULL);
    if (!as_key || !ua_key || ecdh_p256(as_key, ua_key, ecdh) < 0) goto out;

    memcpy(key_info, key_label, sizeof(key_label));
    memcpy(key_info + sizeof(key_label), ua_public, P256_PUB);
    memcpy(key_info + sizeof(key_label) + P256_PUB, as_pub, P256_PUB);
    if (hkdf_sha256(auth, AUTH_LEN, ecdh, sizeof(ecdh), key_info, sizeof(key_info), ikm,
                    sizeof(ikm)) < 0 ||
        hkdf_sha256(body, SALT_LEN, ikm, sizeof(ikm), cek_label, sizeof(cek_label), cek,
                    sizeof(cek)) < 0 ||
        hkdf_sha256(body, SALT_LEN, ikm, sizeof(ikm), nonce_label, sizeof(nonce_label), nonce,
                    sizeof(nonce)) < 0)
        goto out;

    body[SALT_LEN] = (uint8_t)(RECORD_SIZE >> 24);
    body[SALT_LEN + 1] = (uint8_t)(RECORD_SIZE >> 16);
    body[SALT_LEN + 2] = (uint8_t)(RECORD_SIZE >> 8);
    body[SALT_LEN + 3] = (uint8_t)RECORD_SIZE;
    body[SALT_LEN + 4] = P256_PUB;
    memcpy(body + SALT_LEN + 5, as_pub, P256_PUB);
    if (seal_record(cek, nonce, plaintext, n, body + HEADER_LEN) < 0) goto out;
    if (buf_append(out, body, HEADER_LEN + n + 1 + TAG_LEN) < 0) goto out;
    rc = 0;
out:
    EVP_PKEY_free(ua_key);
    EVP_PKEY_free(as_key);
    OPENSSL_cleanse(as_priv, sizeof(as_priv));
    OPENSSL_cleanse(ecdh, sizeof(ecdh));
    OPENSSL_cleanse(ikm, sizeof(ikm));
    OPENSSL_cleanse(cek, sizeof(cek));
    OPENSSL_cleanse(nonce, sizeof(nonce));
    return rc;
}

/* ---- VAPID (RFC 8292) ---- */

static int is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The origin of an http(s) URL (RFC 6454): lower-case scheme and host, the port only when it is
 * not the scheme's default. Refuses anything but a plain scheme://host[:port] authority, the host
 * a name or IPv4 address of letters, digits, '.' and '-', or a bracketed IPv6 literal. */
static int url_origin(const char *url, char *origin, size_t cap)
{
    const char *scheme, *p;
    long defport, port = 0;
    if (strncasecmp(url, "https://", 8) == 0) {
        scheme = "https", defport = 443, p = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        scheme = "http", defport = 80, p = url + 7;
    } else {
        return -1;
    }
    size_t n = strcspn(p, "/?#"), hostlen = 0;
    if (p[0] == '[') {
        while (hostlen < n && p[hostlen] != ']') {
            char c = p[hostlen];
            if (hostlen > 0 && !is_alnum(c) && c != ':' && c != '.') return -1;
            hostlen++;
        }
        if (hostlen == n || hostlen < 3) return -1; /* no ']', or "[]" */
        hostlen++;
    } else {
        while (hostlen < n && (is_alnum(p[hostlen]) || p[hostlen] == '.' || p[hostlen] == '-'))
            hostlen++;
        if (hostlen == 0) return -1;
    }
    if (hostlen < n) {
        if (p[hostlen] != ':' || hostlen + 1 == n || n - hostlen > 6) return -1;
        for (size_t i = hostlen + 1; i < n; i++) {
            if (p[i] < '0' || p[i] > '9') return -1;
            port = port * 10 + (p[i] - '0');
        }
        if (port == 0 || port > 65535) return -1;
    }
    int len = port && port != defport
                  ? snprintf(origin, cap, "%s://%.*s:%ld", scheme, (int)hostlen, p, port)
                  : snprintf(origin, cap, "%s://%.*s", scheme, (int)hostlen, p);
    if (len < 0 || (size_t)len >= cap) return -1;
    for (char *c = origin; *c; c++)
        if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
    return 0;
}

/* A VAPID subject: a mailto: or https: URL of printable ASCII. */
static int subject_ok(const char *s)
{
    if (!s || (strncmp(s, "mailto:", 7) != 0 && strncmp(s, "https:", 6) != 0)) return 0;
    if (strlen(s) > 256) return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e) return 0;
    return 1;
}

/* Appends base64url(data) to b. */
static int put_b64url(struct buf *b, const void *data, size_t n)
{
    char tmp[512];
    if (base64url_len(n) >= sizeof(tmp)) return -1;
    size_t len = base64url_encode(data, n, tmp);
    return buf_append(b, tmp, len);
}

/* ES256 signature of data: raw r || s (RFC 7518 §3.4). */
static int es256_sign(EVP_PKEY *key, const void *data, size_t n, uint8_t sig[64])
{
    int rc = -1;
    uint8_t der[80];
    size_t derlen = sizeof(der);
    const unsigned char *p = der;
    const BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG *es = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    if (!md || EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, key, NULL) != 1 ||
        EVP_DigestSign(md, der, &derlen, data, n) != 1)
        goto out;
    es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
    if (!es) goto out;
    ECDSA_SIG_get0(es, &r, &s);
    if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32) goto out;
    rc = 0;
out:
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(md);
    return rc;
}

int vapid_authorization(const char *endpoint, const char *subject, const char *private_b64,
                        const char *public_b64, int64_t expires, struct buf *out)
{
    int rc = -1;
    char origin[ORIGIN_MAX];
    uint8_t priv[P256_PRIV], pub[P256_PUB], derived[P256_PUB], sig[64];
    char *claims = NULL;
    json_t *obj = NULL;
    EVP_PKEY *key = NULL;
    struct buf jwt = BUF_INIT(4096), hdr = BUF_INIT(8192);
    int64_t now = (int64_t)time(NULL);

    if (!endpoint || !out || url_origin(endpoint, origin, sizeof(origin)) < 0) goto out;
    if (!subject_ok(subject) || expires <= now || expires > now + VAPID_MAX_AHEAD) goto out;
    if (b64url_exact(private_b64, priv, sizeof(priv)) < 0 ||
        b64url_exact(public_b64, pub, sizeof(pub)) < 0)
        goto out;
    if (p256_public_of(priv, derived) < 0 || !crypto_equal(derived, pub, sizeof(pub))) goto out;
    key = p256_pkey(pub, priv);
    if (!key) goto out;

    obj = json_pack("{s:s, s:I, s:s}", "aud", origin, "exp", (json_int_t)expires, "sub", subject);
    claims = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    if (!claims) goto out;
    static const char header[] = "{\"typ\":\"JWT\",\"alg\":\"ES256\"}";
    if (put_b64url(&jwt, header, sizeof(header) - 1) < 0 || buf_putc(&jwt, '.') < 0 ||
        put_b64url(&jwt, claims, strlen(claims)) < 0)
        goto out;
    if (es256_sign(key, jwt.p, jwt.len, sig) < 0) goto out;
    if (buf_putc(&jwt, '.') < 0 || put_b64url(&jwt, sig, sizeof(sig)) < 0) goto out;

    if (buf_puts(&hdr, "vapid t=") < 0 || buf_append(&hdr, jwt.p, jwt.len) < 0 ||
        buf_puts(&hdr, ", k=") < 0 || put_b64url(&hdr, pub, sizeof(pub)) < 0)
        goto out;
    if (buf_append(out, hdr.p, hdr.len) < 0) goto out;
    rc = 0;
out:
    OPENSSL_cleanse(priv, sizeof(priv));
    EVP_PKEY_free(key);
    free(claims);
    json_decref(obj);
    buf_free(&jwt);
    buf_free(&hdr);
    return rc;
}

/* ---- RFC 8030 request ---- */

struct answer {
    long retry_after;
    struct buf body; /* the first ERRBODY_MAX bytes of the answer */
};

static size_t on_header(char *data, size_t size, size_t nitems, void *ud)
{
    struct answer *a = ud;
    size_t n = size * nitems;
    retry_after_header(data, n, &a->retry_after);
    return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    struct answer *a = ud;
    size_t n = size * nmemb;
    size_t room = ERRBODY_MAX - a->body.len;
    buf_append(&a->body, data, n < room ? n : room);
    return n;
}

static enum push_outcome classify(long status)
{
    if (status >= 200 && status < 300) return PUSH_SENT;
    if (status == 404 || status == 410) return PUSH_GONE;
    if (status == 429 || (status >= 500 && status < 600)) return PUSH_RETRY;
    return PUSH_FAILED;
}

/* r->error: "push service answered 410: <the answer's first bytes, printable ASCII>". */
static void describe_status(struct push_result *r, const struct buf *body)
{
    char text[ERRBODY_MAX + 1];
    size_t n = 0;
    for (size_t i = 0; i < body->len && n < ERRBODY_MAX; i++) {
        unsigned char c = (unsigned char)body->p[i];
        text[n++] = c >= 0x20 && c < 0x7f ? (char)c : ' ';
    }
    while (n > 0 && text[n - 1] == ' ')
        n--;
    text[n] = '\0';
    snprintf(r->error, sizeof(r->error), "push service answered %ld%s%s", r->status, n ? ": " : "",
             text);
}

static int urgency_ok(const char *u)
{
    static const char *const levels[] = {"very-low", "low", "normal", "high"};
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
        if (strcmp(u, levels[i]) == 0) return 1;
    return 0;
}

/* RFC 8030 §5.4: at most 32 characters of the URL- and filename-safe base64 alphabet. */
static int topic_ok(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > 32) return 0;
    for (; *t; t++)
        if (!is_alnum(*t) && *t != '-' && *t != '_') return 0;
    return 1;
}

static void fail(struct push_result *r, const char *why)
{
    r->outcome = PUSH_FAILED;
    snprintf(r->error, sizeof(r->error), "%s", why);
}

/* Builds the request's header list into *list; NULL error text on success. */
static const char *build_headers(const struct push_request *req, struct curl_slist **list)
{
    const char *urgency = req->urgency ? req->urgency : "normal";
    struct buf h = BUF_INIT(0), auth = BUF_INIT(0);
    const char *err = NULL;
    struct curl_slist *l = NULL;

    if (req->ttl < 0) return "bad TTL";
    if (!urgency_ok(urgency)) return "bad urgency";
    if (req->topic && !topic_ok(req->topic)) return "bad topic";
    if (vapid_authorization(req->endpoint, req->vapid_subject, req->vapid_private,
                            req->vapid_public, (int64_t)time(NULL) + VAPID_LIFETIME, &auth) < 0)
        return "bad VAPID keys, subject or endpoint";

    buf_puts(&h, "Authorization: ");
    buf_append(&h, auth.p, auth.len);
    const char *fixed[] = {"Content-Encoding: aes128gcm", "Content-Type: application/octet-stream",
                           "Expect:", h.p};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        l = curl_slist_append(l, fixed[i]);
    buf_reset(&h);
    buf_printf(&h, "TTL: %ld", req->ttl);
    l = curl_slist_append(l, h.p);
    buf_reset(&h);
    buf_printf(&h, "Urgency: %s", urgency);
    l = curl_slist_append(l, h.p);
    if (req->topic) {
        buf_reset(&h);
        buf_printf(&h, "Topic: %s", req->topic);
        l = curl_slist_append(l, h.p);
    }
    if (!l) err = "out of memory";
    *list = l;
    buf_free(&h);
    buf_free(&auth);
    return err;
}

int webpush_send(CURL *h, const struct push_request *req, struct push_result *r)
{
    int rc = -1;
    uint8_t ua_public[P256_PUB], auth[AUTH_LEN];
    struct buf body = BUF_INIT(BODY_MAX);
    struct curl_slist *headers = NULL;
    struct answer ans = {0, BUF_INIT(ERRBODY_MAX)};
    char errbuf[CURL_ERROR_SIZE] = "";
    const char *why;

    memset(r, 0, sizeof(*r));
    if (!h || !req || !req->endpoint || !req->payload) {
        fail(r, "incomplete push request");
        return -1;
    }
    if (b64url_exact(req->p256dh, ua_public, sizeof(ua_public)) < 0 ||
        b64url_exact(req->auth, auth, sizeof(auth)) < 0) {
        fail(r, "bad subscription keys");
        return -1;
    }
    if (webpush_encrypt(ua_public, auth, req->payload, strlen(req->payload), NULL, NULL, &body) <
        0) {
        fail(r,
             strlen(req->payload) > PLAINTEXT_MAX ? "payload too large" : "bad subscription keys");
        goto out;
    }
    if ((why = build_headers(req, &headers)) != NULL) {
        fail(r, why);
        goto out;
    }

    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, req->endpoint);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "restock");
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body.len);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.p);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &ans);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &ans);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    cancel_on(h, req->cancel);
    CURLcode cc = curl_easy_perform(h);
    rc = 0;
    if (cc != CURLE_OK) {
        r->outcome = PUSH_RETRY;
        snprintf(r->error, sizeof(r->error), "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
        r->outcome = classify(r->status);
        r->retry_after = ans.retry_after;
        if (r->outcome != PUSH_SENT) describe_status(r, &ans.body);
    }
    curl_easy_reset(h);
out:
    curl_slist_free_all(headers);
    buf_free(&ans.body);
    buf_free(&body);
    OPENSSL_cleanse(auth, sizeof(auth));
    return rc;
}
