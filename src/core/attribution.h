/*
 * attribution — which notification an order converts (SPEC §6.1).
 *
 * The decision is a pure function over candidate notifications (attribution_decide); the store
 * finds the candidates (store.h attr_candidates: the buyer's subscriptions by email, phone,
 * customer id or tracking user id, for the order's variants, and their sent notifications
 * through the variants' restocks of the last ATTR_RESTOCK_LOOKBACK seconds).
 *
 * Rules, in order:
 *   eligible     sent at or before the order and no more than the campaign goal's window_days
 *                before it (sent_at >= at - window_days × 86400), and not converted by an order
 *                yet: a notification converts at most once, the first order wins, and a later
 *                order falls to the next eligible candidate (an order whose only candidate has
 *                converted is no conversion). A notification converted only by a goal event
 *                (POST /v1/events) is still a candidate: an order it wins takes that conversion
 *                over (its order, amount, date and kind), so the purchase a storefront reports
 *                as an event and as an order counts once; and the goal-event conversions of
 *                the order's other eligible candidates are superseded (kept, not counted):
 *                the event may name one notification and the order convert another
 *   cart token   an eligible candidate named by the order's click token (TOKEN_CLICK, carried
 *                as the cart attribute `restock`): direct, whoever the buyer is — its variant
 *                must still be in the order
 *   direct       else the most recently sent eligible candidate clicked at or before the order
 *   assisted     else the most recently sent eligible candidate
 * Ties in sent_at go to the higher notification id. Nothing when the shop's
 * conversions_enabled is off.
 */
#ifndef RESTOCK_ATTRIBUTION_H
#define RESTOCK_ATTRIBUTION_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "store/store.h"

/* How far back an order looks for restocks of its variants: the longest goal window (90 days)
 * and as long again for the batches of a restock to go out. */
#define ATTR_RESTOCK_LOOKBACK (180 * 86400LL)

/* 1 when c may convert an order placed at order_at. */
int attribution_eligible(const struct attr_cand *c, int64_t order_at);

/* The index of the candidate the order converts, with *kind; -1 when none. */
int attribution_decide(const struct attr_cand *c, size_t n, int64_t order_at, int enabled,
                       enum conversion_kind *kind);

/* The writer's step for a new order o (stored, o->id set): finds the candidates (and the one
 * named by o->cart_token, checked with secret), decides, and stores the conversion in *out
 * (*converted = 1). RS_OK or RS_ESTORE with st. */
int attribution_apply(struct tx *tx, const struct shop *sh, const struct order *o,
                      const char *const *variants, size_t nvariants, const uint8_t secret[32],
                      struct arena *a, struct conversion *out, int *converted,
                      struct rs_status *st);

#endif
