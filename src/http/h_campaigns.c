/*
 * h_campaigns — the campaign API (SPEC §5): list, create, read, patch, delete, preview, test.
 *
 * Campaigns are validated by campaign_parse and stored as campaign_row.h says. A PATCH is read,
 * merged and written inside one writer job, so two concurrent PATCHes never lose each other's
 * fields. The default campaign of a channel can be paused but not deleted. The same job records
 * the campaign's re-walk when the write makes it reach more people (fanout_campaign_changed):
 * the fan-out, kicked once the write is durable, then walks again who it passed over.
 */
#include <stdlib.h>
#include <string.h>

#include "core/campaign_row.h"
#include "core/catalog.h"
#include "core/contact.h"
#include "core/fanout.h"
#include "core/message.h"
#include "deliver/outbox.h"
#include "http/http_int.h"
#include "util/crypto.h"
#include "util/json.h"
#include "util/timeutil.h"

/* The campaign id of the path; 0 when it is not a positive integer. */
static int64_t path_id(struct req *r)
{
    const char *s = req_param(r, 0);
    char *end;
    long long v = strtoll(s, &end, 10);
    return (*s && !*end && v > 0) ? v : 0;
}

/* Reads campaign {id} of the request's shop on the reader; answers 404 itself. */
static int read_campaign(struct req *r, struct campaign *c)
{
    int64_t id = path_id(r);
    struct stored_campaign sc;
    struct store_conn *conn = r->app->ops->reader(r->app->store);
    int rc = !id    ? RS_ENOTFOUND
             : conn ? r->app->ops->campaign_get(conn, r->shop.sid, id, r->arena, &sc)
                    : RS_ESTORE;
    if (!rc) rc = campaign_from_row(&sc, r->arena, c);
    if (rc) req_error(r, rc, rc == RS_ENOTFOUND ? "id: no such campaign" : NULL);
    return rc;
}

/* ---- list, get ------------------------------------------------------------------------------- */

struct list_ctx {
    struct arena *a;
    json_t *data;
    int err;
};

static int list_one(void *arg, const struct stored_campaign *sc)
{
    struct list_ctx *lc = arg;
    struct campaign c;
    if ((lc->err = campaign_from_row(sc, lc->a, &c))) return 1;
    json_array_append_new(lc->data, campaign_to_json(&c));
    return 0;
}

int h_campaigns_list(struct req *r)
{
    struct list_ctx lc = {r->arena, json_array(), 0};
    struct store_conn *c = r->app->ops->reader(r->app->store);
    int rc = c ? r->app->ops->campaign_list(c, r->shop.sid, r->arena, list_one, &lc) : RS_ESTORE;
    if (rc || lc.err) {
        json_decref(lc.data);
        req_error(r, rc ? rc : lc.err, NULL);
        return RS_OK;
    }
    req_json_response(r, 200, json_pack("{s:o}", "data", lc.data));
    return RS_OK;
}

int h_campaign_get(struct req *r)
{
    struct campaign c;
    if (read_campaign(r, &c) == RS_OK) req_json_response(r, 200, campaign_to_json(&c));
    return RS_OK;
}

/* ---- create, patch, delete ------------------------------------------------------------------- */

struct write {
    struct req *r;
    struct campaign c;
    int64_t id;
};

static int insert_job(struct tx *tx, void *arg, struct rs_status *st)
{
    struct write *w = arg;
    struct stored_campaign sc;
    campaign_to_row(&w->c, w->r->arena, &sc);
    int rc = tx->ops->campaign_insert(tx->c, &sc);
    if (rc) return rs_fail(st, rc, "cannot store the campaign");
    w->c.id = sc.id;
    rc = fanout_campaign_changed(tx, NULL, &w->c, w->c.created_at);
    return rc ? rs_fail(st, rc, "cannot store the campaign") : RS_OK;
}

static void created(struct req *r)
{
    struct write *w = r->run_arg;
    req_json_response(r, 201, campaign_to_json(&w->c));
}

int h_campaign_create(struct req *r)
{
    json_t *body = req_json(r);
    if (!body) return RS_OK;
    struct write *w = arena_alloc(r->arena, sizeof(*w));
    struct rs_status st = {0};
    int rc = campaign_parse(body, NULL, r->shop.currency, r->arena, &w->c, &st);
    json_decref(body);
    if (rc) {
        req_fail(r, &st);
        return RS_OK;
    }
    w->r = r;
    w->c.sid = r->shop.sid;
    w->c.is_default = 0;
    w->c.created_at = w->c.updated_at = now_s();
    return req_submit(r, insert_job, w, created);
}

static int patch_job(struct tx *tx, void *arg, struct rs_status *st)
{
    struct write *w = arg;
    struct arena *a = w->r->arena;
    struct stored_campaign sc;
    struct campaign base;
    int rc = tx->ops->campaign_get(tx->c, w->r->shop.sid, w->id, a, &sc);
    if (rc == RS_ENOTFOUND) return rs_fail(st, rc, "id: no such campaign");
    if (rc || (rc = campaign_from_row(&sc, a, &base))) return rs_fail(st, rc, "the store failed");
    json_t *patch = json_parse_strict(w->r->body.p, w->r->body.len, st); /* checked before */
    if (!patch) return RS_EJSON;
    rc = campaign_parse(patch, &base, w->r->shop.currency, a, &w->c, st);
    json_decref(patch);
    if (rc) return rc;
    w->c.id = base.id;
    w->c.sid = base.sid;
    w->c.is_default = base.is_default;
    w->c.created_at = base.created_at;
    w->c.updated_at = now_s();
    campaign_to_row(&w->c, a, &sc);
    rc = tx->ops->campaign_update(tx->c, &sc);
    if (!rc) rc = fanout_campaign_changed(tx, &base, &w->c, w->c.updated_at);
    return rc ? rs_fail(st, rc, "cannot store the campaign") : RS_OK;
}

static void patched(struct req *r)
{
    struct write *w = r->run_arg;
    fanout_kick(r->app->fanout); /* a re-walk it recorded may be due */
    req_json_response(r, 200, campaign_to_json(&w->c));
}

int h_campaign_patch(struct req *r)
{
    int64_t id = path_id(r);
    if (!id) {
        req_error(r, RS_ENOTFOUND, "id: no such campaign");
        return RS_OK;
    }
    json_t *body = req_json(r);
    if (!body) return RS_OK;
    if (!json_is_object(body)) {
        json_decref(body);
        req_error(r, RS_EINVAL, "body: must be an object");
        return RS_OK;
    }
    json_decref(body); /* parsed again inside the job, against the campaign as stored then */
    struct write *w = arena_alloc(r->arena, sizeof(*w));
    w->r = r;
    w->id = id;
    return req_submit(r, patch_job, w, patched);
}

static int delete_job(struct tx *tx, void *arg, struct rs_status *st)
{
    struct write *w = arg;
    struct stored_campaign sc;
    int rc = tx->ops->campaign_get(tx->c, w->r->shop.sid, w->id, w->r->arena, &sc);
    if (rc == RS_ENOTFOUND) return rs_fail(st, rc, "id: no such campaign");
    if (rc) return rs_fail(st, rc, "the store failed");
    if (sc.is_default)
        return rs_fail(st, RS_ECONFLICT,
                       "is_default: a channel's default campaign can be paused, not deleted");
    rc = tx->ops->campaign_delete(tx->c, w->r->shop.sid, w->id, now_s());
    return rc ? rs_fail(st, rc, "cannot delete the campaign") : RS_OK;
}

static void deleted(struct req *r)
{
    req_response(r, 204, "application/json", "", 0);
}

int h_campaign_delete(struct req *r)
{
    int64_t id = path_id(r);
    if (!id) {
        req_error(r, RS_ENOTFOUND, "id: no such campaign");
        return RS_OK;
    }
    struct write *w = arena_alloc(r->arena, sizeof(*w));
    w->r = r;
    w->id = id;
    return req_submit(r, delete_job, w, deleted);
}

/* ---- preview and test ------------------------------------------------------------------------ */

static const struct jfield sample_fields[] = {
    {"variant_id", JF_ID, JF_NULLABLE}, {"first_name", JF_STRING, JF_NULLABLE},
    {"locale", JF_STRING, JF_NULLABLE}, {"email", JF_STRING, JF_NULLABLE},
    {"phone", JF_STRING, JF_NULLABLE},  {"push", JF_OBJECT, JF_NULLABLE},
};

/* The sample contact and variant of a preview or test body (which may be empty). */
static int sample(struct req *r, const json_t *body, struct variant *v, struct subscription *s,
                  struct rs_status *st)
{
    int rc =
        json_check(body, sample_fields, sizeof(sample_fields) / sizeof(sample_fields[0]), "", st);
    if (rc) return rc;
    char tmp[24];
    const char *vid = jid(body, "variant_id", tmp);
    memset(s, 0, sizeof(*s));
    const char *first = jstr(body, "first_name");
    s->first_name = first ? arena_strdup(r->arena, first) : NULL; /* outlives the body */
    s->locale = r->shop.locale;
    if (jstr(body, "locale")) {
        char loc[40];
        if (locale_normalize(jstr(body, "locale"), loc, sizeof(loc)))
            return rs_fail(st, RS_EINVAL, "locale: must be a BCP 47 language tag");
        s->locale = arena_strdup(r->arena, loc);
    }
    if (!vid) {
        *v = (struct variant){.sid = r->shop.sid,
                              .variant_id = "sample",
                              .title = "Sample product",
                              .variant_title = "Blue / M",
                              .url = r->shop.url,
                              .price = 1990,
                              .original_price = -1,
                              .currency = r->shop.currency};
        return RS_OK;
    }
    struct store_conn *c = r->app->ops->reader(r->app->store);
    rc = c ? r->app->ops->variant_get(c, r->shop.sid, vid, r->arena, v) : RS_ESTORE;
    if (rc == RS_ENOTFOUND) return rs_fail(st, rc, "variant_id: no variant %s", vid);
    return rc ? rs_fail(st, rc, "the store failed") : RS_OK;
}

/* The contact of a test message, for the campaign's channel, checked as a sign-up's is. */
static int test_contact(struct req *r, enum channel ch, const json_t *body, struct subscription *s,
                        struct rs_status *st)
{
    char buf[1100];
    s->channel = ch;
    if (ch == CH_EMAIL) {
        const char *e = jstr(body, "email");
        if (!e || email_normalize(e, buf, sizeof(buf)))
            return rs_fail(st, RS_EINVAL, "email: a valid address is required for an email test");
        s->email = s->contact_key = arena_strdup(r->arena, buf);
        return RS_OK;
    }
    if (ch == CH_SMS) {
        const char *p = jstr(body, "phone");
        if (!p || phone_normalize(p, buf, sizeof(buf)))
            return rs_fail(st, RS_EINVAL, "phone: an E.164 number is required for an SMS test");
        s->phone = s->contact_key = arena_strdup(r->arena, buf);
        return RS_OK;
    }
    const json_t *push = json_object_get(body, "push");
    const json_t *keys = push ? json_object_get(push, "keys") : NULL;
    const char *ep = push ? jstr(push, "endpoint") : NULL;
    const char *p256 = keys ? jstr(keys, "p256dh") : NULL, *auth = keys ? jstr(keys, "auth") : NULL;
    uint8_t raw[80];
    if (!ep || !push_endpoint_allowed(r->app->push_hosts, ep))
        return rs_fail(st, RS_EINVAL, "push.endpoint: must be a URL of an allowed push service");
    long n = p256 ? base64url_decode(p256, strlen(p256), raw, sizeof(raw)) : -1;
    if (n != 65 || !crypto_p256_point_valid(raw, 65))
        return rs_fail(st, RS_EINVAL, "push.keys.p256dh: must be an uncompressed P-256 point");
    if (!auth || base64url_decode(auth, strlen(auth), raw, sizeof(raw)) != 16)
        return rs_fail(st, RS_EINVAL, "push.keys.auth: must be 16 bytes, base64url");
    s->push_endpoint = s->contact_key = arena_strdup(r->arena, ep);
    s->push_p256dh = arena_strdup(r->arena, p256);
    s->push_auth = arena_strdup(r->arena, auth);
    return RS_OK;
}

static json_t *message_json(const struct campaign *c, const struct message *m)
{
    json_t *o = json_pack("{s:s,s:s}", "channel", channel_name(c->channel), "locale", m->locale);
    if (c->channel == CH_EMAIL) {
        json_object_set_new(o, "subject", json_string(m->subject));
        json_object_set_new(o, "html", json_string(m->html));
        json_object_set_new(o, "text", json_string(m->text));
    } else if (c->channel == CH_SMS) {
        json_object_set_new(o, "text", json_string(m->text));
        json_object_set_new(o, "segments", json_integer(m->segments));
    } else {
        json_object_set_new(o, "payload", json_loads(m->push_json, 0, NULL));
    }
    return o;
}

/* The body of a preview or test: {} when empty. NULL after answering an error. */
static json_t *optional_body(struct req *r)
{
    if (r->body.len == 0) return json_object();
    json_t *b = req_json(r);
    if (b && !json_is_object(b)) {
        json_decref(b);
        req_error(r, RS_EINVAL, "body: must be an object");
        return NULL;
    }
    return b;
}

int h_campaign_preview(struct req *r)
{
    struct campaign c;
    if (read_campaign(r, &c)) return RS_OK;
    json_t *body = optional_body(r);
    if (!body) return RS_OK;
    struct variant v;
    struct subscription s;
    struct message m;
    struct rs_status st = {0};
    int rc = sample(r, body, &v, &s, &st);
    json_decref(body);
    struct message_in in = {&r->shop, &v, &s, &c, 0, r->app->cfg->public_url, r->app->secret};
    if (!rc) rc = message_build(&in, r->arena, &m, &st);
    if (rc)
        req_fail(r, &st);
    else
        req_json_response(r, 200, message_json(&c, &m));
    return RS_OK;
}

/* A test send waits on an SMTP server, an SMS provider or a push service for up to their
 * timeouts: on a thread of its own (req_offload), not on the HTTP thread, which serves every
 * other request of its connections meanwhile. Everything it reads is in the request's arena. */
struct test_send {
    struct req *r;
    struct campaign c;
    struct variant v;
    struct subscription s;
};

static int test_send_run(void *arg, struct rs_status *st)
{
    struct test_send *t = arg;
    return outbox_send_test(t->r->app, &t->r->shop, &t->v, &t->s, &t->c, t->r->arena, st);
}

static void test_sent(struct req *r)
{
    const struct test_send *t = r->run_arg;
    req_json_response(r, 200,
                      json_pack("{s:b,s:s}", "sent", 1, "channel", channel_name(t->c.channel)));
}

int h_campaign_test(struct req *r)
{
    struct test_send *t = arena_alloc(r->arena, sizeof(*t));
    t->r = r;
    if (read_campaign(r, &t->c)) return RS_OK;
    json_t *body = optional_body(r);
    if (!body) return RS_OK;
    struct rs_status st = {0};
    int rc = sample(r, body, &t->v, &t->s, &st);
    if (!rc) rc = test_contact(r, t->c.channel, body, &t->s, &st);
    json_decref(body);
    if (rc) {
        req_fail(r, &st);
        return RS_OK;
    }
    return req_offload(r, test_send_run, t, test_sent);
}
