/* status: /healthz, /readyz and /api/v1/status from a NATS ping round. */
#include "status.h"
#include "cc_discover.h"
#include "cc_time.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void gw_status_healthz(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    (void)ctx;
    (void)req;
    gw_reply_json(r, 200, "{\"status\":\"ok\",\"service\":\"gateway\"}");
}

/* Builds {"ready":bool,"services":[{"name","instances":[...],"ready":n}],"missing":[...]}. */
static json_t *describe(const struct cc_discovery *d)
{
    json_t *services = json_array(), *missing = json_array();
    char started[32];

    for (int s = 0; s < CC_SERVICE_COUNT; s++) {
        const char *name = cc_service_names[s];
        json_t *insts = json_array();
        size_t ready = 0;
        for (size_t i = 0; i < d->n; i++) {
            const struct cc_instance *in = &d->inst[i];
            if (strcmp(in->service, name) != 0)
                continue;
            ready += in->ready;
            cc_time_iso(started, sizeof(started), in->started_at_ms);
            json_array_append_new(insts, json_pack("{s:s,s:s,s:s,s:i,s:I,s:s,s:b,s:s}", "instance",
                                                   in->instance, "version", in->version, "host",
                                                   in->host, "pid", (int)in->pid, "uptime_ms",
                                                   (json_int_t)in->uptime_ms, "started_at", started,
                                                   "ready", in->ready, "detail", in->detail));
        }
        if (ready == 0)
            json_array_append_new(missing, json_string(name));
        json_array_append_new(services, json_pack("{s:s,s:I,s:o}", "name", name, "ready",
                                                  (json_int_t)ready, "instances", insts));
    }
    return json_pack("{s:b,s:o,s:o}", "ready", json_array_size(missing) == 0, "services", services,
                     "missing", missing);
}

static void reply_discovery(struct gw_ctx *ctx, struct gw_reply *r, bool readiness)
{
    struct cc_discovery *d = malloc(sizeof(*d));
    json_t *j;
    char *text;
    cc_status st;

    if (d == NULL) {
        gw_reply_error(r, 500, "internal", "out of memory", NULL);
        return;
    }
    st = cc_discover(ctx->bus, ctx->cfg->instance, ctx->cfg->ping_timeout_ms, d);
    if (st != CC_OK) {
        gw_reply_error(r, 503, "bus_unavailable", "cannot reach NATS", NULL);
        free(d);
        return;
    }
    j = describe(d);
    text = json_dumps(j, JSON_COMPACT);
    gw_reply_json(r, readiness && !cc_discover_all_ready(d) ? 503 : 200, text);
    free(text);
    json_decref(j);
    free(d);
}

void gw_status_readyz(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    reply_discovery(ctx, r, true);
}

void gw_status_instances(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    reply_discovery(ctx, r, false);
}
