/* Runs every TEST registered by the unit test files, optionally only those whose name contains
 * argv[1], and prints "N passed, N failed". Exit status 1 when any failed. */
#include <stdlib.h>

#include "test.h"

int test_failures;

static struct {
    const char *name;
    test_fn fn;
} tests[512];
static int ntests;

void test_register(const char *name, test_fn fn)
{
    if (ntests < (int)(sizeof(tests) / sizeof(tests[0]))) {
        tests[ntests].name = name;
        tests[ntests++].fn = fn;
    }
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    for (int i = 0; i < ntests; i++) {
        if (argc > 1 && !strstr(tests[i].name, argv[1])) continue;
        test_failures = 0;
        tests[i].fn();
        if (test_failures) {
            fprintf(stderr, "FAIL %s\n", tests[i].name);
            failed++;
        } else {
            passed++;
        }
    }
    printf("unit: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
