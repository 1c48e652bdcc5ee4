/*
 * dir_store: the directory in PostgreSQL (component "directory") and its
 * mirror in Redis.
 *
 * Every change runs in one transaction under an advisory lock: change the
 * rows, read the whole directory back, rewrite the Redis mirror (one Lua
 * step, see dir_mirror.h, which also appends the change's audit fact
 * "directory.changed" naming DirRequest.actor to presence's outbox and ends
 * the sessions of a staff member deleted or given another role), then
 * COMMIT. So the mirror always equals a committed state, two presence
 * replicas never interleave, and a change whose mirror write fails (Redis
 * down, the outbox or the event stream full) is rolled back and reported
 * (CC_ERR_UNAVAILABLE).
 *
 * A password a change carries is stored only as what needs it: a staff
 * member's as an Argon2id hash (password.h) and their phone's SIP HA1 for
 * cfg->sip_realm, a trunk's as its HA1 (sip_digest.h); both are made
 * before the lock is taken.
 *
 * Thread-safe: an internal mutex serialises use of the one connection.
 */
#ifndef DIR_STORE_H
#define DIR_STORE_H
#include "cc_config.h"
#include "cc_redis.h"
#include "cc_status.h"
#include "dir_valid.h"
#include "directory.pb-c.h"

struct dir_store;

/* Connects to cfg->pg_url (retrying for cfg->connect_timeout_ms),
 * migrates, and rewrites the mirror from PostgreSQL. cfg (its outbox
 * settings) and redis are borrowed until dir_store_close. */
cc_status dir_store_open(struct dir_store **sp, const struct cc_config *cfg,
                         struct cc_redis *redis, char *err, size_t errlen);
void dir_store_close(struct dir_store *s);

/*
 * Runs one request; a change (CREATE, PUT, DELETE) must name its actor.
 * Fills out (heap; free its contents with
 * protobuf_c_message_free_unpacked on a heap copy, or dir_reply_clear).
 * Returns CC_OK, CC_ERR_INVALID (why says which field), CC_ERR_NOT_FOUND,
 * CC_ERR_CONFLICT (why says why), or CC_ERR_UNAVAILABLE/CC_ERR_PG.
 */
cc_status dir_store_handle(struct dir_store *s, const Cc__DirRequest *req, Cc__DirReply *out,
                           struct dir_invalid *why);
/* Frees what dir_store_handle put into r and re-initialises it. */
void dir_reply_clear(Cc__DirReply *r);

/* Looks up a staff member by email for login: copies the id, role and
 * password hash; *sip_current says whether a SIP digest HA1 for the
 * current CC_SIP_REALM is stored. CC_ERR_NOT_FOUND when no such email. */
cc_status dir_store_credentials(struct dir_store *s, const char *email, char *id, size_t idlen,
                                char *role, size_t rolelen, char *hash, size_t hashlen,
                                bool *sip_current);

/* After a login that verified (the plaintext known), stores again what is
 * due, if the password hash of staff id is still old_hash (a password set
 * meanwhile is kept): new_hash, the upgrade of an earlier format
 * (password.h), and/or sip_ha1, the phone's HA1 for the current realm
 * (none stored, or one for another realm); NULL: keep that one. A new
 * HA1 also rewrites the Redis mirror (no audit fact: the password is the
 * same), in the same transaction. *stored says whether it was written. */
cc_status dir_store_rehash(struct dir_store *s, const char *id, const char *old_hash,
                           const char *new_hash, const char *sip_ha1, bool *stored);

/* Whether PostgreSQL answered last time. */
bool dir_store_ok(struct dir_store *s);

#endif
