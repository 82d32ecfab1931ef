/*
 * test_order_import — the order feed of `restock import-orders` (core/order_import.h): what each
 * CSV or JSON-lines input turns into, record by record, including inputs that cannot be read.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/order_import.h"
#include "test.h"
#include "util/buf.h"

#define AT "2024-05-01T10:00:00Z"

/* Reads the feed from f and describes each record on a line of its own: "LINE ok JSON" (keys
 * sorted), "LINE bad: MESSAGE", "fail: MESSAGE" (a read error, which ends it) or "open:
 * MESSAGE". The caller frees the result. */
static char *run(FILE *f)
{
    struct buf out = BUF_INIT(0);
    struct rs_status st = {0};
    struct order_import *im = order_import_open(f, &st);
    if (!im) buf_printf(&out, "open: %s\n", st.msg);
    for (int i = 0; im && i < 1000; i++) {
        json_t *o;
        long line = 0;
        int rc = order_import_next(im, &o, &line, &st);
        if (rc == 0) break;
        if (rc == -2) {
            buf_printf(&out, "fail: %s\n", st.msg);
            CHECK_INT(order_import_next(im, &o, &line, &st), -2); /* and so it stays */
            break;
        }
        if (rc < 0) {
            buf_printf(&out, "%ld bad: %s\n", line, st.msg);
            continue;
        }
        char *j = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
        buf_printf(&out, "%ld ok %s\n", line, j);
        free(j);
        json_decref(o);
    }
    order_import_close(im);
    return buf_take(&out);
}

static char *run_bytes(const char *s, size_t n)
{
    FILE *f = fmemopen((void *)s, n, "r");
    char *r = run(f);
    fclose(f);
    return r;
}

static char *run_text(const char *s)
{
    return run_bytes(s, strlen(s));
}

/* A seekable stream of s that fails with EIO (a disk or network file going bad) when a read
 * reaches byte fail_at for the (passes + 1)th time: CSV is read twice. */
struct failing {
    const char *s;
    size_t n, fail_at, at;
    int passes, hits;
};

static ssize_t failing_read(void *cookie, char *buf, size_t size)
{
    struct failing *fl = cookie;
    if (fl->at == fl->fail_at && fl->hits++ >= fl->passes) {
        errno = EIO;
        return -1;
    }
    size_t end = fl->at < fl->fail_at ? fl->fail_at : fl->n; /* a read stops at fail_at */
    size_t k = end - fl->at < size ? end - fl->at : size;
    memcpy(buf, fl->s + fl->at, k);
    fl->at += k;
    return (ssize_t)k;
}

static int failing_seek(void *cookie, off64_t *pos, int whence)
{
    struct failing *fl = cookie;
    off64_t to = whence == SEEK_SET ? *pos : whence == SEEK_CUR ? (off64_t)fl->at + *pos : -1;
    if (to < 0 || (size_t)to > fl->n) return -1;
    fl->at = (size_t)to;
    *pos = to;
    return 0;
}

/* Reads s, failing where it first has `at` (at its end when NULL), on pass `passes` + 1. */
static char *run_failing(const char *s, const char *at, int passes)
{
    struct failing fl = {s, strlen(s), at ? (size_t)(strstr(s, at) - s) : strlen(s), 0, passes};
    cookie_io_functions_t io = {.read = failing_read, .seek = failing_seek};
    FILE *f = fopencookie(&fl, "r", io);
    char *r = run(f);
    fclose(f);
    return r;
}

/* Every column is checked, and the whole order is refused, not just the cell dropped. */
TEST(order_import_csv_cells_must_be_utf8)
{
    char *out = run_text("order_number,total,created_at,email,status,variant_id\n"
                         "1001,10.00," AT ",jos\xe9@x.com,,A\n"
                         "1001,10.00," AT ",,,B\n"
                         "1002,5.00," AT ",,refund\xe9"
                         "d,A\n"
                         "1003,5.00," AT ",bo@x.com,,A\n");
    CHECK(out && strstr(out, "2 bad: email: not valid UTF-8 (order 1001 is not imported"));
    CHECK(out && strstr(out, "4 bad: status: not valid UTF-8 (order 1002 is not imported"));
    CHECK(out && strstr(out, "5 ok ") && strstr(out, "\"1003\""));
    CHECK(out && !strstr(out, "\"1001\"") && !strstr(out, "\"1002\""));
    free(out);
}

TEST(order_import_a_read_error_is_not_the_end)
{
    FILE *dir = fopen(".", "r");
    CHECK(dir != NULL);
    char *out = dir ? run(dir) : NULL;
    CHECK_STR(out, "open: cannot read: Is a directory\n");
    free(out);
    if (dir) fclose(dir);

    /* CSV: found by the first pass, before any order */
    const char *csv = "order_number,total,created_at,variant_id\n"
                      "1001,10.00," AT ",A\n"
                      "1002,5.00," AT ",B\n"
                      "1002,5.00," AT ",C\n";
    out = run_failing(csv, "1002,5.00," AT ",C", 0);
    CHECK_STR(out, "open: cannot read: Input/output error\n");
    free(out);
    /* by the second, in the middle of an order's rows: the order is not returned, cut short */
    out = run_failing(csv, "1002,5.00," AT ",C", 1);
    CHECK(out && strstr(out, "2 ok {") && strstr(out, "\"1001\""));
    CHECK(out && !strstr(out, "\"1002\""));
    CHECK(out && strstr(out, "fail: cannot read: Input/output error\n"));
    free(out);

    out = run_failing("{\"order_number\":\"1\",\"total\":\"1.00\",\"created_at\":\"" AT "\","
                      "\"items\":[{\"variant_id\":\"A\"}]}\n",
                      NULL, 0);
    CHECK(out && strstr(out, "1 ok {") && strstr(out, "fail: cannot read: Input/output error\n"));
    free(out);
    out = run_failing("", NULL, 0);
    CHECK_STR(out, "open: cannot read: Input/output error\n");
    free(out);
}

TEST(order_import_csv_rows_make_orders)
{
    char *out = run_text("\xef\xbb\xbforder_number,total,created_at,email,variant_id,quantity\r\n"
                         "1001,10.00," AT ",ada@example.com,A,2\r\n"
                         "1001,10.00," AT ",,\"B,\"\"1\"\"\",1\r\n"
                         "\r\n"
                         "1002,\"1,234.50\"," AT ",,C,x\r\n");
    CHECK_STR(out, "2 ok {\"created_at\":\"" AT "\",\"email\":\"ada@example.com\",\"items\":["
                   "{\"quantity\":2,\"variant_id\":\"A\"},{\"quantity\":1,\"variant_id\":"
                   "\"B,\\\"1\\\"\"}],\"order_number\":\"1001\",\"total\":\"10.00\"}\n"
                   "5 ok {\"created_at\":\"" AT "\",\"items\":[{\"quantity\":\"x\",\"variant_id\":"
                   "\"C\"}],\"order_number\":\"1002\",\"total\":\"1,234.50\"}\n");
    free(out);
}

/* What each row after the header is read as: the message of a malformed one, or a part of the
 * order read. Rows as bytes (sizeof), for the NUL ones. */
#define ROW(s) s, sizeof(s) - 1
static const struct {
    const char *row;
    size_t n;
    const char *want;
} strict_cases[] = {
    {ROW("1001,1,234.50," AT ",V1\n"), "2 bad: 5 cells, the header has 4 (order 1001 is not"},
    {ROW("1001,1.00," AT ",V1,\n"), "2 bad: 5 cells, the header has 4"},
    {ROW("1001,1.00," AT ",\"V1\"x\n"), "2 bad: variant_id: text after the closing quote (order"},
    {ROW("1001,1.00,\"" AT "\" ,V1\n"), "2 bad: created_at: text after the closing quote"},
    {ROW("1001,1.00," AT ",\"V1\"\r\r\n"), "2 bad: variant_id: text after the closing quote"},
    {ROW("1001,\"1.00\"\r," AT ",V1\n"), "2 bad: total: a CR after the closing quote"},
    {ROW("1001,1.00," AT ",V\0001\n"), "2 bad: variant_id: a NUL byte in a cell (order 1001"},
    {ROW("1001,1.00," AT ",\"V\0001\"\n"), "2 bad: variant_id: a NUL byte in a cell"},
    {ROW("1001,1.00," AT ",\"V1\n"), "2 bad: variant_id: a quoted field is not closed"},
    {ROW("1001,1.00," AT ",\"V1\"\r\n"), "\"variant_id\":\"V1\""},  /* CRLF after quotes */
    {ROW("1001,1.00," AT ",\"V1\""), "\"variant_id\":\"V1\""},      /* the input's end */
    {ROW("1001,1.00," AT ",V\"1\n"), "\"variant_id\":\"V\\\"1\""},  /* a stray quote is kept */
    {ROW("1001,1.00," AT ",\"V\r\"\n"), "\"variant_id\":\"V\\r\""}, /* a CR inside quotes too */
    {ROW("1001,1.00," AT "\n"), "2 ok "}, /* fewer cells: the rest are absent */
    {ROW("1001,1.00," AT ",jos\xe9\n"), "2 bad: variant_id: not valid UTF-8 (order 1001 is not"},
    {ROW("1001,1.00," AT ",\"\xc3\"\n"), "2 bad: variant_id: not valid UTF-8"},     /* cut short */
    {ROW("1001,1.00," AT ",\xed\xa0\x80\n"), "2 bad: variant_id: not valid UTF-8"}, /* U+D800 */
    {ROW("1001,1.00," AT ",Bl\xc3\xa5\n"), "\"variant_id\":\"Bl\xc3\xa5\""},        /* Blå */
};

TEST(order_import_csv_is_strict)
{
    for (size_t i = 0; i < sizeof(strict_cases) / sizeof(strict_cases[0]); i++) {
        struct buf in = BUF_INIT(0);
        buf_puts(&in, "order_number,total,created_at,variant_id\n");
        buf_append(&in, strict_cases[i].row, strict_cases[i].n);
        char *out = run_bytes(in.p, in.len);
        if (!out || !strstr(out, strict_cases[i].want)) {
            fprintf(stderr, "  case %zu: %s", i, out ? out : "(null)\n");
            test_failures++;
        }
        free(out);
        buf_free(&in);
    }
}

/* Empty rows as spreadsheets write them are blank lines: skipped, even inside an order's rows
 * and when wider than the header. */
TEST(order_import_csv_rows_of_empty_cells_are_skipped)
{
    char *out = run_text("order_number,total,created_at,variant_id\r\n"
                         ",,,\r\n"
                         "1001,10.00," AT ",A\r\n"
                         ",,,\r\n"
                         "\"\",,\"\",\r\n"
                         "1001,10.00," AT ",B\r\n"
                         ",,,,,,,,\r\n"
                         ",\r\n"
                         ",,,\r\n");
    CHECK_STR(out, "3 ok {\"created_at\":\"" AT "\",\"items\":[{\"variant_id\":\"A\"},"
                   "{\"variant_id\":\"B\"}],\"order_number\":\"1001\",\"total\":\"10.00\"}\n");
    free(out);
    out = run_text("order_number,total,created_at,variant_id\n , , , \n");
    CHECK(out && strstr(out, "2 ok {")); /* spaces are not empty: order_parse judges them */
    free(out);
}

/* A historic order is not dated at its import: created_at is required, in both formats. */
TEST(order_import_created_at_is_required)
{
    char *out = run_text("order_number,total,variant_id\n1001,10.00,A\n");
    CHECK_STR(out, "open: line 1: the header needs order_number, total and created_at\n");
    free(out);
    out = run_text("order_number,total,created_at,variant_id\n"
                   "1001,10.00,,A\n"
                   "1001,10.00," AT ",B\n" /* an order's fields are its first row's */
                   "1002,10.00," AT ",A\n");
    CHECK(out && strstr(out, "2 bad: created_at: required for an import (when the order was "
                             "placed, RFC 3339)\n4 ok {\"created_at\":\"" AT "\""));
    CHECK(out && !strstr(out, "\"1001\""));
    free(out);
    out =
        run_text("{\"order_number\":\"1\",\"total\":\"1.00\",\"items\":[{\"variant_id\":\"A\"}]}\n"
                 "{\"order_number\":\"2\",\"total\":\"1.00\",\"created_at\":null,\"items\":[]}\n"
                 "{\"order_number\":\"3\",\"total\":\"1.00\",\"created_at\":\"" AT "\"}\n"
                 "[1]\n");
    CHECK(out && strstr(out, "1 bad: created_at: required for an import"));
    CHECK(out && strstr(out, "2 bad: created_at: required for an import"));
    CHECK(out && strstr(out, "3 ok {\"created_at\":\"" AT "\",\"order_number\":\"3\""));
    CHECK(out && strstr(out, "4 ok [1]")); /* not an order at all: order_parse says so */
    free(out);
}

/* An order whose rows are not one after another is refused whole, once, at its first row, with
 * the lines where it starts again; the orders between are imported. */
TEST(order_import_csv_split_orders_are_refused_whole)
{
    char *out = run_text("order_number,total,created_at,variant_id\n"
                         "1001,10.00," AT ",A\n"
                         "1001,10.00," AT ",B\n"
                         "1002,5.00," AT ",A\n"
                         "1001,10.00," AT ",C\n"
                         "1003,5.00," AT ",A\n");
    CHECK_STR(out, "2 bad: order 1001 is not imported: its rows are not one after another (again "
                   "at line 5); put them together and import again\n"
                   "4 ok {\"created_at\":\"" AT "\",\"items\":[{\"variant_id\":\"A\"}],"
                   "\"order_number\":\"1002\",\"total\":\"5.00\"}\n"
                   "6 ok {\"created_at\":\"" AT "\",\"items\":[{\"variant_id\":\"A\"}],"
                   "\"order_number\":\"1003\",\"total\":\"5.00\"}\n");
    free(out);

    /* many blocks; a malformed row (still reported) and a blank one inside a block do not end
     * it; a row without a number does */
    out = run_text("order_number,total,created_at,variant_id\n"
                   "7,1.00," AT ",A\n"   /* 2 */
                   "8,1.00," AT ",A\n"   /* 3 */
                   "7,1.00," AT ",A\n"   /* 4 */
                   "8,1.00," AT ",A,x\n" /* 5: malformed */
                   ",,,\n"               /* 6: blank */
                   "8,1.00," AT ",B\n"   /* 7 */
                   "7,1.00," AT ",A\n"   /* 8 */
                   ",1.00," AT ",A\n"    /* 9: no number */
                   "7,1.00," AT ",A\n"   /* 10 */
                   "9,1.00," AT ",A\n"   /* 11 */
                   "7,1.00," AT ",A\n"   /* 12 */
                   "7,1.00," AT ",A\n"); /* 13 */
    CHECK(out && strstr(out, "2 bad: order 7 is not imported: its rows are not one after another "
                             "(again at lines 4, 8, 10 and 1 more); put them together"));
    CHECK(out && strstr(out, "3 bad: order 8 is not imported: its rows are not one after another "
                             "(again at line 5)"));
    CHECK(out && strstr(out, "9 ok {\"created_at\":\"" AT "\",\"items\":[{\"variant_id\":\"A\"}],"
                             "\"total\":\"1.00\"}")); /* order_parse will say: number required */
    CHECK(out && strstr(out, "\n11 ok {") && strstr(out, "\"order_number\":\"9\""));
    CHECK(out && !strstr(out, "\"order_number\":\"7\"") && !strstr(out, "\"order_number\":\"8\""));
    CHECK(out && !strstr(out, "\n4 ") && !strstr(out, "\n12 "));
    CHECK(out && strstr(out, "\n5 bad: 5 cells, the header has 4 (order 8 is not imported"));
    free(out);

    /* a malformed row of another order first reports the split of the order it is in */
    out = run_text("order_number,total,created_at,variant_id\n"
                   "1,1.00," AT ",A\n"
                   "2,1.00," AT ",\"A\"x\n"
                   "1,1.00," AT ",A\n"
                   "2,1.00," AT ",A\n");
    CHECK(out && strstr(out, "2 bad: order 1 is not imported: its rows are not one after another "
                             "(again at line 4)"));
    CHECK(out && strstr(out, "3 bad: order 2 is not imported: its rows are not one after another "
                             "(again at line 5)"));
    free(out);
}

/* A pipe cannot be read twice: it is copied to a temporary file first. */
TEST(order_import_csv_from_a_pipe)
{
    const char *csv = "order_number,total,created_at,variant_id\n"
                      "1001,10.00," AT ",A\n"
                      "1002,5.00," AT ",A\n"
                      "1001,10.00," AT ",C\n";
    int fd[2];
    CHECK_INT(pipe(fd), 0);
    CHECK_INT(write(fd[1], csv, strlen(csv)), (long long)strlen(csv)); /* within a pipe's buffer */
    close(fd[1]);
    FILE *f = fdopen(fd[0], "r");
    char *out = run(f);
    fclose(f);
    CHECK(out && strstr(out, "2 bad: order 1001 is not imported: its rows are not one after"));
    CHECK(out && strstr(out, "\n3 ok {") && strstr(out, "\"1002\"") && !strstr(out, "\"C\""));
    free(out);
}
