/*
 * bench/floor302 — the fastest durable 302 this machine allows, for bench/clicks.sh's table.
 *
 * A reference point, not restock: a libmicrohttpd server that answers every request with the
 * same 302, but only once the request's path is on disk. It does the least such a server can:
 * no routing, no token check, no SQL. Each HTTP thread runs its own daemon on the shared
 * listening socket (external epoll), suspends every request it reads in one loop turn and hands
 * the turn's paths to the syncer as one batch (one wake-up a batch, not one a request). The
 * syncer writes every waiting batch into a log file and fdatasyncs it once, then tells each
 * batch's thread (its eventfd), which resumes its own connections. The log is zero-filled and
 * synced before serving, so each fdatasync writes data only, never the file's size or extents
 * (as SQLite's WAL, rewritten in place after a checkpoint); it wraps at LOG_BYTES.
 *
 * With MODE "inline" there is no syncer: each HTTP thread writes its own turn's batch into its
 * own log (LOGFILE.N) and fdatasyncs it itself, then resumes the batch and runs its daemon again
 * to send the answers. No request crosses a thread, and while a thread waits for the disk the
 * next turn's requests gather in the sockets (the closed loop fills the batch by itself).
 *
 * So GET /r/ against this floor shows what restock's own work costs (routing, HMAC, SQLite, its
 * writer and syncer threads), and this floor against nginx's `return 302` what waiting for the
 * disk costs a libmicrohttpd server in the same closed loop of wrk connections.
 *
 * Usage: floor302 PORT THREADS LOGFILE [syncer|inline]. Serves 127.0.0.1:PORT until SIGTERM or
 * SIGINT, then prints "recorded=N" (requests whose batch was synced; every 302 sent is among
 * them).
 */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOG_BYTES   (64L << 20)
#define BATCH_MAX   1024
#define BATCH_BYTES (BATCH_MAX * 64)
#define MAX_THREADS 16

struct batch {
    struct batch *next;
    struct worker *owner;
    struct MHD_Connection *conn[BATCH_MAX];
    int n;
    size_t len;
    char data[BATCH_BYTES];
};

struct worker {
    struct MHD_Daemon *d;
    pthread_t thread;
    int efd;              /* the syncer's "batches synced" doorbell */
    struct batch *open;   /* this loop turn's requests, owned by the worker */
    pthread_mutex_t mu;   /* guards synced */
    struct batch *synced; /* on disk, to resume */
    int log;              /* inline mode: this thread's own log */
    off_t off;
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t more;
    struct batch *queue;
    int stopping;
    int log;
    off_t off;
    atomic_long recorded;
} syncer = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static atomic_int stopping;
static int inline_sync; /* MODE "inline": each worker syncs its own batches */
static struct MHD_Response *redirect;

static void die(const char *what)
{
    fprintf(stderr, "floor302: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Hands the worker's open batch (if any) to the syncer. */
static void submit(struct worker *w)
{
    struct batch *b = w->open;
    if (!b) return;
    w->open = NULL;
    pthread_mutex_lock(&syncer.mu);
    b->next = syncer.queue;
    syncer.queue = b;
    pthread_cond_signal(&syncer.more);
    pthread_mutex_unlock(&syncer.mu);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *data_size, void **ctx)
{
    (void)method, (void)version, (void)data, (void)data_size;
    struct worker *w = cls;
    static int seen, waited; /* markers for *ctx: headers read, then suspended */
    if (!*ctx) {             /* answering at the first call would cost the connection */
        *ctx = &seen;
        return MHD_YES;
    }
    if (*ctx == &waited) return MHD_queue_response(conn, MHD_HTTP_FOUND, redirect);
    size_t len = strlen(url);
    if (len + 1 > BATCH_BYTES) return MHD_NO;
    struct batch *b = w->open;
    if (b && (b->n == BATCH_MAX || b->len + len + 1 > BATCH_BYTES)) { /* full: off it goes */
        submit(w);
        b = NULL;
    }
    if (!b && !(b = w->open = calloc(1, sizeof(*b)))) return MHD_NO;
    b->owner = w;
    memcpy(b->data + b->len, url, len);
    b->len += len;
    b->data[b->len++] = '\n';
    b->conn[b->n++] = conn;
    *ctx = &waited;
    MHD_suspend_connection(conn);
    return MHD_YES;
}

static void write_log(int log, off_t *off, const char *p, size_t len)
{
    while (len) {
        size_t room = (size_t)(LOG_BYTES - *off), n = len < room ? len : room;
        if (pwrite(log, p, n, *off) != (ssize_t)n) die("write");
        *off = (*off + (off_t)n) % LOG_BYTES;
        p += n;
        len -= n;
    }
}

/* A zero-filled, synced log of LOG_BYTES: fdatasyncs then write data only. */
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

static void *sync_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&syncer.mu);
    for (;;) {
        while (!syncer.queue && !syncer.stopping)
            pthread_cond_wait(&syncer.more, &syncer.mu);
        struct batch *list = syncer.queue;
        if (!list) break;
        syncer.queue = NULL;
        pthread_mutex_unlock(&syncer.mu);
        for (struct batch *b = list; b; b = b->next)
            write_log(syncer.log, &syncer.off, b->data, b->len);
        if (fdatasync(syncer.log)) die("fdatasync");
        for (struct batch *b = list, *next; b; b = next) {
            next = b->next;
            struct worker *w = b->owner;
            atomic_fetch_add(&syncer.recorded, b->n);
            pthread_mutex_lock(&w->mu);
            b->next = w->synced;
            w->synced = b;
            pthread_mutex_unlock(&w->mu);
            uint64_t one = 1;
            if (write(w->efd, &one, sizeof(one)) != sizeof(one)) die("eventfd");
        }
        pthread_mutex_lock(&syncer.mu);
    }
    pthread_mutex_unlock(&syncer.mu);
    return NULL;
}

static void resume_synced(struct worker *w)
{
    uint64_t n;
    if (read(w->efd, &n, sizeof(n)) < 0 && errno != EAGAIN) die("eventfd");
    pthread_mutex_lock(&w->mu);
    struct batch *b = w->synced;
    w->synced = NULL;
    pthread_mutex_unlock(&w->mu);
    for (struct batch *next; b; b = next) {
        next = b->next;
        for (int i = 0; i < b->n; i++)
            MHD_resume_connection(b->conn[i]);
        free(b);
    }
}

/* Inline mode: the turn's batch onto this thread's log and the disk, then its answers out. */
static void sync_inline(struct worker *w)
{
    struct batch *b = w->open;
    if (!b) return;
    w->open = NULL;
    write_log(w->log, &w->off, b->data, b->len);
    if (fdatasync(w->log)) die("fdatasync");
    atomic_fetch_add(&syncer.recorded, b->n);
    for (int i = 0; i < b->n; i++)
        MHD_resume_connection(b->conn[i]);
    free(b);
    MHD_run(w->d);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_EPOLL_FD);
    struct epoll_event mhd = {.events = EPOLLIN, .data.u32 = 0};
    struct epoll_event bell = {.events = EPOLLIN, .data.u32 = 1};
    if (ep < 0 || !info || epoll_ctl(ep, EPOLL_CTL_ADD, info->epoll_fd, &mhd) ||
        epoll_ctl(ep, EPOLL_CTL_ADD, w->efd, &bell))
        die("epoll");
    while (!atomic_load(&stopping)) {
        struct epoll_event ev[2];
        int n = epoll_wait(ep, ev, 2, 100);
        for (int i = 0; i < n; i++)
            if (ev[i].data.u32 == 1) resume_synced(w);
        MHD_run(w->d);
        if (inline_sync)
            sync_inline(w);
        else
            submit(w);
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
        fprintf(stderr, "floor302: bad number: %s\n", s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5 ||
        (argc == 5 && strcmp(argv[4], "syncer") && strcmp(argv[4], "inline"))) {
        fprintf(stderr, "usage: floor302 PORT THREADS LOGFILE [syncer|inline]\n");
        return 2;
    }
    long port = arg_long(argv[1], 1, 65535), nthreads = arg_long(argv[2], 1, MAX_THREADS);
    inline_sync = argc == 5 && !strcmp(argv[4], "inline");
    if (!inline_sync) syncer.log = open_log(argv[3]);

    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), on = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1024))
        die("listen");

    redirect = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(redirect, "Location",
                            "https://bench.example/products/shirt?utm_source=restock");

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* every thread inherits it; main waits below */

    pthread_t sync_thread;
    if (pthread_create(&sync_thread, NULL, sync_main, NULL)) die("thread");
    struct worker workers[MAX_THREADS] = {0};
    for (long i = 0; i < nthreads; i++) {
        struct worker *w = &workers[i];
        pthread_mutex_init(&w->mu, NULL);
        if (inline_sync) {
            char path[4096];
            if (snprintf(path, sizeof(path), "%s.%ld", argv[3], i) >= (int)sizeof(path))
                die("path");
            w->log = open_log(path);
        }
        w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        w->d = MHD_start_daemon(
            MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO | MHD_USE_ERROR_LOG, 0, NULL,
            NULL, on_request, w, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_END);
        if (w->efd < 0 || !w->d || pthread_create(&w->thread, NULL, worker_main, w)) die("start");
    }

    int sig;
    sigwait(&sigs, &sig);
    atomic_store(&stopping, 1);
    for (long i = 0; i < nthreads; i++)
        pthread_join(workers[i].thread, NULL);
    pthread_mutex_lock(&syncer.mu);
    syncer.stopping = 1;
    pthread_cond_signal(&syncer.more);
    pthread_mutex_unlock(&syncer.mu);
    pthread_join(sync_thread, NULL);
    printf("recorded=%ld\n", atomic_load(&syncer.recorded));
    return 0;
}
