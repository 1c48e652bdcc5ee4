/*
 * dir_service: answers directory requests on cc.presence.dir (queue group
 * "presence", so replicas share them) with a DirReply; failures carry an
 * Error {code = cc_status name, message, field}.
 */
#ifndef DIR_SERVICE_H
#define DIR_SERVICE_H
#include "cc_bus.h"
#include "dir_store.h"

#define DIR_SUBJECT "cc.presence.dir"
#define DIR_QUEUE "presence"

/* store is borrowed until the bus is drained. */
cc_status dir_service_start(struct cc_bus *bus, struct dir_store *store);

#endif
