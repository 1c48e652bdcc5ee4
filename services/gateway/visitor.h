/*
 * visitor: what a visitor is shown. A visitor token opens one enquiry, and
 * its holder sees that enquiry's state and outcome and its chat; nothing of
 * the staff side: not the channel's custom info (R6, for the staff's call
 * screen), no staff or group id, not the transfer history.
 *
 * One function, an allowlist of keys per object (a field added to an
 * Enquiry or a ChatMessage later stays hidden from visitors until it is
 * added here), used for everything a visitor gets: the HTTP replies of
 * enquiries.c to a visitor token, the enquiry.* pushes to a visitor's socket
 * (ws.c) and enquiry.resync (resync.c). docs/api.md ("What a visitor sees")
 * lists the same keys.
 *
 * Pure: no I/O, no locks; unit-tested and fuzzed on its own.
 */
#ifndef GW_VISITOR_H
#define GW_VISITOR_H
#include <jansson.h>

/*
 * A new object (caller json_decref()s it): the visitor's view of obj, an
 * HTTP reply body or a push message. Kept, where obj has them:
 *
 *   the object  type, reason, ts_ms, visitor_token, enquiry, message, messages
 *   enquiry     id, kind, mode, state, channel_id, caller, created_at_ms,
 *               deadline_ms, answered_at_ms, ended_at_ms, end_reason, room_id
 *   message     id, enquiry_id, author, text, ts_ms; author "visitor" stays,
 *   (and each   any other ("staff:<id>") becomes "staff"
 *   of messages)
 *
 * Every other key is left out, and so is a kept key whose value is not of
 * its type (a string, an integer, an object, an array). NULL when obj is
 * not an object, or on no memory. obj is borrowed.
 */
json_t *gw_visitor_view(const json_t *obj);

#endif
