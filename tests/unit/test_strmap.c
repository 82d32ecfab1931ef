/*
 * test_strmap — the string map the order feed's first pass keeps its order numbers in.
 */
#include <stdio.h>

#include "test.h"
#include "util/strmap.h"

TEST(strmap_adds_finds_and_keeps_values)
{
    struct strmap *m = strmap_new();
    CHECK(strmap_get(m, "a", 1, 0) == NULL); /* an empty map, before any table */
    int *a = strmap_get(m, "a", 1, 1);
    CHECK(a && *a == 0);
    *a = 7;
    CHECK(strmap_get(m, "a", 1, 1) == a);
    CHECK_INT(*strmap_get(m, "a", 1, 0), 7);
    CHECK(strmap_get(m, "ab", 2, 0) == NULL);
    CHECK(strmap_get(m, "a\0b", 3, 1) != strmap_get(m, "a\0c", 3, 1)); /* bytes, NUL included */
    CHECK(strmap_get(m, "", 0, 1) != NULL);
    CHECK_INT(strmap_count(m), 4);
    strmap_free(m);
    strmap_free(NULL);
}

TEST(strmap_grows_past_many_keys)
{
    struct strmap *m = strmap_new();
    char k[32];
    for (int i = 0; i < 100000; i++) {
        int n = snprintf(k, sizeof(k), "#%d", i);
        *strmap_get(m, k, (size_t)n, 1) = i + 1;
    }
    CHECK_INT(strmap_count(m), 100000);
    int wrong = 0;
    for (int i = 0; i < 100000; i++) {
        int n = snprintf(k, sizeof(k), "#%d", i);
        int *v = strmap_get(m, k, (size_t)n, 0);
        wrong += !v || *v != i + 1;
    }
    CHECK_INT(wrong, 0);
    CHECK(strmap_get(m, "#100000", 7, 0) == NULL);
    strmap_free(m);
}
