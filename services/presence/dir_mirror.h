/*
 * dir_mirror: writes the whole directory into Redis in one atomic Lua step,
 * replacing what was there. Readers (queue's routing scripts) only see
 * complete states. Keys (ids are [a-z0-9_-]):
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
#include "cc_redis.h"
#include "directory.pb-c.h"

#define DIR_DEFAULT_WAIT_BROADCAST_S 30
#define DIR_DEFAULT_WAIT_DIRECT_S 90
#define DIR_DEFAULT_WAIT_CHAT_S 60

/* Registers the script once; *id is what dir_mirror_write takes. */
cc_status dir_mirror_init(struct cc_redis *redis, int *script_id, char *err, size_t errlen);
/* Replaces the mirror with everything in all (groups, staff, channels, numbers). */
cc_status dir_mirror_write(struct cc_redis *redis, int script_id, const Cc__DirReply *all);

#endif
