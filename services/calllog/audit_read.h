/*
 * audit_read: reads of the directory's audit trail, the "directory.changed"
 * facts this service stored (presence appends one for every change of the
 * directory, naming who made it: proto/directory.proto, DirChange).
 *
 *   cc.calllog.audit (queue group "calllog"): AuditRequest {limit 1..1000}
 *   -> AuditReply {events: the latest changes, newest first}
 *
 * Threads: nats.c delivers the subscription's requests one at a time on its
 * own thread, the only user of the audit's PostgreSQL connection (its own:
 * the consumer thread owns the other).
 */
#ifndef CLOG_AUDIT_H
#define CLOG_AUDIT_H
#include "cc_bus.h"
#include "cc_config.h"

#define CLOG_AUDIT_SUBJECT "cc.calllog.audit"
#define CLOG_AUDIT_LIMIT_MAX 1000

struct clog_audit;

/* Connects its own PostgreSQL connection (retrying for
 * cfg->connect_timeout_ms) and subscribes. bus and cfg are borrowed until
 * clog_audit_free. */
cc_status clog_audit_start(struct clog_audit **ap, struct cc_bus *bus, const struct cc_config *cfg,
                           char *err, size_t errlen);
/* After the bus is drained (no request runs any more). Accepts NULL. */
void clog_audit_free(struct clog_audit *a);

#endif
