/*
 * message — the content of one notification: a campaign's template for the contact's locale,
 * rendered with the variant, the contact and the notification's own links (SPEC §5).
 *
 * Links. With a notification id, action_url is the tracked click link PUBLIC/r/TOKEN, cart_url
 * the same with ?to=cart, the email's open pixel PUBLIC/o/TOKEN, and msg_hash the public hash of
 * the notification (token.h); unsubscribe_url is PUBLIC/u/TOKEN of the subscription. A preview
 * (id 0) renders the same shape with the variant's own URL and sample tokens. A push `link` or
 * button `link` that does not use {{action_url}} is sent as written: its clicks are not tracked.
 *
 * A NULL campaign builds the double opt-in confirmation of the subscription: built-in English
 * text whose {{action_url}} is PUBLIC/c/TOKEN, untracked.
 *
 * Everything is allocated from the arena given; nothing to free separately.
 */
#ifndef RESTOCK_MESSAGE_H
#define RESTOCK_MESSAGE_H

#include <stdint.h>

#include "core/campaign.h"
#include "core/model.h"
#include "util/arena.h"
#include "util/err.h"

struct message_in {
    const struct shop *shop;
    const struct variant *variant;
    const struct subscription *sub;  /* the contact (first_name, locale) */
    const struct campaign *campaign; /* NULL: the double opt-in confirmation */
    int64_t notification_id;         /* 0: a preview or a test message */
    const char *public_url;          /* this server's base URL, no trailing '/' */
    const uint8_t *secret;           /* the server secret (32 bytes) for the tokens */
};

struct message {
    const char *locale; /* of the template used */
    /* email */
    const char *subject, *html, *text;
    /* sms: `text`, and what it costs */
    int segments;
    /* webpush: the JSON payload the service worker shows */
    const char *push_json;
    const char *action_url, *cart_url, *unsubscribe_url, *open_url, *msg_hash;
};

/* Renders the message. RS_EINVAL when the campaign has no template for the channel or a part
 * renders larger than its limit (email 256 KiB, SMS 1600 bytes, push payload 3 KiB — what a
 * push service accepts after encryption). */
int message_build(const struct message_in *in, struct arena *a, struct message *out,
                  struct rs_status *st);

/* The price as shown to shoppers: "19.90 EUR"; "" when unknown. */
const char *message_price(const struct shop *sh, const struct variant *v, struct arena *a);

#endif
