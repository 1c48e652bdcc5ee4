/* Fuzz target: a request body as the gateway takes it: JSON text -> each
 * message the gateway decodes bodies into (a directory Channel, the richest:
 * nested, repeated, enums; staff; an enquiry to create; a transfer), then
 * back to JSON. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "cc_pbjson.h"
#include "directory.pb-c.h"
#include "enquiry.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const ProtobufCMessageDescriptor *const bodies[] = {
        &cc__channel__descriptor,
        &cc__staff__descriptor,
        &cc__create_enquiry_request__descriptor,
        &cc__transfer_request__descriptor,
    };
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);

    if (j == NULL)
        return 0;
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct cc_pbjson_error e;
        ProtobufCMessage *m = NULL;
        if (cc_pbjson_to_message(bodies[i], j, &m, &e) == CC_OK) {
            json_t *back = cc_pbjson_from_message(m);
            if (back == NULL)
                abort();
            json_decref(back);
            protobuf_c_message_free_unpacked(m, NULL);
        } else if (m != NULL || e.field[0] == '\0') {
            abort(); /* a failure names a field and hands nothing back */
        }
    }
    json_decref(j);
    return 0;
}
