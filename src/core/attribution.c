/*
 * attribution — the decision of SPEC §6.1 and the writer's step around it; see attribution.h.
 */
#include "core/attribution.h"

#include <string.h>

#include "core/token.h"

#define DEFAULT_WINDOW_DAYS 10

int attribution_eligible(const struct attr_cand *c, int64_t order_at)
{
    int64_t window = (int64_t)(c->window_days > 0 ? c->window_days : DEFAULT_WINDOW_DAYS) * 86400;
    return c->converted != ATTR_BY_ORDER && c->sent_at > 0 && c->sent_at <= order_at &&
           c->sent_at >= order_at - window;
}

/* 1 when a was sent after b (ties: the higher id). */
static int later(const struct attr_cand *a, const struct attr_cand *b)
{
    return a->sent_at != b->sent_at ? a->sent_at > b->sent_at
                                    : a->notification_id > b->notification_id;
}

int attribution_decide(const struct attr_cand *c, size_t n, int64_t order_at, int enabled,
                       enum conversion_kind *kind)
{
    if (!enabled) return -1;
    int token = -1, clicked = -1, sent = -1;
    for (size_t i = 0; i < n; i++) {
        if (!attribution_eligible(&c[i], order_at)) continue;
        int k = (int)i;
        if (c[i].via_token && (token < 0 || later(&c[i], &c[token]))) token = k;
        if (c[i].clicked_at && c[i].clicked_at <= order_at &&
            (clicked < 0 || later(&c[i], &c[clicked])))
            clicked = k;
        if (sent < 0 || later(&c[i], &c[sent])) sent = k;
    }
    if (token >= 0 || clicked >= 0) {
        *kind = CONV_DIRECT;
        return token >= 0 ? token : clicked;
    }
    *kind = CONV_ASSISTED;
    return sent;
}

/* ---- the writer's step ------------------------------------------------------------------- */

struct cands {
    struct attr_cand *v;
    size_t n, cap;
    struct arena *a;
};

static int add_cand(void *arg, const struct attr_cand *c)
{
    struct cands *cs = arg;
    for (size_t i = 0; i < cs->n; i++)
        if (cs->v[i].notification_id == c->notification_id) return 0;
    if (cs->n == cs->cap) {
        cs->cap = cs->cap ? 2 * cs->cap : 8;
        struct attr_cand *m = arena_alloc(cs->a, cs->cap * sizeof(*m));
        if (cs->n) memcpy(m, cs->v, cs->n * sizeof(*m));
        cs->v = m;
    }
    cs->v[cs->n++] = *c;
    return 0;
}

/* The candidate named by the order's click token, when it is a sent notification of the shop
 * for one of the order's variants. */
static int token_cand(struct tx *tx, const struct shop *sh, const struct order *o,
                      const char *const *variants, size_t nv, const uint8_t secret[32],
                      struct cands *cs)
{
    int64_t nid;
    if (!o->cart_token ||
        token_parse(secret, TOKEN_CLICK, o->cart_token, strlen(o->cart_token), &nid))
        return RS_OK;
    struct attr_cand c;
    int rc = tx->ops->attr_candidate(tx->c, sh->sid, nid, cs->a, &c);
    if (rc == RS_ENOTFOUND) return RS_OK;
    if (rc) return rc;
    size_t k = 0;
    while (k < nv && strcmp(variants[k], c.variant_id) != 0)
        k++;
    if (k == nv) return RS_OK;
    for (size_t i = 0; i < cs->n; i++)
        if (cs->v[i].notification_id == nid) {
            cs->v[i].via_token = 1;
            return RS_OK;
        }
    c.via_token = 1;
    return add_cand(cs, &c);
}

/* The goal events of the other eligible candidates were this purchase too — the buyer's, for
 * one of the order's variants, within their windows: the order's conversion stands in for
 * them, so one purchase reported as an event on one notification and as the order converting
 * another counts once. */
static int supersede_events(struct tx *tx, const struct shop *sh, const struct cands *cs,
                            int winner, int64_t order_at)
{
    for (size_t k = 0; k < cs->n; k++) {
        const struct attr_cand *c = &cs->v[k];
        if ((int)k == winner || c->converted != ATTR_BY_EVENT || !attribution_eligible(c, order_at))
            continue;
        int rc = tx->ops->conversion_supersede(tx->c, sh->sid, c->notification_id);
        if (rc) return rc;
    }
    return RS_OK;
}

int attribution_apply(struct tx *tx, const struct shop *sh, const struct order *o,
                      const char *const *variants, size_t nvariants, const uint8_t secret[32],
                      struct arena *a, struct conversion *out, int *converted, struct rs_status *st)
{
    *converted = 0;
    if (!sh->conversions_enabled || !nvariants) return RS_OK;
    struct cands cs = {.a = a};
    struct attr_query q = {
        .sid = sh->sid,
        .email = o->email,
        .phone = o->phone,
        .customer_id = o->customer_id,
        .tracking_user_id = o->tracking_user_id,
        .variants = variants,
        .nvariants = nvariants,
        .since = o->created_at - ATTR_RESTOCK_LOOKBACK,
        .until = o->created_at,
    };
    int rc = tx->ops->attr_candidates(tx->c, &q, a, add_cand, &cs);
    if (!rc) rc = token_cand(tx, sh, o, variants, nvariants, secret, &cs);
    if (rc) return rs_fail(st, rc, "the store failed");
    enum conversion_kind kind;
    int i = attribution_decide(cs.v, cs.n, o->created_at, 1, &kind);
    if (i < 0) return RS_OK;
    *out = (struct conversion){
        .sid = sh->sid,
        .notification_id = cs.v[i].notification_id,
        .campaign_id = cs.v[i].campaign_id,
        .order_id = o->id,
        .kind = kind,
        .amount = o->total,
        .refunded = o->refunded,
        .currency = o->currency,
        .status = o->status == ORDER_CANCELLED,
        .at = o->created_at,
        .created_at = o->received_at,
    };
    rc = tx->ops->conversion_insert(tx->c, out);
    if (rc == RS_ECONFLICT) return RS_OK; /* cannot happen: an order's are not eligible */
    if (!rc) rc = supersede_events(tx, sh, &cs, i, o->created_at);
    if (rc) return rs_fail(st, rc, "the store failed");
    *converted = 1;
    return RS_OK;
}
