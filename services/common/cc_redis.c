/* cc_redis: mutex-guarded hiredis connection with reconnect and script cache. */
#include "cc_redis.h"
#include "cc_log.h"
#include "cc_retry.h"
#include "cc_url.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct script {
    char *lua;
    char sha[41];
};

struct cc_redis {
    pthread_mutex_t lock; /* guards everything below */
    redisContext *c;
    struct cc_url url;
    int db;
    size_t nscripts;
    struct script scripts[CC_REDIS_MAX_SCRIPTS];
};

/* Opens, authenticates and selects the database; on failure c is NULL. */
static cc_status open_locked(struct cc_redis *r, char *err, size_t errlen)
{
    struct timeval tv = {.tv_sec = 2, .tv_usec = 0};
    redisReply *rep;

    if (r->c != NULL) {
        redisFree(r->c);
        r->c = NULL;
    }
    r->c = redisConnectWithTimeout(r->url.host, r->url.port, tv);
    if (r->c == NULL || r->c->err) {
        snprintf(err, errlen, "cannot connect to Redis at %s:%d: %s", r->url.host, r->url.port,
                 r->c != NULL ? r->c->errstr : "out of memory");
        goto fail;
    }
    redisSetTimeout(r->c, tv);
    if (r->url.password[0] != '\0') {
        if (r->url.user[0] != '\0')
            rep = redisCommand(r->c, "AUTH %s %s", r->url.user, r->url.password);
        else
            rep = redisCommand(r->c, "AUTH %s", r->url.password);
        if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
            snprintf(err, errlen, "Redis AUTH failed: %s", rep != NULL ? rep->str : r->c->errstr);
            freeReplyObject(rep);
            goto fail;
        }
        freeReplyObject(rep);
    }
    if (r->db != 0) {
        rep = redisCommand(r->c, "SELECT %d", r->db);
        if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
            snprintf(err, errlen, "Redis SELECT %d failed: %s", r->db,
                     rep != NULL ? rep->str : r->c->errstr);
            freeReplyObject(rep);
            goto fail;
        }
        freeReplyObject(rep);
    }
    return CC_OK;
fail:
    if (r->c != NULL) {
        redisFree(r->c);
        r->c = NULL;
    }
    return CC_ERR_UNAVAILABLE;
}

static cc_status attempt_open(void *arg, char *err, size_t errlen)
{
    return open_locked(arg, err, errlen);
}

cc_status cc_redis_connect(struct cc_redis **rp, const char *url, int timeout_ms, char *err,
                           size_t errlen)
{
    struct cc_redis *r;
    char why[128];
    cc_status st;

    *rp = NULL;
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return CC_ERR_NOMEM;
    pthread_mutex_init(&r->lock, NULL);
    if (cc_url_parse(&r->url, url, strlen(url), why, sizeof(why)) != CC_OK) {
        snprintf(err, errlen, "bad Redis URL: %s", why);
        cc_redis_free(r);
        return CC_ERR_CONFIG;
    }
    if (r->url.port == 0)
        r->url.port = 6379;
    r->db = atoi(r->url.path);
    st = cc_retry(attempt_open, r, timeout_ms, "Redis", "CC_REDIS_URL, CC_CONNECT_TIMEOUT_MS", err,
                  errlen);
    if (st != CC_OK) {
        cc_redis_free(r);
        return st;
    }
    *rp = r;
    return CC_OK;
}

void cc_redis_free(struct cc_redis *r)
{
    if (r == NULL)
        return;
    if (r->c != NULL)
        redisFree(r->c);
    for (size_t i = 0; i < r->nscripts; i++)
        free(r->scripts[i].lua);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* Runs one command; on a connection error reconnects once and retries. */
static redisReply *command_locked(struct cc_redis *r, int argc, const char **argv,
                                  const size_t *argvlen)
{
    char err[256];

    for (int attempt = 0; attempt < 2; attempt++) {
        redisReply *rep;
        if (r->c == NULL && open_locked(r, err, sizeof(err)) != CC_OK)
            continue;
        rep = redisCommandArgv(r->c, argc, argv, argvlen);
        if (rep != NULL)
            return rep;
        cc_log(CC_LOG_WARN, "Redis connection lost, reconnecting", "error", r->c->errstr, NULL);
        redisFree(r->c);
        r->c = NULL;
    }
    return NULL;
}

static cc_status load_locked(struct cc_redis *r, struct script *s)
{
    const char *argv[] = {"SCRIPT", "LOAD", s->lua};
    redisReply *rep = command_locked(r, 3, argv, NULL);
    cc_status st = CC_ERR_UNAVAILABLE;

    if (rep != NULL && rep->type == REDIS_REPLY_STRING && rep->len == 40) {
        memcpy(s->sha, rep->str, 41);
        st = CC_OK;
    } else if (rep != NULL) {
        st = CC_ERR_REDIS;
    }
    freeReplyObject(rep);
    return st;
}

cc_status cc_redis_script_add(struct cc_redis *r, const char *lua, int *id, char *err,
                              size_t errlen)
{
    struct script *s;
    cc_status st;

    pthread_mutex_lock(&r->lock);
    if (r->nscripts >= CC_REDIS_MAX_SCRIPTS) {
        pthread_mutex_unlock(&r->lock);
        snprintf(err, errlen, "too many Redis scripts (max %d)", CC_REDIS_MAX_SCRIPTS);
        return CC_ERR_LIMIT;
    }
    s = &r->scripts[r->nscripts];
    s->lua = strdup(lua);
    if (s->lua == NULL) {
        pthread_mutex_unlock(&r->lock);
        return CC_ERR_NOMEM;
    }
    st = load_locked(r, s);
    if (st == CC_OK) {
        *id = (int)r->nscripts++;
    } else {
        free(s->lua);
        s->lua = NULL;
        snprintf(err, errlen, "Redis SCRIPT LOAD failed (%s)", cc_status_str(st));
    }
    pthread_mutex_unlock(&r->lock);
    return st;
}

redisReply *cc_redis_script_call(struct cc_redis *r, int id, int nkeys, int argc, const char **argv,
                                 const size_t *argvlen)
{
    const char **av;
    size_t *avlen;
    char nk[16];
    redisReply *rep = NULL;

    if (id < 0 || argc < 0 || nkeys > argc)
        return NULL;
    av = malloc(sizeof(*av) * (size_t)(argc + 3));
    avlen = malloc(sizeof(*avlen) * (size_t)(argc + 3));
    if (av == NULL || avlen == NULL)
        goto out_free;
    snprintf(nk, sizeof(nk), "%d", nkeys);
    pthread_mutex_lock(&r->lock);
    if ((size_t)id >= r->nscripts)
        goto out;
    av[0] = "EVALSHA";
    avlen[0] = 7;
    av[1] = r->scripts[id].sha;
    avlen[1] = 40;
    av[2] = nk;
    avlen[2] = strlen(nk);
    for (int i = 0; i < argc; i++) {
        av[i + 3] = argv[i];
        avlen[i + 3] = argvlen != NULL ? argvlen[i] : strlen(argv[i]);
    }
    rep = command_locked(r, argc + 3, av, avlen);
    if (rep != NULL && rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(rep);
        rep = NULL;
        if (load_locked(r, &r->scripts[id]) == CC_OK)
            rep = command_locked(r, argc + 3, av, avlen);
    }
out:
    pthread_mutex_unlock(&r->lock);
out_free:
    free(av);
    free(avlen);
    return rep;
}

redisReply *cc_redis_command(struct cc_redis *r, int argc, const char **argv, const size_t *argvlen)
{
    redisReply *rep;

    pthread_mutex_lock(&r->lock);
    rep = command_locked(r, argc, argv, argvlen);
    pthread_mutex_unlock(&r->lock);
    return rep;
}

bool cc_redis_ping(struct cc_redis *r)
{
    const char *argv[] = {"PING"};
    redisReply *rep = cc_redis_command(r, 1, argv, NULL);
    bool ok = rep != NULL && rep->type == REDIS_REPLY_STATUS && strcmp(rep->str, "PONG") == 0;
    freeReplyObject(rep);
    return ok;
}
