/* row: Event -> events table columns. */
#include "row.h"
#include "cc_id.h"
#include "cc_time.h"

#include <string.h>

static const char *nonempty(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : NULL;
}

bool clog_row_from_event(struct clog_row *row, const Cc__Event *ev, const char **why)
{
    memset(row, 0, sizeof(*row));
    if (ev->id == NULL || !cc_id_valid(ev->id, strlen(ev->id))) {
        *why = "event id is not a UUID";
        return false;
    }
    if (nonempty(ev->type) == NULL) {
        *why = "event has no type";
        return false;
    }
    if (ev->ts_ms <= 0) {
        *why = "event has no timestamp";
        return false;
    }
    row->id = ev->id;
    row->type = ev->type;
    row->source = nonempty(ev->source);
    row->instance = nonempty(ev->instance);
    cc_time_iso(row->ts, sizeof(row->ts), ev->ts_ms);
    switch (ev->body_case) {
    case CC__EVENT__BODY_ENQUIRY:
        row->enquiry_id = nonempty(ev->enquiry->id);
        break;
    case CC__EVENT__BODY_LEG:
        row->enquiry_id = nonempty(ev->leg->enquiry_id);
        break;
    case CC__EVENT__BODY_PRESENCE:
        row->staff_id = nonempty(ev->presence->staff_id);
        break;
    default:
        break;
    }
    if (nonempty(ev->staff_id) != NULL)
        row->staff_id = ev->staff_id;
    /* the column is uuid: an enquiry id that is not one is kept in the body only */
    if (row->enquiry_id != NULL && !cc_id_valid(row->enquiry_id, strlen(row->enquiry_id)))
        row->enquiry_id = NULL;
    return true;
}
