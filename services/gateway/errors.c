/* errors: bus Error -> HTTP. See errors.h. */
#include "errors.h"
#include "cc_error.h"
#include "cc_log.h"

#include <stdio.h>
#include <string.h>

/* Codes a client can act on. Everything else means "the platform could not
 * do it now" and is a 503. CC_ERR_LIMIT is a limit of the platform's own
 * (too many of something): 429 "limit". CC_ERR_RATE_LIMITED, a client over one
 * of the gateway's own admission limits (ratelimit.h; it also sets Retry-After):
 * 429 "rate_limited". CC_ERR_MISMATCH, a retry with an
 * Idempotency-Key used before for another request: 422. A body over the gateway's own
 * maximum is a 413 from http.c before any service is asked. */
static const struct {
    int status; /* 0: not in the table, a 503 */
    const char *api;
    const char *message; /* when the service gave none */
} table[CC_STATUS_COUNT] = {
    [CC_ERR_INVALID] = {400, "invalid", "invalid request"},
    [CC_ERR_DENIED] = {403, "forbidden", "not allowed"},
    [CC_ERR_NOT_FOUND] = {404, "not_found", "no such entry"},
    [CC_ERR_CONFLICT] = {409, "conflict", "the current state does not allow this"},
    [CC_ERR_LIMIT] = {429, "limit", "a limit was reached, try again later"},
    [CC_ERR_MISMATCH] = {422, "idempotency_key_reused",
                         "this Idempotency-Key was used with another request"},
    [CC_ERR_RATE_LIMITED] = {429, "rate_limited", "too many requests, try again later"},
};

int gw_error_status(cc_status st, const char **api_code)
{
    bool known = st > CC_OK && st < CC_STATUS_COUNT && table[st].status != 0;
    *api_code = known ? table[st].api : "unavailable";
    return known ? table[st].status : 503;
}

bool gw_error_reply(struct gw_reply *r, const Cc__Error *e, const char *service)
{
    cc_status st = cc_error_status(e);
    const char *api;
    int status;

    if (st == CC_OK)
        return false;
    status = gw_error_status(st, &api);
    if (status == 503) {
        char msg[128];
        /* the service's own text may name servers and keys: keep it in the log */
        cc_log(CC_LOG_WARN, "service error", "service", service, "code", cc_status_str(st),
               "message", e->message != NULL ? e->message : "", NULL);
        snprintf(msg, sizeof(msg), "%s is not available, try again", service);
        gw_reply_error(r, 503, "unavailable", msg, NULL);
        return true;
    }
    gw_reply_error(r, status, api,
                   e->message != NULL && e->message[0] != '\0' ? e->message : table[st].message,
                   e->field);
    return true;
}

void gw_error_malformed(struct gw_reply *r, const char *service, const char *subject,
                        const char *what)
{
    char msg[128];
    cc_log(CC_LOG_WARN, "incomplete reply", "service", service, "subject", subject, "missing", what,
           NULL);
    snprintf(msg, sizeof(msg), "%s gave an incomplete answer, try again", service);
    gw_reply_error(r, 503, "unavailable", msg, NULL);
}

bool gw_ask(struct gw_ctx *ctx, const char *service, const char *subject,
            const ProtobufCMessage *req, const ProtobufCMessageDescriptor *desc,
            ProtobufCMessage **out, struct gw_reply *r)
{
    char msg[128];

    *out = NULL;
    if (cc_bus_request(ctx->bus, subject, req, desc, ctx->cfg->request_timeout_ms, out) == CC_OK)
        return true;
    *out = NULL;
    snprintf(msg, sizeof(msg), "%s did not answer, try again", service);
    gw_reply_error(r, 503, "unavailable", msg, NULL);
    return false;
}
