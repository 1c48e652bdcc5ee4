/* recording: a call's recording on its enquiry. See recording.h. */
#include "recording.h"
#include "cc_error.h"
#include "cc_log.h"
#include "enquiry.pb-c.h"
#include "queue.h"
#include "step.h"

#include <string.h>

#define PATH_MAX_LEN 1024

/* The error of a step that gave no result word. */
static void step_error(Cc__Error *err, cc_status st)
{
    if (st == CC_ERR_MISMATCH)
        cc_error_set(err, st, "this request key was used with another request", NULL);
    else if (st == CC_ERR_TIMEOUT)
        cc_error_set(err, st, "the request arrived after its deadline", NULL);
    else
        cc_error_set(err, CC_ERR_UNAVAILABLE, "the queue is not available, try again", NULL);
}

void queue_on_recording(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                        void *arg)
{
    struct queue *q = arg;
    const Cc__RecordingRequest *req = (const Cc__RecordingRequest *)pb;
    Cc__EnquiryReply rep = CC__ENQUIRY_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;
    const char *args[2] = {req->enquiry_id, req->path};
    redisReply *r = NULL;
    const char *res;
    size_t plen = strlen(req->path);
    cc_status st;

    if (req->enquiry_id[0] == '\0') {
        cc_error_set(&err, CC_ERR_INVALID, "enquiry_id is required", "enquiry_id");
        goto reply;
    }
    if (plen == 0 || plen > PATH_MAX_LEN || memchr(req->path, '\n', plen) != NULL) {
        cc_error_set(&err, CC_ERR_INVALID, "path is 1-1024 bytes on one line", "path");
        goto reply;
    }
    st = queue_step(q, Q_RECORDING, req->meta, 2, args, NULL, &r);
    if (st != CC_OK) {
        step_error(&err, st);
        goto reply;
    }
    res = queue_step_result(r);
    if (strcmp(res, "not_found") == 0)
        cc_error_set(&err, CC_ERR_NOT_FOUND, "no such enquiry", "enquiry_id");
    else if (strcmp(res, "not_call") == 0)
        cc_error_set(&err, CC_ERR_CONFLICT, "the enquiry is not a call", "enquiry_id");
    else if (strcmp(res, "recorded") == 0)
        cc_log(CC_LOG_INFO, "recording on the enquiry", "enquiry_id", req->enquiry_id, "path",
               req->path, NULL);
reply:
    if (cc_error_is_set(&err))
        rep.error = &err;
    cc_bus_reply(bus, m, &rep.base);
    freeReplyObject(r);
}
