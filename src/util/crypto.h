/*
 * crypto — the few primitives restock needs, on OpenSSL 3 (never hand-written).
 *
 * All functions are thread-safe. Output buffers are caller-owned with the sizes stated. Functions
 * returning int give 0 on success and -1 on failure (bad input or an OpenSSL error).
 */
#ifndef RESTOCK_CRYPTO_H
#define RESTOCK_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* Cryptographically secure random bytes (RAND_bytes). Aborts if the RNG fails. */
void crypto_random(void *out, size_t n);
void crypto_sha256(const void *data, size_t n, uint8_t out[32]);
void crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n,
                        uint8_t out[32]);
/* Constant-time equality of two buffers of length n (CRYPTO_memcmp). 1 when equal. */
int crypto_equal(const void *a, const void *b, size_t n);

/* base64url without padding (RFC 4648 §5). Encoding writes NUL-terminated text into out, which
 * must hold base64url_len(n) + 1 bytes, and returns the text length. */
size_t base64url_len(size_t n);
size_t base64url_encode(const void *in, size_t n, char *out);
/* Decodes base64url, with or without '=' padding; rejects any other character. Writes at most
 * outcap bytes; returns the decoded length, or -1 on bad input or too small an outcap. */
long base64url_decode(const char *in, size_t n, uint8_t *out, size_t outcap);
/* Standard base64 with padding (RFC 4648 §4), e.g. Shopify's HMAC header. Same contracts. */
size_t base64_len(size_t n);
size_t base64_encode(const void *in, size_t n, char *out);
long base64_decode(const char *in, size_t n, uint8_t *out, size_t outcap);

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void hex_encode(const void *in, size_t n, char *out);

/* A random version 4 UUID, lower-case, into out (37 bytes). */
void uuid_v4(char out[37]);
/* 1 when s is a UUID in canonical 8-4-4-4-12 hex form (any case). */
int uuid_valid(const char *s);
/* Lower-cases s in place: UUIDs are case-insensitive on input and stored lower-case. */
void uuid_lower(char *s);

/* A new P-256 key pair for VAPID: the private scalar (32 bytes) and the public key as an
 * uncompressed point (65 bytes, 0x04 || X || Y). */
int crypto_p256_keygen(uint8_t priv[32], uint8_t pub[65]);
/* 1 when pub is a valid uncompressed P-256 point: 65 bytes, 0x04 prefix, on the curve, not the
 * point at infinity. This is how a web push subscription's p256dh key is checked. */
int crypto_p256_point_valid(const uint8_t *pub, size_t n);

#endif
