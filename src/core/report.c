/*
 * report — the customers and demand reports; see report.h.
 */
#include "core/report.h"

#include <stdlib.h>
#include <string.h>

#include "core/catalog.h"
#include "util/csv.h"
#include "util/money.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const char *const conversion_names[] = {"direct", "assisted"};

static const char *conversion_name(int kind)
{
    return kind == 0 || kind == 1 ? conversion_names[kind] : "none";
}

/* Local midnight of date s in zone tz, plus `days` days. */
static int day_start(const char *tz, const char *s, int days, int64_t *out)
{
    int y, m, d;
    if (date_parse(s, &y, &m, &d)) return -1;
    int64_t local = (days_from_civil(y, m, d) + days) * 86400;
    return tz_local_to_utc(tz, local, local - 2 * 86400, out);
}

int report_range(const char *tz, const char *from, const char *to, const char *prefix,
                 int64_t *start, int64_t *end, struct rs_status *st)
{
    *start = 0;
    *end = 0;
    if (from && day_start(tz, from, 0, start))
        return rs_fail(st, RS_EINVAL, "%sfrom: must be a date, YYYY-MM-DD", prefix);
    if (to && day_start(tz, to, 1, end))
        return rs_fail(st, RS_EINVAL, "%sto: must be a date, YYYY-MM-DD", prefix);
    if (from && to && *end <= *start)
        return rs_fail(st, RS_EINVAL, "%sto: must not be before %sfrom", prefix, prefix);
    return RS_OK;
}

/* ---- customers ------------------------------------------------------------------------------ */

static const char *const csv_columns[] = {
    "contact",     "channel",   "variant_id",     "product_title", "variant_title", "signed_up_at",
    "notified_at", "opened_at", "clicked_at",     "conversion",    "order_number",  "order_date",
    "order_total", "currency",  "order_refunded", "order_net",
};

void report_csv_header(struct buf *b)
{
    for (size_t i = 0; i < sizeof(csv_columns) / sizeof(csv_columns[0]); i++)
        csv_field(b, csv_columns[i], i == 0);
    csv_end(b);
}

static void time_field(struct buf *b, int64_t t)
{
    char s[32];
    if (t) rfc3339_format(t, s, sizeof(s));
    csv_field(b, t ? s : NULL, 0);
}

/* An amount of the row's conversion in its currency as a decimal string in out, or NULL when
 * the row has no conversion. */
static const char *amount_str(const struct customer_row *row, int64_t amount, char *out, size_t cap)
{
    if (row->order_total < 0 || !row->order_currency) return NULL;
    int exp = currency_exponent(row->order_currency);
    money_format(amount, exp < 0 ? 2 : exp, out, cap);
    return out;
}

/* The row's value, refunds and net (total less refunds), or NULLs when it has no conversion. */
struct row_amounts {
    const char *total, *refunded, *net;
    char buf[3][32];
};

static void row_amounts(const struct customer_row *row, struct row_amounts *m)
{
    m->total = amount_str(row, row->order_total, m->buf[0], sizeof(m->buf[0]));
    m->refunded = amount_str(row, row->order_refunded, m->buf[1], sizeof(m->buf[1]));
    m->net = amount_str(row, row->order_total - row->order_refunded, m->buf[2], sizeof(m->buf[2]));
}

void report_csv_row(struct buf *b, const struct customer_row *row)
{
    struct row_amounts m;
    row_amounts(row, &m);
    csv_field(b, row->contact, 1);
    csv_field(b, channel_name(row->channel), 0);
    csv_field(b, row->variant_id, 0);
    csv_field(b, row->product_title, 0);
    csv_field(b, row->variant_title, 0);
    time_field(b, row->signed_up);
    time_field(b, row->sent_at);
    time_field(b, row->opened_at);
    time_field(b, row->clicked_at);
    csv_field(b, conversion_name(row->conversion), 0);
    csv_field(b, row->order_number, 0);
    time_field(b, m.total ? row->order_at : 0);
    csv_field(b, m.total, 0);
    csv_field(b, m.total ? row->order_currency : NULL, 0);
    csv_field(b, m.refunded, 0);
    csv_field(b, m.net, 0);
    csv_end(b);
}

static json_t *time_json(int64_t t)
{
    char s[32];
    if (!t) return json_null();
    rfc3339_format(t, s, sizeof(s));
    return json_string(s);
}

static json_t *str_json(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *report_customer_json(const struct customer_row *row)
{
    struct row_amounts m;
    row_amounts(row, &m);
    json_t *o = json_object();
    json_object_set_new(o, "notification_id", json_integer(row->notification_id));
    json_object_set_new(o, "contact", str_json(row->contact));
    json_object_set_new(o, "channel", json_string(channel_name(row->channel)));
    json_object_set_new(o, "variant_id", str_json(row->variant_id));
    json_object_set_new(o, "product_title", str_json(row->product_title));
    json_object_set_new(o, "variant_title", str_json(row->variant_title));
    json_object_set_new(o, "signed_up_at", time_json(row->signed_up));
    json_object_set_new(o, "notified_at", time_json(row->sent_at));
    json_object_set_new(o, "opened_at", time_json(row->opened_at));
    json_object_set_new(o, "clicked_at", time_json(row->clicked_at));
    json_object_set_new(o, "conversion", json_string(conversion_name(row->conversion)));
    json_object_set_new(o, "order_number", str_json(row->order_number));
    json_object_set_new(o, "order_date", time_json(m.total ? row->order_at : 0));
    json_object_set_new(o, "order_total", str_json(m.total));
    json_object_set_new(o, "currency", m.total ? str_json(row->order_currency) : json_null());
    json_object_set_new(o, "order_refunded", str_json(m.refunded));
    json_object_set_new(o, "order_net", str_json(m.net));
    return o;
}

struct csv_page {
    struct buf *out;
    int64_t last_id;
    int n;
};

static int csv_one(void *arg, const struct customer_row *row)
{
    struct csv_page *p = arg;
    report_csv_row(p->out, row);
    p->last_id = row->notification_id;
    p->n++;
    return 0;
}

int report_csv_page(struct tx *tx, struct report_filter *f, struct arena *a, struct buf *out,
                    int *n)
{
    struct csv_page p = {.out = out, .last_id = f->after_id};
    int rc = tx->ops->report_customers(tx->c, f, a, csv_one, &p);
    *n = p.n;
    f->after_id = p.last_id;
    return rc;
}

/* ---- demand --------------------------------------------------------------------------------- */

struct demand {
    char *variant_id;
    int64_t waiting, units, last_signup, median_wait, longest_wait;
};

struct demand_acc {
    int64_t now;
    struct demand *v; /* one per variant with waiting subscribers */
    size_t n, cap;
    int64_t *ages; /* the current variant's sign-up times, in order read */
    size_t nages, cap_ages;
};

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Closes the current variant: its median and longest wait from the sign-up times read. */
static void demand_close(struct demand_acc *acc)
{
    if (!acc->n || !acc->nages) return;
    struct demand *d = &acc->v[acc->n - 1];
    qsort(acc->ages, acc->nages, sizeof(int64_t), cmp_i64);
    size_t k = acc->nages;
    int64_t median = k % 2 ? acc->ages[k / 2] : (acc->ages[k / 2 - 1] + acc->ages[k / 2]) / 2;
    d->median_wait = acc->now - median;
    d->longest_wait = acc->now - acc->ages[0];
    if (d->median_wait < 0) d->median_wait = 0;
    if (d->longest_wait < 0) d->longest_wait = 0;
    acc->nages = 0;
}

static int demand_one(void *arg, const struct waiting_row *row)
{
    struct demand_acc *acc = arg;
    if (!acc->n || strcmp(acc->v[acc->n - 1].variant_id, row->variant_id) != 0) {
        demand_close(acc);
        if (acc->n == acc->cap) {
            acc->cap = acc->cap ? acc->cap * 2 : 64;
            acc->v = xrealloc(acc->v, acc->cap * sizeof(*acc->v));
        }
        acc->v[acc->n++] = (struct demand){.variant_id = xstrdup(row->variant_id)};
    }
    struct demand *d = &acc->v[acc->n - 1];
    d->waiting++;
    d->units += row->quantity;
    if (row->created_at > d->last_signup) d->last_signup = row->created_at;
    if (acc->nages == acc->cap_ages) {
        acc->cap_ages = acc->cap_ages ? acc->cap_ages * 2 : 256;
        acc->ages = xrealloc(acc->ages, acc->cap_ages * sizeof(int64_t));
    }
    acc->ages[acc->nages++] = row->created_at;
    return 0;
}

/* Most waiting first; ties by units, then variant id, so the order is stable. */
static int cmp_demand(const void *a, const void *b)
{
    const struct demand *x = a, *y = b;
    if (x->waiting != y->waiting) return x->waiting < y->waiting ? 1 : -1;
    if (x->units != y->units) return x->units < y->units ? 1 : -1;
    return strcmp(x->variant_id, y->variant_id);
}

static json_t *money_json(int64_t minor, const char *currency)
{
    char s[32];
    int exp = currency_exponent(currency);
    money_format(minor, exp < 0 ? 2 : exp, s, sizeof(s));
    return json_string(s);
}

static json_t *demand_json(struct tx *tx, const struct shop *sh, const struct demand *d,
                           struct arena *a)
{
    struct variant v;
    int found = tx->ops->variant_get(tx->c, sh->sid, d->variant_id, a, &v) == RS_OK;
    const char *cur = found && v.currency ? v.currency : sh->currency;
    json_t *o = json_object();
    json_object_set_new(o, "variant_id", json_string(d->variant_id));
    json_object_set_new(o, "product_title", str_json(found ? v.title : NULL));
    json_object_set_new(o, "variant_title", str_json(found ? v.variant_title : NULL));
    json_object_set_new(o, "url", str_json(found ? v.url : NULL));
    json_object_set_new(o, "image_url", str_json(found ? v.image_url : NULL));
    json_object_set_new(
        o, "status", json_string(stock_status_name(stock_status_of(sh, found ? v.available : 0))));
    json_object_set_new(o, "available", json_integer(found ? v.available : 0));
    int priced = found && v.price >= 0;
    json_object_set_new(o, "price", priced ? money_json(v.price, cur) : json_null());
    json_object_set_new(o, "currency", json_string(cur));
    json_object_set_new(o, "waiting", json_integer(d->waiting));
    json_object_set_new(o, "waiting_units", json_integer(d->units));
    json_object_set_new(o, "potential_revenue",
                        priced ? money_json(v.price * d->units, cur) : json_null());
    json_object_set_new(o, "last_signup_at", time_json(d->last_signup));
    json_object_set_new(o, "median_wait_seconds", json_integer(d->median_wait));
    json_object_set_new(o, "longest_wait_seconds", json_integer(d->longest_wait));
    return o;
}

int report_demand(struct tx *tx, const struct shop *sh, int64_t now, int limit, struct arena *a,
                  json_t **out)
{
    struct demand_acc acc = {.now = now};
    int rc = tx->ops->report_waiting(tx->c, sh->sid, a, demand_one, &acc);
    demand_close(&acc);
    json_t *data = json_array();
    if (rc == RS_OK) {
        qsort(acc.v, acc.n, sizeof(*acc.v), cmp_demand);
        for (size_t i = 0; i < acc.n && (int)i < limit; i++)
            json_array_append_new(data, demand_json(tx, sh, &acc.v[i], a));
    }
    for (size_t i = 0; i < acc.n; i++)
        free(acc.v[i].variant_id);
    free(acc.v);
    free(acc.ages);
    if (rc) {
        json_decref(data);
        return rc;
    }
    *out = json_pack("{s:o}", "data", data);
    return RS_OK;
}
