/*
 * campaign — validation, defaults, the API shape, template choice and silent hours; contract in
 * campaign.h.
 *
 * One validation path: a new campaign is its JSON checked over the defaults (campaign_init); a
 * PATCH is first laid over campaign_to_json(base), top-level fields replaced whole, and the result
 * is checked exactly like a new campaign. Either way the campaign is built in a local struct and
 * copied to the caller's only on RS_OK, so nothing of a failed request is ever applied.
 *
 * Each JSON object is described by a table of rules (name, kind, bounds, where it lands in the
 * struct) that one walker, apply(), checks and stores: unknown fields, nulls, types, ranges and
 * text lengths are all found there. What a table cannot say (lists, money, times, templates,
 * cross-field rules) follows in code, one function per field.
 */
#include "core/campaign.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/contact.h"
#include "util/json.h"
#include "util/money.h"
#include "util/timeutil.h"

#define NF(t) (sizeof(t) / sizeof((t)[0]))

static const char *const status_names[] = {"draft", "active", "test", "paused", NULL};
static const char *const trigger_names[] = {"signup", "view", "wishlist", NULL};
static const char *const silent_names[] = {"delay", "drop", NULL};
static const char *const mode_names[] = {"exclude", "include", NULL}; /* index = include */
static const char *const event_names[] = {"purchase", "view", "cart", "wishlist", NULL};

const char *campaign_status_name(enum campaign_status s)
{
    return (unsigned)s < 4 ? status_names[s] : "?";
}

enum campaign_reach campaign_reach(const struct campaign *c, int64_t now)
{
    if (c->status != CAMP_ACTIVE && c->status != CAMP_TEST) return REACH_NONE;
    if (c->starts_at && now < c->starts_at) return REACH_NONE;
    if (c->ends_at && now >= c->ends_at) return REACH_NONE;
    return c->status == CAMP_ACTIVE ? REACH_ALL : REACH_TEST;
}

/* ---- defaults ------------------------------------------------------------------------------ */

static const char *const default_names[CH_COUNT] = {"email default", "sms default",
                                                    "webpush default"};

static const char default_html[] =
    "<!doctype html>\n"
    "<html><body style=\"font-family:sans-serif;line-height:1.5\">\n"
    "<p>Hi {{first_name|there}},</p>\n"
    "<p>Good news: <strong>{{product_title}}</strong> {{variant_title}} is back in stock, at "
    "{{price}}.</p>\n"
    "<p><a href=\"{{action_url}}\">Buy it now</a> before it sells out again.</p>\n"
    "<p style=\"font-size:12px;color:#666\">You asked {{shop_name|us}} to tell you when it was "
    "back. <a href=\"{{unsubscribe_url}}\">Unsubscribe</a></p>\n"
    "</body></html>\n";

static const char default_text[] =
    "Hi {{first_name|there}},\n\n"
    "Good news: {{product_title}} {{variant_title}} is back in stock, at {{price}}.\n\n"
    "Buy it now: {{action_url}}\n\n"
    "You asked {{shop_name|us}} to tell you when it was back. Unsubscribe: {{unsubscribe_url}}\n";

static const struct template default_templates[CH_COUNT] = {
    [CH_EMAIL] = {.locale = "en",
                  .subject = "{{product_title}} is back in stock",
                  .html = default_html,
                  .text = default_text},
    [CH_SMS] = {.locale = "en",
                .text = "Back in stock: {{product_title}} {{variant_title}}, {{price}}. Buy: "
                        "{{action_url}} Stop: {{unsubscribe_url}}"},
    [CH_WEBPUSH] = {.locale = "en",
                    .title = "Back in stock: {{product_title}}",
                    .body = "Hi {{first_name|there}}, {{product_title}} {{variant_title}} is "
                            "available again at {{price}}.",
                    .image = "{{image_url}}",
                    .link = "{{action_url}}",
                    .button_title = {"Buy now"},
                    .button_link = {"{{action_url}}"},
                    .nbuttons = 1},
};

/* Every field at its default: what a new campaign has before its JSON is applied. */
static void campaign_init(struct campaign *c, enum channel ch)
{
    memset(c, 0, sizeof(*c));
    c->channel = ch;
    c->name = default_names[ch];
    c->status = CAMP_DRAFT;
    c->trigger = TRIG_SIGNUP;
    c->min_price = c->max_price = -1;
    c->price_exp = 2;
    c->exclude_buyers = 1;
    c->interval_minutes = 60;
    c->silent_mode = SILENT_DELAY;
    c->ttl = 86400;
    c->goal_event = "purchase";
    c->goal_window_days = 10;
    c->templates[0] = default_templates[ch];
    c->ntemplates = 1;
    c->utm_source = "restock";
    c->utm_medium = channel_name(ch);
    c->utm_campaign = "back-in-stock";
    c->notes = "";
}

void campaign_default(enum channel ch, int64_t sid, struct campaign *c)
{
    campaign_init(c, ch);
    c->sid = sid;
    c->status = CAMP_ACTIVE;
    c->is_default = 1;
}

/* ---- the rule walker ----------------------------------------------------------------------- */

enum kind {
    K_LINE,  /* one-line text of min..max characters, into a const char * (arena) */
    K_TEXT,  /* text that may span lines (\n, \r, \t allowed), likewise */
    K_INT,   /* an integer in min..max, into an int */
    K_INT64, /* likewise, into an int64_t */
    K_NUM,   /* a number in min..max, into a double */
    K_BOOL,  /* into an int */
    K_ENUM,  /* one of names, its index into an int (or an enum) */
    K_STR,   /* a string, read by code */
    K_OBJ,   /* an object, read by code */
    K_ARR,   /* an array, read by code */
    K_MONEY, /* a decimal amount, a string or a number, read by code */
    K_RO,    /* a read-only field: accepted, ignored */
};

struct rule {
    const char *name;
    enum kind kind;
    unsigned flags; /* REQ, NUL */
    int64_t min, max;
    size_t off; /* into the struct apply() fills (K_LINE ... K_ENUM) */
    const char *const *names;
};

enum { REQ = 1, NUL = 2 };

#define LINE(n, f, lo, hi, S, m)                                                                   \
    {                                                                                              \
        n, K_LINE, f, lo, hi, offsetof(S, m), NULL                                                 \
    }
#define TEXT(n, f, lo, hi, S, m)                                                                   \
    {                                                                                              \
        n, K_TEXT, f, lo, hi, offsetof(S, m), NULL                                                 \
    }
#define INT(n, f, lo, hi, S, m)                                                                    \
    {                                                                                              \
        n, K_INT, f, lo, hi, offsetof(S, m), NULL                                                  \
    }
#define INT64(n, f, lo, hi, S, m)                                                                  \
    {                                                                                              \
        n, K_INT64, f, lo, hi, offsetof(S, m), NULL                                                \
    }
#define NUM(n, lo, hi, S, m)                                                                       \
    {                                                                                              \
        n, K_NUM, 0, lo, hi, offsetof(S, m), NULL                                                  \
    }
#define BOOL(n, S, m)                                                                              \
    {                                                                                              \
        n, K_BOOL, 0, 0, 0, offsetof(S, m), NULL                                                   \
    }
#define ENUM(n, f, S, m, names)                                                                    \
    {                                                                                              \
        n, K_ENUM, f, 0, 0, offsetof(S, m), names                                                  \
    }
#define CODE(n, kind, f)                                                                           \
    {                                                                                              \
        n, kind, f, 0, 0, 0, NULL                                                                  \
    }

/* "where.key", or "key" at the top. */
static const char *path(char *out, size_t cap, const char *where, const char *key)
{
    snprintf(out, cap, "%s%s%.64s", where, *where ? "." : "", key);
    return out;
}

static int fail_at(struct rs_status *st, const char *where, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* RS_EINVAL with "where.key: <message>". */
static int fail_at(struct rs_status *st, const char *where, const char *key, const char *fmt, ...)
{
    char p[160], msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return rs_fail(st, RS_EINVAL, "%s: %s", key ? path(p, sizeof(p), where, key) : where, msg);
}

/* Characters of a UTF-8 string (jansson has checked the encoding). */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* 0 when s has no control characters (beyond \t \n \r when multiline). */
static int text_clean(const char *s, int multiline)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == 0x7f || (ch < 0x20 && !(multiline && (ch == '\t' || ch == '\n' || ch == '\r'))))
            return -1;
    }
    return 0;
}

/* Checks a text against its rule; 0 or RS_EINVAL. */
static int check_text(const char *s, int multiline, int64_t min, int64_t max, const char *where,
                      const char *key, struct rs_status *st)
{
    size_t n = utf8_chars(s);
    if (n < (size_t)min) return fail_at(st, where, key, "must not be empty");
    if (n > (size_t)max) return fail_at(st, where, key, "at most %lld characters", (long long)max);
    if (text_clean(s, multiline))
        return fail_at(st, where, key,
                       multiline ? "must not contain control characters"
                                 : "must be one line without control characters");
    return RS_OK;
}

static const char *type_name(enum kind k)
{
    switch (k) {
    case K_LINE:
    case K_TEXT:
    case K_ENUM:
    case K_STR:
        return "a string";
    case K_INT:
    case K_INT64:
        return "an integer";
    case K_NUM:
        return "a number";
    case K_BOOL:
        return "true or false";
    case K_OBJ:
        return "an object";
    case K_ARR:
        return "an array";
    case K_MONEY:
        return "a decimal amount";
    case K_RO:
        break;
    }
    return "a value";
}

static int type_ok(const json_t *v, enum kind k)
{
    switch (k) {
    case K_LINE:
    case K_TEXT:
    case K_ENUM:
    case K_STR:
        return json_is_string(v);
    case K_INT:
    case K_INT64:
        return json_is_integer(v);
    case K_NUM:
        return json_is_number(v);
    case K_BOOL:
        return json_is_boolean(v);
    case K_OBJ:
        return json_is_object(v);
    case K_ARR:
        return json_is_array(v);
    case K_MONEY:
        return json_is_string(v) || json_is_number(v);
    case K_RO:
        return 1;
    }
    return 0;
}

/* Checks one present, non-null value against its rule and stores it at dst + r->off. */
static int apply_one(const struct rule *r, const json_t *v, const char *where, struct arena *a,
                     char *dst, struct rs_status *st)
{
    if (!type_ok(v, r->kind)) return fail_at(st, where, r->name, "must be %s", type_name(r->kind));
    switch (r->kind) {
    case K_LINE:
    case K_TEXT: {
        const char *s = json_string_value(v);
        int rc = check_text(s, r->kind == K_TEXT, r->min, r->max, where, r->name, st);
        if (rc) return rc;
        *(const char **)(dst + r->off) = arena_strdup(a, s);
        break;
    }
    case K_INT:
    case K_INT64: {
        json_int_t i = json_integer_value(v);
        if (i < r->min || i > r->max)
            return fail_at(st, where, r->name, "must be from %lld to %lld", (long long)r->min,
                           (long long)r->max);
        if (r->kind == K_INT)
            *(int *)(dst + r->off) = (int)i;
        else
            *(int64_t *)(dst + r->off) = i;
        break;
    }
    case K_NUM: {
        double d = json_number_value(v);
        if (!(d >= (double)r->min && d <= (double)r->max))
            return fail_at(st, where, r->name, "must be from %lld to %lld", (long long)r->min,
                           (long long)r->max);
        *(double *)(dst + r->off) = d;
        break;
    }
    case K_BOOL:
        *(int *)(dst + r->off) = json_is_true(v);
        break;
    case K_ENUM: {
        const char *s = json_string_value(v);
        int i;
        for (i = 0; r->names[i]; i++)
            if (strcmp(r->names[i], s) == 0) break;
        if (!r->names[i]) {
            char list[120] = "";
            size_t n = 0;
            for (int j = 0; r->names[j] && n < sizeof(list); j++)
                n += (size_t)snprintf(list + n, sizeof(list) - n, "%s\"%s\"", j ? ", " : "",
                                      r->names[j]);
            return fail_at(st, where, r->name, "must be one of %s", list);
        }
        *(int *)(dst + r->off) = i;
        break;
    }
    default:
        break;
    }
    return RS_OK;
}

/* Checks obj against rules[0..n) and stores what the rules can into dst: unknown fields, nulls
 * (only where NUL), types, ranges, lengths, and every REQ field present. */
static int apply(const json_t *obj, const struct rule *rules, size_t n, const char *where,
                 struct arena *a, void *dst, struct rs_status *st)
{
    if (!json_is_object(obj))
        return fail_at(st, *where ? where : "body", NULL, "must be an object");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        const struct rule *r = NULL;
        for (size_t i = 0; i < n && !r; i++)
            if (strcmp(rules[i].name, key) == 0) r = &rules[i];
        if (!r) return fail_at(st, where, key, "unknown field");
        if (json_is_null(v)) {
            if (!(r->flags & NUL)) return fail_at(st, where, key, "must not be null");
            continue;
        }
        int rc = apply_one(r, v, where, a, dst, st);
        if (rc) return rc;
    }
    for (size_t i = 0; i < n; i++)
        if ((rules[i].flags & REQ) && !json_object_get(obj, rules[i].name))
            return fail_at(st, where, rules[i].name, "required");
    return RS_OK;
}

/* ---- the tables ---------------------------------------------------------------------------- */

typedef struct campaign C;

static const struct rule top_rules[] = {
    CODE("channel", K_STR, REQ),
    LINE("name", 0, 1, 200, C, name),
    ENUM("status", 0, C, status, status_names),
    CODE("starts_at", K_STR, NUL),
    CODE("ends_at", K_STR, NUL),
    CODE("languages", K_ARR, NUL),
    ENUM("trigger", 0, C, trigger, trigger_names),
    CODE("event_filters", K_ARR, 0),
    CODE("product_filters", K_OBJ, 0),
    BOOL("exclude_buyers", C, exclude_buyers),
    CODE("frequency_cap", K_OBJ, NUL),
    CODE("delivery", K_OBJ, 0),
    CODE("silent_hours", K_OBJ, NUL),
    INT64("ttl", 0, 60, 2419200, C, ttl),
    CODE("goal", K_OBJ, 0),
    CODE("templates", K_OBJ, 0),
    CODE("utm", K_OBJ, 0),
    CODE("test_contacts", K_ARR, 0),
    CODE("tags", K_ARR, 0),
    TEXT("notes", 0, 0, 2000, C, notes),
    CODE("id", K_RO, NUL),
    CODE("is_default", K_RO, NUL),
    CODE("created_at", K_RO, NUL),
    CODE("updated_at", K_RO, NUL),
};

static const struct rule product_rules[] = {
    CODE("exclude_categories", K_ARR, 0),  CODE("min_price", K_MONEY, 0),
    CODE("max_price", K_MONEY, 0),         CODE("currencies", K_ARR, 0),
    BOOL("on_sale_only", C, on_sale_only),
};

static const struct rule cap_rules[] = {
    INT("per_day", REQ, 1, 100, C, cap_per_day),
    BOOL("bypass_cap", C, cap_bypass),
};

static const struct rule delivery_rules[] = {
    NUM("send_ratio", 0, 100, C, send_ratio),
    INT("interval_minutes", 0, 1, 10080, C, interval_minutes),
    INT64("max_sends", NUL, 1, 10000000, C, max_sends),
};

static const struct rule silent_rules[] = {
    CODE("from", K_STR, REQ),
    CODE("to", K_STR, REQ),
    ENUM("mode", 0, C, silent_mode, silent_names),
};

static const struct rule goal_rules[] = {
    CODE("event", K_STR, 0),
    INT("window_days", 0, 1, 90, C, goal_window_days),
};

static const struct rule utm_rules[] = {
    LINE("source", 0, 0, 100, C, utm_source),     LINE("medium", 0, 0, 100, C, utm_medium),
    LINE("campaign", 0, 0, 100, C, utm_campaign), LINE("content", 0, 0, 100, C, utm_content),
    LINE("term", 0, 0, 100, C, utm_term),
};

struct filter_in {
    int include, event, days;
};

static const struct rule filter_rules[] = {
    ENUM("mode", REQ, struct filter_in, include, mode_names),
    ENUM("event", REQ, struct filter_in, event, event_names),
    INT("days", REQ, 1, 90, struct filter_in, days),
};

typedef struct template T;

static const struct rule email_rules[] = {
    LINE("subject", REQ, 1, 250, T, subject),
    TEXT("html", REQ, 1, 100000, T, html),
    TEXT("text", REQ, 1, 20000, T, text),
};

static const struct rule sms_rules[] = {
    TEXT("text", REQ, 1, 1600, T, text),
};

static const struct rule push_rules[] = {
    LINE("title", REQ, 1, 200, T, title), TEXT("body", REQ, 1, 1000, T, body),
    LINE("icon", 0, 1, 1000, T, icon),    LINE("image", 0, 1, 1000, T, image),
    LINE("link", 0, 1, 1000, T, link),    CODE("buttons", K_ARR, 0),
};

struct button_in {
    const char *title, *link;
};

static const struct rule button_rules[] = {
    LINE("title", REQ, 1, 100, struct button_in, title),
    LINE("link", REQ, 1, 1000, struct button_in, link),
};

static const struct {
    const struct rule *rules;
    size_t n;
} template_rules[CH_COUNT] = {
    [CH_EMAIL] = {email_rules, NF(email_rules)},
    [CH_SMS] = {sms_rules, NF(sms_rules)},
    [CH_WEBPUSH] = {push_rules, NF(push_rules)},
};

/* ---- lists --------------------------------------------------------------------------------- */

/* Canonicalises one list item into out (cap bytes); 0, or -1 when it is invalid. */
typedef int (*canon_fn)(const char *in, char *out, size_t cap, enum channel ch);

static int canon_locale(const char *in, char *out, size_t cap, enum channel ch)
{
    (void)ch;
    return locale_normalize(in, out, cap);
}

static int canon_line(const char *in, char *out, size_t cap, size_t max)
{
    size_t n = utf8_chars(in);
    if (n < 1 || n > max || text_clean(in, 0) || strlen(in) >= cap) return -1;
    memcpy(out, in, strlen(in) + 1);
    return 0;
}

static int canon_category(const char *in, char *out, size_t cap, enum channel ch)
{
    (void)ch;
    return canon_line(in, out, cap, 200);
}

static int canon_tag(const char *in, char *out, size_t cap, enum channel ch)
{
    (void)ch;
    return canon_line(in, out, cap, 50);
}

static int canon_currency(const char *in, char *out, size_t cap, enum channel ch)
{
    (void)ch;
    if (strlen(in) != 3 || cap < 4) return -1;
    for (int i = 0; i < 3; i++)
        out[i] = (in[i] >= 'a' && in[i] <= 'z') ? (char)(in[i] - 'a' + 'A') : in[i];
    out[3] = '\0';
    return currency_exponent(out) < 0 ? -1 : 0;
}

static int canon_endpoint(const char *in, char *out, size_t cap)
{
    size_t n = strlen(in);
    if (strncmp(in, "https://", 8) != 0 || n > 1024 || n >= cap || text_clean(in, 0) ||
        strchr(in, ' '))
        return -1;
    memcpy(out, in, n + 1);
    return 0;
}

/* A test contact as the channel's subscriptions key it (their contact_key): an email address
 * for email, an E.164 phone number for SMS, a push endpoint URL for web push. */
static int canon_contact(const char *in, char *out, size_t cap, enum channel ch)
{
    if (ch == CH_WEBPUSH) return canon_endpoint(in, out, cap);
    if (ch == CH_EMAIL) return strchr(in, '@') ? email_normalize(in, out, cap) : -1;
    return strchr(in, '@') ? -1 : phone_normalize(in, out, cap);
}

/* Any of those, whatever the channel: how campaigns stored before the contacts had to match
 * their channel are read back (one of another channel never matches anybody). */
static int canon_any_contact(const char *in, char *out, size_t cap, enum channel ch)
{
    if (ch == CH_WEBPUSH && canon_endpoint(in, out, cap) == 0) return 0;
    if (strchr(in, '@')) return email_normalize(in, out, cap);
    return phone_normalize(in, out, cap);
}

struct list_kind {
    const char *name;
    canon_fn canon;
    int max;
    const char *what; /* "must be <what>" for a bad item */
};

static const struct list_kind list_languages = {"languages", canon_locale, MAX_LIST,
                                                "a BCP 47 language tag"};
static const struct list_kind list_categories = {"exclude_categories", canon_category, MAX_LIST,
                                                 "a category of 1 to 200 characters on one line"};
static const struct list_kind list_currencies = {"currencies", canon_currency, MAX_LIST,
                                                 "an ISO 4217 currency code"};
static const struct list_kind list_contacts[CH_COUNT] = {
    [CH_EMAIL] = {"test_contacts", canon_contact, MAX_LIST,
                  "an email address (the campaign's channel is email)"},
    [CH_SMS] = {"test_contacts", canon_contact, MAX_LIST,
                "an E.164 phone number (the campaign's channel is sms)"},
    [CH_WEBPUSH] = {"test_contacts", canon_contact, MAX_LIST,
                    "a push endpoint https URL (the campaign's channel is webpush)"},
};
static const struct list_kind list_any_contacts = {
    "test_contacts", canon_any_contact, MAX_LIST,
    "an email address or an E.164 phone number (or a push endpoint URL for webpush)"};
static const struct list_kind list_tags = {"tags", canon_tag, 20,
                                           "a tag of 1 to 50 characters on one line"};

/* Reads the array (type-checked by apply) into out[0..*n), canonical and de-duplicated. */
static int parse_list(const json_t *arr, const struct list_kind *k, const char *where,
                      enum channel ch, struct arena *a, const char **out, int *n,
                      struct rs_status *st)
{
    char p[160], item[1100];
    path(p, sizeof(p), where, k->name);
    if (json_array_size(arr) > (size_t)k->max)
        return fail_at(st, p, NULL, "at most %d items", k->max);
    *n = 0;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v)) return rs_fail(st, RS_EINVAL, "%s[%zu]: must be a string", p, i);
        if (k->canon(json_string_value(v), item, sizeof(item), ch) < 0)
            return rs_fail(st, RS_EINVAL, "%s[%zu]: must be %s", p, i, k->what);
        int dup = 0;
        for (int j = 0; j < *n && !dup; j++)
            dup = strcmp(out[j], item) == 0;
        if (!dup) out[(*n)++] = arena_strdup(a, item);
    }
    return RS_OK;
}

/* How a document is read. A campaign's JSON from the store is read as it was checked when
 * written, so a rule added since never makes a stored campaign unreadable; a PATCH likewise
 * keeps the fields it does not give as they were stored. */
struct parse_ctx {
    const char *currency;        /* the shop's: the decimals of price bounds without `currencies` */
    int stored_prices;           /* ... or the decimals the bounds were written with */
    const struct campaign *base; /* a PATCH's: bounds it stores finer may be given back */
    int stored_contacts; /* test_contacts of any channel's kind are taken (canon_any_contact) */
};

/* ---- fields read by code ------------------------------------------------------------------- */

static int parse_time(const json_t *doc, const char *key, int64_t *out, struct rs_status *st)
{
    const char *s = json_string_value(json_object_get(doc, key));
    if (!s) return RS_OK; /* absent or null: unbounded */
    if (rfc3339_parse(s, out) < 0 || *out == 0)
        return fail_at(st, "", key, "must be an RFC 3339 time, e.g. 2026-11-22T10:00:00Z");
    return RS_OK;
}

static int parse_filters(const json_t *arr, struct arena *a, C *c, struct rs_status *st)
{
    if (json_array_size(arr) > MAX_FILTERS)
        return fail_at(st, "event_filters", NULL, "at most %d filters", MAX_FILTERS);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        char where[48];
        snprintf(where, sizeof(where), "event_filters[%zu]", i);
        struct filter_in f = {0};
        int rc = apply(v, filter_rules, NF(filter_rules), where, a, &f, st);
        if (rc) return rc;
        c->filters[i] = (struct event_filter){f.include, event_names[f.event], f.days};
    }
    c->nfilters = (int)json_array_size(arr);
    return RS_OK;
}

static const char *const bound_keys[2] = {"min_price", "max_price"};

/* The decimals a stored bound was written with (campaign_to_json writes price_exp of them). */
static int written_decimals(const json_t *pf)
{
    int exp = 0;
    for (int i = 0; i < 2; i++) {
        const json_t *v = json_object_get(pf, bound_keys[i]);
        const char *dot = json_is_string(v) ? strchr(json_string_value(v), '.') : NULL;
        int n = dot ? (int)strlen(dot + 1) : json_is_real(v) ? 2 : 0;
        if (n > exp) exp = n;
    }
    return exp > 18 ? 18 : exp;
}

/* A bound as an amount with exp decimals; 0, or -1 when it is not one. Decimals beyond exp
 * are taken when they are zeros: "1000.00" is exactly 1000 yen (and how GET shows a bound of a
 * yen shop stored when bounds were always read with 2). */
static int bound_value(const json_t *pf, const char *key, int exp, int64_t *out)
{
    const json_t *v = json_object_get(pf, key);
    if (json_is_string(v))
        return money_parse_zeros(json_string_value(v), json_string_length(v), exp, out);
    struct rs_status ignored = {0};
    return jmoney(pf, key, exp, out, "", &ignored) ? -1 : 0;
}

/* 1 when a PATCH gives back, as GET shows it, a bound its base stores with more decimals than
 * exp (a yen shop's "10.50" from when bounds were always read with 2), and every other bound
 * it gives fits exp: the bounds are then read with the base's decimals, so it is kept. */
static int gives_back_finer(const json_t *pf, int exp, const struct campaign *base)
{
    if (!base || base->ncurrencies || base->price_exp <= exp) return 0;
    const int64_t stored[2] = {base->min_price, base->max_price};
    int back = 0;
    for (int i = 0; i < 2; i++) {
        int64_t v;
        if (!json_object_get(pf, bound_keys[i]) || !bound_value(pf, bound_keys[i], exp, &v))
            continue;
        if (stored[i] < 0 || bound_value(pf, bound_keys[i], base->price_exp, &v) || v != stored[i])
            return 0;
        back = 1;
    }
    return back;
}

/* The decimals of min_price and max_price: those of the listed currencies (which must then all
 * have the same number), else those of the shop's currency (or the base's, for a bound given
 * back as stored); a stored campaign's as written. */
static int price_decimals(const json_t *pf, const struct parse_ctx *x, C *c, struct rs_status *st)
{
    int priced = json_object_get(pf, "min_price") || json_object_get(pf, "max_price");
    if (c->ncurrencies)
        c->price_exp = currency_exponent(c->currencies[0]);
    else if (!priced)
        c->price_exp = 2; /* unused: campaign_init's */
    else if (x->stored_prices)
        c->price_exp = written_decimals(pf);
    else
        c->price_exp = currency_exponent(x->currency) >= 0 ? currency_exponent(x->currency) : 2;
    if (!c->ncurrencies && priced && !x->stored_prices &&
        gives_back_finer(pf, c->price_exp, x->base))
        c->price_exp = x->base->price_exp;
    for (int i = 1; priced && i < c->ncurrencies; i++)
        if (currency_exponent(c->currencies[i]) != c->price_exp)
            return fail_at(st, "product_filters", "currencies",
                           "must all have the same number of decimals when a price is set");
    return RS_OK;
}

static int parse_products(const json_t *pf, const struct parse_ctx *x, struct arena *a, C *c,
                          struct rs_status *st)
{
    const char *w = "product_filters";
    int rc = apply(pf, product_rules, NF(product_rules), w, a, c, st);
    const json_t *v;
    if (!rc && (v = json_object_get(pf, "exclude_categories")))
        rc = parse_list(v, &list_categories, w, c->channel, a, c->exclude_categories,
                        &c->nexclude_categories, st);
    if (!rc && (v = json_object_get(pf, "currencies")))
        rc = parse_list(v, &list_currencies, w, c->channel, a, c->currencies, &c->ncurrencies, st);
    if (rc || (rc = price_decimals(pf, x, c, st))) return rc;
    int64_t *dst[2] = {&c->min_price, &c->max_price};
    for (int i = 0; i < 2; i++) {
        if (!json_object_get(pf, bound_keys[i])) continue;
        if (bound_value(pf, bound_keys[i], c->price_exp, dst[i]))
            return jmoney(pf, bound_keys[i], c->price_exp, dst[i], w, st); /* its error */
        if (*dst[i] < 0) return fail_at(st, w, bound_keys[i], "must not be negative");
    }
    if (c->min_price >= 0 && c->max_price >= 0 && c->min_price > c->max_price)
        return fail_at(st, w, "max_price", "must not be less than min_price");
    return RS_OK;
}

/* "HH:MM" (00:00 to 23:59) into minutes after midnight. */
static int parse_hhmm(const char *s, int *minutes)
{
    if (strlen(s) != 5 || s[2] != ':') return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9')) return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59) return -1;
    *minutes = h * 60 + m;
    return 0;
}

static int parse_silent(const json_t *sh, struct arena *a, C *c, struct rs_status *st)
{
    const char *w = "silent_hours";
    int rc = apply(sh, silent_rules, NF(silent_rules), w, a, c, st);
    if (rc) return rc;
    if (parse_hhmm(jstr(sh, "from"), &c->silent_from) < 0)
        return fail_at(st, w, "from", "must be HH:MM");
    if (parse_hhmm(jstr(sh, "to"), &c->silent_to) < 0) return fail_at(st, w, "to", "must be HH:MM");
    if (c->silent_from == c->silent_to) return fail_at(st, w, "to", "must differ from from");
    c->silent = 1;
    return RS_OK;
}

static int parse_goal(const json_t *g, struct arena *a, C *c, struct rs_status *st)
{
    int rc = apply(g, goal_rules, NF(goal_rules), "goal", a, c, st);
    const char *ev = jstr(g, "event");
    if (rc || !ev) return rc;
    size_t n = strlen(ev);
    if (n < 1 || n > 64 ||
        strspn(ev, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "0123456789_.:-") != n)
        return fail_at(st, "goal", "event",
                       "must be 1 to 64 letters, digits, '_', '.', ':' or '-'");
    c->goal_event = arena_strdup(a, ev);
    return RS_OK;
}

static int parse_buttons(const json_t *arr, const char *where, struct arena *a, T *t,
                         struct rs_status *st)
{
    if (json_array_size(arr) > 2) return fail_at(st, where, "buttons", "at most 2");
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        char w[200];
        snprintf(w, sizeof(w), "%s.buttons[%zu]", where, i);
        struct button_in b = {0};
        int rc = apply(v, button_rules, NF(button_rules), w, a, &b, st);
        if (rc) return rc;
        t->button_title[i] = b.title;
        t->button_link[i] = b.link;
    }
    t->nbuttons = (int)json_array_size(arr);
    return RS_OK;
}

static int parse_templates(const json_t *obj, struct arena *a, C *c, struct rs_status *st)
{
    size_t n = json_object_size(obj);
    if (n == 0) return fail_at(st, "templates", NULL, "at least one template is required");
    if (n > MAX_LIST) return fail_at(st, "templates", NULL, "at most %d templates", MAX_LIST);
    c->ntemplates = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        char where[160], loc[64];
        path(where, sizeof(where), "templates", key);
        if (locale_normalize(key, loc, sizeof(loc)) < 0)
            return fail_at(st, where, NULL, "not a BCP 47 language tag");
        for (int i = 0; i < c->ntemplates; i++)
            if (strcmp(c->templates[i].locale, loc) == 0)
                return fail_at(st, where, NULL, "a second template for %s", loc);
        T *t = &c->templates[c->ntemplates];
        memset(t, 0, sizeof(*t));
        int rc = apply(v, template_rules[c->channel].rules, template_rules[c->channel].n, where, a,
                       t, st);
        const json_t *b = json_object_get(v, "buttons");
        if (!rc && b) rc = parse_buttons(b, where, a, t, st);
        if (rc) return rc;
        t->locale = arena_strdup(a, loc);
        c->ntemplates++;
    }
    return RS_OK;
}

/* Rules that span fields, checked once everything is read. */
static int check_whole(C *c, struct rs_status *st)
{
    if (c->starts_at && c->ends_at && c->starts_at >= c->ends_at)
        return fail_at(st, "ends_at", NULL, "must be after starts_at");
    if (c->trigger != TRIG_SIGNUP && c->channel != CH_WEBPUSH)
        return fail_at(st, "trigger", NULL, "\"%s\" is for webpush campaigns only",
                       trigger_names[c->trigger]);
    if (c->status == CAMP_TEST && c->ntest_contacts == 0)
        return fail_at(st, "test_contacts", NULL, "required when status is \"test\"");
    return RS_OK;
}

/* A whole campaign document (new, or a PATCH already laid over its base) into c. */
static int parse_doc(const json_t *doc, const struct parse_ctx *x, struct arena *a, C *c,
                     struct rs_status *st)
{
    if (!json_is_object(doc)) return fail_at(st, "body", NULL, "must be an object");
    const json_t *chv = json_object_get(doc, "channel");
    if (!chv) return fail_at(st, "channel", NULL, "required");
    int ch = channel_parse(json_string_value(chv));
    if (ch < 0)
        return fail_at(st, "channel", NULL, "must be one of \"email\", \"sms\", \"webpush\"");
    campaign_init(c, (enum channel)ch);
    int rc = apply(doc, top_rules, NF(top_rules), "", a, c, st);
    if (!rc) rc = parse_time(doc, "starts_at", &c->starts_at, st);
    if (!rc) rc = parse_time(doc, "ends_at", &c->ends_at, st);
    const json_t *v;
#define FIELD(name, call)                                                                          \
    if (!rc && (v = json_object_get(doc, name)) && !json_is_null(v)) rc = (call)
    FIELD("languages",
          parse_list(v, &list_languages, "", c->channel, a, c->languages, &c->nlanguages, st));
    FIELD("event_filters", parse_filters(v, a, c, st));
    FIELD("product_filters", parse_products(v, x, a, c, st));
    FIELD("frequency_cap", apply(v, cap_rules, NF(cap_rules), "frequency_cap", a, c, st));
    FIELD("delivery", apply(v, delivery_rules, NF(delivery_rules), "delivery", a, c, st));
    FIELD("silent_hours", parse_silent(v, a, c, st));
    FIELD("goal", parse_goal(v, a, c, st));
    FIELD("templates", parse_templates(v, a, c, st));
    FIELD("utm", apply(v, utm_rules, NF(utm_rules), "utm", a, c, st));
    FIELD("test_contacts",
          parse_list(v, x->stored_contacts ? &list_any_contacts : &list_contacts[c->channel], "",
                     c->channel, a, c->test_contacts, &c->ntest_contacts, st));
    FIELD("tags", parse_list(v, &list_tags, "", c->channel, a, c->tags, &c->ntags, st));
#undef FIELD
    if (!rc) rc = check_whole(c, st);
    return rc;
}

static int parse(const json_t *in, const struct campaign *base, const char *currency, int stored,
                 struct arena *a, struct campaign *c, struct rs_status *st)
{
    struct campaign tmp;
    json_t *doc = NULL;
    int rc;
    if (!json_is_object(in)) return fail_at(st, "body", NULL, "must be an object");
    struct parse_ctx x = {
        .currency = currency,
        .stored_prices = stored || (base && !json_object_get(in, "product_filters")),
        .stored_contacts = stored || (base && !json_object_get(in, "test_contacts")),
        .base = base,
    };
    if (!base) {
        rc = parse_doc(in, &x, a, &tmp, st);
        goto out;
    }
    const json_t *ch = json_object_get(in, "channel");
    if (ch && !(json_is_string(ch) && channel_parse(json_string_value(ch)) == (int)base->channel)) {
        rc = fail_at(st, "channel", NULL, "may not change (it is \"%s\")",
                     channel_name(base->channel));
        goto out;
    }
    doc = campaign_to_json(base);
    json_object_update(doc, (json_t *)in); /* top-level fields replaced whole */
    rc = parse_doc(doc, &x, a, &tmp, st);
    if (rc) goto out;
    tmp.id = base->id;
    tmp.sid = base->sid;
    tmp.is_default = base->is_default;
    tmp.created_at = base->created_at;
    tmp.updated_at = base->updated_at;
out:
    json_decref(doc);
    if (rc == RS_OK) *c = tmp;
    return rc;
}

int campaign_parse(const json_t *in, const struct campaign *base, const char *currency,
                   struct arena *a, struct campaign *c, struct rs_status *st)
{
    return parse(in, base, currency, 0, a, c, st);
}

int campaign_parse_stored(const json_t *in, struct arena *a, struct campaign *c,
                          struct rs_status *st)
{
    return parse(in, NULL, NULL, 1, a, c, st);
}

/* ---- output -------------------------------------------------------------------------------- */

static json_t *jtime(int64_t t)
{
    char s[32];
    if (!t) return json_null();
    rfc3339_format(t, s, sizeof(s));
    return json_string(s);
}

static json_t *jlist(const char *const *items, int n)
{
    json_t *arr = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(arr, json_string(items[i]));
    return arr;
}

static json_t *jmoney_out(int64_t minor, int exp)
{
    char s[32];
    money_format(minor, exp, s, sizeof(s));
    return json_string(s);
}

static void set_str(json_t *o, const char *key, const char *s)
{
    if (s) json_object_set_new(o, key, json_string(s));
}

static json_t *template_json(const struct template *t, enum channel ch)
{
    json_t *o = json_object();
    set_str(o, "subject", ch == CH_EMAIL ? t->subject : NULL);
    set_str(o, "html", ch == CH_EMAIL ? t->html : NULL);
    set_str(o, "text", ch != CH_WEBPUSH ? t->text : NULL);
    if (ch != CH_WEBPUSH) return o;
    set_str(o, "title", t->title);
    set_str(o, "body", t->body);
    set_str(o, "icon", t->icon);
    set_str(o, "image", t->image);
    set_str(o, "link", t->link);
    if (t->nbuttons) {
        json_t *bs = json_array();
        for (int i = 0; i < t->nbuttons && i < 2; i++)
            json_array_append_new(bs, json_pack("{s:s, s:s}", "title", t->button_title[i], "link",
                                                t->button_link[i]));
        json_object_set_new(o, "buttons", bs);
    }
    return o;
}

static json_t *product_json(const struct campaign *c)
{
    json_t *pf = json_object();
    json_object_set_new(pf, "exclude_categories",
                        jlist(c->exclude_categories, c->nexclude_categories));
    if (c->min_price >= 0)
        json_object_set_new(pf, "min_price", jmoney_out(c->min_price, c->price_exp));
    if (c->max_price >= 0)
        json_object_set_new(pf, "max_price", jmoney_out(c->max_price, c->price_exp));
    json_object_set_new(pf, "currencies", jlist(c->currencies, c->ncurrencies));
    json_object_set_new(pf, "on_sale_only", json_boolean(c->on_sale_only));
    return pf;
}

static json_t *ratio_json(double r)
{
    if (r == (double)(json_int_t)r) return json_integer((json_int_t)r);
    return json_real(r);
}

json_t *campaign_to_json(const struct campaign *c)
{
    json_t *o = json_object(), *v;
    json_object_set_new(o, "id", json_integer(c->id));
    json_object_set_new(o, "channel", json_string(channel_name(c->channel)));
    json_object_set_new(o, "name", json_string(c->name ? c->name : ""));
    json_object_set_new(o, "status", json_string(campaign_status_name(c->status)));
    json_object_set_new(o, "is_default", json_boolean(c->is_default));
    json_object_set_new(o, "starts_at", jtime(c->starts_at));
    json_object_set_new(o, "ends_at", jtime(c->ends_at));
    json_object_set_new(o, "languages",
                        c->nlanguages ? jlist(c->languages, c->nlanguages) : json_null());
    json_object_set_new(o, "trigger", json_string(trigger_names[c->trigger]));
    v = json_array();
    for (int i = 0; i < c->nfilters; i++)
        json_array_append_new(v, json_pack("{s:s, s:s, s:i}", "mode",
                                           mode_names[c->filters[i].include != 0], "event",
                                           c->filters[i].event, "days", c->filters[i].days));
    json_object_set_new(o, "event_filters", v);
    json_object_set_new(o, "product_filters", product_json(c));
    json_object_set_new(o, "exclude_buyers", json_boolean(c->exclude_buyers));
    json_object_set_new(o, "frequency_cap",
                        c->cap_per_day ? json_pack("{s:i, s:b}", "per_day", c->cap_per_day,
                                                   "bypass_cap", c->cap_bypass)
                                       : json_null());
    v = json_pack("{s:o, s:i}", "send_ratio", ratio_json(c->send_ratio), "interval_minutes",
                  c->interval_minutes);
    json_object_set_new(v, "max_sends", c->max_sends ? json_integer(c->max_sends) : json_null());
    json_object_set_new(o, "delivery", v);
    if (c->silent) {
        char from[8], to[8];
        snprintf(from, sizeof(from), "%02d:%02d", c->silent_from / 60 % 24, c->silent_from % 60);
        snprintf(to, sizeof(to), "%02d:%02d", c->silent_to / 60 % 24, c->silent_to % 60);
        v = json_pack("{s:s, s:s, s:s}", "from", from, "to", to, "mode",
                      silent_names[c->silent_mode == SILENT_DROP]);
    } else {
        v = json_null();
    }
    json_object_set_new(o, "silent_hours", v);
    json_object_set_new(o, "ttl", json_integer(c->ttl));
    json_object_set_new(o, "goal",
                        json_pack("{s:s, s:i}", "event", c->goal_event ? c->goal_event : "purchase",
                                  "window_days", c->goal_window_days));
    v = json_object();
    for (int i = 0; i < c->ntemplates; i++)
        json_object_set_new(v, c->templates[i].locale, template_json(&c->templates[i], c->channel));
    json_object_set_new(o, "templates", v);
    v = json_object();
    set_str(v, "source", c->utm_source);
    set_str(v, "medium", c->utm_medium);
    set_str(v, "campaign", c->utm_campaign);
    set_str(v, "content", c->utm_content);
    set_str(v, "term", c->utm_term);
    json_object_set_new(o, "utm", v);
    json_object_set_new(o, "test_contacts", jlist(c->test_contacts, c->ntest_contacts));
    json_object_set_new(o, "tags", jlist(c->tags, c->ntags));
    json_object_set_new(o, "notes", json_string(c->notes ? c->notes : ""));
    json_object_set_new(o, "created_at", jtime(c->created_at));
    json_object_set_new(o, "updated_at", jtime(c->updated_at));
    return o;
}

/* ---- templates ----------------------------------------------------------------------------- */

static size_t lang_len(const char *loc)
{
    return strcspn(loc, "-_");
}

/* For one locale: the exact template, then the one of its language, then any of its language. */
static const struct template *match(const struct campaign *c, const char *locale)
{
    char loc[64];
    if (!locale || locale_normalize(locale, loc, sizeof(loc)) < 0) return NULL;
    size_t ll = lang_len(loc);
    for (int i = 0; i < c->ntemplates; i++)
        if (strcasecmp(c->templates[i].locale, loc) == 0) return &c->templates[i];
    for (int i = 0; i < c->ntemplates; i++)
        if (strlen(c->templates[i].locale) == ll &&
            strncasecmp(c->templates[i].locale, loc, ll) == 0)
            return &c->templates[i];
    for (int i = 0; i < c->ntemplates; i++)
        if (lang_len(c->templates[i].locale) == ll &&
            strncasecmp(c->templates[i].locale, loc, ll) == 0)
            return &c->templates[i];
    return NULL;
}

const struct template *campaign_template(const struct campaign *c, const char *locale,
                                         const char *shop_locale)
{
    if (c->ntemplates <= 0) return NULL;
    const struct template *t = match(c, locale);
    if (!t) t = match(c, shop_locale);
    return t ? t : &c->templates[0];
}

/* ---- silent hours -------------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int campaign_silent(const struct campaign *c, const char *tz, int64_t now, int64_t *until)
{
    const int64_t far = (int64_t)1 << 40; /* beyond any real time; keeps the sums below exact */
    if (!c->silent || c->silent_from == c->silent_to || now < -far || now > far) return 0;
    int32_t off = 0;
    int zoned = tz && tz_offset(tz, now, &off) == 0; /* an unknown zone: UTC */
    int64_t local = now + off, day = floor_div(local, 86400);
    int m = (int)((local - day * 86400) / 60), from = c->silent_from, to = c->silent_to;
    int inside = from < to ? (m >= from && m < to) : (m >= from || m < to);
    if (!inside) return 0;
    /* A window crossing midnight entered before midnight ends tomorrow. */
    int64_t end = (day + (from > to && m >= from)) * 86400 + (int64_t)to * 60, t;
    if (!zoned)
        t = end;
    else if (tz_local_to_utc(tz, end, now + 1, &t) < 0)
        t = end - off; /* no such instant after now: cannot happen in a real zone */
    if (until) *until = t > now ? t : now + 1;
    return 1;
}
