/* Fuzz target: the ?limit= of GET /api/v1/audit (gw_audit_limit), bytes
 * from the query string, not NUL-terminated: accepted only as 1 to 4
 * decimal digits making 1..1000, and then that number. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a copy of exactly size bytes: ASan sees any read past the end */
    char *s = malloc(size ? size : 1);
    int limit = -1, want = 0;
    bool digits = size >= 1 && size <= 4;

    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    for (size_t i = 0; i < size && digits; i++) {
        digits = s[i] >= '0' && s[i] <= '9';
        want = want * 10 + (s[i] - '0');
    }
    if (gw_audit_limit(s, size, &limit) != (digits && want >= 1 && want <= GW_AUDIT_LIMIT_MAX))
        abort();
    if (digits && want >= 1 && want <= GW_AUDIT_LIMIT_MAX && limit != want)
        abort();
    free(s);
    return 0;
}
