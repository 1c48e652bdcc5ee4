/*
 * dir_trunks: the SIP trunks of the directory in PostgreSQL (table
 * dir_trunks, a migration of component "directory" in dir_store.c).
 *
 * A trunk's digest password is never stored: only its HA1 (sip_digest.h)
 * and the realm that HA1 was made for (ha1_realm), next to the realm the
 * admin gave (realm, "" = CC_SIP_REALM). Called by dir_store inside its
 * transaction, under its lock; pg is borrowed.
 */
#ifndef DIR_TRUNKS_H
#define DIR_TRUNKS_H
#include <stdbool.h>
#include "cc_pg.h"
#include "cc_status.h"
#include "dir_mirror.h"
#include "dir_valid.h"
#include "directory.pb-c.h"

/* The realm a trunk's digest is made for: its own, else default_realm
 * (borrowed from t or default_realm). */
const char *dir_trunk_realm(const Cc__DirTrunk *t, const char *default_realm);

/* Appends the trunk id (NULL: every trunk, by id) to out->trunks (password
 * ""). dig NULL for a reply; else dig->trunk_ha1 and dig->trunk_realm get
 * one heap string per trunk, parallel to out->trunks (the mirror's ha1 and
 * realm: the realm the HA1 was made for, or the trunk's realm in effect
 * when it has none). */
cc_status dir_trunks_load(struct cc_pg *pg, const char *id, const char *default_realm,
                          Cc__DirReply *out, struct dir_digests *dig, char *err, size_t errlen);

/* Creates or replaces t (checked with dir_check_trunk). ha1: made from
 * t->password for dir_trunk_realm(t, default_realm), or NULL when t has no
 * password: then a trunk with a username keeps the stored HA1 if username
 * and realm are the ones it was made for, else CC_ERR_INVALID (field
 * "password"). *created: no such trunk before. CC_ERR_CONFLICT for a
 * create of an existing id. */
cc_status dir_trunks_write(struct cc_pg *pg, const Cc__DirTrunk *t, const char *ha1,
                           const char *default_realm, bool create, bool *created,
                           struct dir_invalid *why, char *err, size_t errlen);

#endif
