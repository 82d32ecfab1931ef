/*
 * views — the clickstream (SPEC §4 POST /v1/views): what shoppers look at, put in a cart or
 * wishlist, recorded in the activity table for the campaigns' event filters and triggers.
 *
 * Who: every identity the call carries gets a row (the contact key of an email, phone or push
 * subscription, "t:" + tracking_user_id, "c:" + customer_id); at least one is required.
 *
 * Trust. The call is public, so it may only add what no trusted source has said: descriptive
 * attributes (title, url, image_url, price) fill in a variant the catalog does not know yet
 * (created sold out, available 0) and the empty fields of a known one; stock and a price a
 * trusted source set are never changed, so no visitor can trigger a restock. A url must lie
 * under the shop's own url (it ends up in notifications).
 *
 * Triggers. A view or wishlist carrying a web push subscription (checked exactly as a sign-up's,
 * push_hosts included) for a sold-out variant creates a webpush subscription with source "view"
 * or "wishlist"; the fan-out routes those only to web push campaigns with that trigger. Never
 * for a contact who unsubscribed from anything at the shop: no view reopens a subscription or
 * makes a new one for them.
 *
 * Retention: rows older than VIEWS_KEEP_DAYS are pruned (views_prune), purchases older than
 * PURCHASES_KEEP_DAYS.
 */
#ifndef RESTOCK_VIEWS_H
#define RESTOCK_VIEWS_H

#include <jansson.h>

#include "core/app.h"
#include "core/catalog.h"
#include "core/signup.h"

#define VIEWS_KEEP_DAYS 90
/* Purchases are kept longer: campaigns' exclude_buyers, a sold-out variant's re-enrolment and
 * goal events ask whether a subscription's contact bought since being notified, and a
 * subscription lives up to 180 days. */
#define PURCHASES_KEEP_DAYS 400

struct view {
    const char *shop_uuid;
    const char *variant_id;
    const char *kind; /* "view", "cart", "wishlist" */
    const char *who[4];
    int nwho;
    struct variant_in attrs; /* descriptive attributes given (has bits) */
    const char *price_text;  /* the price as given (decimal text), or NULL: price_real */
    double price_real;
    int has_push;
    struct signup push; /* when has_push: the would-be subscription */
    int64_t now;
    struct arena *arena;
    /* results */
    int variant_created, subscribed;
    int64_t subscription_id;
};

/* Validates a POST /v1/views body. RS_EINVAL naming the field. */
int views_parse(struct app *app, const json_t *body, struct arena *a, struct view *out,
                struct rs_status *st);
/* The writer job: the shop must exist (RS_ENOTFOUND naming `shop`). */
int views_apply(struct tx *tx, void *view, struct rs_status *st);
/* The writer job of pruning: activity older than VIEWS_KEEP_DAYS and webhook event ids older
 * than 30 days, at most VIEWS_PRUNE_CHUNK rows of each per call (so one job stays short); the
 * caller runs it again soon while a call deletes a full chunk. */
#define VIEWS_PRUNE_CHUNK 10000
struct views_prune {
    int64_t now;
    int64_t deleted; /* result */
};
int views_prune(struct tx *tx, void *prune, struct rs_status *st);

#endif
