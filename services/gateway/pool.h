/*
 * pool: a fixed set of worker threads for the requests that wait on the bus.
 *
 * libmicrohttpd's threads only parse, route and send; a handler that sends
 * a NATS request (up to CC_REQUEST_TIMEOUT_MS) runs here instead, so a slow
 * service never holds up the connections an MHD thread serves (probes
 * among them). Jobs are intrusive: the caller embeds a struct gw_job in
 * memory that stays valid until the job's function has run; the pool
 * allocates nothing per job.
 */
#ifndef GW_POOL_H
#define GW_POOL_H
#include <stdbool.h>
#include <stddef.h>
#include "cc_status.h"

struct gw_job {
    struct gw_job *next; /* the pool's */
    void (*fn)(struct gw_job *job);
};

struct gw_pool;

/* Starts n worker threads. Caller frees with gw_pool_stop(). */
cc_status gw_pool_start(struct gw_pool **pp, int n, char *err, size_t errlen);
/* Queues job (borrowed until job->fn has run, on a worker thread, in FIFO
 * order). False when the pool is stopping: nothing will run it. */
bool gw_pool_submit(struct gw_pool *p, struct gw_job *job);
/* Refuses new jobs, runs every job already queued, joins the workers and
 * frees. Accepts NULL. */
void gw_pool_stop(struct gw_pool *p);

#endif
