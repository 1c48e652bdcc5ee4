/* page: ?limit=&before= of the pending panel. See page.h. */
#include "page.h"
#include "cc_config.h"

#include <string.h>

bool gw_page_parse(const char *limit, const char *before, struct gw_page *p, const char **field)
{
    long n = GW_PAGE_DEFAULT;

    p->limit = GW_PAGE_DEFAULT;
    p->before[0] = '\0';
    if (limit != NULL && !cc_config_parse_int(limit, 1, GW_PAGE_MAX, &n)) {
        *field = "limit";
        return false;
    }
    if (before != NULL) {
        size_t len = strnlen(before, CC_ID_LEN);
        if (!cc_id_valid(before, len)) {
            *field = "before";
            return false;
        }
        memcpy(p->before, before, len + 1);
    }
    p->limit = (int)n;
    return true;
}
