/* pool: worker threads over one FIFO of intrusive jobs. See pool.h. */
#include "pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define POOL_MAX 256

struct gw_pool {
    pthread_mutex_t lock; /* guards head, tail, stopping */
    pthread_cond_t more;
    struct gw_job *head, *tail;
    bool stopping;
    int n;
    pthread_t threads[POOL_MAX];
};

static void *worker(void *arg)
{
    struct gw_pool *p = arg;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        struct gw_job *job = p->head;
        if (job == NULL) {
            if (p->stopping)
                break; /* queue empty: every job submitted has run */
            pthread_cond_wait(&p->more, &p->lock);
            continue;
        }
        p->head = job->next;
        if (p->head == NULL)
            p->tail = NULL;
        pthread_mutex_unlock(&p->lock);
        job->fn(job); /* job may be gone once fn returns */
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

cc_status gw_pool_start(struct gw_pool **pp, int n, char *err, size_t errlen)
{
    struct gw_pool *p;

    *pp = NULL;
    if (n < 1 || n > POOL_MAX) {
        snprintf(err, errlen, "worker pool: %d threads is out of range 1..%d", n, POOL_MAX);
        return CC_ERR_INVALID;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return CC_ERR_NOMEM;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->more, NULL);
    for (; p->n < n; p->n++) {
        if (pthread_create(&p->threads[p->n], NULL, worker, p) != 0) {
            snprintf(err, errlen, "worker pool: cannot start thread %d", p->n + 1);
            gw_pool_stop(p);
            return CC_ERR_IO;
        }
    }
    *pp = p;
    return CC_OK;
}

bool gw_pool_submit(struct gw_pool *p, struct gw_job *job)
{
    bool ok;

    pthread_mutex_lock(&p->lock);
    ok = !p->stopping;
    if (ok) {
        job->next = NULL;
        if (p->tail != NULL)
            p->tail->next = job;
        else
            p->head = job;
        p->tail = job;
        pthread_cond_signal(&p->more);
    }
    pthread_mutex_unlock(&p->lock);
    return ok;
}

void gw_pool_stop(struct gw_pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->more);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->more);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
