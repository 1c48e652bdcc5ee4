/*
 * page: the paging arguments of GET /api/v1/pending (docs/api.md).
 *
 *   ?limit=N        at most N items, 1 to GW_PAGE_MAX (default GW_PAGE_DEFAULT)
 *   ?before=<id>    only enquiries older than this one (newest first: the
 *                   next page starts after the last item of this one)
 *
 * Pure, for the unit test and the fuzz target (tests/fuzz/fuzz_page.c).
 */
#ifndef GW_PAGE_H
#define GW_PAGE_H
#include <stdbool.h>
#include "cc_id.h"

#define GW_PAGE_DEFAULT 50 /* items of a page, and of a console's panel snapshot */
#define GW_PAGE_MAX 200

struct gw_page {
    int limit;
    char before[CC_ID_LEN]; /* "" = from the newest */
};

/* limit and before: the query arguments as given (NUL-terminated), NULL
 * when absent. False when one is malformed: *field names it. */
bool gw_page_parse(const char *limit, const char *before, struct gw_page *p, const char **field);

#endif
