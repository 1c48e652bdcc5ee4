/* static: files of the web root (visitor widget, Engage page, staff console). */
#ifndef GW_STATIC_H
#define GW_STATIC_H
#include <stdbool.h>
#include "http.h"

/* Serves cfg->web_root + path ("/" -> index.html); 404 for anything missing
 * or outside the root ("..", NUL, backslash are refused). */
void gw_static_serve(struct gw_ctx *ctx, const char *path, struct gw_reply *r);
/* True when path is safe to append to the web root. */
bool gw_static_path_ok(const char *path);

#endif
