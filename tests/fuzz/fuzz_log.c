/* Fuzz target: cc_log_format with arbitrary message and value bytes; the
 * line must stay inside the buffer and end with "}\n". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    char line[512];
    const char *kv[] = {"k", NULL, "k2", NULL, NULL};
    size_t half = size / 2, n;

    memcpy(s, data, size);
    s[size] = '\0';
    kv[1] = s + half; /* the second half as a value, the whole as the message */
    kv[3] = s;
    n = cc_log_format(line, sizeof(line), (long long)size * 1000, CC_LOG_INFO, s, kv);
    if (n >= sizeof(line) || n < 2 || line[n - 1] != '\n' || line[n - 2] != '}' ||
        memchr(line, '\n', n - 1) != NULL)
        abort();
    free(s);
    return 0;
}
