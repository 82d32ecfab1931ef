/*
 * demo — the demo shop `serve --demo` creates on an empty store, so a newcomer sees restock
 * working: a shop, a small catalog with sold-out and in-stock variants, and waiting subscribers.
 */
#ifndef RESTOCK_DEMO_H
#define RESTOCK_DEMO_H

#include "core/app.h"
#include "core/shop.h"

/* The demo shop's storefront: how a later start knows it (its name may have been changed). */
#define DEMO_SHOP_URL "https://demo.restock.local"

enum demo_state {
    DEMO_CREATED, /* the store had no shop: the demo shop was created, its key in api_key */
    DEMO_FOUND,   /* the demo shop was created before: its id in shop_id, no key */
    DEMO_NONE,    /* the store has shops, none of them the demo's: nothing was created */
};

/* Seeds the demo when the store has no shop, else looks for the demo shop created before; the
 * outcome in *state, the demo shop's id in shop_id (CREATED, FOUND) and the new shop's API key
 * in api_key (CREATED). RS_OK or the store's error. */
int demo_seed(struct app *app, enum demo_state *state, char api_key[API_KEY_MAX], char shop_id[40],
              struct rs_status *st);

#endif
