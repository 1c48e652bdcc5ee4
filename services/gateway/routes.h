/* routes: maps method + path to a handler; the one place that lists the API. */
#ifndef GW_ROUTES_H
#define GW_ROUTES_H
#include <stdbool.h>
#include "http.h"

#define GW_PARAM_MAX 128

/* What a request resolves to. Every request resolves to something: an
 * unknown API path to a 404 handler, a wrong method to a 405 one, anything
 * else outside /api/ to the static files. */
struct gw_route_match {
    gw_handler fn;
    /* fn may wait on the bus (a NATS request): it must run on a worker
     * thread, never on an MHD thread (http.c). The others answer from
     * memory or the local disk. */
    bool uses_bus;
    char param[GW_PARAM_MAX]; /* the {id} of the path, "" when none */
};

void gw_route_find(const char *method, const char *path, struct gw_route_match *m);

#endif
