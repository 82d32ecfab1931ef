/*
 * routes — the route table: method, path pattern, handler, flags, name. The dispatcher
 * (server.c) walks it and applies each route's shared checks (auth, content type, body limit,
 * CORS, rate limit) once, so handlers hold only their own logic.
 */
#include "http/http_int.h"

/* An uploaded XML feed may be larger than a JSON body; larger feeds go through the CLI. */
#define FEED_UPLOAD_LIMIT (32u << 20)

const struct route routes[] = {
    /* public: storefronts, chats, notifications */
    {"POST", "/v1/subscriptions", h_subscribe, R_PUBLIC | R_BODY, "subscribe"},
    {"GET", "/v1/stock/{shop}/{variant_id}", h_stock_get, R_PUBLIC, "stock"},
    {"POST", "/serve/collect/conversion", h_collect, R_PUBLIC | R_BODY | R_COLLECT, "collect"},
    {"GET", "/u/{token}", h_unsubscribe_page, R_PUBLIC, "unsubscribe_page"},
    {"POST", "/u/{token}", h_unsubscribe_post, R_PUBLIC | R_FORM, "unsubscribe"},
    {"GET", "/c/{token}", h_confirm, R_PUBLIC, "confirm"},
    {"GET", "/r/{token}", h_click, R_PUBLIC | R_TRACK, "click"},
    {"GET", "/o/{token}", h_open, R_PUBLIC | R_TRACK, "open"},
    {"POST", "/v1/events", h_event, R_PUBLIC | R_BODY, "event"},
    {"POST", "/v1/views", h_views, R_PUBLIC | R_BODY, "views"},
    /* Shopify: verified by the body's HMAC under the shop's webhook secret */
    {"POST", "/webhooks/shopify/{shop}", h_shopify_webhook, R_FORM, "shopify_webhook"},
    {"GET", "/healthz", h_healthz, 0, "healthz"},
    {"GET", "/metrics", h_metrics, 0, "metrics"},
    {"GET", "/widget.js", h_asset, 0, "widget"},
    {"GET", "/sw.js", h_asset, 0, "service_worker"},
    {"GET", "/dashboard", h_asset, 0, "dashboard"},
    {"GET", "/dashboard/", h_asset, 0, "dashboard"},
    {"GET", "/dashboard/{file}", h_asset, 0, "dashboard_asset"},
    /* admin: Authorization: Bearer API_KEY */
    {"GET", "/v1/shop", h_shop_get, R_ADMIN, "shop_get"},
    {"PATCH", "/v1/shop", h_shop_patch, R_ADMIN | R_BODY, "shop_patch"},
    {"POST", "/v1/orders", h_order_create, R_ADMIN | R_BODY, "order_create"},
    {"GET", "/v1/orders/{number}", h_order_get, R_ADMIN, "order_get"},
    {"POST", "/v1/orders/{number}/cancel", h_order_cancel, R_ADMIN | R_FORM, "order_cancel"},
    {"POST", "/v1/orders/{number}/refunds", h_order_refund, R_ADMIN | R_BODY, "order_refund"},
    {"GET", "/v1/stats", h_stats, R_ADMIN, "stats", 0, "from,to,campaign"},
    {"PUT", "/v1/catalog", h_catalog_put, R_ADMIN | R_BODY, "catalog"},
    {"POST", "/v1/inventory", h_inventory_post, R_ADMIN | R_BODY, "inventory"},
    {"GET", "/v1/variants/{variant_id}", h_variant_get, R_ADMIN, "variant_get"},
    {"GET", "/v1/subscriptions", h_subscriptions_list, R_ADMIN, "subscriptions_list", 0,
     "variant_id,status,channel,limit,after"},
    {"GET", "/v1/subscriptions/{id}/decisions", h_decisions_list, R_ADMIN, "decisions_list"},
    {"GET", "/v1/notifications", h_notifications_list, R_ADMIN, "notifications_list", 0,
     "status,subscription_id,limit,after"},
    {"GET", "/v1/notifications/{id}/events", h_notification_events, R_ADMIN, "notification_events"},
    {"GET", "/v1/campaigns", h_campaigns_list, R_ADMIN, "campaigns_list"},
    {"POST", "/v1/campaigns", h_campaign_create, R_ADMIN | R_BODY, "campaign_create"},
    {"GET", "/v1/campaigns/{id}", h_campaign_get, R_ADMIN, "campaign_get"},
    {"PATCH", "/v1/campaigns/{id}", h_campaign_patch, R_ADMIN | R_BODY, "campaign_patch"},
    {"DELETE", "/v1/campaigns/{id}", h_campaign_delete, R_ADMIN, "campaign_delete"},
    {"POST", "/v1/campaigns/{id}/preview", h_campaign_preview, R_ADMIN | R_FORM,
     "campaign_preview"},
    {"POST", "/v1/campaigns/{id}/test", h_campaign_test, R_ADMIN | R_FORM, "campaign_test"},
    {"GET", "/v1/campaigns/{id}/events", h_campaign_events, R_ADMIN, "campaign_events"},
    {"GET", "/v1/reports/customers", h_report_customers, R_ADMIN, "report_customers", 0,
     "from,to,format,limit,after"},
    {"GET", "/v1/reports/demand", h_report_demand, R_ADMIN, "report_demand", 0, "limit"},
    {"POST", "/v1/feeds/import", h_feed_import, R_ADMIN | R_FORM, "feed_import", FEED_UPLOAD_LIMIT,
     "in_stock"},
    {"GET", "/v1/privacy/requests/{id}", h_privacy_request_get, R_ADMIN, "privacy_request"},
};

const int nroutes = (int)(sizeof(routes) / sizeof(routes[0]));
