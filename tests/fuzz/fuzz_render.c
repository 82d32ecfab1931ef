/* Fuzzes template rendering. Input: a flags byte (bit 0: escape HTML; bits 1-7: a buffer limit)
 * then the template. Invariants: no crash; the limit is kept and reported; a placeholder that
 * render_uses says is absent cannot change the output; with escaping, values add no markup. */
#include <stdlib.h>
#include <string.h>

#include "core/render.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
    if (n < 1) return 0;
    int escape = data[0] & 1;
    size_t limit = (size_t)(data[0] >> 1) * 8; /* 0: none */
    char *tmpl = xstrndup((const char *)data + 1, n - 1);
    struct render_vars v = {"<Ada>", "Tee & \"Co\"", "",    "10.00", NULL, "https://x/?a=1&b=2",
                            NULL,    "https://x/u",  "Shop"};
    struct buf a = BUF_INIT(limit), b = BUF_INIT(limit);
    int ra = render(tmpl, &v, escape, &a);
    if ((ra != 0) != (a.toobig != 0) || (limit && a.len > limit)) abort();
    if (!render_uses(tmpl, "first_name")) {
        v.first_name = "Grace";
        int rb = render(tmpl, &v, escape, &b);
        if (rb != ra || a.len != b.len || (a.len && memcmp(a.p, b.p, a.len) != 0)) abort();
    }
    if (ra == 0 && escape && !strchr(tmpl, '<') && strchr(a.p, '<')) abort();
    buf_free(&a);
    buf_free(&b);
    free(tmpl);
    return 0;
}
