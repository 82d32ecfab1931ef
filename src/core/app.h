/*
 * app — the running restock: configuration, store, group committer and shared state, opened
 * once by a front end (the server or a CLI command) and passed to the core's functions.
 */
#ifndef RESTOCK_APP_H
#define RESTOCK_APP_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/config.h"
#include "store/commit.h"
#include "store/store.h"

struct ratelimit;
struct push_hosts;
struct fanout;
struct outbox;
struct order_sink;

struct app {
    struct config *cfg;
    const struct store_ops *ops;
    struct store *store;
    struct committer *cm;
    struct push_hosts *push_hosts;
    struct ratelimit *rl_ip, *rl_contact;
    uint8_t secret[32]; /* the server secret: HMAC key of every public token */
    /* background work of `restock serve` (NULL in CLI commands and unit tests) */
    struct fanout *fanout;
    struct outbox *outbox;
    /* where Shopify orders go (order_sink.h): attribution, set by app_open; NULL: converted,
     * checked and dropped */
    const struct order_sink *orders;
    /* set when `restock serve` begins to stop: waits on outside services (test sends) end */
    atomic_int stopping;
};

/* Opens the store named by cfg->db, starts the committer. RS_EUSAGE for a bad option value,
 * RS_ESTORE when the store cannot be opened. On failure nothing is left open. */
int app_open(struct app *app, struct config *cfg, struct rs_status *st);
void app_close(struct app *app);

#endif
