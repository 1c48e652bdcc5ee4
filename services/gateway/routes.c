/*
 * routes: the route table. A pattern ending in "/{id}" matches one more
 * non-empty path segment, handed to the handler as req->param. Exact API
 * paths are tried first, then static files under /.
 */
#include "routes.h"
#include "directory.h"
#include "staff.h"
#include "static.h"
#include "status.h"

#include <string.h>

#define PARAM_MAX 128

struct route {
    const char *methods; /* space-separated, e.g. "GET POST" */
    const char *pattern;
    gw_handler fn;
};

static const struct route routes[] = {
    {"GET", "/healthz", gw_status_healthz},
    {"GET", "/readyz", gw_status_readyz},
    {"GET", "/api/v1/status", gw_status_instances},
    {"POST", "/api/v1/login", gw_staff_login},
    {"POST", "/api/v1/logout", gw_staff_logout},
    {"GET", "/api/v1/me", gw_staff_me},
    {"PUT", "/api/v1/me/status", gw_staff_status},
    {"POST", "/api/v1/me/heartbeat", gw_staff_heartbeat},
    {"GET POST", "/api/v1/groups", gw_directory_collection},
    {"GET PUT DELETE", "/api/v1/groups/{id}", gw_directory_item},
    {"GET POST", "/api/v1/staff", gw_directory_collection},
    {"GET PUT DELETE", "/api/v1/staff/{id}", gw_directory_item},
    {"GET POST", "/api/v1/channels", gw_directory_collection},
    {"GET PUT DELETE", "/api/v1/channels/{id}", gw_directory_item},
    {"GET POST", "/api/v1/numbers", gw_directory_collection},
    {"GET PUT DELETE", "/api/v1/numbers/{id}", gw_directory_item},
};

/* True when path matches pattern; the {id} segment is copied into param. */
static bool match(const char *pattern, const char *path, char *param, size_t len)
{
    const char *brace = strstr(pattern, "/{");
    size_t prefix;
    const char *seg;

    param[0] = '\0';
    if (brace == NULL)
        return strcmp(pattern, path) == 0;
    prefix = (size_t)(brace - pattern) + 1; /* through the '/' */
    if (strncmp(pattern, path, prefix) != 0)
        return false;
    seg = path + prefix;
    if (*seg == '\0' || strchr(seg, '/') != NULL || strlen(seg) >= len)
        return false;
    memcpy(param, seg, strlen(seg) + 1);
    return true;
}

static bool allows(const char *methods, const char *method)
{
    size_t n = strlen(method);
    for (const char *p = methods; (p = strstr(p, method)) != NULL; p += n)
        if ((p == methods || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
            return true;
    return false;
}

void gw_route(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    char param[PARAM_MAX];
    bool path_known = false;

    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        struct gw_request with_param = *req;
        if (!match(routes[i].pattern, req->path, param, sizeof(param)))
            continue;
        path_known = true;
        if (allows(routes[i].methods, req->method) ||
            (strcmp(req->method, "HEAD") == 0 && allows(routes[i].methods, "GET"))) {
            with_param.param = param[0] != '\0' ? param : NULL;
            routes[i].fn(ctx, &with_param, r);
            return;
        }
    }
    if (path_known) {
        gw_reply_error(r, 405, "method_not_allowed", "method not allowed on this path", NULL);
        return;
    }
    if (strncmp(req->path, "/api/", 5) == 0) {
        gw_reply_error(r, 404, "not_found", "no such endpoint", NULL);
        return;
    }
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        gw_reply_error(r, 405, "method_not_allowed", "method not allowed on this path", NULL);
        return;
    }
    gw_static_serve(ctx, req->path, r);
}
