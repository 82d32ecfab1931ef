/* app — opening and closing the pieces of a running restock; see app.h. */
#include "core/app.h"

#include <string.h>

#include "core/contact.h"
#include "core/order_sink.h"
#include "core/ratelimit.h"

int app_open(struct app *app, struct config *cfg, struct rs_status *st)
{
    memset(app, 0, sizeof(*app));
    app->cfg = cfg;
    app->ops = store_backend(cfg->db);
    if (!app->ops)
        return rs_fail(st, RS_EUSAGE, "db: %s: the PostgreSQL backend is not available yet",
                       cfg->db);
    app->push_hosts = push_hosts_parse(cfg->push_hosts);
    if (!app->push_hosts) return rs_fail(st, RS_EUSAGE, "push_hosts: malformed list");
    if (app->ops->open(cfg->db, &app->store, st)) {
        push_hosts_free(app->push_hosts);
        return RS_ESTORE;
    }
    if (app->ops->secret(app->ops->writer(app->store), app->secret)) {
        app->ops->close(app->store);
        push_hosts_free(app->push_hosts);
        return rs_fail(st, RS_ESTORE, "cannot read the server secret");
    }
    app->cm = committer_start(app->ops, app->store);
    app->orders = &order_attribution_sink; /* Shopify's orders go to restock's attribution */
    app->rl_ip = ratelimit_new(cfg->rate_limit_ip, 60);
    app->rl_contact = ratelimit_new(cfg->rate_limit_contact, 3600);
    return RS_OK;
}

void app_close(struct app *app)
{
    committer_stop(app->cm);
    if (app->store) app->ops->close(app->store);
    push_hosts_free(app->push_hosts);
    ratelimit_free(app->rl_ip);
    ratelimit_free(app->rl_contact);
    memset(app, 0, sizeof(*app));
}
