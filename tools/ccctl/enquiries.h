/* enquiries: `ccctl enquiries` and `ccctl end ID`, the operator's view of
 * what is active and the way to end what nobody else can. */
#ifndef CCCTL_ENQUIRIES_H
#define CCCTL_ENQUIRIES_H
#include <stdbool.h>
#include "cc_bus.h"

/* Prints every active enquiry (id, kind, holder, age, channel, caller), or
 * a JSON array; returns the exit code (0, or 1 when the queue did not answer). */
int ccctl_enquiries(struct cc_bus *bus, int timeout_ms, bool json);
/* Ends (or cancels, when still pending) enquiry id as the operator; prints
 * its final state. Returns 0, 1 (refused or no answer). */
int ccctl_end(struct cc_bus *bus, int timeout_ms, const char *id);

#endif
