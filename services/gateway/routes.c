/*
 * routes: the route table. A "{id}" segment of a pattern matches one
 * non-empty path segment, handed to the handler as req->param. API paths
 * are tried first, then static files under /.
 */
#include "routes.h"
#include "audit.h"
#include "callctl.h"
#include "calls.h"
#include "directory.h"
#include "enquiries.h"
#include "staff.h"
#include "static.h"
#include "status.h"
#include "ws.h"

#include <string.h>

struct route {
    const char *methods; /* space-separated, e.g. "GET POST" */
    const char *pattern;
    gw_handler fn;
    bool memory_only; /* answers from memory: runs on the MHD thread */
};

/* BUS: the handler asks a service over the bus (runs on a worker);
 * MEMORY: it answers from memory (runs on the MHD thread). */
#define BUS false
#define MEMORY true

static const struct route routes[] = {
    {"GET", "/healthz", gw_status_healthz, MEMORY},
    {"GET", "/readyz", gw_status_readyz, MEMORY},
    {"GET", "/api/v1/status", gw_status_instances, MEMORY},
    {"POST", "/api/v1/login", gw_staff_login, BUS},
    {"POST", "/api/v1/logout", gw_staff_logout, BUS},
    {"GET", "/api/v1/me", gw_staff_me, BUS},
    {"PUT", "/api/v1/me/status", gw_staff_status, BUS},
    {"POST", "/api/v1/me/heartbeat", gw_staff_heartbeat, BUS},
    {"PUT", "/api/v1/me/activity", gw_staff_activity, BUS},
    {"GET", "/api/v1/ws", gw_ws_upgrade, BUS},
    {"POST", "/api/v1/enquiries", gw_enquiries_create, BUS},
    {"GET", "/api/v1/pending", gw_enquiries_pending, BUS},
    {"GET", "/api/v1/enquiries/{id}", gw_enquiries_get, BUS},
    {"POST", "/api/v1/enquiries/{id}/answer", gw_enquiries_answer, BUS},
    {"POST", "/api/v1/enquiries/{id}/end", gw_enquiries_end, BUS},
    {"POST", "/api/v1/enquiries/{id}/close", gw_enquiries_close, BUS},
    {"GET POST", "/api/v1/enquiries/{id}/messages", gw_enquiries_messages, BUS},
    {"POST DELETE", "/api/v1/enquiries/{id}/transfer", gw_enquiries_transfer, BUS},
    {"POST", "/api/v1/enquiries/{id}/call/hold", gw_call_control, BUS},
    {"POST", "/api/v1/enquiries/{id}/call/resume", gw_call_control, BUS},
    {"POST", "/api/v1/enquiries/{id}/call/mute", gw_call_control, BUS},
    {"POST", "/api/v1/enquiries/{id}/call/unmute", gw_call_control, BUS},
    {"POST", "/api/v1/enquiries/{id}/call/dtmf", gw_call_control, BUS},
    {"POST", "/api/v1/enquiries/{id}/call/record", gw_call_control, BUS},
    {"GET POST", "/api/v1/groups", gw_directory_collection, BUS},
    {"GET PUT DELETE", "/api/v1/groups/{id}", gw_directory_item, BUS},
    {"GET POST", "/api/v1/staff", gw_directory_collection, BUS},
    {"GET PUT DELETE", "/api/v1/staff/{id}", gw_directory_item, BUS},
    {"GET POST", "/api/v1/channels", gw_directory_collection, BUS},
    {"GET PUT DELETE", "/api/v1/channels/{id}", gw_directory_item, BUS},
    {"GET POST", "/api/v1/numbers", gw_directory_collection, BUS},
    {"GET PUT DELETE", "/api/v1/numbers/{id}", gw_directory_item, BUS},
    {"GET POST", "/api/v1/trunks", gw_directory_collection, BUS},
    {"GET PUT DELETE", "/api/v1/trunks/{id}", gw_directory_item, BUS},
    {"GET", "/api/v1/audit", gw_audit_list, BUS},
    {"POST", "/api/v1/calls", gw_calls_create, BUS},
    {"GET DELETE", "/api/v1/calls/{id}", gw_calls_item, BUS},
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

static void not_allowed(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    (void)ctx;
    (void)req;
    gw_reply_error(r, 405, "method_not_allowed", "method not allowed on this path", NULL);
}

static void no_endpoint(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    (void)ctx;
    (void)req;
    gw_reply_error(r, 404, "not_found", "no such endpoint", NULL);
}

static void static_file(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    gw_static_serve(ctx, req->path, r);
}

void gw_route_find(const char *method, const char *path, struct gw_route_match *m)
{
    bool path_known = false;

    m->uses_bus = false;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (!match(routes[i].pattern, path, m->param, sizeof(m->param)))
            continue;
        path_known = true;
        if (allows(routes[i].methods, method) ||
            (strcmp(method, "HEAD") == 0 && allows(routes[i].methods, "GET"))) {
            m->fn = routes[i].fn;
            m->uses_bus = !routes[i].memory_only;
            return;
        }
    }
    m->param[0] = '\0';
    if (path_known)
        m->fn = not_allowed;
    else if (strncmp(path, "/api/", 5) == 0)
        m->fn = no_endpoint;
    else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        m->fn = not_allowed;
    else
        m->fn = static_file;
}
