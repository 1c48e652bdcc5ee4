/* Fuzz target: cc_url_parse and cc_url_redact on arbitrary bytes (never
 * NUL-terminated). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cc_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cc_url u;
    char err[128], shown[64];

    if (cc_url_parse(&u, (const char *)data, size, err, sizeof(err)) == CC_OK) {
        /* whatever parsed must be terminated and in range */
        if (strlen(u.host) == 0 || strlen(u.host) >= sizeof(u.host) || u.port < 0 ||
            u.port > 65535 || strlen(u.scheme) == 0)
            abort();
    } else if (memchr(err, '\0', sizeof(err)) == NULL) {
        abort();
    }
    /* the redacted copy is bounded and terminated (what it hides: test_url.c) */
    cc_url_redact(shown, sizeof(shown), (const char *)data, size);
    if (memchr(shown, '\0', sizeof(shown)) == NULL)
        abort();
    return 0;
}
