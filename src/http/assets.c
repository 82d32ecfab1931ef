/*
 * assets — the files restock serves itself: the dashboard (SPEC §8), the storefront widget and
 * the web push service worker, kept as plain files in src/http/dashboard/ and compiled into the
 * binary with the assembler's .incbin (no generator, no build step beyond the compiler; the
 * Makefile makes assets.o depend on them). Chart.js is Debian's libjs-chart.js, read from its
 * installed path on first use and kept.
 *
 *   GET /dashboard(/)         index.html          GET /widget.js   widget.js
 *   GET /dashboard/app.js     app.js              GET /sw.js       sw.js
 *   GET /dashboard/app.css    app.css
 *   GET /dashboard/chart.js   /usr/share/javascript/chart.js/chart.min.js
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"
#include "util/log.h"
#include "util/xalloc.h"

/* name[] .. name_end[]: the bytes of file (followed by a NUL not counted). */
#define ASSET(name, file)                                                                          \
    __asm__(".section .rodata\n"                                                                   \
            ".balign 16\n"                                                                         \
            "restock_asset_" #name ":\n"                                                           \
            ".incbin \"" file "\"\n"                                                               \
            "restock_asset_" #name "_end:\n"                                                       \
            ".byte 0\n"                                                                            \
            ".previous\n");                                                                        \
    extern const char name[] __asm__("restock_asset_" #name);                                      \
    extern const char name##_end[] __asm__("restock_asset_" #name "_end")

ASSET(dash_html, "src/http/dashboard/index.html");
ASSET(dash_js, "src/http/dashboard/app.js");
ASSET(dash_css, "src/http/dashboard/app.css");
ASSET(widget_js, "src/http/dashboard/widget.js");
ASSET(sw_js, "src/http/dashboard/sw.js");

#define CHART_JS "/usr/share/javascript/chart.js/chart.min.js"

struct asset {
    const char *path;
    const char *data, *end; /* NULL data: Chart.js, read from CHART_JS */
    const char *type;
    int cors; /* fetched by storefront pages from their own origin */
};

static const struct asset assets[] = {
    {"/dashboard", dash_html, dash_html_end, "text/html; charset=utf-8", 0},
    {"/dashboard/", dash_html, dash_html_end, "text/html; charset=utf-8", 0},
    {"/dashboard/app.js", dash_js, dash_js_end, "text/javascript; charset=utf-8", 0},
    {"/dashboard/app.css", dash_css, dash_css_end, "text/css; charset=utf-8", 0},
    {"/dashboard/chart.js", NULL, NULL, "text/javascript; charset=utf-8", 0},
    {"/widget.js", widget_js, widget_js_end, "text/javascript; charset=utf-8", 1},
    {"/sw.js", sw_js, sw_js_end, "text/javascript; charset=utf-8", 1},
};

static char *chart_data;
static size_t chart_len;

static void chart_load(void)
{
    FILE *f = fopen(CHART_JS, "rb");
    if (!f) {
        log_msg(LOG_WARN, "dashboard: cannot read %s (install libjs-chart.js)", CHART_JS);
        return;
    }
    struct buf b = BUF_INIT(8 * 1024 * 1024);
    char tmp[16384];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        buf_append(&b, tmp, n);
    fclose(f);
    chart_len = b.len;
    chart_data = buf_take(&b); /* kept for the life of the process */
}

int h_asset(struct req *r)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    for (size_t i = 0; i < sizeof(assets) / sizeof(assets[0]); i++) {
        const struct asset *as = &assets[i];
        if (strcmp(as->path, r->path) != 0) continue;
        const char *data = as->data;
        size_t len = data ? (size_t)(as->end - as->data) : 0;
        if (!data) {
            pthread_once(&once, chart_load);
            if (!chart_data) break;
            data = chart_data;
            len = chart_len;
        }
        req_response(r, 200, as->type, data, len);
        req_add_header(r, "Cache-Control", "public, max-age=300");
        req_add_header(r, "X-Content-Type-Options", "nosniff");
        if (as->cors) req_add_header(r, "Access-Control-Allow-Origin", "*");
        return RS_OK;
    }
    req_error(r, RS_ENOTFOUND, "no such path");
    return RS_OK;
}
