/*
 * enquiries: enquiries over HTTP, a JSON edge over the queue service.
 *
 *   POST /api/v1/enquiries              visitor, no token: {channel_id, kind: call|chat, caller}
 *                                       -> 201 {enquiry, visitor_token}
 *   GET  /api/v1/pending[?limit=N][&before=<id>]
 *                                       staff: a page of the pending panel, newest first
 *                                       -> {pending: [...], total, more} (page.h)
 *   GET  /api/v1/enquiries/{id}         staff offered/answering it, or its visitor
 *   POST /api/v1/enquiries/{id}/answer  staff: 200 the enquiry room; 409 when another won
 *   POST /api/v1/enquiries/{id}/end     the answering staff member, or the visitor
 *   POST /api/v1/enquiries/{id}/close   the staff member who handled it: follow-up done
 *   GET  /api/v1/enquiries/{id}/messages   the room's chat (answering staff or visitor)
 *   POST /api/v1/enquiries/{id}/messages   {text} -> 201 the message, pushed to the other side
 *   POST /api/v1/enquiries/{id}/transfer   the answering staff member: {to_staff_id |
 *                                          to_group_id, mode: blind|consult} (R14)
 *   DELETE /api/v1/enquiries/{id}/transfer cancel a consult transfer still waiting
 *
 * Bearer tokens starting "v-" are visitor tokens (scoped to one enquiry);
 * others are staff tokens.
 */
#ifndef GW_ENQUIRIES_H
#define GW_ENQUIRIES_H
#include <jansson.h>
#include "enquiry.pb-c.h"
#include "http.h"

void gw_enquiries_create(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);
void gw_enquiries_pending(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);
/* The JSON of a page of the panel: {"pending":[items],"total":N,"more":bool}
 * (caller json_decref()s it; NULL without memory). Also the body of a
 * console's pending.resync push. rep is borrowed. */
json_t *gw_enquiries_panel(const Cc__PendingReply *rep);

void gw_enquiries_get(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);
void gw_enquiries_answer(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);
void gw_enquiries_end(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);
void gw_enquiries_close(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);
void gw_enquiries_messages(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);
void gw_enquiries_transfer(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);

#endif
