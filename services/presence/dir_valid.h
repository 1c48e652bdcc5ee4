/*
 * dir_valid: rules for directory entries, checked before anything is
 * stored. Pure functions; each failure names the offending field (as the
 * JSON API spells it) so the edge can answer 400 {"field": ...}.
 */
#ifndef DIR_VALID_H
#define DIR_VALID_H
#include <stdbool.h>
#include <stddef.h>
#include "directory.pb-c.h"

#define DIR_ID_MAX 64
#define DIR_GROUP_NAME_MAX 40
#define DIR_NAME_MAX 120
#define DIR_EMAIL_MAX 254
#define DIR_PASSWORD_MIN 8
#define DIR_PASSWORD_MAX 128
#define DIR_MEMBERS_MAX 1000
#define DIR_CUSTOM_ITEMS_MAX 50
#define DIR_CUSTOM_TEXT_MAX 2000
#define DIR_WAIT_MAX_S 3600
#define DIR_TRUNK_ADDRESSES_MAX 64 /* = CC_CIDR_LIST_MAX: ingress parses them as one list */
#define DIR_TRUNK_ADDRESS_MAX 49   /* "ffff:...:255.255.255.255/128" */
#define DIR_SIP_USER_MAX 64
#define DIR_OUTBOUND_URI_MAX 255

struct dir_invalid {
    const char *field; /* e.g. "name", "member_ids[2]" is reported as "member_ids" */
    char message[160];
};

/* Who changes the directory (DirRequest.actor, recorded in the audit fact):
 * a staff id, or one of these two, which are therefore no staff ids. */
#define DIR_ACTOR_BOOTSTRAP "bootstrap" /* the gateway's static CC_ADMIN_TOKEN */
#define DIR_ACTOR_CCCTL "ccctl"         /* ccctl apply, on the bus */

bool dir_valid_id(const char *s);
/* A well-formed actor (an id); not NULL. */
bool dir_valid_actor(const char *actor);
/* Whether the actor names a staff member (not a reserved word). */
bool dir_actor_is_staff(const char *actor);
bool dir_valid_email(const char *s);
bool dir_valid_e164(const char *s);

/* need_password: a new staff member must have one; a replace may omit it
 * (the stored hash is kept). */
bool dir_check_group(const Cc__Group *g, struct dir_invalid *why);
bool dir_check_staff(const Cc__Staff *s, bool need_password, struct dir_invalid *why);
bool dir_check_channel(const Cc__Channel *c, struct dir_invalid *why);
bool dir_check_number(const Cc__VirtualNumber *n, struct dir_invalid *why);
/* A trunk: id and name like the other kinds; addresses each exactly one
 * IPv4/IPv6 address or CIDR range (cc_netaddr), written with only hex
 * digits, '.', ':' and '/', at most 64; username 1-64 printable ASCII
 * characters other than space, '"', '\\' and ':' (it goes into HA1 and a
 * quoted-string); a password (8-128 characters) only with a username;
 * realm "" or a valid realm (cc_config_valid_realm); and addresses or a
 * username (whose password a replace may leave out: dir_store keeps the
 * stored HA1 while username and realm stay the same). */
bool dir_check_trunk(const Cc__DirTrunk *t, struct dir_invalid *why);
/* One trunk address (len bytes): see dir_check_trunk. */
bool dir_valid_trunk_address(const char *s, size_t len);
/* A digest username (len bytes): see dir_check_trunk. */
bool dir_valid_sip_user(const char *s, size_t len);
/* A trunk's outbound_uri: "sip:host[:port]" (dir_valid.c says exactly what). */
bool dir_valid_outbound_uri(const char *s, size_t len);

#endif
