/*
 * cc_error: the Error message of a bus reply (proto/common.proto) from and
 * to a cc_status. ErrorCode has the numbers of cc_status, checked at build
 * time in cc_error.c, so a reply's code is the status that failed.
 */
#ifndef CC_ERROR_H
#define CC_ERROR_H
#include <stdbool.h>
#include "cc_status.h"
#include "common.pb-c.h"

/* e = st with message and field (both borrowed; NULL reads as ""). */
void cc_error_set(Cc__Error *e, cc_status st, const char *message, const char *field);

/* Whether e (may be NULL) carries an error. */
bool cc_error_is_set(const Cc__Error *e);

/* The status e carries: CC_OK when e is NULL or carries none; a code this
 * build does not know (a newer peer) reads as CC_ERR_PROTO. */
cc_status cc_error_status(const Cc__Error *e);

#endif
