/*
 * workers: presence's pool of threads for work that blocks for a while
 * (a login: a PostgreSQL lookup and a password hash of ~40 ms, memory-hard).
 *
 * nats.c runs each subscription's handler on one thread, one message at a
 * time: a login hashed there would make every login of the process wait
 * behind the one before it (22 a second), and a flood of them would hold
 * up everything queued on that subscription. The handler only copies the
 * request into a job and returns; CC_PASSWORD_WORKERS threads (default:
 * the CPUs) run the jobs, so logins use every core and the bus thread
 * stays free.
 *
 * The queue is bounded (WORKERS_QUEUE_MAX jobs): beyond it, submit refuses
 * and the caller answers "unavailable" at once instead of queueing work no
 * one will wait for. Jobs are intrusive, as in the gateway's pool: the
 * caller embeds a struct worker_job in memory it owns until fn has run.
 */
#ifndef WORKERS_H
#define WORKERS_H
#include <stdbool.h>
#include <stddef.h>
#include "cc_status.h"

#define WORKERS_MAX 64
#define WORKERS_QUEUE_MAX 1024

struct worker_job {
    struct worker_job *next; /* the pool's */
    void (*fn)(struct worker_job *job);
};

struct workers;

/* Starts n (1..WORKERS_MAX) threads. Caller stops them with workers_stop()
 * and frees with workers_free(). */
cc_status workers_start(struct workers **wp, int n, char *err, size_t errlen);
/* Queues job (borrowed until job->fn has run on a worker, FIFO). False,
 * and nothing will run it, when the queue is full or the pool stopping. */
bool workers_submit(struct workers *w, struct worker_job *job);
/* Refuses new jobs from now on (submit says false), runs every job already
 * queued and joins the threads. Accepts NULL; once is enough. */
void workers_stop(struct workers *w);
/* Frees; after workers_stop, once nobody calls submit any more. Accepts NULL. */
void workers_free(struct workers *w);

#endif
