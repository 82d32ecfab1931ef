/* libFuzzer harness for deliver/webpush: any endpoint text (the VAPID audience parser) and any
 * 65 bytes as a subscription key must be either refused or turned into a well-formed result. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver/webpush.h"
#include "util/crypto.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char priv[64], pub[100];
    static const uint8_t auth[16];
    if (!priv[0]) {
        uint8_t d[32], q[65];
        if (crypto_p256_keygen(d, q) < 0) abort();
        base64url_encode(d, sizeof(d), priv);
        base64url_encode(q, sizeof(q), pub);
    }
    char *endpoint = xstrndup((const char *)data, size);
    struct buf out = BUF_INIT(0);
    if (vapid_authorization(endpoint, "mailto:fuzz@example.com", priv, pub,
                            (int64_t)time(NULL) + 600, &out) == 0 &&
        strncmp(out.p, "vapid t=", 8) != 0)
        abort();
    buf_reset(&out);
    if (size >= 65 && webpush_encrypt(data, auth, "x", 1, NULL, NULL, &out) == 0 &&
        (out.len != 86 + 1 + 1 + 16 || !crypto_p256_point_valid(data, 65)))
        abort();
    buf_free(&out);
    free(endpoint);
    return 0;
}
