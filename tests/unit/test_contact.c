/* Unit tests for core/contact: emails, phones, locales and the push endpoint allow-list. */
#include <string.h>

#include "core/contact.h"
#include "test.h"

struct norm_case {
    const char *in, *want; /* want NULL: invalid */
};

/* Runs fn over cases; a valid input must also be a fixed point of fn. */
static void check_norm(int (*fn)(const char *, char *, size_t), const struct norm_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char out[300], again[300];
        int rc = fn(c[i].in, out, sizeof(out));
        if ((rc == 0) != (c[i].want != NULL)) fprintf(stderr, "  input \"%s\"\n", c[i].in);
        CHECK_INT(rc, c[i].want ? 0 : -1);
        if (rc != 0 || !c[i].want) continue;
        CHECK_STR(out, c[i].want);
        CHECK_INT(fn(out, again, sizeof(again)), 0);
        CHECK_STR(again, out);
    }
}

#define LONG_LOCAL "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

TEST(contact_email)
{
    static const struct norm_case cases[] = {
        {"ada@example.com", "ada@example.com"},
        {"Ada.Lovelace@Example.COM", "ada.lovelace@example.com"},
        {"a+tag@sub.example.co.uk", "a+tag@sub.example.co.uk"},
        {"x@a-b.io", "x@a-b.io"},
        {"x@1.2", "x@1.2"},
        {"adaexample.com", NULL},
        {"ada@@example.com", NULL},
        {"a@b@example.com", NULL},
        {"ada lovelace@example.com", NULL},
        {" ada@example.com", NULL},
        {"ada@example.com ", NULL},
        {"ada\t@example.com", NULL},
        {"@example.com", NULL},
        {"ada@", NULL},
        {"ada@-example.com", NULL},
        {"ada@example-.com", NULL},
        {"ada@exa_mple.com", NULL},
        {"ada@example..com", NULL},
        {"ada@.example.com", NULL},
        {"ada@example.com.", NULL},
        {"ada@localhost", NULL},
        {"ad\xc3\xa5@example.com", NULL},
        {"", NULL},
        /* 77 + 77 + 77 + 1 + 11 = 243 bytes: fits; 77 more does not. */
        {LONG_LOCAL LONG_LOCAL LONG_LOCAL "@example.com",
         LONG_LOCAL LONG_LOCAL LONG_LOCAL "@example.com"},
        {LONG_LOCAL LONG_LOCAL LONG_LOCAL LONG_LOCAL "@example.com", NULL},
    };
    check_norm(email_normalize, cases, sizeof(cases) / sizeof(cases[0]));
    char addr[300], out[300], small[8];
    memset(addr, 'a', 242); /* 242 + 12 = 254 bytes: the longest allowed */
    memcpy(addr + 242, "@example.com", 13);
    CHECK_INT(email_normalize(addr, out, sizeof(out)), 0);
    CHECK_INT(email_normalize(addr, out, 254), -1); /* no room for the NUL */
    memset(addr, 'a', 243);
    memcpy(addr + 243, "@example.com", 13);
    CHECK_INT(email_normalize(addr, out, sizeof(out)), -1);
    CHECK_INT(email_normalize("ada@example.com", small, sizeof(small)), -1);
    CHECK_INT(email_normalize(NULL, small, sizeof(small)), -1);
}

TEST(contact_phone)
{
    static const struct norm_case cases[] = {
        {"+4520123456", "+4520123456"},
        {"+45 20 12 34 56", "+4520123456"},
        {"+1 (555) 123-4567", "+15551234567"},
        {"+44.20.7946.0958", "+442079460958"},
        {"+12345678", "+12345678"},
        {"+123456789012345", "+123456789012345"},
        {"+1234567", NULL},
        {"+1234567890123456", NULL},
        {"004520123456", NULL},
        {"4520123456", NULL},
        {"+0520123456", NULL},
        {"+ 4520123456", NULL},
        {"+4520123456 ", NULL},
        {"+4520123456-", NULL},
        {"+45201234a6", NULL},
        {"+45/20123456", NULL},
        {"++4520123456", NULL},
        {"", NULL},
        {"+", NULL},
    };
    check_norm(phone_normalize, cases, sizeof(cases) / sizeof(cases[0]));
    char small[11];
    CHECK_INT(phone_normalize("+4520123456", small, sizeof(small)), -1);
}

TEST(contact_locale)
{
    static const struct norm_case cases[] = {
        {"da", "da"},
        {"DA", "da"},
        {"da-dk", "da-DK"},
        {"da_DK", "da-DK"},
        {"zh_hant_tw", "zh-Hant-TW"},
        {"ZH-HANT-TW", "zh-Hant-TW"},
        {"es-419", "es-419"},
        {"sr-latn-rs", "sr-Latn-RS"},
        {"de-CH-1996", "de-CH-1996"},
        {"en-US-x-twain", "en-US-x-twain"},
        {"en-u-ca-gregory", "en-u-ca-gregory"},
        {"fil", "fil"},
        {"d", NULL},
        {"toolonglanguage", NULL},
        {"da-", NULL},
        {"da--DK", NULL},
        {"-da", NULL},
        {"da-DK-abcdefghi", NULL},
        {"d4", NULL},
        {"da DK", NULL},
        {"da.DK", NULL},
        {"", NULL},
        {"en-aaaaaaaa-bbbbbbbb-cccccccc-ddd", "en-aaaaaaaa-bbbbbbbb-cccccccc-ddd"},
        {"en-aaaaaaaa-bbbbbbbb-cccccccc-dddddd", NULL},
    };
    check_norm(locale_normalize, cases, sizeof(cases) / sizeof(cases[0]));
}

struct push_case {
    const char *endpoint;
    int ok;
};

static void check_push(const char *list, const struct push_case *c, size_t n)
{
    struct push_hosts *h = push_hosts_parse(list);
    CHECK(h != NULL);
    for (size_t i = 0; i < n; i++) {
        int ok = push_endpoint_allowed(h, c[i].endpoint);
        if (ok != c[i].ok) fprintf(stderr, "  list \"%s\", \"%s\"\n", list, c[i].endpoint);
        CHECK_INT(ok, c[i].ok);
    }
    push_hosts_free(h);
}

TEST(contact_push_default)
{
    static const struct push_case cases[] = {
        {"https://fcm.googleapis.com/fcm/send/x", 1},
        {"https://FCM.googleapis.com/fcm/send/x", 1},
        {"HTTPS://fcm.googleapis.com:443/fcm/send/x", 1},
        {"https://web.push.apple.com/x", 1},
        {"https://a.b.push.apple.com/x", 1},
        {"https://updates.push.services.mozilla.com/wpush/v2/abc", 1},
        {"https://wns2-by3p.notify.windows.com/w/?token=abc", 1},
        {"https://fcm.googleapis.com", 1},
        {"https://fcm.googleapis.com?x=1", 1},
        {"https://push.apple.com/x", 0},
        {"http://fcm.googleapis.com/fcm/send/x", 0},
        {"https://evil.com/x", 0},
        {"https://fcm.googleapis.com.evil.com/x", 0},
        {"https://x@fcm.googleapis.com/", 0},
        {"https://fcm.googleapis.com@evil.com/", 0},
        {"https://169.254.169.254/", 0},
        {"https://fcm.googleapis.com:8443/x", 0},
        {"https://fcm.googleapis.com:/x", 0},
        {"https://fcm.googleapis.com:99999/x", 0},
        {"https://fcm.googleapis.com./x", 0},
        {"https://fcm%2egoogleapis.com/x", 0},
        {"https://fcm.googleapis.com/x#frag", 0},
        {"https://fcm.googleapis.com/x y", 0},
        {"https://fcm.googleapis.com/x\n", 0},
        {"https://evil.com\\.fcm.googleapis.com/", 0},
        {"ftp://fcm.googleapis.com/x", 0},
        {"//fcm.googleapis.com/x", 0},
        {"fcm.googleapis.com/x", 0},
        {"https:///x", 0},
        {"", 0},
    };
    check_push(NULL, cases, sizeof(cases) / sizeof(cases[0]));
    check_push("", cases, sizeof(cases) / sizeof(cases[0]));
    CHECK_INT(push_endpoint_allowed(NULL, "https://fcm.googleapis.com/x"), 0);
}

TEST(contact_push_custom)
{
    static const struct push_case cases[] = {
        {"http://127.0.0.1:9999/p", 1},
        {"https://127.0.0.1:9999/p", 1},
        {"http://127.0.0.1:9998/p", 0},
        {"http://127.0.0.2:9999/p", 0},
        {"http://127.0.0.1/p", 0},
        {"https://a.push.apple.com/x", 1},
        {"https://push.apple.com/x", 0},
        {"http://a.push.apple.com/x", 0},
        {"https://push.example:8443/x", 1},
        {"https://PUSH.EXAMPLE:8443/x", 1},
        {"https://push.example/x", 0},
        {"http://push.example:8443/x", 0},
        {"http://localhost:8080/p", 1},
        {"http://[::1]:9000/p", 1},
        {"http://[0:0:0:0:0:0:0:1]:9000/p", 1},
        {"http://[::1]/p", 0},
        {"http://[::1:9000/p", 0},
        {"https://fcm.googleapis.com/x", 0},
    };
    check_push("127.0.0.1:9999, *.push.apple.com,push.example:8443,localhost:8080,[::1]:9000",
               cases, sizeof(cases) / sizeof(cases[0]));

    /* A listed host that is not a loopback address is HTTPS only, whatever its port. */
    static const struct push_case plain[] = {
        {"http://push.example/x", 0},
        {"https://push.example/x", 1},
        {"http://sub.localhost:80/x", 0},
    };
    check_push("push.example,*.localhost", plain, sizeof(plain) / sizeof(plain[0]));

    static const char *malformed[] = {
        "a,,b",     "a,",    ",a",      "*.",   "*",      "host:", "host:0",    "host:65536",
        "host:12a", "ho st", "*.[::1]", "[::1", "[nope]", "a/b",   "https://a", "host:443:1",
    };
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        struct push_hosts *h = push_hosts_parse(malformed[i]);
        if (h) fprintf(stderr, "  accepted \"%s\"\n", malformed[i]);
        CHECK(h == NULL);
        push_hosts_free(h);
    }
    push_hosts_free(NULL);

    char long_url[1100] = "https://fcm.googleapis.com/";
    memset(long_url + strlen(long_url), 'a', 1024 - strlen(long_url));
    long_url[1024] = '\0';
    struct push_hosts *h = push_hosts_parse(NULL);
    CHECK_INT(push_endpoint_allowed(h, long_url), 1);
    long_url[1024] = 'a';
    long_url[1025] = '\0';
    CHECK_INT(push_endpoint_allowed(h, long_url), 0);
    push_hosts_free(h);
}
