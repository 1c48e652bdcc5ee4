/* cc_dirreq: see cc_dirreq.h. */
#include "cc_dirreq.h"

void cc_dirreq_set_item(Cc__DirRequest *req, Cc__DirKind kind, ProtobufCMessage *m)
{
    req->kind = kind;
    switch (kind) {
    case CC__DIR_KIND__DIR_KIND_GROUP:
        req->item_case = CC__DIR_REQUEST__ITEM_GROUP;
        req->group = (Cc__Group *)m;
        break;
    case CC__DIR_KIND__DIR_KIND_STAFF:
        req->item_case = CC__DIR_REQUEST__ITEM_STAFF;
        req->staff = (Cc__Staff *)m;
        break;
    case CC__DIR_KIND__DIR_KIND_CHANNEL:
        req->item_case = CC__DIR_REQUEST__ITEM_CHANNEL;
        req->channel = (Cc__Channel *)m;
        break;
    case CC__DIR_KIND__DIR_KIND_TRUNK:
        req->item_case = CC__DIR_REQUEST__ITEM_TRUNK;
        req->trunk = (Cc__DirTrunk *)m;
        break;
    default:
        req->item_case = CC__DIR_REQUEST__ITEM_NUMBER;
        req->number = (Cc__VirtualNumber *)m;
        break;
    }
}
