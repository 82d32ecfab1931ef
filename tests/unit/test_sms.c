/* Unit tests for deliver/sms: sms_segments (GSM-7 and UCS-2 boundaries, extension characters,
 * characters outside the BMP, pairs never split between segments, invalid UTF-8) and sms_send
 * against the real Twilio-style stand-in tests/e2e/sms_provider.py (fields, basic auth, 201, 500,
 * 429, 400, 401, nothing listening). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "deliver/sms.h"
#include "standin.h"
#include "test.h"
#include "util/buf.h"

/* n copies of s, to free(). */
static char *rep(const char *s, int n)
{
    struct buf b = BUF_INIT(0);
    buf_puts(&b, "");
    for (int i = 0; i < n; i++)
        buf_puts(&b, s);
    return buf_take(&b);
}

TEST(sms_segments_table)
{
    static const struct {
        const char *unit; /* repeated `count` times, then `tail` appended */
        int count;
        const char *tail;
        int want;
    } cases[] = {
        {"", 0, "", 1},
        {"a", 1, "", 1},
        {"a", 160, "", 1},
        {"a", 161, "", 2},
        {"a", 306, "", 2},
        {"a", 307, "", 3},
        {"a", 459, "", 3},
        {"a", 460, "", 4},
        /* the whole default alphabet outside ASCII letters is one septet each */
        {"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ÄÖÑÜ§¿äöñüà", 1, "",
         1},
        {"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ÄÖÑÜ§¿äöñüà", 2,
         "aaaaaaaaaa", 1}, /* 2 x 75 + 10 = 160 septets */
        {"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ÄÖÑÜ§¿äöñüà", 2,
         "aaaaaaaaaaa", 2},
        /* extension characters count two */
        {"€", 80, "", 1},
        {"€", 81, "", 2},
        {"{", 80, "", 1},
        {"^{}\\[~]|€", 8, "^{}\\[~]|", 1}, /* 8 x 18 + 16 = 160 */
        {"^{}\\[~]|€", 8, "^{}\\[~]|€", 2},
        {"a", 159, "€", 2},
        {"a", 158, "€", 1},
        /* an ESC pair is not split: 152 + (2) + 152 = 306 septets, yet three segments */
        {"a", 152,
         "€aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         3},
        {"a", 151,
         "€aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         2},
        /* not GSM-7: UCS-2 */
        {"ж", 70, "", 1},
        {"ж", 71, "", 2},
        {"ж", 134, "", 2},
        {"ж", 135, "", 3},
        {"a", 69, "`", 1}, /* the backquote is not in the GSM alphabet */
        {"a", 70, "\t", 2},
        {"a", 159, "ж", 3}, /* one non-GSM character makes all of it UCS-2: 160 units */
        {"Grøn T-shirt — tilbage på lager", 1, "", 1},
        {"€", 70, "ж", 2},
        /* outside the BMP: two code units */
        {"😀", 35, "", 1},
        {"😀", 36, "", 2},
        {"😀", 67, "", 3}, /* 134 units, but a pair is never split: 33 per segment */
        {"a", 66, "😀", 1},
        /* a surrogate pair is not split: 66 + (2) + 66 = 134 units, yet three segments */
        {"ж", 66, "😀жжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжж", 3},
        {"ж", 65, "😀жжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжжж", 2},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = rep(cases[i].unit, cases[i].count);
        struct buf b = BUF_INIT(0);
        buf_puts(&b, s);
        buf_puts(&b, cases[i].tail);
        int got = sms_segments(b.p);
        CHECK_INT(got, cases[i].want);
        if (got != cases[i].want) fprintf(stderr, "  case %zu\n", i);
        buf_free(&b);
        free(s);
    }
}

TEST(sms_segments_invalid_utf8)
{
    static const char *const bad[] = {
        "\x80",         "abc\xC3",          "\xC3\x28",         "\xC0\xAF",
        "\xE0\x80\xAF", "\xED\xA0\x80",     "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80",
        "\xFF",         "ok then \xE2\x82", "\xF0\x9F\x98",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_INT(sms_segments(bad[i]), -1);
    CHECK_INT(sms_segments("\xF4\x8F\xBF\xBF"), 1); /* U+10FFFF is valid */
}

/* ---- against the SMS provider stand-in ---- */

static const char *const BODY = "Grøn T-shirt — tilbage på lager! 50% & mere: "
                                "https://x.dk/p?a=1&b=2+3 #ok 😀\nNy linje=ja";

static json_t *request(const struct standin *s, int n)
{
    char name[32];
    snprintf(name, sizeof(name), "%04d.json", n);
    char *t = standin_read(s, name, 2000, NULL);
    json_t *j = t ? json_loads(t, 0, NULL) : NULL;
    free(t);
    return j;
}

static const char *field(json_t *req, const char *name)
{
    return json_string_value(json_object_get(json_object_get(req, "fields"), name));
}

TEST(sms_send_delivers)
{
    struct standin s;
    const char *args[] = {"--auth", "AC_test:tok en:x", NULL};
    CHECK_INT(standin_start(&s, "tests/e2e/sms_provider.py", args), 0);
    if (!s.port) return;
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/2010-04-01/Accounts/AC_test/Messages.json",
             s.port);
    struct sms_config cfg = {url, "AC_test", "tok en:x", "+4512345678"};
    CURL *h = curl_easy_init();
    struct send_result r;
    sms_send(h, &cfg, "+4587654321", BODY, &r);
    CHECK_INT(r.outcome, SEND_OK);
    CHECK_INT(r.code, 201);
    if (r.outcome != SEND_OK) fprintf(stderr, "  %s\n", r.error);
    sms_send(h, &cfg, "+4511223344", "second", &r);
    CHECK_INT(r.outcome, SEND_OK);

    json_t *j = request(&s, 1);
    CHECK(j != NULL);
    CHECK_STR(json_string_value(json_object_get(j, "path")),
              "/2010-04-01/Accounts/AC_test/Messages.json");
    CHECK_STR(json_string_value(json_object_get(j, "user")), "AC_test");
    CHECK_STR(json_string_value(json_object_get(j, "password")), "tok en:x");
    CHECK_STR(json_string_value(json_object_get(j, "content_type")),
              "application/x-www-form-urlencoded");
    CHECK_STR(field(j, "To"), "+4587654321");
    CHECK_STR(field(j, "From"), "+4512345678");
    CHECK_STR(field(j, "Body"), BODY);
    CHECK_INT(json_object_size(json_object_get(j, "fields")), 3);
    json_decref(j);
    j = request(&s, 2);
    CHECK_STR(field(j, "To"), "+4511223344");
    CHECK_STR(field(j, "Body"), "second");
    json_decref(j);
    curl_easy_cleanup(h);
    standin_stop(&s);
}

TEST(sms_send_failures)
{
    struct standin s;
    const char *args[] = {"--fail-next", "500,429,503", "--status-for", "+4511111111=400", "--auth",
                          "AC_test:tok", NULL};
    CHECK_INT(standin_start(&s, "tests/e2e/sms_provider.py", args), 0);
    if (!s.port) return;
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/Messages.json", s.port);
    static const struct {
        const char *to, *password;
        enum send_outcome outcome;
        long code, retry_after; /* the stand-in asks for 1 s on 429, 2 s on 503 */
    } cases[] = {
        {"+4587654321", "tok", SEND_RETRY, 500, 0},
        {"+4587654321", "tok", SEND_RETRY, 429, 1},
        {"+4587654321", "tok", SEND_RETRY, 503, 2},
        {"+4511111111", "tok", SEND_FAILED, 400, 0},  /* the provider's "invalid number" */
        {"+4587654321", "wrong", SEND_RETRY, 401, 0}, /* credentials: configuration, retried */
        {"+4587654321", "tok", SEND_OK, 201, 0},
    };
    CURL *h = curl_easy_init();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sms_config cfg = {url, "AC_test", cases[i].password, "+4512345678"};
        struct send_result r;
        sms_send(h, &cfg, cases[i].to, "hi", &r);
        CHECK_INT(r.outcome, cases[i].outcome);
        CHECK_INT(r.code, cases[i].code);
        CHECK_INT(r.retry_after, cases[i].retry_after);
        if (r.outcome != cases[i].outcome) fprintf(stderr, "  case %zu: %s\n", i, r.error);
        if (r.outcome != SEND_OK) CHECK(strstr(r.error, "HTTP"));
    }
    /* the provider's error text reaches the error message */
    struct sms_config cfg = {url, "AC_test", "tok", "+4512345678"};
    struct send_result r;
    sms_send(h, &cfg, "+4511111111", "hi", &r);
    CHECK(strstr(r.error, "not a valid phone number"));
    json_t *j = request(&s, 7);
    CHECK(j != NULL);
    json_decref(j);
    curl_easy_cleanup(h);
    standin_stop(&s);
}

TEST(sms_send_no_answer)
{
    int port = unused_port();
    CHECK(port > 0);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/Messages.json", port);
    struct sms_config cfg = {url, "u", "p", "+4512345678"};
    CURL *h = curl_easy_init();
    struct send_result r;
    sms_send(h, &cfg, "+4587654321", "hi", &r);
    CHECK_INT(r.outcome, SEND_RETRY);
    CHECK_INT(r.code, 0);
    CHECK(r.error[0]);
    struct sms_config none = {"", "u", "p", "+4512345678"};
    sms_send(h, &none, "+4587654321", "hi", &r);
    CHECK_INT(r.outcome, SEND_FAILED);
    curl_easy_cleanup(h);
}
