/*
 * cc_service: what every service process does the same way.
 *
 *   cc_service_init   blocks SIGTERM/SIGINT (so only the main thread sees
 *                     them), ignores SIGPIPE, loads the configuration (an
 *                     invalid setting -> one clear error line, exit 2), sets
 *                     up logging and connects the bus with retry.
 *   cc_service_serve_ping  answers cc.<service>.ping from every instance.
 *   cc_service_wait   sleeps until SIGTERM or SIGINT.
 *   cc_service_stop   drains the bus (handlers finish) and frees it.
 *
 * A service's main.c calls these in order around its own modules.
 */
#ifndef CC_SERVICE_H
#define CC_SERVICE_H
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include "cc_bus.h"
#include "cc_config.h"

#ifndef CC_VERSION
#define CC_VERSION "0.0.0-dev"
#endif


/* Exit codes: 0 clean stop, 1 runtime failure, 2 bad configuration, 3 a
 * required server could not be reached at start. */
enum { CC_EXIT_OK = 0, CC_EXIT_FAIL = 1, CC_EXIT_CONFIG = 2, CC_EXIT_UNAVAILABLE = 3 };

/* Called on a ping to fill ready/detail; runs on the bus thread. */
typedef bool (*cc_ready_fn)(void *arg, char *detail, size_t len);

struct cc_service {
    struct cc_config cfg;
    struct cc_bus *bus;
    int64_t started_mono_ms;
    int64_t started_wall_ms;
    char host[64];
    sigset_t stop_signals;
    cc_ready_fn ready;
    void *ready_arg;
};

/* On failure logs one error line and returns the process exit code (> 0);
 * returns 0 on success. */
int cc_service_init(struct cc_service *svc, const char *name);
/* Subscribes cc.<service>.ping (not in a queue group: every instance answers).
 * ready may be NULL (always ready). */
cc_status cc_service_serve_ping(struct cc_service *svc, cc_ready_fn ready, void *arg);
/* Blocks until SIGTERM or SIGINT; returns the signal number. */
int cc_service_wait(struct cc_service *svc);
/* Drains and frees the bus; logs the stop. */
void cc_service_stop(struct cc_service *svc);

/* "cc.<service>.<verb>" into buf. */
void cc_subject(char *buf, size_t len, const char *service, const char *verb);

struct cc_redis;
/* Connects svc->cfg.redis_url with the start-up retry budget; on failure logs
 * one error line and returns the exit code, else 0. */
int cc_service_connect_redis(struct cc_service *svc, struct cc_redis **rp);
/* A cc_ready_fn for services whose only dependency is Redis: arg is the
 * struct cc_redis *. */
bool cc_service_redis_ready(void *arg, char *detail, size_t len);
#endif
