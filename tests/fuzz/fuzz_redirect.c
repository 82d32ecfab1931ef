/* Fuzzes track_redirect with the variant URL, the variant id and a UTM value taken from the
 * input (split at NUL bytes): whatever they hold, the Location starts with the shop's origin and
 * a '/', and holds printable ASCII only (no CR, LF or other control byte can reach the header). */
#include <stdlib.h>
#include <string.h>

#include "core/track.h"

#define SHOP "https://shop.example"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
    char *buf = malloc(n + 3);
    memcpy(buf, data, n);
    buf[n] = buf[n + 1] = buf[n + 2] = '\0';
    const char *url = buf, *vid = url + strlen(url) + 1;
    if (vid > buf + n) vid = buf + n + 1;
    const char *utm = vid + strlen(vid) + 1;
    if (utm > buf + n + 1) utm = buf + n + 2;
    struct campaign c = {.utm_source = utm, .utm_medium = vid, .utm_term = url};
    struct arena *a = arena_new();
    for (int cart = 0; cart < 2; cart++) {
        struct redirect_in in = {.shop_url = SHOP,
                                 .variant_url = url,
                                 .variant_id = vid,
                                 .quantity = (int64_t)n - 5,
                                 .to_cart = cart,
                                 .token = utm,
                                 .campaign = &c};
        const char *loc = track_redirect(&in, a);
        if (strncmp(loc, SHOP "/", strlen(SHOP) + 1) != 0) abort();
        for (const char *p = loc; *p; p++)
            if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) abort();
    }
    arena_free(a);
    free(buf);
    return 0;
}
