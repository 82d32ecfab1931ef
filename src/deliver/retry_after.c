/* retry_after — the Retry-After header of the HTTP channels; contract in retry_after.h. */
#include "deliver/retry_after.h"

#include <curl/curl.h>
#include <string.h>
#include <strings.h>
#include <time.h>

long retry_after_parse(const char *v, size_t n)
{
    char tmp[64];
    while (n > 0 && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n'))
        n--;
    if (n == 0 || n >= sizeof(tmp)) return 0;
    memcpy(tmp, v, n);
    tmp[n] = '\0';
    long secs = 0;
    if (tmp[0] >= '0' && tmp[0] <= '9') {
        for (const char *d = tmp; *d; d++) {
            if (*d < '0' || *d > '9') return 0;
            if (secs < RETRY_AFTER_MAX) secs = secs * 10 + (*d - '0');
        }
    } else {
        time_t when = curl_getdate(tmp, NULL);
        if (when == -1) return 0;
        time_t now = time(NULL);
        secs = when > now ? (long)(when - now) : 0;
    }
    return secs > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : secs;
}

void retry_after_header(const char *line, size_t n, long *secs)
{
    static const char name[] = "Retry-After:";
    if (n >= 5 && memcmp(line, "HTTP/", 5) == 0)
        *secs = 0; /* a new response (after a 1xx): forget the earlier one's */
    else if (n > sizeof(name) - 1 && strncasecmp(line, name, sizeof(name) - 1) == 0)
        *secs = retry_after_parse(line + sizeof(name) - 1, n - (sizeof(name) - 1));
}
