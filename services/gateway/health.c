/* health: cached readiness and platform status. See health.h. */
#include "health.h"
#include "cc_discover.h"
#include "cc_redis.h"
#include "cc_time.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct gw_health {
    struct cc_bus *bus;
    struct cc_redis *redis;
    const struct cc_config *cfg;
    struct cc_discovery *disc; /* the refresher's scratch space (large) */
    pthread_t thread;
    bool started;

    pthread_mutex_t lock; /* guards everything below; held for copies only */
    pthread_cond_t wake;  /* signalled by gw_health_stop */
    bool stopping;
    bool checked;       /* a round has completed */
    int64_t checked_ms; /* monotonic time of the last round */
    char checked_at[32];
    bool nats_ok, redis_ok;
    int ready_status; /* 200 or 503 */
    char *ready_body;
    int status_status;
    char *status_body;
};

/* The platform view: {"ready","checked_at","services":[{"name","ready","instances"}],"missing"}. */
static json_t *describe(const struct cc_discovery *d, const char *checked_at)
{
    json_t *services = json_array(), *missing = json_array();
    char started[32];

    for (int s = 0; s < CC_SERVICE_COUNT; s++) {
        const char *name = cc_service_names[s];
        json_t *insts = json_array();
        size_t ready = 0;
        for (size_t i = 0; i < d->n; i++) {
            const struct cc_instance *in = &d->inst[i];
            if (strcmp(in->service, name) != 0)
                continue;
            ready += in->ready;
            cc_time_iso(started, sizeof(started), in->started_at_ms);
            json_array_append_new(insts, json_pack("{s:s,s:s,s:s,s:i,s:I,s:s,s:b,s:s}", "instance",
                                                   in->instance, "version", in->version, "host",
                                                   in->host, "pid", (int)in->pid, "uptime_ms",
                                                   (json_int_t)in->uptime_ms, "started_at", started,
                                                   "ready", in->ready, "detail", in->detail));
        }
        if (ready == 0)
            json_array_append_new(missing, json_string(name));
        json_array_append_new(services, json_pack("{s:s,s:I,s:o}", "name", name, "ready",
                                                  (json_int_t)ready, "instances", insts));
    }
    return json_pack("{s:b,s:s,s:o,s:o}", "ready", json_array_size(missing) == 0, "checked_at",
                     checked_at, "services", services, "missing", missing);
}

static char *dump(json_t *j)
{
    char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return text;
}

/*
 * One round: the checks, then both answers built and swapped in. Runs on
 * the refresher thread (and once on the starting thread), never on a
 * request's.
 *
 * What counts as a usable instance: for queue, a ready one (its ready flag
 * is its Redis, exactly what it needs to serve). For presence, one that
 * answers: its ready flag also covers PostgreSQL (the directory), which
 * staff tokens, presence changes and heartbeats do not need; with
 * PostgreSQL down only the directory API and new logins fail, and this
 * gateway still serves the rest. The Redis both keep their live state in
 * is checked here directly.
 */
static void refresh(struct gw_health *h)
{
    bool nats = natsConnection_Status(cc_bus_nats(h->bus)) == NATS_CONN_STATUS_CONNECTED;
    bool redis = cc_redis_ping(h->redis); /* may take seconds when Redis hangs: only we wait */
    char at[32];
    size_t queue = 0, presence = 0;
    cc_status st;
    json_t *missing = json_array();
    char *ready_body, *status_body;
    int ready_status, status_status;

    /* first, so that our own answer to the ping round below is current */
    pthread_mutex_lock(&h->lock);
    h->nats_ok = nats;
    h->redis_ok = redis;
    pthread_mutex_unlock(&h->lock);

    st = cc_discover(h->bus, h->cfg->instance, h->cfg->ping_timeout_ms, h->disc);
    if (st == CC_OK) {
        cc_discover_count(h->disc, "queue", &queue);             /* ready ones */
        presence = cc_discover_count(h->disc, "presence", NULL); /* answering ones */
    }
    cc_time_iso(at, sizeof(at), cc_wall_ms());
    if (!nats)
        json_array_append_new(missing, json_string("nats"));
    if (!redis)
        json_array_append_new(missing, json_string("redis"));
    if (queue == 0)
        json_array_append_new(missing, json_string("queue"));
    if (presence == 0)
        json_array_append_new(missing, json_string("presence"));
    ready_status = json_array_size(missing) == 0 ? 200 : 503;
    ready_body = dump(json_pack("{s:b,s:s,s:s,s:{s:b,s:b,s:I,s:I},s:o}", "ready",
                                ready_status == 200, "instance", h->cfg->instance, "checked_at", at,
                                "checks", "nats", nats, "redis", redis, "queue", (json_int_t)queue,
                                "presence", (json_int_t)presence, "missing", missing));
    if (st == CC_OK) {
        status_status = 200;
        status_body = dump(describe(h->disc, at));
    } else {
        status_status = 503;
        status_body = dump(json_pack("{s:{s:s,s:s},s:s}", "error", "code", "unavailable", "message",
                                     "cannot reach NATS", "checked_at", at));
    }

    pthread_mutex_lock(&h->lock);
    if (ready_body != NULL) { /* out of memory: keep the last answer (it goes stale) */
        free(h->ready_body);
        h->ready_body = ready_body;
        h->ready_status = ready_status;
        h->checked = true;
        h->checked_ms = cc_mono_ms();
        snprintf(h->checked_at, sizeof(h->checked_at), "%s", at);
    }
    if (status_body != NULL) {
        free(h->status_body);
        h->status_body = status_body;
        h->status_status = status_status;
    }
    pthread_mutex_unlock(&h->lock);
}

static void *refresher(void *arg)
{
    struct gw_health *h = arg;

    pthread_mutex_lock(&h->lock);
    while (!h->stopping) {
        struct timespec until;
        int64_t next = h->checked_ms + GW_HEALTH_EVERY_MS;
        clock_gettime(CLOCK_MONOTONIC, &until);
        /* sleep out the rest of the period (the round itself took some) */
        int64_t left = next - cc_mono_ms();
        if (left > 0) {
            until.tv_sec += left / 1000;
            until.tv_nsec += (left % 1000) * 1000000;
            if (until.tv_nsec >= 1000000000) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000;
            }
            if (pthread_cond_timedwait(&h->wake, &h->lock, &until) != ETIMEDOUT)
                continue; /* stopping, or spurious: look again */
        }
        pthread_mutex_unlock(&h->lock);
        refresh(h);
        pthread_mutex_lock(&h->lock);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

cc_status gw_health_new(struct gw_health **hp, struct cc_bus *bus, struct cc_redis *redis,
                        const struct cc_config *cfg)
{
    struct gw_health *h = calloc(1, sizeof(*h));
    pthread_condattr_t ca;

    *hp = NULL;
    if (h == NULL)
        return CC_ERR_NOMEM;
    h->disc = malloc(sizeof(*h->disc));
    if (h->disc == NULL) {
        free(h);
        return CC_ERR_NOMEM;
    }
    h->bus = bus;
    h->redis = redis;
    h->cfg = cfg;
    h->ready_status = h->status_status = 503;
    pthread_mutex_init(&h->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* the waits above are monotonic */
    pthread_cond_init(&h->wake, &ca);
    pthread_condattr_destroy(&ca);
    *hp = h;
    return CC_OK;
}

cc_status gw_health_start(struct gw_health *h, char *err, size_t errlen)
{
    refresh(h);
    if (pthread_create(&h->thread, NULL, refresher, h) != 0) {
        snprintf(err, errlen, "health: cannot start the refresher thread");
        return CC_ERR_IO;
    }
    h->started = true;
    return CC_OK;
}

void gw_health_stop(struct gw_health *h)
{
    if (h == NULL || !h->started)
        return;
    pthread_mutex_lock(&h->lock);
    h->stopping = true;
    pthread_cond_signal(&h->wake);
    pthread_mutex_unlock(&h->lock);
    pthread_join(h->thread, NULL);
    h->started = false;
}

void gw_health_free(struct gw_health *h)
{
    if (h == NULL)
        return;
    gw_health_stop(h);
    pthread_cond_destroy(&h->wake);
    pthread_mutex_destroy(&h->lock);
    free(h->ready_body);
    free(h->status_body);
    free(h->disc);
    free(h);
}

void gw_health_readyz(struct gw_health *h, int *status, char **body)
{
    int64_t age;
    char at[32];

    pthread_mutex_lock(&h->lock);
    age = cc_mono_ms() - h->checked_ms;
    snprintf(at, sizeof(at), "%s", h->checked_at);
    if (h->checked && age <= GW_HEALTH_STALE_MS) {
        *status = h->ready_status;
        *body = strdup(h->ready_body);
        pthread_mutex_unlock(&h->lock);
        return;
    }
    pthread_mutex_unlock(&h->lock);
    /* never checked, or the refresher is stuck: we cannot say we can serve */
    *status = 503;
    *body = dump(json_pack("{s:b,s:s,s:s,s:[s],s:s}", "ready", false, "instance", h->cfg->instance,
                           "checked_at", at, "missing", "health_check", "detail",
                           "no recent health check"));
}

void gw_health_status(struct gw_health *h, int *status, char **body)
{
    pthread_mutex_lock(&h->lock);
    *status = h->status_status;
    *body = h->status_body != NULL ? strdup(h->status_body) : NULL;
    pthread_mutex_unlock(&h->lock);
}

bool gw_health_self_ready(void *arg, char *detail, size_t len)
{
    struct gw_health *h = arg;
    bool nats, redis;

    pthread_mutex_lock(&h->lock);
    nats = h->nats_ok;
    redis = h->redis_ok;
    pthread_mutex_unlock(&h->lock);
    if (!redis)
        snprintf(detail, len, "redis unreachable");
    else if (!nats)
        snprintf(detail, len, "nats disconnected");
    return nats && redis;
}
