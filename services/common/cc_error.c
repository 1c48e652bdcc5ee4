/* cc_error: bus Error <-> cc_status. See cc_error.h. */
#include "cc_error.h"

#define SAME(st, code) _Static_assert((int)(st) == (int)CC__ERROR_CODE__##code, #code " != " #st)
SAME(CC_OK, ERROR_NONE);
SAME(CC_ERR_INVALID, ERR_INVALID);
SAME(CC_ERR_CONFIG, ERR_CONFIG);
SAME(CC_ERR_NOMEM, ERR_NOMEM);
SAME(CC_ERR_IO, ERR_IO);
SAME(CC_ERR_TIMEOUT, ERR_TIMEOUT);
SAME(CC_ERR_UNAVAILABLE, ERR_UNAVAILABLE);
SAME(CC_ERR_NATS, ERR_NATS);
SAME(CC_ERR_REDIS, ERR_REDIS);
SAME(CC_ERR_PG, ERR_PG);
SAME(CC_ERR_PROTO, ERR_PROTO);
SAME(CC_ERR_NOT_FOUND, ERR_NOT_FOUND);
SAME(CC_ERR_CONFLICT, ERR_CONFLICT);
SAME(CC_ERR_DENIED, ERR_DENIED);
SAME(CC_ERR_LIMIT, ERR_LIMIT);
SAME(CC_ERR_MISMATCH, ERR_MISMATCH);
SAME(CC_ERR_RATE_LIMITED, ERR_RATE_LIMITED);
_Static_assert(CC_STATUS_COUNT == CC__ERROR_CODE__ERR_RATE_LIMITED + 1, "a cc_status without an ErrorCode");

void cc_error_set(Cc__Error *e, cc_status st, const char *message, const char *field)
{
    e->code = (Cc__ErrorCode)st;
    e->message = (char *)(message != NULL ? message : "");
    e->field = (char *)(field != NULL ? field : "");
}

bool cc_error_is_set(const Cc__Error *e)
{
    return e != NULL && e->code != CC__ERROR_CODE__ERROR_NONE;
}

cc_status cc_error_status(const Cc__Error *e)
{
    if (!cc_error_is_set(e))
        return CC_OK;
    if ((int)e->code < 0 || (int)e->code >= CC_STATUS_COUNT)
        return CC_ERR_PROTO;
    return (cc_status)e->code;
}
