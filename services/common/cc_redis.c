/* cc_redis: a pool of hiredis connections, scripts by SHA. See cc_redis.h. */
#include "cc_redis.h"
#include "cc_log.h"
#include "cc_retry.h"
#include "cc_url.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct conn {
    redisContext *c; /* NULL = closed; opened by whoever has it checked out */
};

struct script {
    char *lua;
    char sha[41];
};

struct cc_redis {
    /* Guards idle, nidle and nscripts, and is never held across network
     * I/O: only while a connection is taken from or put back on the stack
     * and while a script is appended. */
    pthread_mutex_t lock;
    pthread_cond_t returned; /* a connection was checked in */
    struct cc_url url;       /* set at connect, then read-only */
    int db;
    int wait_ms;
    size_t size;
    struct conn *conns; /* size of them; each used only by its holder */
    struct conn **idle; /* stack of checked-in connections; the top is */
    size_t nidle;       /* the most recently used, most likely open */
    size_t nscripts;
    struct script scripts[CC_REDIS_MAX_SCRIPTS]; /* [0, nscripts) never change */
};

/* ---- one connection ----------------------------------------------------- */

static void conn_close(struct conn *cn)
{
    if (cn->c != NULL)
        redisFree(cn->c);
    cn->c = NULL;
}

/* Opens, authenticates and selects the database; on failure cn->c is NULL. */
static cc_status conn_open(const struct cc_redis *r, struct conn *cn, char *err, size_t errlen)
{
    struct timeval tv = {.tv_sec = r->wait_ms / 1000, .tv_usec = (r->wait_ms % 1000) * 1000};
    redisReply *rep;
    cc_status st = CC_ERR_UNAVAILABLE;

    conn_close(cn);
    cn->c = redisConnectWithTimeout(r->url.host, r->url.port, tv);
    if (cn->c == NULL || cn->c->err) {
        snprintf(err, errlen, "cannot connect to Redis at %s:%d: %s", r->url.host, r->url.port,
                 cn->c != NULL ? cn->c->errstr : "out of memory");
        goto fail;
    }
    if (redisSetTimeout(cn->c, tv) != REDIS_OK) {
        snprintf(err, errlen, "cannot set the Redis timeout: %s", cn->c->errstr);
        goto fail;
    }
    if (r->url.password[0] != '\0') {
        if (r->url.user[0] != '\0')
            rep = redisCommand(cn->c, "AUTH %s %s", r->url.user, r->url.password);
        else
            rep = redisCommand(cn->c, "AUTH %s", r->url.password);
        if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
            /* refused credentials are a setting to fix, not an outage to wait out */
            if (cc_redis_reply_status(rep) == CC_ERR_REDIS)
                st = CC_ERR_CONFIG;
            snprintf(err, errlen, "Redis refused the credentials of user \"%s\": %s",
                     r->url.user[0] != '\0' ? r->url.user : "default",
                     rep != NULL ? rep->str : cn->c->errstr);
            freeReplyObject(rep);
            goto fail;
        }
        freeReplyObject(rep);
    } else {
        /* no password given: say so at once if the server wants one (any
         * other answer, LOADING too, is for the commands to meet) */
        rep = redisCommand(cn->c, "PING");
        if (rep == NULL) {
            snprintf(err, errlen, "Redis did not answer: %s", cn->c->errstr);
            goto fail;
        }
        if (rep->type == REDIS_REPLY_ERROR && rep->str != NULL &&
            strncmp(rep->str, "NOAUTH", 6) == 0) {
            st = CC_ERR_CONFIG;
            snprintf(err, errlen,
                     "Redis requires a password: set CC_REDIS_USER and CC_REDIS_PASSWORD(_FILE) "
                     "or put them in CC_REDIS_URL (%s)",
                     rep->str);
            freeReplyObject(rep);
            goto fail;
        }
        freeReplyObject(rep);
    }
    if (r->db != 0) {
        rep = redisCommand(cn->c, "SELECT %d", r->db);
        if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
            snprintf(err, errlen, "Redis SELECT %d failed: %s", r->db,
                     rep != NULL ? rep->str : cn->c->errstr);
            freeReplyObject(rep);
            goto fail;
        }
        freeReplyObject(rep);
    }
    return CC_OK;
fail:
    conn_close(cn);
    return st;
}

/* An idle connection has nothing to read. If its socket is readable or hung
 * up, the server closed it (a restart, CLIENT KILL) or it is out of step:
 * known broken, so nothing written to it could have been run. */
static bool conn_known_broken(const struct conn *cn)
{
    struct pollfd p = {.fd = cn->c->fd, .events = POLLIN | POLLRDHUP};

    if (cn->c->err)
        return true;
    return poll(&p, 1, 0) != 0; /* ready, or poll failed: do not trust it */
}

/* Writes one command and reads its reply. *sent says whether every byte of
 * the command reached the socket: if not, Redis cannot have run it (it runs
 * only whole commands). */
static redisReply *roundtrip(redisContext *c, int argc, const char **argv, const size_t *argvlen,
                             bool *sent)
{
    void *reply = NULL;
    int done = 0;

    *sent = false;
    if (redisAppendCommandArgv(c, argc, argv, argvlen) != REDIS_OK)
        return NULL;
    while (!done)
        if (redisBufferWrite(c, &done) != REDIS_OK)
            return NULL;
    *sent = true;
    if (redisGetReply(c, &reply) != REDIS_OK)
        return NULL;
    return reply;
}

/* Runs one command on the checked-out cn, reconnecting it first when it is
 * known broken. A command not sent because the connection turned out broken
 * while writing is sent once more on a new connection; one that was sent and
 * got no reply is not (see cc_redis.h). */
static redisReply *conn_run(const struct cc_redis *r, struct conn *cn, int argc, const char **argv,
                            const size_t *argvlen)
{
    char err[256];

    for (int attempt = 0; attempt < 2; attempt++) {
        redisReply *rep;
        bool sent;

        if (cn->c != NULL && conn_known_broken(cn))
            conn_close(cn);
        if (cn->c == NULL && conn_open(r, cn, err, sizeof(err)) != CC_OK)
            return NULL;
        rep = roundtrip(cn->c, argc, argv, argvlen, &sent);
        if (rep != NULL)
            return rep;
        /* out of step with the server either way: never reuse it */
        cc_log(CC_LOG_WARN,
               sent ? "Redis did not answer, connection dropped (command not re-sent)"
                    : "Redis connection broken before the command was sent, reconnecting",
               "error", cn->c->errstr, NULL);
        conn_close(cn);
        if (sent)
            return NULL;
    }
    return NULL;
}

/* ---- the pool --------------------------------------------------------------- */

/* Takes an idle connection, waiting up to wait_ms; NULL when every one
 * stayed busy that long. */
static struct conn *checkout(struct cc_redis *r)
{
    struct conn *cn = NULL;
    struct timespec until;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += r->wait_ms / 1000;
    until.tv_nsec += (long)(r->wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&r->lock);
    while (r->nidle == 0)
        if (pthread_cond_timedwait(&r->returned, &r->lock, &until) == ETIMEDOUT)
            break;
    if (r->nidle > 0)
        cn = r->idle[--r->nidle];
    pthread_mutex_unlock(&r->lock);
    return cn;
}

static void checkin(struct cc_redis *r, struct conn *cn)
{
    pthread_mutex_lock(&r->lock);
    r->idle[r->nidle++] = cn;
    pthread_cond_signal(&r->returned);
    pthread_mutex_unlock(&r->lock);
}

static cc_status attempt_open(void *arg, char *err, size_t errlen)
{
    struct cc_redis *r = arg;
    return conn_open(r, &r->conns[0], err, errlen);
}

cc_status cc_redis_connect_pool(struct cc_redis **rp, const char *url, int pool_size, int wait_ms,
                                int retry_ms, char *err, size_t errlen)
{
    return cc_redis_connect_auth(rp, url, NULL, NULL, pool_size, wait_ms, retry_ms, err, errlen);
}

cc_status cc_redis_connect_auth(struct cc_redis **rp, const char *url, const char *user,
                                const char *password, int pool_size, int wait_ms, int retry_ms,
                                char *err, size_t errlen)
{
    struct cc_redis *r;
    pthread_condattr_t ca;
    char why[128];
    cc_status st;

    *rp = NULL;
    if (pool_size < 1 || pool_size > CC_REDIS_POOL_MAX) {
        snprintf(err, errlen, "Redis pool size %d is out of range (1 to %d)", pool_size,
                 CC_REDIS_POOL_MAX);
        return CC_ERR_CONFIG;
    }
    if (wait_ms <= 0) {
        snprintf(err, errlen, "Redis wait %d ms is not positive", wait_ms);
        return CC_ERR_CONFIG;
    }
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return CC_ERR_NOMEM;
    r->conns = calloc((size_t)pool_size, sizeof(*r->conns));
    r->idle = calloc((size_t)pool_size, sizeof(*r->idle));
    if (r->conns == NULL || r->idle == NULL) {
        free(r->conns);
        free(r->idle);
        free(r);
        return CC_ERR_NOMEM;
    }
    r->size = (size_t)pool_size;
    r->wait_ms = wait_ms;
    /* conns[0] (opened below) ends on top of the stack: used first */
    for (size_t i = 0; i < r->size; i++)
        r->idle[i] = &r->conns[r->size - 1 - i];
    r->nidle = r->size;
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* waits immune to clock steps */
    pthread_cond_init(&r->returned, &ca);
    pthread_condattr_destroy(&ca);
    if (cc_url_parse(&r->url, url, strlen(url), why, sizeof(why)) != CC_OK) {
        snprintf(err, errlen, "bad Redis URL: %s", why);
        cc_redis_free(r);
        return CC_ERR_CONFIG;
    }
    if (password != NULL && password[0] != '\0') {
        if (strlen(password) >= sizeof(r->url.password) ||
            (user != NULL && strlen(user) >= sizeof(r->url.user))) {
            snprintf(err, errlen, "Redis user or password too long");
            cc_redis_free(r);
            return CC_ERR_CONFIG;
        }
        snprintf(r->url.user, sizeof(r->url.user), "%s", user != NULL ? user : "");
        snprintf(r->url.password, sizeof(r->url.password), "%s", password);
    }
    if (r->url.port == 0)
        r->url.port = 6379;
    r->db = atoi(r->url.path);
    /* one connection now, so an unreachable or misconfigured Redis shows at
     * start; the others open when concurrency first needs them */
    st = cc_retry(attempt_open, r, retry_ms, "Redis", "CC_REDIS_URL, CC_CONNECT_TIMEOUT_MS", err,
                  errlen);
    if (st != CC_OK) {
        cc_redis_free(r);
        return st;
    }
    *rp = r;
    return CC_OK;
}

cc_status cc_redis_connect(struct cc_redis **rp, const char *url, int timeout_ms, char *err,
                           size_t errlen)
{
    return cc_redis_connect_pool(rp, url, CC_REDIS_POOL_DEFAULT, CC_REDIS_TIMEOUT_MS, timeout_ms,
                                 err, errlen);
}

void cc_redis_free(struct cc_redis *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->size; i++)
        conn_close(&r->conns[i]);
    for (size_t i = 0; i < r->nscripts; i++)
        free(r->scripts[i].lua);
    pthread_cond_destroy(&r->returned);
    pthread_mutex_destroy(&r->lock);
    free(r->conns);
    free(r->idle);
    free(r);
}

/* ---- commands and scripts -------------------------------------------------- */

redisReply *cc_redis_command(struct cc_redis *r, int argc, const char **argv, const size_t *argvlen)
{
    struct conn *cn = checkout(r);
    redisReply *rep;

    if (cn == NULL)
        return NULL;
    rep = conn_run(r, cn, argc, argv, argvlen);
    checkin(r, cn);
    return rep;
}

/* SCRIPT LOAD of lua on cn. Returns NULL when it loaded (sha filled), else
 * what Redis said instead (an error reply, or NULL with *failed set). */
static redisReply *load_on(const struct cc_redis *r, struct conn *cn, const char *lua, char sha[41],
                           bool *failed)
{
    const char *argv[] = {"SCRIPT", "LOAD", lua};
    redisReply *rep = conn_run(r, cn, 3, argv, NULL);

    *failed = true;
    if (rep != NULL && rep->type == REDIS_REPLY_STRING && rep->len == 40) {
        memcpy(sha, rep->str, 41);
        *failed = false;
        freeReplyObject(rep);
        return NULL;
    }
    if (rep != NULL && rep->type != REDIS_REPLY_ERROR) {
        freeReplyObject(rep); /* not what SCRIPT LOAD answers: treat as no answer */
        rep = NULL;
    }
    return rep;
}

cc_status cc_redis_script_add(struct cc_redis *r, const char *lua, int *id, char *err,
                              size_t errlen)
{
    struct conn *cn;
    struct script s = {0};
    redisReply *rep;
    bool failed;
    cc_status st;

    s.lua = strdup(lua);
    if (s.lua == NULL)
        return CC_ERR_NOMEM;
    cn = checkout(r);
    if (cn == NULL) {
        free(s.lua);
        snprintf(err, errlen, "Redis SCRIPT LOAD failed: no free connection");
        return CC_ERR_UNAVAILABLE;
    }
    rep = load_on(r, cn, s.lua, s.sha, &failed);
    checkin(r, cn);
    if (failed) {
        st = rep != NULL ? cc_redis_reply_status(rep) : CC_ERR_UNAVAILABLE;
        snprintf(err, errlen, "Redis SCRIPT LOAD failed (%s)%s%.160s", cc_status_str(st),
                 rep != NULL ? ": " : "", rep != NULL ? rep->str : "");
        freeReplyObject(rep);
        free(s.lua);
        return st;
    }
    pthread_mutex_lock(&r->lock);
    if (r->nscripts >= CC_REDIS_MAX_SCRIPTS) {
        pthread_mutex_unlock(&r->lock);
        free(s.lua);
        snprintf(err, errlen, "too many Redis scripts (max %d)", CC_REDIS_MAX_SCRIPTS);
        return CC_ERR_LIMIT;
    }
    r->scripts[r->nscripts] = s;
    *id = (int)r->nscripts++;
    pthread_mutex_unlock(&r->lock);
    return CC_OK;
}

static bool is_noscript(const redisReply *rep)
{
    return rep != NULL && rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "NOSCRIPT", 8) == 0;
}

redisReply *cc_redis_script_call(struct cc_redis *r, int id, int nkeys, int argc, const char **argv,
                                 const size_t *argvlen)
{
    const struct script *s = NULL;
    struct conn *cn;
    const char **av;
    size_t *avlen;
    char nk[16], sha[41];
    redisReply *rep = NULL;
    bool failed;

    if (id < 0 || argc < 0 || nkeys < 0 || nkeys > argc)
        return NULL;
    pthread_mutex_lock(&r->lock);
    if ((size_t)id < r->nscripts)
        s = &r->scripts[id]; /* immutable from here on */
    pthread_mutex_unlock(&r->lock);
    if (s == NULL)
        return NULL;
    av = malloc(sizeof(*av) * (size_t)(argc + 3));
    avlen = malloc(sizeof(*avlen) * (size_t)(argc + 3));
    if (av == NULL || avlen == NULL)
        goto out;
    snprintf(nk, sizeof(nk), "%d", nkeys);
    av[0] = "EVALSHA";
    avlen[0] = 7;
    av[1] = s->sha;
    avlen[1] = 40;
    av[2] = nk;
    avlen[2] = strlen(nk);
    for (int i = 0; i < argc; i++) {
        av[i + 3] = argv[i];
        avlen[i + 3] = argvlen != NULL ? argvlen[i] : strlen(argv[i]);
    }
    cn = checkout(r);
    if (cn == NULL)
        goto out;
    rep = conn_run(r, cn, argc + 3, av, avlen);
    if (is_noscript(rep)) {
        /* Redis forgot the script (restart, SCRIPT FLUSH) and so did not run
         * it: load it again and re-send. Its SHA cannot change. */
        freeReplyObject(rep);
        rep = load_on(r, cn, s->lua, sha, &failed);
        if (!failed)
            rep = conn_run(r, cn, argc + 3, av, avlen);
    }
    checkin(r, cn);
out:
    free(av);
    free(avlen);
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

/* ---- what a reply means -------------------------------------------------------- */

/* Error codes (the first word of an error reply) that mean "this server
 * cannot serve now, the same command later may succeed": loading its data
 * after a restart, stuck in a slow script, a replica without its master, a
 * cluster not settled, a replica that refuses writes during a failover. */
static const char *const transient[] = {
    "LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "READONLY", "CLUSTERDOWN",
};

cc_status cc_redis_reply_status(const redisReply *rep)
{
    static const char full[] = "ERR max number of clients reached";
    size_t word = 0;

    if (rep == NULL)
        return CC_ERR_UNAVAILABLE;
    if (rep->type != REDIS_REPLY_ERROR)
        return CC_OK;
    if (rep->str == NULL)
        return CC_ERR_REDIS;
    /* the code is the whole first word: BUSYKEY and BUSYGROUP are not BUSY */
    while (word < rep->len && rep->str[word] != ' ')
        word++;
    for (size_t i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
        if (word == strlen(transient[i]) && memcmp(rep->str, transient[i], word) == 0)
            return CC_ERR_UNAVAILABLE;
    /* refused as a client, not for the command: this server is full */
    if (rep->len >= sizeof(full) - 1 && memcmp(rep->str, full, sizeof(full) - 1) == 0)
        return CC_ERR_UNAVAILABLE;
    return CC_ERR_REDIS;
}
