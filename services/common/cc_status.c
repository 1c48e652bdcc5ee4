/* cc_status: names of the status codes, for logs and error replies. */
#include "cc_status.h"

static const char *const names[CC_STATUS_COUNT] = {
    [CC_OK] = "CC_OK",
    [CC_ERR_INVALID] = "CC_ERR_INVALID",
    [CC_ERR_CONFIG] = "CC_ERR_CONFIG",
    [CC_ERR_NOMEM] = "CC_ERR_NOMEM",
    [CC_ERR_IO] = "CC_ERR_IO",
    [CC_ERR_TIMEOUT] = "CC_ERR_TIMEOUT",
    [CC_ERR_UNAVAILABLE] = "CC_ERR_UNAVAILABLE",
    [CC_ERR_NATS] = "CC_ERR_NATS",
    [CC_ERR_REDIS] = "CC_ERR_REDIS",
    [CC_ERR_PG] = "CC_ERR_PG",
    [CC_ERR_PROTO] = "CC_ERR_PROTO",
    [CC_ERR_NOT_FOUND] = "CC_ERR_NOT_FOUND",
    [CC_ERR_CONFLICT] = "CC_ERR_CONFLICT",
    [CC_ERR_DENIED] = "CC_ERR_DENIED",
    [CC_ERR_LIMIT] = "CC_ERR_LIMIT",
    [CC_ERR_MISMATCH] = "CC_ERR_MISMATCH",
    [CC_ERR_RATE_LIMITED] = "CC_ERR_RATE_LIMITED",
};

const char *cc_status_str(cc_status s)
{
    if ((unsigned)s >= CC_STATUS_COUNT)
        return "CC_ERR_UNKNOWN";
    return names[s];
}
