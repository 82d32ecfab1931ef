/* libFuzzer harness for timeutil's parsers: an accepted RFC 3339 time must format and parse back
 * to the same instant, and an accepted date must survive the civil-day round trip. */
#include <stdint.h>
#include <stdlib.h>

#include "util/timeutil.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = xstrndup((const char *)data, size);
    char text[32];
    int64_t t, back;
    int y, m, d, y2, m2, d2;
    if (rfc3339_parse(s, &t) == 0) {
        rfc3339_format(t, text, sizeof(text));
        if (rfc3339_parse(text, &back) < 0 || back != t) abort();
    }
    if (date_parse(s, &y, &m, &d) == 0) {
        civil_from_days(days_from_civil(y, m, d), &y2, &m2, &d2);
        if (y2 != y || m2 != m || d2 != d) abort();
    }
    free(s);
    return 0;
}
