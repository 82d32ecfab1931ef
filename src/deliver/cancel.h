/*
 * cancel — ending a transfer from outside: a flag that curl's progress callback reads, about
 * once a second and at every transfer step, and ends the transfer on (CURLE_ABORTED_BY_CALLBACK,
 * a failed send). For the campaign test sends, which a stop must not wait out to the service's
 * timeout; the outbox's own sends pass no flag.
 */
#ifndef RESTOCK_CANCEL_H
#define RESTOCK_CANCEL_H

#include <curl/curl.h>
#include <stdatomic.h>

static inline int cancel_check(void *flag, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                               curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return atomic_load((const atomic_int *)flag) != 0;
}

/* Makes flag (NULL: none) end h's transfers once it is set. Set after curl_easy_reset. */
static inline void cancel_on(CURL *h, const atomic_int *flag)
{
    if (!flag) return;
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, cancel_check);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)flag);
}

#endif
