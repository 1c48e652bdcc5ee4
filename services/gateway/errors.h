/*
 * errors: the one mapping from a bus Error (the Error message of every
 * reply, proto/common.proto) to an HTTP status and the JSON error code of
 * the API (docs/api.md). Every handler that forwards a service's error goes
 * through here, so one code means one status everywhere.
 *
 * Error.code is an ErrorCode, the number of the cc_status that failed
 * (cc_error.h); the table in errors.c is the only place that maps it.
 * Anything not in the table (UNAVAILABLE, TIMEOUT, REDIS, NATS, PG, a code
 * this build does not know) is a 503 "unavailable": the caller may retry,
 * and the service's internal message is not shown to it.
 *
 * The one exception is authentication: a credential that presence rejects
 * (CC_ERR_DENIED from login, auth, logout) is a 401, decided in auth.c.
 */
#ifndef GW_ERRORS_H
#define GW_ERRORS_H
#include <stdbool.h>
#include "cc_status.h"
#include "common.pb-c.h"
#include "http.h"

/* HTTP status and API code (never NULL) of a service's status. */
int gw_error_status(cc_status st, const char **api_code);

/* When e carries an error (a code but ERROR_NONE), fills r with it and returns
 * true; otherwise leaves r alone and returns false. service names who
 * answered ("queue", "presence") in the message of a 503. e is borrowed. */
bool gw_error_reply(struct gw_reply *r, const Cc__Error *e, const char *service);

/* r = 503 unavailable: service answered, but its reply lacks what must be
 * in it (what names the missing part, for the log). Never a crash: the
 * handler stops there. */
void gw_error_malformed(struct gw_reply *r, const char *service, const char *subject,
                        const char *what);

/* Sends req on subject and waits (CC_REQUEST_TIMEOUT_MS) for the reply,
 * unpacked as desc into *out (caller frees with
 * protobuf_c_message_free_unpacked). False when service did not answer: r
 * is then a 503 and *out NULL. Runs on a worker thread (http.h). */
bool gw_ask(struct gw_ctx *ctx, const char *service, const char *subject,
            const ProtobufCMessage *req, const ProtobufCMessageDescriptor *desc,
            ProtobufCMessage **out, struct gw_reply *r);

#endif
