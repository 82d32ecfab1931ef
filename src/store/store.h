/*
 * store — restock's one storage interface: a struct of operations, one file per backend
 * (store_sqlite.c now, store_pg.c later), as SQLite's VFS or Redis's ae backends.
 *
 * Connections. A `store_conn` is used by one thread at a time. reader() gives the calling thread
 * its own read connection (created on first use, kept until close) and holds it for the thread
 * until reader_release(); the HTTP layer releases after every request. A reader sees every write
 * whose job has completed (read-your-writes): the backend may keep a read snapshot across calls
 * only while nothing has been committed since it began. Writes happen only on the writer
 * connection, inside jobs run by the group committer (commit.h), which wraps each job in a
 * savepoint and many jobs in one durable transaction.
 *
 * Results. Every operation returns RS_OK, RS_ENOTFOUND (a lookup found nothing), RS_ECONFLICT (a
 * unique key exists) or RS_ESTORE (the backend failed; logged). Strings of rows read are allocated
 * from the arena passed in and live as long as it.
 */
#ifndef RESTOCK_STORE_H
#define RESTOCK_STORE_H

#include <stdint.h>

#include "core/model.h"
#include "util/arena.h"
#include "util/err.h"

struct store;
struct store_conn;

struct sub_filter {
    int64_t sid;
    const char *variant_id; /* NULL: any */
    int status, channel;    /* -1: any */
    const char *contact_key;
    int64_t after_id; /* keyset pagination: ids > after_id */
    int limit;
};

typedef int (*sub_cb)(void *arg, const struct subscription *s);

struct store_ops {
    const char *name;
    /* Opens (creating and migrating) the store at target. RS_ESTORE with a message on failure. */
    int (*open)(const char *target, struct store **out, struct rs_status *st);
    void (*close)(struct store *s);
    struct store_conn *(*reader)(struct store *s);
    void (*reader_release)(struct store *s); /* no-op when the thread holds none */
    struct store_conn *(*writer)(struct store *s);

    int (*begin)(struct store_conn *c);
    int (*commit)(struct store_conn *c);
    int (*rollback)(struct store_conn *c);
    int (*savepoint)(struct store_conn *c);
    int (*release)(struct store_conn *c);
    int (*rollback_to)(struct store_conn *c);

    /* The server secret (32 bytes), created with the store. */
    int (*secret)(struct store_conn *c, uint8_t out[32]);

    int (*shop_insert)(struct store_conn *c, struct shop *sh); /* sets sh->sid */
    int (*shop_update)(struct store_conn *c, const struct shop *sh);
    int (*shop_by_uuid)(struct store_conn *c, const char *uuid, struct arena *a, struct shop *out);
    int (*shop_by_key)(struct store_conn *c, const uint8_t hash[32], struct arena *a,
                       struct shop *out);
    int (*shop_by_sid)(struct store_conn *c, int64_t sid, struct arena *a, struct shop *out);
    int (*shop_count)(struct store_conn *c, int64_t *n);

    int (*variant_get)(struct store_conn *c, int64_t sid, const char *variant_id, struct arena *a,
                       struct variant *out);
    int (*variant_put)(struct store_conn *c, const struct variant *v); /* insert or replace */
    int (*restock_insert)(struct store_conn *c, int64_t sid, const char *variant_id,
                          int64_t available, int64_t soldout_since, int64_t at);

    int (*sub_insert)(struct store_conn *c, struct subscription *s); /* sets s->id */
    int (*sub_find)(struct store_conn *c, int64_t sid, const char *variant_id, enum channel ch,
                    const char *contact_key, struct arena *a, struct subscription *out);
    int (*sub_get)(struct store_conn *c, int64_t id, struct arena *a, struct subscription *out);
    /* Calls cb for each match in id order, at most f->limit; stops early when cb returns != 0. */
    int (*sub_list)(struct store_conn *c, const struct sub_filter *f, struct arena *a, sub_cb cb,
                    void *arg);
    int (*sub_set_status)(struct store_conn *c, int64_t id, enum sub_status st, int64_t at);
    /* Unsubscribes every subscription of a contact at a shop; *n = how many changed. */
    int (*sub_unsubscribe_contact)(struct store_conn *c, int64_t sid, const char *contact_key,
                                   int64_t at, int64_t *n);
};

/* A connection with its backend's operations: what core functions take to read or write. */
struct tx {
    const struct store_ops *ops;
    struct store_conn *c;
};

/* The backend for a target: a postgresql:// URL (not yet available) or a SQLite path. */
const struct store_ops *store_backend(const char *target);

extern const struct store_ops store_sqlite;

#endif
