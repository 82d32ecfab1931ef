/*
 * bench/epoll302 — a durable 302 without libmicrohttpd, for bench/clicks.sh's table.
 *
 * A reference point, not restock: a plain epoll loop per thread on one shared listening socket.
 * Each turn reads every ready connection's complete requests (GET, no body; pipelined requests
 * are answered in order), writes the turn's paths into the thread's own zero-filled log
 * (LOGFILE.N) and fdatasyncs it, and only then sends each request its 302. Nothing crosses a
 * thread. It shows what waiting for the disk costs a server whose HTTP layer is as thin as
 * nginx's, beside floor302 (the same wait in libmicrohttpd, which restock must use).
 *
 * Usage: epoll302 PORT THREADS LOGFILE. Serves 127.0.0.1:PORT until SIGTERM or SIGINT, then
 * prints "recorded=N" (requests whose batch was synced; every 302 sent is among them).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOG_BYTES   (64L << 20)
#define CONN_BUF    4096
#define MAX_EVENTS  256
#define BATCH_BYTES (1 << 20)
#define MAX_THREADS 16

static const char answer[] = "HTTP/1.1 302 Found\r\n"
                             "Location: https://bench.example/products/shirt?utm_source=restock\r\n"
                             "Content-Length: 0\r\n\r\n";

struct conn {
    int fd;
    int waiting; /* complete requests read this turn, to answer once synced */
    size_t len;
    char buf[CONN_BUF];
};

struct worker {
    pthread_t thread;
    int listener, log;
    off_t off;
    char batch[BATCH_BYTES];
    size_t batch_len;
};

static atomic_int stopping;
static atomic_long recorded;

static void die(const char *what)
{
    fprintf(stderr, "epoll302: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int open_log(const char *path)
{
    int log = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (log < 0) die(path);
    static const char zeros[1 << 16];
    for (long off = 0; off < LOG_BYTES; off += sizeof(zeros))
        if (write(log, zeros, sizeof(zeros)) != sizeof(zeros)) die("write");
    if (fsync(log)) die("fsync");
    return log;
}

static void close_conn(struct conn *c)
{
    close(c->fd);
    free(c);
}

/* Appends the path of the request line at req to the turn's batch. */
static void batch_add(struct worker *w, const char *req, size_t len)
{
    const char *path = memchr(req, ' ', len), *end = NULL;
    if (path) end = memchr(path + 1, ' ', len - (size_t)(path + 1 - req));
    size_t n = end ? (size_t)(end - path - 1) : 0;
    if (w->batch_len + n + 1 > sizeof(w->batch))
        return; /* the wait is what counts, not the bytes */
    if (n) memcpy(w->batch + w->batch_len, path + 1, n);
    w->batch_len += n;
    w->batch[w->batch_len++] = '\n';
}

/* Reads what the connection has; returns 0 when it is closed (and freed). */
static int read_conn(struct worker *w, struct conn *c)
{
    ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return 1;
    if (r <= 0) {
        close_conn(c);
        return 0;
    }
    c->len += (size_t)r;
    size_t start = 0;
    for (;;) {
        const char *end = memmem(c->buf + start, c->len - start, "\r\n\r\n", 4);
        if (!end) break;
        size_t req_len = (size_t)(end + 4 - (c->buf + start));
        batch_add(w, c->buf + start, req_len);
        c->waiting++;
        start += req_len;
    }
    if (start == 0 && c->len == sizeof(c->buf)) { /* a request larger than the buffer */
        close_conn(c);
        return 0;
    }
    memmove(c->buf, c->buf + start, c->len - start);
    c->len -= start;
    return 1;
}

static void answer_conn(struct conn *c)
{
    char out[sizeof(answer) * 16];
    while (c->waiting) {
        int n = c->waiting < 16 ? c->waiting : 16;
        size_t len = 0;
        for (int i = 0; i < n; i++, len += sizeof(answer) - 1)
            memcpy(out + len, answer, sizeof(answer) - 1);
        if (send(c->fd, out, len, MSG_NOSIGNAL) != (ssize_t)len) return; /* wrk stopped reading */
        c->waiting -= n;
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    int ep = epoll_create1(EPOLL_CLOEXEC), on = 1;
    struct epoll_event lev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = NULL};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, w->listener, &lev)) die("epoll");
    struct epoll_event ev[MAX_EVENTS];
    struct conn *ready[MAX_EVENTS];
    while (!atomic_load(&stopping)) {
        int n = epoll_wait(ep, ev, MAX_EVENTS, 100), nready = 0;
        w->batch_len = 0;
        for (int i = 0; i < n; i++) {
            struct conn *c = ev[i].data.ptr;
            if (!c) {
                int fd;
                while ((fd = accept4(w->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    struct conn *nc = calloc(1, sizeof(*nc));
                    if (!nc) die("calloc");
                    nc->fd = fd;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
                    struct epoll_event cev = {.events = EPOLLIN, .data.ptr = nc};
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev)) die("epoll_ctl");
                }
                continue;
            }
            if (read_conn(w, c) && c->waiting) ready[nready++] = c;
        }
        if (!nready) continue;
        size_t len = w->batch_len;
        for (const char *p = w->batch; len;) {
            size_t room = (size_t)(LOG_BYTES - w->off), k = len < room ? len : room;
            if (pwrite(w->log, p, k, w->off) != (ssize_t)k) die("write");
            w->off = (w->off + (off_t)k) % LOG_BYTES;
            p += k;
            len -= k;
        }
        if (fdatasync(w->log)) die("fdatasync");
        for (int i = 0; i < nready; i++) {
            atomic_fetch_add(&recorded, ready[i]->waiting);
            answer_conn(ready[i]);
            ready[i]->waiting = 0;
        }
    }
    close(ep);
    return NULL;
}

static long arg_long(const char *s, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "epoll302: bad number: %s\n", s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: epoll302 PORT THREADS LOGFILE\n");
        return 2;
    }
    long port = arg_long(argv[1], 1, 65535), nthreads = arg_long(argv[2], 1, MAX_THREADS);

    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), on = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1024))
        die("listen");

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* every thread inherits it; main waits below */

    static struct worker workers[MAX_THREADS];
    for (long i = 0; i < nthreads; i++) {
        struct worker *w = &workers[i];
        char path[4096];
        if (snprintf(path, sizeof(path), "%s.%ld", argv[3], i) >= (int)sizeof(path)) die("path");
        w->listener = fd;
        w->log = open_log(path);
        if (pthread_create(&w->thread, NULL, worker_main, w)) die("thread");
    }

    int sig;
    sigwait(&sigs, &sig);
    atomic_store(&stopping, 1);
    for (long i = 0; i < nthreads; i++)
        pthread_join(workers[i].thread, NULL);
    printf("recorded=%ld\n", atomic_load(&recorded));
    return 0;
}
