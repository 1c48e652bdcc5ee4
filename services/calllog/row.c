/* row: Event -> events table columns. */
#include "row.h"
#include "cc_id.h"
#include "cc_time.h"

#include <stdint.h>
#include <string.h>

/* Years 1970 to 9999: what cc_time_iso writes and timestamptz reads back. */
#define TS_MAX_MS 253402300799999LL

static const char *nonempty(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : NULL;
}

/* Whether s (NUL-terminated, may be NULL) is UTF-8: no stray or overlong
 * sequence, no surrogate, nothing past U+10FFFF. */
static bool utf8(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;

    if (s == NULL)
        return true;
    while (*s != 0) {
        unsigned c = *s, n, min;
        uint32_t cp;
        if (c < 0x80) {
            s++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1, min = 0x80, cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2, min = 0x800, cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return false;
        }
        for (unsigned i = 1; i <= n; i++) {
            if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
                return false;
            cp = (cp << 6) | (s[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        s += n + 1;
    }
    return true;
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
    if (ev->ts_ms > TS_MAX_MS) {
        *why = "event timestamp is past the year 9999";
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
    /* PostgreSQL refuses text that is not UTF-8, the whole statement with it:
     * such an event would come back for ever, holding its batch. */
    if (!utf8(row->type) || !utf8(row->source) || !utf8(row->instance) || !utf8(row->staff_id)) {
        *why = "event has text that is not UTF-8";
        return false;
    }
    return true;
}
