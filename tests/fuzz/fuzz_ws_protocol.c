/* Fuzz target: the Sec-WebSocket-Protocol value of a WebSocket handshake
 * (gw_hs_protocols), bytes not NUL-terminated. An accepted token lies
 * inside the input, is 1 to GW_HS_TOKEN_MAX bytes of token characters. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handshake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *v = malloc(size > 0 ? size : 1); /* exact size: ASan sees a read past the end */
    struct gw_hs_offer o;

    memcpy(v, data, size);
    if (gw_hs_protocols(v, size, &o) && o.token != NULL) {
        if (o.token < v || o.token + o.token_len > v + size || o.token_len == 0 ||
            o.token_len > GW_HS_TOKEN_MAX)
            abort();
        for (size_t i = 0; i < o.token_len; i++)
            if (o.token[i] == ',' || o.token[i] == ' ' || o.token[i] == '\0' ||
                o.token[i] == '"')
                abort();
    }
    free(v);
    return 0;
}
