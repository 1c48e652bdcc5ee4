/* apply: `ccctl apply FILE.json` loads a whole directory, idempotently. */
#ifndef CCCTL_APPLY_H
#define CCCTL_APPLY_H
#include "cc_bus.h"

/*
 * FILE holds {"groups":[...], "staff":[...], "channels":[...],
 * "numbers":[...]} with the fields of the REST API. Entries are PUT in the
 * order staff, groups, channels, numbers (so references resolve), each
 * printed with "created" or "updated". Entries not in the file are left
 * alone. Returns the exit code: 0, 1 (an entry was refused), 2 (bad file).
 */
int ccctl_apply(struct cc_bus *bus, int timeout_ms, const char *path);

#endif
