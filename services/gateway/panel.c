/* panel: coalescing a console's panel pushes. See panel.h. */
#include "panel.h"

bool gw_panel_push(struct gw_panel *p, int64_t now, int window_ms)
{
    switch (p->state) {
    case GW_PANEL_FETCHING:
        p->again = true; /* the snapshot on its way may predate this change */
        return false;
    case GW_PANEL_DIRTY:
        return false;
    case GW_PANEL_LIVE:
        break;
    }
    if (now - p->window_start_ms >= window_ms) {
        p->window_start_ms = now;
        p->sent = 0;
    }
    if (p->sent < GW_PANEL_BURST) {
        p->sent++;
        return true;
    }
    p->state = GW_PANEL_DIRTY;
    return false;
}

bool gw_panel_due(struct gw_panel *p, int64_t now, int window_ms)
{
    if (p->state != GW_PANEL_DIRTY)
        return false;
    /* let the burst that made it dirty go on for the rest of its window,
     * and read at most one snapshot per window */
    if (now < p->window_start_ms + window_ms)
        return false;
    if (p->fetch_ms != 0 && now - p->fetch_ms < window_ms)
        return false;
    p->state = GW_PANEL_FETCHING;
    p->again = false;
    p->fetch_ms = now;
    return true;
}

bool gw_panel_fetched(struct gw_panel *p, bool ok, int64_t now)
{
    if (p->state != GW_PANEL_FETCHING)
        return false; /* not waiting for one (a socket opened since) */
    if (!ok) {
        p->state = GW_PANEL_DIRTY;
        return false;
    }
    if (p->again) {
        p->state = GW_PANEL_DIRTY;
        p->again = false;
    } else {
        p->state = GW_PANEL_LIVE;
    }
    p->window_start_ms = now;
    p->sent = 0;
    return true;
}
