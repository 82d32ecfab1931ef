/*
 * test_csv — RFC 4180 fields (util/csv.h) and the customers report's records (core/report.h).
 */
#include "core/report.h"
#include "test.h"
#include "util/csv.h"

static const struct {
    const char *in, *out;
} field_cases[] = {
    {"plain", "plain"},
    {"", ""},
    {"a,b", "\"a,b\""},
    {"say \"hi\"", "\"say \"\"hi\"\"\""},
    {"\"", "\"\"\"\""},
    {"line\nbreak", "\"line\nbreak\""},
    {"cr\rhere", "\"cr\rhere\""},
    {"crlf\r\n", "\"crlf\r\n\""},
    {" lead", "\" lead\""},
    {"trail ", "\"trail \""},
    {"Æblegrød, rød", "\"Æblegrød, rød\""}, /* UTF-8 passes through byte for byte */
    {"ünïcödé", "ünïcödé"},
    {"semi;colon", "semi;colon"},
    {"'quote'", "'quote'"},
};

TEST(csv_fields)
{
    for (size_t i = 0; i < sizeof(field_cases) / sizeof(field_cases[0]); i++) {
        struct buf b = BUF_INIT(0);
        csv_field(&b, field_cases[i].in, 1);
        CHECK_STR(b.p ? b.p : "", field_cases[i].out);
        buf_free(&b);
    }
}

TEST(csv_records)
{
    struct buf b = BUF_INIT(0);
    csv_field(&b, "a", 1);
    csv_field(&b, NULL, 0);
    csv_field(&b, "", 0);
    csv_field(&b, "x\"y", 0);
    csv_end(&b);
    csv_field(&b, NULL, 1);
    csv_end(&b);
    CHECK_STR(b.p, "a,,,\"x\"\"y\"\r\n\r\n");
    buf_free(&b);
}

TEST(csv_report_rows)
{
    struct buf b = BUF_INIT(0);
    report_csv_header(&b);
    CHECK_STR(b.p, "contact,channel,variant_id,product_title,variant_title,signed_up_at,"
                   "notified_at,opened_at,clicked_at,conversion,order_number,order_date,"
                   "order_total,currency,order_refunded,order_net\r\n");
    buf_reset(&b);
    struct customer_row row = {
        .notification_id = 7,
        .channel = CH_EMAIL,
        .contact = "ada@example.com",
        .variant_id = "4471",
        .product_title = "Tee, \"organic\"",
        .variant_title = "Red / M",
        .signed_up = 1795000000,
        .sent_at = 1795003600,
        .opened_at = 0,
        .clicked_at = 1795007200,
        .conversion = 0,
        .order_number = "1001",
        .order_at = 1795010800,
        .order_total = 3980,
        .order_refunded = 980,
        .order_currency = "EUR",
    };
    report_csv_row(&b, &row);
    CHECK_STR(b.p, "ada@example.com,email,4471,\"Tee, \"\"organic\"\"\",Red / M,"
                   "2026-11-18T11:06:40Z,2026-11-18T12:06:40Z,,2026-11-18T13:06:40Z,direct,1001,"
                   "2026-11-18T14:06:40Z,39.80,EUR,9.80,30.00\r\n");
    buf_reset(&b);
    /* no conversion, no order; a currency without minor units */
    struct customer_row none = {.channel = CH_SMS,
                                .contact = "+4520123456",
                                .variant_id = "v\n2",
                                .sent_at = 1795003600,
                                .conversion = -1,
                                .order_total = -1};
    report_csv_row(&b, &none);
    CHECK_STR(b.p, "+4520123456,sms,\"v\n2\",,,,2026-11-18T12:06:40Z,,,none,,,,,,\r\n");
    buf_reset(&b);
    struct customer_row yen = {.channel = CH_WEBPUSH,
                               .contact = "https://push.example/x",
                               .conversion = 1,
                               .order_number = "9",
                               .order_at = 1795010800,
                               .order_total = 1500,
                               .order_currency = "JPY"};
    report_csv_row(&b, &yen);
    CHECK_STR(b.p, "https://push.example/x,webpush,,,,,,,,assisted,9,2026-11-18T14:06:40Z,1500,"
                   "JPY,0,1500\r\n");
    buf_reset(&b);
    /* a goal event's conversion: no order number, its own value and date */
    struct customer_row goal = {.channel = CH_EMAIL,
                                .contact = "bo@example.com",
                                .conversion = 1,
                                .order_at = 1795010800,
                                .order_total = 2500,
                                .order_currency = "EUR"};
    report_csv_row(&b, &goal);
    CHECK_STR(b.p, "bo@example.com,email,,,,,,,,assisted,,2026-11-18T14:06:40Z,25.00,EUR,0.00,"
                   "25.00\r\n");
    buf_free(&b);
}

TEST(report_range_dates)
{
    int64_t from, to;
    struct rs_status st = {0};
    CHECK_INT(report_range("Europe/Copenhagen", "2026-11-01", "2026-11-30", "", &from, &to, &st),
              0);
    CHECK_INT(from, 1793487600); /* 2026-11-01T00:00+01:00 */
    CHECK_INT(to, 1796079600);   /* 2026-12-01T00:00+01:00 */
    CHECK_INT(report_range("UTC", NULL, NULL, "", &from, &to, &st), 0);
    CHECK_INT(from, 0);
    CHECK_INT(to, 0);
    CHECK(report_range("UTC", "2026-02-30", NULL, "", &from, &to, &st) == RS_EINVAL);
    CHECK_STR(st.msg, "from: must be a date, YYYY-MM-DD");
    CHECK(report_range("UTC", NULL, "yesterday", "", &from, &to, &st) == RS_EINVAL);
    CHECK_STR(st.msg, "to: must be a date, YYYY-MM-DD");
    CHECK(report_range("UTC", "2026-11-02", "2026-11-01", "", &from, &to, &st) == RS_EINVAL);
    CHECK_STR(st.msg, "to: must not be before from");
    /* the command line names its flags */
    CHECK(report_range("UTC", "x", NULL, "--", &from, &to, &st) == RS_EINVAL);
    CHECK_STR(st.msg, "--from: must be a date, YYYY-MM-DD");
    CHECK(report_range("UTC", "2026-11-02", "2026-11-01", "--", &from, &to, &st) == RS_EINVAL);
    CHECK_STR(st.msg, "--to: must not be before --from");
}
