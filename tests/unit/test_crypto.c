/* Unit tests for util/crypto: RFC 4231 and FIPS 180 vectors, RFC 4648 base64 vectors and
 * rejects, constant-time compare, UUIDs and P-256 points. */
#include <stdint.h>
#include <string.h>

#include "test.h"
#include "util/crypto.h"

/* Decodes lower-case hex (test input, always well formed) into out; returns the byte count. */
static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = strlen(h) / 2;
    for (size_t i = 0; i < n; i++) {
        int hi = h[2 * i] <= '9' ? h[2 * i] - '0' : h[2 * i] - 'a' + 10;
        int lo = h[2 * i + 1] <= '9' ? h[2 * i + 1] - '0' : h[2 * i + 1] - 'a' + 10;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return n;
}

TEST(crypto_sha256)
{
    static const struct {
        const char *in, *hex;
    } cases[] = {
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t md[32];
        char hex[65];
        crypto_sha256(cases[i].in, strlen(cases[i].in), md);
        hex_encode(md, sizeof(md), hex);
        CHECK_STR(hex, cases[i].hex);
    }
}

TEST(crypto_hmac_rfc4231)
{
    static const struct {
        uint8_t keybyte; /* 0: key is "Jefe" */
        size_t keylen;
        const char *data, *hex;
    } cases[] = {
        {0x0b, 20, "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {0, 4, "what do ya want for nothing?",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {0xaa, 131, "Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t key[131], mac[32];
        char hex[65];
        if (cases[i].keybyte)
            memset(key, cases[i].keybyte, cases[i].keylen);
        else
            memcpy(key, "Jefe", 4);
        crypto_hmac_sha256(key, cases[i].keylen, cases[i].data, strlen(cases[i].data), mac);
        hex_encode(mac, sizeof(mac), hex);
        CHECK_STR(hex, cases[i].hex);
    }
    uint8_t a[32], b[32];
    crypto_hmac_sha256(NULL, 0, "x", 1, a); /* an empty key is allowed */
    crypto_hmac_sha256("", 0, "x", 1, b);
    CHECK(crypto_equal(a, b, 32));
}

TEST(crypto_base64_vectors)
{
    static const struct {
        const char *in, *std, *url;
        int cross; /* 1: each decoder also takes the other's text */
    } cases[] = {
        {"", "", "", 1},
        {"f", "Zg==", "Zg", 1},
        {"fo", "Zm8=", "Zm8", 1},
        {"foo", "Zm9v", "Zm9v", 1},
        {"foob", "Zm9vYg==", "Zm9vYg", 1},
        {"fooba", "Zm9vYmE=", "Zm9vYmE", 1},
        {"foobar", "Zm9vYmFy", "Zm9vYmFy", 1},
        {"\xfb\xff", "+/8=", "-_8", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *in = cases[i].in;
        size_t n = strlen(in);
        char text[16];
        uint8_t back[16];
        CHECK_INT(base64_encode(in, n, text), base64_len(n));
        CHECK_STR(text, cases[i].std);
        CHECK_INT(base64_decode(text, strlen(text), back, sizeof(back)), n);
        CHECK(memcmp(back, in, n) == 0);
        CHECK_INT(base64url_encode(in, n, text), base64url_len(n));
        CHECK_STR(text, cases[i].url);
        CHECK_INT(base64url_decode(text, strlen(text), back, sizeof(back)), n);
        CHECK(memcmp(back, in, n) == 0);
        /* Both decoders take the text with or without padding, but only their own alphabet. */
        long want = cases[i].cross ? (long)n : -1;
        CHECK_INT(base64url_decode(cases[i].std, strlen(cases[i].std), back, 16), want);
        CHECK_INT(base64_decode(cases[i].url, strlen(cases[i].url), back, 16), want);
    }
}

TEST(crypto_base64_round_trip)
{
    uint8_t in[64], back[64];
    char text[100];
    for (size_t n = 0; n <= sizeof(in); n++) {
        crypto_random(in, n);
        base64url_encode(in, n, text);
        CHECK_INT(base64url_decode(text, strlen(text), back, n), n);
        CHECK(memcmp(in, back, n) == 0);
        base64_encode(in, n, text);
        CHECK_INT(base64_decode(text, strlen(text), back, n), n);
        CHECK(memcmp(in, back, n) == 0);
        if (n > 0) CHECK_INT(base64_decode(text, strlen(text), back, n - 1), -1);
    }
}

TEST(crypto_base64_rejects)
{
    static const struct {
        const char *in;
        int url; /* 1: base64url, 0: base64 */
        size_t outcap;
    } cases[] = {
        {"Zg=", 0, 16},      {"Zg=", 1, 16},    {"Z", 0, 16},       {"Z", 1, 16},
        {"Zm9v!", 0, 16},    {"Zm 9v", 1, 16},  {"Zh==", 0, 16},    {"Zh", 1, 16},
        {"Zg==Zg==", 0, 16}, {"Zg===", 0, 16},  {"Zm8==", 1, 16},   {"====", 0, 16},
        {"+/8=", 1, 16},     {"-_8=", 0, 16},   {"Zm9vYmFy", 0, 5}, {"Zm9vYg", 1, 3},
        {"Zm9=v", 0, 16},    {"Zm\n9v", 0, 16},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t out[16];
        const char *s = cases[i].in;
        long r = cases[i].url ? base64url_decode(s, strlen(s), out, cases[i].outcap)
                              : base64_decode(s, strlen(s), out, cases[i].outcap);
        if (r != -1) fprintf(stderr, "  case %zu: \"%s\"\n", i, s);
        CHECK_INT(r, -1);
    }
}

TEST(crypto_equal_hex)
{
    CHECK(crypto_equal("abc", "abc", 3));
    CHECK(!crypto_equal("abc", "abd", 3));
    CHECK(crypto_equal("x", "y", 0));
    char hex[9];
    hex_encode("\x00\x9f\xff\x10", 4, hex);
    CHECK_STR(hex, "009fff10");
}

TEST(crypto_uuid)
{
    static const struct {
        const char *s;
        int ok;
    } cases[] = {
        {"123e4567-e89b-12d3-a456-426614174000", 1},  {"123E4567-E89B-12D3-A456-426614174000", 1},
        {"123e4567e89b12d3a456426614174000", 0},      {"123e4567-e89b-12d3-a456-42661417400", 0},
        {"123e4567-e89b-12d3-a456-4266141740000", 0}, {"123e4567-e89b-12d3-a456_426614174000", 0},
        {"g23e4567-e89b-12d3-a456-426614174000", 0},  {"", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CHECK_INT(uuid_valid(cases[i].s), cases[i].ok);
    char a[37], b[37];
    uuid_v4(a);
    uuid_v4(b);
    CHECK(uuid_valid(a));
    CHECK(strcmp(a, b) != 0);
    CHECK_INT(strlen(a), 36);
    CHECK_INT(a[14], '4');
    CHECK(strchr("89ab", a[19]) != NULL);
    for (int i = 0; i < 36; i++)
        CHECK(a[i] == '-' || (a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f'));
}

TEST(crypto_p256)
{
    uint8_t priv[32], pub[65], bad[65], g[65];
    CHECK_INT(crypto_p256_keygen(priv, pub), 0);
    CHECK_INT(pub[0], 0x04);
    CHECK(crypto_p256_point_valid(pub, sizeof(pub)));
    CHECK(!crypto_p256_point_valid(pub, 64));
    CHECK(!crypto_p256_point_valid(NULL, 65));

    memcpy(bad, pub, 65);
    bad[0] = 0x02; /* a compressed prefix on an uncompressed body */
    CHECK(!crypto_p256_point_valid(bad, 65));
    memcpy(bad, pub, 65);
    bad[64] ^= 0x01; /* Y moved off the curve */
    CHECK(!crypto_p256_point_valid(bad, 65));
    memset(bad, 0, 65);
    bad[0] = 0x04;
    CHECK(!crypto_p256_point_valid(bad, 65));

    g[0] = 0x04; /* the P-256 base point */
    unhex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296", g + 1);
    unhex("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5", g + 33);
    CHECK(crypto_p256_point_valid(g, 65));

    uint8_t priv2[32], pub2[65];
    CHECK_INT(crypto_p256_keygen(priv2, pub2), 0);
    CHECK(memcmp(priv, priv2, 32) != 0);
}
