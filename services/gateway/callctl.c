/* callctl: JSON edge of cc.ingress.control. See callctl.h. */
#include "callctl.h"
#include "auth.h"
#include "callbody.h"
#include "callcontrol.pb-c.h"
#include "errors.h"
#include "idem.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static Cc__CallAction pb_action(enum gw_call_action a)
{
    switch (a) {
    case GW_CALL_HOLD:
        return CC__CALL_ACTION__CALL_ACTION_HOLD;
    case GW_CALL_RESUME:
        return CC__CALL_ACTION__CALL_ACTION_RESUME;
    case GW_CALL_MUTE:
        return CC__CALL_ACTION__CALL_ACTION_MUTE;
    case GW_CALL_UNMUTE:
        return CC__CALL_ACTION__CALL_ACTION_UNMUTE;
    case GW_CALL_DTMF:
        return CC__CALL_ACTION__CALL_ACTION_DTMF;
    case GW_CALL_RECORD:
        return CC__CALL_ACTION__CALL_ACTION_RECORD;
    default:
        return CC__CALL_ACTION__CALL_ACTION_UNSPECIFIED;
    }
}

static void reply_state(struct gw_reply *r, const Cc__CallControlState *s)
{
    json_t *j = json_pack("{s:b,s:b,s:b,s:s}", "held", s->held, "muted", s->muted, "recording",
                          s->recording, "record_path", s->record_path != NULL ? s->record_path : "");
    char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;

    if (text == NULL)
        gw_reply_error(r, 500, "internal", "out of memory", NULL);
    else
        gw_reply_json(r, 200, text);
    free(text);
    json_decref(j);
}

void gw_call_control(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    const char *slash = strrchr(req->path, '/');
    const char *name = slash != NULL ? slash + 1 : "", *message = NULL;
    struct gw_call_body body;
    struct gw_staff who;
    struct gw_idem idem;
    char field[64], actor[96];
    Cc__CallControlRequest cr = CC__CALL_CONTROL_REQUEST__INIT;
    ProtobufCMessage *out = NULL;

    if (req->bearer != NULL && strncmp(req->bearer, "v-", 2) == 0) {
        gw_reply_error(r, 403, "forbidden", "only the staff member in the call controls it", NULL);
        return;
    }
    if (!gw_auth_staff(ctx, req, r, &who))
        return;
    if (!gw_call_body_parse(gw_call_action_of(name, strlen(name)), req->body, req->len, &body,
                            field, &message)) {
        gw_reply_error(r, 400, "invalid", message, field);
        return;
    }
    snprintf(actor, sizeof(actor), "staff:%s", who.id);
    if (!gw_idem_meta(ctx, req, actor, &idem, r))
        return;
    cr.enquiry_id = (char *)req->param;
    cr.staff_id = who.id;
    cr.action = pb_action(body.action);
    cr.digits = body.digits;
    cr.on = body.on;
    cr.meta = &idem.meta;
    if (gw_ask(ctx, "ingress", "cc.ingress.control", &cr.base,
               &cc__call_control_reply__descriptor, &out, r)) {
        Cc__CallControlReply *rep = (Cc__CallControlReply *)out;
        if (gw_error_reply(r, rep->error, "ingress")) {
            /* r is the error */
        } else if (rep->state == NULL) {
            gw_error_malformed(r, "ingress", "cc.ingress.control", "state");
        } else {
            reply_state(r, rep->state);
        }
    }
    protobuf_c_message_free_unpacked(out, NULL);
}
