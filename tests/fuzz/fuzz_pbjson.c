/* Fuzz target: a request body as the gateway takes it: JSON text -> a
 * directory Channel (the richest message: nested, repeated, enums would
 * follow the same path), then back to JSON. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "cc_pbjson.h"
#include "directory.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
    struct cc_pbjson_error e;
    ProtobufCMessage *m = NULL;

    if (j == NULL)
        return 0;
    if (cc_pbjson_to_message(&cc__channel__descriptor, j, &m, &e) == CC_OK) {
        json_t *back = cc_pbjson_from_message(m);
        if (back == NULL)
            abort();
        json_decref(back);
        protobuf_c_message_free_unpacked(m, NULL);
    } else if (m != NULL || e.field[0] == '\0') {
        abort(); /* a failure names a field and hands nothing back */
    }
    json_decref(j);
    return 0;
}
