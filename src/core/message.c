/* message — rendering a notification's content; contract in message.h. */
#include "core/message.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/render.h"
#include "core/token.h"
#include "deliver/sms.h"
#include "util/buf.h"
#include "util/money.h"

#define EMAIL_MAX (256 * 1024)
#define SMS_MAX   1600
#define PUSH_MAX  3072

const char *message_price(const struct shop *sh, const struct variant *v, struct arena *a)
{
    const char *cur = v->currency ? v->currency : sh->currency;
    char amount[32];
    if (v->price < 0) return "";
    money_format(v->price, currency_exponent(cur), amount, sizeof(amount));
    return arena_printf(a, "%s %s", amount, cur);
}

/* Renders tmpl (NULL: "") into an arena string of at most max bytes; NULL when over. */
static const char *render_str(const char *tmpl, const struct render_vars *v, int html, size_t max,
                              struct arena *a)
{
    struct buf b = BUF_INIT(max);
    const char *out = NULL;
    if (render(tmpl ? tmpl : "", v, html, &b) == 0) out = arena_strdup(a, b.p ? b.p : "");
    buf_free(&b);
    return out;
}

static const char *token_url(const struct message_in *in, enum token_kind kind, int64_t id,
                             const char *path, struct arena *a)
{
    char tok[TOKEN_MAX];
    token_make(in->secret, kind, id, tok);
    return arena_printf(a, "%s/%s/%s", in->public_url, path, tok);
}

/* The double opt-in confirmation, built in (campaign NULL): its action is the /c/ link. */
static const struct template confirm_templates[CH_COUNT] = {
    [CH_EMAIL] = {.locale = "en",
                  .subject = "Please confirm: we will tell you when {{product_title}} is back",
                  .text = "Hi {{first_name|there}},\n\nPlease confirm that you want a message "
                          "from {{shop_name}} when {{product_title}} {{variant_title}} is back "
                          "in stock:\n\n{{action_url}}\n\nIf you did not ask for this, "
                          "ignore this message.\n",
                  .html = "<p>Hi {{first_name|there}},</p><p>Please confirm that you want a "
                          "message from {{shop_name}} when <b>{{product_title}}</b> "
                          "{{variant_title}} is back in stock.</p><p><a href=\"{{action_url}}\">"
                          "Yes, notify me</a></p><p>If you did not ask for this, ignore this "
                          "message.</p>"},
    [CH_SMS] = {.locale = "en",
                .text = "{{shop_name}}: confirm your back-in-stock alert for {{product_title}}: "
                        "{{action_url}}"},
    [CH_WEBPUSH] = {.locale = "en",
                    .title = "Confirm your alert",
                    .body = "Tap to be told when {{product_title}} is back in stock"},
};

static void links(const struct message_in *in, struct arena *a, struct message *m)
{
    int64_t nid = in->notification_id;
    if (!in->campaign) { /* a confirmation: no tracking, the confirm link is the action */
        m->msg_hash = "confirm";
        m->action_url = token_url(in, TOKEN_CONFIRM, in->sub->id, "c", a);
        m->cart_url = m->action_url;
        m->open_url = NULL;
    } else if (nid) {
        char tok[TOKEN_MAX];
        token_make(in->secret, TOKEN_MSG, nid, tok);
        m->msg_hash = arena_strdup(a, tok);
        m->action_url = token_url(in, TOKEN_CLICK, nid, "r", a);
        m->cart_url = arena_printf(a, "%s?to=cart", m->action_url);
        m->open_url = token_url(in, TOKEN_OPEN, nid, "o", a);
    } else {
        const char *u = in->variant->url ? in->variant->url : in->shop->url;
        m->msg_hash = "preview";
        m->action_url = u;
        m->cart_url = arena_printf(a, "%s/cart", in->shop->url);
        m->open_url = NULL;
    }
    m->unsubscribe_url = in->sub->id ? token_url(in, TOKEN_UNSUBSCRIBE, in->sub->id, "u", a)
                                     : arena_printf(a, "%s/u/preview", in->public_url);
}

/* The open pixel goes just before </body>, or at the end when there is none. */
static const char *with_pixel(const char *html, const char *open_url, struct arena *a)
{
    if (!open_url) return html;
    const char *body = strstr(html, "</body>");
    size_t head = body ? (size_t)(body - html) : strlen(html);
    return arena_printf(a, "%.*s<img src=\"%s\" width=\"1\" height=\"1\" alt=\"\">%s", (int)head,
                        html, open_url, html + head);
}

/* A header's text on one line (arena): each control character (a feed title's line break or
 * tab) becomes a space. NULL stays NULL. */
static const char *one_line(const char *s, struct arena *a)
{
    if (!s) return NULL;
    char *o = arena_strdup(a, s);
    for (char *p = o; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = ' ';
    return o;
}

static int build_email(const struct template *t, const struct render_vars *v, struct arena *a,
                       struct message *m, struct rs_status *st)
{
    m->subject = one_line(render_str(t->subject, v, 0, 998, a), a);
    m->text = render_str(t->text, v, 0, EMAIL_MAX, a);
    const char *html = render_str(t->html, v, 1, EMAIL_MAX, a);
    if (!m->subject || !m->text || !html)
        return rs_fail(st, RS_EINVAL, "templates.%s: the email renders too large", t->locale);
    m->html = with_pixel(html, m->open_url, a);
    return RS_OK;
}

static int build_sms(const struct template *t, const struct render_vars *v, struct arena *a,
                     struct message *m, struct rs_status *st)
{
    m->text = render_str(t->text, v, 0, SMS_MAX, a);
    if (!m->text)
        return rs_fail(st, RS_EINVAL, "templates.%s.text: renders over %d bytes", t->locale,
                       SMS_MAX);
    m->segments = sms_segments(m->text);
    if (m->segments < 0)
        return rs_fail(st, RS_EINVAL, "templates.%s.text: renders invalid UTF-8", t->locale);
    return RS_OK;
}

/* A push link: the template's (rendered, so "{{action_url}}" is tracked) or the tracked link. */
static const char *push_link(const char *tmpl, const struct render_vars *v, struct arena *a)
{
    if (!tmpl || !*tmpl) return v->action_url;
    return render_str(tmpl, v, 0, 2048, a);
}

static int build_push(const struct template *t, const struct render_vars *v, struct arena *a,
                      struct message *m, struct rs_status *st)
{
    const char *title = render_str(t->title, v, 0, 1024, a);
    const char *body = render_str(t->body, v, 0, 2048, a);
    const char *icon = render_str(t->icon, v, 0, 2048, a);
    const char *image = render_str(t->image, v, 0, 2048, a);
    const char *link = push_link(t->link, v, a);
    if (!title || !body || !icon || !image || !link)
        return rs_fail(st, RS_EINVAL, "templates.%s: the push message renders too large",
                       t->locale);
    json_t *buttons = json_array();
    for (int i = 0; i < t->nbuttons; i++) {
        const char *bt = render_str(t->button_title[i], v, 0, 256, a);
        const char *bl = push_link(t->button_link[i], v, a);
        json_array_append_new(buttons,
                              json_pack("{s:s,s:s}", "title", bt ? bt : "", "link", bl ? bl : ""));
    }
    json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:s}", "title", title, "body", body, "link", link,
                          "buttons", buttons, "msg_hash", m->msg_hash);
    if (*icon) json_object_set_new(o, "icon", json_string(icon));
    if (*image) json_object_set_new(o, "image", json_string(image));
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s || strlen(s) > PUSH_MAX) {
        free(s);
        return rs_fail(st, RS_EINVAL, "templates.%s: the push payload is over %d bytes", t->locale,
                       PUSH_MAX);
    }
    m->push_json = arena_strdup(a, s);
    free(s);
    return RS_OK;
}

int message_build(const struct message_in *in, struct arena *a, struct message *out,
                  struct rs_status *st)
{
    const struct campaign *c = in->campaign;
    enum channel ch = c ? c->channel : in->sub->channel;
    const struct template *t =
        c ? campaign_template(c, in->sub->locale, in->shop->locale) : &confirm_templates[ch];
    if (!t) return rs_fail(st, RS_EINVAL, "templates: the campaign has none");
    memset(out, 0, sizeof(*out));
    out->locale = t->locale;
    links(in, a, out);
    const struct variant *var = in->variant;
    struct render_vars v = {
        .first_name = in->sub->first_name,
        .product_title = var->title,
        .variant_title = var->variant_title,
        .price = message_price(in->shop, var, a),
        .image_url = var->image_url,
        .action_url = out->action_url,
        .cart_url = out->cart_url,
        .unsubscribe_url = out->unsubscribe_url,
        .shop_name = in->shop->name,
    };
    switch (ch) {
    case CH_EMAIL:
        return build_email(t, &v, a, out, st);
    case CH_SMS:
        return build_sms(t, &v, a, out, st);
    case CH_WEBPUSH:
        return build_push(t, &v, a, out, st);
    default:
        return rs_fail(st, RS_EINVAL, "channel: unknown");
    }
}
