/*
 * cc_discover: which service instances are alive, as seen over NATS.
 *
 * Pings cc.<service>.ping of every known service with one reply inbox and
 * collects the PingReply of every instance that answers within the window.
 * Used by the gateway (/readyz, /api/v1/status) and by `ccctl status`.
 */
#ifndef CC_DISCOVER_H
#define CC_DISCOVER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cc_bus.h"

#define CC_SERVICE_COUNT 6
/* The six services, in the order they are shown. */
extern const char *const cc_service_names[CC_SERVICE_COUNT];

struct cc_instance {
    char service[32];
    char instance[96];
    char version[64];
    char host[64];
    char detail[256];
    int64_t uptime_ms;
    int64_t started_at_ms;
    int32_t pid;
    bool ready;
};

#define CC_DISCOVER_MAX 256

struct cc_discovery {
    size_t n;
    struct cc_instance inst[CC_DISCOVER_MAX]; /* sorted by service order, then instance */
};

/* Fills d with every instance that answered within timeout_ms. from names the
 * asker in the ping (for the services' logs). */
cc_status cc_discover(struct cc_bus *bus, const char *from, int timeout_ms, struct cc_discovery *d);
/* Instances of service that answered, and how many of them are ready. */
size_t cc_discover_count(const struct cc_discovery *d, const char *service, size_t *ready);
/* True when every service has at least one ready instance. */
bool cc_discover_all_ready(const struct cc_discovery *d);

#endif
