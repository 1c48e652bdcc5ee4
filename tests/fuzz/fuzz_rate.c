/* Fuzz target: cc_config_parse_rate (CC_RATE_* values), bytes not
 * NUL-terminated. What parses is "off" or within the stated bounds. */
#include <stdint.h>
#include <stdlib.h>

#include "cc_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cc_rate r = {-1, -1};

    if (!cc_config_parse_rate((const char *)data, size, &r)) {
        if (r.burst != -1 || r.period_s != -1) /* untouched on failure */
            abort();
        return 0;
    }
    if (r.burst == 0 ? r.period_s != 0
                     : r.burst < 1 || r.burst > CC_RATE_BURST_MAX || r.period_s < 1 ||
                           r.period_s > CC_RATE_PERIOD_MAX)
        abort();
    return 0;
}
