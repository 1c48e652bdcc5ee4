/* workers: threads over one bounded FIFO of intrusive jobs. See workers.h. */
#include "workers.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct workers {
    pthread_mutex_t lock; /* guards head, tail, queued, stopping */
    pthread_cond_t more;
    struct worker_job *head, *tail;
    size_t queued;
    bool stopping;
    bool joined; /* workers_stop has run (main thread only) */
    int n;
    pthread_t threads[WORKERS_MAX];
};

static void *worker(void *arg)
{
    struct workers *w = arg;

    pthread_mutex_lock(&w->lock);
    for (;;) {
        struct worker_job *job = w->head;
        if (job == NULL) {
            if (w->stopping)
                break; /* queue empty: every job submitted has run */
            pthread_cond_wait(&w->more, &w->lock);
            continue;
        }
        w->head = job->next;
        if (w->head == NULL)
            w->tail = NULL;
        w->queued--;
        pthread_mutex_unlock(&w->lock);
        job->fn(job); /* job may be gone once fn returns */
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

cc_status workers_start(struct workers **wp, int n, char *err, size_t errlen)
{
    struct workers *w;

    *wp = NULL;
    if (n < 1 || n > WORKERS_MAX) {
        snprintf(err, errlen, "workers: %d threads is out of range 1..%d", n, WORKERS_MAX);
        return CC_ERR_INVALID;
    }
    w = calloc(1, sizeof(*w));
    if (w == NULL)
        return CC_ERR_NOMEM;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->more, NULL);
    for (; w->n < n; w->n++) {
        if (pthread_create(&w->threads[w->n], NULL, worker, w) != 0) {
            snprintf(err, errlen, "workers: cannot start thread %d", w->n + 1);
            workers_stop(w);
            workers_free(w);
            return CC_ERR_IO;
        }
    }
    *wp = w;
    return CC_OK;
}

bool workers_submit(struct workers *w, struct worker_job *job)
{
    bool ok;

    pthread_mutex_lock(&w->lock);
    ok = !w->stopping && w->queued < WORKERS_QUEUE_MAX;
    if (ok) {
        job->next = NULL;
        if (w->tail != NULL)
            w->tail->next = job;
        else
            w->head = job;
        w->tail = job;
        w->queued++;
        pthread_cond_signal(&w->more);
    }
    pthread_mutex_unlock(&w->lock);
    return ok;
}

void workers_stop(struct workers *w)
{
    if (w == NULL || w->joined)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_broadcast(&w->more);
    pthread_mutex_unlock(&w->lock);
    for (int i = 0; i < w->n; i++)
        pthread_join(w->threads[i], NULL);
    w->joined = true;
}

void workers_free(struct workers *w)
{
    if (w == NULL)
        return;
    workers_stop(w);
    pthread_cond_destroy(&w->more);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
