/*
 * feed — XML product feeds; contract in feed.h.
 *
 * The reader walks the document once. Outside an item nothing is kept; inside one, each child
 * element's text is read (bounded) into the item being built, in a per-batch arena. At the
 * item's end it is checked and either appended to the batch or reported. A full batch is handed
 * to the batch function and its arena freed, so memory is one batch plus libxml2's window.
 */
#include "ingest/feed.h"

#include <ctype.h>
#include <errno.h>
#include <libxml/xmlreader.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#include "util/money.h"
#include "util/timeutil.h"

#define G_NS     "http://base.google.com/ns/1.0"
#define ATOM_NS  "http://www.w3.org/2005/Atom"
#define MAX_ID   255
#define MAX_TEXT 2048

enum field {
    F_ID,
    F_GROUP,
    F_TITLE,
    F_LINK,
    F_IMAGE,
    F_PRICE,
    F_SALE,
    F_AVAIL,
    F_QTY,
    F_TYPE,
    F_MPN,
    F_PLAIN_TITLE,
    F_PLAIN_LINK,
    F_COUNT
};

static const struct {
    const char *name;
    int g; /* in the g: namespace */
    size_t max;
} fields[F_COUNT] = {
    [F_ID] = {"id", 1, MAX_ID},
    [F_GROUP] = {"item_group_id", 1, MAX_ID},
    [F_TITLE] = {"title", 1, MAX_TEXT},
    [F_LINK] = {"link", 1, MAX_TEXT},
    [F_IMAGE] = {"image_link", 1, MAX_TEXT},
    [F_PRICE] = {"price", 1, 64},
    [F_SALE] = {"sale_price", 1, 64},
    [F_AVAIL] = {"availability", 1, 64},
    [F_QTY] = {"quantity", 1, 32},
    [F_TYPE] = {"product_type", 1, MAX_TEXT},
    [F_MPN] = {"mpn", 1, MAX_ID},
    [F_PLAIN_TITLE] = {"title", 0, MAX_TEXT},
    [F_PLAIN_LINK] = {"link", 0, MAX_TEXT},
};

struct parser {
    xmlTextReaderPtr r;
    const struct feed_opts *o;
    feed_batch_fn batch_fn;
    feed_report_fn report;
    void *arg;
    struct feed_stats *stats;
    struct arena *a;
    struct variant_in *items;
    size_t n, cap;
    /* the item being read */
    int in_item, item_depth;
    long line;
    const char *val[F_COUNT];
    char err[160];
    /* a fatal XML error */
    char xml_err[200];
};

static void xml_error(void *arg, const char *msg, xmlParserSeverities sev,
                      xmlTextReaderLocatorPtr loc)
{
    struct parser *p = arg;
    if (sev != XML_PARSER_SEVERITY_ERROR && sev != XML_PARSER_SEVERITY_VALIDITY_ERROR) return;
    if (p->xml_err[0]) return;
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    snprintf(p->xml_err, sizeof(p->xml_err), "line %d: %.*s", xmlTextReaderLocatorLineNumber(loc),
             (int)n, msg);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* "19.90 EUR" or "EUR 19.90" → minor units and currency. -1 when malformed. */
static int parse_price(const char *s, int64_t *out, char cur[4])
{
    const char *sp = strchr(s, ' ');
    if (!sp) return -1;
    const char *num = s, *code = sp + 1;
    size_t nlen = (size_t)(sp - s);
    if (isalpha((unsigned char)s[0])) {
        code = s;
        num = sp + 1;
        nlen = strlen(num);
        if (sp - s != 3) return -1;
    } else if (strlen(code) != 3) {
        return -1;
    }
    for (int i = 0; i < 3; i++)
        cur[i] = (char)toupper((unsigned char)code[i]);
    cur[3] = '\0';
    int exp = currency_exponent(cur);
    if (exp < 0) return -1;
    return money_parse(num, nlen, exp, out) || *out < 0 ? -1 : 0;
}

static int item_fail(struct parser *p, const char *fmt, const char *what)
{
    if (!p->err[0]) snprintf(p->err, sizeof(p->err), fmt, what);
    return -1;
}

/* Builds the variant of the item just read; -1 with p->err set when it is bad. */
static int build(struct parser *p, struct variant_in *in)
{
    const char *const *v = p->val;
    memset(in, 0, sizeof(*in));
    struct variant *x = &in->v;
    if (!v[F_ID] || !*v[F_ID]) return item_fail(p, "%s: required", "g:id");
    x->variant_id = v[F_ID];
    x->price = x->original_price = -1;
    const struct {
        enum field f, alt;
        unsigned bit;
        const char **dst;
    } texts[] = {
        {F_GROUP, F_GROUP, VF_PRODUCT_ID, &x->product_id},
        {F_TITLE, F_PLAIN_TITLE, VF_TITLE, &x->title},
        {F_LINK, F_PLAIN_LINK, VF_URL, &x->url},
        {F_IMAGE, F_IMAGE, VF_IMAGE_URL, &x->image_url},
        {F_TYPE, F_TYPE, VF_CATEGORY, &x->category},
        {F_MPN, F_MPN, VF_PRODUCT_NUMBER, &x->product_number},
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        const char *s = v[texts[i].f] ? v[texts[i].f] : v[texts[i].alt];
        if (!s || !*s) continue;
        *texts[i].dst = s;
        in->has |= texts[i].bit;
    }
    if ((x->url && strncmp(x->url, "https://", 8) && strncmp(x->url, "http://", 7)))
        return item_fail(p, "%s: must be an http(s) URL", "g:link");
    if ((x->image_url && strncmp(x->image_url, "https://", 8) &&
         strncmp(x->image_url, "http://", 7)))
        return item_fail(p, "%s: must be an http(s) URL", "g:image_link");
    char cur[4], cur2[4];
    if (v[F_PRICE]) {
        if (parse_price(v[F_PRICE], &x->price, cur))
            return item_fail(p, "%s: must be an amount and a currency, like \"19.90 EUR\"",
                             "g:price");
        x->currency = arena_strdup(p->a, cur);
        in->has |= VF_PRICE | VF_ORIGINAL_PRICE | VF_CURRENCY;
        if (v[F_SALE]) {
            int64_t sale;
            if (parse_price(v[F_SALE], &sale, cur2) || strcmp(cur, cur2))
                return item_fail(p, "%s: must be an amount in g:price's currency", "g:sale_price");
            x->original_price = x->price;
            x->price = sale;
        }
    }
    int64_t qty = -1;
    if (v[F_QTY]) {
        char *end;
        long long q = strtoll(v[F_QTY], &end, 10);
        if (!*v[F_QTY] || *end || q < 0 || q > 1000000000)
            return item_fail(p, "%s: must be an integer from 0 to 1000000000", "g:quantity");
        qty = q;
    }
    const char *av = v[F_AVAIL];
    if (!av) {
        if (qty < 0) return item_fail(p, "%s: required", "g:availability");
        x->available = qty;
    } else if (strcasecmp(av, "in stock") == 0 || strcasecmp(av, "in_stock") == 0) {
        x->available = qty >= 0 ? qty : p->o->in_stock_default;
    } else if (strcasecmp(av, "out of stock") == 0 || strcasecmp(av, "out_of_stock") == 0 ||
               strcasecmp(av, "preorder") == 0 || strcasecmp(av, "backorder") == 0) {
        x->available = 0;
    } else {
        return item_fail(p, "%s: must be in stock, out of stock, preorder or backorder",
                         "g:availability");
    }
    in->has |= VF_AVAILABLE;
    return 0;
}

static int flush(struct parser *p, struct rs_status *st)
{
    if (!p->n) return RS_OK;
    p->stats->batches++;
    int rc = p->batch_fn(p->arg, p->items, p->n, &p->a, st);
    arena_free(p->a); /* NULL when the batch function took it */
    p->a = arena_new();
    p->items = arena_alloc(p->a, p->cap * sizeof(*p->items));
    p->n = 0;
    return rc;
}

static int item_end(struct parser *p, struct rs_status *st)
{
    p->in_item = 0;
    struct variant_in *in = &p->items[p->n];
    if (!p->err[0] && build(p, in) == 0) {
        p->n++;
        p->stats->items++;
        return p->n == p->cap ? flush(p, st) : RS_OK;
    }
    p->stats->bad++;
    if (p->report) p->report(p->arg, p->line, p->err);
    return RS_OK;
}

static void item_start(struct parser *p, int depth)
{
    p->in_item = 1;
    p->item_depth = depth;
    xmlNodePtr node = xmlTextReaderCurrentNode(p->r);
    p->line = node ? xmlGetLineNo(node) : xmlTextReaderGetParserLineNumber(p->r);
    p->err[0] = '\0';
    memset(p->val, 0, sizeof(p->val));
}

/* A child element of the item: its text (or an Atom link's href) into p->val. */
static void item_field(struct parser *p, const char *local, const char *ns)
{
    int g = ns && strcmp(ns, G_NS) == 0;
    if (!g && ns && strcmp(ns, ATOM_NS) != 0) return;
    for (int f = 0; f < F_COUNT; f++) {
        if (fields[f].g != g || strcmp(fields[f].name, local) != 0) continue;
        if (p->val[f]) return; /* the first wins */
        xmlChar *t = NULL;
        if (f == F_PLAIN_LINK && ns) t = xmlTextReaderGetAttribute(p->r, BAD_CAST "href");
        if (!t) t = xmlTextReaderReadString(p->r);
        if (!t) return;
        char *s = trim((char *)t);
        if (strlen(s) > fields[f].max) {
            if (!p->err[0])
                snprintf(p->err, sizeof(p->err), "%s%s: longer than %zu bytes", g ? "g:" : "",
                         fields[f].name, fields[f].max);
        } else {
            p->val[f] = arena_strdup(p->a, s);
        }
        xmlFree(t);
        return;
    }
}

static int walk(struct parser *p, struct rs_status *st)
{
    int ret, rc = RS_OK;
    while (!rc && (ret = xmlTextReaderRead(p->r)) == 1) {
        int type = xmlTextReaderNodeType(p->r), depth = xmlTextReaderDepth(p->r);
        const char *local = (const char *)xmlTextReaderConstLocalName(p->r);
        const char *ns = (const char *)xmlTextReaderConstNamespaceUri(p->r);
        if (type == XML_READER_TYPE_ELEMENT) {
            if (!p->in_item) {
                int item = (strcmp(local, "item") == 0 && !ns) ||
                           (strcmp(local, "entry") == 0 && ns && strcmp(ns, ATOM_NS) == 0);
                if (!item) continue;
                item_start(p, depth);
                if (xmlTextReaderIsEmptyElement(p->r)) rc = item_end(p, st);
            } else if (depth == p->item_depth + 1) {
                item_field(p, local, ns);
            }
        } else if (type == XML_READER_TYPE_END_ELEMENT && p->in_item && depth == p->item_depth) {
            rc = item_end(p, st);
        }
    }
    if (rc) return rc;
    if ((rc = flush(p, st))) return rc; /* the items read before an XML error are applied */
    if (ret < 0 || p->xml_err[0])
        return rs_fail(st, RS_EINVAL, "%s", p->xml_err[0] ? p->xml_err : "the XML is malformed");
    return RS_OK;
}

static int parse(xmlTextReaderPtr r, const struct feed_opts *o, feed_batch_fn batch_fn,
                 feed_report_fn report, void *arg, struct feed_stats *stats, struct rs_status *st)
{
    static const struct feed_opts defaults = {.in_stock_default = 1, .batch = 1000};
    if (!o) o = &defaults;
    if (!r) return rs_fail(st, RS_EINVAL, "the feed cannot be read");
    struct parser p = {.r = r,
                       .o = o,
                       .batch_fn = batch_fn,
                       .report = report,
                       .arg = arg,
                       .stats = stats,
                       .cap = o->batch ? o->batch : 1000};
    memset(stats, 0, sizeof(*stats));
    p.a = arena_new();
    p.items = arena_alloc(p.a, p.cap * sizeof(*p.items));
    xmlTextReaderSetErrorHandler(r, xml_error, &p);
    int rc = walk(&p, st);
    xmlFreeTextReader(r);
    arena_free(p.a);
    return rc;
}

#define XML_OPTS (XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_COMPACT | XML_PARSE_BIG_LINES)

int feed_parse_memory(const char *xml, size_t n, const struct feed_opts *o, feed_batch_fn batch_fn,
                      feed_report_fn report, void *arg, struct feed_stats *stats,
                      struct rs_status *st)
{
    if (n > (size_t)INT32_MAX) return rs_fail(st, RS_EINVAL, "the feed is too large");
    return parse(xmlReaderForMemory(xml, (int)n, NULL, NULL, XML_OPTS), o, batch_fn, report, arg,
                 stats, st);
}

int feed_parse_file(const char *path, const struct feed_opts *o, feed_batch_fn batch_fn,
                    feed_report_fn report, void *arg, struct feed_stats *stats,
                    struct rs_status *st)
{
    /* Checked here, so that what is wrong is one line: libxml2 would print its own I/O error on
     * stderr and then fail as if the XML were malformed. */
    struct stat sb;
    if (stat(path, &sb) != 0)
        return rs_fail(st, RS_EINVAL, "%s: cannot be opened: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) return rs_fail(st, RS_EINVAL, "%s: is a directory, not a feed", path);
    FILE *f = fopen(path, "rb");
    if (!f) return rs_fail(st, RS_EINVAL, "%s: cannot be opened: %s", path, strerror(errno));
    fclose(f);
    return parse(xmlReaderForFile(path, NULL, XML_OPTS), o, batch_fn, report, arg, stats, st);
}

/* ---- applying ------------------------------------------------------------------------------ */

struct importer {
    struct app *app;
    const struct shop *shop;
    feed_report_fn report;
    void *report_arg;
    struct feed_stats *stats;
    /* the batch in flight on the committer */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int busy;
    struct store_job job;
    struct catalog_batch b;
    struct arena *arena;
};

static void import_report(void *arg, long line, const char *msg)
{
    struct importer *im = arg;
    if (im->report) im->report(im->report_arg, line, msg);
}

static void import_done(struct store_job *job)
{
    struct importer *im = job->arg;
    pthread_mutex_lock(&im->mu);
    im->busy = 0;
    pthread_cond_signal(&im->cv);
    pthread_mutex_unlock(&im->mu);
}

static int import_run(struct tx *tx, void *arg, struct rs_status *st)
{
    struct importer *im = arg;
    return catalog_apply(tx, &im->b, st);
}

/* Waits for the batch in flight, counts it, frees its arena; its error, if any. */
static int import_wait(struct importer *im, struct rs_status *st)
{
    pthread_mutex_lock(&im->mu);
    while (im->busy)
        pthread_cond_wait(&im->cv, &im->mu);
    pthread_mutex_unlock(&im->mu);
    if (!im->arena) return RS_OK;
    int rc = im->job.status.err;
    if (rc) *st = im->job.status;
    im->stats->created += im->b.created;
    im->stats->updated += im->b.updated;
    im->stats->restocked += im->b.nrestocked;
    arena_free(im->arena);
    im->arena = NULL;
    return rc;
}

static int import_batch(void *arg, struct variant_in *items, size_t n, struct arena **a,
                        struct rs_status *st)
{
    struct importer *im = arg;
    int rc = import_wait(im, st);
    if (rc) return rc;
    im->arena = *a;
    *a = NULL;
    im->b = (struct catalog_batch){
        .shop = im->shop, .items = items, .n = n, .now = now_s(), .arena = im->arena};
    im->job = (struct store_job){.run = import_run, .done = import_done, .arg = im};
    im->busy = 1;
    committer_submit(im->app->cm, &im->job);
    return RS_OK;
}

static int import(struct importer *im, const char *path, const char *xml, size_t n,
                  const struct feed_opts *o, struct rs_status *st)
{
    pthread_mutex_init(&im->mu, NULL);
    pthread_cond_init(&im->cv, NULL);
    int rc = path ? feed_parse_file(path, o, import_batch, import_report, im, im->stats, st)
                  : feed_parse_memory(xml, n, o, import_batch, import_report, im, im->stats, st);
    struct rs_status last = {0};
    int rc2 = import_wait(im, &last);
    if (!rc && rc2) {
        rc = rc2;
        *st = last;
    }
    pthread_cond_destroy(&im->cv);
    pthread_mutex_destroy(&im->mu);
    return rc;
}

int feed_import_file(struct app *app, const struct shop *sh, const char *path,
                     const struct feed_opts *o, feed_report_fn report, void *arg,
                     struct feed_stats *stats, struct rs_status *st)
{
    struct importer im = {
        .app = app, .shop = sh, .report = report, .report_arg = arg, .stats = stats};
    return import(&im, path, NULL, 0, o, st);
}

int feed_import_memory(struct app *app, const struct shop *sh, const char *xml, size_t n,
                       const struct feed_opts *o, feed_report_fn report, void *arg,
                       struct feed_stats *stats, struct rs_status *st)
{
    struct importer im = {
        .app = app, .shop = sh, .report = report, .report_arg = arg, .stats = stats};
    return import(&im, NULL, xml, n, o, st);
}
