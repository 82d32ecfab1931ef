/*
 * store_sqlite — the SQLite backend of store.h, the embedded default.
 *
 * Durability: WAL journal, synchronous=FULL, so a COMMIT that returned is on disk; the group
 * committer (commit.c) makes that affordable by carrying many requests per COMMIT. One writer
 * connection (used only by the committer thread) and one read connection per reading thread; WAL
 * lets readers run beside the writer. Every statement is prepared once per connection and kept.
 *
 * Read snapshots. Starting a read transaction costs SQLite file-lock system calls on the WAL
 * index, more than the lookup itself, so a reader keeps its transaction open across requests
 * while `commits` (bumped by every writer COMMIT, before any job's done() runs) is unchanged since
 * the snapshot began: a snapshot is reused only while it is exactly current. The housekeeper
 * thread ends snapshots that are stale or idle for IDLE_MS, so an idle thread never pins the WAL
 * against checkpoints. Other processes on the file (the CLI's `shop add`) do not bump `commits`:
 * a snapshot is never reused once IDLE_MS old, and a shop lookup that finds nothing on a reused
 * snapshot looks again on a fresh one, so a shop added while serving is usable at once. A reader's
 * mutex is held by its thread from reader() to reader_release(); the housekeeper only try-locks it.
 *
 * Shops by public id. One transaction's view of a shop changes only through its own writes, so
 * a connection remembers the last SHOP_CACHE shops it read by uuid and answers from them while
 * the transaction lasts and writes no shop (the widget's stock read would otherwise spend a fifth
 * of its time re-reading the same shop row, the committer once per sign-up of a batch). `view`
 * counts the ends of such views: a reader's snapshot ending; on the writer every COMMIT,
 * ROLLBACK, ROLLBACK TO and shop write. Entries of an older view are never used.
 *
 * Schema (version in PRAGMA user_version; migrations[] applied in order at open, each in its own
 * transaction). `shop_id` is the shop's internal key and leads every index, so the PostgreSQL
 * backend can shard by it. Times are Unix seconds, money integer minor units.
 *
 *   meta(key PK, value)                       server_secret (hex, 32 bytes)
 *   shops(sid PK, uuid UNIQUE, name, url, currency, timezone, locale, sender_name, sender_email,
 *         api_key_hash BLOB UNIQUE, webhook_secret, vapid_public, vapid_private,
 *         low_stock_threshold, min_available, min_soldout_minutes, subscription_ttl_days,
 *         max_notifications, conversions_enabled, double_opt_in, created_at)
 *   variants(shop_id, variant_id, product_id, product_number, inventory_item_id, title,
 *         variant_title, url, image_url, price, original_price, currency, category, available,
 *         soldout_since, updated_at)                PK (shop_id, variant_id), WITHOUT ROWID
 *         index (shop_id, inventory_item_id)
 *   restocks(id PK, shop_id, variant_id, available, soldout_since, at, processed_at)
 *         index (shop_id, processed_at, id) — the fan-out's queue of restock events
 *   subscriptions(id PK, shop_id, variant_id, channel, status, contact_key, email, phone,
 *         push_endpoint, push_p256dh, push_auth, first_name, customer_id, tracking_user_id,
 *         locale, source, quantity, notify_count, created_at, updated_at, confirmed_at,
 *         notified_at, unsubscribed_at)
 *         unique (shop_id, contact_key, variant_id, channel) — one subscription per contact,
 *         variant and channel, and by its prefix everything of one contact;
 *         index (shop_id, variant_id, id) — a variant's subscribers in sign-up order: the
 *         waiting list (status filtered on the rows), re-enrolment, listings by variant. Status
 *         is left out of it on purpose (migration 3): the fan-out's status change then rewrites
 *         only the row, not an index entry.
 *   campaigns(id PK, shop_id, channel, status, is_default, json, created_at, updated_at,
 *         deleted_at)                   index (shop_id, deleted_at, id); json is campaign.h's shape
 *   restocks(... cursor, next_batch_at, sent, state)   the fan-out's progress (migration 2)
 *   notifications(id PK, shop_id, subscription_id, restock_id, campaign_id, channel, status,
 *         attempts, not_before, lease_until, expires_at, created_at, sent_at, segments, reason)
 *         unique (shop_id, restock_id, subscription_id) — the idempotency key: one message per
 *         subscription and restock, and by its prefix a restock's messages (budgets, the
 *         fan-out's range update) (migration 3);
 *         partial index (channel, not_before) WHERE status IN (queued, retrying) — the delivery
 *         workers' queue per channel in due order (migration 3), the one index not led by
 *         shop_id: workers claim across shops (a sharded backend keeps one queue per shard).
 *         msg_hash is not stored: it is the HMAC token of the id (token.h).
 *   decisions(id PK, shop_id, restock_id, subscription_id, campaign_id, decision, reason, at)
 *         why a subscription was not notified; index (shop_id, subscription_id, id)
 *   caps(shop_id, campaign_id, contact_key, day, n)  PK — frequency-cap counters, WITHOUT ROWID
 *   activity(shop_id, who, kind, variant_id, at)  what a shopper did: kind view, cart, wishlist
 *         or purchase; who is a contact key (canonical email, E.164 phone, push endpoint),
 *         "t:" + tracking user id or "c:" + customer id. index (shop_id, who, kind, at) — the
 *         event filters; index (shop_id, at) — pruning (migration 4)
 *   budgets(shop_id, restock_id, campaign_id, used)  PK — units (SMS segments, else messages) a
 *         campaign has queued for a restock against its max_sends, WITHOUT ROWID (migration 7)
 *   Attribution (migration 5):
 *   notifications.opened_at, clicked_at   the first open and the first tracked click (0: none)
 *   hits(id PK, shop_id, notification_id, campaign_id, kind, name, attributes, at)  every open
 *         (kind 0), click (1) and event call (2, name and attributes JSON); index (shop_id,
 *         notification_id, kind); index (shop_id, at)
 *   orders(id PK, shop_id, order_number, source, total, currency, created_at, status, refunded,
 *         email, phone, customer_id, tracking_user_id, cart_token, received_at)  unique
 *         (shop_id, order_number): an order counts once; status 0 placed, 1 cancelled,
 *         2 refunded (refunded: the amount refunded so far); money in minor units
 *   order_items(order_id, n, variant_id, product_number, url, quantity, price)  PK (order_id, n)
 *   conversions(id PK, shop_id, notification_id, campaign_id, order_id, kind, amount, refunded,
 *         currency, status, at, created_at)  unique (shop_id, notification_id): a notification
 *         converts at most once; kind 0 direct, 1 assisted; order_id 0 for a goal event; status
 *         0 counted, 1 cancelled; at is the order's date; index (shop_id, at), (shop_id, order_id)
 *   subscriptions by customer_id and by tracking_user_id: partial indexes (where not NULL), so
 *   Orders in, attribution and stats (migration 6):
 *   variants (shop_id, product_number), (shop_id, url): partial indexes — order items name a
 *         variant by product number or product URL (Hello Retail's collect call)
 *   subscriptions (shop_id, email) WHERE channel <> email, (shop_id, phone) WHERE channel <>
 *         sms: an order's buyer by an email or phone that is not the contact key (which the
 *         unique key's prefix already finds)
 *   stats_slots(shop_id, slot, campaign_id, sent, opened, clicked, direct_n, direct_amount,
 *         direct_net, assisted_n, assisted_amount, assisted_net)  PK, WITHOUT ROWID — the stats
 *         rollup: slot = t / 900 (15-minute slots of UTC time, so any zone's local days are
 *         whole slots); kept by triggers in the same transaction as the rows: a notification
 *         of a restock (not a double opt-in confirmation) becoming sent (slot of sent_at), its
 * first open and first click (slots of opened_at, clicked_at), a conversion inserted or updated
 * (its old row taken away, its new one added, counted only while status 0; net = amount - refunded)
 *   event_slots(shop_id, slot, campaign_id, name, hits)  PK, WITHOUT ROWID — event hits (kind
 *         2) per slot and name, for the top events; kept by a trigger on hits
 *   an order finds its buyer's subscriptions by any identity; restocks (shop_id, variant_id, at)
 *   so it finds a variant's notifications of the window through the outbox key
 *   Ingest (migration 9):
 *   inventory_levels(shop_id, inventory_item_id, location_id, available, updated_at)  PK, WITHOUT
 *         ROWID — Shopify's stock per location; a variant's available is their sum
 *   webhook_events(shop_id, event_id, topic, at)  PK (shop_id, event_id), WITHOUT ROWID: a
 *         webhook delivered again is acknowledged and ignored; index (at) — pruning
 *   shopify_orders(shop_id, order_id, order_number)  PK (shop_id, order_id), WITHOUT ROWID:
 *         Shopify's order id to the order number, for refunds (which carry only the id)
 *   privacy_requests(id PK, shop_id, kind, customer_id, email, phone, request_id, at)
 *         customers/data_request received; index (shop_id, id)
 *   A double opt-in confirmation message is a notification with restock_id 0 and campaign_id 0:
 *   the same unique key makes it one per subscription, re-queued for a resend.
 *   Tracking (migration 8): partial index hits(shop_id, campaign_id, name) WHERE kind = 2 — a
 *   campaign's top events; clicks and opens (the hot path) do not maintain it
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <stdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/xalloc.h"

/* A trigger adding (sign "+") or taking away ("-") a conversion row `r` (new or old) to or from
 * its slot of the stats rollup: count, amount and net (amount - refunded) by kind. */
#define STATS_CONV_TRIGGER(name, when, cond, r, sign)                                              \
    "CREATE TRIGGER " name " " when " ON conversions WHEN " cond " BEGIN"                          \
    " INSERT INTO stats_slots(shop_id, slot, campaign_id, direct_n, direct_amount, direct_net,"    \
    " assisted_n, assisted_amount, assisted_net) VALUES (" r ".shop_id, " r ".at / 900, " r        \
    ".campaign_id, " sign "(" r ".kind = 0), " sign "(CASE " r ".kind WHEN 0 THEN " r              \
    ".amount ELSE 0 END), " sign "(CASE " r ".kind WHEN 0 THEN " r ".amount - " r                  \
    ".refunded ELSE 0 END), " sign "(" r ".kind <> 0), " sign "(CASE " r ".kind WHEN 0 THEN 0"     \
    " ELSE " r ".amount END), " sign "(CASE " r ".kind WHEN 0 THEN 0 ELSE " r ".amount - " r       \
    ".refunded END)) ON CONFLICT DO UPDATE SET direct_n = direct_n + excluded.direct_n,"           \
    " direct_amount = direct_amount + excluded.direct_amount,"                                     \
    " direct_net = direct_net + excluded.direct_net,"                                              \
    " assisted_n = assisted_n + excluded.assisted_n,"                                              \
    " assisted_amount = assisted_amount + excluded.assisted_amount,"                               \
    " assisted_net = assisted_net + excluded.assisted_net; END;"

static const char *const migrations[] = {
    /* 1 */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE shops(sid INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
    " url TEXT NOT NULL, currency TEXT NOT NULL, timezone TEXT NOT NULL, locale TEXT NOT NULL,"
    " sender_name TEXT NOT NULL, sender_email TEXT NOT NULL, api_key_hash BLOB NOT NULL UNIQUE,"
    " webhook_secret TEXT NOT NULL, vapid_public TEXT NOT NULL, vapid_private TEXT NOT NULL,"
    " low_stock_threshold INTEGER NOT NULL, min_available INTEGER NOT NULL,"
    " min_soldout_minutes INTEGER NOT NULL, subscription_ttl_days INTEGER NOT NULL,"
    " max_notifications INTEGER NOT NULL, conversions_enabled INTEGER NOT NULL,"
    " double_opt_in INTEGER NOT NULL, created_at INTEGER NOT NULL);"
    "CREATE TABLE variants(shop_id INTEGER NOT NULL, variant_id TEXT NOT NULL, product_id TEXT,"
    " product_number TEXT, inventory_item_id TEXT, title TEXT, variant_title TEXT, url TEXT,"
    " image_url TEXT, price INTEGER NOT NULL, original_price INTEGER NOT NULL, currency TEXT,"
    " category TEXT, available INTEGER NOT NULL, soldout_since INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL, PRIMARY KEY(shop_id, variant_id)) WITHOUT ROWID;"
    "CREATE INDEX variants_inventory_item ON variants(shop_id, inventory_item_id);"
    "CREATE TABLE restocks(id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL,"
    " variant_id TEXT NOT NULL, available INTEGER NOT NULL, soldout_since INTEGER NOT NULL,"
    " at INTEGER NOT NULL, processed_at INTEGER);"
    "CREATE INDEX restocks_queue ON restocks(shop_id, processed_at, id);"
    "CREATE TABLE subscriptions(id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL,"
    " variant_id TEXT NOT NULL, channel INTEGER NOT NULL, status INTEGER NOT NULL,"
    " contact_key TEXT NOT NULL, email TEXT, phone TEXT, push_endpoint TEXT, push_p256dh TEXT,"
    " push_auth TEXT, first_name TEXT, customer_id TEXT, tracking_user_id TEXT, locale TEXT,"
    " source TEXT, quantity INTEGER NOT NULL, notify_count INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, confirmed_at INTEGER NOT NULL,"
    " notified_at INTEGER NOT NULL, unsubscribed_at INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX subscriptions_key"
    " ON subscriptions(shop_id, contact_key, variant_id, channel);"
    "CREATE INDEX subscriptions_waiting ON subscriptions(shop_id, variant_id, status, id);",
    /* 2: campaigns, the outbox, decisions, frequency caps; the fan-out's progress per restock */
    "ALTER TABLE restocks ADD COLUMN cursor INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE restocks ADD COLUMN next_batch_at INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE restocks ADD COLUMN sent INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE restocks ADD COLUMN state TEXT NOT NULL DEFAULT 'pending';"
    "CREATE TABLE campaigns(id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL,"
    " channel INTEGER NOT NULL, status INTEGER NOT NULL, is_default INTEGER NOT NULL,"
    " json TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    " deleted_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX campaigns_shop ON campaigns(shop_id, deleted_at, id);"
    "CREATE TABLE notifications(id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL,"
    " subscription_id INTEGER NOT NULL, restock_id INTEGER NOT NULL,"
    " campaign_id INTEGER NOT NULL, channel INTEGER NOT NULL, status INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL, not_before INTEGER NOT NULL, lease_until INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL, sent_at INTEGER NOT NULL,"
    " segments INTEGER NOT NULL, reason TEXT);"
    "CREATE UNIQUE INDEX notifications_key"
    " ON notifications(shop_id, subscription_id, restock_id);"
    "CREATE INDEX notifications_restock ON notifications(shop_id, restock_id, campaign_id);"
    "CREATE INDEX notifications_due ON notifications(status, not_before)"
    " WHERE status IN (0, 2);"
    "CREATE TABLE decisions(id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL,"
    " restock_id INTEGER NOT NULL, subscription_id INTEGER NOT NULL,"
    " campaign_id INTEGER NOT NULL, decision TEXT NOT NULL, reason TEXT NOT NULL,"
    " at INTEGER NOT NULL);"
    "CREATE INDEX decisions_subscription ON decisions(shop_id, subscription_id, id);"
    "CREATE TABLE caps(shop_id INTEGER NOT NULL, campaign_id INTEGER NOT NULL,"
    " contact_key TEXT NOT NULL, day INTEGER NOT NULL, n INTEGER NOT NULL,"
    " PRIMARY KEY(shop_id, campaign_id, contact_key, day)) WITHOUT ROWID;",
    /* 3: the outbox keyed by restock first: one index serves the idempotency key, budgets and
     * the fan-out's range update, and inserts of one restock append to it */
    "DROP INDEX notifications_restock; DROP INDEX notifications_key;"
    "CREATE UNIQUE INDEX notifications_key"
    " ON notifications(shop_id, restock_id, subscription_id);"
    "DROP INDEX subscriptions_waiting;"
    "CREATE INDEX subscriptions_variant ON subscriptions(shop_id, variant_id, id);"
    "DROP INDEX notifications_due;"
    "CREATE INDEX notifications_due ON notifications(channel, not_before)"
    " WHERE status IN (0, 2);",
    /* 4: what shoppers did (views, carts, wishlists, purchases), for the campaigns' event
     * filters and excluded buyers; the fan-out's queue of restocks by a partial index */
    "CREATE TABLE activity(shop_id INTEGER NOT NULL, who TEXT NOT NULL, kind TEXT NOT NULL,"
    " variant_id TEXT, at INTEGER NOT NULL);"
    "CREATE INDEX activity_who ON activity(shop_id, who, kind, at);"
    "CREATE INDEX activity_at ON activity(shop_id, at);"
    "CREATE INDEX restocks_due ON restocks(id) WHERE processed_at IS NULL;",
    /* 5: attribution — opens, clicks and events of notifications, orders and their items,
     * conversions; identity lookups of subscriptions; a variant's restocks by time */
    "ALTER TABLE notifications ADD COLUMN opened_at INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE notifications ADD COLUMN clicked_at INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE hits(id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL,"
    " notification_id INTEGER NOT NULL, campaign_id INTEGER NOT NULL, kind INTEGER NOT NULL,"
    " name TEXT, attributes TEXT, at INTEGER NOT NULL);"
    "CREATE INDEX hits_notification ON hits(shop_id, notification_id, kind);"
    "CREATE INDEX hits_at ON hits(shop_id, at);"
    "CREATE TABLE orders(id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL,"
    " order_number TEXT NOT NULL, source TEXT NOT NULL, total INTEGER NOT NULL,"
    " currency TEXT NOT NULL, created_at INTEGER NOT NULL, status INTEGER NOT NULL,"
    " refunded INTEGER NOT NULL DEFAULT 0, email TEXT, phone TEXT, customer_id TEXT,"
    " tracking_user_id TEXT, cart_token TEXT, received_at INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX orders_number ON orders(shop_id, order_number);"
    "CREATE TABLE order_items(order_id INTEGER NOT NULL, n INTEGER NOT NULL, variant_id TEXT,"
    " product_number TEXT, url TEXT, quantity INTEGER NOT NULL, price INTEGER NOT NULL,"
    " PRIMARY KEY(order_id, n)) WITHOUT ROWID;"
    "CREATE TABLE conversions(id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL,"
    " notification_id INTEGER NOT NULL, campaign_id INTEGER NOT NULL,"
    " order_id INTEGER NOT NULL, kind INTEGER NOT NULL, amount INTEGER NOT NULL,"
    " refunded INTEGER NOT NULL DEFAULT 0, currency TEXT NOT NULL,"
    " status INTEGER NOT NULL DEFAULT 0, at INTEGER NOT NULL, created_at INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX conversions_notification ON conversions(shop_id, notification_id);"
    "CREATE INDEX conversions_at ON conversions(shop_id, at);"
    "CREATE INDEX conversions_order ON conversions(shop_id, order_id);"
    "CREATE INDEX subscriptions_customer ON subscriptions(shop_id, customer_id)"
    " WHERE customer_id IS NOT NULL;"
    "CREATE INDEX subscriptions_tracking ON subscriptions(shop_id, tracking_user_id)"
    " WHERE tracking_user_id IS NOT NULL;"
    "CREATE INDEX restocks_variant ON restocks(shop_id, variant_id, at);",
    /* 6: orders in, attribution and stats — variants by product number and URL (orders name
     * items so); subscriptions by an email or phone that is not their contact key; the stats
     * rollup and its triggers, back-filled from what is there */
    "CREATE INDEX variants_number ON variants(shop_id, product_number)"
    " WHERE product_number IS NOT NULL;"
    "CREATE INDEX variants_url ON variants(shop_id, url) WHERE url IS NOT NULL;"
    "CREATE INDEX subscriptions_email ON subscriptions(shop_id, email)"
    " WHERE channel <> 0 AND email IS NOT NULL;"
    "CREATE INDEX subscriptions_phone ON subscriptions(shop_id, phone)"
    " WHERE channel <> 1 AND phone IS NOT NULL;"
    "CREATE TABLE stats_slots(shop_id INTEGER NOT NULL, slot INTEGER NOT NULL,"
    " campaign_id INTEGER NOT NULL, sent INTEGER NOT NULL DEFAULT 0,"
    " opened INTEGER NOT NULL DEFAULT 0, clicked INTEGER NOT NULL DEFAULT 0,"
    " direct_n INTEGER NOT NULL DEFAULT 0, direct_amount INTEGER NOT NULL DEFAULT 0,"
    " direct_net INTEGER NOT NULL DEFAULT 0, assisted_n INTEGER NOT NULL DEFAULT 0,"
    " assisted_amount INTEGER NOT NULL DEFAULT 0, assisted_net INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(shop_id, slot, campaign_id)) WITHOUT ROWID;"
    "CREATE TABLE event_slots(shop_id INTEGER NOT NULL, slot INTEGER NOT NULL,"
    " campaign_id INTEGER NOT NULL, name TEXT NOT NULL, hits INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(shop_id, slot, campaign_id, name)) WITHOUT ROWID;"
    "INSERT INTO stats_slots(shop_id, slot, campaign_id, sent) SELECT shop_id, sent_at / 900,"
    " campaign_id, count(*) FROM notifications WHERE status = 1 AND restock_id <> 0"
    " GROUP BY 1, 2, 3;"
    "INSERT INTO stats_slots(shop_id, slot, campaign_id, opened) SELECT shop_id,"
    " opened_at / 900, campaign_id, count(*) FROM notifications WHERE opened_at <> 0"
    " AND restock_id <> 0"
    " GROUP BY 1, 2, 3 ON CONFLICT DO UPDATE SET opened = opened + excluded.opened;"
    "INSERT INTO stats_slots(shop_id, slot, campaign_id, clicked) SELECT shop_id,"
    " clicked_at / 900, campaign_id, count(*) FROM notifications WHERE clicked_at <> 0"
    " AND restock_id <> 0"
    " GROUP BY 1, 2, 3 ON CONFLICT DO UPDATE SET clicked = clicked + excluded.clicked;"
    "INSERT INTO stats_slots(shop_id, slot, campaign_id, direct_n, direct_amount, direct_net,"
    " assisted_n, assisted_amount, assisted_net) SELECT shop_id, at / 900, campaign_id,"
    " sum(kind = 0), sum(CASE kind WHEN 0 THEN amount ELSE 0 END),"
    " sum(CASE kind WHEN 0 THEN amount - refunded ELSE 0 END), sum(kind <> 0),"
    " sum(CASE kind WHEN 0 THEN 0 ELSE amount END),"
    " sum(CASE kind WHEN 0 THEN 0 ELSE amount - refunded END) FROM conversions WHERE status = 0"
    " GROUP BY 1, 2, 3 ON CONFLICT DO UPDATE SET direct_n = direct_n + excluded.direct_n,"
    " direct_amount = direct_amount + excluded.direct_amount,"
    " direct_net = direct_net + excluded.direct_net,"
    " assisted_n = assisted_n + excluded.assisted_n,"
    " assisted_amount = assisted_amount + excluded.assisted_amount,"
    " assisted_net = assisted_net + excluded.assisted_net;"
    "INSERT INTO event_slots SELECT shop_id, at / 900, campaign_id, name, count(*) FROM hits"
    " WHERE kind = 2 AND name IS NOT NULL GROUP BY 1, 2, 3, 4;"
    "CREATE TRIGGER stats_sent_insert AFTER INSERT ON notifications"
    " WHEN new.status = 1 AND new.restock_id <> 0 BEGIN"
    " INSERT INTO stats_slots(shop_id, slot, campaign_id, sent) VALUES (new.shop_id,"
    " new.sent_at / 900, new.campaign_id, 1) ON CONFLICT DO UPDATE SET sent = sent + 1; END;"
    "CREATE TRIGGER stats_sent AFTER UPDATE OF status ON notifications"
    " WHEN new.status = 1 AND old.status <> 1 AND new.restock_id <> 0 BEGIN"
    " INSERT INTO stats_slots(shop_id, slot, campaign_id, sent) VALUES (new.shop_id,"
    " new.sent_at / 900, new.campaign_id, 1) ON CONFLICT DO UPDATE SET sent = sent + 1; END;"
    "CREATE TRIGGER stats_opened AFTER UPDATE OF opened_at ON notifications"
    " WHEN old.opened_at = 0 AND new.opened_at <> 0 AND new.restock_id <> 0 BEGIN"
    " INSERT INTO stats_slots(shop_id, slot, campaign_id, opened) VALUES (new.shop_id,"
    " new.opened_at / 900, new.campaign_id, 1) ON CONFLICT DO UPDATE SET opened = opened + 1;"
    " END;"
    "CREATE TRIGGER stats_clicked AFTER UPDATE OF clicked_at ON notifications"
    " WHEN old.clicked_at = 0 AND new.clicked_at <> 0 AND new.restock_id <> 0 BEGIN"
    " INSERT INTO stats_slots(shop_id, slot, campaign_id, clicked) VALUES (new.shop_id,"
    " new.clicked_at / 900, new.campaign_id, 1) ON CONFLICT DO UPDATE SET clicked = clicked + 1;"
    " END;" STATS_CONV_TRIGGER("stats_conversion_insert", "AFTER INSERT", "new.status = 0", "new",
                               "+")
        STATS_CONV_TRIGGER("stats_conversion_old", "AFTER UPDATE", "old.status = 0", "old", "-")
            STATS_CONV_TRIGGER("stats_conversion_new", "AFTER UPDATE", "new.status = 0", "new",
                               "+") "CREATE TRIGGER stats_event AFTER INSERT ON hits WHEN new.kind "
                                    "= 2 AND new.name IS NOT NULL"
                                    " BEGIN INSERT INTO event_slots VALUES (new.shop_id, new.at / "
                                    "900, new.campaign_id,"
                                    " new.name, 1) ON CONFLICT DO UPDATE SET hits = hits + 1; END;",
    /* 7: what each campaign has spent of its max_sends budget on a restock, kept in the
     * fan-out's transactions */
    "CREATE TABLE budgets(shop_id INTEGER NOT NULL, restock_id INTEGER NOT NULL,"
    " campaign_id INTEGER NOT NULL, used INTEGER NOT NULL,"
    " PRIMARY KEY(shop_id, restock_id, campaign_id)) WITHOUT ROWID;",
    /* 8: tracking — a campaign's events by name, for its top events */
    "CREATE INDEX hits_events ON hits(shop_id, campaign_id, name) WHERE kind = 2;",
    /* 9: ingest — Shopify stock per location, delivered webhooks, Shopify order ids, privacy
     * requests */
    "CREATE TABLE inventory_levels(shop_id INTEGER NOT NULL, inventory_item_id TEXT NOT NULL,"
    " location_id TEXT NOT NULL, available INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    " PRIMARY KEY(shop_id, inventory_item_id, location_id)) WITHOUT ROWID;"
    "CREATE TABLE webhook_events(shop_id INTEGER NOT NULL, event_id TEXT NOT NULL,"
    " topic TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY(shop_id, event_id)) WITHOUT ROWID;"
    "CREATE INDEX webhook_events_at ON webhook_events(at);"
    "CREATE TABLE shopify_orders(shop_id INTEGER NOT NULL, order_id TEXT NOT NULL,"
    " order_number TEXT NOT NULL, PRIMARY KEY(shop_id, order_id)) WITHOUT ROWID;"
    "CREATE TABLE privacy_requests(id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL,"
    " kind TEXT NOT NULL, customer_id TEXT, email TEXT, phone TEXT, request_id TEXT,"
    " at INTEGER NOT NULL);"
    "CREATE INDEX privacy_requests_shop ON privacy_requests(shop_id, id);"
    "ALTER TABLE shops ADD COLUMN feed_url TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE shops ADD COLUMN feed_interval_minutes INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE shops ADD COLUMN feed_fetched_at INTEGER NOT NULL DEFAULT 0;",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

#define SHOP_COLS                                                                                  \
    "sid, uuid, name, url, currency, timezone, locale, sender_name, sender_email, api_key_hash,"   \
    " webhook_secret, vapid_public, vapid_private, low_stock_threshold, min_available,"            \
    " min_soldout_minutes, subscription_ttl_days, max_notifications, conversions_enabled,"         \
    " double_opt_in, created_at, feed_url, feed_interval_minutes"
#define VARIANT_COLS                                                                               \
    "shop_id, variant_id, product_id, product_number, inventory_item_id, title, variant_title,"    \
    " url, image_url, price, original_price, currency, category, available, soldout_since,"        \
    " updated_at"
#define SUB_COLS                                                                                   \
    "id, shop_id, variant_id, channel, status, contact_key, email, phone, push_endpoint,"          \
    " push_p256dh, push_auth, first_name, customer_id, tracking_user_id, locale, source,"          \
    " quantity, notify_count, created_at, updated_at, confirmed_at, notified_at, unsubscribed_at"

#define ORDER_COLS                                                                                 \
    "id, shop_id, order_number, source, total, currency, created_at, status, refunded, email,"     \
    " phone, customer_id, tracking_user_id, cart_token, received_at"
/* A notification's campaign's goal window (days), read from the stored campaign JSON by SQLite
 * itself (no parse of the whole campaign per order); 0 when there is none. */
#define GOAL_WINDOW                                                                                \
    "coalesce((SELECT json_extract(g.json, '$.goal.window_days') FROM campaigns g"                 \
    " WHERE g.id = n.campaign_id AND g.shop_id = n.shop_id), 0)"
#define STATS_SUMS                                                                                 \
    "slot, sum(sent), sum(opened), sum(clicked), sum(direct_n), sum(direct_amount),"               \
    " sum(direct_net), sum(assisted_n), sum(assisted_amount), sum(assisted_net)"

enum stmt_id {
    Q_BEGIN,
    Q_COMMIT,
    Q_ROLLBACK,
    Q_SAVEPOINT,
    Q_RELEASE,
    Q_ROLLBACK_TO,
    Q_SECRET,
    Q_SHOP_INSERT,
    Q_SHOP_UPDATE,
    Q_SHOP_BY_UUID,
    Q_SHOP_BY_KEY,
    Q_SHOP_BY_SID,
    Q_SHOP_COUNT,
    Q_VARIANT_GET,
    Q_VARIANT_PUT,
    Q_RESTOCK_INSERT,
    Q_SUB_INSERT,
    Q_SUB_FIND,
    Q_SUB_GET,
    Q_SUB_SET_STATUS,
    Q_SUB_UNSUB_CONTACT,
    Q_SUB_REENROLL,
    Q_SUB_WAITING,
    Q_SUB_NOTIFIED,
    Q_CAMP_INSERT,
    Q_CAMP_UPDATE,
    Q_CAMP_DELETE,
    Q_CAMP_GET,
    Q_CAMP_LIST,
    Q_RESTOCK_NEXT,
    Q_RESTOCK_UPDATE,
    Q_NOTIF_INSERT,
    Q_NOTIF_INSERT_IGNORE,
    Q_OUTBOX_RENEW,
    Q_OUTBOX_RELEASE,
    Q_SUB_REOPEN,
    Q_BUDGET_GET,
    Q_BUDGET_ADD,
    Q_NOTIF_GET,
    Q_OUTBOX_CLAIM,
    Q_NOTIF_RESULT,
    Q_CAP_GET,
    Q_CAP_ADD,
    Q_DECISION_INSERT,
    Q_ORDER_GET,
    Q_ORDER_ITEMS,
    Q_ORDER_INSERT,
    Q_ORDER_ITEM_INSERT,
    Q_ORDER_UPDATE,
    Q_VARIANT_BY_NUMBER,
    Q_VARIANT_BY_URL,
    Q_ATTR_BY_KEY,
    Q_ATTR_BY_EMAIL,
    Q_ATTR_BY_PHONE,
    Q_ATTR_BY_CUSTOMER,
    Q_ATTR_BY_TRACKING,
    Q_ATTR_NOTIFS,
    Q_ATTR_ONE,
    Q_CONV_INSERT,
    Q_CONV_BY_ORDER,
    Q_CONV_SET,
    Q_STATS_SLOTS,
    Q_STATS_SLOTS_CAMPAIGN,
    Q_STATS_EVENTS,
    Q_STATS_EVENTS_CAMPAIGN,
    Q_VARIANT_BY_ITEM,
    Q_LEVEL_PUT,
    Q_LEVEL_DELETE,
    Q_LEVEL_SUM,
    Q_WEBHOOK_EVENT,
    Q_SHOPIFY_ORDER_PUT,
    Q_SHOPIFY_ORDER_GET,
    Q_CONFIRM_QUEUE,
    Q_ACTIVITY_ADD,
    Q_ACTIVITY_SINCE,
    Q_ACTIVITY_SINCE_VARIANT,
    Q_NOTIF_CONTEXT,
    Q_HIT_INSERT,
    Q_NOTIF_TOUCH,
    Q_EVENT_TOP_NOTIF,
    Q_EVENT_TOP_CAMP,
    Q_REPORT_CUSTOMERS,
    Q_REPORT_WAITING,
    Q_COUNT
};

static const char *const sql[Q_COUNT] = {
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_SAVEPOINT] = "SAVEPOINT job",
    [Q_RELEASE] = "RELEASE job",
    [Q_ROLLBACK_TO] = "ROLLBACK TO job",
    [Q_SECRET] = "SELECT value FROM meta WHERE key = 'server_secret'",
    [Q_SHOP_INSERT] = "INSERT INTO shops(" SHOP_COLS ") VALUES (NULL,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                      "?,?,?,?,?,?,?,?)",
    [Q_SHOP_UPDATE] = "UPDATE shops SET name=?2, url=?3, currency=?4, timezone=?5, locale=?6,"
                      " sender_name=?7, sender_email=?8, low_stock_threshold=?9,"
                      " min_available=?10, min_soldout_minutes=?11, subscription_ttl_days=?12,"
                      " max_notifications=?13, conversions_enabled=?14, double_opt_in=?15,"
                      " feed_url=?16, feed_interval_minutes=?17"
                      " WHERE sid=?1",
    [Q_SHOP_BY_UUID] = "SELECT " SHOP_COLS " FROM shops WHERE uuid = ?",
    [Q_SHOP_BY_KEY] = "SELECT " SHOP_COLS " FROM shops WHERE api_key_hash = ?",
    [Q_SHOP_BY_SID] = "SELECT " SHOP_COLS " FROM shops WHERE sid = ?",
    [Q_SHOP_COUNT] = "SELECT count(*) FROM shops",
    [Q_VARIANT_GET] = "SELECT " VARIANT_COLS " FROM variants WHERE shop_id = ? AND variant_id = ?",
    [Q_VARIANT_PUT] = "INSERT OR REPLACE INTO variants(" VARIANT_COLS ") VALUES (?,?,?,?,?,?,?,?,"
                      "?,?,?,?,?,?,?,?)",
    [Q_RESTOCK_INSERT] = "INSERT INTO restocks(shop_id, variant_id, available, soldout_since, at)"
                         " VALUES (?,?,?,?,?)",
    [Q_SUB_INSERT] = "INSERT INTO subscriptions(" SUB_COLS ") VALUES (NULL,?,?,?,?,?,?,?,?,?,?,?,"
                     "?,?,?,?,?,?,?,?,?,?,?)",
    [Q_SUB_FIND] = "SELECT " SUB_COLS " FROM subscriptions WHERE shop_id = ? AND variant_id = ?"
                   " AND channel = ? AND contact_key = ?",
    [Q_SUB_GET] = "SELECT " SUB_COLS " FROM subscriptions WHERE id = ?",
    [Q_SUB_SET_STATUS] = "UPDATE subscriptions SET status = ?2, updated_at = ?3,"
                         " unsubscribed_at = CASE WHEN ?2 = 3 THEN ?3 ELSE unsubscribed_at END,"
                         " confirmed_at = CASE WHEN ?2 = 1 AND confirmed_at = 0 AND status = 0"
                         " THEN ?3 ELSE confirmed_at END WHERE id = ?1",
    [Q_SUB_UNSUB_CONTACT] = "UPDATE subscriptions SET status = 3, updated_at = ?3,"
                            " unsubscribed_at = ?3 WHERE shop_id = ?1 AND contact_key = ?2"
                            " AND status <> 3",
    [Q_SUB_REENROLL] = "UPDATE subscriptions SET status = 1, updated_at = ?4 WHERE shop_id = ?1"
                       " AND variant_id = ?2 AND status = 2 AND notify_count < ?3"
                       " AND NOT EXISTS (SELECT 1 FROM activity a WHERE a.shop_id = ?1"
                       " AND a.who IN (subscriptions.contact_key,"
                       " 't:' || subscriptions.tracking_user_id, 'c:' || subscriptions.customer_id)"
                       " AND a.kind = 'purchase' AND a.at >= subscriptions.notified_at"
                       " AND a.variant_id = ?2)",
    [Q_SUB_WAITING] = "SELECT id, channel, contact_key, first_name, locale, quantity, notify_count,"
                      " created_at, customer_id, tracking_user_id, source FROM subscriptions"
                      " WHERE shop_id = ? AND variant_id = ? AND status = 1 AND id > ?"
                      " ORDER BY id LIMIT ?",
    [Q_SUB_NOTIFIED] = "UPDATE subscriptions SET status = 2, notified_at = ?5, updated_at = ?5,"
                       " notify_count = notify_count + 1 WHERE id IN (SELECT subscription_id FROM"
                       " notifications WHERE shop_id = ?1 AND restock_id = ?2"
                       " AND subscription_id > ?3 AND subscription_id <= ?4 AND status = 0)",
    [Q_CAMP_INSERT] =
        "INSERT INTO campaigns(shop_id, channel, status, is_default, json, created_at,"
        " updated_at) VALUES (?,?,?,?,?,?,?)",
    [Q_CAMP_UPDATE] = "UPDATE campaigns SET status = ?3, json = ?4, updated_at = ?5"
                      " WHERE shop_id = ?1 AND id = ?2 AND deleted_at = 0",
    [Q_CAMP_DELETE] = "UPDATE campaigns SET deleted_at = ?3 WHERE shop_id = ?1 AND id = ?2"
                      " AND deleted_at = 0",
    [Q_CAMP_GET] = "SELECT id, shop_id, channel, status, is_default, json, created_at, updated_at"
                   " FROM campaigns WHERE shop_id = ? AND id = ? AND deleted_at = 0",
    [Q_CAMP_LIST] = "SELECT id, shop_id, channel, status, is_default, json, created_at, updated_at"
                    " FROM campaigns WHERE shop_id = ? AND deleted_at = 0 ORDER BY id",
    [Q_RESTOCK_NEXT] = "SELECT id, shop_id, variant_id, available, soldout_since, at, cursor,"
                       " next_batch_at, sent, processed_at, state FROM restocks"
                       " WHERE processed_at IS NULL AND next_batch_at <= ? ORDER BY id LIMIT 1",
    [Q_RESTOCK_UPDATE] = "UPDATE restocks SET cursor = ?2, next_batch_at = ?3, sent = ?4,"
                         " processed_at = nullif(?5, 0), state = ?6 WHERE id = ?1",
    [Q_NOTIF_INSERT] = "INSERT INTO notifications(shop_id, subscription_id, restock_id,"
                       " campaign_id, channel, status, attempts, not_before, lease_until,"
                       " expires_at, created_at, sent_at, segments, reason)"
                       " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [Q_NOTIF_INSERT_IGNORE] = "INSERT OR IGNORE INTO notifications(shop_id, subscription_id,"
                              " restock_id, campaign_id, channel, status, attempts, not_before,"
                              " lease_until, expires_at, created_at, sent_at, segments, reason)"
                              " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [Q_NOTIF_GET] = "SELECT id, shop_id, subscription_id, restock_id, campaign_id, channel, status,"
                    " attempts, not_before, lease_until, expires_at, created_at, sent_at,"
                    " segments, reason, opened_at, clicked_at FROM notifications WHERE id = ?",
    [Q_OUTBOX_CLAIM] = "UPDATE notifications SET lease_until = ?3 WHERE id IN (SELECT id FROM"
                       " notifications WHERE channel = ?1 AND status IN (0, 2)"
                       " AND not_before <= ?2 AND lease_until <= ?2"
                       " ORDER BY not_before LIMIT ?4) RETURNING id",
    [Q_ORDER_GET] = "SELECT " ORDER_COLS " FROM orders WHERE shop_id = ? AND order_number = ?",
    [Q_ORDER_ITEMS] = "SELECT variant_id, product_number, url, quantity, price FROM order_items"
                      " WHERE order_id = ? ORDER BY n",
    [Q_ORDER_INSERT] = "INSERT INTO orders(" ORDER_COLS ") VALUES (NULL,?,?,?,?,?,?,?,?,?,?,?,?,"
                       "?,?)",
    [Q_ORDER_ITEM_INSERT] = "INSERT INTO order_items VALUES (?,?,?,?,?,?,?)",
    [Q_ORDER_UPDATE] = "UPDATE orders SET status = ?2, refunded = ?3 WHERE id = ?1",
    [Q_VARIANT_BY_NUMBER] = "SELECT variant_id FROM variants WHERE shop_id = ?"
                            " AND product_number = ? LIMIT 100",
    [Q_VARIANT_BY_URL] = "SELECT variant_id FROM variants WHERE shop_id = ? AND url = ? LIMIT 100",
    /* the index-led ways to a buyer's subscriptions, one per identity (only those the order
     * has are asked) */
    [Q_ATTR_BY_KEY] = "SELECT id, variant_id FROM subscriptions WHERE shop_id = ?"
                      " AND contact_key = ?",
    [Q_ATTR_BY_EMAIL] = "SELECT id, variant_id FROM subscriptions WHERE shop_id = ? AND email = ?"
                        " AND channel <> 0 AND email IS NOT NULL",
    [Q_ATTR_BY_PHONE] = "SELECT id, variant_id FROM subscriptions WHERE shop_id = ? AND phone = ?"
                        " AND channel <> 1 AND phone IS NOT NULL",
    [Q_ATTR_BY_CUSTOMER] = "SELECT id, variant_id FROM subscriptions WHERE shop_id = ?"
                           " AND customer_id = ?",
    [Q_ATTR_BY_TRACKING] = "SELECT id, variant_id FROM subscriptions WHERE shop_id = ?"
                           " AND tracking_user_id = ?",
    /* a subscription's sent notifications through its variant's restocks in the window and the
     * outbox key (shop_id, restock_id, subscription_id) */
    [Q_ATTR_NOTIFS] =
        "SELECT n.id, n.campaign_id, n.sent_at, n.clicked_at, EXISTS(SELECT 1 FROM"
        " conversions c WHERE c.shop_id = n.shop_id AND c.notification_id = n.id),"
        " " GOAL_WINDOW " FROM restocks r JOIN notifications n ON n.shop_id = r.shop_id"
        " AND n.restock_id = r.id AND n.subscription_id = ?3"
        " WHERE r.shop_id = ?1 AND r.variant_id = ?2 AND r.at >= ?4 AND r.at <= ?5"
        " AND n.status = 1",
    [Q_ATTR_ONE] = "SELECT n.id, n.campaign_id, n.sent_at, n.clicked_at, EXISTS(SELECT 1 FROM"
                   " conversions c WHERE c.shop_id = n.shop_id AND c.notification_id = n.id),"
                   " " GOAL_WINDOW
                   ", n.subscription_id, s.variant_id FROM notifications n JOIN subscriptions s"
                   " ON s.id = n.subscription_id WHERE n.id = ?2 AND n.shop_id = ?1"
                   " AND n.status = 1 AND n.restock_id <> 0",
    [Q_CONV_INSERT] = "INSERT INTO conversions(shop_id, notification_id, campaign_id, order_id,"
                      " kind, amount, refunded, currency, status, at, created_at)"
                      " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
    [Q_CONV_BY_ORDER] = "SELECT id, shop_id, notification_id, campaign_id, order_id, kind, amount,"
                        " refunded, currency, status, at, created_at FROM conversions"
                        " WHERE shop_id = ? AND order_id = ? AND order_id <> 0 LIMIT 1",
    [Q_CONV_SET] = "UPDATE conversions SET status = ?3, refunded = ?4 WHERE shop_id = ?1"
                   " AND order_id = ?2 AND order_id <> 0",
    [Q_STATS_SLOTS] = "SELECT " STATS_SUMS " FROM stats_slots WHERE shop_id = ? AND slot >= ?"
                      " AND slot <= ? GROUP BY slot ORDER BY slot",
    [Q_STATS_SLOTS_CAMPAIGN] = "SELECT " STATS_SUMS " FROM stats_slots WHERE shop_id = ?"
                               " AND slot >= ? AND slot <= ? AND campaign_id = ? GROUP BY slot"
                               " ORDER BY slot",
    [Q_STATS_EVENTS] = "SELECT name, sum(hits) AS h FROM event_slots WHERE shop_id = ?"
                       " AND slot >= ? AND slot <= ? GROUP BY name ORDER BY h DESC, name LIMIT ?",
    [Q_STATS_EVENTS_CAMPAIGN] = "SELECT name, sum(hits) AS h FROM event_slots WHERE shop_id = ?"
                                " AND slot >= ? AND slot <= ? AND campaign_id = ? GROUP BY name"
                                " ORDER BY h DESC, name LIMIT ?",
    [Q_NOTIF_RESULT] = "UPDATE notifications SET status = ?2, attempts = ?3, not_before = ?4,"
                       " lease_until = ?5, sent_at = ?6, segments = ?7, reason = ?8 WHERE id = ?1"
                       " AND lease_until = ?9 AND status IN (0, 2)",
    [Q_OUTBOX_RENEW] = "UPDATE notifications SET lease_until = ?3 WHERE id = ?1"
                       " AND lease_until = ?2 AND status IN (0, 2)",
    [Q_OUTBOX_RELEASE] = "UPDATE notifications SET lease_until = 0 WHERE status IN (0, 2)"
                         " AND lease_until > 0",
    [Q_SUB_REOPEN] = "UPDATE subscriptions SET status = ?2, created_at = ?3, updated_at = ?3,"
                     " notify_count = 0, notified_at = 0, confirmed_at = 0 WHERE id = ?1",
    [Q_BUDGET_GET] = "SELECT used FROM budgets WHERE shop_id = ? AND restock_id = ?"
                     " AND campaign_id = ?",
    [Q_BUDGET_ADD] = "INSERT INTO budgets VALUES (?1, ?2, ?3, ?4)"
                     " ON CONFLICT DO UPDATE SET used = used + ?4",
    [Q_CAP_GET] = "SELECT n FROM caps WHERE shop_id = ? AND campaign_id = ? AND contact_key = ?"
                  " AND day = ?",
    [Q_CAP_ADD] = "INSERT INTO caps VALUES (?,?,?,?,1) ON CONFLICT DO UPDATE SET n = n + 1",
    [Q_CONFIRM_QUEUE] = "INSERT INTO notifications(shop_id, subscription_id, restock_id,"
                        " campaign_id, channel, status, attempts, not_before, lease_until,"
                        " expires_at, created_at, sent_at, segments, reason)"
                        " VALUES (?1, ?2, 0, 0, ?3, 0, 0, ?4, 0, ?4 + ?5, ?4, 0, 0, NULL)"
                        " ON CONFLICT(shop_id, restock_id, subscription_id) DO UPDATE SET"
                        " status = 0, attempts = 0, not_before = ?4, lease_until = 0,"
                        " expires_at = ?4 + ?5, created_at = ?4, sent_at = 0, reason = NULL"
                        " WHERE notifications.created_at <= ?4 - ?6"
                        " AND notifications.lease_until <= ?4",
    [Q_ACTIVITY_ADD] = "INSERT INTO activity VALUES (?,?,?,?,?)",
    [Q_ACTIVITY_SINCE] = "SELECT 1 FROM activity WHERE shop_id = ? AND who = ? AND kind = ?"
                         " AND at >= ? LIMIT 1",
    [Q_ACTIVITY_SINCE_VARIANT] = "SELECT 1 FROM activity WHERE shop_id = ? AND who = ?"
                                 " AND kind = ? AND at >= ? AND variant_id = ? LIMIT 1",
    [Q_VARIANT_BY_ITEM] = "SELECT variant_id FROM variants WHERE shop_id = ?"
                          " AND inventory_item_id = ? ORDER BY variant_id LIMIT 1",
    [Q_LEVEL_PUT] = "INSERT INTO inventory_levels VALUES (?,?,?,?,?) ON CONFLICT DO UPDATE SET"
                    " available = excluded.available, updated_at = excluded.updated_at",
    [Q_LEVEL_DELETE] = "DELETE FROM inventory_levels WHERE shop_id = ? AND inventory_item_id = ?"
                       " AND location_id = ?",
    [Q_LEVEL_SUM] = "SELECT coalesce(sum(available), 0), count(*) FROM inventory_levels"
                    " WHERE shop_id = ? AND inventory_item_id = ?",
    [Q_WEBHOOK_EVENT] = "INSERT OR IGNORE INTO webhook_events VALUES (?,?,?,?)",
    [Q_SHOPIFY_ORDER_PUT] = "INSERT OR REPLACE INTO shopify_orders VALUES (?,?,?)",
    [Q_SHOPIFY_ORDER_GET] = "SELECT order_number FROM shopify_orders WHERE shop_id = ?"
                            " AND order_id = ?",
    [Q_DECISION_INSERT] = "INSERT INTO decisions(shop_id, restock_id, subscription_id,"
                          " campaign_id, decision, reason, at) VALUES (?,?,?,?,?,?,?)",
    [Q_NOTIF_CONTEXT] = "SELECT n.id, n.shop_id, n.campaign_id, n.subscription_id, n.opened_at,"
                        " n.clicked_at, s.url, s.currency, s.conversions_enabled, b.variant_id,"
                        " v.url, b.quantity, c.id, c.channel, c.status, c.is_default, c.json,"
                        " c.created_at, c.updated_at FROM notifications n"
                        " JOIN shops s ON s.sid = n.shop_id"
                        " LEFT JOIN subscriptions b ON b.id = n.subscription_id"
                        " LEFT JOIN variants v ON v.shop_id = n.shop_id"
                        " AND v.variant_id = b.variant_id"
                        " LEFT JOIN campaigns c ON c.id = n.campaign_id AND c.shop_id = n.shop_id"
                        " WHERE n.id = ?",
    [Q_HIT_INSERT] = "INSERT INTO hits(shop_id, notification_id, campaign_id, kind, name,"
                     " attributes, at) VALUES (?,?,?,?,?,?,?)",
    [Q_NOTIF_TOUCH] = "UPDATE notifications SET"
                      " opened_at = CASE WHEN opened_at = 0 THEN ?2 ELSE opened_at END,"
                      " clicked_at = CASE WHEN clicked_at = 0 THEN ?3 ELSE clicked_at END"
                      " WHERE id = ?1 AND ((opened_at = 0 AND ?2 <> 0)"
                      " OR (clicked_at = 0 AND ?3 <> 0))",
    [Q_EVENT_TOP_NOTIF] = "SELECT name, count(*) FROM hits WHERE shop_id = ?1"
                          " AND notification_id = ?2 AND kind = 2 GROUP BY name"
                          " ORDER BY 2 DESC, name LIMIT ?3",
    [Q_EVENT_TOP_CAMP] = "SELECT name, count(*) FROM hits WHERE shop_id = ?1"
                         " AND campaign_id = ?2 AND kind = 2 GROUP BY name"
                         " ORDER BY 2 DESC, name LIMIT ?3",
    /* the outbox walked by id (+n.shop_id: never by notifications_key, which would sort every
     * page); confirmation messages (restock 0) are not notifications of a restock */
    [Q_REPORT_CUSTOMERS] =
        "SELECT n.id, n.channel, coalesce(s.email, s.phone, s.push_endpoint, s.contact_key),"
        " s.variant_id, v.title, v.variant_title, s.created_at, n.sent_at, n.opened_at,"
        " n.clicked_at, c.kind, o.order_number, o.created_at, o.total, o.currency"
        " FROM notifications n JOIN subscriptions s ON s.id = n.subscription_id"
        " LEFT JOIN variants v ON v.shop_id = s.shop_id AND v.variant_id = s.variant_id"
        " LEFT JOIN conversions c ON c.shop_id = n.shop_id AND c.notification_id = n.id"
        " AND c.status = 0"
        " LEFT JOIN orders o ON o.id = c.order_id"
        " WHERE +n.shop_id = ?1 AND n.id > ?2 AND n.status = 1 AND n.restock_id <> 0"
        " AND n.sent_at >= ?3 AND (?4 = 0 OR n.sent_at < ?4) ORDER BY n.id LIMIT ?5",
    [Q_REPORT_WAITING] = "SELECT variant_id, quantity, created_at FROM subscriptions"
                         " WHERE shop_id = ? AND status = 1 ORDER BY variant_id, id",
};

#define IDLE_MS    50
#define SHOP_CACHE 8

struct cached_shop {
    struct arena *arena; /* holds shop's strings; NULL: empty */
    unsigned long view;  /* the connection's view it was read in */
    struct shop shop;
};

struct store_conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[Q_COUNT];
    sqlite3_stmt *notif_batch; /* NOTIF_BATCH rows of INSERT OR IGNORE INTO notifications */
    int sync_full;             /* sq_durable's last setting + 1; 0: the pragma's default */
    struct store *store;
    struct store_conn *next; /* the store's list of connections */
    unsigned long view;      /* see "Shops by public id" above */
    struct cached_shop shops[SHOP_CACHE];
    unsigned shops_next; /* the entry to replace next */
    /* readers only */
    pthread_mutex_t mu;
    int held, in_txn;
    int snap_reused; /* the open snapshot began before the current reader() */
    unsigned long snap_commits;
    int64_t snap_ms, last_used_ms;
};

struct store {
    char *path;
    unsigned long gen; /* tells this store's thread-local readers from an earlier store's */
    pthread_mutex_t mu;
    struct store_conn *writer, *conns;
    atomic_ulong commits;
    pthread_t housekeeper;
    pthread_mutex_t hk_mu;
    pthread_cond_t hk_cv;
    int stopping;
};

static _Thread_local struct {
    unsigned long gen;
    struct store_conn *conn;
} tl_reader;
static unsigned long next_gen = 1;
static pthread_mutex_t gen_mu = PTHREAD_MUTEX_INITIALIZER;

/* ---- connections -------------------------------------------------------------------------- */

static int fail_db(sqlite3 *db, const char *what)
{
    log_msg(LOG_ERROR, "sqlite: %s: %s", what, db ? sqlite3_errmsg(db) : "cannot open");
    return RS_ESTORE;
}

static sqlite3_stmt *stmt(struct store_conn *c, enum stmt_id id)
{
    if (!c->stmt[id] &&
        sqlite3_prepare_v3(c->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT, &c->stmt[id], NULL)) {
        fail_db(c->db, sql[id]);
        return NULL;
    }
    return c->stmt[id];
}

static void conn_close(struct store_conn *c)
{
    if (!c) return;
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(c->stmt[i]);
    sqlite3_finalize(c->notif_batch);
    for (int i = 0; i < SHOP_CACHE; i++)
        arena_free(c->shops[i].arena);
    sqlite3_close(c->db);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static struct store_conn *conn_open(const char *path, struct rs_status *st)
{
    struct store_conn *c = xcalloc(1, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
        rs_fail(st, RS_ESTORE, "cannot open %s: %s", path, sqlite3_errmsg(c->db));
        conn_close(c);
        return NULL;
    }
    sqlite3_busy_timeout(c->db, 5000);
    sqlite3_extended_result_codes(c->db, 1);
    char *err = NULL;
    if (sqlite3_exec(c->db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                     "PRAGMA cache_size=-16000; PRAGMA temp_store=MEMORY;",
                     NULL, NULL, &err) != SQLITE_OK) {
        rs_fail(st, RS_ESTORE, "cannot set up %s: %s", path, err ? err : "?");
        sqlite3_free(err);
        conn_close(c);
        return NULL;
    }
    return c;
}

static int migrate(struct store_conn *c, struct rs_status *st)
{
    sqlite3_stmt *s = NULL;
    int version = 0;
    if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (version > NMIGRATIONS)
        return rs_fail(st, RS_ESTORE, "database schema version %d is newer than this restock (%d)",
                       version, NMIGRATIONS);
    for (int v = version; v < NMIGRATIONS; v++) {
        char *err = NULL, pragma[64];
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d;", v + 1);
        int rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, &err);
        if (rc == SQLITE_OK) rc = sqlite3_exec(c->db, migrations[v], NULL, NULL, &err);
        if (rc == SQLITE_OK && v == 0) { /* the server secret is born with the store */
            uint8_t secret[32];
            char hex[65], ins[128];
            crypto_random(secret, sizeof(secret));
            hex_encode(secret, sizeof(secret), hex);
            snprintf(ins, sizeof(ins), "INSERT INTO meta VALUES('server_secret','%s');", hex);
            rc = sqlite3_exec(c->db, ins, NULL, NULL, &err);
        }
        if (rc == SQLITE_OK) rc = sqlite3_exec(c->db, pragma, NULL, NULL, &err);
        if (rc == SQLITE_OK) rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, &err);
        if (rc != SQLITE_OK) {
            rs_fail(st, RS_ESTORE, "migration %d failed: %s", v + 1, err ? err : "?");
            sqlite3_free(err);
            sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
            return RS_ESTORE;
        }
    }
    return RS_OK;
}

static void *housekeeper(void *arg);

/* SQLite's memory statistics take one process-wide mutex on every allocation, which the HTTP
 * threads' readers and the committer then contend for; restock reads none of them. This must
 * run before SQLite initialises, so it is done once, at the first open. */
static void sqlite_setup(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int sq_open(const char *target, struct store **out, struct rs_status *st)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_setup);
    struct store_conn *w = conn_open(target, st);
    if (!w) return RS_ESTORE;
    /* The writer checkpoints the WAL itself, inside a COMMIT, when it passes this many pages:
     * 10,000 (40 MB) instead of SQLite's 1,000 lets a page written by many commits (index
     * tails, the stats rollup) be copied back once, not ten times — +25% orders/s on the
     * writer in bench/collect's steady state. */
    sqlite3_exec(w->db, "PRAGMA wal_autocheckpoint=10000", NULL, NULL, NULL);
    if (migrate(w, st)) {
        conn_close(w);
        return RS_ESTORE;
    }
    struct store *s = xcalloc(1, sizeof(*s));
    s->path = xstrdup(target);
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_lock(&gen_mu);
    s->gen = next_gen++;
    pthread_mutex_unlock(&gen_mu);
    s->writer = w;
    w->store = s;
    pthread_mutex_init(&s->hk_mu, NULL);
    pthread_cond_init(&s->hk_cv, NULL);
    if (pthread_create(&s->housekeeper, NULL, housekeeper, s)) {
        log_msg(LOG_ERROR, "cannot start the store housekeeper");
        abort();
    }
    *out = s;
    return RS_OK;
}

static void sq_close(struct store *s)
{
    if (!s) return;
    pthread_mutex_lock(&s->hk_mu);
    s->stopping = 1;
    pthread_cond_signal(&s->hk_cv);
    pthread_mutex_unlock(&s->hk_mu);
    pthread_join(s->housekeeper, NULL);
    pthread_cond_destroy(&s->hk_cv);
    pthread_mutex_destroy(&s->hk_mu);
    for (struct store_conn *c = s->conns, *n; c; c = n) {
        n = c->next;
        conn_close(c);
    }
    conn_close(s->writer);
    pthread_mutex_destroy(&s->mu);
    free(s->path);
    free(s);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void end_snapshot(struct store_conn *c)
{
    if (!c->in_txn) return;
    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    c->in_txn = 0;
    c->view++;
}

/* Ends reader snapshots that are stale or idle, so they never pin the WAL. */
static void *housekeeper(void *arg)
{
    struct store *s = arg;
    pthread_mutex_lock(&s->hk_mu);
    while (!s->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += IDLE_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&s->hk_cv, &s->hk_mu, &until);
        pthread_mutex_lock(&s->mu);
        unsigned long commits = atomic_load(&s->commits);
        int64_t now = mono_ms();
        for (struct store_conn *c = s->conns; c; c = c->next) {
            if (pthread_mutex_trylock(&c->mu)) continue; /* in use: its thread will see */
            if (c->in_txn && (c->snap_commits != commits || now - c->last_used_ms >= IDLE_MS))
                end_snapshot(c);
            pthread_mutex_unlock(&c->mu);
        }
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_unlock(&s->hk_mu);
    return NULL;
}

static struct store_conn *thread_reader(struct store *s)
{
    if (tl_reader.gen == s->gen && tl_reader.conn) return tl_reader.conn;
    struct rs_status st = {0};
    struct store_conn *c = conn_open(s->path, &st);
    if (!c) {
        log_msg(LOG_ERROR, "%s", st.msg);
        return NULL;
    }
    c->store = s;
    pthread_mutex_lock(&s->mu);
    c->next = s->conns;
    s->conns = c;
    pthread_mutex_unlock(&s->mu);
    tl_reader.gen = s->gen;
    tl_reader.conn = c;
    return c;
}

static void begin_snapshot(struct store_conn *c)
{
    /* the snapshot itself begins at the first read, after `commits` was read: if a commit lands
     * in between, the snapshot is newer than recorded, and only ends sooner */
    c->snap_commits = atomic_load(&c->store->commits);
    c->snap_ms = mono_ms();
    c->snap_reused = 0;
    if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK) c->in_txn = 1;
}

/* Other processes (`restock shop add` while serving) commit without bumping `commits`, so a
 * snapshot is also ended once IDLE_MS old: their writes show within IDLE_MS. */
static struct store_conn *sq_reader(struct store *s)
{
    struct store_conn *c = thread_reader(s);
    if (!c || c->held) return c;
    pthread_mutex_lock(&c->mu);
    c->held = 1;
    if (c->in_txn &&
        (c->snap_commits != atomic_load(&s->commits) || mono_ms() - c->snap_ms >= IDLE_MS))
        end_snapshot(c);
    if (!c->in_txn)
        begin_snapshot(c);
    else
        c->snap_reused = 1;
    return c;
}

/* A shop missing from a reused snapshot may have been added by another process since: starts a
 * fresh snapshot and returns 1 when looking again can help. */
static int fresh_snapshot(struct store_conn *c)
{
    if (!c->in_txn || !c->snap_reused) return 0;
    end_snapshot(c);
    begin_snapshot(c);
    return 1;
}

static void sq_reader_release(struct store *s)
{
    if (tl_reader.gen != s->gen || !tl_reader.conn || !tl_reader.conn->held) return;
    struct store_conn *c = tl_reader.conn;
    c->last_used_ms = mono_ms();
    c->held = 0;
    pthread_mutex_unlock(&c->mu);
}

static struct store_conn *sq_writer(struct store *s)
{
    return s->writer;
}

/* ---- statement helpers -------------------------------------------------------------------- */

/* Runs a statement that returns no rows; resets it. */
static int exec_done(struct store_conn *c, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc == SQLITE_DONE) return RS_OK;
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) return RS_ECONFLICT;
    return fail_db(c->db, sqlite3_sql(s));
}

static int simple(struct store_conn *c, enum stmt_id id)
{
    sqlite3_stmt *s = stmt(c, id);
    return s ? exec_done(c, s) : RS_ESTORE;
}

static int sq_begin(struct store_conn *c)
{
    return simple(c, Q_BEGIN);
}
static int sq_commit(struct store_conn *c)
{
    c->view++;
    int rc = simple(c, Q_COMMIT);
    if (rc == RS_OK && c->store) atomic_fetch_add(&c->store->commits, 1);
    return rc;
}
static void sq_durable(struct store_conn *c, int full)
{
    if (c->sync_full == full + 1) return; /* 0: unknown yet */
    sqlite3_exec(c->db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", NULL, NULL,
                 NULL);
    c->sync_full = full + 1;
}

static int sq_rollback(struct store_conn *c)
{
    c->view++;
    return simple(c, Q_ROLLBACK);
}
static int sq_savepoint(struct store_conn *c)
{
    return simple(c, Q_SAVEPOINT);
}
static int sq_release(struct store_conn *c)
{
    return simple(c, Q_RELEASE);
}
static int sq_rollback_to(struct store_conn *c)
{
    c->view++;
    return simple(c, Q_ROLLBACK_TO);
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

static const char *col_text(sqlite3_stmt *s, int i, struct arena *a)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(s, i)) : NULL;
}

/* Steps a one-row query: RS_OK with the row ready, RS_ENOTFOUND, or RS_ESTORE. On anything but
 * RS_OK the statement is reset; on RS_OK the caller reads columns and then calls finish(). */
static int step_row(struct store_conn *c, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) return RS_OK;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE ? RS_ENOTFOUND : fail_db(c->db, sqlite3_sql(s));
}

static void finish(sqlite3_stmt *s)
{
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

static int sq_secret(struct store_conn *c, uint8_t out[32])
{
    sqlite3_stmt *s = stmt(c, Q_SECRET);
    if (!s) return RS_ESTORE;
    int rc = step_row(c, s);
    if (rc) return rc == RS_ENOTFOUND ? RS_ESTORE : rc;
    const char *hex = (const char *)sqlite3_column_text(s, 0);
    for (int i = 0; i < 32; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char ch = hex && hex[2 * i + k] ? hex[2 * i + k] : '0';
            v = v * 16 + (unsigned)(ch <= '9' ? ch - '0' : ch - 'a' + 10);
        }
        out[i] = (uint8_t)v;
    }
    finish(s);
    return RS_OK;
}

/* ---- shops -------------------------------------------------------------------------------- */

static void bind_shop_settings(sqlite3_stmt *s, const struct shop *sh)
{
    bind_text(s, 2, sh->name);
    bind_text(s, 3, sh->url);
    bind_text(s, 4, sh->currency);
    bind_text(s, 5, sh->timezone);
    bind_text(s, 6, sh->locale);
    bind_text(s, 7, sh->sender_name);
    bind_text(s, 8, sh->sender_email);
}

static int sq_shop_insert(struct store_conn *c, struct shop *sh)
{
    sqlite3_stmt *s = stmt(c, Q_SHOP_INSERT);
    if (!s) return RS_ESTORE;
    c->view++;
    bind_text(s, 1, sh->uuid);
    bind_shop_settings(s, sh);
    sqlite3_bind_blob(s, 9, sh->api_key_hash, 32, SQLITE_STATIC);
    bind_text(s, 10, sh->webhook_secret);
    bind_text(s, 11, sh->vapid_public);
    bind_text(s, 12, sh->vapid_private);
    sqlite3_bind_int64(s, 13, sh->low_stock_threshold);
    sqlite3_bind_int64(s, 14, sh->min_available);
    sqlite3_bind_int64(s, 15, sh->min_soldout_minutes);
    sqlite3_bind_int64(s, 16, sh->subscription_ttl_days);
    sqlite3_bind_int64(s, 17, sh->max_notifications);
    sqlite3_bind_int(s, 18, sh->conversions_enabled);
    sqlite3_bind_int(s, 19, sh->double_opt_in);
    sqlite3_bind_int64(s, 20, sh->created_at);
    bind_text(s, 21, sh->feed_url ? sh->feed_url : "");
    sqlite3_bind_int64(s, 22, sh->feed_interval_minutes);
    int rc = exec_done(c, s);
    if (rc == RS_OK) sh->sid = sqlite3_last_insert_rowid(c->db);
    return rc;
}

static int sq_shop_update(struct store_conn *c, const struct shop *sh)
{
    sqlite3_stmt *s = stmt(c, Q_SHOP_UPDATE);
    if (!s) return RS_ESTORE;
    c->view++;
    sqlite3_bind_int64(s, 1, sh->sid);
    bind_shop_settings(s, sh);
    sqlite3_bind_int64(s, 9, sh->low_stock_threshold);
    sqlite3_bind_int64(s, 10, sh->min_available);
    sqlite3_bind_int64(s, 11, sh->min_soldout_minutes);
    sqlite3_bind_int64(s, 12, sh->subscription_ttl_days);
    sqlite3_bind_int64(s, 13, sh->max_notifications);
    sqlite3_bind_int(s, 14, sh->conversions_enabled);
    sqlite3_bind_int(s, 15, sh->double_opt_in);
    bind_text(s, 16, sh->feed_url ? sh->feed_url : "");
    sqlite3_bind_int64(s, 17, sh->feed_interval_minutes);
    return exec_done(c, s);
}

static void read_shop(sqlite3_stmt *s, struct arena *a, struct shop *sh)
{
    memset(sh, 0, sizeof(*sh));
    sh->sid = sqlite3_column_int64(s, 0);
    sh->uuid = col_text(s, 1, a);
    sh->name = col_text(s, 2, a);
    sh->url = col_text(s, 3, a);
    sh->currency = col_text(s, 4, a);
    sh->timezone = col_text(s, 5, a);
    sh->locale = col_text(s, 6, a);
    sh->sender_name = col_text(s, 7, a);
    sh->sender_email = col_text(s, 8, a);
    if (sqlite3_column_bytes(s, 9) == 32) memcpy(sh->api_key_hash, sqlite3_column_blob(s, 9), 32);
    sh->webhook_secret = col_text(s, 10, a);
    sh->vapid_public = col_text(s, 11, a);
    sh->vapid_private = col_text(s, 12, a);
    sh->low_stock_threshold = sqlite3_column_int64(s, 13);
    sh->min_available = sqlite3_column_int64(s, 14);
    sh->min_soldout_minutes = sqlite3_column_int64(s, 15);
    sh->subscription_ttl_days = sqlite3_column_int64(s, 16);
    sh->max_notifications = sqlite3_column_int64(s, 17);
    sh->conversions_enabled = sqlite3_column_int(s, 18);
    sh->double_opt_in = sqlite3_column_int(s, 19);
    sh->created_at = sqlite3_column_int64(s, 20);
    sh->feed_url = col_text(s, 21, a);
    sh->feed_interval_minutes = sqlite3_column_int64(s, 22);
}

static int shop_query(struct store_conn *c, sqlite3_stmt *s, struct arena *a, struct shop *out)
{
    int rc = step_row(c, s);
    if (rc) return rc;
    read_shop(s, a, out);
    finish(s);
    return RS_OK;
}

/* *out = *src with its strings copied into a. */
static void shop_dup(const struct shop *src, struct arena *a, struct shop *out)
{
    *out = *src;
    const char **strings[] = {&out->uuid,         &out->name,          &out->url,
                              &out->currency,     &out->timezone,      &out->locale,
                              &out->sender_name,  &out->sender_email,  &out->webhook_secret,
                              &out->vapid_public, &out->vapid_private, &out->feed_url};
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        if (*strings[i]) *strings[i] = arena_strdup(a, *strings[i]);
}

/* The cached shop with this uuid in the connection's current view, or NULL. Outside a
 * transaction (autocommit) nothing is cached: each statement has its own view. */
static const struct shop *cached_shop(struct store_conn *c, const char *uuid)
{
    if (sqlite3_get_autocommit(c->db)) return NULL;
    for (int i = 0; i < SHOP_CACHE; i++) {
        const struct cached_shop *e = &c->shops[i];
        if (e->arena && e->view == c->view && strcmp(e->shop.uuid, uuid) == 0) return &e->shop;
    }
    return NULL;
}

static void cache_shop(struct store_conn *c, const struct shop *sh)
{
    if (sqlite3_get_autocommit(c->db)) return;
    struct cached_shop *e = &c->shops[c->shops_next];
    c->shops_next = (c->shops_next + 1) % SHOP_CACHE;
    arena_free(e->arena);
    e->arena = arena_new();
    e->view = c->view;
    shop_dup(sh, e->arena, &e->shop);
}

static int sq_shop_by_uuid(struct store_conn *c, const char *uuid, struct arena *a,
                           struct shop *out)
{
    const struct shop *hit = cached_shop(c, uuid);
    if (hit) {
        shop_dup(hit, a, out);
        return RS_OK;
    }
    for (int again = 0;; again = 1) {
        sqlite3_stmt *s = stmt(c, Q_SHOP_BY_UUID);
        if (!s) return RS_ESTORE;
        bind_text(s, 1, uuid);
        int rc = shop_query(c, s, a, out);
        if (rc == RS_OK) cache_shop(c, out);
        if (rc != RS_ENOTFOUND || again || !fresh_snapshot(c)) return rc;
    }
}

static int sq_shop_by_key(struct store_conn *c, const uint8_t hash[32], struct arena *a,
                          struct shop *out)
{
    for (int again = 0;; again = 1) {
        sqlite3_stmt *s = stmt(c, Q_SHOP_BY_KEY);
        if (!s) return RS_ESTORE;
        sqlite3_bind_blob(s, 1, hash, 32, SQLITE_STATIC);
        int rc = shop_query(c, s, a, out);
        if (rc != RS_ENOTFOUND || again || !fresh_snapshot(c)) return rc;
    }
}

static int sq_shop_by_sid(struct store_conn *c, int64_t sid, struct arena *a, struct shop *out)
{
    sqlite3_stmt *s = stmt(c, Q_SHOP_BY_SID);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    return shop_query(c, s, a, out);
}

static int sq_shop_count(struct store_conn *c, int64_t *n)
{
    sqlite3_stmt *s = stmt(c, Q_SHOP_COUNT);
    if (!s) return RS_ESTORE;
    int rc = step_row(c, s);
    if (rc) return rc;
    *n = sqlite3_column_int64(s, 0);
    finish(s);
    return RS_OK;
}

/* ---- variants ----------------------------------------------------------------------------- */

static int sq_variant_get(struct store_conn *c, int64_t sid, const char *variant_id,
                          struct arena *a, struct variant *v)
{
    sqlite3_stmt *s = stmt(c, Q_VARIANT_GET);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, variant_id);
    int rc = step_row(c, s);
    if (rc) return rc;
    v->sid = sqlite3_column_int64(s, 0);
    v->variant_id = col_text(s, 1, a);
    v->product_id = col_text(s, 2, a);
    v->product_number = col_text(s, 3, a);
    v->inventory_item_id = col_text(s, 4, a);
    v->title = col_text(s, 5, a);
    v->variant_title = col_text(s, 6, a);
    v->url = col_text(s, 7, a);
    v->image_url = col_text(s, 8, a);
    v->price = sqlite3_column_int64(s, 9);
    v->original_price = sqlite3_column_int64(s, 10);
    v->currency = col_text(s, 11, a);
    v->category = col_text(s, 12, a);
    v->available = sqlite3_column_int64(s, 13);
    v->soldout_since = sqlite3_column_int64(s, 14);
    v->updated_at = sqlite3_column_int64(s, 15);
    finish(s);
    return RS_OK;
}

static int sq_variant_put(struct store_conn *c, const struct variant *v)
{
    sqlite3_stmt *s = stmt(c, Q_VARIANT_PUT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, v->sid);
    bind_text(s, 2, v->variant_id);
    bind_text(s, 3, v->product_id);
    bind_text(s, 4, v->product_number);
    bind_text(s, 5, v->inventory_item_id);
    bind_text(s, 6, v->title);
    bind_text(s, 7, v->variant_title);
    bind_text(s, 8, v->url);
    bind_text(s, 9, v->image_url);
    sqlite3_bind_int64(s, 10, v->price);
    sqlite3_bind_int64(s, 11, v->original_price);
    bind_text(s, 12, v->currency);
    bind_text(s, 13, v->category);
    sqlite3_bind_int64(s, 14, v->available);
    sqlite3_bind_int64(s, 15, v->soldout_since);
    sqlite3_bind_int64(s, 16, v->updated_at);
    return exec_done(c, s);
}

static int sq_restock_insert(struct store_conn *c, int64_t sid, const char *variant_id,
                             int64_t available, int64_t soldout_since, int64_t at)
{
    sqlite3_stmt *s = stmt(c, Q_RESTOCK_INSERT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, variant_id);
    sqlite3_bind_int64(s, 3, available);
    sqlite3_bind_int64(s, 4, soldout_since);
    sqlite3_bind_int64(s, 5, at);
    return exec_done(c, s);
}

/* ---- subscriptions ------------------------------------------------------------------------ */

static int sq_sub_insert(struct store_conn *c, struct subscription *x)
{
    sqlite3_stmt *s = stmt(c, Q_SUB_INSERT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, x->sid);
    bind_text(s, 2, x->variant_id);
    sqlite3_bind_int(s, 3, (int)x->channel);
    sqlite3_bind_int(s, 4, (int)x->status);
    bind_text(s, 5, x->contact_key);
    bind_text(s, 6, x->email);
    bind_text(s, 7, x->phone);
    bind_text(s, 8, x->push_endpoint);
    bind_text(s, 9, x->push_p256dh);
    bind_text(s, 10, x->push_auth);
    bind_text(s, 11, x->first_name);
    bind_text(s, 12, x->customer_id);
    bind_text(s, 13, x->tracking_user_id);
    bind_text(s, 14, x->locale);
    bind_text(s, 15, x->source);
    sqlite3_bind_int64(s, 16, x->quantity);
    sqlite3_bind_int64(s, 17, x->notify_count);
    sqlite3_bind_int64(s, 18, x->created_at);
    sqlite3_bind_int64(s, 19, x->updated_at);
    sqlite3_bind_int64(s, 20, x->confirmed_at);
    sqlite3_bind_int64(s, 21, x->notified_at);
    sqlite3_bind_int64(s, 22, x->unsubscribed_at);
    int rc = exec_done(c, s);
    if (rc == RS_OK) x->id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

static void read_sub(sqlite3_stmt *s, struct arena *a, struct subscription *x)
{
    x->id = sqlite3_column_int64(s, 0);
    x->sid = sqlite3_column_int64(s, 1);
    x->variant_id = col_text(s, 2, a);
    x->channel = (enum channel)sqlite3_column_int(s, 3);
    x->status = (enum sub_status)sqlite3_column_int(s, 4);
    x->contact_key = col_text(s, 5, a);
    x->email = col_text(s, 6, a);
    x->phone = col_text(s, 7, a);
    x->push_endpoint = col_text(s, 8, a);
    x->push_p256dh = col_text(s, 9, a);
    x->push_auth = col_text(s, 10, a);
    x->first_name = col_text(s, 11, a);
    x->customer_id = col_text(s, 12, a);
    x->tracking_user_id = col_text(s, 13, a);
    x->locale = col_text(s, 14, a);
    x->source = col_text(s, 15, a);
    x->quantity = sqlite3_column_int64(s, 16);
    x->notify_count = sqlite3_column_int64(s, 17);
    x->created_at = sqlite3_column_int64(s, 18);
    x->updated_at = sqlite3_column_int64(s, 19);
    x->confirmed_at = sqlite3_column_int64(s, 20);
    x->notified_at = sqlite3_column_int64(s, 21);
    x->unsubscribed_at = sqlite3_column_int64(s, 22);
}

static int sq_sub_find(struct store_conn *c, int64_t sid, const char *variant_id, enum channel ch,
                       const char *contact_key, struct arena *a, struct subscription *out)
{
    sqlite3_stmt *s = stmt(c, Q_SUB_FIND);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, variant_id);
    sqlite3_bind_int(s, 3, (int)ch);
    bind_text(s, 4, contact_key);
    int rc = step_row(c, s);
    if (rc) return rc;
    read_sub(s, a, out);
    finish(s);
    return RS_OK;
}

static int sq_sub_get(struct store_conn *c, int64_t id, struct arena *a, struct subscription *out)
{
    sqlite3_stmt *s = stmt(c, Q_SUB_GET);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    int rc = step_row(c, s);
    if (rc) return rc;
    read_sub(s, a, out);
    finish(s);
    return RS_OK;
}

/* The list query depends on which filters are set, so it is built per call (not cached). */
static int sq_sub_list(struct store_conn *c, const struct sub_filter *f, struct arena *a, sub_cb cb,
                       void *arg)
{
    char q[512];
    snprintf(q, sizeof(q),
             "SELECT " SUB_COLS " FROM subscriptions WHERE shop_id = ?1 AND id > ?2%s%s%s%s"
             " ORDER BY id LIMIT ?7",
             f->variant_id ? " AND variant_id = ?3" : "", f->status >= 0 ? " AND status = ?4" : "",
             f->channel >= 0 ? " AND channel = ?5" : "",
             f->contact_key ? " AND contact_key = ?6" : "");
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(c->db, q, -1, &s, NULL) != SQLITE_OK) return fail_db(c->db, q);
    sqlite3_bind_int64(s, 1, f->sid);
    sqlite3_bind_int64(s, 2, f->after_id);
    if (f->variant_id) bind_text(s, 3, f->variant_id);
    if (f->status >= 0) sqlite3_bind_int(s, 4, f->status);
    if (f->channel >= 0) sqlite3_bind_int(s, 5, f->channel);
    if (f->contact_key) bind_text(s, 6, f->contact_key);
    sqlite3_bind_int(s, 7, f->limit);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct subscription x;
        read_sub(s, a, &x);
        if (cb(arg, &x)) break;
    }
    int out = rc == SQLITE_ROW || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, q);
    sqlite3_finalize(s);
    return out;
}

static int sq_sub_set_status(struct store_conn *c, int64_t id, enum sub_status st, int64_t at)
{
    sqlite3_stmt *s = stmt(c, Q_SUB_SET_STATUS);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int(s, 2, (int)st);
    sqlite3_bind_int64(s, 3, at);
    int rc = exec_done(c, s);
    if (rc == RS_OK && sqlite3_changes(c->db) == 0) return RS_ENOTFOUND;
    return rc;
}

static int sq_sub_unsubscribe_contact(struct store_conn *c, int64_t sid, const char *contact_key,
                                      int64_t at, int64_t *n)
{
    sqlite3_stmt *s = stmt(c, Q_SUB_UNSUB_CONTACT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, contact_key);
    sqlite3_bind_int64(s, 3, at);
    int rc = exec_done(c, s);
    if (rc == RS_OK) *n = sqlite3_changes(c->db);
    return rc;
}

static int sq_sub_reenroll(struct store_conn *c, int64_t sid, const char *variant_id, int64_t max,
                           int64_t at, int64_t *n)
{
    sqlite3_stmt *s = stmt(c, Q_SUB_REENROLL);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, variant_id);
    sqlite3_bind_int64(s, 3, max);
    sqlite3_bind_int64(s, 4, at);
    int rc = exec_done(c, s);
    if (rc == RS_OK) *n = sqlite3_changes(c->db);
    return rc;
}

static int sq_sub_waiting(struct store_conn *c, int64_t sid, const char *variant_id,
                          int64_t after_id, int limit, struct arena *a, sub_cb cb, void *arg)
{
    sqlite3_stmt *s = stmt(c, Q_SUB_WAITING);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, variant_id);
    sqlite3_bind_int64(s, 3, after_id);
    sqlite3_bind_int(s, 4, limit);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct subscription x = {
            .id = sqlite3_column_int64(s, 0),
            .sid = sid,
            .variant_id = variant_id,
            .channel = (enum channel)sqlite3_column_int(s, 1),
            .status = SUB_WAITING,
            .contact_key = col_text(s, 2, a),
            .first_name = col_text(s, 3, a),
            .locale = col_text(s, 4, a),
            .quantity = sqlite3_column_int64(s, 5),
            .notify_count = sqlite3_column_int64(s, 6),
            .created_at = sqlite3_column_int64(s, 7),
            .customer_id = col_text(s, 8, a),
            .tracking_user_id = col_text(s, 9, a),
            .source = col_text(s, 10, a),
        };
        if (cb(arg, &x)) break;
    }
    int out = rc == SQLITE_ROW || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, sql[Q_SUB_WAITING]);
    finish(s);
    return out;
}

static int sq_sub_notified(struct store_conn *c, int64_t sid, int64_t restock_id, int64_t after_id,
                           int64_t upto_id, int64_t at)
{
    sqlite3_stmt *s = stmt(c, Q_SUB_NOTIFIED);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, restock_id);
    sqlite3_bind_int64(s, 3, after_id);
    sqlite3_bind_int64(s, 4, upto_id);
    sqlite3_bind_int64(s, 5, at);
    return exec_done(c, s);
}

/* ---- campaigns ---------------------------------------------------------------------------- */

static int sq_campaign_insert(struct store_conn *c, struct stored_campaign *sc)
{
    sqlite3_stmt *s = stmt(c, Q_CAMP_INSERT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sc->sid);
    sqlite3_bind_int(s, 2, sc->channel);
    sqlite3_bind_int(s, 3, sc->status);
    sqlite3_bind_int(s, 4, sc->is_default);
    bind_text(s, 5, sc->json);
    sqlite3_bind_int64(s, 6, sc->created_at);
    sqlite3_bind_int64(s, 7, sc->updated_at);
    int rc = exec_done(c, s);
    if (rc == RS_OK) sc->id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

static int sq_campaign_update(struct store_conn *c, const struct stored_campaign *sc)
{
    sqlite3_stmt *s = stmt(c, Q_CAMP_UPDATE);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sc->sid);
    sqlite3_bind_int64(s, 2, sc->id);
    sqlite3_bind_int(s, 3, sc->status);
    bind_text(s, 4, sc->json);
    sqlite3_bind_int64(s, 5, sc->updated_at);
    int rc = exec_done(c, s);
    if (rc == RS_OK && sqlite3_changes(c->db) == 0) return RS_ENOTFOUND;
    return rc;
}

static int sq_campaign_delete(struct store_conn *c, int64_t sid, int64_t id, int64_t at)
{
    sqlite3_stmt *s = stmt(c, Q_CAMP_DELETE);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, id);
    sqlite3_bind_int64(s, 3, at);
    int rc = exec_done(c, s);
    if (rc == RS_OK && sqlite3_changes(c->db) == 0) return RS_ENOTFOUND;
    return rc;
}

static void read_campaign(sqlite3_stmt *s, struct arena *a, struct stored_campaign *sc)
{
    sc->id = sqlite3_column_int64(s, 0);
    sc->sid = sqlite3_column_int64(s, 1);
    sc->channel = sqlite3_column_int(s, 2);
    sc->status = sqlite3_column_int(s, 3);
    sc->is_default = sqlite3_column_int(s, 4);
    sc->json = col_text(s, 5, a);
    sc->created_at = sqlite3_column_int64(s, 6);
    sc->updated_at = sqlite3_column_int64(s, 7);
}

static int sq_campaign_get(struct store_conn *c, int64_t sid, int64_t id, struct arena *a,
                           struct stored_campaign *out)
{
    sqlite3_stmt *s = stmt(c, Q_CAMP_GET);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, id);
    int rc = step_row(c, s);
    if (rc) return rc;
    read_campaign(s, a, out);
    finish(s);
    return RS_OK;
}

static int sq_campaign_list(struct store_conn *c, int64_t sid, struct arena *a,
                            int (*cb)(void *arg, const struct stored_campaign *sc), void *arg)
{
    sqlite3_stmt *s = stmt(c, Q_CAMP_LIST);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct stored_campaign sc;
        read_campaign(s, a, &sc);
        if (cb(arg, &sc)) break;
    }
    int out = rc == SQLITE_ROW || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, sql[Q_CAMP_LIST]);
    finish(s);
    return out;
}

/* ---- restocks and the outbox -------------------------------------------------------------- */

static int sq_restock_next(struct store_conn *c, int64_t now, struct arena *a, struct restock *r)
{
    sqlite3_stmt *s = stmt(c, Q_RESTOCK_NEXT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, now);
    int rc = step_row(c, s);
    if (rc) return rc;
    r->id = sqlite3_column_int64(s, 0);
    r->sid = sqlite3_column_int64(s, 1);
    r->variant_id = col_text(s, 2, a);
    r->available = sqlite3_column_int64(s, 3);
    r->soldout_since = sqlite3_column_int64(s, 4);
    r->at = sqlite3_column_int64(s, 5);
    r->cursor = sqlite3_column_int64(s, 6);
    r->next_batch_at = sqlite3_column_int64(s, 7);
    r->sent = sqlite3_column_int64(s, 8);
    r->processed_at = sqlite3_column_int64(s, 9);
    r->state = col_text(s, 10, a);
    finish(s);
    return RS_OK;
}

static int sq_restock_update(struct store_conn *c, const struct restock *r)
{
    sqlite3_stmt *s = stmt(c, Q_RESTOCK_UPDATE);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, r->id);
    sqlite3_bind_int64(s, 2, r->cursor);
    sqlite3_bind_int64(s, 3, r->next_batch_at);
    sqlite3_bind_int64(s, 4, r->sent);
    sqlite3_bind_int64(s, 5, r->processed_at);
    bind_text(s, 6, r->state);
    return exec_done(c, s);
}

/* Binds a notification's 14 values from parameter base + 1 on. */
static void bind_notif(sqlite3_stmt *s, int base, const struct notification *n)
{
    sqlite3_bind_int64(s, base + 1, n->sid);
    sqlite3_bind_int64(s, base + 2, n->subscription_id);
    sqlite3_bind_int64(s, base + 3, n->restock_id);
    sqlite3_bind_int64(s, base + 4, n->campaign_id);
    sqlite3_bind_int(s, base + 5, (int)n->channel);
    sqlite3_bind_int(s, base + 6, (int)n->status);
    sqlite3_bind_int64(s, base + 7, n->attempts);
    sqlite3_bind_int64(s, base + 8, n->not_before);
    sqlite3_bind_int64(s, base + 9, n->lease_until);
    sqlite3_bind_int64(s, base + 10, n->expires_at);
    sqlite3_bind_int64(s, base + 11, n->created_at);
    sqlite3_bind_int64(s, base + 12, n->sent_at);
    sqlite3_bind_int64(s, base + 13, n->segments);
    bind_text(s, base + 14, n->reason);
}

static int sq_notification_insert(struct store_conn *c, struct notification *n)
{
    sqlite3_stmt *s = stmt(c, Q_NOTIF_INSERT);
    if (!s) return RS_ESTORE;
    bind_notif(s, 0, n);
    int rc = exec_done(c, s);
    if (rc == RS_OK) n->id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

/* Rows per multi-row INSERT: one statement's start-up and step for many rows (14 × 64
 * parameters, well under SQLite's limit). */
#define NOTIF_BATCH 64

static sqlite3_stmt *notif_batch_stmt(struct store_conn *c)
{
    if (c->notif_batch) return c->notif_batch;
    struct buf q = BUF_INIT(0);
    buf_puts(&q, "INSERT OR IGNORE INTO notifications(shop_id, subscription_id, restock_id,"
                 " campaign_id, channel, status, attempts, not_before, lease_until, expires_at,"
                 " created_at, sent_at, segments, reason) VALUES ");
    for (int i = 0; i < NOTIF_BATCH; i++)
        buf_puts(&q, i ? ",(?,?,?,?,?,?,?,?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (sqlite3_prepare_v3(c->db, q.p, -1, SQLITE_PREPARE_PERSISTENT, &c->notif_batch, NULL))
        fail_db(c->db, "notification batch");
    buf_free(&q);
    return c->notif_batch;
}

static int sq_notification_insert_many(struct store_conn *c, const struct notification *n,
                                       size_t count)
{
    size_t i = 0;
    sqlite3_stmt *b = count >= NOTIF_BATCH ? notif_batch_stmt(c) : NULL;
    for (; b && i + NOTIF_BATCH <= count; i += NOTIF_BATCH) {
        for (int k = 0; k < NOTIF_BATCH; k++)
            bind_notif(b, 14 * k, &n[i + (size_t)k]);
        int rc = exec_done(c, b);
        if (rc) return rc;
    }
    sqlite3_stmt *one = stmt(c, Q_NOTIF_INSERT_IGNORE);
    if (!one) return RS_ESTORE;
    for (; i < count; i++) {
        bind_notif(one, 0, &n[i]);
        int rc = exec_done(c, one);
        if (rc) return rc;
    }
    return RS_OK;
}

#define NOTIF_COLS                                                                                 \
    "id, shop_id, subscription_id, restock_id, campaign_id, channel, status, attempts,"            \
    " not_before, lease_until, expires_at, created_at, sent_at, segments, reason, opened_at,"      \
    " clicked_at"

static void read_notif(sqlite3_stmt *s, struct arena *a, struct notification *n)
{
    n->id = sqlite3_column_int64(s, 0);
    n->sid = sqlite3_column_int64(s, 1);
    n->subscription_id = sqlite3_column_int64(s, 2);
    n->restock_id = sqlite3_column_int64(s, 3);
    n->campaign_id = sqlite3_column_int64(s, 4);
    n->channel = (enum channel)sqlite3_column_int(s, 5);
    n->status = (enum notif_status)sqlite3_column_int(s, 6);
    n->attempts = sqlite3_column_int64(s, 7);
    n->not_before = sqlite3_column_int64(s, 8);
    n->lease_until = sqlite3_column_int64(s, 9);
    n->expires_at = sqlite3_column_int64(s, 10);
    n->created_at = sqlite3_column_int64(s, 11);
    n->sent_at = sqlite3_column_int64(s, 12);
    n->segments = sqlite3_column_int64(s, 13);
    n->reason = col_text(s, 14, a);
    n->opened_at = sqlite3_column_int64(s, 15);
    n->clicked_at = sqlite3_column_int64(s, 16);
}

static int sq_notification_get(struct store_conn *c, int64_t id, struct arena *a,
                               struct notification *n)
{
    sqlite3_stmt *s = stmt(c, Q_NOTIF_GET);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    int rc = step_row(c, s);
    if (rc) return rc;
    read_notif(s, a, n);
    finish(s);
    return RS_OK;
}

static int sq_confirm_queue(struct store_conn *c, int64_t sid, int64_t sub_id, enum channel ch,
                            int64_t now, int64_t ttl, int64_t resend_after, int *queued)
{
    sqlite3_stmt *s = stmt(c, Q_CONFIRM_QUEUE);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, sub_id);
    sqlite3_bind_int(s, 3, (int)ch);
    sqlite3_bind_int64(s, 4, now);
    sqlite3_bind_int64(s, 5, ttl);
    sqlite3_bind_int64(s, 6, resend_after);
    int rc = exec_done(c, s);
    if (rc == RS_OK) *queued = sqlite3_changes(c->db) > 0;
    return rc;
}

static int sq_activity_add(struct store_conn *c, int64_t sid, const char *who, const char *kind,
                           const char *variant_id, int64_t at)
{
    sqlite3_stmt *s = stmt(c, Q_ACTIVITY_ADD);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, who);
    bind_text(s, 3, kind);
    bind_text(s, 4, variant_id);
    sqlite3_bind_int64(s, 5, at);
    return exec_done(c, s);
}

static int sq_activity_since(struct store_conn *c, int64_t sid, const char *who, const char *kind,
                             const char *variant_id, int64_t since, int *found)
{
    sqlite3_stmt *s = stmt(c, variant_id ? Q_ACTIVITY_SINCE_VARIANT : Q_ACTIVITY_SINCE);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, who);
    bind_text(s, 3, kind);
    sqlite3_bind_int64(s, 4, since);
    if (variant_id) bind_text(s, 5, variant_id);
    int rc = step_row(c, s);
    if (rc == RS_ENOTFOUND) {
        *found = 0;
        return RS_OK;
    }
    if (rc) return rc;
    finish(s);
    *found = 1;
    return RS_OK;
}

static int sq_notification_list(struct store_conn *c, const struct notif_filter *f, struct arena *a,
                                int (*cb)(void *, const struct notification *), void *arg)
{
    char q[512];
    snprintf(q, sizeof(q),
             "SELECT " NOTIF_COLS " FROM notifications WHERE shop_id = ?1 AND id > ?2%s%s"
             " ORDER BY id LIMIT ?5",
             f->subscription_id ? " AND subscription_id = ?3" : "",
             f->status >= 0 ? " AND status = ?4" : "");
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(c->db, q, -1, &s, NULL) != SQLITE_OK) return fail_db(c->db, q);
    sqlite3_bind_int64(s, 1, f->sid);
    sqlite3_bind_int64(s, 2, f->after_id);
    if (f->subscription_id) sqlite3_bind_int64(s, 3, f->subscription_id);
    if (f->status >= 0) sqlite3_bind_int(s, 4, f->status);
    sqlite3_bind_int(s, 5, f->limit);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct notification n;
        read_notif(s, a, &n);
        if (cb(arg, &n)) break;
    }
    int out = rc == SQLITE_ROW || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, q);
    sqlite3_finalize(s);
    return out;
}

static int sq_decision_list(struct store_conn *c, int64_t sid, int64_t subscription_id,
                            struct arena *a, int (*cb)(void *, const struct decision *), void *arg)
{
    static const char q[] = "SELECT id, restock_id, subscription_id, campaign_id, decision,"
                            " reason, at FROM decisions WHERE shop_id = ? AND subscription_id = ?"
                            " ORDER BY id LIMIT 1000";
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(c->db, q, -1, &s, NULL) != SQLITE_OK) return fail_db(c->db, q);
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, subscription_id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct decision d = {
            .id = sqlite3_column_int64(s, 0),
            .restock_id = sqlite3_column_int64(s, 1),
            .subscription_id = sqlite3_column_int64(s, 2),
            .campaign_id = sqlite3_column_int64(s, 3),
            .decision = col_text(s, 4, a),
            .reason = col_text(s, 5, a),
            .at = sqlite3_column_int64(s, 6),
        };
        if (cb(arg, &d)) break;
    }
    int out = rc == SQLITE_ROW || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, q);
    sqlite3_finalize(s);
    return out;
}

/* One due-ordered range per channel (the index's), the channels taken in turn from one that
 * changes with the clock, so a busy channel cannot starve another. */
static int sq_outbox_claim(struct store_conn *c, unsigned channels, int64_t now,
                           int64_t lease_until, int limit, int (*cb)(void *arg, int64_t id),
                           void *arg)
{
    sqlite3_stmt *s = stmt(c, Q_OUTBOX_CLAIM);
    if (!s) return RS_ESTORE;
    int got = 0, stop = 0;
    for (int k = 0; k < CH_COUNT && got < limit && !stop; k++) {
        int ch = (int)((now + k) % CH_COUNT);
        if (!(channels & (1u << ch))) continue;
        sqlite3_bind_int(s, 1, ch);
        sqlite3_bind_int64(s, 2, now);
        sqlite3_bind_int64(s, 3, lease_until);
        sqlite3_bind_int(s, 4, limit - got);
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) { /* RETURNING: step to the end */
            got++;
            if (!stop) stop = cb(arg, sqlite3_column_int64(s, 0));
        }
        finish(s);
        if (rc != SQLITE_DONE) return fail_db(c->db, sql[Q_OUTBOX_CLAIM]);
    }
    return RS_OK;
}

static int sq_notification_result(struct store_conn *c, const struct notification *n, int64_t lease)
{
    sqlite3_stmt *s = stmt(c, Q_NOTIF_RESULT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, n->id);
    sqlite3_bind_int(s, 2, (int)n->status);
    sqlite3_bind_int64(s, 3, n->attempts);
    sqlite3_bind_int64(s, 4, n->not_before);
    sqlite3_bind_int64(s, 5, n->lease_until);
    sqlite3_bind_int64(s, 6, n->sent_at);
    sqlite3_bind_int64(s, 7, n->segments);
    bind_text(s, 8, n->reason);
    sqlite3_bind_int64(s, 9, lease);
    int rc = exec_done(c, s);
    if (rc == RS_OK && sqlite3_changes(c->db) == 0) return RS_ECONFLICT; /* the lease was lost */
    return rc;
}

static int sq_outbox_renew(struct store_conn *c, int64_t id, int64_t lease, int64_t new_lease)
{
    sqlite3_stmt *s = stmt(c, Q_OUTBOX_RENEW);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, lease);
    sqlite3_bind_int64(s, 3, new_lease);
    int rc = exec_done(c, s);
    if (rc == RS_OK && sqlite3_changes(c->db) == 0) return RS_ECONFLICT;
    return rc;
}

static int sq_outbox_release(struct store_conn *c)
{
    return simple(c, Q_OUTBOX_RELEASE);
}

static int sq_sub_reopen(struct store_conn *c, int64_t id, enum sub_status st, int64_t at)
{
    sqlite3_stmt *s = stmt(c, Q_SUB_REOPEN);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int(s, 2, (int)st);
    sqlite3_bind_int64(s, 3, at);
    return exec_done(c, s);
}

static int sq_budget_get(struct store_conn *c, int64_t sid, int64_t restock_id, int64_t campaign_id,
                         int64_t *used)
{
    sqlite3_stmt *s = stmt(c, Q_BUDGET_GET);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, restock_id);
    sqlite3_bind_int64(s, 3, campaign_id);
    int rc = step_row(c, s);
    *used = 0;
    if (rc == RS_ENOTFOUND) return RS_OK;
    if (rc) return rc;
    *used = sqlite3_column_int64(s, 0);
    finish(s);
    return RS_OK;
}

static int sq_budget_add(struct store_conn *c, int64_t sid, int64_t restock_id, int64_t campaign_id,
                         int64_t n)
{
    sqlite3_stmt *s = stmt(c, Q_BUDGET_ADD);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, restock_id);
    sqlite3_bind_int64(s, 3, campaign_id);
    sqlite3_bind_int64(s, 4, n);
    return exec_done(c, s);
}

static int count_query(struct store_conn *c, sqlite3_stmt *s, int64_t *n)
{
    int rc = step_row(c, s);
    if (rc == RS_ENOTFOUND) {
        *n = 0;
        return RS_OK;
    }
    if (rc) return rc;
    *n = sqlite3_column_int64(s, 0);
    finish(s);
    return RS_OK;
}

static int sq_cap_get(struct store_conn *c, int64_t sid, int64_t campaign_id,
                      const char *contact_key, int64_t day, int64_t *n)
{
    sqlite3_stmt *s = stmt(c, Q_CAP_GET);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, campaign_id);
    bind_text(s, 3, contact_key);
    sqlite3_bind_int64(s, 4, day);
    return count_query(c, s, n);
}

static int sq_cap_add(struct store_conn *c, int64_t sid, int64_t campaign_id,
                      const char *contact_key, int64_t day)
{
    sqlite3_stmt *s = stmt(c, Q_CAP_ADD);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, campaign_id);
    bind_text(s, 3, contact_key);
    sqlite3_bind_int64(s, 4, day);
    return exec_done(c, s);
}

static int sq_decision_insert(struct store_conn *c, int64_t sid, int64_t restock_id,
                              int64_t subscription_id, int64_t campaign_id, const char *decision,
                              const char *reason, int64_t at)
{
    sqlite3_stmt *s = stmt(c, Q_DECISION_INSERT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, restock_id);
    sqlite3_bind_int64(s, 3, subscription_id);
    sqlite3_bind_int64(s, 4, campaign_id);
    bind_text(s, 5, decision);
    bind_text(s, 6, reason);
    sqlite3_bind_int64(s, 7, at);
    return exec_done(c, s);
}

/* ---- tracking ------------------------------------------------------------------------------ */

static int sq_notification_context(struct store_conn *c, int64_t id, struct arena *a,
                                   struct notif_context *x)
{
    sqlite3_stmt *s = stmt(c, Q_NOTIF_CONTEXT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    int rc = step_row(c, s);
    if (rc) return rc;
    *x = (struct notif_context){
        .id = sqlite3_column_int64(s, 0),
        .sid = sqlite3_column_int64(s, 1),
        .campaign_id = sqlite3_column_int64(s, 2),
        .subscription_id = sqlite3_column_int64(s, 3),
        .opened_at = sqlite3_column_int64(s, 4),
        .clicked_at = sqlite3_column_int64(s, 5),
        .shop_url = col_text(s, 6, a),
        .currency = col_text(s, 7, a),
        .conversions_enabled = sqlite3_column_int(s, 8),
        .variant_id = col_text(s, 9, a),
        .variant_url = col_text(s, 10, a),
        .quantity = sqlite3_column_int64(s, 11),
        .campaign =
            {
                .id = sqlite3_column_int64(s, 12),
                .sid = sqlite3_column_int64(s, 1),
                .channel = sqlite3_column_int(s, 13),
                .status = sqlite3_column_int(s, 14),
                .is_default = sqlite3_column_int(s, 15),
                .json = col_text(s, 16, a),
                .created_at = sqlite3_column_int64(s, 17),
                .updated_at = sqlite3_column_int64(s, 18),
            },
    };
    finish(s);
    return RS_OK;
}

static int sq_hit_insert(struct store_conn *c, const struct hit *h)
{
    sqlite3_stmt *s = stmt(c, Q_HIT_INSERT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, h->sid);
    sqlite3_bind_int64(s, 2, h->notification_id);
    sqlite3_bind_int64(s, 3, h->campaign_id);
    sqlite3_bind_int(s, 4, (int)h->kind);
    bind_text(s, 5, h->name);
    bind_text(s, 6, h->attributes);
    sqlite3_bind_int64(s, 7, h->at);
    return exec_done(c, s);
}

static int sq_notification_touch(struct store_conn *c, int64_t id, int64_t opened_at,
                                 int64_t clicked_at)
{
    sqlite3_stmt *s = stmt(c, Q_NOTIF_TOUCH);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, opened_at);
    sqlite3_bind_int64(s, 3, clicked_at);
    return exec_done(c, s);
}

static int sq_event_top(struct store_conn *c, int64_t sid, int64_t notification_id,
                        int64_t campaign_id, int limit, struct arena *a,
                        int (*cb)(void *, const char *, int64_t), void *arg)
{
    sqlite3_stmt *s = stmt(c, notification_id ? Q_EVENT_TOP_NOTIF : Q_EVENT_TOP_CAMP);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, notification_id ? notification_id : campaign_id);
    sqlite3_bind_int(s, 3, limit);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (cb(arg, col_text(s, 0, a), sqlite3_column_int64(s, 1))) break;
    int out = rc == SQLITE_ROW || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, sqlite3_sql(s));
    finish(s);
    return out;
}

/* ---- reports ------------------------------------------------------------------------------ */

static int sq_report_customers(struct store_conn *c, const struct report_filter *f, struct arena *a,
                               int (*cb)(void *, const struct customer_row *), void *arg)
{
    sqlite3_stmt *s = stmt(c, Q_REPORT_CUSTOMERS);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, f->sid);
    sqlite3_bind_int64(s, 2, f->after_id);
    sqlite3_bind_int64(s, 3, f->from);
    sqlite3_bind_int64(s, 4, f->to);
    sqlite3_bind_int(s, 5, f->limit);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int has_order = sqlite3_column_type(s, 11) != SQLITE_NULL;
        struct customer_row row = {
            .notification_id = sqlite3_column_int64(s, 0),
            .channel = (enum channel)sqlite3_column_int(s, 1),
            .contact = col_text(s, 2, a),
            .variant_id = col_text(s, 3, a),
            .product_title = col_text(s, 4, a),
            .variant_title = col_text(s, 5, a),
            .signed_up = sqlite3_column_int64(s, 6),
            .sent_at = sqlite3_column_int64(s, 7),
            .opened_at = sqlite3_column_int64(s, 8),
            .clicked_at = sqlite3_column_int64(s, 9),
            .conversion =
                sqlite3_column_type(s, 10) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 10),
            .order_number = col_text(s, 11, a),
            .order_at = sqlite3_column_int64(s, 12),
            .order_total = has_order ? sqlite3_column_int64(s, 13) : -1,
            .order_currency = col_text(s, 14, a),
        };
        if (cb(arg, &row)) break;
    }
    int out = rc == SQLITE_ROW || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, sqlite3_sql(s));
    finish(s);
    return out;
}

static int sq_report_waiting(struct store_conn *c, int64_t sid, struct arena *a,
                             int (*cb)(void *, const struct waiting_row *), void *arg)
{
    sqlite3_stmt *s = stmt(c, Q_REPORT_WAITING);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    int rc;
    (void)a;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct waiting_row row = {
            .variant_id = (const char *)sqlite3_column_text(s, 0), /* valid until the next step */
            .quantity = sqlite3_column_int64(s, 1),
            .created_at = sqlite3_column_int64(s, 2),
        };
        if (cb(arg, &row)) break;
    }
    int out = rc == SQLITE_ROW || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, sqlite3_sql(s));
    finish(s);
    return out;
}

/* ---- ingest -------------------------------------------------------------------------------- */

static int sq_variant_by_item(struct store_conn *c, int64_t sid, const char *item, struct arena *a,
                              const char **variant_id)
{
    sqlite3_stmt *s = stmt(c, Q_VARIANT_BY_ITEM);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, item);
    int rc = step_row(c, s);
    if (rc) return rc;
    *variant_id = col_text(s, 0, a);
    finish(s);
    return RS_OK;
}

static int sq_level_set(struct store_conn *c, int64_t sid, const char *item, const char *location,
                        int64_t available, int64_t at, int64_t *sum, int64_t *nlevels)
{
    sqlite3_stmt *s = stmt(c, available < 0 ? Q_LEVEL_DELETE : Q_LEVEL_PUT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, item);
    bind_text(s, 3, location);
    if (available >= 0) {
        sqlite3_bind_int64(s, 4, available);
        sqlite3_bind_int64(s, 5, at);
    }
    int rc = exec_done(c, s);
    if (rc) return rc;
    if (!(s = stmt(c, Q_LEVEL_SUM))) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, item);
    if ((rc = step_row(c, s))) return rc;
    *sum = sqlite3_column_int64(s, 0);
    *nlevels = sqlite3_column_int64(s, 1);
    finish(s);
    return RS_OK;
}

static int sq_webhook_event_add(struct store_conn *c, int64_t sid, const char *event_id,
                                const char *topic, int64_t at, int *dup)
{
    sqlite3_stmt *s = stmt(c, Q_WEBHOOK_EVENT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, event_id);
    bind_text(s, 3, topic);
    sqlite3_bind_int64(s, 4, at);
    int rc = exec_done(c, s);
    if (rc == RS_OK) *dup = sqlite3_changes(c->db) == 0;
    return rc;
}

static int sq_shopify_order_put(struct store_conn *c, int64_t sid, const char *order_id,
                                const char *order_number)
{
    sqlite3_stmt *s = stmt(c, Q_SHOPIFY_ORDER_PUT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, order_id);
    bind_text(s, 3, order_number);
    return exec_done(c, s);
}

static int sq_shopify_order_get(struct store_conn *c, int64_t sid, const char *order_id,
                                struct arena *a, const char **order_number)
{
    sqlite3_stmt *s = stmt(c, Q_SHOPIFY_ORDER_GET);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, order_id);
    int rc = step_row(c, s);
    if (rc) return rc;
    *order_number = col_text(s, 0, a);
    finish(s);
    return RS_OK;
}

/* Prepares a one-off statement (the rare ingest operations are not worth a kept statement). */
static sqlite3_stmt *prepare(struct store_conn *c, const char *q)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(c->db, q, -1, &s, NULL) != SQLITE_OK) {
        fail_db(c->db, q);
        return NULL;
    }
    return s;
}

static int sq_privacy_request_add(struct store_conn *c, struct privacy_request *pr)
{
    sqlite3_stmt *s = prepare(c, "INSERT INTO privacy_requests(shop_id, kind, customer_id, email,"
                                 " phone, request_id, at) VALUES (?,?,?,?,?,?,?)");
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, pr->sid);
    bind_text(s, 2, pr->kind);
    bind_text(s, 3, pr->customer_id);
    bind_text(s, 4, pr->email);
    bind_text(s, 5, pr->phone);
    bind_text(s, 6, pr->request_id);
    sqlite3_bind_int64(s, 7, pr->at);
    int rc = exec_done(c, s);
    if (rc == RS_OK) pr->id = sqlite3_last_insert_rowid(c->db);
    sqlite3_finalize(s);
    return rc;
}

static int sq_privacy_request_get(struct store_conn *c, int64_t sid, int64_t id, struct arena *a,
                                  struct privacy_request *pr)
{
    sqlite3_stmt *s = prepare(c, "SELECT id, shop_id, kind, customer_id, email, phone, request_id,"
                                 " at FROM privacy_requests WHERE shop_id = ? AND id = ?");
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, id);
    int rc = step_row(c, s);
    if (rc == RS_OK)
        *pr = (struct privacy_request){
            .id = sqlite3_column_int64(s, 0),
            .sid = sqlite3_column_int64(s, 1),
            .kind = col_text(s, 2, a),
            .customer_id = col_text(s, 3, a),
            .email = col_text(s, 4, a),
            .phone = col_text(s, 5, a),
            .request_id = col_text(s, 6, a),
            .at = sqlite3_column_int64(s, 7),
        };
    sqlite3_finalize(s);
    return rc;
}

/* Runs a one-off statement with ?1 = sid, ?2 = text, ?3 = at; *changes = rows changed. */
static int run3(struct store_conn *c, const char *q, int64_t sid, const char *text, int64_t at,
                int64_t *changes)
{
    sqlite3_stmt *s = prepare(c, q);
    if (!s) return RS_ESTORE;
    int np = sqlite3_bind_parameter_count(s);
    sqlite3_bind_int64(s, 1, sid);
    if (np >= 2) bind_text(s, 2, text);
    if (np >= 3) sqlite3_bind_int64(s, 3, at);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) return fail_db(c->db, q);
    if (changes) *changes = sqlite3_changes(c->db);
    return RS_OK;
}

/* The identities of the customer's subscriptions join the set (JSON array text, malloc'd). */
static char *redact_set(struct store_conn *c, int64_t sid, const char *who_json)
{
    static const char q[] =
        "SELECT json_group_array(DISTINCT value) FROM (SELECT value FROM json_each(?2)"
        " UNION SELECT x FROM (SELECT contact_key AS x FROM subscriptions s WHERE %s"
        " UNION SELECT email FROM subscriptions s WHERE %s"
        " UNION SELECT phone FROM subscriptions s WHERE %s"
        " UNION SELECT 'c:' || customer_id FROM subscriptions s WHERE %s"
        " UNION SELECT 't:' || tracking_user_id FROM subscriptions s WHERE %s)"
        " WHERE x IS NOT NULL)";
    static const char match[] = "s.shop_id = ?1 AND (s.contact_key IN (SELECT value FROM"
                                " json_each(?2)) OR s.email IN (SELECT value FROM json_each(?2))"
                                " OR s.phone IN (SELECT value FROM json_each(?2))"
                                " OR 'c:' || s.customer_id IN (SELECT value FROM json_each(?2)))";
    struct buf b = BUF_INIT(0);
    buf_printf(&b, q, match, match, match, match, match);
    sqlite3_stmt *s = prepare(c, b.p);
    buf_free(&b);
    if (!s) return NULL;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, who_json);
    char *out = NULL;
    if (sqlite3_step(s) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(s, 0);
        out = t ? strdup(t) : NULL;
    }
    sqlite3_finalize(s);
    return out;
}

#define IN_SET(col) col " IN (SELECT value FROM json_each(?2))"

static int sq_customer_redact(struct store_conn *c, int64_t sid, const char *who_json, int64_t at,
                              int64_t *n)
{
    char *set = redact_set(c, sid, who_json);
    if (!set) return fail_db(c->db, "redact");
    static const char subs[] =
        "(SELECT id FROM subscriptions WHERE shop_id = ?1 AND"
        " (" IN_SET("contact_key") " OR " IN_SET("email") " OR " IN_SET("phone") " OR " IN_SET(
            "'c:' || customer_id") " OR " IN_SET("'t:' || tracking_user_id") "))";
    const char *const steps[] = {
        "UPDATE hits SET attributes = NULL WHERE shop_id = ?1 AND notification_id IN (SELECT id"
        " FROM notifications WHERE shop_id = ?1 AND subscription_id IN " /* subs */,
        "DELETE FROM caps WHERE shop_id = ?1 AND " IN_SET("contact_key"),
        "UPDATE activity SET who = 'redacted' WHERE shop_id = ?1 AND " IN_SET("who"),
        "UPDATE orders SET email = NULL, phone = NULL, customer_id = NULL,"
        " tracking_user_id = NULL, cart_token = NULL WHERE shop_id = ?1 AND"
        " (" IN_SET("lower(email)") " OR " IN_SET("phone") " OR " IN_SET(
            "'c:' || customer_id") " OR " IN_SET("'t:' || tracking_user_id") ")",
        "DELETE FROM privacy_requests WHERE shop_id = ?1 AND (" IN_SET(
            "lower(email)") " OR " IN_SET("phone") " OR " IN_SET("'c:' || customer_id") ")",
    };
    int rc = RS_OK;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]) && !rc; i++) {
        if (i == 0) {
            struct buf b = BUF_INIT(0);
            buf_printf(&b, "%s%s)", steps[0], subs);
            rc = run3(c, b.p, sid, set, at, NULL);
            buf_free(&b);
        } else {
            rc = run3(c, steps[i], sid, set, at, NULL);
        }
    }
    if (!rc) {
        struct buf b = BUF_INIT(0);
        buf_printf(&b,
                   "UPDATE subscriptions SET contact_key = 'redacted:' || id, email = NULL,"
                   " phone = NULL, push_endpoint = NULL, push_p256dh = NULL, push_auth = NULL,"
                   " first_name = NULL, customer_id = NULL, tracking_user_id = NULL,"
                   " status = CASE WHEN status IN (0, 1) THEN 3 ELSE status END,"
                   " unsubscribed_at = CASE WHEN status IN (0, 1) THEN ?3 ELSE unsubscribed_at"
                   " END, updated_at = ?3 WHERE id IN %s",
                   subs);
        rc = run3(c, b.p, sid, set, at, n);
        buf_free(&b);
    }
    free(set);
    return rc;
}

static int sq_shop_erase(struct store_conn *c, int64_t sid)
{
    c->view++; /* a shop write: cached shops of this view are stale */
    int rc = run3(c,
                  "DELETE FROM order_items WHERE order_id IN (SELECT id FROM orders"
                  " WHERE shop_id = ?1)",
                  sid, NULL, 0, NULL);
    /* every table with a shop_id column, so tables added later are erased too */
    sqlite3_stmt *s =
        rc ? NULL
           : prepare(c, "SELECT m.name FROM sqlite_schema m, pragma_table_info(m.name) p"
                        " WHERE m.type = 'table' AND p.name = 'shop_id'");
    if (!rc && !s) rc = RS_ESTORE;
    struct buf names = BUF_INIT(0);
    while (!rc && sqlite3_step(s) == SQLITE_ROW) {
        buf_puts(&names, (const char *)sqlite3_column_text(s, 0));
        buf_putc(&names, '\n');
    }
    sqlite3_finalize(s);
    for (char *p = names.p, *nl; !rc && p && (nl = strchr(p, '\n')); p = nl + 1) {
        *nl = '\0';
        struct buf q = BUF_INIT(0);
        buf_printf(&q, "DELETE FROM \"%s\" WHERE shop_id = ?1", p);
        rc = run3(c, q.p, sid, NULL, 0, NULL);
        buf_free(&q);
    }
    buf_free(&names);
    if (!rc) rc = run3(c, "DELETE FROM shops WHERE sid = ?1", sid, NULL, 0, NULL);
    return rc;
}

static int sq_ingest_prune(struct store_conn *c, int64_t activity_before, int64_t events_before,
                           int limit, int64_t *n)
{
    int64_t a = 0, b = 0;
    struct buf q = BUF_INIT(0);
    buf_printf(&q,
               "DELETE FROM activity WHERE rowid IN (SELECT rowid FROM activity WHERE at < ?3"
               " LIMIT %d)",
               limit);
    int rc = run3(c, q.p, 0, NULL, activity_before, &a);
    buf_reset(&q);
    buf_printf(&q,
               "DELETE FROM webhook_events WHERE (shop_id, event_id) IN (SELECT shop_id, event_id"
               " FROM webhook_events WHERE at < ?3 LIMIT %d)",
               limit);
    if (!rc) rc = run3(c, q.p, 0, NULL, events_before, &b);
    buf_free(&q);
    *n = a + b;
    return rc;
}

static int sq_feed_due(struct store_conn *c, int64_t now, int (*cb)(void *arg, int64_t sid),
                       void *arg)
{
    sqlite3_stmt *s = prepare(c, "SELECT sid FROM shops WHERE feed_interval_minutes > 0"
                                 " AND feed_url <> '' AND feed_fetched_at + feed_interval_minutes"
                                 " * 60 <= ? ORDER BY sid");
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, now);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (cb(arg, sqlite3_column_int64(s, 0))) break;
    int out = rc == SQLITE_ROW || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, "feed_due");
    sqlite3_finalize(s);
    return out;
}

static int sq_feed_mark(struct store_conn *c, int64_t sid, int64_t at)
{
    return run3(c, "UPDATE shops SET feed_fetched_at = ?3 WHERE sid = ?1", sid, NULL, at, NULL);
}

/* ---- orders, attribution, stats ----------------------------------------------------------- */

static void read_order(sqlite3_stmt *s, struct arena *a, struct order *o)
{
    memset(o, 0, sizeof(*o));
    o->id = sqlite3_column_int64(s, 0);
    o->sid = sqlite3_column_int64(s, 1);
    o->order_number = col_text(s, 2, a);
    o->source = col_text(s, 3, a);
    o->total = sqlite3_column_int64(s, 4);
    o->currency = col_text(s, 5, a);
    o->created_at = sqlite3_column_int64(s, 6);
    o->status = (enum order_status)sqlite3_column_int(s, 7);
    o->refunded = sqlite3_column_int64(s, 8);
    o->email = col_text(s, 9, a);
    o->phone = col_text(s, 10, a);
    o->customer_id = col_text(s, 11, a);
    o->tracking_user_id = col_text(s, 12, a);
    o->cart_token = col_text(s, 13, a);
    o->received_at = sqlite3_column_int64(s, 14);
}

static int order_items(struct store_conn *c, struct arena *a, struct order *o)
{
    sqlite3_stmt *s = stmt(c, Q_ORDER_ITEMS);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, o->id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (o->nitems == cap) {
            cap = cap ? 2 * cap : 8;
            struct order_item *n = arena_alloc(a, cap * sizeof(*n));
            if (o->nitems) memcpy(n, o->items, o->nitems * sizeof(*n));
            o->items = n;
        }
        struct order_item *it = &o->items[o->nitems++];
        it->variant_id = col_text(s, 0, a);
        it->product_number = col_text(s, 1, a);
        it->url = col_text(s, 2, a);
        it->quantity = sqlite3_column_int64(s, 3);
        it->price = sqlite3_column_int64(s, 4);
    }
    finish(s);
    return rc == SQLITE_DONE ? RS_OK : fail_db(c->db, sql[Q_ORDER_ITEMS]);
}

static int sq_order_get(struct store_conn *c, int64_t sid, const char *order_number,
                        struct arena *a, struct order *out)
{
    sqlite3_stmt *s = stmt(c, Q_ORDER_GET);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, order_number);
    int rc = step_row(c, s);
    if (rc) return rc;
    read_order(s, a, out);
    finish(s);
    return order_items(c, a, out);
}

static int sq_order_insert(struct store_conn *c, struct order *o)
{
    sqlite3_stmt *s = stmt(c, Q_ORDER_INSERT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, o->sid);
    bind_text(s, 2, o->order_number);
    bind_text(s, 3, o->source);
    sqlite3_bind_int64(s, 4, o->total);
    bind_text(s, 5, o->currency);
    sqlite3_bind_int64(s, 6, o->created_at);
    sqlite3_bind_int(s, 7, (int)o->status);
    sqlite3_bind_int64(s, 8, o->refunded);
    bind_text(s, 9, o->email);
    bind_text(s, 10, o->phone);
    bind_text(s, 11, o->customer_id);
    bind_text(s, 12, o->tracking_user_id);
    bind_text(s, 13, o->cart_token);
    sqlite3_bind_int64(s, 14, o->received_at);
    int rc = exec_done(c, s);
    if (rc) return rc;
    o->id = sqlite3_last_insert_rowid(c->db);
    sqlite3_stmt *it = stmt(c, Q_ORDER_ITEM_INSERT);
    if (!it) return RS_ESTORE;
    for (size_t i = 0; i < o->nitems && rc == RS_OK; i++) {
        sqlite3_bind_int64(it, 1, o->id);
        sqlite3_bind_int64(it, 2, (int64_t)i);
        bind_text(it, 3, o->items[i].variant_id);
        bind_text(it, 4, o->items[i].product_number);
        bind_text(it, 5, o->items[i].url);
        sqlite3_bind_int64(it, 6, o->items[i].quantity);
        sqlite3_bind_int64(it, 7, o->items[i].price);
        rc = exec_done(c, it);
    }
    return rc;
}

static int sq_order_update(struct store_conn *c, const struct order *o)
{
    sqlite3_stmt *s = stmt(c, Q_ORDER_UPDATE);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, o->id);
    sqlite3_bind_int(s, 2, (int)o->status);
    sqlite3_bind_int64(s, 3, o->refunded);
    return exec_done(c, s);
}

static int sq_variant_resolve(struct store_conn *c, int64_t sid, const char *product_number,
                              const char *url, struct arena *a, int (*cb)(void *, const char *),
                              void *arg)
{
    sqlite3_stmt *s = stmt(c, product_number ? Q_VARIANT_BY_NUMBER : Q_VARIANT_BY_URL);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    bind_text(s, 2, product_number ? product_number : url);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
        stop = cb(arg, col_text(s, 0, a));
    finish(s);
    return stop || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, sqlite3_sql(s));
}

static void read_cand(sqlite3_stmt *s, struct attr_cand *out)
{
    memset(out, 0, sizeof(*out));
    out->notification_id = sqlite3_column_int64(s, 0);
    out->campaign_id = sqlite3_column_int64(s, 1);
    out->sent_at = sqlite3_column_int64(s, 2);
    out->clicked_at = sqlite3_column_int64(s, 3);
    out->converted = sqlite3_column_int(s, 4);
    out->window_days = sqlite3_column_int(s, 5);
}

struct attr_sub {
    int64_t id;
    const char *variant_id;
};

struct attr_subs {
    struct attr_sub *v;
    size_t n, cap;
};

/* Adds the subscriptions one identity finds (those for the query's variants, each once). */
static int attr_subs_by(struct store_conn *c, enum stmt_id id, const struct attr_query *q,
                        const char *value, struct arena *a, struct attr_subs *out)
{
    if (!value) return RS_OK;
    sqlite3_stmt *s = stmt(c, id);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, q->sid);
    bind_text(s, 2, value);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t sub = sqlite3_column_int64(s, 0);
        const char *v = (const char *)sqlite3_column_text(s, 1);
        size_t k = 0, i = 0;
        while (k < q->nvariants && (!v || strcmp(q->variants[k], v) != 0))
            k++;
        while (i < out->n && out->v[i].id != sub)
            i++;
        if (k == q->nvariants || i < out->n) continue; /* another variant, or found already */
        if (out->n == out->cap) {
            out->cap = out->cap ? 2 * out->cap : 8;
            struct attr_sub *m = arena_alloc(a, out->cap * sizeof(*m));
            if (out->n) memcpy(m, out->v, out->n * sizeof(*m));
            out->v = m;
        }
        out->v[out->n].id = sub;
        out->v[out->n++].variant_id = q->variants[k];
    }
    finish(s);
    return rc == SQLITE_DONE ? RS_OK : fail_db(c->db, sql[id]);
}

static int sq_attr_candidates(struct store_conn *c, const struct attr_query *q, struct arena *a,
                              int (*cb)(void *, const struct attr_cand *), void *arg)
{
    struct attr_subs subs = {0};
    int rc;
    if ((rc = attr_subs_by(c, Q_ATTR_BY_KEY, q, q->email, a, &subs)) ||
        (rc = attr_subs_by(c, Q_ATTR_BY_KEY, q, q->phone, a, &subs)) ||
        (rc = attr_subs_by(c, Q_ATTR_BY_EMAIL, q, q->email, a, &subs)) ||
        (rc = attr_subs_by(c, Q_ATTR_BY_PHONE, q, q->phone, a, &subs)) ||
        (rc = attr_subs_by(c, Q_ATTR_BY_CUSTOMER, q, q->customer_id, a, &subs)) ||
        (rc = attr_subs_by(c, Q_ATTR_BY_TRACKING, q, q->tracking_user_id, a, &subs)))
        return rc;
    sqlite3_stmt *ns = stmt(c, Q_ATTR_NOTIFS);
    if (!ns) return RS_ESTORE;
    int stop = 0;
    for (size_t i = 0; i < subs.n && !stop; i++) {
        sqlite3_bind_int64(ns, 1, q->sid);
        bind_text(ns, 2, subs.v[i].variant_id);
        sqlite3_bind_int64(ns, 3, subs.v[i].id);
        sqlite3_bind_int64(ns, 4, q->since);
        sqlite3_bind_int64(ns, 5, q->until);
        while (!stop && (rc = sqlite3_step(ns)) == SQLITE_ROW) {
            struct attr_cand cand;
            read_cand(ns, &cand);
            cand.subscription_id = subs.v[i].id;
            cand.variant_id = subs.v[i].variant_id;
            stop = cb(arg, &cand);
        }
        finish(ns);
        if (!stop && rc != SQLITE_DONE) return fail_db(c->db, sql[Q_ATTR_NOTIFS]);
    }
    return RS_OK;
}

static int sq_attr_candidate(struct store_conn *c, int64_t sid, int64_t notification_id,
                             struct arena *a, struct attr_cand *out)
{
    sqlite3_stmt *s = stmt(c, Q_ATTR_ONE);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, notification_id);
    int rc = step_row(c, s);
    if (rc) return rc;
    read_cand(s, out);
    out->subscription_id = sqlite3_column_int64(s, 6);
    out->variant_id = col_text(s, 7, a);
    finish(s);
    return RS_OK;
}

static int sq_conversion_insert(struct store_conn *c, struct conversion *cv)
{
    sqlite3_stmt *s = stmt(c, Q_CONV_INSERT);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, cv->sid);
    sqlite3_bind_int64(s, 2, cv->notification_id);
    sqlite3_bind_int64(s, 3, cv->campaign_id);
    sqlite3_bind_int64(s, 4, cv->order_id);
    sqlite3_bind_int(s, 5, (int)cv->kind);
    sqlite3_bind_int64(s, 6, cv->amount);
    sqlite3_bind_int64(s, 7, cv->refunded);
    bind_text(s, 8, cv->currency);
    sqlite3_bind_int(s, 9, cv->status);
    sqlite3_bind_int64(s, 10, cv->at);
    sqlite3_bind_int64(s, 11, cv->created_at);
    int rc = exec_done(c, s);
    if (rc == RS_OK) cv->id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

static int sq_conversion_by_order(struct store_conn *c, int64_t sid, int64_t order_id,
                                  struct arena *a, struct conversion *out)
{
    sqlite3_stmt *s = stmt(c, Q_CONV_BY_ORDER);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, order_id);
    int rc = step_row(c, s);
    if (rc) return rc;
    out->id = sqlite3_column_int64(s, 0);
    out->sid = sqlite3_column_int64(s, 1);
    out->notification_id = sqlite3_column_int64(s, 2);
    out->campaign_id = sqlite3_column_int64(s, 3);
    out->order_id = sqlite3_column_int64(s, 4);
    out->kind = (enum conversion_kind)sqlite3_column_int(s, 5);
    out->amount = sqlite3_column_int64(s, 6);
    out->refunded = sqlite3_column_int64(s, 7);
    out->currency = col_text(s, 8, a);
    out->status = sqlite3_column_int(s, 9);
    out->at = sqlite3_column_int64(s, 10);
    out->created_at = sqlite3_column_int64(s, 11);
    finish(s);
    return RS_OK;
}

static int sq_conversion_set(struct store_conn *c, int64_t sid, int64_t order_id, int status,
                             int64_t refunded)
{
    sqlite3_stmt *s = stmt(c, Q_CONV_SET);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, order_id);
    sqlite3_bind_int(s, 3, status);
    sqlite3_bind_int64(s, 4, refunded);
    return exec_done(c, s);
}

static int sq_stats_slots(struct store_conn *c, int64_t sid, int64_t campaign_id, int64_t lo,
                          int64_t hi, int (*cb)(void *, const struct stats_slot *), void *arg)
{
    sqlite3_stmt *s = stmt(c, campaign_id > 0 ? Q_STATS_SLOTS_CAMPAIGN : Q_STATS_SLOTS);
    if (!s) return RS_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_int64(s, 2, lo);
    sqlite3_bind_int64(s, 3, hi);
    if (campaign_id > 0) sqlite3_bind_int64(s, 4, campaign_id);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct stats_slot v;
        int64_t *f[] = {
            &v.slot,          &v.sent,       &v.opened,     &v.clicked,         &v.direct_n,
            &v.direct_amount, &v.direct_net, &v.assisted_n, &v.assisted_amount, &v.assisted_net};
        for (int i = 0; i < 10; i++)
            *f[i] = sqlite3_column_int64(s, i);
        stop = cb(arg, &v);
    }
    finish(s);
    return stop || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, sqlite3_sql(s));
}

static int sq_stats_events(struct store_conn *c, int64_t sid, int64_t campaign_id, int64_t lo,
                           int64_t hi, int limit, struct arena *a,
                           int (*cb)(void *, const char *, int64_t), void *arg)
{
    sqlite3_stmt *s = stmt(c, campaign_id > 0 ? Q_STATS_EVENTS_CAMPAIGN : Q_STATS_EVENTS);
    if (!s) return RS_ESTORE;
    int k = 1;
    sqlite3_bind_int64(s, k++, sid);
    sqlite3_bind_int64(s, k++, lo);
    sqlite3_bind_int64(s, k++, hi);
    if (campaign_id > 0) sqlite3_bind_int64(s, k++, campaign_id);
    sqlite3_bind_int(s, k, limit);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
        stop = cb(arg, col_text(s, 0, a), sqlite3_column_int64(s, 1));
    finish(s);
    return stop || rc == SQLITE_DONE ? RS_OK : fail_db(c->db, sqlite3_sql(s));
}

const struct store_ops store_sqlite = {
    .name = "sqlite",
    .single_process = 1,
    .open = sq_open,
    .close = sq_close,
    .reader = sq_reader,
    .reader_release = sq_reader_release,
    .writer = sq_writer,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .savepoint = sq_savepoint,
    .release = sq_release,
    .rollback_to = sq_rollback_to,
    .durable = sq_durable,
    .secret = sq_secret,
    .shop_insert = sq_shop_insert,
    .shop_update = sq_shop_update,
    .shop_by_uuid = sq_shop_by_uuid,
    .shop_by_key = sq_shop_by_key,
    .shop_by_sid = sq_shop_by_sid,
    .shop_count = sq_shop_count,
    .variant_get = sq_variant_get,
    .variant_put = sq_variant_put,
    .restock_insert = sq_restock_insert,
    .sub_insert = sq_sub_insert,
    .sub_find = sq_sub_find,
    .sub_get = sq_sub_get,
    .sub_list = sq_sub_list,
    .sub_set_status = sq_sub_set_status,
    .sub_unsubscribe_contact = sq_sub_unsubscribe_contact,
    .sub_reenroll = sq_sub_reenroll,
    .sub_waiting = sq_sub_waiting,
    .sub_notified = sq_sub_notified,
    .campaign_insert = sq_campaign_insert,
    .campaign_update = sq_campaign_update,
    .campaign_delete = sq_campaign_delete,
    .campaign_get = sq_campaign_get,
    .campaign_list = sq_campaign_list,
    .restock_next = sq_restock_next,
    .restock_update = sq_restock_update,
    .notification_insert = sq_notification_insert,
    .notification_get = sq_notification_get,
    .notification_insert_many = sq_notification_insert_many,
    .outbox_claim = sq_outbox_claim,
    .notification_result = sq_notification_result,
    .cap_get = sq_cap_get,
    .cap_add = sq_cap_add,
    .decision_insert = sq_decision_insert,
    .notification_list = sq_notification_list,
    .confirm_queue = sq_confirm_queue,
    .outbox_renew = sq_outbox_renew,
    .outbox_release = sq_outbox_release,
    .order_get = sq_order_get,
    .order_insert = sq_order_insert,
    .order_update = sq_order_update,
    .variant_resolve = sq_variant_resolve,
    .attr_candidates = sq_attr_candidates,
    .attr_candidate = sq_attr_candidate,
    .conversion_insert = sq_conversion_insert,
    .conversion_by_order = sq_conversion_by_order,
    .conversion_set = sq_conversion_set,
    .stats_slots = sq_stats_slots,
    .stats_events = sq_stats_events,
    .variant_by_item = sq_variant_by_item,
    .level_set = sq_level_set,
    .webhook_event_add = sq_webhook_event_add,
    .shopify_order_put = sq_shopify_order_put,
    .shopify_order_get = sq_shopify_order_get,
    .privacy_request_add = sq_privacy_request_add,
    .privacy_request_get = sq_privacy_request_get,
    .customer_redact = sq_customer_redact,
    .shop_erase = sq_shop_erase,
    .ingest_prune = sq_ingest_prune,
    .feed_due = sq_feed_due,
    .feed_mark = sq_feed_mark,
    .sub_reopen = sq_sub_reopen,
    .budget_get = sq_budget_get,
    .budget_add = sq_budget_add,
    .activity_add = sq_activity_add,
    .activity_since = sq_activity_since,
    .decision_list = sq_decision_list,
    .notification_context = sq_notification_context,
    .hit_insert = sq_hit_insert,
    .notification_touch = sq_notification_touch,
    .event_top = sq_event_top,
    .report_customers = sq_report_customers,
    .report_waiting = sq_report_waiting,
};
