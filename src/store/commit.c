/*
 * commit — the group committer's queue and thread; contract in commit.h.
 *
 * The queue is a singly linked FIFO under one mutex. The thread sleeps on `more` until jobs
 * arrive, detaches the whole list (at most one transaction's worth of work, MAX_BATCH jobs), runs
 * it. Batches are bounded so one huge burst does not hold a single transaction (and every
 * requester) for long.
 *
 * A pipeline of two threads when the store has ops->sync: the committer commits a batch without
 * waiting for the disk and hands it to the syncer, which syncs and only then calls the batch's
 * done()s, while the committer already runs the next batch: the disk's wait and the next
 * batch's SQL overlap. One sync covers every batch committed before it started, so batches that
 * queue at the syncer share it. Transactions reach the disk in commit order (one WAL), so a
 * batch answered is never durable without those committed before it. Without ops->sync the
 * committer commits durably itself (durable(c, 1)) and calls done() at once.
 *
 * A failed sync is final. After an fdatasync error Linux reports the error once and marks the
 * pages clean, so a later sync would succeed though the failed batch's frames may never reach
 * the disk, and recovery after a crash stops at that gap, losing every later batch too: so
 * from the first failure on, every batch that needs the disk is answered RS_ESTORE until the
 * server is restarted. Relaxed batches still commit.
 */
#include "store/commit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "util/log.h"
#include "util/xalloc.h"

#define MAX_BATCH 4096

struct committer {
    const struct store_ops *ops;
    struct store *store;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t more;
    struct store_job *head, *tail;
    atomic_size_t depth;
    int stopping, stopped;
    atomic_ulong commits;
    /* the syncer: committed batches (their jobs chained) waiting for the disk, under smu */
    pthread_t syncer;
    pthread_mutex_t smu;
    pthread_cond_t synced_more;
    struct store_job *sync_head, *sync_tail;
    int sync_stopping;
    atomic_int sync_broken; /* a sync failed (set by the syncer) */
};

static struct store_job *take_batch(struct committer *cm)
{
    struct store_job *first = cm->head, *last = first;
    size_t n = 1;
    while (last->next && n < MAX_BATCH) {
        last = last->next;
        n++;
    }
    cm->head = last->next;
    if (!cm->head) cm->tail = NULL;
    last->next = NULL;
    cm->depth -= n;
    return first;
}

static void finish(struct store_job *batch)
{
    for (struct store_job *j = batch, *next; j; j = next) {
        next = j->next; /* done() may free j */
        j->done(j);
    }
}

/* Hands a committed batch to the syncer. */
static void to_syncer(struct committer *cm, struct store_job *first, struct store_job *last)
{
    pthread_mutex_lock(&cm->smu);
    if (cm->sync_tail)
        cm->sync_tail->next = first;
    else
        cm->sync_head = first;
    cm->sync_tail = last;
    pthread_cond_signal(&cm->synced_more);
    pthread_mutex_unlock(&cm->smu);
}

static void *sync_loop(void *arg)
{
    struct committer *cm = arg;
    pthread_mutex_lock(&cm->smu);
    for (;;) {
        while (!cm->sync_head && !cm->sync_stopping)
            pthread_cond_wait(&cm->synced_more, &cm->smu);
        struct store_job *batch = cm->sync_head;
        if (!batch) break;
        cm->sync_head = cm->sync_tail = NULL;
        pthread_mutex_unlock(&cm->smu);
        if (!cm->sync_broken && cm->ops->sync(cm->store) != RS_OK) {
            cm->sync_broken = 1;
            log_msg(LOG_ERROR, "the store's sync failed: this batch and every later write is "
                               "answered with 500 until the server is restarted");
        }
        if (cm->sync_broken)
            for (struct store_job *j = batch; j; j = j->next)
                if (j->status.err == RS_OK) rs_fail(&j->status, RS_ESTORE, "the store failed");
        finish(batch);
        pthread_mutex_lock(&cm->smu);
    }
    pthread_mutex_unlock(&cm->smu);
    return NULL;
}

static void run_batch(struct committer *cm, struct store_job *batch)
{
    const struct store_ops *ops = cm->ops;
    struct store_conn *c = ops->writer(cm->store);
    struct tx tx = {ops, c};
    int relaxed = 1;
    struct store_job *last = batch;
    for (struct store_job *j = batch; j; j = j->next) {
        relaxed &= (j->flags & JOB_PROCESS_DURABLE) != 0;
        last = j;
    }
    if (ops->durable) ops->durable(c, !relaxed && !ops->sync);
    int ok = ops->begin(c) == RS_OK;
    for (struct store_job *j = batch; j; j = j->next) {
        j->status.err = RS_OK;
        j->status.msg[0] = '\0';
        if (!ok || ops->savepoint(c)) {
            rs_fail(&j->status, RS_ESTORE, "the store failed");
            continue;
        }
        int rc = j->run(&tx, j->arg, &j->status);
        if (rc != RS_OK) {
            if (!j->status.err) rs_fail(&j->status, rc, "%s", rs_strerror(rc));
            if (ops->rollback_to(c)) ok = 0;
        }
        if (ops->release(c)) ok = 0;
    }
    if (ok && ops->commit(c) == RS_OK) {
        atomic_fetch_add(&cm->commits, 1);
        if (!relaxed && ops->sync) {
            to_syncer(cm, batch, last);
            return;
        }
    } else {
        log_msg(LOG_ERROR, "group commit failed; answering every request of the batch with 500");
        ops->rollback(c);
        for (struct store_job *j = batch; j; j = j->next)
            if (j->status.err == RS_OK) rs_fail(&j->status, RS_ESTORE, "the store failed");
    }
    finish(batch);
}

static void *loop(void *arg)
{
    struct committer *cm = arg;
    pthread_mutex_lock(&cm->mu);
    for (;;) {
        while (!cm->head && !cm->stopping)
            pthread_cond_wait(&cm->more, &cm->mu);
        if (!cm->head) break;
        struct store_job *batch = take_batch(cm);
        pthread_mutex_unlock(&cm->mu);
        run_batch(cm, batch);
        pthread_mutex_lock(&cm->mu);
    }
    cm->stopped = 1;
    pthread_mutex_unlock(&cm->mu);
    return NULL;
}

struct committer *committer_start(const struct store_ops *ops, struct store *s)
{
    struct committer *cm = xcalloc(1, sizeof(*cm));
    cm->ops = ops;
    cm->store = s;
    pthread_mutex_init(&cm->mu, NULL);
    pthread_cond_init(&cm->more, NULL);
    pthread_mutex_init(&cm->smu, NULL);
    pthread_cond_init(&cm->synced_more, NULL);
    if (pthread_create(&cm->thread, NULL, loop, cm) ||
        (ops->sync && pthread_create(&cm->syncer, NULL, sync_loop, cm))) {
        log_msg(LOG_ERROR, "cannot start the committer thread");
        abort();
    }
    return cm;
}

void committer_stop(struct committer *cm)
{
    if (!cm) return;
    pthread_mutex_lock(&cm->mu);
    cm->stopping = 1;
    pthread_cond_signal(&cm->more);
    pthread_mutex_unlock(&cm->mu);
    pthread_join(cm->thread, NULL); /* every batch committed */
    if (cm->ops->sync) {            /* and answered */
        pthread_mutex_lock(&cm->smu);
        cm->sync_stopping = 1;
        pthread_cond_signal(&cm->synced_more);
        pthread_mutex_unlock(&cm->smu);
        pthread_join(cm->syncer, NULL);
    }
    pthread_cond_destroy(&cm->synced_more);
    pthread_mutex_destroy(&cm->smu);
    pthread_cond_destroy(&cm->more);
    pthread_mutex_destroy(&cm->mu);
    free(cm);
}

void committer_submit(struct committer *cm, struct store_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&cm->mu);
    if (cm->stopping) {
        pthread_mutex_unlock(&cm->mu);
        rs_fail(&job->status, RS_EUNAVAILABLE, "shutting down");
        job->done(job);
        return;
    }
    if (cm->tail)
        cm->tail->next = job;
    else
        cm->head = job;
    cm->tail = job;
    cm->depth++;
    pthread_cond_signal(&cm->more);
    pthread_mutex_unlock(&cm->mu);
}

struct sync_job {
    struct store_job job;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int finished;
};

static void sync_done(struct store_job *job)
{
    struct sync_job *sj = (struct sync_job *)job;
    pthread_mutex_lock(&sj->mu);
    sj->finished = 1;
    pthread_cond_signal(&sj->cv);
    pthread_mutex_unlock(&sj->mu);
}

int committer_run(struct committer *cm, int (*run)(struct tx *, void *, struct rs_status *),
                  void *arg, struct rs_status *st)
{
    return committer_run_flags(cm, run, arg, 0, st);
}

int committer_run_flags(struct committer *cm, int (*run)(struct tx *, void *, struct rs_status *),
                        void *arg, unsigned flags, struct rs_status *st)
{
    struct sync_job sj = {.job = {.run = run, .done = sync_done, .arg = arg, .flags = flags}};
    pthread_mutex_init(&sj.mu, NULL);
    pthread_cond_init(&sj.cv, NULL);
    committer_submit(cm, &sj.job);
    pthread_mutex_lock(&sj.mu);
    while (!sj.finished)
        pthread_cond_wait(&sj.cv, &sj.mu);
    pthread_mutex_unlock(&sj.mu);
    pthread_cond_destroy(&sj.cv);
    pthread_mutex_destroy(&sj.mu);
    if (st) *st = sj.job.status;
    return sj.job.status.err;
}

size_t committer_depth(const struct committer *cm)
{
    return atomic_load(&((struct committer *)cm)->depth);
}

unsigned long committer_commits(const struct committer *cm)
{
    return atomic_load(&cm->commits);
}

int committer_broken(const struct committer *cm)
{
    return atomic_load(&((struct committer *)cm)->sync_broken);
}
