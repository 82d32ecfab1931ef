/*
 * signup — a shopper asks to be told when a variant is back (POST /v1/subscriptions, SPEC §2, §9).
 *
 * signup_parse validates a request body into a subscription (contact normalised, push keys
 * checked, the push endpoint checked against push_hosts so restock never posts to an arbitrary
 * address). signup_apply, a writer job, takes it: the shop must exist (else RS_ENOTFOUND naming
 * `shop`), the variant must be sold out (else RS_EINSTOCK),
 * one subscription per shop, variant, channel and contact (the second sign-up gets the existing
 * one back, `created` = 0; an unsubscribed or expired one is re-opened).
 */
#ifndef RESTOCK_SIGNUP_H
#define RESTOCK_SIGNUP_H

#include <jansson.h>

#include "core/app.h"
#include "core/model.h"

/* Double opt-in: the confirmation link works for 48 hours after the last confirmation message;
 * a sign-up again while pending resends it, at most once a minute. */
#define SIGNUP_CONFIRM_TTL  (48 * 3600)
#define SIGNUP_RESEND_AFTER 60

struct signup {
    const char *shop_uuid;
    struct subscription sub;
    int honeypot; /* the `website` field was filled in: answer as if stored, store nothing */
    /* for signup_apply */
    const struct shop *shop; /* NULL: looked up by shop_uuid on the writer (into shop_buf) */
    struct shop shop_buf;
    struct arena *arena;
    int64_t now;
    int created;             /* result: 1 new, 0 existing */
    struct subscription out; /* result: the stored subscription */
    int pretended;           /* signup_pretend ran: */
    struct rs_status result; /* ... signup_apply's outcome */
};

int signup_parse(struct app *app, const json_t *body, struct arena *a, struct signup *out,
                 struct rs_status *st);
int signup_apply(struct tx *tx, void *signup, struct rs_status *st);

/* A honeypot sign-up (SPEC §9: accepted in appearance, stored nowhere), as a writer job: runs
 * signup_apply, keeps its outcome in su->result (and created, out; sets su->pretended), then
 * fails on purpose, so
 * its savepoint rolls back every write it made (the subscription, a re-opening, a double opt-in
 * confirmation). The outcome is thus a real sign-up's for the same input — new or existing,
 * `waiting` or `pending` under double opt-in, the id the next new subscription gets, or the
 * 404 or 409 — and nothing is stored or sent. Always returns RS_ECONFLICT. */
int signup_pretend(struct tx *tx, void *signup, struct rs_status *st);

/* Whether this server takes sign-ups on a channel: email always (without smtp_url its messages
 * wait queued for a relay, SPEC §3, as the demo's do), SMS only with an sms_url (no provider
 * would ever send them), web push always (it needs nothing configured). The public sign-up
 * refuses the others and the stock answer lists these (`channels`), so the widget offers only
 * them. */
int signup_channel_offered(const struct app *app, enum channel ch);

/* The JSON view of a subscription. */
json_t *subscription_to_json(const struct subscription *s, const char *shop_uuid);

#endif
