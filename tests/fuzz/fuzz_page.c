/* Fuzz target: the query arguments of GET /api/v1/pending (gw_page_parse).
 * The input, split at its first '\n', is limit then before (as MHD hands
 * them: NUL-terminated). An accepted page has a limit in range and a
 * well-formed enquiry id or nothing as its cursor. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "page.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    size_t n1 = nl != NULL ? (size_t)(nl - (const char *)data) : size;
    size_t n2 = nl != NULL ? size - n1 - 1 : 0;
    char *limit = malloc(n1 + 1), *before = malloc(n2 + 1);
    struct gw_page p;
    const char *field = NULL;

    memcpy(limit, data, n1);
    limit[n1] = '\0';
    if (n2 > 0)
        memcpy(before, nl + 1, n2);
    before[n2] = '\0';
    if (gw_page_parse(limit, nl != NULL ? before : NULL, &p, &field)) {
        if (p.limit < 1 || p.limit > GW_PAGE_MAX)
            abort();
        if (p.before[0] != '\0' && !cc_id_valid(p.before, strlen(p.before)))
            abort();
    } else if (field == NULL) {
        abort();
    }
    free(limit);
    free(before);
    return 0;
}
