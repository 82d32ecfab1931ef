/*
 * feed_fetch — the scheduled fetch of each shop's `feed_url` (shop settings feed_url and
 * feed_interval_minutes); contract in feed_fetch.h.
 *
 * Request forgery. A feed URL is set by a shop's admin, and the fetch runs on the restock
 * machine, so it must not reach what only that machine can: the URL must be http(s) (checked when
 * set, and by libcurl's protocol list, redirects included, at most 3), and every address libcurl
 * is about to connect to — after DNS, after redirects — is checked in the open-socket callback:
 * loopback, private (RFC 1918, fc00::/7), link-local, CGNAT, multicast and unspecified addresses
 * are refused unless the operator set feed_allow_private. The body goes to a temporary file
 * (at most FEED_MAX_BYTES) and is streamed from there by the feed parser.
 */
#include "ingest/feed_fetch.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fanout.h"
#include "ingest/feed.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define FEED_MAX_BYTES (4LL << 30)
#define PERIOD_S       2

/* 1 when an address is one a fetch on behalf of a shop must not reach. */
static int private_address(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        uint32_t a = ntohl(in->sin_addr.s_addr);
        return (a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127 ||
               (a >> 16) == 0xa9fe /* 169.254/16 */ || (a >> 20) == 0xac1 /* 172.16/12 */ ||
               (a >> 16) == 0xc0a8 /* 192.168/16 */ || (a >> 22) == 0x191 /* 100.64/10 */ ||
               (a >> 28) >= 0xe /* multicast, reserved */;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        const uint8_t *b = in6->sin6_addr.s6_addr;
        static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(b, v4mapped, 12) == 0) {
            struct sockaddr_in v4 = {.sin_family = AF_INET};
            memcpy(&v4.sin_addr, b + 12, 4);
            return private_address((const struct sockaddr *)&v4);
        }
        return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) || IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr) ||
               IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr) || IN6_IS_ADDR_MULTICAST(&in6->sin6_addr) ||
               (b[0] & 0xfe) == 0xfc;
    }
    return 1;
}

static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
    const struct app *app = arg;
    (void)purpose;
    if (!app->cfg->feed_allow_private && private_address(&addr->addr)) return CURL_SOCKET_BAD;
    return socket(addr->family, addr->socktype, addr->protocol);
}

/* Fetches url into the open file f. 0, or -1 with a message in err. */
static int fetch(struct app *app, const char *url, FILE *f, char *err, size_t cap)
{
    CURL *c = curl_easy_init();
    if (!c) return snprintf(err, cap, "libcurl failed"), -1;
    char ebuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 600L);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)FEED_MAX_BYTES);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "restock-feed-fetch");
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, app);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (rc == CURLE_OK) return 0;
    snprintf(err, cap, "%s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
    return -1;
}

static void report(void *arg, long line, const char *msg)
{
    const char *uuid = arg;
    log_msg(LOG_WARN, "feed of shop %s: line %ld: %s (item skipped)", uuid, line, msg);
}

struct due {
    int64_t sid;
    struct due *next;
};

static int collect(void *arg, int64_t sid)
{
    struct due **head = arg;
    struct due *d = xcalloc(1, sizeof(*d));
    d->sid = sid;
    d->next = *head;
    *head = d;
    return 0;
}

struct mark {
    int64_t sid, at;
};

static int mark_run(struct tx *tx, void *arg, struct rs_status *st)
{
    struct mark *m = arg;
    int rc = tx->ops->feed_mark(tx->c, m->sid, m->at);
    return rc ? rs_fail(st, rc, "the store failed") : RS_OK;
}

/* One shop's fetch and import. */
static void fetch_shop(struct app *app, int64_t sid, int64_t now)
{
    struct rs_status st = {0};
    struct mark m = {sid, now};
    if (committer_run(app->cm, mark_run, &m, &st)) return; /* stopping, or the store failed */
    struct arena *a = arena_new();
    struct shop sh;
    struct store_conn *c = app->ops->reader(app->store);
    int rc = c ? app->ops->shop_by_sid(c, sid, a, &sh) : RS_ESTORE;
    app->ops->reader_release(app->store);
    char path[] = "/tmp/restock-feed-XXXXXX", err[CURL_ERROR_SIZE + 64];
    int fd = rc ? -1 : mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w+b") : NULL;
    if (!f) {
        if (fd >= 0) close(fd);
        arena_free(a);
        return;
    }
    unlink(path); /* the open file stays readable through /proc/self/fd */
    if (fetch(app, sh.feed_url, f, err, sizeof(err))) {
        log_msg(LOG_WARN, "feed of shop %s: %s: %s", sh.uuid, sh.feed_url, err);
    } else {
        fflush(f);
        char fdpath[64];
        snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fileno(f));
        struct feed_opts o = {.in_stock_default = 1, .batch = 1000};
        struct feed_stats fs = {0};
        rc = feed_import_file(app, &sh, fdpath, &o, report, (void *)sh.uuid, &fs, &st);
        if (fs.restocked) fanout_kick(app->fanout);
        log_msg(rc ? LOG_WARN : LOG_INFO,
                "feed of shop %s: %zu items, %zu created, %zu updated, %zu restocked, %zu bad%s%s",
                sh.uuid, fs.items, fs.created, fs.updated, fs.restocked, fs.bad, rc ? "; " : "",
                rc ? st.msg : "");
    }
    fclose(f);
    arena_free(a);
}

int feed_fetch_due(struct app *app, int64_t now, int *fetched)
{
    struct due *head = NULL;
    struct store_conn *c = app->ops->reader(app->store);
    int rc = c ? app->ops->feed_due(c, now, collect, &head) : RS_ESTORE;
    app->ops->reader_release(app->store);
    *fetched = 0;
    for (struct due *d = head, *n; d; d = n) {
        n = d->next;
        if (!rc) {
            fetch_shop(app, d->sid, now);
            ++*fetched;
        }
        free(d);
    }
    return rc;
}

struct feed_fetcher {
    struct app *app;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stopping;
};

static void *loop(void *arg)
{
    struct feed_fetcher *f = arg;
    pthread_mutex_lock(&f->mu);
    while (!f->stopping) {
        pthread_mutex_unlock(&f->mu);
        int n;
        feed_fetch_due(f->app, now_s(), &n);
        pthread_mutex_lock(&f->mu);
        if (f->stopping) break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += PERIOD_S;
        pthread_cond_timedwait(&f->cv, &f->mu, &ts);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

struct feed_fetcher *feed_fetcher_start(struct app *app)
{
    struct feed_fetcher *f = xcalloc(1, sizeof(*f));
    f->app = app;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    if (pthread_create(&f->thread, NULL, loop, f)) {
        log_msg(LOG_ERROR, "cannot start the feed fetcher");
        free(f);
        return NULL;
    }
    return f;
}

void feed_fetcher_stop(struct feed_fetcher *f)
{
    if (!f) return;
    pthread_mutex_lock(&f->mu);
    f->stopping = 1;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->thread, NULL);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    free(f);
}
