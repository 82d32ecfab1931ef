/*
 * render — placeholders in notification templates; contract in render.h.
 *
 * One scanner, next_part(), splits a template into literal text and placeholders; render() and
 * render_uses() both walk it, so they can never disagree about what is a placeholder. A
 * placeholder is "{{" ... "}}" whose inside holds no other "{{" (in "{{ {{name}}" the first "{{"
 * is literal text, and in "{{{name}}}" the first brace); its inside is `name` or `name|fallback`,
 * each trimmed of white space.
 */
#include "core/render.h"

#include <stddef.h>
#include <string.h>

static const struct {
    const char *name;
    size_t off;
} known[] = {
    {"first_name", offsetof(struct render_vars, first_name)},
    {"product_title", offsetof(struct render_vars, product_title)},
    {"variant_title", offsetof(struct render_vars, variant_title)},
    {"price", offsetof(struct render_vars, price)},
    {"image_url", offsetof(struct render_vars, image_url)},
    {"action_url", offsetof(struct render_vars, action_url)},
    {"cart_url", offsetof(struct render_vars, cart_url)},
    {"unsubscribe_url", offsetof(struct render_vars, unsubscribe_url)},
    {"shop_name", offsetof(struct render_vars, shop_name)},
};

/* One piece of a template: `lit` bytes of literal text, then (when is_ph) a placeholder. */
struct part {
    const char *lit;
    size_t nlit;
    int is_ph;
    const char *name, *fallback; /* slices of the template */
    size_t nname, nfallback;
};

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void trim(const char **s, size_t *n)
{
    while (*n && blank(**s))
        (*s)++, (*n)--;
    while (*n && blank((*s)[*n - 1]))
        (*n)--;
}

/* The next part of the template from *p (advanced past it); 0 at the end. */
static int next_part(const char **p, struct part *pt)
{
    const char *s = *p;
    if (!*s) return 0;
    memset(pt, 0, sizeof(*pt));
    pt->lit = s;
    for (;;) {
        const char *open = strstr(s, "{{");
        const char *close = open ? strstr(open + 2, "}}") : NULL;
        if (!close) { /* no placeholder left: the rest is literal */
            pt->nlit = (size_t)(s - pt->lit) + strlen(s);
            *p = pt->lit + pt->nlit;
            return 1;
        }
        /* The last "{{" before the close opens the placeholder; earlier ones are literal. */
        const char *in = open + 2, *again;
        while ((again = strstr(in, "{{")) != NULL && again < close)
            open = again, in = again + 2;
        while (*in == '{' && in < close) /* "{{{name}}}": the last two braces open it */
            open++, in++;
        pt->nlit = (size_t)(open - pt->lit);
        pt->is_ph = 1;
        const char *bar = memchr(in, '|', (size_t)(close - in));
        pt->name = in;
        pt->nname = (size_t)((bar ? bar : close) - in);
        trim(&pt->name, &pt->nname);
        if (bar) {
            pt->fallback = bar + 1;
            pt->nfallback = (size_t)(close - bar - 1);
            trim(&pt->fallback, &pt->nfallback);
        }
        *p = close + 2;
        return 1;
    }
}

static const char *lookup(const struct render_vars *v, const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strlen(known[i].name) == n && memcmp(known[i].name, name, n) == 0)
            return *(const char *const *)((const char *)v + known[i].off);
    return NULL;
}

int render(const char *tmpl, const struct render_vars *v, int escape_html, struct buf *out)
{
    struct part pt;
    const char *p = tmpl ? tmpl : "";
    while (next_part(&p, &pt)) {
        if (pt.nlit && buf_append(out, pt.lit, pt.nlit)) return -1;
        if (!pt.is_ph) continue;
        const char *val = v ? lookup(v, pt.name, pt.nname) : NULL;
        int rc;
        if (val && *val)
            rc = escape_html ? buf_html(out, val) : buf_puts(out, val);
        else
            rc = pt.nfallback ? buf_append(out, pt.fallback, pt.nfallback) : 0;
        if (rc) return -1;
    }
    return buf_append(out, "", 0); /* so that even an empty result leaves out a C string */
}

int render_uses(const char *tmpl, const char *name)
{
    struct part pt;
    const char *p = tmpl ? tmpl : "";
    size_t n = strlen(name);
    while (next_part(&p, &pt))
        if (pt.is_ph && pt.nname == n && memcmp(pt.name, name, n) == 0) return 1;
    return 0;
}
