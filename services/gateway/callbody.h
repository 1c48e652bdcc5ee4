/*
 * callbody: the action and body of POST /api/v1/enquiries/{id}/call/{action}
 * (docs/api.md, "Call controls").
 *
 *   hold, resume, mute, unmute   no body, or {}
 *   dtmf                         {"digits": "123#"}: 1 to 32 of 0-9 * # A-D
 *   record                       {"on": true | false}
 *
 * Any other key, a value of another type, or a body that is not a JSON
 * object is refused, naming the field. Pure: no I/O; unit-tested and fuzzed.
 */
#ifndef GW_CALLBODY_H
#define GW_CALLBODY_H
#include <stdbool.h>
#include <stddef.h>

#define GW_CALL_DIGITS_MAX 32

enum gw_call_action {
    GW_CALL_NONE = 0, /* not an action */
    GW_CALL_HOLD,
    GW_CALL_RESUME,
    GW_CALL_MUTE,
    GW_CALL_UNMUTE,
    GW_CALL_DTMF,
    GW_CALL_RECORD,
};

struct gw_call_body {
    enum gw_call_action action;
    char digits[GW_CALL_DIGITS_MAX + 1]; /* dtmf */
    bool on;                             /* record */
};

/* The action named by the last path segment (len bytes); GW_CALL_NONE when
 * none. */
enum gw_call_action gw_call_action_of(const char *name, size_t len);

/* Parses body (len bytes, not necessarily NUL-terminated) for action into
 * out. False with *field (the offending field: "body", "digits", "on" or
 * the unknown key; borrowed from a static table or from nothing that
 * outlives the call: copy it) and *message (static) when it is refused. */
bool gw_call_body_parse(enum gw_call_action action, const char *body, size_t len,
                        struct gw_call_body *out, char field[64], const char **message);

#endif
