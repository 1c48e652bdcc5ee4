/*
 * media: the media plane. This file wires the modules together:
 *
 *   registry   this node in Redis, with its load (registry.h)
 *   loops      packet loops, one per CC_MEDIA_THREADS, pinned (loop.h)
 *   recorder   the recording writer thread (recorder.h)
 *   events     media's events onto NATS (events.h)
 *   control    the NATS API (control.h)
 *
 * Stop order: requests refused, loops stopped (their recordings stopped),
 * the writer finalises every file, events published, then the bus drained.
 */
#include "cc_events.h"
#include "cc_log.h"
#include "cc_redis.h"
#include "cc_service.h"
#include "control.h"
#include "events.h"
#include "loop.h"
#include "ports.h"
#include "recorder.h"
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define RING_SLOTS 4096 /* per loop: 80 s of one recorded direction, 1.6 s of 50 */

struct media {
    struct media_loop **loops;
    struct rec_ring **rings;
    int n_loops;
    struct media_ports *ports;
    struct media_events *events;
    struct recorder *recorder;
    struct media_control *control;
    atomic_int legs;
};

static int start_plane(struct media *m, struct cc_service *svc)
{
    const struct cc_config *cfg = &svc->cfg;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    char err[256];

    if (media_ports_new(&m->ports, cfg->media_addr, cfg->media_port_min, cfg->media_port_max) !=
        CC_OK) {
        cc_log(CC_LOG_ERROR, "CC_MEDIA_PORT_MIN..CC_MEDIA_PORT_MAX holds no port pair", NULL);
        return CC_EXIT_CONFIG;
    }
    if (cc_events_ensure(svc->bus, cfg, err, sizeof(err)) != CC_OK) {
        cc_log(CC_LOG_ERROR, "cannot set up the event stream", "error", err, NULL);
        return CC_EXIT_UNAVAILABLE;
    }
    if (media_events_start(&m->events, svc->bus, cfg) != CC_OK)
        return CC_EXIT_FAIL;
    m->loops = calloc((size_t)cfg->media_threads, sizeof(*m->loops));
    m->rings = calloc((size_t)cfg->media_threads, sizeof(*m->rings));
    if (m->loops == NULL || m->rings == NULL)
        return CC_EXIT_FAIL;
    for (int i = 0; i < cfg->media_threads; i++) {
        struct media_loop_cfg lc = {.index = i,
                                    .cpu = cpus > 0 ? (int)(i % cpus) : -1,
                                    .timeout_s = cfg->media_timeout_s,
                                    .setup_timeout_s = cfg->media_setup_timeout_s,
                                    .ring_slots = RING_SLOTS};
        if (media_loop_start(&m->loops[i], &lc, m->events, err, sizeof(err)) != CC_OK) {
            cc_log(CC_LOG_ERROR, err, NULL);
            return CC_EXIT_FAIL;
        }
        m->rings[i] = media_loop_ring(m->loops[i]);
        m->n_loops++;
    }
    if (recorder_start(&m->recorder, m->rings, (size_t)m->n_loops, m->events) != CC_OK)
        return CC_EXIT_FAIL;
    if (media_control_start(&m->control, svc, m->loops, m->n_loops, m->ports, m->events,
                            &m->legs) != CC_OK) {
        cc_log(CC_LOG_ERROR, "cannot subscribe to the media requests", NULL);
        return CC_EXIT_FAIL;
    }
    return 0;
}

static void stop_plane(struct media *m)
{
    media_control_quiesce(m->control);
    for (int i = 0; i < m->n_loops; i++)
        media_loop_stop(m->loops[i]);
    recorder_stop(m->recorder);
    media_events_stop(m->events);
    for (int i = 0; i < m->n_loops; i++)
        media_loop_free(m->loops[i]);
    free(m->loops);
    free(m->rings);
    media_ports_free(m->ports);
}

int main(void)
{
    struct cc_service svc;
    struct cc_redis *redis = NULL;
    struct media_registry *registry = NULL;
    struct media m = {0};
    int rc = cc_service_init(&svc, "media");

    if (rc != 0)
        return rc;
    atomic_init(&m.legs, 0);
    rc = start_plane(&m, &svc);
    if (rc != 0)
        goto out;
    rc = cc_service_connect_redis(&svc, &redis);
    if (rc != 0)
        goto out;
    if (media_registry_start(&registry, redis, &svc.cfg, &m.legs) != CC_OK) {
        cc_log(CC_LOG_ERROR, "cannot register the media node in Redis", NULL);
        rc = CC_EXIT_UNAVAILABLE;
        goto out;
    }
    if (cc_service_serve_ping(&svc, cc_service_redis_ready, redis) != CC_OK) {
        cc_log(CC_LOG_ERROR, "cannot subscribe to ping", NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    cc_service_wait(&svc);
out:
    media_registry_stop(registry);
    stop_plane(&m);
    cc_service_stop(&svc);
    media_control_free(m.control);
    cc_redis_free(redis);
    return rc;
}
