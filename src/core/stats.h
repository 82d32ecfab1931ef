/*
 * stats — GET /v1/stats (SPEC §4): per shop-local day sent, opened, clicked, direct and assisted
 * conversions (count, revenue, revenue_net), totals with rates, and the top events.
 *
 * Read from the stats rollup (store.h stats_slots): 15-minute slots of UTC time kept by triggers
 * in the same transactions as the rows they count, so a 90-day query reads at most 8,640 slot
 * rows per campaign whatever the number of notifications. A shop-local day is the slots from
 * its local midnight to the next (UTC offsets are whole quarter hours), so days follow the shop's
 * time zone through DST changes. Opens and clicks count on the day they happened, sends on the
 * day sent, conversions on the order's date; a cancelled conversion counts nowhere; revenue_net
 * is revenue minus refunds. Rates: open_rate = opened ÷ sent, click_rate = clicked ÷ sent,
 * conversion_rate = conversions ÷ opened, conversion_rate_sent = conversions ÷ sent (0 when the
 * divisor is 0), rounded to 4 decimals.
 */
#ifndef RESTOCK_STATS_H
#define RESTOCK_STATS_H

#include <jansson.h>

#include "core/model.h"
#include "store/store.h"

#define STATS_MAX_DAYS 366

/* from, to: "YYYY-MM-DD" (to inclusive, at most STATS_MAX_DAYS days); campaign_id 0: all.
 * *out is the answer's JSON (caller decrefs). RS_EINVAL naming `from` or `to`; RS_ESTORE. */
int stats_query(struct tx *tx, const struct shop *sh, const char *from, const char *to,
                int64_t campaign_id, struct arena *a, json_t **out, struct rs_status *st);

#endif
