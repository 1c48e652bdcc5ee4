/*
 * cc_pbjson: protobuf messages as JSON objects at the HTTP edge, driven by
 * the protobuf-c descriptors (JSON keys are the .proto field names).
 *
 * Supported field types: string, bool, int32/uint32/int64, enum (as the
 * value's short lowercase name, e.g. "call" for ENQUIRY_KIND_CALL), nested
 * message (object), and repeated of those (array). A string field named
 * "password" is write-only: it is read from JSON, never written to it.
 */
#ifndef CC_PBJSON_H
#define CC_PBJSON_H
#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include "cc_status.h"

#define CC_PBJSON_DEPTH_MAX 8

struct cc_pbjson_error {
    char field[128]; /* dotted path of the offending field, e.g. "custom_info.items[1].key" */
    char message[160];
};

/* New JSON object for m (caller json_decref()s it), NULL on allocation failure. */
json_t *cc_pbjson_from_message(const ProtobufCMessage *m);

/*
 * Builds a heap message of type desc from the JSON object j (caller frees
 * with protobuf_c_message_free_unpacked). Absent fields keep their
 * defaults. An unknown key, a wrong type or an out-of-range number fails
 * with CC_ERR_INVALID and names the field in *e.
 */
cc_status cc_pbjson_to_message(const ProtobufCMessageDescriptor *desc, const json_t *j,
                               ProtobufCMessage **out, struct cc_pbjson_error *e);

/* The short name of an enum value: the part after the common prefix,
 * lowercased ("ENQUIRY_KIND_CALL" -> "call"). Writes into buf. */
const char *cc_pbjson_enum_name(const ProtobufCEnumDescriptor *d, int value, char *buf, size_t len);

#endif
