/* callbody: call control bodies. See callbody.h. */
#include "callbody.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    enum gw_call_action action;
} actions[] = {
    {"hold", GW_CALL_HOLD}, {"resume", GW_CALL_RESUME}, {"mute", GW_CALL_MUTE},
    {"unmute", GW_CALL_UNMUTE}, {"dtmf", GW_CALL_DTMF}, {"record", GW_CALL_RECORD},
};

enum gw_call_action gw_call_action_of(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
        if (strlen(actions[i].name) == len && memcmp(actions[i].name, name, len) == 0)
            return actions[i].action;
    return GW_CALL_NONE;
}

static bool digits_valid(const char *s, size_t n)
{
    if (n == 0 || n > GW_CALL_DIGITS_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '*' || s[i] == '#' ||
              (s[i] >= 'A' && s[i] <= 'D')))
            return false;
    return true;
}

static bool refuse(char field[64], const char **message, const char *f, const char *m)
{
    snprintf(field, 64, "%s", f);
    *message = m;
    return false;
}

/* The one key an action's body may have: "digits", "on", or none. */
static const char *key_of(enum gw_call_action a)
{
    return a == GW_CALL_DTMF ? "digits" : a == GW_CALL_RECORD ? "on" : NULL;
}

bool gw_call_body_parse(enum gw_call_action action, const char *body, size_t len,
                        struct gw_call_body *out, char field[64], const char **message)
{
    const char *want = key_of(action), *k;
    json_error_t je;
    json_t *j = NULL, *v;
    bool ok = true;

    memset(out, 0, sizeof(*out));
    out->action = action;
    field[0] = '\0';
    *message = NULL;
    if (action == GW_CALL_NONE)
        return refuse(field, message, "action",
                      "the action is one of hold, resume, mute, unmute, dtmf, record");
    if (len == 0 && want == NULL)
        return true;
    j = len > 0 ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &je) : NULL;
    if (!json_is_object(j)) {
        json_decref(j);
        return refuse(field, message, "body",
                      action == GW_CALL_DTMF     ? "body must be {\"digits\": \"...\"}"
                      : action == GW_CALL_RECORD ? "body must be {\"on\": true|false}"
                                                 : "body must be empty or {}");
    }
    json_object_foreach(j, k, v)
    {
        if (want == NULL || strcmp(k, want) != 0) {
            char name[64];
            snprintf(name, sizeof(name), "%s", k);
            ok = refuse(field, message, name, "not a field of this call control");
            break;
        }
    }
    if (ok && action == GW_CALL_DTMF) {
        v = json_object_get(j, "digits");
        if (!json_is_string(v) || !digits_valid(json_string_value(v), json_string_length(v)))
            ok = refuse(field, message, "digits", "digits are 1 to 32 of 0-9 * # A-D");
        else
            memcpy(out->digits, json_string_value(v), json_string_length(v) + 1);
    } else if (ok && action == GW_CALL_RECORD) {
        v = json_object_get(j, "on");
        if (!json_is_boolean(v))
            ok = refuse(field, message, "on", "on is true (start recording) or false (stop)");
        else
            out->on = json_is_true(v);
    }
    json_decref(j);
    return ok;
}
