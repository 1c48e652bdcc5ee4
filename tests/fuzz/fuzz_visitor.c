/* Fuzz target: gw_visitor_view over any JSON (the replies and events it
 * filters come from services, but a bug there must not become a leak or a
 * crash here): the view of an object holds only allowlisted keys, of their
 * types, and no message author names a staff member. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "visitor.h"

static bool listed(const char *key, const char *const *keys)
{
    for (; *keys != NULL; keys++)
        if (strcmp(key, *keys) == 0)
            return true;
    return false;
}

static void check_message(const json_t *m)
{
    static const char *const keys[] = {"id", "enquiry_id", "author", "text", "ts_ms", NULL};
    const char *k;
    json_t *v;
    const char *author = json_string_value(json_object_get(m, "author"));

    if (!json_is_object(m))
        abort();
    json_object_foreach((json_t *)m, k, v)
    {
        if (!listed(k, keys) || json_is_object(v) || json_is_array(v))
            abort();
    }
    if (author != NULL && strcmp(author, "visitor") != 0 && strcmp(author, "staff") != 0)
        abort();
}

static void check(const json_t *view)
{
    static const char *const top[] = {"type",    "reason",  "ts_ms",    "visitor_token",
                                      "enquiry", "message", "messages", NULL};
    static const char *const enquiry[] = {
        "id",         "kind",          "mode",        "state",          "channel_id",
        "caller",     "created_at_ms", "deadline_ms", "answered_at_ms", "ended_at_ms",
        "end_reason", "room_id",       NULL};
    const char *k;
    json_t *v;
    size_t i;

    json_object_foreach((json_t *)view, k, v)
    {
        if (!listed(k, top))
            abort();
        if (strcmp(k, "enquiry") == 0) {
            const char *ek;
            json_t *ev;
            json_object_foreach(v, ek, ev)
            {
                if (!listed(ek, enquiry) || json_is_object(ev) || json_is_array(ev))
                    abort();
            }
        } else if (strcmp(k, "message") == 0) {
            check_message(v);
        } else if (strcmp(k, "messages") == 0) {
            json_t *m;
            json_array_foreach(v, i, m)
            {
                check_message(m);
            }
        } else if (json_is_object(v) || json_is_array(v)) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
    json_t *view;

    if (j == NULL)
        return 0;
    view = gw_visitor_view(j);
    if (json_is_object(j) && view == NULL)
        abort(); /* an object always has a view (out of memory aside) */
    if (view != NULL)
        check(view);
    json_decref(view);
    json_decref(j);
    return 0;
}
