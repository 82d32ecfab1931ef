/*
 * store_sqlite_schema — the SQLite backend's schema and its migrations (sq_migrate).
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
 *         soldout_since, updated_at, url_key)       PK (shop_id, variant_id), WITHOUT ROWID
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
 *         (kind 0), click (1) and event call (2, name and attributes JSON); indexes: see
 *         migrations 8 and 10
 *   orders(id PK, shop_id, order_number, source, total, currency, created_at, status, refunded,
 *         email, phone, customer_id, tracking_user_id, cart_token, received_at)  unique
 *         (shop_id, order_number): an order counts once; status 0 placed, 1 cancelled,
 *         2 refunded (refunded: the amount refunded so far); money in minor units
 *   order_items(order_id, n, variant_id, product_number, url, quantity, price)  PK (order_id, n)
 *   conversions(id PK, shop_id, notification_id, campaign_id, order_id, kind, amount, refunded,
 *         currency, status, at, created_at)  unique (shop_id, notification_id): a notification
 *         converts at most once; kind 0 direct, 1 assisted; order_id 0 for a goal event; status
 *         0 counted, 1 cancelled, 2 superseded (a goal event's, whose purchase an order
 *         converted elsewhere); at is the order's date; index (shop_id, at), (shop_id, order_id)
 *   order_refunds(shop_id, order_id, refund_id, amount, at)  PK (shop_id, order_id,
 *         refund_id), WITHOUT ROWID (migration 13): a refund with an id is taken once
 *   subscriptions by customer_id and by tracking_user_id: partial indexes (where not NULL), so
 *   Orders in, attribution and stats (migration 6):
 *   variants (shop_id, product_number), (shop_id, url_key): partial indexes — order items
 *         name a variant by product number or product URL (Hello Retail's collect call);
 *         url_key (migration 11) is url without its query and fragment (BARE_URL), so a
 *         feed's link with ?variant=N and an order's URL with tracking parameters still meet
 *   subscriptions (shop_id, email) WHERE channel <> email, (shop_id, phone) WHERE channel <>
 *         sms: an order's buyer by an email or phone that is not the contact key (which the
 *         unique key's prefix already finds)
 *   stats_slots(shop_id, slot, campaign_id, sent, opened, clicked, direct_n, direct_amount,
 *         direct_net, assisted_n, assisted_amount, assisted_net)  PK, WITHOUT ROWID — the stats
 *         rollup: slot = t / 900 (15-minute slots of UTC time, so any zone's local days are
 *         whole slots); kept by triggers in the same transaction as the rows: a notification
 *         of a restock (not a double opt-in confirmation) becoming sent (slot of sent_at), its
 * first open and first click (slots of opened_at, clicked_at), a conversion inserted or updated
 * (its old row taken away, its new one added, counted only while status 0; net = amount - refunded;
 * since migration 12 amount and net only when the conversion is in the shop's currency)
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
 *   Hits (migration 10): hits' two full indexes replaced by hits(shop_id, notification_id) WHERE
 *   kind = 2 — only events are read back per notification, nothing reads hits by time, so a
 *   click or an open only appends to the table (its index pages were most of a click's WAL)
 *   Re-walks (migration 15): campaigns.rewalk_at — when the fan-out is to walk again the latest
 *   restock of each of the shop's variants in stock for this campaign (0: never; fanout.h);
 *   partial index (rewalk_at) WHERE rewalk_at > 0, the fan-out's queue of them
 *   Give-backs (migration 16): notifications.budget_units, cap_day — what the fan-out counted
 *   for a message against its campaign's max_sends (units; 0: none) and in caps (the day; 0:
 *   none), given back when the outbox drops it before any attempt; maybe_sent — a lease of it
 *   ended with no result recorded (set by the claim that follows, or at start): it may have
 *   gone out, so it keeps what it spent (deliver/outbox.c)
 */
#include <stdio.h>
#include <sqlite3.h>

#include "store/sqlite_int.h"
#include "util/crypto.h"

/* order_number_norm (core/order.c) in SQL, for migration 13: white space trimmed, then the
 * leading '#'s and the white space among them dropped. */
#define WHITE          "' ' || char(9, 10, 11, 12, 13)"
#define NORM_NUMBER(x) "ltrim(trim(" x ", " WHITE "), '#' || " WHITE ")"

/* A trigger adding (sign "+") or taking away ("-") a conversion row `r` (new or old) to or from
 * its slot of the stats rollup: count, amount and net by kind, the amount and net being SQL
 * expressions over r (migration 6: r.amount and r.amount - r.refunded; since migration 12
 * AMOUNT_IN_SHOP and NET_IN_SHOP). */
#define STATS_CONV_TRIGGER(name, when, cond, r, sign, amount, net)                                 \
    "CREATE TRIGGER " name " " when " ON conversions WHEN " cond " BEGIN"                          \
    " INSERT INTO stats_slots(shop_id, slot, campaign_id, direct_n, direct_amount, direct_net,"    \
    " assisted_n, assisted_amount, assisted_net) VALUES (" r ".shop_id, " r ".at / 900, " r        \
    ".campaign_id, " sign "(" r ".kind = 0), " sign "(CASE " r ".kind WHEN 0 THEN " amount         \
    " ELSE 0 END), " sign "(CASE " r ".kind WHEN 0 THEN " net " ELSE 0 END), " sign "(" r          \
    ".kind <> 0), " sign "(CASE " r ".kind WHEN 0 THEN 0 ELSE " amount " END), " sign "(CASE " r   \
    ".kind WHEN 0 THEN 0 ELSE " net " END)) ON CONFLICT DO UPDATE SET"                             \
    " direct_n = direct_n + excluded.direct_n,"                                                    \
    " direct_amount = direct_amount + excluded.direct_amount,"                                     \
    " direct_net = direct_net + excluded.direct_net,"                                              \
    " assisted_n = assisted_n + excluded.assisted_n,"                                              \
    " assisted_amount = assisted_amount + excluded.assisted_amount,"                               \
    " assisted_net = assisted_net + excluded.assisted_net; END;"
#define V6_AMOUNT(r) r ".amount"
#define V6_NET(r)    r ".amount - " r ".refunded"
#define STATS_CONV_TRIGGERS(A, N)                                                                  \
    STATS_CONV_TRIGGER("stats_conversion_insert", "AFTER INSERT", "new.status = 0", "new", "+",    \
                       A("new"), N("new"))                                                         \
    STATS_CONV_TRIGGER("stats_conversion_old", "AFTER UPDATE", "old.status = 0", "old", "-",       \
                       A("old"), N("old"))                                                         \
    STATS_CONV_TRIGGER("stats_conversion_new", "AFTER UPDATE", "new.status = 0", "new", "+",       \
                       A("new"), N("new"))

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
    " END;" STATS_CONV_TRIGGERS(
        V6_AMOUNT,
        V6_NET) "CREATE TRIGGER stats_event AFTER INSERT ON hits WHEN new.kind = 2 AND new.name IS "
                "NOT NULL"
                " BEGIN INSERT INTO event_slots VALUES (new.shop_id, new.at / 900, new.campaign_id,"
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
    /* 10: a click or open appends to hits and touches no index: only events (kind 2) are read
     * back per notification; nothing reads hits by time */
    "DROP INDEX hits_at;"
    "DROP INDEX hits_notification;"
    "CREATE INDEX hits_notification ON hits(shop_id, notification_id) WHERE kind = 2;",
    /* 11: an order's item URL names the variants whose url matches without query and
     * fragment on either side (a feed's link may carry ?variant=N) */
    /* (clang-format staircases the lines after a function-like macro) */
    /* clang-format off */
    "ALTER TABLE variants ADD COLUMN url_key TEXT;"
    "UPDATE variants SET url_key = " BARE_URL("url") ";"
    "DROP INDEX variants_url;"
    "CREATE INDEX variants_url ON variants(shop_id, url_key) WHERE url_key IS NOT NULL;",
    /* clang-format on */
    /* 12: revenue in the rollup only from conversions in the shop's currency (an order in
     * another one counts, with no amount); the conversion columns recounted */
    "DROP TRIGGER stats_conversion_insert;"
    "DROP TRIGGER stats_conversion_old;"
    "DROP TRIGGER stats_conversion_new;" STATS_CONV_TRIGGERS(AMOUNT_IN_SHOP, NET_IN_SHOP)
        STATS_CONV_RESET("1") ";" STATS_CONV_RECOUNT("1") ";",
    /* 13: the refunds recorded by id (the API's refund_id, Shopify's refund id), so a refund
     * sent again, or from a second source, is taken once; and the order numbers stored before
     * every source spelt them alike (order_number_norm: no surrounding white space, no leading
     * '#'), where the new spelling is not another order's already (that one is what lookups
     * find; the other keeps its row and its place in the totals) */
    "CREATE TABLE order_refunds(shop_id INTEGER NOT NULL, order_id INTEGER NOT NULL,"
    " refund_id TEXT NOT NULL, amount INTEGER NOT NULL, at INTEGER NOT NULL,"
    " PRIMARY KEY(shop_id, order_id, refund_id)) WITHOUT ROWID;"
    /* (clang-format breaks the lines around function-like macros apart) */
    /* clang-format off */
    "UPDATE OR IGNORE orders SET order_number = " NORM_NUMBER("order_number")
    " WHERE order_number <> " NORM_NUMBER("order_number")
    " AND " NORM_NUMBER("order_number") " <> '';",
    /* 14: who still has a message on its way (queued or retrying), found by subscription: a
     * sell-out's re-enrolment asks it of every notified subscription of the variant */
    "CREATE INDEX notifications_in_flight ON notifications(subscription_id)"
    " WHERE status IN (0, 2);",
    /* clang-format on */
    /* 15: when a campaign's re-walk is due (it came to apply: made active, or its starts_at
     * reached), found by a partial index; a campaign stored waiting for its starts_at gets one
     * then, as if it had been written now */
    "ALTER TABLE campaigns ADD COLUMN rewalk_at INTEGER NOT NULL DEFAULT 0;"
    "UPDATE campaigns SET rewalk_at = CAST(strftime('%s', json_extract(json, '$.starts_at'))"
    " AS INTEGER) WHERE deleted_at = 0 AND status IN (1, 2)"
    " AND CAST(strftime('%s', json_extract(json, '$.starts_at')) AS INTEGER)"
    " > CAST(strftime('%s', 'now') AS INTEGER);"
    "CREATE INDEX campaigns_rewalk ON campaigns(rewalk_at) WHERE rewalk_at > 0;",
    /* 16: what the fan-out counted for a message (its max_sends units, its cap's day), given
     * back when it is dropped unsent; maybe_sent when a lease of it ended with no result. A
     * message queued before keeps what it spent (0: nothing to give back) */
    "ALTER TABLE notifications ADD COLUMN budget_units INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE notifications ADD COLUMN cap_day INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE notifications ADD COLUMN maybe_sent INTEGER NOT NULL DEFAULT 0;",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int sq_migrate(struct store_conn *c, struct rs_status *st)
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
