/*
 * render — placeholders in notification templates (SPEC §5).
 *
 * A template is text with placeholders {{name}} or {{name|fallback}}: the value of `name`, or the
 * fallback when the value is empty or unknown (e.g. "Hi {{first_name|there}}"). Known names:
 * first_name, product_title, variant_title, price, image_url, action_url (the tracked link),
 * cart_url (tracked, to the cart), unsubscribe_url, shop_name. Whitespace inside the braces is
 * ignored. An unknown name renders as its fallback, or nothing. "{{" without a closing "}}" is
 * copied as is. In HTML templates (escape = 1) values are HTML-escaped; the template's own markup
 * is not.
 */
#ifndef RESTOCK_RENDER_H
#define RESTOCK_RENDER_H

#include "util/buf.h"

struct render_vars {
    const char *first_name, *product_title, *variant_title, *price, *image_url;
    const char *action_url, *cart_url, *unsubscribe_url, *shop_name;
};

/* Appends the rendered template to out. 0, or -1 when out's limit was reached. */
int render(const char *tmpl, const struct render_vars *v, int escape_html, struct buf *out);

/* 1 when the template uses the placeholder `name` (e.g. to know whether a button is tracked). */
int render_uses(const char *tmpl, const char *name);

#endif
