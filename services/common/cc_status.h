/*
 * cc_status: the one error convention of the project.
 *
 * Every fallible function in services/common and in the services returns a
 * cc_status. Errors of the libraries we use (natsStatus, hiredis, libpq,
 * libmicrohttpd) are converted at the boundary, where the module that calls
 * the library also writes a human-readable detail into a caller buffer.
 */
#ifndef CC_STATUS_H
#define CC_STATUS_H

typedef enum {
    CC_OK = 0,
    CC_ERR_INVALID,     /* bad argument or bad input */
    CC_ERR_CONFIG,      /* a setting is missing or out of range */
    CC_ERR_NOMEM,       /* allocation failed */
    CC_ERR_IO,          /* system call failed */
    CC_ERR_TIMEOUT,     /* no answer in time */
    CC_ERR_UNAVAILABLE, /* a server (NATS, Redis, PostgreSQL) cannot be reached */
    CC_ERR_NATS,        /* NATS returned an error other than the above */
    CC_ERR_REDIS,       /* Redis returned an error reply */
    CC_ERR_PG,          /* PostgreSQL returned an error */
    CC_ERR_PROTO,       /* a protobuf message could not be packed or unpacked */
    CC_ERR_NOT_FOUND,   /* the thing asked for does not exist */
    CC_ERR_CONFLICT,    /* the state forbids the change (lost a race, wrong state) */
    CC_ERR_DENIED,      /* the caller may not do this */
    CC_ERR_LIMIT,       /* a stated maximum would be exceeded */
    CC_ERR_MISMATCH,    /* a retry (same idempotency key) with another request */
    /* too many requests of this kind from this client: retry later */
    CC_ERR_RATE_LIMITED,
    CC_STATUS_COUNT
} cc_status;

/* A short constant name for s ("CC_ERR_TIMEOUT"); never NULL, not to be freed. */
const char *cc_status_str(cc_status s);

#endif
