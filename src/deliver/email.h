/*
 * email — notification email: the MIME message and its delivery over SMTP with libcurl.
 *
 * One `struct smtp` per delivery worker holds one curl handle, so the SMTP connection is kept
 * and reused between messages (curl's connection cache). STARTTLS is used when the server offers
 * it for smtp:// (CURLUSESSL_TRY) and required for smtps://; user and password when configured.
 */
#ifndef RESTOCK_EMAIL_H
#define RESTOCK_EMAIL_H

#include <stdatomic.h>

#include "util/buf.h"

struct email_msg {
    const char *from_name, *from_addr; /* the shop's sender */
    const char *to_addr;
    const char *subject;
    const char *text, *html;     /* both parts, multipart/alternative */
    const char *unsubscribe_url; /* List-Unsubscribe (an https: URL), with List-Unsubscribe-Post */
    const char *message_id;      /* without angle brackets, e.g. "hash@restock" */
    long long date;              /* Unix seconds, for the Date header */
};

/* Builds the RFC 5322 message (CRLF line ends): From, To, Subject (RFC 2047 encoded-word when
 * not ASCII), Date, Message-ID, MIME-Version, List-Unsubscribe: <url>,
 * List-Unsubscribe-Post: List-Unsubscribe=One-Click, multipart/alternative with text/plain and
 * text/html parts, both UTF-8 and quoted-printable (so no line is over 76 characters). Header
 * values with CR or LF are refused (-1): no header injection. Appends to out; 0 on success.
 * Also -1 (out left as it was) when: from_addr, to_addr, subject, message_id, text or html is
 * NULL; an address is empty, lacks '@' or holds a blank, control, '<', '>' or ','; subject or
 * from_name is not valid UTF-8; message_id lacks '@' or is not printable ASCII without blanks,
 * '<' and '>' (unsubscribe_url likewise, without the '@'); out's limit is reached. from_name and
 * unsubscribe_url may be NULL or "": then From is the bare address, and both List-Unsubscribe
 * headers are left out. Text line breaks ("\n" or "\r\n") arrive as CRLF. */
int email_build(const struct email_msg *m, struct buf *out);

enum send_outcome { SEND_OK, SEND_RETRY, SEND_FAILED };

struct send_result {
    enum send_outcome outcome;
    long code;        /* SMTP or HTTP response code, 0 when none */
    char error[256];  /* what went wrong */
    long retry_after; /* seconds an HTTP service's Retry-After asked for (SMS), 0 when none */
};

struct smtp;
/* url: smtp://host:port or smtps://host:port; user/password may be "" (no auth). With a user on
 * smtp://, STARTTLS is required: a relay that does not offer it never sees the password (the send
 * is SEND_RETRY). NULL only on out-of-memory, which aborts. */
struct smtp *smtp_new(const char *url, const char *user, const char *password);
/* Verifies the relay's certificate against the CA certificates in ca_file (PEM) instead of the
 * system's; NULL or "": the system's. */
void smtp_trust(struct smtp *s, const char *ca_file);
void smtp_free(struct smtp *s);
/* Makes flag (NULL: none) end s's sends once it is set (cancel.h): SEND_RETRY. */
void smtp_cancel_on(struct smtp *s, const atomic_int *flag);
/* Sends one built message from `from_addr` to `to_addr`. Transient failures (connection refused,
 * timeouts, 4xx replies) are SEND_RETRY; permanent ones (5xx, e.g. unknown recipient) are
 * SEND_FAILED. Exceptions: 5xx replies about our authentication (530, 534, 535, 538, or curl's
 * login denied) and TLS failures (e.g. an untrusted certificate) are SEND_RETRY, as the relay's
 * configuration is at fault, not the message; an address email_build would refuse is
 * SEND_FAILED without connecting. r->code is the SMTP reply (250 on success; the failing 4xx/5xx
 * reply; 0 without one); r->error says what happened. Not thread-safe per struct smtp. */
void smtp_send(struct smtp *s, const char *from_addr, const char *to_addr, const struct buf *msg,
               struct send_result *r);

#endif
