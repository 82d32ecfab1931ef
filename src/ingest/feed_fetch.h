/*
 * feed_fetch — `restock serve` fetches each shop's XML feed (shop settings `feed_url`,
 * `feed_interval_minutes` > 0) on its schedule with libcurl and imports it like
 * `restock import-feed`. Only http(s), and no loopback, private or link-local address unless
 * the operator set `feed_allow_private` (see feed_fetch.c on request forgery).
 *
 * A shop's fetch is marked as done (feed_fetched_at) before it starts, so a feed that fails is
 * tried again only at its next interval; failures and bad items are logged.
 */
#ifndef RESTOCK_FEED_FETCH_H
#define RESTOCK_FEED_FETCH_H

#include "core/app.h"

struct feed_fetcher;

/* A thread that looks for due feeds every 2 seconds. NULL when it cannot start (logged). */
struct feed_fetcher *feed_fetcher_start(struct app *app);
void feed_fetcher_stop(struct feed_fetcher *f); /* NULL is fine; finishes the fetch under way */

/* Fetches and imports every feed due at now; *fetched = how many. */
int feed_fetch_due(struct app *app, int64_t now, int *fetched);

#endif
