/*
 * outbox — delivery workers; the claiming, ordering and outcome rules are in outbox.h.
 *
 * A worker owns its channel state: one SMTP connection (struct smtp, kept open between messages)
 * and one curl handle each for the SMS provider and push services (connections kept alive). It
 * reads what a message needs on its own reader connection and writes results through the group
 * committer, waiting for each to be durable before the next send.
 */
#include "deliver/outbox.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/campaign_row.h"
#include "core/message.h"
#include "deliver/email.h"
#include "deliver/sms.h"
#include "deliver/webpush.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/utf8.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define CLAIM_BATCH 8

/* Delivery outcomes since start, for /metrics. */
static atomic_ulong outcomes[CH_COUNT][N_STATUS_COUNT];

unsigned long outbox_outcomes(enum channel ch, enum notif_status st)
{
    return (unsigned)ch < CH_COUNT && (unsigned)st < N_STATUS_COUNT ? atomic_load(&outcomes[ch][st])
                                                                    : 0;
}
#define MAX_BACKOFF 3600

struct worker {
    struct app *app;
    const atomic_int *cancel; /* a test send's: the sends end when it is set; NULL */
    struct smtp *smtp;
    CURL *sms, *push;
    unsigned channels; /* bit per enum channel this process can deliver */
};

static void worker_init(struct worker *w, struct app *app)
{
    const struct config *cfg = app->cfg;
    memset(w, 0, sizeof(*w));
    w->app = app;
    w->channels = 1u << CH_WEBPUSH;
    if (*cfg->smtp_url) {
        w->smtp = smtp_new(cfg->smtp_url, cfg->smtp_user, cfg->smtp_password);
        smtp_trust(w->smtp, cfg->smtp_ca);
        w->channels |= 1u << CH_EMAIL;
    }
    if (*cfg->sms_url) {
        w->sms = curl_easy_init();
        w->channels |= 1u << CH_SMS;
    }
    w->push = curl_easy_init();
    if (!w->push || (*cfg->sms_url && !w->sms)) {
        log_msg(LOG_ERROR, "outbox: curl_easy_init failed");
        abort();
    }
}

static void worker_free(struct worker *w)
{
    smtp_free(w->smtp);
    if (w->sms) curl_easy_cleanup(w->sms);
    if (w->push) curl_easy_cleanup(w->push);
}

/* ---- claiming ------------------------------------------------------------------------------ */

struct claim {
    unsigned channels;
    int64_t now;
    int64_t ids[CLAIM_BATCH];
    int n;
};

static int claim_one(void *arg, int64_t id)
{
    struct claim *cl = arg;
    if (cl->n < CLAIM_BATCH) cl->ids[cl->n++] = id;
    return 0;
}

static int claim_job(struct tx *tx, void *arg, struct rs_status *st)
{
    struct claim *cl = arg;
    int rc = tx->ops->outbox_claim(tx->c, cl->channels, cl->now, cl->now + OUTBOX_LEASE,
                                   CLAIM_BATCH, claim_one, cl);
    return rc ? rs_fail(st, rc, "outbox: cannot claim") : RS_OK;
}

/* ---- what a message needs ------------------------------------------------------------------ */

struct job {
    struct notification n;
    struct subscription sub;
    struct shop shop;
    struct variant var;
    struct campaign camp;
};

/* The notification's campaign; RS_ENOTFOUND when it was deleted since. */
static int load_campaign(struct store_conn *c, const struct store_ops *ops, struct job *j,
                         struct arena *a)
{
    struct stored_campaign sc;
    int rc = ops->campaign_get(c, j->n.sid, j->n.campaign_id, a, &sc);
    return rc ? rc : campaign_from_row(&sc, a, &j->camp);
}

static int is_test_contact(const struct campaign *c, const char *contact_key)
{
    for (int i = 0; i < c->ntest_contacts; i++)
        if (contact_key && strcmp(c->test_contacts[i], contact_key) == 0) return 1;
    return 0;
}

/* Why a campaign may no longer send what it queued to this subscription (paused, made a draft,
 * ended, or switched to test and the contact is not one of its test contacts), or NULL. */
static const char *campaign_stopped(const struct campaign *c, const struct subscription *s,
                                    int64_t now)
{
    if (c->status == CAMP_PAUSED) return "the campaign was paused";
    if (c->status == CAMP_DRAFT) return "the campaign was made a draft";
    if (c->status == CAMP_TEST && !is_test_contact(c, s->contact_key))
        return "the campaign is in test and this is not one of its test contacts";
    if (c->ends_at && now >= c->ends_at) return "the campaign has ended";
    return NULL;
}

static int load(struct app *app, int64_t id, struct arena *a, struct job *j)
{
    const struct store_ops *ops = app->ops;
    struct store_conn *c = ops->reader(app->store);
    if (!c) return RS_ESTORE;
    int rc = ops->notification_get(c, id, a, &j->n);
    if (!rc) rc = ops->sub_get(c, j->n.subscription_id, a, &j->sub);
    if (!rc) rc = ops->shop_by_sid(c, j->n.sid, a, &j->shop);
    if (!rc) rc = ops->variant_get(c, j->n.sid, j->sub.variant_id, a, &j->var);
    if (!rc && j->n.restock_id) { /* 0: a double opt-in confirmation, no campaign */
        rc = load_campaign(c, ops, j, a);
        if (rc == RS_ENOTFOUND) rc = RS_ECONFLICT; /* the notification is there, its campaign not */
    }
    ops->reader_release(app->store);
    return rc;
}

/* ---- sending, one channel each ------------------------------------------------------------- */

static const char *sender(const struct shop *sh, struct arena *a)
{
    if (sh->sender_email && *sh->sender_email) return sh->sender_email;
    const char *host = strstr(sh->url, "://");
    host = host ? host + 3 : sh->url;
    return arena_printf(a, "no-reply@%.*s", (int)strcspn(host, ":/"), host);
}

static void send_email(struct worker *w, const struct job *j, const struct message *m,
                       struct arena *a, struct send_result *r)
{
    const char *from = sender(&j->shop, a);
    struct email_msg em = {
        .from_name =
            j->shop.sender_name && *j->shop.sender_name ? j->shop.sender_name : j->shop.name,
        .from_addr = from,
        .to_addr = j->sub.email,
        .subject = m->subject,
        .text = m->text,
        .html = m->html,
        .unsubscribe_url = m->unsubscribe_url,
        .message_id = arena_printf(a, "%s@restock", m->msg_hash),
        .date = now_s(),
    };
    struct buf msg = BUF_INIT(0);
    if (email_build(&em, &msg)) {
        r->outcome = SEND_FAILED;
        snprintf(r->error, sizeof(r->error), "the message cannot be built");
    } else {
        smtp_send(w->smtp, from, j->sub.email, &msg, r);
    }
    buf_free(&msg);
}

static void send_sms(struct worker *w, const struct job *j, const struct message *m,
                     struct send_result *r)
{
    const struct config *cfg = w->app->cfg;
    struct sms_config sc = {cfg->sms_url, cfg->sms_user, cfg->sms_password, cfg->sms_from,
                            w->cancel};
    sms_send(w->sms, &sc, j->sub.phone, m->text, r);
}

/* Push outcomes mapped onto send outcomes; *gone when the subscription has ended. */
static void send_push(struct worker *w, const struct job *j, const struct message *m,
                      struct arena *a, struct send_result *r, int *gone)
{
    /* the push service may hold it only until the notification expires */
    long ttl = j->n.expires_at > now_s() ? (long)(j->n.expires_at - now_s()) : 0;
    /* one topic per variant: a newer message about it replaces one the service still holds */
    uint8_t h[32];
    char topic[32];
    const char *key = arena_printf(a, "%lld:%s", (long long)j->shop.sid, j->var.variant_id);
    crypto_sha256(key, strlen(key), h);
    base64url_encode(h, 16, topic);
    const char *subject = w->app->cfg->vapid_subject;
    if (!*subject) subject = arena_printf(a, "mailto:%s", sender(&j->shop, a));
    struct push_request req = {
        .endpoint = j->sub.push_endpoint,
        .p256dh = j->sub.push_p256dh,
        .auth = j->sub.push_auth,
        .vapid_private = j->shop.vapid_private,
        .vapid_public = j->shop.vapid_public,
        .vapid_subject = subject,
        .payload = m->push_json,
        .ttl = ttl,
        .urgency = "high",
        .topic = topic,
        .cancel = w->cancel,
    };
    struct push_result pr;
    webpush_send(w->push, &req, &pr);
    r->code = pr.status;
    snprintf(r->error, sizeof(r->error), "%s", pr.error);
    r->retry_after = pr.retry_after;
    switch (pr.outcome) {
    case PUSH_SENT:
        r->outcome = SEND_OK;
        break;
    case PUSH_RETRY:
        r->outcome = SEND_RETRY;
        break;
    case PUSH_GONE:
        *gone = 1; /* fall through */
    default:
        r->outcome = SEND_FAILED;
        break;
    }
}

/* ---- one notification ---------------------------------------------------------------------- */

struct result {
    struct notification n;
    int64_t lease; /* the lease this worker holds: the result is recorded only under it */
    int held;      /* not sent yet, not settled: due again later (a campaign not started) */
    int gone;      /* a push service said the subscription has ended */
    int rewait;    /* the campaign stopped: the subscription waits again */
    const char *contact_key;
};

/* Dropped before it could have gone out: never tried (a retrying one may have reached the
 * recipient on an ambiguous failure) and no earlier lease of it ended unrecorded (a worker may
 * have handed it over before a crash). Such a message costs nothing: what the fan-out counted
 * for it — its max_sends units, its frequency cap, the subscription's notify_count — is given
 * back, whatever dropped it (a stopped campaign, or its subscriber unsubscribed). */
static int never_sent(const struct notification *n)
{
    return n->status == N_DROPPED && n->attempts == 0 && !n->maybe_sent;
}

static int result_job(struct tx *tx, void *arg, struct rs_status *st)
{
    struct result *res = arg;
    int rc = tx->ops->notification_result(tx->c, &res->n, res->lease);
    if (rc == RS_ECONFLICT) return rs_fail(st, rc, "the lease was lost to another worker");
    /* under the lease and in the drop's transaction: once per queueing */
    if (!rc && never_sent(&res->n))
        rc = tx->ops->notification_give_back(tx->c, &res->n, res->contact_key);
    int64_t changed = 0;
    if (!rc && res->gone)
        rc = tx->ops->sub_unsubscribe_contact(tx->c, res->n.sid, res->contact_key, now_s(),
                                              &changed);
    /* RS_ENOTFOUND: it was unsubscribed (or expired) since it was read, which stands */
    if (!rc && res->rewait &&
        (rc = tx->ops->sub_set_status(tx->c, res->n.subscription_id, SUB_WAITING, now_s())) ==
            RS_ENOTFOUND)
        rc = RS_OK;
    return rc ? rs_fail(st, rc, "outbox: cannot record the result") : RS_OK;
}

struct renew {
    int64_t id, lease, new_lease;
};

static int renew_job(struct tx *tx, void *arg, struct rs_status *st)
{
    struct renew *rn = arg;
    int rc = tx->ops->outbox_renew(tx->c, rn->id, rn->lease, rn->new_lease);
    return rc ? rs_fail(st, rc, "outbox: the lease was lost") : RS_OK;
}

static int64_t backoff(const struct config *cfg, int64_t attempts, long retry_after)
{
    int64_t d = cfg->retry_base;
    for (int64_t i = 1; i < attempts && d < MAX_BACKOFF; i++)
        d *= 2;
    if (d > MAX_BACKOFF) d = MAX_BACKOFF;
    return retry_after > d ? retry_after : d;
}

/* A reason as stored: valid UTF-8 (a service's answer may not be), '?' for the rest. */
static const char *clean_reason(const char *reason, struct arena *a)
{
    size_t n = strlen(reason);
    char *out = arena_strdup(a, reason);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int len = utf8_decode((const unsigned char *)out + i, n - i, &cp);
        if (len < 0 || cp < 0x20) {
            out[i++] = '?';
            continue;
        }
        i += (size_t)len;
    }
    return out;
}

/* Its campaign's starts_at was moved past now after it was queued: it stays queued (or
 * retrying), without using an attempt, until then. Its ttl still counts from when it was due,
 * so deliver() holds only a message that starts_at leaves time for; one it would hold past
 * its expiry is dropped at once instead, and its subscriber waits again. */
static void hold(struct result *res, int64_t until)
{
    res->held = 1;
    res->n.not_before = until;
    res->n.lease_until = 0;
    res->n.reason = "held until the campaign's starts_at";
}

static void settle(struct result *res, enum notif_status status, const char *reason,
                   struct arena *a)
{
    res->n.status = status;
    res->n.reason = reason ? clean_reason(reason, a) : NULL;
    res->n.lease_until = 0;
}

/* A message must not start going out unless its lease outlasts the longest a send can take
 * (curl's timeouts: SMTP 120 s a message), so no other worker can claim it meanwhile. */
#define MAX_SEND 130

/* Keeps the lease for the send ahead; 0 when it is still held, -1 when it was lost. */
static int keep_lease(struct app *app, struct result *res, int64_t now)
{
    if (res->lease - now >= MAX_SEND) return 0;
    struct renew rn = {res->n.id, res->lease, now + OUTBOX_LEASE};
    struct rs_status st = {0};
    if (committer_run_flags(app->cm, renew_job, &rn, JOB_PROCESS_DURABLE, &st)) return -1;
    res->lease = rn.new_lease;
    return 0;
}

/* Sends one claimed notification and durably records what happened. `now` is the claim's
 * clock plus the time spent since; `lease` what the claim set. */
static void deliver(struct worker *w, int64_t id, int64_t now, int64_t lease)
{
    struct app *app = w->app;
    struct arena *a = arena_new();
    struct job j;
    memset(&j, 0, sizeof(j));
    struct result res = {.lease = lease};
    int rc = load(app, id, a, &j);
    if (rc == RS_ENOTFOUND) goto out; /* the notification is gone (a redacted shop) */
    res.n = j.n;
    res.n.id = id;
    res.contact_key = j.sub.contact_key;
    if (rc && rc != RS_ECONFLICT) {
        log_msg(LOG_ERROR, "outbox: notification %lld cannot be read (%s)", (long long)id,
                rs_strerror(rc));
        goto out; /* the lease runs out and it is tried again */
    }
    if (!rc && j.n.status != N_QUEUED && j.n.status != N_RETRYING) goto out; /* settled */
    if (!rc && j.n.lease_until != lease) goto out; /* another worker holds it now */
    const char *stopped = !rc && j.n.restock_id ? campaign_stopped(&j.camp, &j.sub, now) : NULL;
    if (rc == RS_ECONFLICT) {
        settle(&res, N_DROPPED, "the campaign was deleted", a);
        res.rewait = 1;
    } else if (now >= j.n.expires_at) {
        settle(&res, N_EXPIRED, "ttl passed before delivery", a);
    } else if (j.sub.status == SUB_UNSUBSCRIBED ||
               (!j.n.restock_id && j.sub.status != SUB_PENDING)) {
        settle(&res, N_DROPPED, j.n.restock_id ? "unsubscribed" : "no longer pending", a);
    } else if (stopped) { /* SPEC §5: paused sends nobody; the subscriber keeps waiting */
        settle(&res, N_DROPPED, stopped, a);
        res.rewait = 1;
    } else if (j.n.restock_id && j.camp.starts_at > now && j.camp.starts_at >= j.n.expires_at) {
        /* held past its ttl it could never go out: the shop held it, the subscriber keeps
         * their place (as for a pause) rather than losing it to an expiry */
        settle(&res, N_DROPPED, "the campaign's starts_at was moved past its ttl", a);
        res.rewait = 1;
    } else if (j.n.restock_id && j.camp.starts_at > now) {
        hold(&res, j.camp.starts_at);
    } else if (keep_lease(app, &res, now)) {
        goto out; /* lost meanwhile: whoever holds it sends it */
    } else {
        struct message m;
        struct rs_status st = {0};
        struct message_in in = {&j.shop,    &j.var,
                                &j.sub,     j.n.restock_id ? &j.camp : NULL,
                                j.n.id,     app->cfg->public_url,
                                app->secret};
        struct send_result sr = {0};
        int gone = 0;
        if (message_build(&in, a, &m, &st)) {
            sr.outcome = SEND_FAILED;
            snprintf(sr.error, sizeof(sr.error), "%s", st.msg);
        } else if (j.n.channel == CH_EMAIL) {
            send_email(w, &j, &m, a, &sr);
        } else if (j.n.channel == CH_SMS) {
            res.n.segments = m.segments;
            send_sms(w, &j, &m, &sr);
        } else {
            send_push(w, &j, &m, a, &sr, &gone);
        }
        res.n.attempts++;
        res.gone = gone;
        if (sr.outcome == SEND_OK) {
            settle(&res, N_SENT, NULL, a);
            res.n.sent_at = now_s();
        } else if (sr.outcome == SEND_RETRY && res.n.attempts < app->cfg->max_attempts) {
            settle(&res, N_RETRYING, sr.error, a);
            res.n.not_before = now + backoff(app->cfg, res.n.attempts, sr.retry_after);
        } else {
            settle(&res, N_FAILED, sr.error[0] ? sr.error : "delivery failed", a);
        }
    }
    struct rs_status st = {0};
    if (committer_run_flags(app->cm, result_job, &res, JOB_PROCESS_DURABLE, &st))
        log_msg(LOG_ERROR, "outbox: notification %lld: %s", (long long)id, st.msg);
    else if (!res.held)
        atomic_fetch_add(&outcomes[res.n.channel % CH_COUNT][res.n.status % N_STATUS_COUNT], 1);
out:
    arena_free(a);
}

static int64_t (*batch_clock)(void) = now_s;

void outbox_set_clock(int64_t (*clock)(void))
{
    batch_clock = clock ? clock : now_s;
}

/* Claims and delivers one batch; returns how many were claimed. */
static int round_once(struct worker *w, int64_t now)
{
    struct claim cl = {.channels = w->channels, .now = now};
    struct rs_status st = {0};
    if (committer_run_flags(w->app->cm, claim_job, &cl, JOB_PROCESS_DURABLE, &st)) {
        log_msg(LOG_ERROR, "%s", st.msg);
        return 0;
    }
    int64_t t0 = batch_clock();
    for (int i = 0; i < cl.n; i++)
        deliver(w, cl.ids[i], now + (batch_clock() - t0), now + OUTBOX_LEASE);
    return cl.n;
}

long outbox_drain(struct app *app, int64_t now, long max)
{
    struct worker w;
    worker_init(&w, app);
    long total = 0;
    int n;
    while (total < max && (n = round_once(&w, now)) > 0)
        total += n;
    worker_free(&w);
    return total;
}

static int release_job(struct tx *tx, void *arg, struct rs_status *st)
{
    (void)arg;
    int rc = tx->ops->outbox_release(tx->c);
    return rc ? rs_fail(st, rc, "the store failed") : RS_OK;
}

/* ---- the worker threads -------------------------------------------------------------------- */

struct outbox {
    struct app *app;
    pthread_t *threads;
    long nthreads;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned long kicks;
    int stopping;
};

static void *worker_main(void *arg)
{
    struct outbox *o = arg;
    struct worker w;
    worker_init(&w, o->app);
    for (;;) {
        pthread_mutex_lock(&o->mu);
        int stopping = o->stopping;
        unsigned long seen = o->kicks;
        pthread_mutex_unlock(&o->mu);
        if (stopping) break;
        if (round_once(&w, now_s()) > 0) continue;
        pthread_mutex_lock(&o->mu);
        if (o->kicks == seen && !o->stopping) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&o->cv, &o->mu, &ts);
        }
        pthread_mutex_unlock(&o->mu);
    }
    worker_free(&w);
    return NULL;
}

struct outbox *outbox_start(struct app *app)
{
    /* a database only this process serves (SQLite): leases of a previous run, which crashed,
     * end now rather than when they run out */
    if (app->ops->single_process) {
        struct rs_status st = {0};
        if (committer_run(app->cm, release_job, NULL, &st))
            log_msg(LOG_ERROR, "outbox: cannot release old leases: %s", st.msg);
    }
    struct outbox *o = xcalloc(1, sizeof(*o));
    o->app = app;
    o->nthreads = app->cfg->workers;
    o->threads = xcalloc((size_t)o->nthreads, sizeof(pthread_t));
    pthread_mutex_init(&o->mu, NULL);
    pthread_cond_init(&o->cv, NULL);
    for (long i = 0; i < o->nthreads; i++)
        if (pthread_create(&o->threads[i], NULL, worker_main, o)) {
            log_msg(LOG_ERROR, "outbox: cannot start worker threads");
            abort();
        }
    return o;
}

void outbox_kick(struct outbox *o)
{
    if (!o) return;
    pthread_mutex_lock(&o->mu);
    o->kicks++;
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
}

void outbox_stop(struct outbox *o)
{
    if (!o) return;
    pthread_mutex_lock(&o->mu);
    o->stopping = 1;
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    for (long i = 0; i < o->nthreads; i++)
        pthread_join(o->threads[i], NULL);
    pthread_mutex_destroy(&o->mu);
    pthread_cond_destroy(&o->cv);
    free(o->threads);
    free(o);
}

/* ---- test messages ------------------------------------------------------------------------- */

int outbox_send_test(struct app *app, const struct shop *sh, const struct variant *v,
                     const struct subscription *sub, const struct campaign *c, struct arena *a,
                     struct rs_status *st)
{
    struct worker w;
    worker_init(&w, app);
    w.cancel = &app->stopping; /* a stop does not wait out the service's timeout */
    smtp_cancel_on(w.smtp, w.cancel);
    int rc = RS_OK;
    if (!(w.channels & (1u << c->channel))) {
        rc = rs_fail(st, RS_EUNAVAILABLE, "channel: %s is not configured on this server",
                     channel_name(c->channel));
        goto out;
    }
    struct job j = {.sub = *sub, .shop = *sh, .var = *v, .camp = *c};
    j.n.expires_at = now_s() + c->ttl;
    struct message m;
    struct message_in in = {sh, v, sub, c, 0, app->cfg->public_url, app->secret};
    if ((rc = message_build(&in, a, &m, st))) goto out;
    struct send_result sr = {0};
    int gone = 0;
    if (c->channel == CH_EMAIL)
        send_email(&w, &j, &m, a, &sr);
    else if (c->channel == CH_SMS)
        send_sms(&w, &j, &m, &sr);
    else
        send_push(&w, &j, &m, a, &sr, &gone);
    if (sr.outcome != SEND_OK && atomic_load(&app->stopping))
        rc = rs_fail(st, RS_EUNAVAILABLE, "shutting down"); /* the send was ended for the stop */
    else if (sr.outcome != SEND_OK)
        rc = rs_fail(st, RS_EUNAVAILABLE, "%s: delivery failed: %s", channel_name(c->channel),
                     sr.error[0] ? sr.error : "unknown error");
out:
    worker_free(&w);
    return rc;
}
