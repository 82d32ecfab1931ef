/* Fuzzes token_parse: no input is accepted unless it is exactly the token token_make writes for
 * the id it names. */
#include <stdlib.h>
#include <string.h>

#include "core/token.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
    static const uint8_t secret[32] = {42};
    int64_t id;
    if (token_parse(secret, TOKEN_UNSUBSCRIBE, (const char *)data, n, &id) != 0) return 0;
    char again[TOKEN_MAX];
    size_t m = token_make(secret, TOKEN_UNSUBSCRIBE, id, again);
    /* base64url may be given with padding; the unpadded prefix must match */
    if (m > n || memcmp(again, data, m) != 0) abort();
    return 0;
}
