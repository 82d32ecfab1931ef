/*
 * crypto — random bytes, SHA-256, HMAC-SHA256, constant-time compare, base64, hex, UUIDs and the
 * P-256 key handling web push needs, all on OpenSSL 3 (see crypto.h for the contracts).
 *
 * Invariants:
 * - Nothing here keeps state between calls, so every function is thread-safe as OpenSSL 3 is;
 *   the one exception, HMAC's keyed context, is kept per thread.
 * - The digest and MAC primitives cannot fail on valid arguments; if OpenSSL reports an error
 *   anyway we abort rather than hand back an unset buffer that might be compared against.
 * - The base64 codecs (one table-driven codec for both alphabets) are strict: decoding rejects any
 *   byte outside the alphabet, misplaced or excess '=' padding, an impossible length, and
 *   non-canonical trailing bits, so a decoded value has exactly one accepted encoding (modulo the
 *   optional padding). The decoded length is checked against outcap before anything is written.
 * - Private key material is wiped (BN_clear_free) before its memory is released.
 */
#include "util/crypto.h"

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>

static void crypto_fatal(const char *what)
{
    fprintf(stderr, "restock: OpenSSL failure in %s\n", what);
    abort();
}

void crypto_random(void *out, size_t n)
{
    unsigned char *p = out;
    while (n > 0) {
        int chunk = n > INT_MAX ? INT_MAX : (int)n;
        if (RAND_bytes(p, chunk) != 1) crypto_fatal("RAND_bytes");
        p += chunk;
        n -= (size_t)chunk;
    }
}

void crypto_sha256(const void *data, size_t n, uint8_t out[32])
{
    unsigned int len = 0;
    if (EVP_Digest(data, n, out, &len, EVP_sha256(), NULL) != 1 || len != 32)
        crypto_fatal("EVP_Digest");
}

/* HMAC() fetches the digest and derives the keyed pads on every call, which costs more than
 * the MAC of a short token itself. So each thread keeps one keyed context for the last key it
 * used, and a call with that key only re-initialises it (EVP_MAC_init with a NULL key keeps the
 * key). The cached key is wiped when the thread ends or the key changes. */
struct hmac_cache {
    EVP_MAC_CTX *ctx;
    size_t keylen; /* SIZE_MAX: no key yet */
    uint8_t key[64];
};

static EVP_MAC *hmac_alg;
static pthread_key_t hmac_tls;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_cache_free(void *p)
{
    struct hmac_cache *h = p;
    EVP_MAC_CTX_free(h->ctx);
    OPENSSL_cleanse(h, sizeof(*h));
    free(h);
}

static void hmac_setup(void)
{
    hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!hmac_alg || pthread_key_create(&hmac_tls, hmac_cache_free)) crypto_fatal("EVP_MAC_fetch");
}

static struct hmac_cache *hmac_cache(void)
{
    pthread_once(&hmac_once, hmac_setup);
    struct hmac_cache *h = pthread_getspecific(hmac_tls);
    if (h) return h;
    h = calloc(1, sizeof(*h));
    if (!h || !(h->ctx = EVP_MAC_CTX_new(hmac_alg))) crypto_fatal("EVP_MAC_CTX_new");
    h->keylen = SIZE_MAX;
    if (pthread_setspecific(hmac_tls, h)) crypto_fatal("pthread_setspecific");
    return h;
}

void crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n, uint8_t out[32])
{
    static const uint8_t empty[1];
    uint8_t hashed[32];
    if (keylen > 64) { /* a key longer than the block is replaced by its hash (RFC 2104) */
        crypto_sha256(key, keylen, hashed);
        key = hashed;
        keylen = sizeof(hashed);
    }
    if (keylen == 0) key = empty;
    struct hmac_cache *h = hmac_cache();
    int ok;
    if (h->keylen == keylen && CRYPTO_memcmp(h->key, key, keylen) == 0) {
        ok = EVP_MAC_init(h->ctx, NULL, 0, NULL);
    } else {
        char digest[] = "SHA256";
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
        h->keylen = SIZE_MAX; /* until the new key is in */
        ok = EVP_MAC_init(h->ctx, key, keylen, params);
        if (ok) {
            memcpy(h->key, key, keylen);
            h->keylen = keylen;
        }
    }
    size_t len = 0;
    if (!ok || !EVP_MAC_update(h->ctx, data, n) || !EVP_MAC_final(h->ctx, out, &len, 32) ||
        len != 32)
        crypto_fatal("HMAC");
    OPENSSL_cleanse(hashed, sizeof(hashed));
}

int crypto_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

/* ---- base64 (RFC 4648 §4) and base64url (§5) ---- */

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Encodes n bytes with alphabet abc, padding with '=' when pad; returns the text length. */
static size_t b64_encode(const char *abc, int pad, const uint8_t *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = abc[v >> 18];
        out[o++] = abc[(v >> 12) & 63];
        out[o++] = abc[(v >> 6) & 63];
        out[o++] = abc[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = abc[v >> 18];
        out[o++] = abc[(v >> 12) & 63];
        if (pad) out[o++] = '=', out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = abc[v >> 18];
        out[o++] = abc[(v >> 12) & 63];
        out[o++] = abc[(v >> 6) & 63];
        if (pad) out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

/* The 6-bit value of c in alphabet abc, or -1. */
static int b64_value(const char *abc, char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == abc[62]) return 62;
    if (c == abc[63]) return 63;
    return -1;
}

/* Strips valid '=' padding from the text length *n; -1 when the padding is malformed. */
static int b64_strip_padding(const char *in, size_t *n)
{
    size_t pads = 0;
    while (pads < *n && in[*n - 1 - pads] == '=')
        pads++;
    if (pads == 0) return 0;
    if (pads > 2 || *n % 4 != 0) return -1;
    *n -= pads;
    /* Padding must be exactly what the unpadded length calls for. */
    return (*n % 4 == 2 && pads == 2) || (*n % 4 == 3 && pads == 1) ? 0 : -1;
}

static long b64_decode(const char *abc, const char *in, size_t n, uint8_t *out, size_t outcap)
{
    if (b64_strip_padding(in, &n) < 0 || n % 4 == 1 || n / 4 > (size_t)LONG_MAX / 3) return -1;
    size_t need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    if (need > outcap) return -1;
    uint32_t acc = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(abc, in[i]);
        if (v < 0) return -1;
        acc = acc << 6 | (uint32_t)v;
        if (i % 4 == 3) {
            out[o++] = (uint8_t)(acc >> 16);
            out[o++] = (uint8_t)(acc >> 8);
            out[o++] = (uint8_t)acc;
            acc = 0;
        }
    }
    if (n % 4 == 2) {
        if (acc & 0xf) return -1; /* non-canonical trailing bits */
        out[o++] = (uint8_t)(acc >> 4);
    } else if (n % 4 == 3) {
        if (acc & 0x3) return -1;
        out[o++] = (uint8_t)(acc >> 10);
        out[o++] = (uint8_t)(acc >> 2);
    }
    return (long)o;
}

size_t base64url_len(size_t n)
{
    return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

size_t base64url_encode(const void *in, size_t n, char *out)
{
    return b64_encode(b64_url, 0, in, n, out);
}

long base64url_decode(const char *in, size_t n, uint8_t *out, size_t outcap)
{
    return b64_decode(b64_url, in, n, out, outcap);
}

size_t base64_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

size_t base64_encode(const void *in, size_t n, char *out)
{
    return b64_encode(b64_std, 1, in, n, out);
}

long base64_decode(const char *in, size_t n, uint8_t *out, size_t outcap)
{
    return b64_decode(b64_std, in, n, out, outcap);
}

/* ---- hex and UUIDs ---- */

void hex_encode(const void *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *p = in;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

void uuid_v4(char out[37])
{
    uint8_t b[16];
    char hex[33];
    crypto_random(b, sizeof(b));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    hex_encode(b, sizeof(b), hex);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

int uuid_valid(const char *s)
{
    static const char hexdigits[] = "0123456789abcdefABCDEF";
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !s[i] || !strchr(hexdigits, s[i])) return 0;
    }
    return s[36] == '\0';
}

void uuid_lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'F') *s = (char)(*s - 'A' + 'a');
}

/* ---- P-256 ---- */

int crypto_p256_keygen(uint8_t priv[32], uint8_t pub[65])
{
    int rc = -1;
    EVP_PKEY *pkey = NULL;
    BIGNUM *d = NULL;
    size_t publen = 0;

    pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!pkey) goto out;
    if (EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                       OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) != 1)
        goto out;
    if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, pub, 65, &publen) != 1 ||
        publen != 65 || pub[0] != 0x04)
        goto out;
    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1) goto out;
    if (BN_bn2binpad(d, priv, 32) != 32) goto out;
    rc = 0;
out:
    BN_clear_free(d);
    EVP_PKEY_free(pkey);
    return rc;
}

int crypto_p256_point_valid(const uint8_t *pub, size_t n)
{
    int ok = 0;
    EC_GROUP *group = NULL;
    EC_POINT *pt = NULL;

    if (!pub || n != 65 || pub[0] != 0x04) goto out;
    group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    if (!group) goto out;
    pt = EC_POINT_new(group);
    if (!pt) goto out;
    if (EC_POINT_oct2point(group, pt, pub, n, NULL) != 1) goto out;
    ok = EC_POINT_is_on_curve(group, pt, NULL) == 1 && !EC_POINT_is_at_infinity(group, pt);
out:
    EC_POINT_free(pt);
    EC_GROUP_free(group);
    return ok;
}
