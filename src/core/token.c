/* token — HMAC-signed id tokens; format and guarantees in token.h. */
#include "core/token.h"

#include <string.h>

#include "util/crypto.h"

#define MAC_LEN 16

static size_t varint_put(uint64_t v, uint8_t *out)
{
    size_t n = 0;
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        out[n++] = (uint8_t)(b | (v ? 0x80 : 0));
    } while (v);
    return n;
}

/* -1 on a malformed or non-minimal varint (so each id has exactly one token). */
static long varint_get(const uint8_t *p, size_t n, uint64_t *v)
{
    uint64_t r = 0;
    for (size_t i = 0; i < n && i < 10; i++) {
        r |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            if (i > 0 && p[i] == 0) return -1;
            *v = r;
            return (long)i + 1;
        }
    }
    return -1;
}

static void mac(const uint8_t secret[32], enum token_kind kind, const uint8_t *id, size_t n,
                uint8_t out[32])
{
    uint8_t msg[16];
    msg[0] = (uint8_t)kind;
    for (size_t i = 0; i < n; i++)
        msg[1 + i] = id[i];
    crypto_hmac_sha256(secret, 32, msg, n + 1, out);
}

size_t token_make(const uint8_t secret[32], enum token_kind kind, int64_t id, char *out)
{
    uint8_t raw[10 + MAC_LEN], m[32];
    size_t n = varint_put((uint64_t)id, raw);
    mac(secret, kind, raw, n, m);
    for (int i = 0; i < MAC_LEN; i++)
        raw[n + i] = m[i];
    return base64url_encode(raw, n + MAC_LEN, out);
}

int token_parse(const uint8_t secret[32], enum token_kind kind, const char *tok, size_t n,
                int64_t *id)
{
    uint8_t raw[10 + MAC_LEN + 4], m[32];
    if (n == 0 || n > TOKEN_MAX) return -1;
    long len = base64url_decode(tok, n, raw, sizeof(raw));
    if (len <= MAC_LEN) return -1;
    uint64_t v;
    long vn = varint_get(raw, (size_t)len - MAC_LEN, &v);
    if (vn < 0 || vn != len - MAC_LEN || v > INT64_MAX) return -1;
    mac(secret, kind, raw, (size_t)vn, m);
    if (!crypto_equal(m, raw + vn, MAC_LEN)) return -1;
    /* only the spelling token_make writes: no '=' padding, no stray bits in the last letter */
    char canon[TOKEN_MAX + 8];
    if (base64url_len((size_t)len) >= sizeof(canon) ||
        base64url_encode(raw, (size_t)len, canon) != n || memcmp(canon, tok, n) != 0)
        return -1;
    *id = (int64_t)v;
    return 0;
}
