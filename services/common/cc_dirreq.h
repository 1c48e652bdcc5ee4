/* cc_dirreq: building directory requests, shared by the gateway and ccctl. */
#ifndef CC_DIRREQ_H
#define CC_DIRREQ_H
#include "directory.pb-c.h"

/* Puts m (a Group, Staff, Channel or VirtualNumber, as kind says) into req's
 * item oneof and sets req->kind. m stays owned by the caller. */
void cc_dirreq_set_item(Cc__DirRequest *req, Cc__DirKind kind, ProtobufCMessage *m);

#endif
