/* libFuzzer harness for money_parse: whatever parses must survive money_format and parse back to
 * the same amount, at each of the exponents currencies use. */
#include <stdint.h>
#include <stdlib.h>

#include "util/money.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int exps[] = {0, 2, 3};
    for (size_t i = 0; i < sizeof(exps) / sizeof(exps[0]); i++) {
        int64_t v, back;
        char text[24];
        if (money_parse((const char *)data, size, exps[i], &v) < 0) continue;
        size_t n = money_format(v, exps[i], text, sizeof(text));
        if (money_parse(text, n, exps[i], &back) < 0 || back != v) abort();
    }
    return 0;
}
