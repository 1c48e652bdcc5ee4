/*
 * registry: this media node announces itself in Redis so that ingress can
 * pick the least loaded node (DESIGN.md, "Scale by adding processes").
 *
 *   cc:media:node:<instance>  hash {address, port_min, port_max, sessions,
 *                             updated_at_ms}, expires after 15 s unless
 *                             refreshed; a crashed node vanishes by itself.
 *   cc:media:nodes            sorted set, member <instance>, score = sessions.
 *                             A member whose hash expired is stale; readers
 *                             skip it and remove it.
 *
 * A thread refreshes both every 5 s; stop removes them at once.
 */
#ifndef MEDIA_REGISTRY_H
#define MEDIA_REGISTRY_H
#include <stdatomic.h>
#include <stdbool.h>
#include "cc_config.h"
#include "cc_redis.h"

#define MEDIA_REGISTRY_TTL_MS 15000
#define MEDIA_REGISTRY_PERIOD_MS 5000

struct media_registry;

/* Registers now and starts the refresh thread. redis, cfg and sessions (the
 * node's legs, published as its load) are borrowed until
 * media_registry_stop returns. */
cc_status media_registry_start(struct media_registry **rp, struct cc_redis *redis,
                               const struct cc_config *cfg, const atomic_int *sessions);
/* Stops the thread, removes the registration, frees. Accepts NULL. */
void media_registry_stop(struct media_registry *r);

#endif
