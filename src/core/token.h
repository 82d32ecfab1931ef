/*
 * token — unforgeable public tokens for links (unsubscribe, confirm, click, open).
 *
 * A token names one row by its id and proves restock made it: base64url(varint(id) ||
 * HMAC-SHA256(server secret, kind || varint(id))[0..16)). The kind (a letter per use) keeps a
 * token for one use from working for another. Anyone may read the id; nobody without the secret
 * can make a token for another id, nor another spelling of a token (no padding, no stray bits:
 * token_parse takes only what token_make writes). Tokens carry no expiry; where one is needed
 * (confirmation links) the caller checks the age of the row the token names.
 */
#ifndef RESTOCK_TOKEN_H
#define RESTOCK_TOKEN_H

#include <stddef.h>
#include <stdint.h>

enum token_kind {
    TOKEN_UNSUBSCRIBE = 'u', /* a subscription's unsubscribe link */
    TOKEN_CONFIRM = 'c',     /* a subscription's double opt-in link */
    TOKEN_CLICK = 'r',       /* a notification's tracked link (/r/) */
    TOKEN_OPEN = 'o',        /* a notification's open pixel (/o/) */
    TOKEN_MSG = 'h',         /* a notification's public msg_hash */
};

#define TOKEN_MAX 64

/* Writes the token for (kind, id) into out (TOKEN_MAX bytes); returns its length. */
size_t token_make(const uint8_t secret[32], enum token_kind kind, int64_t id, char *out);
/* 0 with *id when tok is a valid token of that kind; -1 for anything else (altered, truncated,
 * another kind, too long). Constant-time MAC comparison. */
int token_parse(const uint8_t secret[32], enum token_kind kind, const char *tok, size_t n,
                int64_t *id);

#endif
