/*
 * cc_retry: the start-up retry of a server connection, in one place.
 *
 * Calls attempt every 500 ms until it succeeds, fails for a reason other
 * than CC_ERR_UNAVAILABLE, or budget_ms runs out. While retrying it logs one
 * warning every 5 s ("<what> not reachable yet, retrying"). On giving up err
 * holds the last attempt's reason followed by "(gave up after N attempts in
 * M ms; see <setting>)".
 */
#ifndef CC_RETRY_H
#define CC_RETRY_H
#include <stddef.h>
#include "cc_status.h"

/* One try; writes a reason into err on failure. CC_ERR_UNAVAILABLE means
 * "try again", anything else is final. */
typedef cc_status (*cc_attempt_fn)(void *arg, char *err, size_t errlen);

cc_status cc_retry(cc_attempt_fn attempt, void *arg, int budget_ms, const char *what,
                   const char *setting, char *err, size_t errlen);

#endif
