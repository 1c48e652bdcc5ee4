/*
 * idem: the Idempotency-Key of a POST (docs/api.md), as the RequestMeta the
 * queue's Lua step records its result under.
 *
 * The key is scoped to who asks (a staff member, a visitor token, or an
 * anonymous client on that path), so one client's key never returns
 * another's result; the fingerprint is of the method, path and body, so the
 * same key with another request is refused (422). Every request also gets a
 * deadline (now + CC_REQUEST_TIMEOUT_MS): one that reaches the queue after
 * the gateway has answered 503 is not carried out.
 */
#ifndef GW_IDEM_H
#define GW_IDEM_H
#include "common.pb-c.h"
#include "http.h"

#define GW_IDEM_KEY_MAX 255

struct gw_idem {
    Cc__RequestMeta meta;
    char key[65];
    char fingerprint[65];
};

/* Fills m for req on behalf of actor ("staff:<id>", "visitor:<token>", or
 * "" for anonymous). False (r set to 400 naming Idempotency-Key) when the
 * header is malformed: 1 to 255 visible ASCII characters. */
bool gw_idem_meta(struct gw_ctx *ctx, const struct gw_request *req, const char *actor,
                  struct gw_idem *m, struct gw_reply *r);

/* Sets m's deadline to CC_REQUEST_TIMEOUT_MS from now again: for a handler
 * that waited on something else (a rate check in Redis) between
 * gw_idem_meta and sending the request. */
void gw_idem_deadline(struct gw_ctx *ctx, struct gw_idem *m);

#endif
