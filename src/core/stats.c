/*
 * stats — the per-day report over the stats rollup; contract in stats.h.
 */
#include "core/stats.h"

#include <math.h>
#include <string.h>

#include "util/money.h"
#include "util/timeutil.h"

#define SLOT 900

struct day {
    int64_t sent, opened, clicked;
    int64_t n[2], amount[2], net[2]; /* [0] direct, [1] assisted */
};

struct walk {
    const int64_t *starts; /* ndays + 1 UTC instants: each day's local midnight, then the end */
    int ndays, i;
    struct day *days;
};

/* *a += b, held at the ends of int64 instead of overflowing: amounts are capped
 * (MONEY_AMOUNT_MAX) but nothing caps how many there are. */
static void add(int64_t *a, int64_t b)
{
    if (__builtin_add_overflow(*a, b, a)) *a = b < 0 ? INT64_MIN : INT64_MAX;
}

static int add_slot(void *arg, const struct stats_slot *s)
{
    struct walk *w = arg;
    int64_t t = s->slot * SLOT;
    while (w->i < w->ndays && t >= w->starts[w->i + 1])
        w->i++;
    if (w->i >= w->ndays || t < w->starts[w->i]) return 0;
    struct day *d = &w->days[w->i];
    add(&d->sent, s->sent);
    add(&d->opened, s->opened);
    add(&d->clicked, s->clicked);
    add(&d->n[0], s->direct_n);
    add(&d->amount[0], s->direct_amount);
    add(&d->net[0], s->direct_net);
    add(&d->n[1], s->assisted_n);
    add(&d->amount[1], s->assisted_amount);
    add(&d->net[1], s->assisted_net);
    return 0;
}

static int add_event(void *arg, const char *name, int64_t hits)
{
    json_array_append_new(arg, json_pack("{s:s,s:I}", "event", name, "hits", (json_int_t)hits));
    return 0;
}

static json_t *money(int64_t v, int exp)
{
    char s[32];
    money_format(v, exp, s, sizeof(s));
    return json_string(s);
}

static json_t *day_json(const struct day *d, int exp, json_t *o)
{
    json_object_set_new(o, "sent", json_integer(d->sent));
    json_object_set_new(o, "opened", json_integer(d->opened));
    json_object_set_new(o, "clicked", json_integer(d->clicked));
    static const char *const kinds[2] = {"direct", "assisted"};
    for (int k = 0; k < 2; k++)
        json_object_set_new(o, kinds[k],
                            json_pack("{s:I,s:o,s:o}", "count", (json_int_t)d->n[k], "revenue",
                                      money(d->amount[k], exp), "revenue_net",
                                      money(d->net[k], exp)));
    return o;
}

/* num ÷ den to 4 decimals; null when den is 0 (an SMS campaign has no opens: its conversions
 * over opens are undefined, not 0%) */
static json_t *rate(int64_t num, int64_t den)
{
    return den ? json_real(round((double)num / (double)den * 10000.0) / 10000.0) : json_null();
}

/* Day numbers (days since the epoch) of from and to; RS_EINVAL naming the field. */
static int parse_range(const char *from, const char *to, int64_t *d0, int64_t *d1,
                       struct rs_status *st)
{
    int y, m, d;
    if (!from) return rs_fail(st, RS_EINVAL, "from: required, a date YYYY-MM-DD");
    if (date_parse(from, &y, &m, &d)) return rs_fail(st, RS_EINVAL, "from: must be YYYY-MM-DD");
    *d0 = days_from_civil(y, m, d);
    if (!to) return rs_fail(st, RS_EINVAL, "to: required, a date YYYY-MM-DD");
    if (date_parse(to, &y, &m, &d)) return rs_fail(st, RS_EINVAL, "to: must be YYYY-MM-DD");
    *d1 = days_from_civil(y, m, d);
    if (*d1 < *d0) return rs_fail(st, RS_EINVAL, "to: must not be before from");
    if (*d1 - *d0 + 1 > STATS_MAX_DAYS)
        return rs_fail(st, RS_EINVAL, "to: at most %d days from from", STATS_MAX_DAYS);
    if (*d0 < 0) return rs_fail(st, RS_EINVAL, "from: must not be before 1970-01-01");
    return RS_OK;
}

int stats_query(struct tx *tx, const struct shop *sh, const char *from, const char *to,
                int64_t campaign_id, struct arena *a, json_t **out, struct rs_status *st)
{
    int64_t d0 = 0, d1 = 0;
    int rc = parse_range(from, to, &d0, &d1, st);
    if (rc) return rc;
    int ndays = (int)(d1 - d0 + 1);
    int64_t *starts = arena_alloc(a, (size_t)(ndays + 1) * sizeof(*starts));
    for (int i = 0; i <= ndays; i++) {
        int64_t local = (d0 + i) * 86400;
        if (tz_local_to_utc(sh->timezone, local, local - 2 * 86400, &starts[i]))
            starts[i] = local; /* an unknown zone cannot be stored; UTC if it ever were */
    }
    struct walk w = {starts, ndays, 0, arena_alloc(a, (size_t)ndays * sizeof(struct day))};
    int64_t lo = starts[0] / SLOT, hi = (starts[ndays] - 1) / SLOT;
    json_t *events = json_array();
    rc = tx->ops->stats_slots(tx->c, sh->sid, campaign_id, lo, hi, add_slot, &w);
    if (!rc)
        rc = tx->ops->stats_events(tx->c, sh->sid, campaign_id, lo, hi, 5, a, add_event, events);
    if (rc) {
        json_decref(events);
        return rs_fail(st, rc, "the store failed");
    }
    int exp = currency_exponent(sh->currency);
    if (exp < 0) exp = 2;
    struct day total = {0};
    json_t *days = json_array();
    for (int i = 0; i < ndays; i++) {
        const struct day *d = &w.days[i];
        int y, m, dd;
        civil_from_days(d0 + i, &y, &m, &dd);
        json_t *o = json_pack("{s:o}", "date", json_sprintf("%04d-%02d-%02d", y, m, dd));
        json_array_append_new(days, day_json(d, exp, o));
        add(&total.sent, d->sent);
        add(&total.opened, d->opened);
        add(&total.clicked, d->clicked);
        for (int k = 0; k < 2; k++) {
            add(&total.n[k], d->n[k]);
            add(&total.amount[k], d->amount[k]);
            add(&total.net[k], d->net[k]);
        }
    }
    json_t *t = day_json(&total, exp, json_object());
    int64_t conv = total.n[0] + total.n[1];
    json_object_set_new(t, "open_rate", rate(total.opened, total.sent));
    json_object_set_new(t, "click_rate", rate(total.clicked, total.sent));
    json_object_set_new(t, "conversion_rate", rate(conv, total.opened));
    json_object_set_new(t, "conversion_rate_sent", rate(conv, total.sent));
    *out = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o}", "from", from, "to", to, "currency", sh->currency,
                     "days", days, "totals", t, "top_events", events);
    if (campaign_id > 0)
        json_object_set_new(*out, "campaign", json_sprintf("%lld", (long long)campaign_id));
    return RS_OK;
}
