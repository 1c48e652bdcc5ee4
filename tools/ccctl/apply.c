/* apply: directory file -> cc.presence.dir PUTs. See apply.h. */
#include "apply.h"
#include "cc_error.h"
#include "cc_dirreq.h"
#include "cc_pbjson.h"
#include "directory.pb-c.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

struct section {
    const char *key;   /* in the file */
    const char *label; /* in the output */
    const char *id_field;
    Cc__DirKind kind;
    const ProtobufCMessageDescriptor *desc;
};

/* Order matters: groups name staff, channels name groups or staff, numbers
 * name channels; trunks name nothing. */
static const struct section sections[] = {
    {"staff", "staff", "id", CC__DIR_KIND__DIR_KIND_STAFF, &cc__staff__descriptor},
    {"groups", "group", "id", CC__DIR_KIND__DIR_KIND_GROUP, &cc__group__descriptor},
    {"channels", "channel", "id", CC__DIR_KIND__DIR_KIND_CHANNEL, &cc__channel__descriptor},
    {"numbers", "number", "e164", CC__DIR_KIND__DIR_KIND_NUMBER, &cc__virtual_number__descriptor},
    {"trunks", "trunk", "id", CC__DIR_KIND__DIR_KIND_TRUNK, &cc__dir_trunk__descriptor},
};

/* PUTs one entry; prints the outcome; returns 0 or 1. */
static int put_one(struct cc_bus *bus, int timeout_ms, const struct section *sec, size_t index,
                   const json_t *entry)
{
    struct cc_pbjson_error e;
    ProtobufCMessage *m = NULL, *out = NULL;
    Cc__DirRequest req = CC__DIR_REQUEST__INIT;
    const json_t *idv = json_object_get(entry, sec->id_field);
    const char *id = json_is_string(idv) ? json_string_value(idv) : "?";
    int rc = 1;
    cc_status st;

    if (cc_pbjson_to_message(sec->desc, entry, &m, &e) != CC_OK) {
        fprintf(stderr, "ccctl: %s[%zu] (%s): %s\n", sec->key, index, id, e.message);
        return 1;
    }
    req.op = CC__DIR_OP__DIR_OP_PUT;
    req.actor = "ccctl"; /* the audit fact of each change names ccctl */
    cc_dirreq_set_item(&req, sec->kind, m);
    st = cc_bus_request(bus, "cc.presence.dir", &req.base, &cc__dir_reply__descriptor, timeout_ms,
                        &out);
    if (st != CC_OK) {
        fprintf(stderr, "ccctl: %s %s: the directory service did not answer (%s)\n", sec->label, id,
                cc_status_str(st));
    } else {
        Cc__DirReply *rep = (Cc__DirReply *)out;
        if (cc_error_is_set(rep->error)) {
            const char *field = rep->error->field != NULL ? rep->error->field : "";
            fprintf(stderr, "ccctl: %s %s refused: %s%s%s%s\n", sec->label, id, rep->error->message,
                    field[0] ? " (field " : "", field, field[0] ? ")" : "");
        } else {
            printf("%-8s %-24s %s\n", sec->label, id, rep->created ? "created" : "updated");
            rc = 0;
        }
    }
    protobuf_c_message_free_unpacked(out, NULL);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

int ccctl_apply(struct cc_bus *bus, int timeout_ms, const char *path)
{
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    const char *key;
    json_t *v;
    int failures = 0;

    if (root == NULL) {
        fprintf(stderr, "ccctl: %s:%d:%d: %s\n", path, je.line, je.column, je.text);
        return 2;
    }
    if (!json_is_object(root)) {
        fprintf(stderr, "ccctl: %s: expected a JSON object\n", path);
        json_decref(root);
        return 2;
    }
    json_object_foreach(root, key, v)
    {
        bool known = false;
        for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
            known |= strcmp(key, sections[i].key) == 0;
        if (!known || !json_is_array(v)) {
            fprintf(stderr, "ccctl: %s: \"%s\" %s\n", path, key,
                    known ? "must be an array"
                          : "is not a section (groups, staff, channels, numbers, trunks)");
            json_decref(root);
            return 2;
        }
    }
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        json_t *arr = json_object_get(root, sections[i].key);
        for (size_t k = 0; k < json_array_size(arr); k++)
            failures += put_one(bus, timeout_ms, &sections[i], k, json_array_get(arr, k));
    }
    json_decref(root);
    if (failures > 0)
        fprintf(stderr, "ccctl: %d entr%s refused\n", failures, failures == 1 ? "y" : "ies");
    return failures > 0 ? 1 : 0;
}
