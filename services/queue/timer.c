/* timer: the deadline, follow-up and idle-chat steps. See timer.h. */
#include "timer.h"
#include "step.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#define EVERY_MS 100
#define BATCH "100"

struct queue_timer {
    struct queue *q;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping; /* guarded by lock */
};

static void run_step(struct queue *q, enum queue_script s)
{
    const char *args[1] = {BATCH};
    redisReply *r = NULL;
    /* a failure (Redis down) is simply tried again on the next tick */
    (void)queue_step(q, s, NULL, 1, args, NULL, &r);
    freeReplyObject(r);
}

static void *run(void *arg)
{
    struct queue_timer *t = arg;

    pthread_mutex_lock(&t->lock);
    while (!t->stopping) {
        struct timespec until;
        pthread_mutex_unlock(&t->lock);
        run_step(t->q, Q_EXPIRE);
        run_step(t->q, Q_FOLLOWUPS);
        run_step(t->q, Q_IDLE);
        pthread_mutex_lock(&t->lock);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)EVERY_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        while (!t->stopping && pthread_cond_timedwait(&t->wake, &t->lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

cc_status queue_timer_start(struct queue_timer **tp, struct queue *q)
{
    struct queue_timer *t = calloc(1, sizeof(*t));

    *tp = NULL;
    if (t == NULL)
        return CC_ERR_NOMEM;
    t->q = q;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->wake, NULL);
    if (pthread_create(&t->thread, NULL, run, t) != 0) {
        pthread_cond_destroy(&t->wake);
        pthread_mutex_destroy(&t->lock);
        free(t);
        return CC_ERR_IO;
    }
    *tp = t;
    return CC_OK;
}

void queue_timer_free(struct queue_timer *t)
{
    if (t == NULL)
        return;
    pthread_mutex_lock(&t->lock);
    t->stopping = true;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->lock);
    free(t);
}
