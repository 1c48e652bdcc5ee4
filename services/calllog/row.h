/*
 * row: maps an Event to the columns of the events table. Pure, no I/O, so
 * the mapping is unit-tested on its own.
 */
#ifndef CLOG_ROW_H
#define CLOG_ROW_H
#include <stdbool.h>
#include <stddef.h>
#include "event.pb-c.h"

struct clog_row {
    const char *id; /* borrowed from the event */
    char ts[32];    /* ISO-8601 UTC, for timestamptz */
    const char *type;
    const char *source;
    const char *instance;
    const char *enquiry_id; /* NULL when the event concerns no enquiry */
    const char *staff_id;   /* NULL when it concerns no staff member */
};

/* Fills row from ev; false (with a reason) when ev cannot be stored: no
 * valid UUID id, no type, a timestamp that is not positive or past the year
 * 9999, or text that is not UTF-8 (PostgreSQL would refuse the row). The
 * strings are borrowed from ev. */
bool clog_row_from_event(struct clog_row *row, const Cc__Event *ev, const char **why);

#endif
