/* cc_pbjson: descriptor-driven protobuf <-> JSON. See cc_pbjson.h. */
#include "cc_pbjson.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELD(m, f) ((void *)((char *)(m) + (f)->offset))
#define QUANT(m, f) ((size_t *)((char *)(m) + (f)->quantifier_offset))

/* ---- enums: "ENQUIRY_KIND_CALL" <-> "call" --------------------------------- */

/* Length of the prefix every value name shares, up to the last '_' in it. */
static size_t enum_prefix(const ProtobufCEnumDescriptor *d)
{
    size_t n;
    if (d->n_values == 0)
        return 0;
    n = strlen(d->values[0].name);
    for (unsigned i = 1; i < d->n_values; i++) {
        size_t k = 0;
        while (k < n && d->values[i].name[k] == d->values[0].name[k])
            k++;
        n = k;
    }
    while (n > 0 && d->values[0].name[n - 1] != '_')
        n--;
    return n;
}

const char *cc_pbjson_enum_name(const ProtobufCEnumDescriptor *d, int value, char *buf, size_t len)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
    size_t i = 0;
    const char *s;

    if (len == 0)
        return buf;
    if (v == NULL) {
        snprintf(buf, len, "%d", value);
        return buf;
    }
    for (s = v->name + enum_prefix(d); *s != '\0' && i + 1 < len; s++)
        buf[i++] = (char)tolower((unsigned char)*s);
    buf[i] = '\0';
    return buf;
}

static bool enum_value(const ProtobufCEnumDescriptor *d, const char *name, int *out)
{
    size_t p = enum_prefix(d);
    for (unsigned i = 0; i < d->n_values; i++) {
        const char *a = d->values[i].name + p, *b = name;
        while (*a != '\0' && *b != '\0' && tolower((unsigned char)*a) == *b) {
            a++;
            b++;
        }
        if (*a == '\0' && *b == '\0') {
            *out = d->values[i].value;
            return true;
        }
    }
    return false;
}

/* ---- message -> JSON -------------------------------------------------------- */

static json_t *scalar_to_json(const ProtobufCFieldDescriptor *f, const void *p)
{
    char buf[64];
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
        return json_string(*(char *const *)p != NULL ? *(char *const *)p : "");
    case PROTOBUF_C_TYPE_BOOL:
        return json_boolean(*(const protobuf_c_boolean *)p);
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_integer(*(const int32_t *)p);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *)p);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return json_integer(*(const int64_t *)p);
    case PROTOBUF_C_TYPE_ENUM:
        return json_string(cc_pbjson_enum_name(f->descriptor, *(const int *)p, buf, sizeof(buf)));
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
        return sub != NULL ? cc_pbjson_from_message(sub) : json_null();
    }
    default:
        return json_null(); /* bytes, floats: not used at the edge */
    }
}

static size_t elem_size(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return 8;
    default:
        return 4;
    }
}

json_t *cc_pbjson_from_message(const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    json_t *o = json_object();

    for (unsigned i = 0; o != NULL && i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const void *p = FIELD(m, f);
        if (f->type == PROTOBUF_C_TYPE_STRING && strcmp(f->name, "password") == 0)
            continue;
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)((const char *)m + f->quantifier_offset) != f->id)
            continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *QUANT(m, f);
            const char *arr = *(char *const *)p;
            json_t *a = json_array();
            for (size_t k = 0; k < n; k++)
                json_array_append_new(a, scalar_to_json(f, arr + k * elem_size(f)));
            json_object_set_new(o, f->name, a);
        } else {
            json_object_set_new(o, f->name, scalar_to_json(f, p));
        }
    }
    return o;
}

/* ---- JSON -> message -------------------------------------------------------- */

static cc_status fail(struct cc_pbjson_error *e, const char *path, const char *msg)
{
    snprintf(e->field, sizeof(e->field), "%s", path);
    snprintf(e->message, sizeof(e->message), "%s: %s", path, msg);
    return CC_ERR_INVALID;
}

static cc_status build(const ProtobufCMessageDescriptor *d, const json_t *j, const char *path,
                       int depth, ProtobufCMessage **out, struct cc_pbjson_error *e);

static cc_status scalar_from_json(const ProtobufCFieldDescriptor *f, const json_t *v,
                                  const char *path, int depth, void *p, struct cc_pbjson_error *e)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        char *s;
        if (!json_is_string(v))
            return fail(e, path, "must be a string");
        s = strdup(json_string_value(v));
        if (s == NULL)
            return CC_ERR_NOMEM;
        *(char **)p = s;
        return CC_OK;
    }
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_is_boolean(v))
            return fail(e, path, "must be true or false");
        *(protobuf_c_boolean *)p = json_is_true(v);
        return CC_OK;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN ||
            json_integer_value(v) > INT32_MAX)
            return fail(e, path, "must be a 32-bit integer");
        *(int32_t *)p = (int32_t)json_integer_value(v);
        return CC_OK;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > (json_int_t)UINT32_MAX)
            return fail(e, path, "must be a non-negative 32-bit integer");
        *(uint32_t *)p = (uint32_t)json_integer_value(v);
        return CC_OK;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (!json_is_integer(v))
            return fail(e, path, "must be an integer");
        *(int64_t *)p = json_integer_value(v);
        return CC_OK;
    case PROTOBUF_C_TYPE_ENUM: {
        int value;
        if (!json_is_string(v) || !enum_value(f->descriptor, json_string_value(v), &value))
            return fail(e, path, "is not one of the allowed values");
        *(int *)p = value;
        return CC_OK;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        if (!json_is_object(v))
            return fail(e, path, "must be an object");
        return build(f->descriptor, v, path, depth + 1, (ProtobufCMessage **)p, e);
    default:
        return fail(e, path, "is not accepted here");
    }
}

static cc_status build(const ProtobufCMessageDescriptor *d, const json_t *j, const char *path,
                       int depth, ProtobufCMessage **out, struct cc_pbjson_error *e)
{
    ProtobufCMessage *m;
    const char *key;
    json_t *v;
    char sub[128];
    cc_status st = CC_OK;

    *out = NULL;
    if (depth > CC_PBJSON_DEPTH_MAX)
        return fail(e, path, "is nested too deeply");
    m = malloc(d->sizeof_message);
    if (m == NULL)
        return CC_ERR_NOMEM;
    protobuf_c_message_init(d, m);
    *out = m; /* freed by the caller (with whatever was filled) on error too */

    json_object_foreach((json_t *)j, key, v)
    {
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, key);
        void *p;

        /* an empty key is still named, so the error always points somewhere */
        snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", key[0] ? key : "\"\"");
        if (f == NULL || (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            return fail(e, sub, "is not a known field");
        if (json_is_null(v))
            continue; /* null = absent */
        p = FIELD(m, f);
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n, es = elem_size(f);
            char *arr;
            if (!json_is_array(v))
                return fail(e, sub, "must be an array");
            n = json_array_size(v);
            if (n > 10000)
                return fail(e, sub, "has too many elements");
            arr = calloc(n ? n : 1, es);
            if (arr == NULL)
                return CC_ERR_NOMEM;
            *(char **)p = arr;
            for (size_t k = 0; k < n; k++) {
                char item[140];
                snprintf(item, sizeof(item), "%s[%zu]", sub, k);
                /* counted before it is filled: the free then also takes a
                 * half-built element (unfilled ones are NULL or zero) */
                *QUANT(m, f) = k + 1;
                st = scalar_from_json(f, json_array_get(v, k), item, depth, arr + k * es, e);
                if (st != CC_OK)
                    return st;
            }
        } else {
            st = scalar_from_json(f, v, sub, depth, p, e);
            if (st != CC_OK)
                return st;
        }
    }
    return CC_OK;
}

cc_status cc_pbjson_to_message(const ProtobufCMessageDescriptor *desc, const json_t *j,
                               ProtobufCMessage **out, struct cc_pbjson_error *e)
{
    cc_status st;

    e->field[0] = e->message[0] = '\0';
    if (!json_is_object(j)) {
        *out = NULL;
        snprintf(e->field, sizeof(e->field), "body");
        snprintf(e->message, sizeof(e->message), "body must be a JSON object");
        return CC_ERR_INVALID;
    }
    st = build(desc, j, "", 0, out, e);
    if (st != CC_OK && *out != NULL) {
        protobuf_c_message_free_unpacked(*out, NULL);
        *out = NULL;
    }
    return st;
}
