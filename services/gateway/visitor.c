/* visitor: the visitor's view, by allowlist. See visitor.h. */
#include "visitor.h"

#include <stdbool.h>
#include <string.h>

enum kind { STR, INT, ENQUIRY, MESSAGE, MESSAGES };

struct key {
    const char *name;
    enum kind kind;
};

static const struct key top_keys[] = {
    {"type", STR},        {"reason", STR},      {"ts_ms", INT},         {"visitor_token", STR},
    {"enquiry", ENQUIRY}, {"message", MESSAGE}, {"messages", MESSAGES},
};

static const struct key enquiry_keys[] = {
    {"id", STR},
    {"kind", STR},
    {"mode", STR},
    {"state", STR},
    {"channel_id", STR},
    {"caller", STR},
    {"created_at_ms", INT},
    {"deadline_ms", INT},
    {"answered_at_ms", INT},
    {"ended_at_ms", INT},
    {"end_reason", STR},
    {"room_id", STR},
};

static const struct key message_keys[] = {
    {"id", STR}, {"enquiry_id", STR}, {"author", STR}, {"text", STR}, {"ts_ms", INT},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static json_t *pick(const json_t *in, const struct key *keys, size_t n, bool message);

/* The visitor's copy of one value of kind k, or NULL to leave it out. */
static json_t *value(const json_t *v, enum kind k)
{
    switch (k) {
    case STR:
        return json_is_string(v) ? json_deep_copy(v) : NULL;
    case INT:
        return json_is_integer(v) ? json_deep_copy(v) : NULL;
    case ENQUIRY:
        return json_is_object(v) ? pick(v, enquiry_keys, N(enquiry_keys), false) : NULL;
    case MESSAGE:
        return json_is_object(v) ? pick(v, message_keys, N(message_keys), true) : NULL;
    case MESSAGES: {
        json_t *out = json_is_array(v) ? json_array() : NULL;
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m)
        {
            json_t *one = json_is_object(m) ? pick(m, message_keys, N(message_keys), true) : NULL;
            if (one != NULL)
                json_array_append_new(out, one);
        }
        return out;
    }
    }
    return NULL;
}

/* The allowed keys of in; a message's author names no staff member. */
static json_t *pick(const json_t *in, const struct key *keys, size_t n, bool message)
{
    json_t *out = json_object();

    for (size_t i = 0; out != NULL && i < n; i++) {
        json_t *v = value(json_object_get(in, keys[i].name), keys[i].kind);
        if (v == NULL)
            continue;
        if (message && strcmp(keys[i].name, "author") == 0 &&
            strcmp(json_string_value(v), "visitor") != 0) {
            json_decref(v);
            v = json_string("staff");
        }
        json_object_set_new(out, keys[i].name, v);
    }
    return out;
}

json_t *gw_visitor_view(const json_t *obj)
{
    if (!json_is_object(obj))
        return NULL;
    return pick(obj, top_keys, N(top_keys), false);
}
