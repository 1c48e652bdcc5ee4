/*
 * audit: the directory's audit trail over HTTP, a JSON edge over calllog's
 * cc.calllog.audit (the "directory.changed" facts it stored):
 *
 *   GET /api/v1/audit[?limit=N]   admin (CC_ADMIN_TOKEN or a staff member
 *                                 with role admin): the latest N changes
 *                                 (default 100, 1 to 1000), newest first:
 *   200 {"audit":[{"id","ts_ms","actor","op","kind","key","created",
 *                  "revoked_staff_id"}, ...]}
 *
 * 400 naming "limit" when it is not a whole number from 1 to 1000; 401, 403
 * as for the directory; 503 when calllog (or its PostgreSQL) cannot answer.
 */
#ifndef GW_AUDIT_H
#define GW_AUDIT_H
#include <stdbool.h>
#include <stddef.h>
#include "http.h"

#define GW_AUDIT_LIMIT_DEFAULT 100
#define GW_AUDIT_LIMIT_MAX 1000

/* The value of ?limit= (s, len bytes, not NUL-terminated; NULL when the
 * query has none: the default) into *limit. False when it is not 1 to 4
 * decimal digits making 1..GW_AUDIT_LIMIT_MAX. Pure. */
bool gw_audit_limit(const char *s, size_t len, int *limit);

void gw_audit_list(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);

#endif
