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
 *   cc:dir:staff:<sid>            hash  name, email, role, sip_ha1 (hex MD5(sid:realm:password)
 *                                       for realm CC_SIP_REALM, "" when none is stored for it)
 *   cc:dir:staff:<sid>:groups     set   group ids
 *   cc:dir:channel:<cid>          hash  name, type, group_id, staff_id, voicemail (0/1),
 *                                       max_wait_broadcast_s, max_wait_direct_s,
 *                                       max_wait_chat_s (defaults applied: 30/90/60),
 *                                       custom_info (cc.CustomInfo protobuf bytes)
 *   cc:dir:number:<e164>          string channel id
 *   cc:dir:sipuser:<sid>          string staff id (the SIP digest user of a staff phone is the
 *                                       staff id); only for staff with a sip_ha1
 *   cc:dir:trunk:<tid>            hash  name, addresses (comma-separated addresses and CIDRs,
 *                                       may be ""), username ("" = no digest), ha1 (hex
 *                                       MD5(username:realm:password), "" = no digest), realm
 *                                       (the realm ha1 is for; without digest the trunk's
 *                                       realm or CC_SIP_REALM)
 *   cc:dir:trunks                 set   trunk ids
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

/* What the mirror carries that directory replies never do: the digest
 * HA1s (sip_digest.h), read with the rows by dir_store. Arrays parallel to
 * the reply's staff and trunks, every entry a heap string ("" when none). */
struct dir_digests {
    char **staff_ha1;   /* sip_ha1 for the current CC_SIP_REALM */
    char **trunk_ha1;   /* the trunk's HA1 */
    char **trunk_realm; /* the realm of trunk_ha1 (see the key list above) */
};

/* Frees the arrays (of the reply's sizes) and zeroes d. */
void dir_digests_clear(struct dir_digests *d, size_t n_staff, size_t n_trunks);

/* Registers the script once; *id is what dir_mirror_write takes. */
cc_status dir_mirror_init(struct cc_redis *redis, int *script_id, char *err, size_t errlen);
/* Replaces the mirror with everything in all (groups, staff, channels,
 * numbers, trunks) and the HA1s in dig. audit NULL: a rebuild (at start), no fact; else the change's
 * fact goes into the outbox and audit->revoke's sessions end, in the same
 * step. CC_ERR_UNAVAILABLE when Redis did not do it, or refused because the
 * outbox or the event stream is full (nothing done). */
cc_status dir_mirror_write(const struct cc_step_frame *frame, int script_id,
                           const Cc__DirReply *all, const struct dir_digests *dig,
                           const struct dir_audit *audit);
/* The outbox relay's part for a "directory.changed" entry (the fields
 * lua/mirror.lua wrote): fills *c (strings borrowed from e) and points ev's
 * body at it; ev->staff_id is the actor when the actor is a staff member.
 * False when the entry is malformed. */
bool dir_mirror_fact(const struct cc_outbox_entry *e, Cc__Event *ev, Cc__DirChange *c);

#endif
