/* dir_service: NATS front of dir_store. */
#include "dir_service.h"
#include "cc_error.h"

static void on_request(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                       void *arg)
{
    struct dir_store *store = arg;
    Cc__DirReply rep = CC__DIR_REPLY__INIT;
    Cc__Error error = CC__ERROR__INIT;
    struct dir_invalid why;
    cc_status st = dir_store_handle(store, (Cc__DirRequest *)pb, &rep, &why);

    if (st != CC_OK) {
        cc_error_set(&error, st, why.message, why.field);
        rep.error = &error;
    }
    cc_bus_reply(bus, m, &rep.base);
    rep.error = NULL;
    dir_reply_clear(&rep);
}

cc_status dir_service_start(struct cc_bus *bus, struct dir_store *store)
{
    return cc_bus_subscribe_pb(bus, DIR_SUBJECT, DIR_QUEUE, &cc__dir_request__descriptor,
                               on_request, store);
}
