/* codec: Redis hash / JSON snapshot -> cc.Enquiry. See codec.h. */
#include "codec.h"

#include <stdlib.h>
#include <string.h>

Cc__EnquiryState enquiry_state_of(const char *s)
{
    static const struct {
        const char *name;
        Cc__EnquiryState st;
    } t[] = {
        {"pending", CC__ENQUIRY_STATE__ENQUIRY_STATE_PENDING},
        {"active", CC__ENQUIRY_STATE__ENQUIRY_STATE_ACTIVE},
        {"missed", CC__ENQUIRY_STATE__ENQUIRY_STATE_MISSED},
        {"blocked", CC__ENQUIRY_STATE__ENQUIRY_STATE_BLOCKED},
        {"voicemail", CC__ENQUIRY_STATE__ENQUIRY_STATE_VOICEMAIL},
        {"ended", CC__ENQUIRY_STATE__ENQUIRY_STATE_ENDED},
        {"closed", CC__ENQUIRY_STATE__ENQUIRY_STATE_CLOSED},
        {"cancelled", CC__ENQUIRY_STATE__ENQUIRY_STATE_CANCELLED},
    };
    for (size_t i = 0; s != NULL && i < sizeof(t) / sizeof(t[0]); i++)
        if (strcmp(s, t[i].name) == 0)
            return t[i].st;
    return CC__ENQUIRY_STATE__ENQUIRY_STATE_UNSPECIFIED;
}

static char *dup_str(const json_t *o, const char *f)
{
    const char *s = json_string_value(json_object_get(o, f));
    return strdup(s != NULL ? s : "");
}

/* The transfer history: a JSON array written by the Lua steps (an empty one
 * may come back from Lua's cjson as {}). */
static void transfers_from(Cc__Enquiry *e, const char *text, size_t len)
{
    json_t *j = json_loadb(text, len, 0, NULL);
    size_t n = json_is_array(j) ? json_array_size(j) : 0;
    Cc__Transfer *t = n > 0 ? calloc(n, sizeof(*t)) : NULL;
    Cc__Transfer **p = n > 0 ? calloc(n, sizeof(*p)) : NULL;

    if (t == NULL || p == NULL) {
        free(t);
        free(p);
        json_decref(j);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(j, i), *at = json_object_get(o, "at_ms");
        cc__transfer__init(&t[i]);
        t[i].from_staff_id = dup_str(o, "from_staff_id");
        t[i].to_staff_id = dup_str(o, "to_staff_id");
        t[i].to_group_id = dup_str(o, "to_group_id");
        t[i].outcome = dup_str(o, "outcome");
        t[i].accepted_by = dup_str(o, "accepted_by");
        t[i].consult = json_is_true(json_object_get(o, "consult"));
        t[i].at_ms = json_is_string(at) ? atoll(json_string_value(at)) : json_integer_value(at);
        p[i] = &t[i];
    }
    e->transfers = p;
    e->n_transfers = n;
    json_decref(j);
}

/* The recordings: a JSON array of paths written by lua/recording.lua. */
static void recordings_from(Cc__Enquiry *e, const char *text, size_t len)
{
    json_t *j = json_loadb(text, len, 0, NULL);
    size_t n = json_is_array(j) ? json_array_size(j) : 0;
    char **p = n > 0 ? calloc(n, sizeof(*p)) : NULL;

    for (size_t i = 0; p != NULL && i < n; i++) {
        const char *s = json_string_value(json_array_get(j, i));
        p[e->n_recordings] = strdup(s != NULL ? s : "");
        if (p[e->n_recordings] != NULL)
            e->n_recordings++;
    }
    e->recordings = p;
    json_decref(j);
}

void enquiry_clear(Cc__Enquiry *e)
{
    for (size_t i = 0; i < e->n_recordings; i++)
        free(e->recordings[i]);
    free(e->recordings);
    for (size_t i = 0; i < e->n_transfers; i++) {
        Cc__Transfer *t = e->transfers[i];
        free(t->from_staff_id);
        free(t->to_staff_id);
        free(t->to_group_id);
        free(t->outcome);
        free(t->accepted_by);
    }
    if (e->n_transfers > 0)
        free(e->transfers[0]); /* the one array of them all */
    free(e->transfers);
    cc__enquiry__init(e);
}

/* One field; v is borrowed. */
static void set_field(Cc__Enquiry *e, const char *k, char *v, size_t vlen)
{
    if (strcmp(k, "id") == 0)
        e->id = v;
    else if (strcmp(k, "kind") == 0)
        e->kind = strcmp(v, "chat") == 0 ? CC__ENQUIRY_KIND__ENQUIRY_KIND_CHAT
                                         : CC__ENQUIRY_KIND__ENQUIRY_KIND_CALL;
    else if (strcmp(k, "mode") == 0)
        e->mode = strcmp(v, "direct") == 0 ? CC__ROUTE_MODE__ROUTE_MODE_DIRECT
                                           : CC__ROUTE_MODE__ROUTE_MODE_BROADCAST;
    else if (strcmp(k, "state") == 0)
        e->state = enquiry_state_of(v);
    else if (strcmp(k, "channel_id") == 0)
        e->channel_id = v;
    else if (strcmp(k, "group_id") == 0)
        e->group_id = v;
    else if (strcmp(k, "staff_id") == 0)
        e->staff_id = v;
    else if (strcmp(k, "caller") == 0)
        e->caller = v;
    else if (strcmp(k, "created_ms") == 0)
        e->created_at_ms = atoll(v);
    else if (strcmp(k, "deadline_ms") == 0)
        e->deadline_ms = atoll(v);
    else if (strcmp(k, "answered_by") == 0)
        e->answered_by = v;
    else if (strcmp(k, "answered_ms") == 0)
        e->answered_at_ms = atoll(v);
    else if (strcmp(k, "ended_ms") == 0)
        e->ended_at_ms = atoll(v);
    else if (strcmp(k, "end_reason") == 0)
        e->end_reason = v;
    else if (strcmp(k, "closed_ms") == 0)
        e->closed_at_ms = atoll(v);
    else if (strcmp(k, "room_id") == 0)
        e->room_id = v;
    else if (strcmp(k, "transfers") == 0 && e->n_transfers == 0)
        transfers_from(e, v, vlen);
    else if (strcmp(k, "recordings") == 0 && e->recordings == NULL)
        recordings_from(e, v, vlen);
}

void enquiry_from_kv(Cc__Enquiry *e, redisReply **kv, size_t n)
{
    cc__enquiry__init(e);
    for (size_t i = 0; i + 1 < n; i += 2)
        if (kv[i]->str != NULL && kv[i + 1]->str != NULL)
            set_field(e, kv[i]->str, kv[i + 1]->str, kv[i + 1]->len);
}

void enquiry_from_json(Cc__Enquiry *e, const json_t *o)
{
    const char *k;
    json_t *v;

    cc__enquiry__init(e);
    json_object_foreach((json_t *)o, k, v)
    {
        if (json_is_string(v))
            set_field(e, k, (char *)json_string_value(v), json_string_length(v));
    }
}
