/* registry: media node registration in Redis. See registry.h. */
#include "registry.h"
#include "cc_log.h"
#include "cc_time.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct media_registry {
    struct cc_redis *redis;
    const struct cc_config *cfg;
    const atomic_int *sessions;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping; /* guarded by lock */
    int script;    /* id of register_lua in the Redis script cache */
};

/* One atomic Lua step so the hash and the index never disagree. */
static const char *const register_lua =
    "redis.call('HSET', KEYS[1], 'address', ARGV[1], 'port_min', ARGV[2], 'port_max', ARGV[3],"
    "  'sessions', ARGV[4], 'updated_at_ms', ARGV[5])\n"
    "redis.call('PEXPIRE', KEYS[1], ARGV[6])\n"
    "redis.call('ZADD', KEYS[2], ARGV[4], ARGV[7])\n"
    "return 1\n";

/* Writes the registration once (sessions = current load). */
static cc_status publish(struct media_registry *r)
{
    int sessions = atomic_load(r->sessions);
    const struct cc_config *cfg = r->cfg;
    char key[160], pmin[16], pmax[16], sess[16], now[24], ttl[16];
    const char *argv[9] = {key, "cc:media:nodes", cfg->media_addr, pmin, pmax, sess, now,
                           ttl, cfg->instance};
    redisReply *rep;
    cc_status st;

    snprintf(key, sizeof(key), "cc:media:node:%s", cfg->instance);
    snprintf(pmin, sizeof(pmin), "%d", cfg->media_port_min);
    snprintf(pmax, sizeof(pmax), "%d", cfg->media_port_max);
    snprintf(sess, sizeof(sess), "%d", sessions);
    snprintf(now, sizeof(now), "%lld", (long long)cc_wall_ms());
    snprintf(ttl, sizeof(ttl), "%d", MEDIA_REGISTRY_TTL_MS);
    rep = cc_redis_script_call(r->redis, r->script, 2, 9, argv, NULL);
    st = rep == NULL ? CC_ERR_UNAVAILABLE : (rep->type == REDIS_REPLY_ERROR ? CC_ERR_REDIS : CC_OK);
    freeReplyObject(rep);
    return st;
}

static void *refresh_loop(void *arg)
{
    struct media_registry *r = arg;
    bool was_ok = true;

    pthread_mutex_lock(&r->lock);
    while (!r->stopping) {
        struct timespec until;
        bool ok;

        pthread_mutex_unlock(&r->lock);
        ok = publish(r) == CC_OK;
        if (ok != was_ok)
            cc_log(ok ? CC_LOG_INFO : CC_LOG_WARN,
                   ok ? "media node registered again" : "media node registration failed", NULL);
        was_ok = ok;
        pthread_mutex_lock(&r->lock);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += MEDIA_REGISTRY_PERIOD_MS / 1000;
        while (!r->stopping && pthread_cond_timedwait(&r->wake, &r->lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

cc_status media_registry_start(struct media_registry **rp, struct cc_redis *redis,
                               const struct cc_config *cfg, const atomic_int *sessions)
{
    struct media_registry *r;
    char err[128];
    cc_status st;

    *rp = NULL;
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return CC_ERR_NOMEM;
    r->redis = redis;
    r->cfg = cfg;
    r->sessions = sessions;
    st = cc_redis_script_add(redis, register_lua, &r->script, err, sizeof(err));
    if (st == CC_OK)
        st = publish(r);
    if (st != CC_OK) {
        free(r);
        return st;
    }
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->wake, NULL);
    if (pthread_create(&r->thread, NULL, refresh_loop, r) != 0) {
        pthread_cond_destroy(&r->wake);
        pthread_mutex_destroy(&r->lock);
        free(r);
        return CC_ERR_IO;
    }
    *rp = r;
    return CC_OK;
}

void media_registry_stop(struct media_registry *r)
{
    char key[160];

    if (r == NULL)
        return;
    pthread_mutex_lock(&r->lock);
    r->stopping = true;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);

    snprintf(key, sizeof(key), "cc:media:node:%s", r->cfg->instance);
    {
        const char *del[] = {"DEL", key};
        const char *zrem[] = {"ZREM", "cc:media:nodes", r->cfg->instance};
        freeReplyObject(cc_redis_command(r->redis, 2, del, NULL));
        freeReplyObject(cc_redis_command(r->redis, 3, zrem, NULL));
    }
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
