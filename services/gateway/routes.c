/*
 * routes: the route table. A "{id}" segment of a pattern matches one
 * non-empty path segment, handed to the handler as req->param. API paths
 * are tried first, then static files under /.
 */
#include "routes.h"
#include "directory.h"
#include "enquiries.h"
#include "staff.h"
#include "static.h"
#include "status.h"
#include "ws.h"

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
    {"PUT", "/api/v1/me/activity", gw_staff_activity},
    {"GET", "/api/v1/ws", gw_ws_upgrade},
    {"POST", "/api/v1/enquiries", gw_enquiries_create},
    {"GET", "/api/v1/pending", gw_enquiries_pending},
    {"GET", "/api/v1/enquiries/{id}", gw_enquiries_get},
    {"POST", "/api/v1/enquiries/{id}/answer", gw_enquiries_answer},
    {"POST", "/api/v1/enquiries/{id}/end", gw_enquiries_end},
    {"POST", "/api/v1/enquiries/{id}/close", gw_enquiries_close},
    {"GET POST", "/api/v1/enquiries/{id}/messages", gw_enquiries_messages},
    {"POST DELETE", "/api/v1/enquiries/{id}/transfer", gw_enquiries_transfer},
    {"GET POST", "/api/v1/groups", gw_directory_collection},
    {"GET PUT DELETE", "/api/v1/groups/{id}", gw_directory_item},
    {"GET POST", "/api/v1/staff", gw_directory_collection},
    {"GET PUT DELETE", "/api/v1/staff/{id}", gw_directory_item},
    {"GET POST", "/api/v1/channels", gw_directory_collection},
    {"GET PUT DELETE", "/api/v1/channels/{id}", gw_directory_item},
    {"GET POST", "/api/v1/numbers", gw_directory_collection},
    {"GET PUT DELETE", "/api/v1/numbers/{id}", gw_directory_item},
};

/* True when path matches pattern segment by segment; a "{id}" segment
 * matches any non-empty segment, which is copied into param. */
static bool match(const char *pattern, const char *path, char *param, size_t len)
{
    const char *p = pattern, *q = path;

    param[0] = '\0';
    while (*p != '\0' && *q != '\0') {
        const char *pe = strchr(p, '/') != NULL ? strchr(p, '/') : p + strlen(p);
        const char *qe = strchr(q, '/') != NULL ? strchr(q, '/') : q + strlen(q);
        size_t pn = (size_t)(pe - p), qn = (size_t)(qe - q);

        if (pn == 4 && memcmp(p, "{id}", 4) == 0) {
            if (qn == 0 || qn >= len)
                return false;
            memcpy(param, q, qn);
            param[qn] = '\0';
        } else if (pn != qn || memcmp(p, q, pn) != 0) {
            return false;
        }
        p = *pe == '/' ? pe + 1 : pe;
        q = *qe == '/' ? qe + 1 : qe;
        if ((*pe == '/') != (*qe == '/'))
            return false;
    }
    return *p == '\0' && *q == '\0';
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
