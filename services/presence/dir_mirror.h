/*
 * dir_mirror: writes the whole directory into Redis in one atomic Lua step
 * (lua/mirror.lua), replacing what was there. Readers (queue's routing
 * scripts) only see complete states. The same step appends the change's
 * audit fact "directory.changed" to presence's outbox and ends the sessions
 * of a staff member the change revokes (deleted, or role changed), so the
 * three happen together or not at all. Keys (ids are [a-z0-9_-]):
 *
 *   cc:dir:group:<gid>            hash  name
 *   cc:dir:group:<gid>:members    set   staff ids
 *   cc:dir:staff:<sid>            hash  name, email, role
 *   cc:dir:staff:<sid>:groups     set   group ids
 *   cc:dir:channel:<cid>          hash  name, type, group_id, staff_id, voicemail (0/1),
 *                                       max_wait_broadcast_s, max_wait_direct_s,
 *                                       max_wait_chat_s (defaults applied: 30/90/60),
 *                                       custom_info (cc.CustomInfo protobuf bytes)
 *   cc:dir:number:<e164>          string channel id
 *   cc:dir:keys                   set   every key above (what the next rewrite deletes)
 *   cc:dir:version                counter, +1 per rewrite
 */
#ifndef DIR_MIRROR_H
#define DIR_MIRROR_H
#include "cc_outbox.h"
#include "cc_redis.h"
#include "cc_step.h"
#include "directory.pb-c.h"
#include "event.pb-c.h"

#define DIR_DEFAULT_WAIT_BROADCAST_S 30
#define DIR_DEFAULT_WAIT_DIRECT_S 90
#define DIR_DEFAULT_WAIT_CHAT_S 60

/* The change a rewrite records (its audit fact); all borrowed. */
struct dir_audit {
    const char *actor;  /* staff id, "bootstrap" or "ccctl" */
    Cc__DirOp op;       /* create, put, delete */
    Cc__DirKind kind;
    const char *key;    /* the entry's id */
    bool created;
    const char *revoke; /* staff id whose sessions end, or "" */
};

/* Registers the script once; *id is what dir_mirror_write takes. */
cc_status dir_mirror_init(struct cc_redis *redis, int *script_id, char *err, size_t errlen);
/* Replaces the mirror with everything in all (groups, staff, channels,
 * numbers). audit NULL: a rebuild (at start), no fact; else the change's
 * fact goes into the outbox and audit->revoke's sessions end, in the same
 * step. CC_ERR_UNAVAILABLE when Redis did not do it, or refused because the
 * outbox or the event stream is full (nothing done). */
cc_status dir_mirror_write(const struct cc_step_frame *frame, int script_id,
                           const Cc__DirReply *all, const struct dir_audit *audit);
/* The outbox relay's part for a "directory.changed" entry (the fields
 * lua/mirror.lua wrote): fills *c (strings borrowed from e) and points ev's
 * body at it; ev->staff_id is the actor when the actor is a staff member.
 * False when the entry is malformed. */
bool dir_mirror_fact(const struct cc_outbox_entry *e, Cc__Event *ev, Cc__DirChange *c);

#endif
