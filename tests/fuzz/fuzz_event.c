/* Fuzz target: what calllog does with bytes from the bus: unpack a
 * cc.Event and map it to table columns. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "row.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Cc__Event *ev = cc__event__unpack(NULL, size, data);
    struct clog_row row;
    const char *why = NULL;

    if (ev == NULL)
        return 0;
    if (clog_row_from_event(&row, ev, &why)) {
        if (strlen(row.id) != 36 || row.ts[0] == '\0')
            abort();
    } else if (why == NULL) {
        abort();
    }
    cc__event__free_unpacked(ev, NULL);
    return 0;
}
