/*
 * demo — the demo shop `serve --demo` creates on an empty store, so a newcomer sees restock
 * working: a shop, a small catalog with sold-out and in-stock variants, and waiting subscribers.
 */
#ifndef RESTOCK_DEMO_H
#define RESTOCK_DEMO_H

#include "core/app.h"
#include "core/shop.h"

/* Seeds the demo when the store has no shop. *created = 1 and the API key in api_key when it
 * did. RS_OK or the store's error. */
int demo_seed(struct app *app, int *created, char api_key[API_KEY_MAX], char shop_id[40],
              struct rs_status *st);

#endif
