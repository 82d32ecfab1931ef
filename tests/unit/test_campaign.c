/* Unit tests for core/campaign: the validator (one row per rule, each error naming its field),
 * PATCH over a base, the JSON round trip, the defaults, template fallback and silent hours
 * (crossing midnight, and across Europe/Copenhagen's DST changes). JSON in the tables is written
 * with ' for " and "%s" standing for a filler (n times `item`, comma-separated, or n 'a's). */
#include <stdlib.h>
#include <string.h>

#include "core/campaign.h"
#include "core/render.h"
#include "test.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/timeutil.h"

/* The JSON text of fmt, with ' turned into " and "%s" into the filler. */
static json_t *doc(const char *fmt, int n, const char *item)
{
    struct buf b = BUF_INIT(0);
    for (const char *p = fmt; *p; p++) {
        if (p[0] == '%' && p[1] == 's') {
            for (int i = 0; i < n; i++) {
                if (item && i) buf_putc(&b, ',');
                for (const char *q = item; q && *q; q++)
                    buf_putc(&b, *q == '\'' ? '"' : *q);
                if (!item) buf_putc(&b, 'a');
            }
            p++;
        } else {
            buf_putc(&b, *p == '\'' ? '"' : *p);
        }
    }
    struct rs_status st = {0};
    json_t *v = json_parse_strict(b.p, b.len, &st);
    if (!v) fprintf(stderr, "  bad test JSON: %s (%s)\n", b.p, st.msg);
    buf_free(&b);
    return v;
}

/* The value at a dotted path ("delivery.send_ratio", "languages.0") of the campaign's JSON, as
 * compact JSON text, or "(absent)". */
static char *at(const struct campaign *c, const char *dotted)
{
    json_t *o = campaign_to_json(c), *v = o;
    char seg[64];
    for (const char *p = dotted; v && *p;) {
        size_t n = strcspn(p, ".");
        snprintf(seg, sizeof(seg), "%.*s", (int)n, p);
        v = json_is_array(v) ? json_array_get(v, strtoul(seg, NULL, 10)) : json_object_get(v, seg);
        p += n + (p[n] == '.');
    }
    char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("(absent)");
    json_decref(o);
    return s;
}

static int streq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static int templates_equal(const struct template *a, const struct template *b)
{
    int eq = streq(a->locale, b->locale) && streq(a->subject, b->subject) &&
             streq(a->html, b->html) && streq(a->text, b->text) && streq(a->title, b->title) &&
             streq(a->body, b->body) && streq(a->icon, b->icon) && streq(a->image, b->image) &&
             streq(a->link, b->link) && a->nbuttons == b->nbuttons;
    for (int i = 0; eq && i < a->nbuttons; i++)
        eq = streq(a->button_title[i], b->button_title[i]) &&
             streq(a->button_link[i], b->button_link[i]);
    return eq;
}

static int lists_equal(const char *const *a, int na, const char *const *b, int nb)
{
    if (na != nb) return 0;
    for (int i = 0; i < na; i++)
        if (!streq(a[i], b[i])) return 0;
    return 1;
}

/* Field by field; reports the first difference. */
static int campaigns_equal(const struct campaign *a, const struct campaign *b)
{
    const char *diff = NULL;
#define SAME(cond, name)                                                                           \
    if (!diff && !(cond)) diff = name
    SAME(a->id == b->id && a->sid == b->sid && a->is_default == b->is_default, "row");
    SAME(a->created_at == b->created_at && a->updated_at == b->updated_at, "row times");
    SAME(a->channel == b->channel && streq(a->name, b->name) && a->status == b->status, "head");
    SAME(a->starts_at == b->starts_at && a->ends_at == b->ends_at, "times");
    SAME(lists_equal(a->languages, a->nlanguages, b->languages, b->nlanguages), "languages");
    SAME(a->trigger == b->trigger && a->nfilters == b->nfilters, "trigger/filters");
    for (int i = 0; i < a->nfilters && i < b->nfilters; i++)
        SAME(a->filters[i].include == b->filters[i].include &&
                 streq(a->filters[i].event, b->filters[i].event) &&
                 a->filters[i].days == b->filters[i].days,
             "filter");
    SAME(lists_equal(a->exclude_categories, a->nexclude_categories, b->exclude_categories,
                     b->nexclude_categories),
         "categories");
    SAME(a->min_price == b->min_price && a->max_price == b->max_price &&
             a->price_exp == b->price_exp,
         "prices");
    SAME(lists_equal(a->currencies, a->ncurrencies, b->currencies, b->ncurrencies), "currencies");
    SAME(a->on_sale_only == b->on_sale_only && a->exclude_buyers == b->exclude_buyers, "flags");
    SAME(a->cap_per_day == b->cap_per_day && a->cap_bypass == b->cap_bypass, "cap");
    SAME(a->send_ratio == b->send_ratio && a->interval_minutes == b->interval_minutes &&
             a->max_sends == b->max_sends,
         "delivery");
    SAME(a->silent == b->silent && a->silent_from == b->silent_from &&
             a->silent_to == b->silent_to && a->silent_mode == b->silent_mode,
         "silent");
    SAME(a->ttl == b->ttl && streq(a->goal_event, b->goal_event) &&
             a->goal_window_days == b->goal_window_days,
         "ttl/goal");
    SAME(a->ntemplates == b->ntemplates, "ntemplates");
    for (int i = 0; i < a->ntemplates && i < b->ntemplates; i++)
        SAME(templates_equal(&a->templates[i], &b->templates[i]), "template");
    SAME(streq(a->utm_source, b->utm_source) && streq(a->utm_medium, b->utm_medium) &&
             streq(a->utm_campaign, b->utm_campaign) && streq(a->utm_content, b->utm_content) &&
             streq(a->utm_term, b->utm_term),
         "utm");
    SAME(lists_equal(a->test_contacts, a->ntest_contacts, b->test_contacts, b->ntest_contacts),
         "test_contacts");
    SAME(lists_equal(a->tags, a->ntags, b->tags, b->ntags) && streq(a->notes, b->notes),
         "tags/notes");
#undef SAME
    if (diff) fprintf(stderr, "  campaigns differ in %s\n", diff);
    return diff == NULL;
}

/* ---- valid input --------------------------------------------------------------------------- */

TEST(campaign_parse_valid)
{
    static const struct {
        const char *json;
        int n;
        const char *item;
        const char *path, *want; /* the field in campaign_to_json, as compact JSON */
    } cases[] = {
        /* defaults */
        {"{'channel':'email'}", 0, NULL, "status", "\"draft\""},
        {"{'channel':'email'}", 0, NULL, "name", "\"email default\""},
        {"{'channel':'sms'}", 0, NULL, "utm",
         "{\"source\":\"restock\",\"medium\":\"sms\",\"campaign\":\"back-in-stock\"}"},
        {"{'channel':'email'}", 0, NULL, "delivery",
         "{\"send_ratio\":0,\"interval_minutes\":60,\"max_sends\":null}"},
        {"{'channel':'email'}", 0, NULL, "goal", "{\"event\":\"purchase\",\"window_days\":10}"},
        {"{'channel':'email'}", 0, NULL, "ttl", "86400"},
        {"{'channel':'email'}", 0, NULL, "exclude_buyers", "true"},
        {"{'channel':'email'}", 0, NULL, "trigger", "\"signup\""},
        {"{'channel':'email'}", 0, NULL, "languages", "null"},
        {"{'channel':'email'}", 0, NULL, "frequency_cap", "null"},
        {"{'channel':'email'}", 0, NULL, "silent_hours", "null"},
        {"{'channel':'email'}", 0, NULL, "starts_at", "null"},
        {"{'channel':'email'}", 0, NULL, "product_filters",
         "{\"exclude_categories\":[],\"currencies\":[],\"on_sale_only\":false}"},
        {"{'channel':'webpush'}", 0, NULL, "templates.en.link", "\"{{action_url}}\""},
        /* each field */
        {"{'channel':'email','name':'%s'}", 200, NULL, "status", "\"draft\""},
        {"{'channel':'email','name':'Forår ✓'}", 0, NULL, "name", "\"Forår ✓\""},
        {"{'channel':'email','status':'paused'}", 0, NULL, "status", "\"paused\""},
        {"{'channel':'email','starts_at':'2026-11-22T11:00:00+01:00'}", 0, NULL, "starts_at",
         "\"2026-11-22T10:00:00Z\""},
        {"{'channel':'email','starts_at':null,'ends_at':'2026-11-22T10:00:00Z'}", 0, NULL,
         "ends_at", "\"2026-11-22T10:00:00Z\""},
        {"{'channel':'email','languages':['da','en_gb','EN-GB']}", 0, NULL, "languages",
         "[\"da\",\"en-GB\"]"},
        {"{'channel':'email','languages':[]}", 0, NULL, "languages", "null"},
        {"{'channel':'email','languages':[%s]}", 32, "'da'", "languages", "[\"da\"]"},
        {"{'channel':'webpush','trigger':'wishlist'}", 0, NULL, "trigger", "\"wishlist\""},
        {"{'channel':'email','event_filters':[{'mode':'exclude','event':'cart','days':90}]}", 0,
         NULL, "event_filters", "[{\"mode\":\"exclude\",\"event\":\"cart\",\"days\":90}]"},
        {"{'channel':'email','event_filters':[%s]}", 8,
         "{'mode':'include','event':'view','days':1}", "event_filters.7.mode", "\"include\""},
        {"{'channel':'email','product_filters':{'min_price':'10','max_price':99.5}}", 0, NULL,
         "product_filters.min_price", "\"10.00\""},
        {"{'channel':'email','product_filters':{'min_price':'10','max_price':99.5}}", 0, NULL,
         "product_filters.max_price", "\"99.50\""},
        {"{'channel':'email','product_filters':{'min_price':'5','max_price':'5'}}", 0, NULL,
         "product_filters.max_price", "\"5.00\""},
        {"{'channel':'email','product_filters':{'currencies':['jpy','JPY'],'min_price':1000}}", 0,
         NULL, "product_filters",
         "{\"exclude_categories\":[],\"min_price\":\"1000\","
         "\"currencies\":[\"JPY\"],\"on_sale_only\":false}"},
        {"{'channel':'email','product_filters':{'currencies':['KWD'],'max_price':'1.005'}}", 0,
         NULL, "product_filters.max_price", "\"1.005\""},
        {"{'channel':'email','product_filters':{'currencies':['EUR','JPY']}}", 0, NULL,
         "product_filters.currencies", "[\"EUR\",\"JPY\"]"},
        {"{'channel':'email','product_filters':{'exclude_categories':['Gift cards','Gift "
         "cards'],'on_sale_only':true}}",
         0, NULL, "product_filters.exclude_categories", "[\"Gift cards\"]"},
        {"{'channel':'email','exclude_buyers':false}", 0, NULL, "exclude_buyers", "false"},
        {"{'channel':'sms','frequency_cap':{'per_day':2}}", 0, NULL, "frequency_cap",
         "{\"per_day\":2,\"bypass_cap\":false}"},
        {"{'channel':'sms','frequency_cap':null}", 0, NULL, "frequency_cap", "null"},
        {"{'channel':'email','delivery':{'send_ratio':2.5}}", 0, NULL, "delivery",
         "{\"send_ratio\":2.5,\"interval_minutes\":60,\"max_sends\":null}"},
        {"{'channel':'sms','delivery':{'send_ratio':100,'interval_minutes':10080,'max_sends':"
         "10000000}}",
         0, NULL, "delivery",
         "{\"send_ratio\":100,\"interval_minutes\":10080,\"max_sends\":10000000}"},
        {"{'channel':'email','silent_hours':{'from':'22:00','to':'08:00'}}", 0, NULL,
         "silent_hours", "{\"from\":\"22:00\",\"to\":\"08:00\",\"mode\":\"delay\"}"},
        {"{'channel':'email','silent_hours':{'from':'00:00','to':'23:59','mode':'drop'}}", 0, NULL,
         "silent_hours", "{\"from\":\"00:00\",\"to\":\"23:59\",\"mode\":\"drop\"}"},
        {"{'channel':'email','ttl':60}", 0, NULL, "ttl", "60"},
        {"{'channel':'email','ttl':2419200}", 0, NULL, "ttl", "2419200"},
        {"{'channel':'email','goal':{'event':'add_to_cart','window_days':90}}", 0, NULL, "goal",
         "{\"event\":\"add_to_cart\",\"window_days\":90}"},
        {"{'channel':'sms','templates':{'da-dk':{'text':'Hej'},'en':{'text':'Hi'}}}", 0, NULL,
         "templates", "{\"da-DK\":{\"text\":\"Hej\"},\"en\":{\"text\":\"Hi\"}}"},
        {"{'channel':'email','templates':{'de':{'subject':'Da','html':'<p>x</p>','text':'x'}}}", 0,
         NULL, "templates.de.subject", "\"Da\""},
        {"{'channel':'webpush','templates':{'en':{'title':'T','body':'B','icon':'https://i/x.png',"
         "'buttons':[{'title':'Buy','link':'{{action_url}}'},{'title':'Cart','link':'{{cart_url}}'"
         "}]}}}",
         0, NULL, "templates.en.buttons.1.link", "\"{{cart_url}}\""},
        {"{'channel':'webpush','templates':{'en':{'title':'T','body':'B','buttons':[]}}}", 0, NULL,
         "templates.en", "{\"title\":\"T\",\"body\":\"B\"}"},
        {"{'channel':'email','utm':{'source':'nl','term':''}}", 0, NULL, "utm",
         "{\"source\":\"nl\",\"medium\":\"email\",\"campaign\":\"back-in-stock\",\"term\":\"\"}"},
        {"{'channel':'sms','test_contacts':['+45 20 12 34 56','+4520123456','+45 20 12 34 57']}", 0,
         NULL, "test_contacts", "[\"+4520123456\",\"+4520123457\"]"},
        {"{'channel':'email','test_contacts':['Ada@Example.COM','ada@example.com']}", 0, NULL,
         "test_contacts", "[\"ada@example.com\"]"},
        {"{'channel':'webpush','test_contacts':['https://fcm.googleapis.com/fcm/send/x']}", 0, NULL,
         "test_contacts.0", "\"https://fcm.googleapis.com/fcm/send/x\""},
        {"{'channel':'email','status':'test','test_contacts':['qa@shop.example']}", 0, NULL,
         "status", "\"test\""},
        {"{'channel':'email','tags':['vip','vip','sale']}", 0, NULL, "tags", "[\"vip\",\"sale\"]"},
        {"{'channel':'email','tags':[%s]}", 20, "'t'", "tags", "[\"t\"]"},
        {"{'channel':'email','notes':'line 1\\nline 2'}", 0, NULL, "notes", "\"line 1\\nline 2\""},
        {"{'channel':'email','notes':'%s'}", 2000, NULL, "ttl", "86400"},
        /* read-only fields come back from GET and the store: accepted, ignored */
        {"{'channel':'email','id':7,'is_default':true,'created_at':'x','updated_at':null}", 0, NULL,
         "id", "0"},
        {"{'channel':'email','id':7,'is_default':true}", 0, NULL, "is_default", "false"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *in = doc(cases[i].json, cases[i].n, cases[i].item);
        struct arena *a = arena_new();
        struct campaign c;
        struct rs_status st = {0};
        int rc = campaign_parse(in, NULL, "EUR", a, &c, &st);
        if (rc) fprintf(stderr, "  case %zu: %s\n", i, st.msg);
        CHECK_INT(rc, RS_OK);
        if (rc == RS_OK) {
            char *got = at(&c, cases[i].path);
            if (strcmp(got, cases[i].want) != 0) fprintf(stderr, "  case %zu\n", i);
            CHECK_STR(got, cases[i].want);
            free(got);
        }
        arena_free(a);
        json_decref(in);
    }
}

/* ---- invalid input: one row per rule ------------------------------------------------------- */

TEST(campaign_parse_invalid)
{
    static const struct {
        const char *json;
        int n;
        const char *item;
        const char *want; /* the start of the message */
    } cases[] = {
        {"[]", 0, NULL, "body: must be an object"},
        {"{}", 0, NULL, "channel: required"},
        {"{'channel':'fax'}", 0, NULL, "channel: must be one of"},
        {"{'channel':null}", 0, NULL, "channel: must be one of"},
        {"{'channel':'email','colour':'red'}", 0, NULL, "colour: unknown field"},
        {"{'channel':'email','name':''}", 0, NULL, "name: must not be empty"},
        {"{'channel':'email','name':'%s'}", 201, NULL, "name: at most 200 characters"},
        {"{'channel':'email','name':'a\\nb'}", 0, NULL, "name: must be one line"},
        {"{'channel':'email','name':5}", 0, NULL, "name: must be a string"},
        {"{'channel':'email','name':null}", 0, NULL, "name: must not be null"},
        {"{'channel':'email','status':'live'}", 0, NULL, "status: must be one of \"draft\""},
        {"{'channel':'email','starts_at':'tomorrow'}", 0, NULL, "starts_at: must be an RFC 3339"},
        {"{'channel':'email','ends_at':'2026-02-30T00:00:00Z'}", 0, NULL,
         "ends_at: must be an RFC 3339"},
        {"{'channel':'email','starts_at':'2026-11-22T10:00:00Z','ends_at':'2026-11-22T11:00:00+"
         "01:00'}",
         0, NULL, "ends_at: must be after starts_at"},
        {"{'channel':'email','languages':'da'}", 0, NULL, "languages: must be an array"},
        {"{'channel':'email','languages':['da','english']}", 0, NULL,
         "languages[1]: must be a BCP 47 language tag"},
        {"{'channel':'email','languages':[1]}", 0, NULL, "languages[0]: must be a string"},
        {"{'channel':'email','languages':[%s]}", 33, "'da'", "languages: at most 32 items"},
        {"{'channel':'email','trigger':'click'}", 0, NULL, "trigger: must be one of"},
        {"{'channel':'email','trigger':'view'}", 0, NULL,
         "trigger: \"view\" is for webpush campaigns only"},
        {"{'channel':'sms','trigger':'wishlist'}", 0, NULL,
         "trigger: \"wishlist\" is for webpush campaigns only"},
        {"{'channel':'email','event_filters':{}}", 0, NULL, "event_filters: must be an array"},
        {"{'channel':'email','event_filters':[{'mode':'include','event':'purchase'}]}", 0, NULL,
         "event_filters[0].days: required"},
        {"{'channel':'email','event_filters':[{'mode':'include','event':'view','days':91}]}", 0,
         NULL, "event_filters[0].days: must be from 1 to 90"},
        {"{'channel':'email','event_filters':[{'mode':'include','event':'click','days':9}]}", 0,
         NULL, "event_filters[0].event: must be one of"},
        {"{'channel':'email','event_filters':[{'mode':'only','event':'view','days':9}]}", 0, NULL,
         "event_filters[0].mode: must be one of"},
        {"{'channel':'email','event_filters':[3]}", 0, NULL, "event_filters[0]: must be an object"},
        {"{'channel':'email','event_filters':[%s]}", 9,
         "{'mode':'include','event':'view','days':1}", "event_filters: at most 8 filters"},
        {"{'channel':'email','product_filters':{'min_price':'ten'}}", 0, NULL,
         "product_filters.min_price: must be a decimal amount"},
        {"{'channel':'email','product_filters':{'min_price':true}}", 0, NULL,
         "product_filters.min_price: must be a decimal amount"},
        {"{'channel':'email','product_filters':{'max_price':'1.005'}}", 0, NULL,
         "product_filters.max_price: must be a decimal amount with at most 2 decimals"},
        {"{'channel':'email','product_filters':{'min_price':'10.50','currencies':['JPY']}}", 0,
         NULL, "product_filters.min_price: must be a decimal amount with at most 0 decimals"},
        {"{'channel':'email','product_filters':{'min_price':'-1'}}", 0, NULL,
         "product_filters.min_price: must not be negative"},
        {"{'channel':'email','product_filters':{'min_price':'20','max_price':'19.99'}}", 0, NULL,
         "product_filters.max_price: must not be less than min_price"},
        {"{'channel':'email','product_filters':{'currencies':['EURO']}}", 0, NULL,
         "product_filters.currencies[0]: must be an ISO 4217 currency code"},
        {"{'channel':'email','product_filters':{'currencies':['XYZ']}}", 0, NULL,
         "product_filters.currencies[0]: must be an ISO 4217 currency code"},
        {"{'channel':'email','product_filters':{'currencies':['EUR','JPY'],'max_price':'100'}}", 0,
         NULL, "product_filters.currencies: must all have the same number of decimals"},
        {"{'channel':'email','product_filters':{'exclude_categories':['']}}", 0, NULL,
         "product_filters.exclude_categories[0]: must be a category"},
        {"{'channel':'email','product_filters':{'on_sale':true}}", 0, NULL,
         "product_filters.on_sale: unknown field"},
        {"{'channel':'email','product_filters':{'on_sale_only':1}}", 0, NULL,
         "product_filters.on_sale_only: must be true or false"},
        {"{'channel':'email','exclude_buyers':'yes'}", 0, NULL,
         "exclude_buyers: must be true or false"},
        {"{'channel':'email','frequency_cap':{}}", 0, NULL, "frequency_cap.per_day: required"},
        {"{'channel':'email','frequency_cap':{'per_day':0}}", 0, NULL,
         "frequency_cap.per_day: must be from 1 to 100"},
        {"{'channel':'email','frequency_cap':{'per_day':101}}", 0, NULL,
         "frequency_cap.per_day: must be from 1 to 100"},
        {"{'channel':'email','frequency_cap':{'per_day':1,'bypass_cap':'no'}}", 0, NULL,
         "frequency_cap.bypass_cap: must be true or false"},
        {"{'channel':'email','delivery':{'send_ratio':101}}", 0, NULL,
         "delivery.send_ratio: must be from 0 to 100"},
        {"{'channel':'email','delivery':{'send_ratio':-0.5}}", 0, NULL,
         "delivery.send_ratio: must be from 0 to 100"},
        {"{'channel':'email','delivery':{'send_ratio':'2'}}", 0, NULL,
         "delivery.send_ratio: must be a number"},
        {"{'channel':'email','delivery':{'interval_minutes':0}}", 0, NULL,
         "delivery.interval_minutes: must be from 1 to 10080"},
        {"{'channel':'email','delivery':{'interval_minutes':1.5}}", 0, NULL,
         "delivery.interval_minutes: must be an integer"},
        {"{'channel':'email','delivery':{'max_sends':0}}", 0, NULL,
         "delivery.max_sends: must be from 1 to 10000000"},
        {"{'channel':'email','delivery':{'max_sends':10000001}}", 0, NULL,
         "delivery.max_sends: must be from 1 to 10000000"},
        {"{'channel':'email','delivery':null}", 0, NULL, "delivery: must not be null"},
        {"{'channel':'email','silent_hours':{'from':'25:00','to':'08:00'}}", 0, NULL,
         "silent_hours.from: must be HH:MM"},
        {"{'channel':'email','silent_hours':{'from':'9:00','to':'08:00'}}", 0, NULL,
         "silent_hours.from: must be HH:MM"},
        {"{'channel':'email','silent_hours':{'from':'22:00','to':'08:60'}}", 0, NULL,
         "silent_hours.to: must be HH:MM"},
        {"{'channel':'email','silent_hours':{'from':'22:00'}}", 0, NULL,
         "silent_hours.to: required"},
        {"{'channel':'email','silent_hours':{'from':'22:00','to':'22:00'}}", 0, NULL,
         "silent_hours.to: must differ from from"},
        {"{'channel':'email','silent_hours':{'from':'22:00','to':'08:00','mode':'hold'}}", 0, NULL,
         "silent_hours.mode: must be one of \"delay\", \"drop\""},
        {"{'channel':'email','ttl':59}", 0, NULL, "ttl: must be from 60 to 2419200"},
        {"{'channel':'email','ttl':2419201}", 0, NULL, "ttl: must be from 60 to 2419200"},
        {"{'channel':'email','goal':{'window_days':0}}", 0, NULL,
         "goal.window_days: must be from 1 to 90"},
        {"{'channel':'email','goal':{'event':'buy now'}}", 0, NULL, "goal.event: must be 1 to 64"},
        {"{'channel':'email','goal':{'event':'%s'}}", 65, NULL, "goal.event: must be 1 to 64"},
        {"{'channel':'email','templates':{}}", 0, NULL,
         "templates: at least one template is required"},
        {"{'channel':'email','templates':{'da':{'html':'x','text':'y'}}}", 0, NULL,
         "templates.da.subject: required"},
        {"{'channel':'email','templates':{'da':{'subject':'s','text':'y'}}}", 0, NULL,
         "templates.da.html: required"},
        {"{'channel':'email','templates':{'da':{'subject':'s','html':'x'}}}", 0, NULL,
         "templates.da.text: required"},
        {"{'channel':'email','templates':{'da':{'subject':'','html':'x','text':'y'}}}", 0, NULL,
         "templates.da.subject: must not be empty"},
        {"{'channel':'email','templates':{'en':{'subject':'a\\r\\nBcc: x','html':'x','text':'y'}}}",
         0, NULL, "templates.en.subject: must be one line"},
        {"{'channel':'email','templates':{'en':{'subject':'s','html':'x','text':'y','title':'t'}}}",
         0, NULL, "templates.en.title: unknown field"},
        {"{'channel':'email','templates':{'xx_!':{'subject':'s','html':'x','text':'y'}}}", 0, NULL,
         "templates.xx_!: not a BCP 47 language tag"},
        {"{'channel':'sms','templates':{'da':{'text':'a'},'DA':{'text':'b'}}}", 0, NULL,
         "templates.DA: a second template for da"},
        {"{'channel':'sms','templates':{'en':'Hi'}}", 0, NULL, "templates.en: must be an object"},
        {"{'channel':'sms','templates':{'en':{}}}", 0, NULL, "templates.en.text: required"},
        {"{'channel':'sms','templates':{'en':{'text':'%s'}}}", 1601, NULL,
         "templates.en.text: at most 1600 characters"},
        {"{'channel':'sms','templates':{'en':{'text':'x','subject':'s'}}}", 0, NULL,
         "templates.en.subject: unknown field"},
        {"{'channel':'webpush','templates':{'en':{'title':'t'}}}", 0, NULL,
         "templates.en.body: required"},
        {"{'channel':'webpush','templates':{'en':{'body':'b'}}}", 0, NULL,
         "templates.en.title: required"},
        {"{'channel':'webpush','templates':{'en':{'title':'t','body':'b','buttons':[%s]}}}", 3,
         "{'title':'x','link':'y'}", "templates.en.buttons: at most 2"},
        {"{'channel':'webpush','templates':{'en':{'title':'t','body':'b','buttons':[{'title':'x'}]"
         "}}}",
         0, NULL, "templates.en.buttons[0].link: required"},
        {"{'channel':'webpush','templates':{'en':{'title':'t','body':'b','buttons':[{'title':'x',"
         "'link':'y','action':'z'}]}}}",
         0, NULL, "templates.en.buttons[0].action: unknown field"},
        {"{'channel':'webpush','templates':{'en':{'title':'t','body':'b','link':''}}}", 0, NULL,
         "templates.en.link: must not be empty"},
        {"{'channel':'email','utm':{'source':'%s'}}", 101, NULL,
         "utm.source: at most 100 characters"},
        {"{'channel':'email','utm':{'id':'x'}}", 0, NULL, "utm.id: unknown field"},
        {"{'channel':'email','test_contacts':['not a contact']}", 0, NULL,
         "test_contacts[0]: must be an email address (the campaign's channel is email)"},
        {"{'channel':'sms','test_contacts':['+45 20 12 34 56','0045 2012']}", 0, NULL,
         "test_contacts[1]: must be an E.164 phone number (the campaign's channel is sms)"},
        {"{'channel':'email','test_contacts':['https://fcm.googleapis.com/x']}", 0, NULL,
         "test_contacts[0]: must be an email address"},
        /* a contact of another channel could never match a subscription of this one */
        {"{'channel':'sms','status':'test','test_contacts':['qa@shop.example']}", 0, NULL,
         "test_contacts[0]: must be an E.164 phone number"},
        {"{'channel':'email','test_contacts':['qa@shop.example','+4520123456']}", 0, NULL,
         "test_contacts[1]: must be an email address"},
        {"{'channel':'webpush','test_contacts':['qa@shop.example']}", 0, NULL,
         "test_contacts[0]: must be a push endpoint https URL"},
        {"{'channel':'webpush','test_contacts':['+4520123456']}", 0, NULL,
         "test_contacts[0]: must be a push endpoint https URL"},
        {"{'channel':'email','test_contacts':[%s]}", 33, "'a@b.example'",
         "test_contacts: at most 32 items"},
        {"{'channel':'email','status':'test'}", 0, NULL,
         "test_contacts: required when status is \"test\""},
        {"{'channel':'email','tags':[%s]}", 21, "'t'", "tags: at most 20 items"},
        {"{'channel':'email','tags':['']}", 0, NULL, "tags[0]: must be a tag"},
        {"{'channel':'email','tags':['%s']}", 51, NULL, "tags[0]: must be a tag"},
        {"{'channel':'email','notes':'%s'}", 2001, NULL, "notes: at most 2000 characters"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *in = doc(cases[i].json, cases[i].n, cases[i].item);
        CHECK(in != NULL);
        if (!in) continue;
        struct arena *a = arena_new();
        struct campaign c, before;
        campaign_default(CH_SMS, 42, &c);
        before = c;
        struct rs_status st = {0};
        int rc = campaign_parse(in, NULL, "EUR", a, &c, &st);
        if (rc != RS_EINVAL || strncmp(st.msg, cases[i].want, strlen(cases[i].want)) != 0)
            fprintf(stderr, "  case %zu: got %d \"%s\", want \"%s\"\n", i, rc, st.msg,
                    cases[i].want);
        CHECK_INT(rc, RS_EINVAL);
        CHECK(strncmp(st.msg, cases[i].want, strlen(cases[i].want)) == 0);
        CHECK(memcmp(&c, &before, sizeof(c)) == 0); /* c is untouched on error */
        arena_free(a);
        json_decref(in);
    }
}

/* ---- PATCH --------------------------------------------------------------------------------- */

static const char rich_email[] =
    "{'channel':'email','name':'Spring','status':'active','starts_at':'2026-03-01T00:00:00Z',"
    "'ends_at':'2026-06-01T00:00:00Z','languages':['da','en-GB'],'event_filters':[{'mode':"
    "'exclude','event':'purchase','days':30}],'product_filters':{'exclude_categories':['Gift "
    "cards'],'min_price':'10','max_price':'99.95','currencies':['EUR','DKK'],'on_sale_only':true},"
    "'exclude_buyers':false,'frequency_cap':{'per_day':2,'bypass_cap':true},'delivery':{'send_"
    "ratio':"
    "1.5,'interval_minutes':30,'max_sends':500},'silent_hours':{'from':'22:00','to':'08:00',"
    "'mode':'drop'},'ttl':3600,'goal':{'event':'checkout','window_days':7},'templates':{'da':{"
    "'subject':'{{product_title}} er tilbage','html':'<p>Hej {{first_name|der}}</p>','text':'Hej'"
    "},'en':{'subject':'Back','html':'<p>Hi</p>','text':'Hi'}},'utm':{'source':'rs','medium':'em',"
    "'campaign':'spring','content':'c','term':'t'},'test_contacts':['qa@shop.example'],'tags':["
    "'vip','spring'],'notes':'Run it\\nall spring'}";

static const char rich_push[] =
    "{'channel':'webpush','trigger':'view','templates':{'en':{'title':'{{product_title}}','body':"
    "'Back','icon':'https://s.example/i.png','image':'{{image_url}}','link':'https://s.example/p',"
    "'buttons':[{'title':'Buy','link':'{{action_url}}'},{'title':'Cart','link':'{{cart_url}}'}]},"
    "'fr-CA':{'title':'De retour','body':'Vite'}},'test_contacts':['https://fcm.googleapis.com/"
    "fcm/send/abc','https://fcm.googleapis.com/fcm/send/"
    "def'],'status':'test','silent_hours':{'from':'12:30','to':'13:15'}}";

static const char rich_sms[] =
    "{'channel':'sms','templates':{'en':{'text':'{{product_title}}: {{action_url}}'}},'delivery':"
    "{'max_sends':100},'product_filters':{'currencies':['JPY'],'min_price':500}}";

static void parse_ok(const char *json, struct arena *a, struct campaign *c)
{
    json_t *in = doc(json, 0, NULL);
    struct rs_status st = {0};
    int rc = campaign_parse(in, NULL, "EUR", a, c, &st);
    if (rc) fprintf(stderr, "  %s\n", st.msg);
    CHECK_INT(rc, RS_OK);
    json_decref(in);
}

TEST(campaign_patch)
{
    static const struct {
        const char *patch;
        const char *path, *want; /* want NULL: path is the start of the error */
    } cases[] = {
        {"{}", "name", "\"Spring\""},
        {"{'status':'paused'}", "status", "\"paused\""},
        {"{'status':'paused'}", "delivery",
         "{\"send_ratio\":1.5,\"interval_minutes\":30,\"max_sends\":500}"},
        {"{'name':'Summer'}", "name", "\"Summer\""},
        {"{'name':'Summer'}", "templates.da.subject", "\"{{product_title}} er tilbage\""},
        {"{'channel':'email','ttl':120}", "ttl", "120"},
        {"{'silent_hours':null}", "silent_hours", "null"},
        {"{'frequency_cap':null}", "frequency_cap", "null"},
        {"{'languages':null}", "languages", "null"},
        {"{'ends_at':null}", "ends_at", "null"},
        {"{'starts_at':null}", "starts_at", "null"},
        {"{'delivery':{'max_sends':null}}", "delivery",
         "{\"send_ratio\":0,\"interval_minutes\":60,\"max_sends\":null}"},
        /* objects and lists are replaced whole */
        {"{'delivery':{'send_ratio':3}}", "delivery",
         "{\"send_ratio\":3,\"interval_minutes\":60,\"max_sends\":null}"},
        {"{'templates':{'fi':{'subject':'s','html':'h','text':'t'}}}", "templates",
         "{\"fi\":{\"subject\":\"s\",\"html\":\"h\",\"text\":\"t\"}}"},
        {"{'tags':[]}", "tags", "[]"},
        /* read-only fields are ignored */
        {"{'id':99,'is_default':false,'created_at':'2020-01-01T00:00:00Z'}", "id", "7"},
        {"{'id':99,'is_default':false}", "is_default", "true"},
        {"{'id':99}", "created_at", "\"2026-01-02T03:04:05Z\""},
        /* errors: the patched result is checked like a new campaign */
        {"{'channel':'sms'}", "channel: may not change (it is \"email\")", NULL},
        {"{'channel':null}", "channel: may not change", NULL},
        {"{'name':null}", "name: must not be null", NULL},
        {"{'delivery':{'send_ratio':101}}", "delivery.send_ratio: must be from 0 to 100", NULL},
        {"{'templates':{'da':{'subject':'x'}}}", "templates.da.html: required", NULL},
        {"{'ends_at':'2026-02-01T00:00:00Z'}", "ends_at: must be after starts_at", NULL},
        {"{'test_contacts':[],'status':'test'}", "test_contacts: required when status", NULL},
        {"{'trigger':'view'}", "trigger: \"view\" is for webpush", NULL},
        {"{'product_filters':{'currencies':['JPY'],'min_price':'10.50'}}",
         "product_filters.min_price: must be a decimal amount with at most 0", NULL},
        {"{'bogus':1}", "bogus: unknown field", NULL},
        {"[1]", "body: must be an object", NULL},
    };
    struct arena *a = arena_new();
    struct campaign base;
    parse_ok(rich_email, a, &base);
    base.id = 7;
    base.sid = 3;
    base.is_default = 1;
    base.created_at = 1767323045; /* 2026-01-02T03:04:05Z */
    base.updated_at = 1767323046;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *in = doc(cases[i].patch, 0, NULL);
        struct campaign c = base, before = base;
        struct rs_status st = {0};
        int rc = campaign_parse(in, &base, "EUR", a, &c, &st);
        if (!cases[i].want) {
            if (rc != RS_EINVAL) fprintf(stderr, "  case %zu: accepted\n", i);
            CHECK_INT(rc, RS_EINVAL);
            CHECK(strncmp(st.msg, cases[i].path, strlen(cases[i].path)) == 0);
            CHECK(memcmp(&c, &before, sizeof(c)) == 0); /* nothing applied */
        } else {
            if (rc) fprintf(stderr, "  case %zu: %s\n", i, st.msg);
            CHECK_INT(rc, RS_OK);
            char *got = at(&c, cases[i].path);
            if (strcmp(got, cases[i].want) != 0) fprintf(stderr, "  case %zu\n", i);
            CHECK_STR(got, cases[i].want);
            free(got);
            CHECK_INT(c.sid, 3);
            CHECK_INT(c.updated_at, 1767323046);
        }
        json_decref(in);
    }
    /* An empty patch gives the base back, field for field; c may be the base itself. */
    json_t *empty = json_object();
    struct campaign c = base;
    struct rs_status st = {0};
    CHECK_INT(campaign_parse(empty, &c, "EUR", a, &c, &st), RS_OK);
    CHECK(campaigns_equal(&c, &base));
    json_decref(empty);
    arena_free(a);
}

/* A campaign stored before a rule was added (an SMS campaign with an email test contact) is
 * still read, and a PATCH that leaves the field alone keeps it; one that gives it is checked. */
TEST(campaign_stored_by_older_rules)
{
    struct arena *a = arena_new();
    json_t *in =
        doc("{'channel':'sms','status':'test','test_contacts':['QA@shop.example']}", 0, NULL);
    struct campaign base, c;
    struct rs_status st = {0};
    CHECK_INT(campaign_parse(in, NULL, "EUR", a, &base, &st), RS_EINVAL);
    CHECK_INT(campaign_parse_stored(in, a, &base, &st), RS_OK);
    CHECK_INT(base.ntest_contacts, 1);
    CHECK_STR(base.test_contacts[0], "qa@shop.example");
    json_decref(in);
    in = doc("{'status':'paused'}", 0, NULL);
    CHECK_INT(campaign_parse(in, &base, "EUR", a, &c, &st), RS_OK);
    CHECK_INT(c.status, CAMP_PAUSED);
    json_decref(in);
    in = doc("{'test_contacts':['qa@shop.example','+4520123456']}", 0, NULL);
    CHECK_INT(campaign_parse(in, &base, "EUR", a, &c, &st), RS_EINVAL);
    CHECK(strstr(st.msg, "test_contacts[0]: must be an E.164 phone number") == st.msg);
    json_decref(in);
    arena_free(a);
}

/* ---- round trip and defaults --------------------------------------------------------------- */

/* to_json, through text (as the store keeps it), parse: the same campaign. */
static void check_round_trip(const struct campaign *c, struct arena *a)
{
    json_t *out = campaign_to_json(c);
    char *text = json_dumps(out, JSON_COMPACT);
    struct rs_status st = {0};
    json_t *back = json_parse_strict(text, strlen(text), &st);
    struct campaign c2;
    int rc = back ? campaign_parse_stored(back, a, &c2, &st) : -1;
    if (rc) fprintf(stderr, "  round trip: %s\n  %s\n", st.msg, text);
    CHECK_INT(rc, RS_OK);
    if (rc == RS_OK) {
        /* The row's own fields are not the parser's: the store sets them from its columns. */
        CHECK_INT(c2.id, 0);
        CHECK_INT(c2.is_default, 0);
        c2.id = c->id, c2.sid = c->sid, c2.is_default = c->is_default;
        c2.created_at = c->created_at, c2.updated_at = c->updated_at;
        CHECK(campaigns_equal(c, &c2));
        json_t *again = campaign_to_json(&c2);
        CHECK(json_equal(out, again));
        json_decref(again);
    }
    json_decref(back);
    free(text);
    json_decref(out);
}

/* Price bounds without `currencies` are amounts in the shop's currency: 1000 yen is "1000"
 * (not 100000 minor units of a 2-decimal currency), and a yen bound has no decimals. */
TEST(campaign_prices_in_the_shops_currency)
{
    static const struct {
        const char *currency, *json;
        int64_t min;
        int exp;
        const char *err; /* NULL: accepted */
    } cases[] = {
        {"JPY", "{'min_price':'1000','max_price':5000}", 1000, 0, NULL},
        {"JPY", "{'min_price':'10.5'}", 0, 0,
         "product_filters.min_price: must be a decimal amount "
         "with at most 0 decimals"},
        {"KWD", "{'min_price':'1.005'}", 1005, 3, NULL},
        {"EUR", "{'min_price':'19.9'}", 1990, 2, NULL},
        {NULL, "{'min_price':'19.9'}", 1990, 2, NULL},
        {"JPY", "{'min_price':'10.50','currencies':['EUR']}", 1050, 2, NULL},   /* theirs */
        {"JPY", "{'min_price':'1000.00','max_price':'5000.0'}", 1000, 0, NULL}, /* zeros */
        {"JPY", "{'min_price':'10.50'}", 0, 0,
         "product_filters.min_price: must be a decimal amount "
         "with at most 0 decimals"},
        {"JPY", "{'min_price':'5.'}", 0, 0,
         "product_filters.min_price: must be a decimal amount "
         "with at most 0 decimals"},
        {"EUR", "{'min_price':'19.900'}", 1990, 2, NULL},
        {"EUR", "{'min_price':'19.901'}", 0, 0,
         "product_filters.min_price: must be a decimal amount "
         "with at most 2 decimals"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[200];
        snprintf(body, sizeof(body), "{'channel':'email','product_filters':%s}", cases[i].json);
        json_t *in = doc(body, 0, NULL);
        struct arena *a = arena_new();
        struct campaign c;
        struct rs_status st = {0};
        int rc = campaign_parse(in, NULL, cases[i].currency, a, &c, &st);
        if (rc != (cases[i].err ? RS_EINVAL : RS_OK))
            fprintf(stderr, "  case %zu: %s\n", i, st.msg);
        CHECK_INT(rc, cases[i].err ? RS_EINVAL : RS_OK);
        if (cases[i].err) {
            CHECK_STR(st.msg, cases[i].err);
        } else {
            CHECK_INT(c.min_price, cases[i].min);
            CHECK_INT(c.price_exp, cases[i].exp);
            check_round_trip(&c, a);
        }
        arena_free(a);
        json_decref(in);
    }
}

/* A bound stored when it was always read with 2 decimals ("1000.00" of a yen shop) reads back
 * as written, and a PATCH leaving product_filters alone keeps it; one giving it back as GET
 * shows it is taken too (1000 yen exactly), and a finer one ("10.50") given back is kept. */
TEST(campaign_prices_stored_as_written)
{
    struct arena *a = arena_new();
    json_t *in = doc("{'channel':'email','product_filters':{'min_price':'1000.00'}}", 0, NULL);
    struct campaign base, c;
    struct rs_status st = {0};
    CHECK_INT(campaign_parse_stored(in, a, &base, &st), RS_OK);
    CHECK_INT(base.min_price, 100000);
    CHECK_INT(base.price_exp, 2);
    json_decref(in);
    in = doc("{'status':'active'}", 0, NULL);
    CHECK_INT(campaign_parse(in, &base, "JPY", a, &c, &st), RS_OK);
    CHECK_INT(c.min_price, 100000);
    CHECK_INT(c.price_exp, 2);
    json_decref(in);
    json_t *shown = campaign_to_json(&base); /* GET's answer, given back */
    CHECK_STR(
        json_string_value(json_object_get(json_object_get(shown, "product_filters"), "min_price")),
        "1000.00");
    CHECK_INT(campaign_parse(shown, &base, "JPY", a, &c, &st), RS_OK);
    CHECK_INT(c.min_price, 1000);
    CHECK_INT(c.price_exp, 0);
    json_decref(shown);
    in = doc("{'product_filters':{'min_price':'1000.01'}}", 0, NULL); /* given anew: checked */
    CHECK_INT(campaign_parse(in, &base, "JPY", a, &c, &st), RS_EINVAL);
    json_decref(in);
    /* a finer stored bound, given back with a new one: kept, the new one read alike */
    in = doc("{'channel':'email','product_filters':{'min_price':'10.50'}}", 0, NULL);
    CHECK_INT(campaign_parse_stored(in, a, &base, &st), RS_OK);
    json_decref(in);
    in = doc("{'product_filters':{'min_price':'10.50','max_price':'2000','on_sale_only':true}}", 0,
             NULL);
    CHECK_INT(campaign_parse(in, &base, "JPY", a, &c, &st), RS_OK);
    CHECK_INT(c.min_price, 1050);
    CHECK_INT(c.max_price, 200000);
    CHECK_INT(c.price_exp, 2);
    CHECK_INT(c.on_sale_only, 1);
    json_decref(in);
    static const char *const refused[] = {
        "{'product_filters':{'min_price':'10.51'}}",                      /* not the stored one */
        "{'product_filters':{'min_price':'10.50','max_price':'20.50'}}",  /* a new finer one */
        "{'product_filters':{'max_price':'10.50'}}",                      /* not where it was */
        "{'product_filters':{'min_price':'10.50','currencies':['JPY']}}", /* another sense */
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        in = doc(refused[i], 0, NULL);
        if (campaign_parse(in, &base, "JPY", a, &c, &st) != RS_EINVAL)
            fprintf(stderr, "  accepted: %s\n", refused[i]);
        CHECK(strstr(st.msg, "with at most 0 decimals") != NULL);
        json_decref(in);
    }
    arena_free(a);
}

TEST(campaign_round_trip)
{
    struct arena *a = arena_new();
    const char *docs[] = {rich_email,
                          rich_push,
                          rich_sms,
                          "{'channel':'email'}",
                          "{'channel':'sms','delivery':{'send_ratio':0.1}}",
                          "{'channel':'email','delivery':{'send_ratio':33.333333333333336}}"};
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        struct campaign c;
        parse_ok(docs[i], a, &c);
        c.id = 10 + (int64_t)i;
        c.sid = 2;
        c.created_at = 1767323045;
        c.updated_at = 1767323999;
        check_round_trip(&c, a);
    }
    for (int ch = 0; ch < CH_COUNT; ch++) {
        struct campaign c;
        campaign_default((enum channel)ch, 5, &c);
        check_round_trip(&c, a);
    }
    arena_free(a);
}

TEST(campaign_defaults)
{
    const struct render_vars v = {.first_name = "",
                                  .product_title = "Tee",
                                  .price = "€10",
                                  .action_url = "https://r.example/c/1?x=1&y=2",
                                  .unsubscribe_url = "https://r.example/u/1"};
    for (int ch = 0; ch < CH_COUNT; ch++) {
        struct campaign c;
        campaign_default((enum channel)ch, 9, &c);
        CHECK_INT(c.channel, ch);
        CHECK_INT(c.sid, 9);
        CHECK_INT(c.status, CAMP_ACTIVE);
        CHECK_INT(c.is_default, 1);
        CHECK_INT(c.trigger, TRIG_SIGNUP);
        CHECK_INT(c.nlanguages, 0);
        CHECK_INT(c.exclude_buyers, 1);
        CHECK_INT(c.ttl, 86400);
        CHECK_INT(c.interval_minutes, 60);
        CHECK_INT(c.min_price, -1);
        CHECK_INT(c.max_price, -1);
        CHECK_INT(c.goal_window_days, 10);
        CHECK_STR(c.goal_event, "purchase");
        CHECK_INT(c.silent, 0);
        CHECK_INT(c.ntemplates, 1);
        CHECK_STR(c.templates[0].locale, "en");
        const struct template *t = &c.templates[0];
        const char *main = ch == CH_EMAIL ? t->html : ch == CH_SMS ? t->text : t->link;
        CHECK(render_uses(main, "action_url"));
        if (ch != CH_WEBPUSH) CHECK(render_uses(main, "unsubscribe_url"));
        if (ch == CH_EMAIL) {
            CHECK(render_uses(t->text, "action_url") && render_uses(t->text, "unsubscribe_url"));
            CHECK(render_uses(t->subject, "product_title"));
            struct buf b = BUF_INIT(0);
            CHECK_INT(render(t->html, &v, 1, &b), 0);
            CHECK(strstr(b.p, "<a href=\"https://r.example/c/1?x=1&amp;y=2\">") != NULL);
            CHECK(strstr(b.p, "<a href=\"https://r.example/u/1\">Unsubscribe</a>") != NULL);
            CHECK(strstr(b.p, "Hi there,") != NULL);
            buf_free(&b);
        }
        if (ch == CH_WEBPUSH) CHECK(t->title && t->body && t->nbuttons == 1);
    }
}

/* ---- template choice ----------------------------------------------------------------------- */

TEST(campaign_template_fallback)
{
    static const struct {
        const char *locale, *shop, *want;
    } cases[] = {
        {"da-DK", "en", "da-DK"},                        /* exact */
        {"da_dk", "en", "da-DK"},                        /* exact after canonicalisation */
        {"da", "en", "da"},       {"da-GL", "en", "da"}, /* its language */
        {"de-DE", "en", "de-AT"},                        /* another of its language */
        {"sv", "fr-FR", "fr"},                           /* the shop's language */
        {"sv", "da-DK", "da-DK"},                        /* the shop's locale */
        {"sv", "de-CH", "de-AT"}, {"sv", "sv", "en"},    /* the first */
        {NULL, NULL, "en"},       {"!!", "fr", "fr"},    {"", "", "en"},
    };
    struct campaign c;
    campaign_default(CH_SMS, 1, &c);
    const char *locs[] = {"en", "da", "da-DK", "de-AT", "fr"};
    for (int i = 0; i < 5; i++)
        c.templates[i] = (struct template){.locale = locs[i], .text = locs[i]};
    c.ntemplates = 5;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct template *t = campaign_template(&c, cases[i].locale, cases[i].shop);
        CHECK(t != NULL);
        if (t) CHECK_STR(t->locale, cases[i].want);
    }
    c.ntemplates = 0;
    CHECK(campaign_template(&c, "da", "da") == NULL);
}

/* ---- silent hours -------------------------------------------------------------------------- */

static int64_t T(const char *s)
{
    int64_t t = 0;
    if (rfc3339_parse(s, &t) < 0) fprintf(stderr, "  bad time %s\n", s);
    return t;
}

TEST(campaign_silent_hours)
{
    static const struct {
        const char *from, *to, *tz, *now;
        const char *until; /* NULL: not silent */
    } cases[] = {
        /* Copenhagen in summer (UTC+2), a window crossing midnight */
        {"22:00", "08:00", "Europe/Copenhagen", "2026-06-10T19:59:59Z", NULL},
        {"22:00", "08:00", "Europe/Copenhagen", "2026-06-10T20:00:00Z", "2026-06-11T06:00:00Z"},
        {"22:00", "08:00", "Europe/Copenhagen", "2026-06-10T23:30:00Z", "2026-06-11T06:00:00Z"},
        {"22:00", "08:00", "Europe/Copenhagen", "2026-06-11T05:59:59Z", "2026-06-11T06:00:00Z"},
        {"22:00", "08:00", "Europe/Copenhagen", "2026-06-11T06:00:00Z", NULL},
        {"22:00", "08:00", "Europe/Copenhagen", "2026-06-11T12:00:00Z", NULL},
        /* a window inside one day */
        {"12:00", "13:30", "Europe/Copenhagen", "2026-06-10T10:30:00Z", "2026-06-10T11:30:00Z"},
        {"12:00", "13:30", "Europe/Copenhagen", "2026-06-10T09:59:00Z", NULL},
        {"12:00", "13:30", "Europe/Copenhagen", "2026-06-10T11:30:00Z", NULL},
        /* the night clocks go forward (2026-03-29 02:00 CET -> 03:00 CEST): silent from 22:00
         * CET, it ends at 08:00 CEST = 06:00Z, not 07:00Z as the offset at `now` would say */
        {"22:00", "08:00", "Europe/Copenhagen", "2026-03-28T20:59:59Z", NULL},
        {"22:00", "08:00", "Europe/Copenhagen", "2026-03-28T21:00:00Z", "2026-03-29T06:00:00Z"},
        {"22:00", "08:00", "Europe/Copenhagen", "2026-03-28T23:00:00Z", "2026-03-29T06:00:00Z"},
        {"22:00", "08:00", "Europe/Copenhagen", "2026-03-29T05:59:59Z", "2026-03-29T06:00:00Z"},
        {"22:00", "08:00", "Europe/Copenhagen", "2026-03-29T06:00:00Z", NULL},
        /* ... and back (2026-10-25 03:00 CEST -> 02:00 CET): ends at 08:00 CET = 07:00Z */
        {"22:00", "08:00", "Europe/Copenhagen", "2026-10-24T19:59:59Z", NULL},
        {"22:00", "08:00", "Europe/Copenhagen", "2026-10-24T20:00:00Z", "2026-10-25T07:00:00Z"},
        {"22:00", "08:00", "Europe/Copenhagen", "2026-10-24T22:00:00Z", "2026-10-25T07:00:00Z"},
        {"22:00", "08:00", "Europe/Copenhagen", "2026-10-25T06:59:59Z", "2026-10-25T07:00:00Z"},
        {"22:00", "08:00", "Europe/Copenhagen", "2026-10-25T07:00:00Z", NULL},
        /* an end inside the skipped hour: the hour's end, 03:00 CEST */
        {"22:00", "02:30", "Europe/Copenhagen", "2026-03-28T22:00:00Z", "2026-03-29T01:00:00Z"},
        /* an end inside the repeated hour: its first 02:30 (CEST); during the second pass of
         * 02:00-02:30 (CET) the window is on again, until the second 02:30 */
        {"22:00", "02:30", "Europe/Copenhagen", "2026-10-24T23:00:00Z", "2026-10-25T00:30:00Z"},
        {"22:00", "02:30", "Europe/Copenhagen", "2026-10-25T00:45:00Z", NULL},
        {"22:00", "02:30", "Europe/Copenhagen", "2026-10-25T01:10:00Z", "2026-10-25T01:30:00Z"},
        /* another zone, and the fallback to UTC */
        {"22:00", "08:00", "America/New_York", "2026-03-08T03:00:00Z", "2026-03-08T12:00:00Z"},
        {"22:00", "08:00", "UTC", "2026-06-10T23:00:00Z", "2026-06-11T08:00:00Z"},
        {"22:00", "08:00", "Nope/Zone", "2026-06-10T23:00:00Z", "2026-06-11T08:00:00Z"},
        {"22:00", "08:00", NULL, "2026-06-10T07:00:00Z", "2026-06-10T08:00:00Z"},
        {"00:00", "00:01", "Asia/Kolkata", "2026-06-09T18:30:30Z", "2026-06-09T18:31:00Z"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int mode = SILENT_DELAY; mode <= SILENT_DROP; mode++) {
            struct arena *a = arena_new();
            struct campaign c;
            char json[200];
            snprintf(json, sizeof(json),
                     "{'channel':'email','silent_hours':{'from':'%s','to':'%s','mode':'%s'}}",
                     cases[i].from, cases[i].to, mode == SILENT_DROP ? "drop" : "delay");
            parse_ok(json, a, &c);
            CHECK_INT(c.silent_mode, mode);
            int64_t until = -1;
            int got = campaign_silent(&c, cases[i].tz, T(cases[i].now), &until);
            if (got != (cases[i].until != NULL) || (got && until != T(cases[i].until)))
                fprintf(stderr, "  case %zu (%s)\n", i, cases[i].now);
            CHECK_INT(got, cases[i].until != NULL);
            if (cases[i].until) CHECK_INT(until, T(cases[i].until));
            arena_free(a);
        }
    }
    struct campaign c;
    campaign_default(CH_EMAIL, 1, &c);
    int64_t until = 0;
    CHECK_INT(campaign_silent(&c, "Europe/Copenhagen", T("2026-06-10T23:00:00Z"), &until), 0);
}
