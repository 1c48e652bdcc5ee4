/* routes: the route table. Exact paths first, then static files under /. */
#include "routes.h"
#include "static.h"
#include "status.h"

#include <string.h>

struct route {
    const char *method;
    const char *path;
    gw_handler fn;
};

static const struct route routes[] = {
    {"GET", "/healthz", gw_status_healthz},
    {"GET", "/readyz", gw_status_readyz},
    {"GET", "/api/v1/status", gw_status_instances},
};

void gw_route(struct gw_ctx *ctx, const char *method, const char *path, struct gw_reply *r)
{
    bool path_known = false;

    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strcmp(routes[i].path, path) != 0)
            continue;
        path_known = true;
        if (strcmp(routes[i].method, method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0)) {
            routes[i].fn(ctx, method, path, r);
            return;
        }
    }
    if (path_known) {
        gw_reply_error(r, 405, "method_not_allowed", "method not allowed on this path");
        return;
    }
    if (strncmp(path, "/api/", 5) == 0) {
        gw_reply_error(r, 404, "not_found", "no such endpoint");
        return;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        gw_reply_error(r, 405, "method_not_allowed", "method not allowed on this path");
        return;
    }
    gw_static_serve(ctx, path, r);
}
