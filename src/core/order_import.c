/*
 * order_import — CSV and JSON-lines order feeds; contract in order_import.h.
 *
 * CSV is read twice (a pipe is first copied to a temporary file): pass 1 (find_splits) notes
 * every order number in a map, and which ones start more than one block of rows; pass 2
 * (next_csv) turns each block into an order, refusing the split ones whole. Both passes read
 * rows with read_row and group them by the same rules, so they agree on every block. Pass 1's
 * memory is the map's: about 30 to 60 bytes per distinct order number (strmap.h), so a file
 * of a million orders needs some 50 MiB however large its rows; numbers too long for
 * order_parse are not kept.
 */
#include "core/order_import.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "core/order.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/strmap.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define MAX_COLS    32
#define MAX_FIELD   (64 * 1024)
#define MAX_LINE    (1024 * 1024)
#define NUMBER_MAX  255 /* order_parse's longest order_number: a longer one is refused there */
#define SPLIT_LINES 3   /* the lines named in a split order's report */

enum col {
    C_ORDER_NUMBER,
    C_TOTAL,
    C_CURRENCY,
    C_CREATED_AT,
    C_EMAIL,
    C_PHONE,
    C_CUSTOMER_ID,
    C_TRACKING_USER_ID,
    C_CART_TOKEN,
    C_TEST,
    C_STATUS,
    C_REFUNDED,
    C_VARIANT_ID, /* the item's columns from here on */
    C_PRODUCT_NUMBER,
    C_URL,
    C_QUANTITY,
    C_PRICE,
    C_COUNT
};

static const char *const col_names[C_COUNT] = {
    "order_number", "total",       "currency",         "created_at",     "email",
    "phone",        "customer_id", "tracking_user_id", "cart_token",     "test",
    "status",       "refunded",    "variant_id",       "product_number", "url",
    "quantity",     "price"};

struct row {
    char *f[MAX_COLS];
    int n;
    long line;
};

/* An order whose rows come in more than one block (other orders' rows between them). */
struct split {
    long at[SPLIT_LINES]; /* the lines where its second, third ... blocks start */
    long blocks;          /* its blocks after the first */
    int reported;
};

struct order_import {
    FILE *f;
    FILE *spool;   /* CSV from a pipe: its rows, copied to a temporary file that f reads */
    off_t rows_at; /* CSV: where the rows start in f, for pass 2 */
    int csv;
    long line;          /* lines read so far */
    int cols[MAX_COLS]; /* CSV: the column of each header position */
    int ncols;
    struct row pending; /* CSV: a row read ahead (n > 0) */
    int eof;
    struct rs_status err; /* CSV: a bad row met while reading an order, reported next */
    long err_line;
    char *skip; /* CSV: the order number of a rejected order, whose other rows are skipped */
    struct rs_status fail;  /* a read error (fail.err set): every later call returns -2 with it */
    struct strmap *numbers; /* CSV: every order number, valued -1, or 1 + its index in splits */
    struct split *splits;
    int nsplits, splits_cap;
};

static void row_free(struct row *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->f[i]);
    r->n = 0;
}

/* Notes that the input cannot be read (errno err): -2 with st (and every later call) saying so. */
static int read_failed(struct order_import *im, int err, struct rs_status *st)
{
    if (!im->fail.err) rs_fail(&im->fail, RS_EINTERNAL, "cannot read: %s", strerror(err));
    *st = im->fail;
    return -2;
}

/* A CSV record being read (read_row). A cell is quoted only when its first byte is a quote;
 * a quote inside an unquoted cell is kept as a character (V"1 is the text V"1), a doubled one
 * inside a quoted cell is one quote. After a quoted cell's closing quote only its end may come
 * (a comma, the line's end, CRLF's CR). */
struct record {
    struct order_import *im;
    struct row *r;
    struct buf cell;
    int quoted; /* inside a quoted cell */
    int closed; /* the cell's closing quote was read */
    int cr;     /* a CR after the closing quote: only the line's end may follow */
    int ncells; /* cells read, stored or not */
    int text;   /* a cell is not empty */
    int bad;    /* a fault was met (st says which: the first) */
    struct rs_status *st;
};

/* The column the cell being read is under; NULL for the header row or past its columns. */
static const char *column(const struct record *rec)
{
    const struct order_import *im = rec->im;
    return rec->ncells < im->ncols ? col_names[im->cols[rec->ncells]] : NULL;
}

/* Notes a fault of the record, under the current cell's column when known: the first one met is
 * the one reported. */
static void fault(struct record *rec, const char *what)
{
    const char *col = column(rec);
    if (!rec->bad && col) rs_fail(rec->st, RS_EINVAL, "%s: %s", col, what);
    if (!rec->bad && !col) rs_fail(rec->st, RS_EINVAL, "%s", what);
    rec->bad = 1;
}

/* Ends the cell read so far (eol: the record ends with it) and stores it in the row. A cell
 * that cannot be kept as it is (too long, a NUL byte) is stored empty, so the next cells keep
 * their columns. A cell under a column must be UTF-8, as JSON strings are. */
static void end_cell(struct record *rec, int eol)
{
    struct buf *b = &rec->cell;
    int keep = 1;
    if (eol && !rec->closed && b->len && b->p[b->len - 1] == '\r') b->len--; /* CRLF */
    if (rec->cr && !eol) fault(rec, "a CR after the closing quote");
    if (b->toobig) {
        char why[64];
        snprintf(why, sizeof(why), "a field longer than %d bytes", MAX_FIELD);
        fault(rec, why);
        keep = 0;
    } else if (b->len && memchr(b->p, '\0', b->len)) {
        fault(rec, "a NUL byte in a cell");
        keep = 0;
    } else if (column(rec) && !utf8_valid(b->p, b->len)) { /* kept: it may be the order number */
        fault(rec, "not valid UTF-8");
    }
    if (rec->ncells < MAX_COLS)
        rec->r->f[rec->r->n++] = keep && b->len ? xstrndup(b->p, b->len) : xstrdup("");
    rec->text |= b->len > 0;
    rec->ncells++;
    b->len = 0;
    b->toobig = 0;
    rec->closed = rec->cr = 0;
}

/* One byte inside a quoted cell; 1 when the record ends (the input does, unclosed). */
static int quoted_byte(struct record *rec, int c)
{
    if (c == EOF) {
        fault(rec, "a quoted field is not closed");
        return 1;
    }
    if (c == '"') {
        int d = getc(rec->im->f);
        if (d == '"') { /* a doubled quote: one quote of the text */
            buf_append(&rec->cell, "\"", 1);
            return 0;
        }
        rec->quoted = 0;
        rec->closed = 1;
        if (d != EOF) ungetc(d, rec->im->f);
        return 0;
    }
    buf_append(&rec->cell, (char *)&c, 1);
    return 0;
}

/* One byte of an unquoted cell, or after a quoted cell's closing quote. */
static void plain_byte(struct record *rec, int c)
{
    if (rec->closed) {
        if (c == '\r' && !rec->cr) {
            rec->cr = 1;
            return;
        }
        fault(rec, "text after the closing quote");
        rec->closed = rec->cr = 0; /* read on as if unquoted, to find the record's end */
    } else if (c == '"' && rec->cell.len == 0) {
        rec->quoted = 1;
        return;
    }
    buf_append(&rec->cell, (char *)&c, 1);
}

/* The row's order number as order_parse will spell it (order_number_norm), so rows spelt
 * "#1001" and "1001" group as one order. */
static void respell_number(const struct order_import *im, struct row *r)
{
    for (int i = 0; i < im->ncols && i < r->n; i++) {
        if (im->cols[i] != C_ORDER_NUMBER) continue;
        size_t n;
        const char *s = order_number_trim(r->f[i], &n);
        memmove(r->f[i], s, n);
        r->f[i][n] = '\0';
    }
}

/* Reads one CSV record: 1, 0 at the end, -1 when malformed (st says why; the record is still
 * read to its end and the cells before the fault kept in r, for its order number), -2 when the
 * input cannot be read. A data row with more cells than the header is malformed, unless they are
 * all empty (a blank row). */
static int read_row(struct order_import *im, struct row *r, struct rs_status *st)
{
    struct record rec = {.im = im, .r = r, .cell = BUF_INIT(MAX_FIELD), .st = st};
    int c, any = 0;
    r->n = 0;
    r->line = im->line + 1;
    for (;;) {
        c = getc(im->f);
        if (c == EOF && ferror(im->f)) {
            buf_free(&rec.cell);
            row_free(r);
            return read_failed(im, errno, st);
        }
        if (c == EOF && !any) {
            buf_free(&rec.cell);
            return 0;
        }
        any = 1;
        if (c == '\n') im->line++;
        if (rec.quoted) {
            if (quoted_byte(&rec, c)) break;
        } else if (c == ',' || c == '\n' || c == EOF) {
            end_cell(&rec, c != ',');
            if (c != ',') break;
        } else {
            plain_byte(&rec, c);
        }
    }
    buf_free(&rec.cell);
    respell_number(im, r);
    if (im->ncols && rec.ncells > im->ncols && rec.text) { /* first: the cells are shifted */
        rs_fail(st, RS_EINVAL, "%d cells, the header has %d", rec.ncells, im->ncols);
        rec.bad = 1;
    } else if (!im->ncols && rec.ncells > MAX_COLS) {
        rs_fail(st, RS_EINVAL, "more than %d columns", MAX_COLS);
        rec.bad = 1;
    }
    return rec.bad ? -1 : 1;
}

/* A row of empty cells only: a blank line, or one like ",,," that spreadsheets write for an
 * empty row. It is skipped, and does not end the order around it. */
static int blank(const struct row *r)
{
    for (int i = 0; i < r->n; i++)
        if (r->f[i][0]) return 0;
    return 1;
}

static int read_header(struct order_import *im, struct rs_status *st)
{
    struct row h;
    int rc = read_row(im, &h, st);
    if (rc == -2) return RS_EINTERNAL;
    if (rc <= 0) {
        row_free(&h);
        char why[sizeof(st->msg)];
        snprintf(why, sizeof(why), "%s", rc ? st->msg : "no header row");
        return rs_fail(st, RS_EINVAL, "line 1: %s", why);
    }
    for (int i = 0; i < h.n; i++) {
        int k = 0;
        while (k < C_COUNT && strcmp(h.f[i], col_names[k]) != 0)
            k++;
        if (k == C_COUNT) {
            rs_fail(st, RS_EINVAL, "line 1: unknown column \"%.64s\"", h.f[i]);
            row_free(&h);
            return RS_EINVAL;
        }
        im->cols[i] = k;
    }
    im->ncols = h.n;
    row_free(&h);
    int seen[C_COUNT] = {0};
    for (int i = 0; i < im->ncols; i++)
        if (seen[im->cols[i]]++)
            return rs_fail(st, RS_EINVAL, "line 1: column %s twice", col_names[im->cols[i]]);
    if (!seen[C_ORDER_NUMBER] || !seen[C_TOTAL] || !seen[C_CREATED_AT])
        return rs_fail(st, RS_EINVAL,
                       "line 1: the header needs order_number, total and created_at");
    return RS_OK;
}

static int next_json(struct order_import *im, json_t **out, long *line, struct rs_status *st)
{
    char *l = NULL;
    size_t cap = 0;
    ssize_t n;
    for (;;) {
        n = getline(&l, &cap, im->f);
        if (n < 0) {
            int err = errno;
            free(l);
            return ferror(im->f) ? read_failed(im, err, st) : 0;
        }
        *line = ++im->line;
        while (n && (l[n - 1] == '\n' || l[n - 1] == '\r' || l[n - 1] == ' '))
            n--;
        if (n) break;
    }
    int rc = 1;
    if (n > MAX_LINE) {
        rs_fail(st, RS_EINVAL, "longer than %d bytes", MAX_LINE);
        rc = -1;
    } else if (!(*out = json_parse_strict(l, (size_t)n, st))) {
        rc = -1;
    }
    free(l);
    return rc;
}

static const char *cell(const struct order_import *im, const struct row *r, enum col k)
{
    for (int i = 0; i < im->ncols && i < r->n; i++)
        if (im->cols[i] == (int)k) return r->f[i][0] ? r->f[i] : NULL;
    return NULL;
}

static json_t *item_of(const struct order_import *im, const struct row *r)
{
    json_t *it = json_object();
    for (int k = C_VARIANT_ID; k < C_COUNT; k++) {
        const char *v = cell(im, r, (enum col)k);
        if (!v) continue;
        char *end;
        long long q = k == C_QUANTITY ? strtoll(v, &end, 10) : 0;
        if (k == C_QUANTITY && *v && !*end)
            json_object_set_new(it, "quantity", json_integer(q));
        else
            json_object_set_new(it, col_names[k], json_string(v));
    }
    return it;
}

static json_t *order_of(const struct order_import *im, const struct row *r)
{
    json_t *o = json_object();
    for (int k = 0; k < C_VARIANT_ID; k++) {
        const char *v = cell(im, r, (enum col)k);
        if (!v) continue;
        if (k == C_TEST)
            json_object_set_new(o, "test",
                                strcmp(v, "true") == 0 || strcmp(v, "1") == 0    ? json_true()
                                : strcmp(v, "false") == 0 || strcmp(v, "0") == 0 ? json_false()
                                                                                 : json_string(v));
        else
            json_object_set_new(o, col_names[k], json_string(v));
    }
    json_object_set_new(o, "items", json_array());
    return o;
}

static int same_order(const struct order_import *im, const struct row *a, const struct row *b)
{
    const char *x = cell(im, a, C_ORDER_NUMBER), *y = cell(im, b, C_ORDER_NUMBER);
    return x && y && strcmp(x, y) == 0;
}

/* Skips the rows of order n from here on (NULL: none). */
static void skip_order(struct order_import *im, const char *n)
{
    char *keep = n ? xstrdup(n) : NULL; /* n may be im->skip itself */
    free(im->skip);
    im->skip = keep;
}

/* Rejects the order numbered `number` (NULL: unknown) for a bad row whose fault is in st: st
 * gets the order named too, and the order's other rows are skipped from here on. */
static void reject(struct order_import *im, const char *number, struct rs_status *st)
{
    char why[sizeof(st->msg)];
    snprintf(why, sizeof(why), "%s", st->msg);
    if (number)
        rs_fail(st, RS_EINVAL, "%s (order %.64s is not imported: mend the row and import again)",
                why, number);
    skip_order(im, number);
}

/* ---- pass 1: orders whose rows are not one after another ---------------------------------- */

/* Pass 1 met a block of rows of order n, starting at line. */
static void note_block(struct order_import *im, const char *n, long line)
{
    size_t len = strlen(n);
    if (len > NUMBER_MAX) return; /* refused by order_parse, whatever its rows */
    int *v = strmap_get(im->numbers, n, len, 1);
    if (*v == 0) { /* its first block */
        *v = -1;
        return;
    }
    if (*v < 0) {
        if (im->nsplits == im->splits_cap) {
            im->splits_cap = im->splits_cap ? 2 * im->splits_cap : 16;
            im->splits = xrealloc(im->splits, (size_t)im->splits_cap * sizeof(*im->splits));
        }
        im->splits[im->nsplits] = (struct split){0};
        *v = ++im->nsplits;
    }
    struct split *sp = &im->splits[*v - 1];
    if (sp->blocks < SPLIT_LINES) sp->at[sp->blocks] = line;
    sp->blocks++;
}

/* Pass 1: reads every row once, noting each order number and the ones that start more than one
 * block, then goes back to the first row. Rows are grouped as pass 2 groups them: a blank row
 * is skipped, a malformed row whose number cannot be read stays in the block it is in, and any
 * other row without a number ends the block. */
static int find_splits(struct order_import *im, struct rs_status *st)
{
    long line = im->line;
    char *last = NULL; /* the number of the block being read */
    int rc;
    im->numbers = strmap_new();
    for (;;) {
        struct row r;
        struct rs_status fault = {0}; /* a malformed row is reported by pass 2 */
        rc = read_row(im, &r, &fault);
        if (rc == 0 || rc == -2) break;
        const char *n = cell(im, &r, C_ORDER_NUMBER);
        if (n && (!last || strcmp(n, last) != 0)) {
            note_block(im, n, r.line);
            free(last);
            last = xstrdup(n);
        } else if (!n && rc > 0 && !blank(&r)) {
            free(last);
            last = NULL;
        }
        row_free(&r);
    }
    free(last);
    if (rc == 0 && fseeko(im->f, im->rows_at, SEEK_SET) != 0) rc = read_failed(im, errno, st);
    if (rc == -2) {
        *st = im->fail;
        return RS_EINTERNAL;
    }
    im->line = line;
    return RS_OK;
}

/* The rows are read twice: input that cannot seek back (a pipe) is first copied to a temporary
 * file, which is read in its place from here on. */
static int rewindable(struct order_import *im, struct rs_status *st)
{
    im->rows_at = ftello(im->f);
    if (im->rows_at >= 0 && fseeko(im->f, im->rows_at, SEEK_SET) == 0) return RS_OK;
    if (!(im->spool = tmpfile()))
        return rs_fail(st, RS_EINTERNAL, "cannot create a temporary file: %s", strerror(errno));
    char chunk[16384];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), im->f)) > 0)
        if (fwrite(chunk, 1, n, im->spool) != n) break;
    if (ferror(im->f)) {
        read_failed(im, errno, st);
        return RS_EINTERNAL;
    }
    if (ferror(im->spool) || fflush(im->spool) != 0 || fseeko(im->spool, 0, SEEK_SET) != 0)
        return rs_fail(st, RS_EINTERNAL, "cannot copy the input to a temporary file: %s",
                       strerror(errno));
    im->f = im->spool;
    im->rows_at = 0;
    return RS_OK;
}

/* The split record of order n, NULL when its rows are one after another (or n is NULL). */
static struct split *split_of(const struct order_import *im, const char *n)
{
    int *v = n && im->numbers ? strmap_get(im->numbers, n, strlen(n), 0) : NULL;
    return v && *v > 0 ? &im->splits[*v - 1] : NULL;
}

/* 1 when order n's rows are not one after another and this is the first of them met: st says
 * so, naming where its other blocks start, and its rows are skipped from here on (pass 2). */
static int split_fault(struct order_import *im, const char *n, struct rs_status *st)
{
    struct split *sp = split_of(im, n);
    if (!sp || sp->reported) return 0;
    sp->reported = 1;
    struct buf at = BUF_INIT(0);
    long shown = sp->blocks < SPLIT_LINES ? sp->blocks : SPLIT_LINES;
    for (long i = 0; i < shown; i++)
        buf_printf(&at, "%s%ld", !i ? "" : i + 1 == sp->blocks ? " and " : ", ", sp->at[i]);
    if (sp->blocks > shown) buf_printf(&at, " and %ld more", sp->blocks - shown);
    rs_fail(st, RS_EINVAL,
            "order %.64s is not imported: its rows are not one after another (again at line%s "
            "%s); put them together and import again",
            n, sp->blocks > 1 ? "s" : "", at.p);
    buf_free(&at);
    skip_order(im, n);
    return 1;
}

struct order_import *order_import_open(FILE *f, struct rs_status *st)
{
    struct order_import *im = xcalloc(1, sizeof(*im));
    im->f = f;
    int c = getc(f);
    if (c == 0xEF && (getc(f) != 0xBB || getc(f) != 0xBF) && !ferror(f)) { /* a BOM only */
        rs_fail(st, RS_EINVAL, "line 1: neither a CSV header nor a JSON line");
        order_import_close(im);
        return NULL;
    }
    if (c != 0xEF) ungetc(c, f);
    while ((c = getc(f)) == ' ' || c == '\t' || c == '\r' || c == '\n')
        if (c == '\n') im->line++;
    if (ferror(f)) {
        read_failed(im, errno, st);
        order_import_close(im);
        return NULL;
    }
    if (c != EOF) ungetc(c, f);
    im->csv = c != '{' && c != EOF;
    if (im->csv && (read_header(im, st) || rewindable(im, st) || find_splits(im, st))) {
        order_import_close(im);
        return NULL;
    }
    return im;
}

void order_import_close(struct order_import *im)
{
    if (!im) return;
    row_free(&im->pending);
    free(im->skip);
    strmap_free(im->numbers);
    free(im->splits);
    if (im->spool) fclose(im->spool);
    free(im);
}

/* ---- pass 2: rows to orders -------------------------------------------------------------- */

/* Rows of a rejected or split order are skipped. */
static int skipped(const struct order_import *im, const struct row *r)
{
    const char *n = cell(im, r, C_ORDER_NUMBER);
    return n && ((im->skip && strcmp(n, im->skip) == 0) || split_of(im, n));
}

/* Finds the row that starts the next order into *first (which may hold the row read ahead): 1;
 * 0 at the end; -1 for a bad record (st, *line); -2 on a read error. */
static int first_row(struct order_import *im, struct row *first, long *line, struct rs_status *st)
{
    for (;;) {
        int rc = first->n ? 1 : im->eof ? 0 : read_row(im, first, st);
        if (rc == 0) {
            im->eof = 1;
            return 0;
        }
        if (rc == -2) return -2;
        const char *n = cell(im, first, C_ORDER_NUMBER);
        *line = first->line;
        if (split_fault(im, n, st)) {
            row_free(first);
            return -1;
        }
        if (rc < 0) { /* a row whose number cannot be read is of the order being skipped */
            reject(im, n ? n : im->skip, st);
            row_free(first);
            return -1;
        }
        if (!blank(first) && !skipped(im, first)) break;
        if (!blank(first)) skip_order(im, n); /* so when it is a split one's, for the line above */
        row_free(first);
    }
    skip_order(im, NULL);
    return 1;
}

/* Reads the rest of the order whose first row is first into o's items, up to the first row of
 * another order (kept as pending): 1; -1 when one of its rows is malformed, which rejects it
 * (st, *line); -2 on a read error. A malformed row of the next order is reported next. */
static int rest_rows(struct order_import *im, const struct row *first, json_t *o, long *line,
                     struct rs_status *st)
{
    for (;;) {
        struct row r;
        int rc = im->eof ? 0 : read_row(im, &r, st);
        if (rc == 0) {
            im->eof = 1;
            return 1;
        }
        if (rc == -2) return -2;
        const char *n = cell(im, &r, C_ORDER_NUMBER);
        if (rc < 0 && (!n || same_order(im, first, &r))) { /* a row of this order (or of none
                                                               known): the order is rejected */
            *line = r.line;
            reject(im, cell(im, first, C_ORDER_NUMBER), st);
            row_free(&r);
            return -1;
        }
        if (rc < 0) { /* the next order's: this one is whole; the bad row is reported next */
            im->err = *st;
            im->err_line = r.line;
            if (!split_fault(im, n, &im->err)) reject(im, n, &im->err);
            row_free(&r);
            return 1;
        }
        if (!blank(&r) && !same_order(im, first, &r)) {
            im->pending = r;
            return 1;
        }
        if (!blank(&r)) json_array_append_new(json_object_get(o, "items"), item_of(im, &r));
        row_free(&r);
    }
}

static int next_csv(struct order_import *im, json_t **out, long *line, struct rs_status *st)
{
    if (im->err.err) {
        *st = im->err;
        *line = im->err_line;
        im->err.err = 0;
        return -1;
    }
    struct row first = im->pending;
    im->pending.n = 0;
    int rc = first_row(im, &first, line, st);
    if (rc <= 0) return rc;
    json_t *o = order_of(im, &first);
    json_array_append_new(json_object_get(o, "items"), item_of(im, &first));
    rc = rest_rows(im, &first, o, line, st); /* -2: the order may be cut short, so not returned */
    row_free(&first);
    if (rc > 0)
        *out = o;
    else
        json_decref(o);
    return rc;
}

/* A historic order must say when it was placed: order_parse's default, now, would date it at
 * the import and attribute it to this week's notifications. */
static int dated(const json_t *o, struct rs_status *st)
{
    const json_t *at = json_is_object(o) ? json_object_get(o, "created_at") : NULL;
    if (json_is_object(o) && (!at || json_is_null(at)))
        return rs_fail(st, RS_EINVAL,
                       "created_at: required for an import (when the order was "
                       "placed, RFC 3339)");
    return RS_OK;
}

int order_import_next(struct order_import *im, json_t **out, long *line, struct rs_status *st)
{
    *out = NULL;
    if (im->fail.err) {
        *st = im->fail;
        return -2;
    }
    int rc = im->csv ? next_csv(im, out, line, st) : next_json(im, out, line, st);
    if (rc > 0 && dated(*out, st)) {
        json_decref(*out);
        *out = NULL;
        rc = -1;
    }
    return rc;
}
