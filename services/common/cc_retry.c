/* cc_retry: retry loop for connecting at start. See cc_retry.h. */
#include "cc_retry.h"
#include "cc_log.h"
#include "cc_time.h"

#include <stdio.h>
#include <string.h>

#define RETRY_EVERY_MS 500
#define LOG_EVERY_MS 5000

cc_status cc_retry(cc_attempt_fn attempt, void *arg, int budget_ms, const char *what,
                   const char *setting, char *err, size_t errlen)
{
    int64_t give_up = cc_mono_ms() + budget_ms, next_log = 0;
    int attempts = 0;

    for (;;) {
        cc_status st = attempt(arg, err, errlen);
        attempts++;
        if (st != CC_ERR_UNAVAILABLE)
            return st;
        if (cc_mono_ms() >= give_up) {
            size_t n = strlen(err);
            snprintf(err + n, errlen - n, " (gave up after %d attempts in %d ms; see %s)", attempts,
                     budget_ms, setting);
            return st;
        }
        if (cc_mono_ms() >= next_log) {
            char msg[96];
            snprintf(msg, sizeof(msg), "%s not reachable yet, retrying", what);
            cc_log(CC_LOG_WARN, msg, "error", err, NULL);
            next_log = cc_mono_ms() + LOG_EVERY_MS;
        }
        cc_sleep_ms(RETRY_EVERY_MS);
    }
}
