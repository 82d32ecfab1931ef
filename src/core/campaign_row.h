/*
 * campaign_row — a campaign as the store keeps it (struct stored_campaign) and back.
 *
 * The row's columns hold id, shop, channel, status, is_default and the times; its `json` holds
 * what campaign_to_json gives without those read-only fields, so the columns are the one truth
 * for them. Every read goes through campaign_parse_stored, so a stored campaign is always valid
 * (by the rules it was written under).
 */
#ifndef RESTOCK_CAMPAIGN_ROW_H
#define RESTOCK_CAMPAIGN_ROW_H

#include "core/campaign.h"
#include "store/store.h"

/* The row for c (json from arena a). */
void campaign_to_row(const struct campaign *c, struct arena *a, struct stored_campaign *row);
/* The campaign of a row (strings from a). RS_ESTORE when the stored JSON does not parse. */
int campaign_from_row(const struct stored_campaign *row, struct arena *a, struct campaign *c);
/* Inserts the default campaign of every channel for a new shop (a writer job's step). */
int campaign_insert_defaults(struct tx *tx, int64_t sid, int64_t now, struct arena *a);

#endif
