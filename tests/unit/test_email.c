/* Unit tests for deliver/email: email_build (exact headers, RFC 2047 subjects and names,
 * quoted-printable bodies checked against an independent decoder, header injection refused) and
 * smtp_send against the real SMTP stand-in tests/e2e/smtp_sink.py (two messages over one
 * connection, received byte for byte and checked by Python's email parser; 550, 451, 554, AUTH
 * after STARTTLS, no AUTH without it, STARTTLS with an untrusted certificate, nothing
 * listening). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "deliver/email.h"
#include "standin.h"
#include "test.h"
#include "util/buf.h"
#include "util/crypto.h"
#include "util/utf8.h"

static struct email_msg sample(void)
{
    return (struct email_msg){
        .from_name = "Shop & Co",
        .from_addr = "shop@example.com",
        .to_addr = "anna@example.org",
        .subject = "Back in stock: Green T-shirt",
        .text = "Hello\nIt is back.",
        .html = "<p>Hello</p>",
        .unsubscribe_url = "https://shop.example.com/u/abc?t=1",
        .message_id = "0123abcd@restock",
        .date = 1795341600,
    };
}

/* The header block (up to and including the blank line), to free(). */
static char *header_of(const char *msg)
{
    const char *end = strstr(msg, "\r\n\r\n");
    return end ? strndup(msg, (size_t)(end - msg) + 4) : NULL;
}

/* The encoded body of the part with the given content type, to free(); NULL when absent. */
static char *part_body(const char *msg, const char *type)
{
    char want[80];
    snprintf(want, sizeof(want), "Content-Type: %s; charset=UTF-8\r\n", type);
    const char *p = strstr(msg, want);
    if (!p || !(p = strstr(p, "\r\n\r\n"))) return NULL;
    p += 4;
    const char *end = strstr(p, "\r\n--=_rs_");
    return end ? strndup(p, (size_t)(end - p)) : NULL;
}

/* An independent quoted-printable decoder (RFC 2045 §6.7), to free(); NULL on bad input. */
static char *qp_decode(const char *s)
{
    struct buf b = BUF_INIT(0);
    buf_puts(&b, "");
    for (const char *p = s; *p; p++) {
        if (*p != '=') {
            buf_putc(&b, *p);
        } else if (p[1] == '\r' && p[2] == '\n') {
            p += 2;
        } else {
            char hex[3] = {p[1], p[2], 0};
            char *e;
            long v = strtol(hex, &e, 16);
            if (!p[1] || !p[2] || *e) {
                buf_free(&b);
                return NULL;
            }
            buf_putc(&b, (char)v);
            p += 2;
        }
    }
    return buf_take(&b);
}

/* s with every "\n" not preceded by "\r" turned into CRLF, to free(). */
static char *crlf(const char *s)
{
    struct buf b = BUF_INIT(0);
    buf_puts(&b, "");
    for (const char *p = s; *p; p++) {
        if (*p == '\n' && (p == s || p[-1] != '\r')) buf_putc(&b, '\r');
        buf_putc(&b, *p);
    }
    return buf_take(&b);
}

/* 1 when every line ends in CRLF, none is longer than max and (for headers) all is ASCII. */
static int lines_ok(const char *s, size_t max)
{
    size_t col = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '\r') {
            if (p[1] != '\n') return 0;
            p++, col = 0;
        } else if (*p == '\n' || (unsigned char)*p >= 0x80) {
            return 0;
        } else if (++col > max) {
            return 0;
        }
    }
    return 1;
}

/* The unfolded value of header name in msg, with RFC 2047 B-words decoded (for these tests'
 * subjects: either all plain or all encoded-words), to free(). */
static char *header_value(const char *msg, const char *name)
{
    char *head = header_of(msg);
    char want[64];
    snprintf(want, sizeof(want), "\r\n%s: ", name);
    const char *p = head ? strstr(head, want) : NULL;
    if (!p) {
        free(head);
        return NULL;
    }
    p += strlen(want);
    struct buf b = BUF_INIT(0);
    buf_puts(&b, "");
    for (; *p && !(p[0] == '\r' && p[1] == '\n' && p[2] != ' ' && p[2] != '\t'); p++) {
        if (p[0] == '\r' && p[1] == '\n') {
            p++;
            continue;
        }
        if (!strncmp(p, "=?UTF-8?B?", 10)) {
            const char *end = strstr(p + 10, "?=");
            uint8_t dec[128];
            long n = end ? base64_decode(p + 10, (size_t)(end - p - 10), dec, sizeof(dec)) : -1;
            if (n < 0 || end - p + 2 > 75 || !utf8_valid((char *)dec, (size_t)n)) {
                buf_puts(&b, "<BAD WORD>");
                break;
            }
            buf_append(&b, dec, (size_t)n);
            p = end + 1;
            while (p[1] == '\r' && p[2] == '\n' && p[3] == ' ' && !strncmp(p + 4, "=?", 2))
                p += 3; /* whitespace between encoded-words is not part of the text */
            continue;
        }
        buf_putc(&b, *p);
    }
    free(head);
    return buf_take(&b);
}

TEST(email_build_exact_headers)
{
    struct email_msg m = sample();
    struct buf out = BUF_INIT(0);
    CHECK_INT(email_build(&m, &out), 0);
    char *head = header_of(out.p);
    const char *want = "From: \"Shop & Co\" <shop@example.com>\r\n"
                       "To: anna@example.org\r\n"
                       "Subject: Back in stock: Green T-shirt\r\n"
                       "Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n"
                       "Message-ID: <0123abcd@restock>\r\n"
                       "MIME-Version: 1.0\r\n"
                       "List-Unsubscribe: <https://shop.example.com/u/abc?t=1>\r\n"
                       "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
                       "Content-Type: multipart/alternative;\r\n boundary=\"=_rs_";
    CHECK(head && !strncmp(head, want, strlen(want)));
    /* boundary: "=_rs_" + 32 hex, used as the two delimiters and the closing one */
    char boundary[40] = "";
    if (head && strlen(head) > strlen(want) + 32) {
        const char *b = head + strlen(want);
        CHECK_INT(strspn(b, "0123456789abcdef"), 32);
        CHECK_STR(b + 32, "\"\r\n\r\n");
        memcpy(boundary, b - 5, 37);
    }
    CHECK_INT(strlen(boundary), 37);
    char delim[96], last[64];
    snprintf(delim, sizeof(delim), "\r\n--%s\r\nContent-Type: text/", boundary);
    snprintf(last, sizeof(last), "\r\n--%s--\r\n", boundary);
    const char *d1 = strstr(out.p, delim);
    CHECK(d1 && strstr(d1 + 1, delim));
    CHECK(out.len > strlen(last) && !strcmp(out.p + out.len - strlen(last), last));
    CHECK(lines_ok(out.p, 78));

    /* a second build has another boundary */
    struct buf again = BUF_INIT(0);
    CHECK_INT(email_build(&m, &again), 0);
    CHECK(!strstr(again.p, boundary));
    free(head);
    buf_free(&again);
    buf_free(&out);
}

TEST(email_build_parts)
{
    struct email_msg m = sample();
    struct buf out = BUF_INIT(0);
    CHECK_INT(email_build(&m, &out), 0);
    CHECK(strstr(out.p, "Content-Type: text/plain; charset=UTF-8\r\n"
                        "Content-Transfer-Encoding: quoted-printable\r\n\r\nHello\r\nIt is back."));
    CHECK(strstr(out.p, "Content-Type: text/html; charset=UTF-8\r\n"
                        "Content-Transfer-Encoding: quoted-printable\r\n\r\n<p>Hello</p>\r\n--"));
    CHECK(strstr(out.p, "text/plain") < strstr(out.p, "text/html"));
    buf_free(&out);
}

TEST(email_build_quoted_printable)
{
    static const struct {
        const char *text, *qp;
    } cases[] = {
        {"", ""},
        {"a=b", "a=3Db"},
        {"trailing \nx", "trailing=20\r\nx"},
        {"trailing \r\nx", "trailing=20\r\nx"},
        {"end ", "end=20"},
        {"tab\t", "tab=09"},
        {"in between\tok", "in between\tok"},
        {".dot\n.", "=2Edot\r\n=2E"},
        {"From me\nFrom", "=46rom me\r\nFrom"},
        {"Grøn — på", "Gr=C3=B8n =E2=80=94 p=C3=A5"},
        {"a\r\nb\n\nc", "a\r\nb\r\n\r\nc"},
        {"lone\rcr", "lone=0Dcr"},
        {"ctl\x01\x7f", "ctl=01=7F"},
        {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=\r\nxxxx"},
        {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=",
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=\r\n=3D"},
        {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=\r\nxx\r\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct email_msg m = sample();
        m.text = cases[i].text;
        struct buf out = BUF_INIT(0);
        CHECK_INT(email_build(&m, &out), 0);
        char *qp = part_body(out.p, "text/plain");
        CHECK_STR(qp, cases[i].qp);
        free(qp);
        buf_free(&out);
    }
}

TEST(email_build_quoted_printable_roundtrip)
{
    /* Long lines of multi-byte text, '=' everywhere, blanks at line ends: every line at most 76
     * and the decoded part is the text with CRLF line breaks. */
    struct buf text = BUF_INIT(0);
    for (int i = 0; i < 40; i++) {
        buf_printf(&text, "Linje %d: Grøn T-shirt — tilbage på lager = 199,00 kr. ", i);
        for (int j = 0; j < i % 7; j++)
            buf_puts(&text, "æøå€😀=");
        buf_puts(&text, i % 3 ? " \t\n" : "\r\n");
    }
    struct email_msg m = sample();
    m.text = m.html = text.p;
    struct buf out = BUF_INIT(0);
    CHECK_INT(email_build(&m, &out), 0);
    CHECK(lines_ok(out.p, 78));
    CHECK(lines_ok(strstr(out.p, "\r\n\r\n") + 4, 76));
    char *want = crlf(text.p);
    for (int k = 0; k < 2; k++) {
        char *qp = part_body(out.p, k ? "text/html" : "text/plain");
        char *dec = qp ? qp_decode(qp) : NULL;
        CHECK_STR(dec, want);
        free(dec);
        free(qp);
    }
    free(want);
    buf_free(&out);
    buf_free(&text);
}

TEST(email_build_subjects)
{
    static const struct {
        const char *subject, *line; /* line: the exact Subject header, or NULL to check shape */
    } cases[] = {
        {"Hello", "Subject: Hello\r\n"},
        {"", "Subject: \r\n"},
        {"Grøn", "Subject: =?UTF-8?B?R3LDuG4=?=\r\n"},
        {"looks =?like?= a word", "Subject: =?UTF-8?B?bG9va3MgPT9saWtlPz0gYSB3b3Jk?=\r\n"},
        {"tab\tinside", "Subject: tab\tinside\r\n"},
        {"bell\x07", "Subject: =?UTF-8?B?YmVsbAc=?=\r\n"},
        {"Back in stock: the Green T-shirt you asked about is here again, in all sizes "
         "from XS to XXL",
         "Subject: Back in stock: the Green T-shirt you asked about is here again, in\r\n"
         " all sizes from XS to XXL\r\n"},
        {"Grøn T-shirt — tilbage på lager. Grøn T-shirt — tilbage på lager. Grøn T-shirt — "
         "tilbage på lager.",
         NULL},
        {"😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀", NULL},
        {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
         "Subject: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxx\r\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct email_msg m = sample();
        m.subject = cases[i].subject;
        struct buf out = BUF_INIT(0);
        CHECK_INT(email_build(&m, &out), 0);
        if (!out.p) continue;
        if (cases[i].line) {
            const char *s = strstr(out.p, "\r\nSubject: ");
            CHECK(s && !strncmp(s + 2, cases[i].line, strlen(cases[i].line)));
            if (!s || strncmp(s + 2, cases[i].line, strlen(cases[i].line)))
                fprintf(stderr, "  case %zu: %.200s\n", i, s ? s + 2 : "(none)");
        } else {
            char *head = header_of(out.p);
            CHECK(head && lines_ok(head, 78));
            free(head);
        }
        char *v = header_value(out.p, "Subject");
        CHECK_STR(v, cases[i].subject);
        free(v);
        buf_free(&out);
    }
}

TEST(email_build_from)
{
    static const struct {
        const char *name, *line;
    } cases[] = {
        {NULL, "From: shop@example.com\r\n"},
        {"", "From: shop@example.com\r\n"},
        {"Bob \"the\" \\ shop", "From: \"Bob \\\"the\\\" \\\\ shop\" <shop@example.com>\r\n"},
        {"Grøn Butik", "From: =?UTF-8?B?R3LDuG4gQnV0aWs=?= <shop@example.com>\r\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct email_msg m = sample();
        m.from_name = cases[i].name;
        struct buf out = BUF_INIT(0);
        CHECK_INT(email_build(&m, &out), 0);
        CHECK(out.p && !strncmp(out.p, cases[i].line, strlen(cases[i].line)));
        buf_free(&out);
    }
}

TEST(email_build_dates)
{
    static const struct {
        long long t;
        const char *line;
    } cases[] = {
        {0, "\r\nDate: Thu, 01 Jan 1970 00:00:00 +0000\r\n"},
        {-1, "\r\nDate: Wed, 31 Dec 1969 23:59:59 +0000\r\n"},
        {951782400, "\r\nDate: Tue, 29 Feb 2000 00:00:00 +0000\r\n"},
        {4102444799LL, "\r\nDate: Thu, 31 Dec 2099 23:59:59 +0000\r\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct email_msg m = sample();
        m.date = cases[i].t;
        struct buf out = BUF_INIT(0);
        CHECK_INT(email_build(&m, &out), 0);
        CHECK(out.p && strstr(out.p, cases[i].line));
        buf_free(&out);
    }
}

TEST(email_build_without_unsubscribe)
{
    struct email_msg m = sample();
    m.unsubscribe_url = NULL;
    struct buf out = BUF_INIT(0);
    CHECK_INT(email_build(&m, &out), 0);
    CHECK(out.p && !strstr(out.p, "List-Unsubscribe"));
    buf_free(&out);
}

TEST(email_build_refuses)
{
    enum { SUBJECT, NAME, FROM, TO, MSGID, UNSUB, TEXT, HTML };
    static const struct {
        int field;
        const char *value;
    } cases[] = {
        {SUBJECT, "Hi\r\nBcc: victim@example.net"},
        {SUBJECT, "Hi\nBcc: victim@example.net"},
        {SUBJECT, "Hi\r"},
        {SUBJECT, "bad \xC3\x28 utf-8"},
        {SUBJECT, "overlong \xC0\xAF"},
        {SUBJECT, NULL},
        {NAME, "Shop\r\nBcc: victim@example.net"},
        {NAME, "\xFF"},
        {FROM, "shop@example.com\r\nBcc: victim@example.net"},
        {FROM, "shop@example.com>"},
        {FROM, "shop example.com"},
        {FROM, "no-at-sign"},
        {FROM, ""},
        {FROM, NULL},
        {TO, "anna@example.org\nBcc: victim@example.net"},
        {TO, "anna@example.org, victim@example.net"},
        {TO, "<anna@example.org>"},
        {TO, NULL},
        {MSGID, "id@restock>\r\nBcc: x@y.z"},
        {MSGID, "id@restock> <x@y"},
        {MSGID, "no-at"},
        {MSGID, NULL},
        {UNSUB, "https://x.example/u\r\nBcc: x@y.z"},
        {UNSUB, "https://x.example/u> <mailto:x@y.z"},
        {UNSUB, "https://x.example/a b"},
        {TEXT, NULL},
        {HTML, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct email_msg m = sample();
        const char *v = cases[i].value;
        switch (cases[i].field) {
        case SUBJECT:
            m.subject = v;
            break;
        case NAME:
            m.from_name = v;
            break;
        case FROM:
            m.from_addr = v;
            break;
        case TO:
            m.to_addr = v;
            break;
        case MSGID:
            m.message_id = v;
            break;
        case UNSUB:
            m.unsubscribe_url = v;
            break;
        case TEXT:
            m.text = v;
            break;
        case HTML:
            m.html = v;
            break;
        }
        struct buf out = BUF_INIT(0);
        buf_puts(&out, "kept");
        int rc = email_build(&m, &out);
        CHECK_INT(rc, -1);
        CHECK_STR(out.p, "kept");
        if (rc != -1) fprintf(stderr, "  case %zu accepted\n", i);
        buf_free(&out);
    }
}

TEST(email_build_limit)
{
    struct email_msg m = sample();
    struct buf out = BUF_INIT(200);
    buf_puts(&out, "kept");
    CHECK_INT(email_build(&m, &out), -1);
    CHECK_STR(out.p, "kept");
    buf_free(&out);
}

/* ---- against the SMTP stand-in ---- */

static const char *const DK_SUBJECT = "Grøn T-shirt — tilbage på lager";
static const char *const DK_TEXT =
    "Hej Anna,\n\nGrøn T-shirt — tilbage på lager. Størrelse M er på lager igen, og prisen er "
    "199,00 kr. (før 249,00 kr.) — skynd dig, der er kun få tilbage!\n"
    "Se den her: https://shop.example.com/products/gron-t-shirt?variant=42&utm_source=restock\n"
    ".\nFrom the shop, with love = 100 % \n\nAfmeld: https://shop.example.com/u/abc\n";
static const char *const DK_HTML =
    "<!doctype html><html><body><p style=\"font-family:sans-serif;color:#222\">Hej Anna,</p>"
    "<p>Grøn T-shirt — tilbage på lager. Størrelse M er på lager igen: <b>199,00 kr.</b></p>"
    "<p><a href=\"https://shop.example.com/products/gron-t-shirt?variant=42&amp;x=1\">Køb nu"
    "</a></p>\r\n<p>😀</p></body></html>\r\n";

static int write_file(const char *path, const char *s)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t n = strlen(s);
    int ok = fwrite(s, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static int sink_start(struct standin *s, const char *const *args)
{
    return standin_start(s, "tests/e2e/smtp_sink.py", args);
}

static struct smtp *smtp_to(const struct standin *s, const char *scheme, const char *user,
                            const char *password)
{
    char url[128];
    snprintf(url, sizeof(url), "%s://127.0.0.1:%d", scheme, s->port);
    return smtp_new(url, user, password);
}

TEST(email_smtp_two_messages_one_connection)
{
    struct standin s;
    CHECK_INT(sink_start(&s, NULL), 0);
    if (!s.port) return;
    struct smtp *c = smtp_to(&s, "smtp", "", "");
    struct email_msg m1 = sample(), m2 = sample();
    m1.from_name = "Grøn Butik — København";
    m1.subject = DK_SUBJECT;
    m1.text = DK_TEXT;
    m1.html = DK_HTML;
    m2.to_addr = "bo@example.net";
    m2.message_id = "second@restock";
    struct buf b1 = BUF_INIT(0), b2 = BUF_INIT(0);
    CHECK_INT(email_build(&m1, &b1), 0);
    CHECK_INT(email_build(&m2, &b2), 0);
    struct send_result r1, r2;
    smtp_send(c, m1.from_addr, m1.to_addr, &b1, &r1);
    smtp_send(c, m2.from_addr, m2.to_addr, &b2, &r2);
    CHECK_INT(r1.outcome, SEND_OK);
    CHECK_INT(r1.code, 250);
    CHECK_INT(r2.outcome, SEND_OK);
    CHECK_INT(r2.code, 250);
    if (r1.outcome != SEND_OK) fprintf(stderr, "  %s\n", r1.error);

    /* the envelopes, and one TCP connection (same client port) for both */
    json_t *j1 = NULL, *j2 = NULL;
    char *t1 = standin_read(&s, "0001.json", 2000, NULL),
         *t2 = standin_read(&s, "0002.json", 2000, NULL);
    j1 = t1 ? json_loads(t1, 0, NULL) : NULL;
    j2 = t2 ? json_loads(t2, 0, NULL) : NULL;
    CHECK(j1 && j2);
    if (j1 && j2) {
        CHECK_STR(json_string_value(json_object_get(j1, "mail_from")), "shop@example.com");
        CHECK_STR(json_string_value(json_array_get(json_object_get(j1, "rcpt_tos"), 0)),
                  "anna@example.org");
        CHECK_INT(json_array_size(json_object_get(j1, "rcpt_tos")), 1);
        CHECK_STR(json_string_value(json_array_get(json_object_get(j2, "rcpt_tos"), 0)),
                  "bo@example.net");
        json_int_t p1 = json_integer_value(json_array_get(json_object_get(j1, "peer"), 1));
        json_int_t p2 = json_integer_value(json_array_get(json_object_get(j2, "peer"), 1));
        CHECK(p1 > 0);
        CHECK_INT(p1, p2);
    }
    char *none = standin_read(&s, "0003.json", 0, NULL);
    CHECK(!none);
    free(none);

    /* what arrived is byte for byte what was built (curl's dot-stuffing undone by the server) */
    size_t n1 = 0;
    char *e1 = standin_read(&s, "0001.eml", 0, &n1);
    CHECK(e1 && n1 == b1.len && !memcmp(e1, b1.p, n1));
    char *v = e1 ? header_value(e1, "Subject") : NULL;
    CHECK_STR(v, DK_SUBJECT);
    free(v);
    CHECK(e1 && strstr(e1, "\r\nList-Unsubscribe: <https://shop.example.com/u/abc?t=1>\r\n"));
    CHECK(e1 && strstr(e1, "\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
    char *qp = e1 ? part_body(e1, "text/plain") : NULL, *dec = qp ? qp_decode(qp) : NULL;
    char *want = crlf(DK_TEXT);
    CHECK_STR(dec, want);
    free(want), free(dec), free(qp);
    qp = e1 ? part_body(e1, "text/html") : NULL, dec = qp ? qp_decode(qp) : NULL;
    want = crlf(DK_HTML);
    CHECK_STR(dec, want);
    free(want), free(dec), free(qp);

    /* and Python's email package reads the same message */
    char tf[128], hf[128], ef[128], ef2[128];
    snprintf(tf, sizeof(tf), "%s/want.txt", s.dir);
    snprintf(hf, sizeof(hf), "%s/want.html", s.dir);
    snprintf(ef, sizeof(ef), "%s/0001.eml", s.dir);
    snprintf(ef2, sizeof(ef2), "%s/0002.eml", s.dir);
    CHECK_INT(write_file(tf, DK_TEXT), 0);
    CHECK_INT(write_file(hf, DK_HTML), 0);
    const char *argv1[] = {"tests/e2e/check_eml.py",
                           ef,
                           "--subject",
                           DK_SUBJECT,
                           "--from-name",
                           m1.from_name,
                           "--from-addr",
                           m1.from_addr,
                           "--to",
                           m1.to_addr,
                           "--text-file",
                           tf,
                           "--html-file",
                           hf,
                           "--unsubscribe",
                           m1.unsubscribe_url,
                           "--message-id",
                           m1.message_id,
                           NULL};
    CHECK_INT(run_python(argv1, 0), 0);
    CHECK_INT(write_file(tf, m2.text), 0);
    CHECK_INT(write_file(hf, m2.html), 0);
    const char *argv2[] = {"tests/e2e/check_eml.py",
                           ef2,
                           "--subject",
                           m2.subject,
                           "--from-name",
                           m2.from_name,
                           "--from-addr",
                           m2.from_addr,
                           "--to",
                           m2.to_addr,
                           "--text-file",
                           tf,
                           "--html-file",
                           hf,
                           "--unsubscribe",
                           m2.unsubscribe_url,
                           "--message-id",
                           m2.message_id,
                           NULL};
    CHECK_INT(run_python(argv2, 0), 0);
    /* the checker can fail: a wrong expected subject is caught */
    const char *argv3[] = {"tests/e2e/check_eml.py",
                           ef2,
                           "--subject",
                           "wrong",
                           "--from-addr",
                           m2.from_addr,
                           "--to",
                           m2.to_addr,
                           "--text-file",
                           tf,
                           "--html-file",
                           hf,
                           NULL};
    CHECK_INT(run_python(argv3, 1), 1);

    free(e1), free(t1), free(t2);
    json_decref(j1), json_decref(j2);
    buf_free(&b1), buf_free(&b2);
    smtp_free(c);
    standin_stop(&s);
}

TEST(email_smtp_failures)
{
    struct standin s;
    const char *args[] = {"--fail-rcpt",
                          "gone@example.org",
                          "--tempfail-rcpt",
                          "later@example.org",
                          "--tempfail-next",
                          "1",
                          "--fail-next",
                          "1",
                          NULL};
    CHECK_INT(sink_start(&s, args), 0);
    if (!s.port) return;
    struct smtp *c = smtp_to(&s, "smtp", "", "");
    static const struct {
        const char *to;
        enum send_outcome outcome;
        long code;
    } cases[] = {
        {"anna@example.org", SEND_RETRY, 451},  /* DATA answered 451 */
        {"anna@example.org", SEND_FAILED, 554}, /* DATA answered 554 */
        {"gone@example.org", SEND_FAILED, 550}, /* RCPT answered 550 */
        {"later@example.org", SEND_RETRY, 451}, /* RCPT answered 451 */
        {"anna@example.org", SEND_OK, 250},     /* the same handle still delivers */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct email_msg m = sample();
        m.to_addr = cases[i].to;
        struct buf b = BUF_INIT(0);
        CHECK_INT(email_build(&m, &b), 0);
        struct send_result r;
        smtp_send(c, m.from_addr, m.to_addr, &b, &r);
        CHECK_INT(r.outcome, cases[i].outcome);
        CHECK_INT(r.code, cases[i].code);
        if (r.outcome != cases[i].outcome) fprintf(stderr, "  case %zu: %s\n", i, r.error);
        CHECK(r.outcome == SEND_OK || r.error[0]);
        buf_free(&b);
    }
    char *one = standin_read(&s, "0001.json", 0, NULL);
    CHECK(one != NULL);
    free(one);
    char *none = standin_read(&s, "0002.json", 0, NULL);
    CHECK(!none);
    free(none);
    smtp_free(c);
    standin_stop(&s);
}

TEST(email_smtp_refused_connection)
{
    int port = unused_port();
    CHECK(port > 0);
    char url[64];
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", port);
    struct smtp *c = smtp_new(url, "", "");
    struct email_msg m = sample();
    struct buf b = BUF_INIT(0);
    CHECK_INT(email_build(&m, &b), 0);
    struct send_result r;
    smtp_send(c, m.from_addr, m.to_addr, &b, &r);
    CHECK_INT(r.outcome, SEND_RETRY);
    CHECK_INT(r.code, 0);
    CHECK(r.error[0]);
    /* an address that would inject an SMTP command is refused before any connection */
    smtp_send(c, m.from_addr, "a@example.org\r\nRSET", &b, &r);
    CHECK_INT(r.outcome, SEND_FAILED);
    buf_free(&b);
    smtp_free(c);
    smtp_free(NULL);
}

TEST(email_smtp_auth)
{
    /* credentials on smtp:// go only after STARTTLS, with the relay's certificate verified (the
     * sink's self-signed one, trusted through smtp_trust) */
    struct standin s;
    const char *args[] = {"--auth", "relay-user:s3cret pass", "--starttls", NULL};
    CHECK_INT(sink_start(&s, args), 0);
    if (!s.port) return;
    char ca[128];
    snprintf(ca, sizeof(ca), "%s/cert.pem", s.dir);
    static const struct {
        const char *user, *password;
        enum send_outcome outcome;
        long code;
    } cases[] = {
        {"relay-user", "s3cret pass", SEND_OK, 250},
        {"relay-user", "wrong", SEND_RETRY, 535}, /* the relay's configuration: retried */
        {"", "", SEND_RETRY, 530},                /* authentication required: retried */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct smtp *c = smtp_to(&s, "smtp", cases[i].user, cases[i].password);
        smtp_trust(c, ca);
        struct email_msg m = sample();
        struct buf b = BUF_INIT(0);
        CHECK_INT(email_build(&m, &b), 0);
        struct send_result r;
        smtp_send(c, m.from_addr, m.to_addr, &b, &r);
        CHECK_INT(r.outcome, cases[i].outcome);
        CHECK_INT(r.code, cases[i].code);
        if (r.outcome != cases[i].outcome) fprintf(stderr, "  case %zu: %s\n", i, r.error);
        buf_free(&b);
        smtp_free(c);
    }
    char *t = standin_read(&s, "0001.json", 0, NULL);
    json_t *j = t ? json_loads(t, 0, NULL) : NULL;
    CHECK_STR(json_string_value(json_object_get(j, "auth_user")), "relay-user");
    CHECK(json_is_true(json_object_get(j, "tls")));
    char *none = standin_read(&s, "0002.json", 0, NULL);
    CHECK(!none);
    free(none);
    json_decref(j);
    free(t);
    standin_stop(&s);
}

TEST(email_smtp_auth_needs_tls)
{
    /* a relay on smtp:// that offers AUTH but no STARTTLS never gets the password: the send stops
     * before AUTH (retried, as the relay's configuration may change) */
    struct standin s;
    const char *args[] = {"--auth", "relay-user:s3cret pass", NULL};
    CHECK_INT(sink_start(&s, args), 0);
    if (!s.port) return;
    struct smtp *c = smtp_to(&s, "smtp", "relay-user", "s3cret pass");
    struct email_msg m = sample();
    struct buf b = BUF_INIT(0);
    CHECK_INT(email_build(&m, &b), 0);
    struct send_result r;
    smtp_send(c, m.from_addr, m.to_addr, &b, &r);
    CHECK_INT(r.outcome, SEND_RETRY);
    CHECK(strstr(r.error, "STARTTLS") || strstr(r.error, "SSL"));
    char *auth = standin_read(&s, "auth.jsonl", 300, NULL);
    CHECK(!auth);
    free(auth);
    char *none = standin_read(&s, "0001.json", 0, NULL);
    CHECK(!none);
    free(none);
    buf_free(&b);
    smtp_free(c);
    standin_stop(&s);
}

TEST(email_smtp_starttls_untrusted)
{
    /* smtp:// tries STARTTLS when offered; a certificate nobody trusts stops the send (retried)
     * rather than falling back to plain text. */
    struct standin s;
    const char *args[] = {"--starttls", NULL};
    CHECK_INT(sink_start(&s, args), 0);
    if (!s.port) return;
    struct smtp *c = smtp_to(&s, "smtp", "", "");
    struct email_msg m = sample();
    struct buf b = BUF_INIT(0);
    CHECK_INT(email_build(&m, &b), 0);
    struct send_result r;
    smtp_send(c, m.from_addr, m.to_addr, &b, &r);
    CHECK_INT(r.outcome, SEND_RETRY);
    CHECK(strstr(r.error, "certificate") || strstr(r.error, "SSL"));
    char *none = standin_read(&s, "0001.json", 300, NULL);
    CHECK(!none);
    free(none);
    buf_free(&b);
    smtp_free(c);
    standin_stop(&s);
}
