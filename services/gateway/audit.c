/* audit: GET /api/v1/audit. See audit.h. */
#include "audit.h"
#include "auth.h"
#include "calllog.pb-c.h"
#include "cc_pbjson.h"
#include "errors.h"

#include <jansson.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

bool gw_audit_limit(const char *s, size_t len, int *limit)
{
    int n = 0;

    if (s == NULL) {
        *limit = GW_AUDIT_LIMIT_DEFAULT;
        return true;
    }
    if (len == 0 || len > 4)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        n = n * 10 + (s[i] - '0');
    }
    if (n < 1 || n > GW_AUDIT_LIMIT_MAX)
        return false;
    *limit = n;
    return true;
}

/* One entry of the answer: the fact's id and time, then its change. NULL
 * when the event lacks its change. */
static json_t *entry(const Cc__Event *ev)
{
    json_t *o, *change;

    if (ev->body_case != CC__EVENT__BODY_DIR_CHANGE || ev->dir_change == NULL)
        return NULL;
    o = json_pack("{s:s,s:I}", "id", ev->id, "ts_ms", (json_int_t)ev->ts_ms);
    change = cc_pbjson_from_message(&ev->dir_change->base);
    json_object_update(o, change);
    json_decref(change);
    return o;
}

void gw_audit_list(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    const char *q = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "limit");
    Cc__AuditRequest a = CC__AUDIT_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    Cc__AuditReply *rep;
    char actor[80];
    int limit;

    if (!gw_auth_admin(ctx, req, r, actor))
        return;
    if (!gw_audit_limit(q, q != NULL ? strlen(q) : 0, &limit)) {
        gw_reply_error(r, 400, "invalid", "limit must be a whole number from 1 to 1000", "limit");
        return;
    }
    a.limit = limit;
    if (!gw_ask(ctx, "calllog", "cc.calllog.audit", &a.base, &cc__audit_reply__descriptor, &out, r))
        return;
    rep = (Cc__AuditReply *)out;
    if (!gw_error_reply(r, rep->error, "calllog")) {
        json_t *arr = json_array();
        char *text;
        bool whole = true;
        for (size_t i = 0; i < rep->n_events && whole; i++) {
            json_t *e = entry(rep->events[i]);
            whole = e != NULL;
            json_array_append_new(arr, e);
        }
        if (!whole) {
            json_decref(arr);
            text = NULL;
        } else {
            json_t *body = json_pack("{s:o}", "audit", arr); /* takes arr */
            text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
            json_decref(body);
        }
        if (!whole) {
            /* a stored fact without its change: calllog skips those */
            gw_error_malformed(r, "calllog", "cc.calllog.audit", "events[].dir_change");
        } else if (text == NULL) {
            gw_reply_error(r, 500, "internal", "out of memory", NULL);
        } else {
            gw_reply_json(r, 200, text);
        }
        free(text);
    }
    protobuf_c_message_free_unpacked(out, NULL);
}
