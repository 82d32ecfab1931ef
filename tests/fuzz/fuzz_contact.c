/* libFuzzer harness for core/contact: every normaliser must be idempotent on what it accepts,
 * and the push host list parser and endpoint check must survive any input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/contact.h"
#include "util/xalloc.h"

static void check_idempotent(int (*fn)(const char *, char *, size_t), const char *s)
{
    char once[512], twice[512];
    if (fn(s, once, sizeof(once)) < 0) return;
    if (fn(once, twice, sizeof(twice)) < 0 || strcmp(once, twice) != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct push_hosts *defaults;
    if (!defaults) defaults = push_hosts_parse(NULL);
    char *s = xstrndup((const char *)data, size);
    check_idempotent(email_normalize, s);
    check_idempotent(phone_normalize, s);
    check_idempotent(locale_normalize, s);
    push_endpoint_allowed(defaults, s);
    struct push_hosts *h = push_hosts_parse(s);
    if (h) push_endpoint_allowed(h, "https://fcm.googleapis.com/x");
    push_hosts_free(h);
    free(s);
    return 0;
}
