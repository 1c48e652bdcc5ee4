/*
 * callctl: call controls over HTTP (docs/api.md, "Call controls"), a JSON
 * edge over ingress (cc.ingress.control):
 *
 *   POST /api/v1/enquiries/{id}/call/{hold|resume|mute|unmute|dtmf|record}
 *        the staff member in the call; bodies in callbody.h
 *        -> 200 {held, muted, recording, record_path}
 *
 * A visitor token is 403; a body that does not fit the action 400 naming the
 * field; ingress's refusals map through errors.h (404 no such enquiry, 403
 * another staff member, 409 not a phone call, not answered, not bridged).
 */
#ifndef GW_CALLCTL_H
#define GW_CALLCTL_H
#include "http.h"

void gw_call_control(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);

#endif
