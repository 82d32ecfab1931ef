/*
 * order_sink — restock's attribution as the sink of orders from outside (order_sink.h): a
 * Shopify order becomes a `struct order` and goes through order_apply, the same writer step as
 * POST /v1/orders, inside the webhook's own transaction.
 */
#include "core/order_sink.h"

#include <string.h>

#include "core/order.h"
#include "util/money.h"

static int sink_create(struct app *app, struct tx *tx, const struct shop *sh,
                       const struct order_in *in, int64_t now, struct rs_status *st)
{
    struct arena *a = arena_new();
    const char *number = order_number_norm(in->order_number, a);
    if (!number) {
        arena_free(a);
        return rs_fail(st, RS_EINVAL,
                       "order_number: must be 1 to 255 bytes, no control characters");
    }
    struct order_job *j = arena_alloc(a, sizeof(*j));
    struct order *o = &j->in;
    *o = (struct order){
        .sid = sh->sid,
        .order_number = number,
        .source = in->source,
        .currency = in->currency ? in->currency : sh->currency,
        .total = in->total,
        .created_at = in->created_at ? in->created_at : now,
        .received_at = now,
        .status = in->cancelled ? ORDER_CANCELLED : ORDER_PLACED,
        .email = in->email,
        .phone = in->phone,
        .customer_id = in->customer_id,
        .tracking_user_id = in->tracking_user_id,
        .cart_token = in->cart_token,
        .nitems = in->nitems,
    };
    o->items = arena_alloc(a, (in->nitems ? in->nitems : 1) * sizeof(*o->items));
    for (size_t i = 0; i < in->nitems; i++)
        o->items[i] = (struct order_item){
            .variant_id = in->items[i].variant_id,
            .product_number = in->items[i].product_number,
            .url = in->items[i].url,
            .quantity = in->items[i].quantity > 0 ? in->items[i].quantity : 1,
            .price = in->items[i].price > 0 ? in->items[i].price : 0,
        };
    j->app = app;
    j->shop = sh;
    j->arena = a;
    int rc = order_apply(tx, j, st); /* a number seen before changes nothing */
    arena_free(a);
    return rc;
}

static int change(struct tx *tx, const struct shop *sh, const char *number, enum order_op op,
                  const char *refund_id, int64_t amount, const char *currency, int64_t at,
                  struct rs_status *st)
{
    struct arena *a = arena_new();
    const char *norm = order_number_norm(number, a);
    if (!norm) {
        arena_free(a);
        return rs_fail(st, RS_ENOTFOUND, "order_number: no order %s in this shop", number);
    }
    number = norm;
    struct order_change ch = {.shop = sh,
                              .order_number = number,
                              .op = op,
                              .refund_id = refund_id,
                              .arena = a,
                              .now = at};
    int rc = RS_OK;
    if (op == ORDER_REFUND) {
        /* Shopify's refunds are what it refunded: never refused, only kept within the total */
        struct order cur;
        rc = tx->ops->order_get(tx->c, sh->sid, number, a, &cur);
        if (!rc && currency && strcmp(currency, cur.currency) != 0)
            rc = rs_fail(st, RS_ECONFLICT, "currency: the refund is in %s, the order in %s",
                         currency, cur.currency);
        int exp = rc ? -1 : currency_exponent(cur.currency);
        if (!rc && (exp < 0 || exp >= 5)) rc = rs_fail(st, RS_EINVAL, "currency: unknown");
        if (!rc) {
            int64_t left = cur.total - cur.refunded;
            if (amount > left) amount = left;
            ch.amount[exp] = amount;
            ch.amount_ok[exp] = 1;
        }
        if (!rc && amount <= 0) {
            arena_free(a);
            return RS_OK;
        }
    }
    if (!rc)
        rc = order_change_apply(tx, &ch, st);
    else if (rc == RS_ENOTFOUND)
        rs_fail(st, rc, "order_number: no order %s in this shop", number);
    arena_free(a);
    return rc;
}

static int sink_cancel(struct app *app, struct tx *tx, const struct shop *sh, const char *number,
                       int64_t at, struct rs_status *st)
{
    (void)app;
    return change(tx, sh, number, ORDER_CANCEL, NULL, 0, NULL, at, st);
}

static int sink_refund(struct app *app, struct tx *tx, const struct shop *sh, const char *number,
                       const char *refund_id, int64_t amount, const char *currency, int64_t at,
                       struct rs_status *st)
{
    (void)app;
    return change(tx, sh, number, ORDER_REFUND, refund_id, amount, currency, at, st);
}

const struct order_sink order_attribution_sink = {sink_create, sink_cancel, sink_refund};
