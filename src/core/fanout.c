/*
 * fanout — restock events to queued notifications; the rules and their order are in fanout.h.
 *
 * One step is one writer job (fanout_job) over at most `chunk` subscriptions. The job reads
 * the shop, the variant and the live campaigns again each step, so a PATCH of a campaign applies
 * from the next step on. Budgets (max_sends) live in the `budgets` table: read at the step's
 * start, counted in `used[]` as the step queues, added back in the same transaction — so a step
 * that rolls back spends nothing. Each queued notification records what it was counted with
 * (budget_units, cap_day), which the outbox gives back if it drops the message unsent. A re-walk is
 * a job of its own (rewalk): it rewinds restocks, whose walks then go on step by step like any
 * other; a rewound walk asks the outbox about each subscription it meets (told_already), a first
 * walk never needs to.
 */
#include "core/fanout.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/campaign_row.h"
#include "core/message.h"
#include "deliver/outbox.h"
#include "util/money.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define MAX_CAMPAIGNS 64
#define DEFAULT_CHUNK 4096

struct fanout_ctx {
    struct app *app;
    int64_t now;
    int chunk;
    struct arena *a;
    struct fanout_stats *stats;
    int found;   /* a restock was due */
    int handled; /* subscriptions walked this step */
    /* loaded per step */
    struct restock r;
    struct shop shop;
    struct variant var;
    struct campaign camps[MAX_CAMPAIGNS];
    int64_t used[MAX_CAMPAIGNS];  /* max_sends units spent on this restock, per campaign */
    int64_t spent[MAX_CAMPAIGNS]; /* of which in this step */
    int ncamps;
    int64_t quota; /* units per batch; 0: no quota */
    int interval_minutes;
    struct tx *tx;
    struct notification *out; /* this step's notifications, inserted together at its end */
    size_t nout;
    int err;
    int stop;    /* the batch quota is used */
    int queued;  /* one(): the subscription was queued */
    int rewound; /* the restock has notifications ahead of its cursor: it walks again */
};

/* ---- campaigns ----------------------------------------------------------------------------- */

static int live(const struct campaign *c, int64_t now);

/* Keeps the live campaigns (drafts, paused and ended ones never apply). */
static int load_campaign(void *arg, const struct stored_campaign *sc)
{
    struct fanout_ctx *x = arg;
    if (sc->status != CAMP_ACTIVE && sc->status != CAMP_TEST) return 0;
    if (x->ncamps == MAX_CAMPAIGNS) {
        log_msg(LOG_WARN, "shop %lld has over %d live campaigns: campaign %lld is left out",
                (long long)sc->sid, MAX_CAMPAIGNS, (long long)sc->id);
        return 0;
    }
    struct campaign *c = &x->camps[x->ncamps];
    if (campaign_from_row(sc, x->a, c) == RS_OK && live(c, x->now)) x->ncamps++;
    return 0; /* a campaign that does not parse is logged and left out */
}

static int in_list(const char *const *list, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (s && strcmp(list[i], s) == 0) return 1;
    return 0;
}

/* a × 10^-ea against b × 10^-eb (both >= 0): <0, 0 or >0, exactly (no float). */
static int amount_cmp(int64_t a, int ea, int64_t b, int eb)
{
    for (; ea < eb; ea++) {
        if (a > INT64_MAX / 10) return 1;
        a *= 10;
    }
    for (; eb < ea; eb++) {
        if (b > INT64_MAX / 10) return -1;
        b *= 10;
    }
    return (a > b) - (a < b);
}

/* Does the campaign admit this variant (its product filters)? A price bound is an amount with
 * the campaign's price_exp decimals, the variant's price one with its currency's. */
static int product_ok(const struct campaign *c, const struct shop *sh, const struct variant *v)
{
    const char *cur = v->currency ? v->currency : sh->currency;
    int exp = currency_exponent(cur) >= 0 ? currency_exponent(cur) : 2;
    if (c->nexclude_categories &&
        in_list(c->exclude_categories, c->nexclude_categories, v->category))
        return 0;
    if (c->ncurrencies && !in_list(c->currencies, c->ncurrencies, cur)) return 0;
    if (c->min_price >= 0 &&
        (v->price < 0 || amount_cmp(v->price, exp, c->min_price, c->price_exp) < 0))
        return 0;
    if (c->max_price >= 0 &&
        (v->price < 0 || amount_cmp(v->price, exp, c->max_price, c->price_exp) > 0))
        return 0;
    if (c->on_sale_only && !(v->price >= 0 && v->original_price > v->price)) return 0;
    return 1;
}

static int live(const struct campaign *c, int64_t now)
{
    return campaign_reach(c, now) != REACH_NONE;
}

/* Which trigger brought a subscription: the clickstream makes "view" and "wishlist" ones for
 * web push campaigns with those triggers; everything else signed up. */
static enum campaign_trigger trigger_of(const struct subscription *s)
{
    if (s->source && strcmp(s->source, "view") == 0) return TRIG_VIEW;
    if (s->source && strcmp(s->source, "wishlist") == 0) return TRIG_WISHLIST;
    return TRIG_SIGNUP;
}

/* A locale's language: "da" of "da-DK". */
static int lang_match(const char *want, const char *have)
{
    size_t n = strlen(want);
    if (strncmp(want, have, n) != 0) return 0;
    return have[n] == '\0' || have[n] == '-';
}

static int language_ok(const struct campaign *c, const char *locale)
{
    if (!c->nlanguages) return 1;
    for (int i = 0; i < c->nlanguages; i++)
        if (lang_match(c->languages[i], locale)) return 1;
    return 0;
}

static int test_contact(const struct campaign *c, const struct subscription *s)
{
    return in_list(c->test_contacts, c->ntest_contacts, s->contact_key);
}

/* The campaign for a subscription: custom campaigns first, the default last. -1: none. */
static int pick_campaign(const struct fanout_ctx *x, const struct subscription *s)
{
    const char *locale = s->locale ? s->locale : x->shop.locale;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < x->ncamps; i++) {
            const struct campaign *c = &x->camps[i];
            if (c->is_default != pass || c->channel != s->channel) continue;
            if (c->trigger != trigger_of(s)) continue;
            if (!live(c, x->now) || !product_ok(c, &x->shop, &x->var)) continue;
            if (!language_ok(c, locale)) continue;
            if (c->status == CAMP_TEST && !test_contact(c, s)) continue;
            return i;
        }
    return -1;
}

/* The batch quota and interval from the campaigns that apply to this variant. */
static void delivery_policy(struct fanout_ctx *x)
{
    double ratio = 0;
    x->interval_minutes = 0;
    for (int i = 0; i < x->ncamps; i++) {
        const struct campaign *c = &x->camps[i];
        if (!live(c, x->now) || !product_ok(c, &x->shop, &x->var) || c->send_ratio <= 0) continue;
        if (ratio == 0 || c->send_ratio < ratio) ratio = c->send_ratio;
        if (c->interval_minutes > x->interval_minutes) x->interval_minutes = c->interval_minutes;
    }
    x->quota = ratio > 0 ? (int64_t)ceil((double)x->var.available * ratio) : 0;
    if (ratio > 0 && x->quota < 1) x->quota = 1;
}

/* ---- what the shopper did (activity): event filters and buyers ---------------------------- */

/* Did the subscription's contact (by any of its identities) do `kind` since `since`? */
static int did(struct fanout_ctx *x, const struct subscription *s, const char *kind,
               const char *variant_id, int64_t since, int *yes)
{
    const char *who[3] = {s->contact_key, NULL, NULL};
    if (s->tracking_user_id) who[1] = arena_printf(x->a, "t:%s", s->tracking_user_id);
    if (s->customer_id) who[2] = arena_printf(x->a, "c:%s", s->customer_id);
    *yes = 0;
    for (int i = 0; i < 3 && !*yes; i++) {
        if (!who[i]) continue;
        int rc =
            x->tx->ops->activity_since(x->tx->c, x->shop.sid, who[i], kind, variant_id, since, yes);
        if (rc) return rc;
    }
    return RS_OK;
}

/* The campaign's event filters and exclude_buyers; *why is set when the contact is left out. */
static int activity_ok(struct fanout_ctx *x, const struct subscription *s, const struct campaign *c,
                       const char **why)
{
    *why = NULL;
    int yes, rc;
    if (c->exclude_buyers) {
        if ((rc = did(x, s, "purchase", s->variant_id, s->created_at, &yes))) return rc;
        if (yes) {
            *why = "bought this variant since signing up";
            return RS_OK;
        }
    }
    for (int i = 0; i < c->nfilters; i++) {
        const struct event_filter *f = &c->filters[i];
        if ((rc = did(x, s, f->event, NULL, x->now - (int64_t)f->days * 86400, &yes))) return rc;
        if (yes != f->include) {
            *why = arena_printf(x->a, "event filter: %s %s in the last %d days",
                                f->include ? "no" : "a", f->event, f->days);
            return RS_OK;
        }
    }
    return RS_OK;
}

/* ---- one subscription ---------------------------------------------------------------------- */

static int decide(struct fanout_ctx *x, const struct subscription *s, int64_t cid,
                  const char *decision, const char *reason)
{
    int rc = x->tx->ops->decision_insert(x->tx->c, x->shop.sid, x->r.id, s->id, cid, decision,
                                         reason, x->now);
    x->stats->skipped++;
    return rc;
}

static int record(struct fanout_ctx *x, const struct subscription *s, const struct campaign *c,
                  enum notif_status status, int64_t not_before, int64_t segments,
                  const char *reason)
{
    x->out[x->nout++] = (struct notification){
        .sid = x->shop.sid,
        .subscription_id = s->id,
        .restock_id = x->r.id,
        .campaign_id = c->id,
        .channel = s->channel,
        .status = status,
        .not_before = not_before,
        .expires_at = not_before + c->ttl,
        .created_at = x->now,
        .segments = segments,
        .reason = reason,
    };
    return RS_OK;
}

/* SMS budgets count segments: the message is rendered to know them. */
static int64_t cost_of(struct fanout_ctx *x, const struct subscription *s, const struct campaign *c)
{
    if (c->channel != CH_SMS) return 1;
    struct message m;
    struct rs_status st = {0};
    struct message_in in = {&x->shop,      &x->var, s, c, s->id, x->app->cfg->public_url,
                            x->app->secret};
    return message_build(&in, x->a, &m, &st) == RS_OK && m.segments > 0 ? m.segments : 1;
}

static int64_t local_day(const char *tz, int64_t t)
{
    int32_t off = 0;
    tz_offset(tz, t, &off);
    int64_t s = t + off;
    return (s >= 0 ? s : s - 86399) / 86400;
}

static int one(struct fanout_ctx *x, const struct subscription *s)
{
    const struct store_ops *ops = x->tx->ops;
    struct store_conn *c = x->tx->c;
    if (s->created_at + x->shop.subscription_ttl_days * 86400 < x->now) {
        x->stats->expired++;
        int rc = ops->sub_set_status(c, s->id, SUB_EXPIRED, x->now);
        return rc ? rc : decide(x, s, 0, "expired", "older than subscription_ttl_days");
    }
    int ci = pick_campaign(x, s);
    if (ci < 0) return decide(x, s, 0, "waiting", "no active campaign applies");
    const struct campaign *cp = &x->camps[ci];
    const char *why;
    int rc = activity_ok(x, s, cp, &why);
    if (rc) return rc;
    if (why) {
        x->stats->dropped++;
        return record(x, s, cp, N_DROPPED, x->now, 0, why);
    }
    int64_t cost = 1;
    if (cp->max_sends) {
        cost = cost_of(x, s, cp);
        if (x->used[ci] + cost > cp->max_sends)
            return decide(x, s, cp->id, "waiting", "the campaign's max_sends budget is used");
    }
    int64_t until = 0, not_before = x->now;
    if (cp->silent && campaign_silent(cp, x->shop.timezone, x->now, &until)) {
        if (cp->silent_mode == SILENT_DROP) {
            x->stats->dropped++;
            return record(x, s, cp, N_DROPPED, x->now, 0, "silent hours");
        }
        not_before = until;
    }
    /* a message counts on the shop-local day it goes out */
    int64_t day = cp->cap_per_day ? local_day(x->shop.timezone, not_before) : 0;
    if (cp->cap_per_day && !cp->cap_bypass) {
        int64_t n = 0;
        rc = ops->cap_get(c, x->shop.sid, cp->id, s->contact_key, day, &n);
        if (rc && rc != RS_ENOTFOUND) return rc;
        if (n >= cp->cap_per_day) {
            x->stats->capped++;
            return record(x, s, cp, N_SKIPPED_CAP, x->now, 0, "frequency cap");
        }
    }
    rc = record(x, s, cp, N_QUEUED, not_before, cp->channel == CH_SMS ? cost : 0, NULL);
    if (!rc && cp->cap_per_day) rc = ops->cap_add(c, x->shop.sid, cp->id, s->contact_key, day);
    if (rc) return rc;
    /* what a drop before any attempt gives back (deliver/outbox.c) */
    x->out[x->nout - 1].budget_units = cp->max_sends ? cost : 0;
    x->out[x->nout - 1].cap_day = day;
    if (cp->max_sends) {
        x->used[ci] += cost;
        x->spent[ci] += cost;
    }
    if (not_before > x->now) x->stats->delayed++;
    x->stats->queued++;
    x->queued = 1;
    return RS_OK;
}

/* A rewound walk meets subscriptions it decided for before. *told: its notification of this
 * restock is on its way, delivered, failed or expired — it is passed over (one message per
 * subscription and restock). One dropped or skipped_cap is decided again as in any step; what
 * it gets then replaces that row (notification_insert_many). */
static int told_already(struct fanout_ctx *x, const struct subscription *s, int *told)
{
    int status;
    int rc = x->tx->ops->notification_status(x->tx->c, x->shop.sid, x->r.id, s->id, &status);
    *told = rc == RS_OK && status != N_DROPPED && status != N_SKIPPED_CAP;
    return rc == RS_ENOTFOUND ? RS_OK : rc;
}

static int each_sub(void *arg, const struct subscription *s)
{
    struct fanout_ctx *x = arg;
    int told = 0;
    if (x->rewound && (x->err = told_already(x, s, &told))) return 1;
    if (told) {
        x->r.cursor = s->id;
        x->handled++;
        return 0;
    }
    int64_t units = s->quantity > 0 ? s->quantity : 1;
    if (x->quota && x->r.sent > 0 && x->r.sent + units > x->quota) {
        x->stop = 1;
        return 1;
    }
    x->queued = 0;
    if ((x->err = one(x, s))) return 1;
    if (x->queued) x->r.sent += units; /* the quota counts those told, not those passed over */
    x->r.cursor = s->id;
    x->handled++;
    return 0;
}

/* ---- the step ------------------------------------------------------------------------------ */

static void finish(struct restock *r, const char *state, int64_t now)
{
    r->state = state;
    r->processed_at = now;
}

/* A campaign's re-walk that is due (fanout.h): when the campaign reaches someone now, the latest
 * restock of each variant of its shop in stock with waiting subscribers of its channel is
 * rewound; paused (or moved later) since, nothing is. Either way it is done with. */
static int rewalk(struct fanout_ctx *x, struct tx *tx, struct rs_status *st)
{
    const struct store_ops *ops = tx->ops;
    struct stored_campaign sc;
    struct campaign c;
    int64_t n = 0;
    int rc = ops->campaign_rewalk_next(tx->c, x->now, x->a, &sc);
    if (rc == RS_ENOTFOUND) return RS_OK;
    if (rc) return rs_fail(st, rc, "fan-out: cannot read re-walks");
    x->found = 1;
    if (campaign_from_row(&sc, x->a, &c) == RS_OK && live(&c, x->now)) {
        rc = ops->shop_by_sid(tx->c, sc.sid, x->a, &x->shop);
        if (!rc) rc = ops->restock_rewind(tx->c, sc.sid, sc.channel, x->shop.min_available, &n);
        if (rc && rc != RS_ENOTFOUND) return rs_fail(st, rc, "fan-out: cannot rewind restocks");
    }
    if ((rc = ops->campaign_set_rewalk(tx->c, sc.sid, sc.id, 0)))
        return rs_fail(st, rc, "fan-out: cannot record a re-walk");
    if (n)
        log_msg(LOG_INFO, "campaign %lld applies: %lld restocks walk their waiting lists again",
                (long long)sc.id, (long long)n);
    x->stats->rewalks++;
    return RS_OK;
}

static int fanout_job(struct tx *tx, void *arg, struct rs_status *st)
{
    struct fanout_ctx *x = arg;
    const struct store_ops *ops = tx->ops;
    x->tx = tx;
    int rc = rewalk(x, tx, st);
    if (rc || x->found) return rc;
    rc = ops->restock_next(tx->c, x->now, x->a, &x->r);
    if (rc == RS_ENOTFOUND) return RS_OK;
    if (rc) return rs_fail(st, rc, "fan-out: cannot read restocks");
    x->found = 1;
    if ((rc = ops->shop_by_sid(tx->c, x->r.sid, x->a, &x->shop)) ||
        (rc = ops->variant_get(tx->c, x->r.sid, x->r.variant_id, x->a, &x->var))) {
        if (rc != RS_ENOTFOUND) return rs_fail(st, rc, "fan-out: cannot read the restock's shop");
        finish(&x->r, "done", x->now); /* the shop or the variant is gone */
        return ops->restock_update(tx->c, &x->r);
    }
    if ((rc = ops->campaign_list(tx->c, x->r.sid, x->a, load_campaign, x)))
        return rs_fail(st, rc, "fan-out: cannot read campaigns");
    for (int i = 0; i < x->ncamps; i++)
        if (x->camps[i].max_sends &&
            (rc = ops->budget_get(tx->c, x->r.sid, x->r.id, x->camps[i].id, &x->used[i])))
            return rs_fail(st, rc, "fan-out: cannot read budgets");
    delivery_policy(x);
    if (strcmp(x->r.state, "rewalk") == 0) { /* a finished walk, rewound */
        if (x->var.available < x->shop.min_available) {
            finish(&x->r, "done", x->now); /* sold out again meanwhile: done, as it was */
            return ops->restock_update(tx->c, &x->r);
        }
        x->r.state = "sending"; /* in the batch it ended in: what is left of its quota */
    }
    if ((rc = ops->notification_after(tx->c, x->r.sid, x->r.id, x->r.cursor, &x->rewound)))
        return rs_fail(st, rc, "fan-out: cannot read the outbox");
    int batch_start = strcmp(x->r.state, "interval") == 0 || strcmp(x->r.state, "pending") == 0;
    if (batch_start) {
        if (x->var.available < x->shop.min_available) {
            finish(&x->r, "paused", x->now); /* sold out again: the rest wait for a restock */
            return ops->restock_update(tx->c, &x->r);
        }
        x->r.sent = 0;
        x->r.state = "sending";
    }
    int64_t from = x->r.cursor;
    x->out = arena_alloc(x->a, (size_t)x->chunk * sizeof(*x->out));
    rc = ops->sub_waiting(tx->c, x->r.sid, x->r.variant_id, x->r.cursor, x->chunk, x->a, each_sub,
                          x);
    if (!rc && !x->err && x->nout) /* a row already there was handled before: skipped */
        rc = ops->notification_insert_many(tx->c, x->out, x->nout);
    if (!rc && !x->err && x->r.cursor > from) /* everyone queued in this step is now notified */
        rc = ops->sub_notified(tx->c, x->r.sid, x->r.id, from, x->r.cursor, x->now);
    for (int i = 0; i < x->ncamps && !rc && !x->err; i++)
        if (x->spent[i])
            rc = ops->budget_add(tx->c, x->r.sid, x->r.id, x->camps[i].id, x->spent[i]);
    if (rc || x->err) return rs_fail(st, rc ? rc : x->err, "fan-out: store failure");
    if (x->stop) {
        x->r.state = "interval";
        x->r.next_batch_at = x->now + (int64_t)x->interval_minutes * 60;
    } else if (x->handled < x->chunk) {
        finish(&x->r, "done", x->now);
    }
    x->stats->steps++;
    return ops->restock_update(tx->c, &x->r);
}

int fanout_step(struct app *app, int64_t now, int chunk, struct fanout_stats *stats, int *found,
                struct rs_status *st)
{
    struct fanout_stats ignored = {0};
    struct fanout_ctx *x = xcalloc(1, sizeof(*x));
    x->app = app;
    x->now = now;
    x->chunk = chunk > 0 ? chunk : DEFAULT_CHUNK;
    x->a = arena_new();
    x->stats = stats ? stats : &ignored;
    int rc = committer_run(app->cm, fanout_job, x, st);
    *found = x->found;
    arena_free(x->a);
    free(x);
    return rc;
}

/* ---- campaigns that come to apply ----------------------------------------------------------- */

int fanout_campaign_changed(struct tx *tx, const struct campaign *before,
                            const struct campaign *after, int64_t now)
{
    int64_t at = 0;
    if (before && campaign_reach(after, now) > campaign_reach(before, now))
        at = now; /* paused, a draft, in test, not started or ended: it sends (to more) now */
    else if ((after->status == CAMP_ACTIVE || after->status == CAMP_TEST) && after->starts_at > now)
        at = after->starts_at;
    return at ? tx->ops->campaign_set_rewalk(tx->c, after->sid, after->id, at) : RS_OK;
}

/* ---- the background thread ----------------------------------------------------------------- */

struct fanout {
    struct app *app;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int kicked, stopping;
};

static void *fanout_main(void *arg)
{
    struct fanout *f = arg;
    for (;;) {
        pthread_mutex_lock(&f->mu);
        int stopping = f->stopping;
        f->kicked = 0;
        pthread_mutex_unlock(&f->mu);
        if (stopping) break;
        struct rs_status st = {0};
        int found = 0;
        int rc = fanout_step(f->app, now_s(), DEFAULT_CHUNK, NULL, &found, &st);
        if (rc) log_msg(LOG_ERROR, "fan-out: %s", st.msg);
        if (!rc && found) {
            outbox_kick(f->app->outbox);
            continue;
        }
        pthread_mutex_lock(&f->mu);
        if (!f->kicked && !f->stopping) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&f->cv, &f->mu, &ts);
        }
        pthread_mutex_unlock(&f->mu);
    }
    return NULL;
}

struct fanout *fanout_start(struct app *app)
{
    struct fanout *f = xcalloc(1, sizeof(*f));
    f->app = app;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    if (pthread_create(&f->thread, NULL, fanout_main, f)) {
        log_msg(LOG_ERROR, "fan-out: cannot start its thread");
        abort();
    }
    return f;
}

void fanout_kick(struct fanout *f)
{
    if (!f) return;
    pthread_mutex_lock(&f->mu);
    f->kicked = 1;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

void fanout_stop(struct fanout *f)
{
    if (!f) return;
    pthread_mutex_lock(&f->mu);
    f->stopping = 1;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->thread, NULL);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
}
