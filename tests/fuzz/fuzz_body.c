/* Fuzzes the request-body parsers: strict JSON, then the sign-up, catalog and inventory
 * validators. Invariant: they never crash or leak, and whatever they accept has the fields
 * their callers rely on. Also: json_write writes every parsed value exactly as json_dumps with
 * JSON_WRITE_FLAGS. */
#include <stdlib.h>
#include <string.h>

#include "core/catalog.h"
#include "core/contact.h"
#include "core/signup.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
    static struct app app;
    static struct shop shop = {.currency = "EUR", .min_available = 1};
    if (!app.push_hosts) app.push_hosts = push_hosts_parse("127.0.0.1:9999,push.example");
    struct rs_status st = {0};
    json_t *v = json_parse_strict((const char *)data, n, &st);
    if (!v) return 0;
    char *want = json_dumps(v, JSON_WRITE_FLAGS);
    struct buf got = BUF_INIT(0);
    if (!want || json_write(&got, v) || got.len != strlen(want) || memcmp(got.p, want, got.len))
        abort();
    free(want);
    buf_free(&got);
    struct arena *a = arena_new();
    struct signup su;
    if (signup_parse(&app, v, a, &su, &st) == RS_OK) {
        if (!su.sub.contact_key || !su.sub.variant_id || !su.shop_uuid) abort();
        if (su.sub.quantity < 1 || su.sub.quantity > 1000) abort();
    }
    struct catalog_batch b = {.shop = &shop, .arena = a};
    if (catalog_parse(&b, v, &st) == RS_OK)
        for (size_t i = 0; i < b.n; i++)
            if (!b.items[i].v.variant_id || b.items[i].v.available < 0) abort();
    struct catalog_batch inv = {.shop = &shop, .arena = a};
    if (inventory_parse(&inv, v, &st) == RS_OK)
        for (size_t i = 0; i < inv.n; i++)
            if (!(inv.items[i].has & VF_AVAILABLE)) abort();
    arena_free(a);
    json_decref(v);
    return 0;
}
