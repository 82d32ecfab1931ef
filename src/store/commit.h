/*
 * commit — the group committer: many requests' writes in one durable transaction.
 *
 * A job is a function run on the writer connection (tx). The committer's thread takes every job
 * waiting, opens one transaction, runs each job inside its own savepoint (a job that fails is
 * rolled back alone and its error kept), commits, and only once the transaction is on disk calls
 * each job's done() with the job's result. If the commit or the sync fails, every job's result
 * is RS_ESTORE. So a request answered from done() with RS_OK is on disk, and one commit carries
 * as many requests as arrived during the previous one. Where the store can sync apart from
 * committing (ops->sync), a second thread waits for the disk while the committer runs the next
 * batch; a batch's writes are visible to readers from its commit, a little before its done().
 *
 * Jobs are owned by the submitter and must stay valid until done() is called. done() runs on one
 * of the committer's threads and must not block for long.
 */
#ifndef RESTOCK_COMMIT_H
#define RESTOCK_COMMIT_H

#include <stddef.h>

#include "store/store.h"

/* A job whose write needs only to survive a crash of this process, not of the machine: a batch
 * made only of such jobs commits without waiting for the disk (the next durable commit, or the
 * OS, writes it). The delivery workers' leases and results: losing one to a power cut can only
 * send a message again, never lose one. */
#define JOB_PROCESS_DURABLE 1u

struct store_job {
    int (*run)(struct tx *tx, void *arg, struct rs_status *st);
    void (*done)(struct store_job *job);
    void *arg;
    unsigned flags;
    struct rs_status status; /* the job's result, set before done() */
    struct store_job *next;  /* the committer's */
};

struct committer;

struct committer *committer_start(const struct store_ops *ops, struct store *s);
/* Drains the queue (every submitted job completes), then stops the thread. NULL is fine. */
void committer_stop(struct committer *cm);
/* Queues a job; it completes asynchronously. After committer_stop, done() is called at once
 * with RS_EUNAVAILABLE. */
void committer_submit(struct committer *cm, struct store_job *job);
/* Runs one job and waits for its durable completion. Returns its result (detail in st). */
int committer_run(struct committer *cm, int (*run)(struct tx *, void *, struct rs_status *),
                  void *arg, struct rs_status *st);
/* committer_run with job flags (JOB_PROCESS_DURABLE). */
int committer_run_flags(struct committer *cm, int (*run)(struct tx *, void *, struct rs_status *),
                        void *arg, unsigned flags, struct rs_status *st);
size_t committer_depth(const struct committer *cm);          /* jobs waiting now */
unsigned long committer_commits(const struct committer *cm); /* transactions committed */
/* A sync failed: every write needing the disk fails from then on, until a restart. */
int committer_broken(const struct committer *cm);

#endif
