/* calls: `ccctl calls`, the calls in progress as every media node sees
 * them: each leg with its bridge peer, state and packet counters. */
#ifndef CCCTL_CALLS_H
#define CCCTL_CALLS_H
#include <stdbool.h>
#include "cc_bus.h"

/* Asks every media node (cc.media.list, all answer within timeout_ms) and
 * prints a table, or a JSON array of legs (each with its node's
 * "instance"). Returns the exit code: 0, or 1 when no media node answered. */
int ccctl_calls(struct cc_bus *bus, int timeout_ms, bool json);

#endif
