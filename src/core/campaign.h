/*
 * campaign — how and when waiting subscribers are notified (SPEC §5).
 *
 * A campaign is stored as its validated JSON (the shape of the API) and parsed into struct
 * campaign when the fan-out or a preview needs it. campaign_parse is the one validator: the API's
 * POST and PATCH, and the store's reads, all go through it, so a stored campaign is always valid.
 *
 * JSON shape (every field optional on input unless marked; defaults in brackets):
 *   channel          "email" | "sms" | "webpush"                        (required on create)
 *   name             text ≤ 200                                         ["<channel> default"]
 *   status           "draft" | "active" | "test" | "paused"             ["draft"]
 *   starts_at, ends_at   RFC 3339 or null                               [null: always]
 *   languages        ["da", "en-GB", ...] BCP 47 or null (all)          [null]
 *   trigger          "signup" | "view" | "wishlist" (view/wishlist: webpush only)  ["signup"]
 *   event_filters    [{"mode":"include"|"exclude","event":"purchase"|"view"|"cart"|"wishlist",
 *                      "days":1..90}, ...]                              [[]]
 *   product_filters  {"exclude_categories":[...], "min_price":"10.00", "max_price":"99.00",
 *                     "currencies":["EUR"], "on_sale_only":bool}        [{}]
 *                    (prices in the decimals of `currencies`, else of the shop's currency)
 *   exclude_buyers   bool                                               [true]
 *   frequency_cap    {"per_day":1..100, "bypass_cap":bool} (SPEC §5's name) or null          [null:
 * no cap] delivery         {"send_ratio":0..100 (number), "interval_minutes":1..10080,
 *                     "max_sends":1..10000000 or null}                   [ratio 0, interval 60]
 *   silent_hours     {"from":"22:00","to":"08:00","mode":"delay"|"drop"} or null   [null]
 *   ttl              seconds 60..2419200                                [86400]
 *   goal             {"event":"purchase" or a name ≤ 64, "window_days":1..90}  [purchase, 10]
 *   templates        {"<locale>": {...}, ...} per channel:
 *                      email: subject (required), html (required), text (required)
 *                      sms: text (required)
 *                      webpush: title (required), body (required), icon, image, link,
 *                               buttons [{"title","link"} ≤ 2]
 *                    [a built-in default template for "en"]
 *   utm              {"source","medium","campaign","content","term"} texts ≤ 100   [restock/
 *                     <channel>/back-in-stock]
 *   test_contacts    ["ada@example.com", ...] the channel's kind: email addresses, E.164
 *                    phone numbers or push endpoint URLs (used when status is "test")   [[]]
 *   tags             [text ≤ 50, ≤ 20 of them]                          [[]]
 *   notes            text ≤ 2000                                        [""]
 * Read-only on output: id, is_default, created_at, updated_at.
 *
 * Input rules: unknown fields are an error; null is accepted only where shown above (it means the
 * default); lists are de-duplicated after canonicalisation (languages and template locales as
 * locale_normalize gives them, currencies upper-case, test contacts as email_normalize /
 * phone_normalize give them, or a push endpoint URL for webpush); texts count characters and
 * one-line texts (name, subjects, titles, links, utm, tags) may hold no control characters.
 * status "test" needs at least one test contact. A PATCH replaces top-level fields whole: an
 * object or list given is that field's new value (its absent members take their defaults).
 * The read-only fields are accepted and ignored on input (so a GET's body can be sent back and
 * the store's JSON parsed as is); campaign_parse leaves id, sid, is_default, created_at and
 * updated_at 0 on create and copies them from base on a PATCH: a store read sets them from its
 * row.
 */
#ifndef RESTOCK_CAMPAIGN_H
#define RESTOCK_CAMPAIGN_H

#include <jansson.h>
#include <stdint.h>

#include "core/model.h"
#include "util/arena.h"
#include "util/err.h"

enum campaign_status { CAMP_DRAFT, CAMP_ACTIVE, CAMP_TEST, CAMP_PAUSED };
enum campaign_trigger { TRIG_SIGNUP, TRIG_VIEW, TRIG_WISHLIST };
enum silent_mode { SILENT_DELAY, SILENT_DROP };

#define MAX_FILTERS 8
#define MAX_LIST    32

struct event_filter {
    int include;       /* 1 include, 0 exclude */
    const char *event; /* purchase, view, cart, wishlist */
    int days;
};

struct template
{
    const char *locale;
    const char *subject, *html, *text;              /* email; sms uses text */
    const char *title, *body, *icon, *image, *link; /* webpush */
    const char *button_title[2], *button_link[2];
    int nbuttons;
};

struct campaign {
    int64_t id, sid;
    enum channel channel;
    const char *name;
    enum campaign_status status;
    int is_default;
    int64_t starts_at, ends_at; /* 0: unbounded */
    const char *languages[MAX_LIST];
    int nlanguages; /* 0: all */
    enum campaign_trigger trigger;
    struct event_filter filters[MAX_FILTERS];
    int nfilters;
    const char *exclude_categories[MAX_LIST];
    int nexclude_categories;
    int64_t min_price, max_price; /* amounts with price_exp decimals (minor units); -1: none */
    const char *currencies[MAX_LIST];
    int ncurrencies; /* 0: any */
    int on_sale_only;
    int exclude_buyers;
    int cap_per_day; /* 0: no cap */
    int cap_bypass;
    double send_ratio; /* 0: everyone at once */
    int interval_minutes;
    int64_t max_sends;          /* 0: no budget */
    int silent;                 /* silent hours set */
    int silent_from, silent_to; /* minutes after local midnight */
    enum silent_mode silent_mode;
    int64_t ttl;
    const char *goal_event;
    int goal_window_days;
    struct template templates[MAX_LIST];
    int ntemplates;
    const char *utm_source, *utm_medium, *utm_campaign, *utm_content, *utm_term;
    const char *test_contacts[MAX_LIST];
    int ntest_contacts; /* canonical forms */
    int64_t created_at, updated_at;
    /* Added after the first draft of this header (append only): */
    const char *tags[MAX_LIST];
    int ntags;
    const char *notes;
    int price_exp; /* the decimals min_price/max_price were read with: those of `currencies`
                      (which must then agree), else the shop's currency's; the fan-out compares
                      them with a variant's price in its own currency's decimals */
};

const char *campaign_status_name(enum campaign_status s);

/* Whom a campaign sends to at `now`: nobody (a draft, paused, before its starts_at, from its
 * ends_at on), its test contacts (status test) or everyone (active). The fan-out applies only
 * campaigns that reach someone; a PATCH that makes one reach more re-walks (fanout.h). */
enum campaign_reach { REACH_NONE, REACH_TEST, REACH_ALL };
enum campaign_reach campaign_reach(const struct campaign *c, int64_t now);

/* Validates a campaign JSON object and fills c (strings from arena a). With `base` non-NULL the
 * object is a PATCH applied over base (fields absent keep base's values; `channel` may not
 * change); otherwise it is a new campaign and `channel` is required. `currency` is the shop's
 * (ISO 4217; NULL or unknown: 2 decimals): product_filters' min_price and max_price are amounts
 * with its decimals unless `currencies` lists others; further decimals are taken when they are
 * zeros ("1000.00" yen is 1000), and a PATCH may give back a bound its base stores with more
 * decimals than the currency has (GET shows it so) to keep it. RS_EINVAL naming the field
 * ("templates.da.subject: required", "delivery.send_ratio: must be from 0 to 100"). */
int campaign_parse(const json_t *in, const struct campaign *base, const char *currency,
                   struct arena *a, struct campaign *c, struct rs_status *st);

/* A campaign's JSON as the store keeps it (campaign_row.c), checked as it was when written:
 * rules added since are not applied to it, so no stored campaign becomes unreadable. A PATCH
 * likewise keeps the fields it does not give as stored. The rules that differ:
 *   test_contacts   must be of the campaign's channel's kind (an email address for email, an
 *                   E.164 number for sms, a push endpoint URL for webpush); stored: any kind.
 *   min/max_price   without `currencies`, the decimals of the shop's currency; stored: the
 *                   decimals written (price_exp), so a change of the shop's currency, or a
 *                   campaign written when these were always 2, still reads as it was. */
int campaign_parse_stored(const json_t *in, struct arena *a, struct campaign *c,
                          struct rs_status *st);

/* The campaign as the API shows it (and as the store keeps it: campaign_parse(campaign_to_json(c))
 * gives c back). */
json_t *campaign_to_json(const struct campaign *c);

/* The default campaign a new shop gets for a channel: active, all languages, signup trigger, an
 * English template per channel. */
void campaign_default(enum channel ch, int64_t sid, struct campaign *c);

/* The template for a locale: exact match ("da-DK"), then its language ("da"), then the shop's
 * locale (and its language), then the first template. NULL only when there is none. Locales are
 * compared canonically (locale_normalize), and after "its language" comes any template of that
 * language ("da-DK" for "da-GL") before falling back to the shop's. */
const struct template *campaign_template(const struct campaign *c, const char *locale,
                                         const char *shop_locale);

/* Is `now` (Unix seconds) inside the campaign's silent hours, given the shop's UTC offset at
 * now? When it is, *until is the first instant after them. DST-correct: the end is found by
 * converting the local end time back with the zone (tz name) at that instant. */
int campaign_silent(const struct campaign *c, const char *tz, int64_t now, int64_t *until);

#endif
