/* control: call controls for the staff member in a call. See control.h. */
#include "control.h"
#include "callcontrol.pb-c.h"
#include "calls.h"
#include "callstore.h"
#include "cc_error.h"
#include "cc_log.h"
#include "enquiry.pb-c.h"
#include "medialeg.h"

#include <stdio.h>
#include <string.h>

bool control_digits_valid(const char *digits, size_t len)
{
    if (len == 0 || len > CONTROL_DIGITS_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = digits[i];
        if (!((c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D')))
            return false;
    }
    return true;
}

/* Who is in the call and where its media is, from Redis. */
struct target {
    struct call c;         /* the call as it is now (owned) */
    char call_id[64];
    char staff[128];       /* the staff member in the call */
    char staff_leg[128];   /* the answered phone's leg, "" when none */
    bool bridged;          /* a phone's answered ring is the call's */
};

/* HMGET of key's fields into out[i] (each outlen bytes, "" when absent).
 * CC_ERR_NOT_FOUND when the first field is absent. */
static cc_status hmget(struct ingress *in, const char *key, int n, const char **fields,
                       char (*out)[128])
{
    const char *argv[8] = {"HMGET", key};
    redisReply *r;
    cc_status st;

    for (int i = 0; i < n && i < 6; i++)
        argv[2 + i] = fields[i];
    r = cc_redis_command(in->redis, 2 + n, argv, NULL);
    st = cc_redis_reply_status(r);
    if (st == CC_OK && (r->type != REDIS_REPLY_ARRAY || r->elements != (size_t)n))
        st = CC_ERR_UNAVAILABLE;
    for (int i = 0; st == CC_OK && i < n; i++) {
        const redisReply *e = r->element[i];
        snprintf(out[i], 128, "%s", e->type == REDIS_REPLY_STRING ? e->str : "");
    }
    if (st == CC_OK && r->element[0]->type != REDIS_REPLY_STRING)
        st = CC_ERR_NOT_FOUND;
    freeReplyObject(r);
    return st == CC_OK || st == CC_ERR_NOT_FOUND ? st : CC_ERR_UNAVAILABLE;
}

/* The enquiry has no call: none at all, someone else's, or no phone call. */
static cc_status no_call(struct ingress *in, const Cc__CallControlRequest *req, Cc__Error *err)
{
    char key[128], v[2][128];
    const char *f[2] = {"kind", "answered_by"};
    cc_status st;

    snprintf(key, sizeof(key), "cc:enq:%s", req->enquiry_id);
    st = hmget(in, key, 2, f, v);
    if (st == CC_ERR_NOT_FOUND)
        cc_error_set(err, st, "no such enquiry", NULL);
    else if (st != CC_OK)
        cc_error_set(err, CC_ERR_UNAVAILABLE, "the call cannot be read now", NULL);
    else if (strcmp(v[1], req->staff_id) != 0)
        cc_error_set(err, st = CC_ERR_DENIED, "only the staff member in the call controls it", NULL);
    else
        cc_error_set(err, st = CC_ERR_CONFLICT, "the enquiry is not a phone call", NULL);
    return st;
}

/* Finds the call of req's enquiry and checks that req's staff member is in
 * it, answered and bridged; err set when not. */
static cc_status find(struct ingress *in, const Cc__CallControlRequest *req, struct target *t,
                      Cc__Error *err)
{
    char key[128], v[3][128];
    const char *state;
    cc_status st = call_lookup(in, "enq", req->enquiry_id, t->call_id);

    if (st == CC_ERR_NOT_FOUND)
        return no_call(in, req, err);
    if (st == CC_OK)
        st = call_read(in, t->call_id, &t->c);
    if (st == CC_ERR_NOT_FOUND)
        return no_call(in, req, err);
    if (st != CC_OK) {
        cc_error_set(err, CC_ERR_UNAVAILABLE, "the call cannot be read now", NULL);
        return CC_ERR_UNAVAILABLE;
    }
    if (call_get(&t->c, "ring")[0] != '\0') {
        const char *f[3] = {"staff", "state", "leg_id"};
        snprintf(key, sizeof(key), "cc:ring:%s", call_get(&t->c, "ring"));
        st = hmget(in, key, 3, f, v);
        if (st == CC_OK) {
            snprintf(t->staff, sizeof(t->staff), "%s", v[0]);
            snprintf(t->staff_leg, sizeof(t->staff_leg), "%s", v[2]);
            t->bridged = strcmp(v[1], "answered") == 0 && v[2][0] != '\0';
        }
    } else {
        const char *f[1] = {"answered_by"};
        snprintf(key, sizeof(key), "cc:enq:%s", req->enquiry_id);
        st = hmget(in, key, 1, f, v);
        if (st == CC_OK)
            snprintf(t->staff, sizeof(t->staff), "%s", v[0]);
    }
    if (st == CC_ERR_UNAVAILABLE) {
        cc_error_set(err, st, "the call cannot be read now", NULL);
        return st;
    }
    if (t->staff[0] == '\0' || strcmp(t->staff, req->staff_id) != 0) {
        cc_error_set(err, CC_ERR_DENIED, "only the staff member in the call controls it", NULL);
        return CC_ERR_DENIED;
    }
    state = call_get(&t->c, "state");
    if (strcmp(state, "answered") != 0) {
        cc_error_set(err, CC_ERR_CONFLICT,
                     strcmp(state, "ended") == 0 ? "the call has ended" : "the call is not answered",
                     NULL);
        return CC_ERR_CONFLICT;
    }
    if (!t->bridged) {
        cc_error_set(err, CC_ERR_CONFLICT, "the call is not bridged to a staff phone", NULL);
        return CC_ERR_CONFLICT;
    }
    return CC_OK;
}

/* A media error as the reply's: a refusal (not bridged, a leg gone) is a
 * conflict with media's words; anything else "unavailable". */
static void media_error(Cc__Error *err, cc_status st, const char *why)
{
    if (st == CC_ERR_CONFLICT || st == CC_ERR_NOT_FOUND || st == CC_ERR_INVALID ||
        st == CC_ERR_LIMIT)
        cc_error_set(err, st == CC_ERR_NOT_FOUND ? CC_ERR_CONFLICT : st, why,
                     st == CC_ERR_INVALID ? "digits" : NULL);
    else
        cc_error_set(err, CC_ERR_UNAVAILABLE, "the call's media node did not answer", NULL);
}

/* Puts a recording's path on the enquiry (cc.queue.recording): once per
 * path, whichever replica or retry sends it. */
static cc_status on_enquiry(struct ingress *in, const char *enquiry_id, const char *path)
{
    Cc__RecordingRequest req = CC__RECORDING_REQUEST__INIT;
    Cc__RequestMeta meta = CC__REQUEST_META__INIT;
    char key[65], fp[65];
    ProtobufCMessage *rep = NULL;
    cc_status st;

    calls_key(key, "ingress:recording", path);
    calls_key(fp, enquiry_id, path);
    meta.key = key;
    meta.fingerprint = fp;
    req.enquiry_id = (char *)enquiry_id;
    req.path = (char *)path;
    req.meta = &meta;
    st = cc_bus_request(in->bus, "cc.queue.recording", &req.base, &cc__enquiry_reply__descriptor,
                        in->cfg->request_timeout_ms, &rep);
    if (st == CC_OK)
        st = cc_error_status(((Cc__EnquiryReply *)rep)->error);
    if (rep != NULL)
        protobuf_c_message_free_unpacked(rep, NULL);
    return st;
}

/* The control state kept in the call. */
struct cstate {
    bool held, muted, recording;
    char record_path[512];
};

static void state_of(const struct call *c, struct cstate *s)
{
    s->held = strcmp(call_get(c, "held"), "1") == 0;
    s->muted = strcmp(call_get(c, "muted"), "1") == 0;
    s->recording = strcmp(call_get(c, "recording"), "1") == 0;
    snprintf(s->record_path, sizeof(s->record_path), "%s", call_get(c, "record_path"));
}

/* Carries out req on t's media; *s the state after it. */
static cc_status act(struct ingress *in, const Cc__CallControlRequest *req, struct target *t,
                     struct cstate *s, Cc__Error *err)
{
    const char *node = call_get(&t->c, "node"), *caller = call_get(&t->c, "leg_id");
    struct media_leg_state m = {0};
    char why[256] = "";
    cc_status st = CC_OK;

    switch (req->action) {
    case CC__CALL_ACTION__CALL_ACTION_HOLD:
    case CC__CALL_ACTION__CALL_ACTION_RESUME:
        st = media_leg_cmd(in, node, req->action == CC__CALL_ACTION__CALL_ACTION_HOLD ? "hold"
                                                                                       : "unhold",
                           caller, &m, why, sizeof(why));
        s->held = m.held;
        break;
    case CC__CALL_ACTION__CALL_ACTION_MUTE:
    case CC__CALL_ACTION__CALL_ACTION_UNMUTE:
        st = media_leg_cmd(in, node, req->action == CC__CALL_ACTION__CALL_ACTION_MUTE ? "mute"
                                                                                       : "unmute",
                           t->staff_leg, &m, why, sizeof(why));
        s->muted = m.muted;
        break;
    case CC__CALL_ACTION__CALL_ACTION_DTMF:
        st = media_dtmf(in, node, caller, req->digits, why, sizeof(why));
        break;
    case CC__CALL_ACTION__CALL_ACTION_RECORD:
        if (req->on == s->recording)
            break; /* as asked already */
        st = media_leg_cmd(in, node, req->on ? "record_start" : "record_stop", caller, &m, why,
                           sizeof(why));
        if (st == CC_OK && m.record_path[0] != '\0')
            snprintf(s->record_path, sizeof(s->record_path), "%s", m.record_path);
        if (st == CC_OK && req->on &&
            on_enquiry(in, call_get(&t->c, "enquiry_id"), s->record_path) != CC_OK) {
            /* a recording nobody could find: not kept */
            media_leg_cmd(in, node, "record_stop", caller, NULL, why, sizeof(why));
            cc_error_set(err, CC_ERR_UNAVAILABLE, "the recording cannot be put on the enquiry now",
                         NULL);
            return CC_ERR_UNAVAILABLE;
        }
        if (st == CC_OK)
            s->recording = req->on;
        break;
    default:
        break;
    }
    if (st != CC_OK)
        media_error(err, st, why);
    return st;
}

/* Stores s in call id (still answered). */
static cc_status store(struct ingress *in, const char *id, const struct cstate *s,
                       Cc__Error *err)
{
    const char *f[8] = {"held",      s->held ? "1" : "0",      "muted",       s->muted ? "1" : "0",
                        "recording", s->recording ? "1" : "0", "record_path", s->record_path};
    struct call c = {0};
    char prev[16];
    cc_status st = call_set(in, id, "answered", "answered", false, 8, f, &c, prev);

    call_clear(&c);
    if (st == CC_ERR_CONFLICT || st == CC_ERR_NOT_FOUND)
        cc_error_set(err, st = CC_ERR_CONFLICT, "the call has ended", NULL);
    else if (st != CC_OK)
        cc_error_set(err, st = CC_ERR_UNAVAILABLE, "the call cannot be stored now", NULL);
    return st;
}

static const char *action_name(Cc__CallAction a)
{
    static const char *const names[] = {"", "hold", "resume", "mute", "unmute", "dtmf", "record"};
    return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "";
}

/* The request's own fields; err set when one is wrong. */
static bool valid(const Cc__CallControlRequest *req, Cc__Error *err)
{
    if (req->enquiry_id[0] == '\0')
        cc_error_set(err, CC_ERR_INVALID, "enquiry_id is required", "enquiry_id");
    else if (req->staff_id[0] == '\0')
        cc_error_set(err, CC_ERR_DENIED, "only the staff member in the call controls it", NULL);
    else if (action_name(req->action)[0] == '\0')
        cc_error_set(err, CC_ERR_INVALID,
                     "action is one of hold, resume, mute, unmute, dtmf, record", "action");
    else if (req->action == CC__CALL_ACTION__CALL_ACTION_DTMF &&
             !control_digits_valid(req->digits, strlen(req->digits)))
        cc_error_set(err, CC_ERR_INVALID, "digits are 1 to 32 of 0-9 * # A-D", "digits");
    return !cc_error_is_set(err);
}

static void on_control(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                       void *arg)
{
    struct ingress *in = arg;
    const Cc__CallControlRequest *req = (const Cc__CallControlRequest *)pb;
    Cc__CallControlReply rep = CC__CALL_CONTROL_REPLY__INIT;
    Cc__CallControlState out = CC__CALL_CONTROL_STATE__INIT;
    Cc__Error err = CC__ERROR__INIT;
    struct target t = {0};
    struct cstate s = {0};

    if (!valid(req, &err) || find(in, req, &t, &err) != CC_OK)
        goto reply;
    state_of(&t.c, &s);
    if (act(in, req, &t, &s, &err) != CC_OK || store(in, t.call_id, &s, &err) != CC_OK)
        goto reply;
    out.held = s.held;
    out.muted = s.muted;
    out.recording = s.recording;
    out.record_path = s.record_path;
    rep.state = &out;
    cc_log(CC_LOG_INFO, "call control", "call", t.call_id, "action", action_name(req->action),
           "staff", req->staff_id, NULL);
reply:
    if (cc_error_is_set(&err)) {
        rep.error = &err;
        cc_log(CC_LOG_DEBUG, "call control refused", "enquiry_id", req->enquiry_id, "action",
               action_name(req->action), "why", err.message, NULL);
    }
    cc_bus_reply(bus, m, &rep.base);
    call_clear(&t.c);
}

cc_status control_start(struct ingress *in)
{
    return cc_bus_subscribe_pb(in->bus, "cc.ingress.control", "ingress",
                               &cc__call_control_request__descriptor, on_control, in);
}
