/* cc_service: process life cycle shared by all services. See cc_service.h. */
#include "cc_service.h"
#include "cc_log.h"
#include "cc_time.h"
#include "cc_redis.h"
#include "cc_url.h"
#include "common.pb-c.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void cc_subject(char *buf, size_t len, const char *service, const char *verb)
{
    snprintf(buf, len, "cc.%s.%s", service, verb);
}

int cc_service_init(struct cc_service *svc, const char *name)
{
    char err[512];
    cc_status st;

    memset(svc, 0, sizeof(*svc));
    svc->started_mono_ms = cc_mono_ms();
    svc->started_wall_ms = cc_wall_ms();
    gethostname(svc->host, sizeof(svc->host) - 1);

    /* Before any thread exists: threads inherit the mask, so only
     * cc_service_wait (sigwait) ever receives these. */
    sigemptyset(&svc->stop_signals);
    sigaddset(&svc->stop_signals, SIGTERM);
    sigaddset(&svc->stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &svc->stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    st = cc_config_load(&svc->cfg, name, err, sizeof(err));
    if (st != CC_OK) {
        cc_log_setup(name, "-", CC_LOG_INFO);
        cc_log(CC_LOG_ERROR, "invalid configuration, not starting", "error", err, NULL);
        return CC_EXIT_CONFIG;
    }
    cc_log_setup(name, svc->cfg.instance, svc->cfg.log_level);
    {
        /* a URL may carry a password: never log it */
        char nats[512];
        cc_url_redact(nats, sizeof(nats), svc->cfg.nats_url, strlen(svc->cfg.nats_url));
        cc_log(CC_LOG_INFO, "starting", "version", CC_VERSION, "nats", nats, "nats_user",
               svc->cfg.nats_user, "redis_user", svc->cfg.redis_user, NULL);
    }

    if (nats_Open(-1) != NATS_OK) {
        cc_log(CC_LOG_ERROR, "cannot initialise the NATS library", NULL);
        return CC_EXIT_FAIL;
    }
    st = cc_bus_connect(&svc->bus, &svc->cfg, err, sizeof(err));
    if (st != CC_OK) {
        cc_log(CC_LOG_ERROR, "not starting", "error", err, NULL);
        nats_Close();
        if (st == CC_ERR_CONFIG) /* refused credentials */
            return CC_EXIT_CONFIG;
        return st == CC_ERR_UNAVAILABLE ? CC_EXIT_UNAVAILABLE : CC_EXIT_FAIL;
    }
    return 0;
}

static void on_ping(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb, void *arg)
{
    struct cc_service *svc = arg;
    Cc__PingReply rep = CC__PING_REPLY__INIT;
    char detail[256] = "";
    (void)pb;

    rep.service = svc->cfg.service;
    rep.version = CC_VERSION;
    rep.instance = svc->cfg.instance;
    rep.uptime_ms = cc_mono_ms() - svc->started_mono_ms;
    rep.started_at_ms = svc->started_wall_ms;
    rep.host = svc->host;
    rep.pid = (int32_t)getpid();
    rep.ready = svc->ready != NULL ? svc->ready(svc->ready_arg, detail, sizeof(detail)) : true;
    rep.detail = detail;
    cc_bus_reply(bus, m, &rep.base);
}

cc_status cc_service_serve_ping(struct cc_service *svc, cc_ready_fn ready, void *arg)
{
    char subject[64];

    svc->ready = ready;
    svc->ready_arg = arg;
    cc_subject(subject, sizeof(subject), svc->cfg.service, "ping");
    return cc_bus_subscribe_pb(svc->bus, subject, NULL, &cc__ping_request__descriptor, on_ping,
                               svc);
}

int cc_service_wait(struct cc_service *svc)
{
    int sig = 0;

    cc_log(CC_LOG_INFO, "ready", NULL);
    while (sigwait(&svc->stop_signals, &sig) != 0)
        ;
    cc_log(CC_LOG_INFO, "stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
    return sig;
}

void cc_service_stop(struct cc_service *svc)
{
    cc_status st = cc_bus_drain(svc->bus, 5000);
    if (st != CC_OK)
        cc_log(CC_LOG_WARN, "bus drain incomplete", "status", cc_status_str(st), NULL);
    cc_bus_free(svc->bus);
    svc->bus = NULL;
    nats_CloseAndWait(2000);
    cc_log(CC_LOG_INFO, "stopped", NULL);
}

int cc_service_connect_redis(struct cc_service *svc, struct cc_redis **rp)
{
    char err[512];
    cc_status st = cc_redis_connect_auth(rp, svc->cfg.redis_url, svc->cfg.redis_user,
                                         svc->cfg.redis_password, svc->cfg.redis_pool,
                                         CC_REDIS_TIMEOUT_MS, svc->cfg.connect_timeout_ms, err,
                                         sizeof(err));
    if (st == CC_OK)
        return 0;
    cc_log(CC_LOG_ERROR, "not starting", "error", err, NULL);
    return st == CC_ERR_CONFIG ? CC_EXIT_CONFIG : CC_EXIT_UNAVAILABLE;
}

bool cc_service_redis_ready(void *arg, char *detail, size_t len)
{
    if (cc_redis_ping(arg))
        return true;
    snprintf(detail, len, "redis unreachable");
    return false;
}
