/* Fuzzes the campaign validator over arbitrary JSON, as a new campaign and as a PATCH over a
 * default one. Invariants: no crash or leak; whatever it accepts survives the round trip
 * (campaign_to_json, read back as the store does, the same JSON); a PATCH keeps the base's channel
 * and row; an accepted campaign always has a template to send and a sane silent-hours answer. */
#include <stdlib.h>

#include "core/campaign.h"
#include "util/json.h"

static void check(const struct campaign *c, struct arena *a)
{
    struct rs_status st = {0};
    struct campaign again;
    json_t *out = campaign_to_json(c);
    if (campaign_parse_stored(out, a, &again, &st) != RS_OK) abort();
    json_t *out2 = campaign_to_json(&again);
    json_object_set_new(out2, "id", json_integer(c->id)); /* row fields: not the parser's */
    json_object_set_new(out2, "is_default", json_boolean(c->is_default));
    if (!json_equal(out, out2) || !campaign_template(c, "da-DK", "en")) abort();
    int64_t until = 0, now = 1774740000; /* 2026-03-28T23:20Z, just before a DST change */
    if (campaign_silent(c, "Europe/Copenhagen", now, &until) && until <= now) abort();
    json_decref(out2);
    json_decref(out);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
    struct rs_status st = {0};
    json_t *v = json_parse_strict((const char *)data, n, &st);
    if (!v) return 0;
    struct arena *a = arena_new();
    struct campaign c, base;
    if (campaign_parse(v, NULL, "EUR", a, &c, &st) == RS_OK) check(&c, a);
    campaign_default(CH_WEBPUSH, 7, &base);
    base.id = 3;
    if (campaign_parse(v, &base, "KWD", a, &c, &st) == RS_OK) {
        if (c.channel != CH_WEBPUSH || c.id != 3 || c.sid != 7 || !c.is_default) abort();
        check(&c, a);
    }
    arena_free(a);
    json_decref(v);
    return 0;
}
