/*
 * panel: when a staff console's panel changes are pushed one by one, and
 * when they are coalesced into one snapshot of the panel.
 *
 * A panel push is an "enquiry.offered" or a withdrawal (push.h: panel).
 * In each window of CC_WS_PANEL_MS a console gets its first GW_PANEL_BURST
 * panel pushes one by one, as they happen. Past that the panel is dirty:
 * its pushes are dropped, and once the window has ended the hub has the
 * panel as it is now read (GET /api/v1/pending's first page) and sends it
 * as one "pending.resync" message: at most one per window. While that
 * snapshot is being read every panel push is dropped as well and, because
 * the snapshot may have been read before the change it stands for, another
 * snapshot follows one window later. So a burst of hundreds of offers and
 * withdrawals reaches a console as a few messages, its outbox never fills
 * because of the server's own traffic, and the console ends with the
 * panel as it is.
 *
 * Pure (time is passed in), so the state machine is unit-tested on its own;
 * the hub keeps one per staff socket and calls these under its lock.
 */
#ifndef GW_PANEL_H
#define GW_PANEL_H
#include <stdbool.h>
#include <stdint.h>

#define GW_PANEL_BURST 20 /* panel pushes per window sent one by one */

enum gw_panel_state {
    GW_PANEL_LIVE,     /* pushes go one by one */
    GW_PANEL_DIRTY,    /* pushes dropped; a snapshot is due */
    GW_PANEL_FETCHING, /* pushes dropped; a snapshot is being read */
};

struct gw_panel {
    enum gw_panel_state state;
    bool again;              /* a push was dropped while fetching: one more snapshot */
    int64_t window_start_ms; /* the current window */
    int sent;                /* pushes sent one by one in it */
    int64_t fetch_ms;        /* when the last snapshot was asked for; 0 = never */
};

/* A panel push for this console at now: true = send it, false = drop it
 * (the panel is dirty, or being read). */
bool gw_panel_push(struct gw_panel *p, int64_t now, int window_ms);

/* True when a snapshot should be read now: dirty, the window it became
 * dirty in has ended and the last snapshot was asked for at least a window
 * ago. Moves to FETCHING. */
bool gw_panel_due(struct gw_panel *p, int64_t now, int window_ms);

/* The snapshot asked for was read (ok) or could not be (!ok, tried again a
 * window later). True = send it to this console (it was waiting for it).
 * A new window starts, so the next changes go one by one again. */
bool gw_panel_fetched(struct gw_panel *p, bool ok, int64_t now);

#endif
