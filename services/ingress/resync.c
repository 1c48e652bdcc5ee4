/* resync: phones follow the stored offers. See resync.h. */
#include "resync.h"
#include "sip.h"
#include "work.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct resync {
    struct ingress *in;
    pthread_t thread;
    pthread_mutex_t lock; /* guards stopping, kicked */
    pthread_cond_t wake;
    bool stopping, kicked, started;
};

/* nats.c's thread: reconnected, so notifications may have been lost. */
static void kick(void *arg)
{
    struct resync *r = arg;

    pthread_mutex_lock(&r->lock);
    r->kicked = true;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
}

/* A waiting call: its enquiry's worker resyncs it when this replica holds
 * its INVITE; one no longer waiting (or gone) leaves the index. */
static void one(struct resync *r, const char *id)
{
    struct ingress *in = r->in;
    char key[128];
    const char *hm[5] = {"HMGET", key, "state", "instance", "enquiry_id"};
    redisReply *c;

    snprintf(key, sizeof(key), "cc:call:%s", id);
    c = cc_redis_command(in->redis, 5, hm, NULL);
    if (cc_redis_reply_status(c) != CC_OK || c->type != REDIS_REPLY_ARRAY || c->elements != 3) {
        freeReplyObject(c);
        return;
    }
    if (c->element[0]->type != REDIS_REPLY_STRING || strcmp(c->element[0]->str, "offering") != 0) {
        const char *zrem[3] = {"ZREM", "cc:call:offering", id};
        freeReplyObject(cc_redis_command(in->redis, 3, zrem, NULL));
    } else if (c->element[1]->type == REDIS_REPLY_STRING &&
               strcmp(c->element[1]->str, in->cfg->instance) == 0 &&
               c->element[2]->type == REDIS_REPLY_STRING && c->element[2]->str[0] != '\0') {
        struct sip_req *q = calloc(1, sizeof(*q));
        if (q != NULL) {
            q->kind = SIP_REQ_RESYNC;
            q->call_id = strdup(c->element[2]->str);
        }
        if (q == NULL || q->call_id == NULL || !work_post(in->work, q))
            sip_req_free(q);
    }
    freeReplyObject(c);
}

static void pass(struct resync *r)
{
    const char *argv[4] = {"ZRANGE", "cc:call:offering", "0", "-1"};
    redisReply *ids = cc_redis_command(r->in->redis, 4, argv, NULL);

    if (cc_redis_reply_status(ids) == CC_OK && ids->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < ids->elements; i++)
            if (ids->element[i]->type == REDIS_REPLY_STRING)
                one(r, ids->element[i]->str);
    freeReplyObject(ids);
}

static void *run(void *arg)
{
    struct resync *r = arg;

    pthread_mutex_lock(&r->lock);
    while (!r->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += RESYNC_EVERY_MS / 1000;
        until.tv_nsec += (long)(RESYNC_EVERY_MS % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!r->stopping && !r->kicked &&
               pthread_cond_timedwait(&r->wake, &r->lock, &until) == 0)
            ;
        if (r->stopping)
            break;
        r->kicked = false;
        pthread_mutex_unlock(&r->lock);
        pass(r); /* Redis and the workers' queues: never under the lock */
        pthread_mutex_lock(&r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

cc_status resync_start(struct resync **rp, struct ingress *in)
{
    struct resync *r = calloc(1, sizeof(*r));
    pthread_condattr_t ca;

    *rp = NULL;
    if (r == NULL)
        return CC_ERR_NOMEM;
    r->in = in;
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&r->thread, NULL, run, r) != 0) {
        resync_free(r);
        return CC_ERR_IO;
    }
    r->started = true;
    cc_bus_on_reconnect(in->bus, kick, r);
    *rp = r;
    return CC_OK;
}

void resync_stop(struct resync *r)
{
    if (r == NULL || !r->started)
        return;
    cc_bus_on_reconnect(r->in->bus, NULL, NULL);
    pthread_mutex_lock(&r->lock);
    r->stopping = true;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    r->started = false;
}

void resync_free(struct resync *r)
{
    if (r == NULL)
        return;
    resync_stop(r);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->wake);
    free(r);
}
