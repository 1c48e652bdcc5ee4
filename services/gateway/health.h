/*
 * health: what the probes answer, computed off the request path.
 *
 * A refresher thread, about once a second, checks what this gateway needs
 * to serve: its NATS connection (nats.c's own connection status), Redis
 * (PING), a ready queue instance and an answering presence instance (a
 * cc_discover ping round, CC_PING_TIMEOUT_MS; why presence need not be
 * "ready": health.c, refresh()). The same round gives the
 * whole platform's instance list. Both answers are kept as ready-made JSON;
 * a probe copies them under a mutex and never waits on the bus or on Redis,
 * so a slow round, a busy bus or many probe clients delay no probe.
 *
 * Only queue and presence make this gateway unready: every API request
 * needs one of them. PostgreSQL, calllog, media and ingress being down
 * shows in /api/v1/status (the platform view) but not in /readyz: the
 * gateway still serves what does not need them.
 */
#ifndef GW_HEALTH_H
#define GW_HEALTH_H
#include <stdbool.h>
#include <stddef.h>
#include "cc_bus.h"
#include "cc_config.h"

#define GW_HEALTH_EVERY_MS 1000
/* A cache older than this means the refresher is stuck: not ready. */
#define GW_HEALTH_STALE_MS 10000

struct cc_redis;
struct gw_health;

/* Allocates the cache (nothing checked yet, not ready). bus, redis and cfg
 * are borrowed until gw_health_free(). Caller frees with gw_health_free(). */
cc_status gw_health_new(struct gw_health **hp, struct cc_bus *bus, struct cc_redis *redis,
                        const struct cc_config *cfg);
/* Runs the first round now (so that the first probe has an answer), then
 * starts the refresher thread. */
cc_status gw_health_start(struct gw_health *h, char *err, size_t errlen);
/* Stops and joins the refresher (before the bus is drained). Accepts NULL. */
void gw_health_stop(struct gw_health *h);
/* After the bus is drained (the ping responder reads h). Accepts NULL. */
void gw_health_free(struct gw_health *h);

/* /readyz: 200 or 503 and the JSON body (heap, caller frees). */
void gw_health_readyz(struct gw_health *h, int *status, char **body);
/* /api/v1/status: the platform's instances (200), or 503 when the last
 * round could not reach NATS. Body on the heap, caller frees. */
void gw_health_status(struct gw_health *h, int *status, char **body);

/* A cc_ready_fn (cc_service.h) for this gateway's own ping reply: ready
 * when NATS and Redis were up at the last check. arg is the gw_health. */
bool gw_health_self_ready(void *arg, char *detail, size_t len);

#endif
