/* Fuzz target: the gateway's check of request paths before they touch the
 * web root. An accepted path never contains a ".." segment or a NUL. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "static.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *p = malloc(size + 1);

    memcpy(p, data, size);
    p[size] = '\0';
    if (gw_static_path_ok(p)) {
        if (p[0] != '/' || strstr(p, "/..") != NULL || strstr(p, "//") != NULL ||
            strchr(p, '\\') != NULL)
            abort();
    }
    free(p);
    return 0;
}
