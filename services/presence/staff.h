/*
 * staff: sessions (login, logout, token check), status (online, busy,
 * offline), heartbeats and the sweep that takes a staff member whose
 * console went quiet offline. Every state change is one Lua step in Redis
 * and is published as a presence.changed event.
 *
 *   cc:session:<sha256(token)>  hash {staff_id, role, created_ms}, expires
 *                               after CC_SESSION_TTL_S; role is the
 *                               directory mirror's at login
 *   cc:sessions:<sid>           set of the staff member's session keys (what
 *                               a directory change that revokes them ends:
 *                               dir_mirror), expiring with the newest
 *   cc:presence:<sid>           hash {status, changed_at_ms, last_seen_ms,
 *                               call, followup_until_ms, outbound, chats}
 *   cc:presence:live            zset sid -> last_seen_ms of everyone not
 *                               offline (what the sweep looks at)
 *
 * Login runs on a pool of CC_PASSWORD_WORKERS threads (workers.h): the
 * bus thread only hands it over. An unknown e-mail costs the same hash as
 * a known one (a dummy Argon2id hash made at start) and gets the same
 * answer; a hash of an earlier format is replaced by Argon2id after a login
 * that matched it (password.h, README.md "Passwords and login").
 *
 * Availability (R7): chat when online with a fresh heartbeat; call when
 * that and not on a call and not following one up (outbound calls and chats
 * do not block a call).
 */
#ifndef STAFF_H
#define STAFF_H
#include "cc_bus.h"
#include "cc_config.h"
#include "cc_redis.h"
#include "dir_store.h"
#include "presence.pb-c.h"

struct staff;

/* All borrowed until staff_stop. Registers the scripts, makes the dummy
 * password hash, starts the login workers and the sweep thread (every 1 s;
 * any replica may sweep, the script makes it exactly-once). */
cc_status staff_start(struct staff **sp, struct cc_bus *bus, struct cc_redis *redis,
                      struct dir_store *dir, const struct cc_config *cfg, char *err, size_t errlen);
/* Subscribes cc.presence.{login,auth,logout,status,heartbeat,get,activity,sessions}. */
cc_status staff_serve(struct staff *s);
/* Stops the sweep thread and the login workers, after they have answered
 * the logins already queued (both use the bus: call before the bus is
 * drained). Handlers may still run until the bus is drained; a login that
 * arrives meanwhile is answered "unavailable". */
void staff_stop(struct staff *s);
/* Frees; after the bus is drained. Accepts NULL. */
void staff_free(struct staff *s);

#endif
