/* Unit tests of the core's pure rules: stock status and restock detection, tokens, the rate
 * limiter, JSON field checks and the configuration loader. Table-driven where cases share a
 * shape. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/ratelimit.h"
#include "core/token.h"
#include "test.h"
#include "util/json.h"

static const struct shop shop_defaults = {.min_available = 1, .low_stock_threshold = 5};

TEST(stock_status_thresholds)
{
    static const struct {
        int64_t min, low, available;
        enum stock_status want;
    } cases[] = {
        {1, 5, 0, STOCK_SOLD_OUT},  {1, 5, 1, STOCK_LOW},      {1, 5, 5, STOCK_LOW},
        {1, 5, 6, STOCK_IN},        {2, 5, 1, STOCK_SOLD_OUT}, {2, 0, 2, STOCK_IN},
        {1, 5, -3, STOCK_SOLD_OUT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct shop sh = {.min_available = cases[i].min, .low_stock_threshold = cases[i].low};
        CHECK_INT(stock_status_of(&sh, cases[i].available), cases[i].want);
    }
}

TEST(restock_detection)
{
    /* each case: shop rules, the variant's state before, the new level and time, the verdict */
    static const struct {
        const char *name;
        int64_t min, soldout_minutes;
        int existed;
        int64_t before, since, after, now;
        int restock;
        int64_t since_after;
    } cases[] = {
        {"0 to 5", 1, 0, 1, 0, 100, 5, 200, 1, 0},
        {"5 to 6", 1, 0, 1, 5, 0, 6, 200, 0, 0},
        {"0 to 0 (unchanged)", 1, 0, 1, 0, 100, 0, 200, 0, 100},
        {"new variant in stock", 1, 0, 0, 0, 0, 5, 200, 0, 0},
        {"new variant sold out", 1, 0, 0, 0, 0, 0, 200, 0, 200},
        {"in stock to 0", 1, 0, 1, 3, 0, 0, 200, 0, 200},
        {"min 2: 1 to 2", 2, 0, 1, 1, 100, 2, 200, 1, 0},
        {"min 2: 0 to 1", 2, 0, 1, 0, 100, 1, 200, 0, 100},
        {"min minutes: too soon", 1, 10, 1, 0, 100, 5, 100 + 599, 0, 0},
        {"min minutes: exactly", 1, 10, 1, 0, 100, 5, 100 + 600, 1, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct shop sh = shop_defaults;
        sh.min_available = cases[i].min;
        sh.min_soldout_minutes = cases[i].soldout_minutes;
        struct variant v = {.available = cases[i].before, .soldout_since = cases[i].since};
        int got = stock_apply(&sh, &v, cases[i].existed, cases[i].after, cases[i].now);
        if (got != cases[i].restock || v.soldout_since != cases[i].since_after)
            fprintf(stderr, "  case %s\n", cases[i].name);
        CHECK_INT(got, cases[i].restock);
        CHECK_INT(v.soldout_since, cases[i].since_after);
        CHECK_INT(v.available, cases[i].after);
    }
}

TEST(token_roundtrip_and_tamper)
{
    uint8_t secret[32] = {1, 2, 3}, other[32] = {9};
    static const int64_t ids[] = {0, 1, 127, 128, 300, 1LL << 40, INT64_MAX};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        char tok[TOKEN_MAX];
        size_t n = token_make(secret, TOKEN_UNSUBSCRIBE, ids[i], tok);
        int64_t id = -1;
        CHECK_INT(token_parse(secret, TOKEN_UNSUBSCRIBE, tok, n, &id), 0);
        CHECK_INT(id, ids[i]);
        CHECK_INT(token_parse(secret, TOKEN_CONFIRM, tok, n, &id), -1);    /* another kind */
        CHECK_INT(token_parse(other, TOKEN_UNSUBSCRIBE, tok, n, &id), -1); /* another secret */
        CHECK_INT(token_parse(secret, TOKEN_UNSUBSCRIBE, tok, n - 1, &id), -1);
        for (size_t k = 0; k < n; k++) { /* every single-character change is refused */
            char t2[TOKEN_MAX];
            memcpy(t2, tok, n);
            t2[k] = t2[k] == 'A' ? 'B' : 'A';
            CHECK_INT(token_parse(secret, TOKEN_UNSUBSCRIBE, t2, n, &id), -1);
        }
        /* one spelling only: not padded, and no stray bits in the last letter (which decode
         * to the same bytes) */
        static const char abc[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        char t3[TOKEN_MAX + 4];
        memcpy(t3, tok, n);
        memcpy(t3 + n, "==", 2);
        CHECK_INT(token_parse(secret, TOKEN_UNSUBSCRIBE, t3, n + (n % 4 ? 4 - n % 4 : 1), &id), -1);
        if (n % 4) {
            size_t last = (size_t)(strchr(abc, tok[n - 1]) - abc);
            t3[n - 1] = abc[last ^ 1];
            CHECK(t3[n - 1] != tok[n - 1]);
            CHECK_INT(token_parse(secret, TOKEN_UNSUBSCRIBE, t3, n, &id), -1);
        }
    }
    int64_t id;
    CHECK_INT(token_parse(secret, TOKEN_UNSUBSCRIBE, "", 0, &id), -1);
    CHECK_INT(token_parse(secret, TOKEN_UNSUBSCRIBE, "!!!!", 4, &id), -1);
}

TEST(ratelimit_burst_and_refill)
{
    struct ratelimit *rl = ratelimit_new(3, 60); /* 3 per minute: one per 20 s */
    int retry = 0;
    for (int i = 0; i < 3; i++)
        CHECK_INT(ratelimit_take(rl, "a", 1, 1000, &retry), 1);
    CHECK_INT(ratelimit_take(rl, "a", 1, 1000, &retry), 0);
    CHECK(retry >= 1 && retry <= 20);
    CHECK_INT(ratelimit_take(rl, "b", 1, 1000, &retry), 1);         /* another key is independent */
    CHECK_INT(ratelimit_take(rl, "a", 1, 1000 + 20000, &retry), 1); /* one refilled */
    CHECK_INT(ratelimit_take(rl, "a", 1, 1000 + 20000, &retry), 0);
    ratelimit_free(rl);
    CHECK_INT(ratelimit_take(NULL, "a", 1, 0, &retry), 1); /* limit 0: off */
    CHECK(ratelimit_new(0, 60) == NULL);
}

TEST(json_check_names_the_field)
{
    static const struct jfield fields[] = {
        {"name", JF_STRING, JF_REQUIRED},
        {"n", JF_INT, 0},
        {"id", JF_ID, JF_NULLABLE},
        {"price", JF_MONEY, 0},
    };
    static const struct {
        const char *json, *msg; /* msg NULL: valid */
    } cases[] = {
        {"{\"name\":\"x\"}", NULL},
        {"{\"name\":\"x\",\"n\":3,\"id\":12345678901234567,\"price\":\"1.5\"}", NULL},
        {"{\"name\":\"x\",\"id\":null}", NULL},
        {"{}", "name: required"},
        {"{\"name\":null}", "name: must not be null"},
        {"{\"name\":1}", "name: must be a string"},
        {"{\"name\":\"x\",\"n\":\"3\"}", "n: must be an integer"},
        {"{\"name\":\"x\",\"n\":null}", "n: must not be null"},
        {"{\"name\":\"x\",\"id\":1.5}", "id: must be a string or an integer"},
        {"{\"name\":\"x\",\"zz\":1}", "zz: unknown field"},
        {"[1]", "body: must be an object"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rs_status st = {0};
        json_t *v = json_parse_strict(cases[i].json, strlen(cases[i].json), &st);
        CHECK(v != NULL);
        int rc = json_check(v, fields, 4, "", &st);
        if (!cases[i].msg) {
            CHECK_INT(rc, RS_OK);
        } else {
            CHECK_INT(rc, RS_EINVAL);
            CHECK_STR(st.msg, cases[i].msg);
        }
        json_decref(v);
    }
}

TEST(json_parse_rejects)
{
    static const char *const bad[] = {"{\"a\":1,\"a\":2}",   "{\"a\":",          "",
                                      "{\"a\":\"\\u0000\"}", "{\"a\":\"\xff\"}", "{} x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct rs_status st = {0};
        json_t *v = json_parse_strict(bad[i], strlen(bad[i]), &st);
        CHECK(v == NULL);
        CHECK_INT(st.err, RS_EJSON);
        json_decref(v);
    }
}

/* json_write must write exactly what jansson's json_dumps writes: jansson is the oracle. */
TEST(json_write_matches_jansson)
{
    static const char *const cases[] = {
        "{}",
        "[]",
        "\"\"",
        "{\"id\":\"123\",\"n\":0,\"neg\":-42,\"ok\":true,\"no\":false,\"none\":null}",
        "[1,[2,[3,{}]],{\"a\":[]}]",
        "\"quote \\\" back \\\\ slash / and \\b\\f\\n\\r\\t\"",
        "\"\\u0000\\u0001\\u001f\\u007f x\"",
        "\"caf\\u00e9 \\u2028 \\ud83d\\ude00 \\u00ff\"",
        "{\"z\":1,\"a\":2,\"m\":{\"y\":\"\\u0007\"}}", /* insertion order, not sorted */
        "[9223372036854775807,-9223372036854775808]",
        "[0.5,1e300,-2.25,100.0]",
        "[0.3333,0.0753,0.1]", /* rounded rates: 15 digits, not 0.33329999999999999 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_error_t je;
        json_t *v = json_loads(cases[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
        CHECK(v != NULL);
        if (!v) continue;
        char *want = json_dumps(v, JSON_WRITE_FLAGS);
        struct buf got = BUF_INIT(0);
        CHECK_INT(json_write(&got, v), 0);
        CHECK_INT(got.len, strlen(want));
        CHECK(got.p && memcmp(got.p, want, got.len) == 0);
        if (got.p && strcmp(got.p, want) != 0)
            fprintf(stderr, "  case %zu: got %s, want %s\n", i, got.p, want);
        free(want);
        buf_free(&got);
        json_decref(v);
    }
    json_t *third = json_real(round(1.0 / 3.0 * 10000.0) / 10000.0); /* a rate as stats rounds it */
    struct buf out = BUF_INIT(0);
    CHECK_INT(json_write(&out, third), 0);
    CHECK_STR(out.p, "0.3333");
    buf_free(&out);
    json_decref(third);
    json_t *big = json_pack("{s:s}", "k", "a long enough value");
    struct buf small = BUF_INIT(8);
    CHECK_INT(json_write(&small, big), -1); /* the limit is kept */
    CHECK(small.toobig);
    buf_free(&small);
    json_decref(big);
}

TEST(jmoney_exact)
{
    static const struct {
        const char *json;
        int exp, ok;
        int64_t want;
    } cases[] = {
        {"{\"p\":\"19.90\"}", 2, 1, 1990}, {"{\"p\":19.9}", 2, 1, 1990},
        {"{\"p\":20}", 2, 1, 2000},        {"{\"p\":\"1990\"}", 0, 1, 1990},
        {"{\"p\":\"19.999\"}", 2, 0, 0},   {"{\"p\":19.999}", 2, 0, 0},
        {"{\"p\":\"1e3\"}", 2, 0, 0},      {"{\"p\":92233720368547758}", 3, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *v = json_loads(cases[i].json, 0, NULL);
        int64_t out = -1;
        struct rs_status st = {0};
        int rc = jmoney(v, "p", cases[i].exp, &out, "", &st);
        CHECK_INT(rc == RS_OK, cases[i].ok);
        if (cases[i].ok) CHECK_INT(out, cases[i].want);
        json_decref(v);
    }
}

TEST(config_precedence)
{
    char path[] = "/tmp/restock_cfg_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *text = "# comment\nworkers = 3\nsmtp_url = smtp://file:25\nthreads=2\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    setenv("RESTOCK_SMTP_URL", "smtp://env:25", 1);
    setenv("RESTOCK_THREADS", "5", 1);
    char *argv[] = {"--config", path, "--threads", "7", "--listen=127.0.0.1:9000"};
    struct config c;
    struct rs_status st = {0};
    CHECK_INT(config_load(&c, 5, argv, &st), RS_OK);
    CHECK_INT(c.workers, 3);                /* file over default */
    CHECK_STR(c.smtp_url, "smtp://env:25"); /* env over file */
    CHECK_INT(c.threads, 7);                /* flag over env */
    CHECK_STR(c.listen, "127.0.0.1:9000");
    CHECK_STR(c.public_url, "http://127.0.0.1:9000"); /* derived default */
    CHECK_STR(c.db, "restock.db");
    config_free(&c);
    char *every[] = {"--listen", ":9001"}; /* every address: links name localhost */
    CHECK_INT(config_load(&c, 2, every, &st), RS_OK);
    CHECK_STR(c.public_url, "http://localhost:9001");
    config_free(&c);

    char *bad1[] = {"--workers", "0"};
    CHECK_INT(config_load(&c, 2, bad1, &st), RS_EUSAGE);
    char *bad2[] = {"--nope", "1"};
    CHECK_INT(config_load(&c, 2, bad2, &st), RS_EUSAGE);
    CHECK(strstr(st.msg, "nope") != NULL);
    char *bad3[] = {"--workers"};
    CHECK_INT(config_load(&c, 1, bad3, &st), RS_EUSAGE);
    setenv("RESTOCK_WORKERS", "many", 1);
    CHECK_INT(config_load(&c, 0, NULL, &st), RS_EUSAGE);
    CHECK(strstr(st.msg, "RESTOCK_WORKERS") != NULL);
    unsetenv("RESTOCK_WORKERS");
    unsetenv("RESTOCK_SMTP_URL");
    unsetenv("RESTOCK_THREADS");
    unlink(path);
}

/* The checks of final values: one flag and its value each, accepted (err NULL) or refused with
 * a message starting with err. */
TEST(config_checks)
{
    static const struct {
        const char *flag, *value, *err;
    } cases[] = {
        {"--listen", "127.0.0.1:8080", NULL},
        {"--listen", "[::1]:65535", NULL},
        {"--listen", ":1", NULL},
        {"--listen", "127.0.0.1:99999", "listen:"}, /* getaddrinfo would truncate it to 34463 */
        {"--listen", "127.0.0.1:65536", "listen:"},
        {"--listen", "127.0.0.1:0", "listen:"},
        {"--listen", "127.0.0.1:", "listen:"},
        {"--listen", "127.0.0.1:+80", "listen:"},
        {"--listen", "127.0.0.1:http", "listen:"},
        {"--listen", "127.0.0.1:8080 ", "listen:"},
        {"--listen", "127.0.0.1", "listen:"},
        {"--public-url", "https://r.example//", NULL},
        {"--public-url", "ftp://r.example", "public_url:"},
        {"--smtp-url", "smtp://relay.example:587", NULL},
        {"--smtp-url", "SMTPS://relay.example", NULL},
        {"--smtp-url", "gopher://relay.example", "smtp_url:"},
        {"--smtp-url", "relay.example:25", "smtp_url:"},
        {"--smtp-url", "smtp://", "smtp_url:"},
        {"--vapid-subject", "mailto:ops@shop.example", NULL},
        {"--vapid-subject", "https://shop.example/contact", NULL},
        {"--vapid-subject", "foo", "vapid_subject:"},
        {"--vapid-subject", "http://shop.example", "vapid_subject:"},
        {"--vapid-subject", "mailto:", "vapid_subject:"},
        {"--log-format", "text", NULL},
        {"--log-format", "xml", "log_format:"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *argv[] = {(char *)cases[i].flag, (char *)cases[i].value};
        struct config c;
        struct rs_status st = {0};
        int rc = config_load(&c, 2, argv, &st);
        CHECK_INT(rc, cases[i].err ? RS_EUSAGE : RS_OK);
        if (rc == RS_OK)
            config_free(&c);
        else if (cases[i].err)
            CHECK(strncmp(st.msg, cases[i].err, strlen(cases[i].err)) == 0);
        if ((rc == RS_OK) != !cases[i].err)
            fprintf(stderr, "  case %s %s: %s\n", cases[i].flag, cases[i].value, st.msg);
    }
}
