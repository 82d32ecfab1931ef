/*
 * shop — tenants: creation, API-key authentication, validated settings.
 *
 * A shop's API key is shown once, when it is issued (at creation, or by shop_new_key, which
 * replaces it), and stored only as its SHA-256 (keys are 192 random bits, so a plain hash is
 * enough to make a stolen database useless for calling the API).
 */
#ifndef RESTOCK_SHOP_H
#define RESTOCK_SHOP_H

#include <jansson.h>

#include "core/app.h"
#include "core/model.h"

#define API_KEY_MAX 64

struct shop_new {
    const char *name, *url, *currency, *timezone; /* currency, timezone may be NULL: defaults */
};

/* Validates and creates a shop (with its webhook secret and VAPID key pair), durably. The shop is
 * returned in out (strings in arena a) and its API key in api_key. RS_EINVAL naming the field. */
int shop_create(struct app *app, const struct shop_new *in, struct arena *a, struct shop *out,
                char api_key[API_KEY_MAX], struct rs_status *st);

/* Issues a new API key for the shop with public id uuid (lower case), durably: the new key is
 * returned in api_key and the shop in out (strings in arena a); the shop's previous key stops
 * authenticating. RS_ENOTFOUND when there is no such shop, RS_ESTORE when the store fails. */
int shop_new_key(struct app *app, const char *uuid, struct arena *a, struct shop *out,
                 char api_key[API_KEY_MAX], struct rs_status *st);

/* Finds the shop of an API key (RS_EUNAUTH when none). Uses the calling thread's reader. */
int shop_authenticate(struct app *app, const char *api_key, struct arena *a, struct shop *out);

/* Applies a settings patch (PATCH /v1/shop body) to sh in memory, all or nothing: every field is
 * validated before any is changed. RS_EINVAL naming the field. */
int shop_patch(struct shop *sh, const json_t *patch, struct arena *a, struct rs_status *st);

/* PATCH /v1/shop as a writer job. The patch is validated against the caller's copy of the shop,
 * then applied on the writer to the shop as stored at that moment, setting only the settings it
 * names: two concurrent patches of different settings both land. */
struct shop_change {
    int64_t sid;
    struct shop want; /* the caller's copy with the patch applied */
    uint32_t fields;  /* the settings the patch names (bits over shop.c's settings table) */
    struct arena *arena;
    struct shop out; /* result of shop_change_apply: the shop as stored */
};

/* Validates patch (as shop_patch) into ch, for the shop sh. RS_EINVAL naming the field. */
int shop_change_parse(struct shop_change *ch, const struct shop *sh, const json_t *patch,
                      struct arena *a, struct rs_status *st);
/* The writer job: RS_ENOTFOUND when the shop is gone, RS_ESTORE when the store fails. */
int shop_change_apply(struct tx *tx, void *shop_change, struct rs_status *st);

/* The public JSON view of a shop and its settings (never the key hash or private keys). */
json_t *shop_to_json(const struct shop *sh);

/* Checks a storefront origin: http(s)://host[:port], no path, query or credentials. A trailing
 * '/' is dropped. Returns the canonical origin (arena) or NULL. */
const char *shop_url_canonical(const char *url, struct arena *a);

#endif
