/*
 * trunk: is a SIP request from a configured carrier trunk?
 *
 * Trunks are in the directory (mirrored into Redis like the numbers):
 * cc:dir:trunks is the set of trunk ids, cc:dir:trunk:<id> a hash of
 * name, addresses (comma-separated IPv4/IPv6 addresses or CIDRs the
 * carrier sends from; may be empty), username and ha1 (digest
 * credentials: ha1 is the lower-case hex MD5 of username:realm:password;
 * both empty when the trunk has none) and realm.
 *
 * A request is from a trunk when its source address is inside some trunk's
 * addresses, or when it carries digest credentials of a trunk with a
 * username that verify against its ha1 (auth.c). Matching by address is a
 * pure function here (unit tested); reading the trunks is trunk_load.
 */
#ifndef INGRESS_TRUNK_H
#define INGRESS_TRUNK_H
#include <stdbool.h>
#include <stddef.h>
#include "cc_netaddr.h"
#include "cc_redis.h"
#include "cc_status.h"

#define TRUNK_MAX 256 /* trunks read at most */
#define TRUNK_FIELD_MAX 256

struct trunk {
    char id[65];
    char name[TRUNK_FIELD_MAX];
    char addresses[1024];
    char username[TRUNK_FIELD_MAX];
    char ha1[33];
    char realm[TRUNK_FIELD_MAX];
    char outbound_uri[TRUNK_FIELD_MAX]; /* "sip:host[:port]", "" none (outbound.c) */
};

struct trunk_set {
    size_t n;
    struct trunk t[TRUNK_MAX];
};

/* Whether src is inside the comma/space-separated list addresses[0..len).
 * A list that does not parse matches nothing (*bad set, so it can be
 * logged); an empty list matches nothing. */
bool trunk_addr_match(const char *addresses, size_t len, const struct cc_netaddr *src, bool *bad);

/* The first trunk of s whose addresses hold src, or NULL. */
const struct trunk *trunk_by_address(const struct trunk_set *s, const struct cc_netaddr *src);

/* The trunk of s with this digest username (non-empty), or NULL. */
const struct trunk *trunk_by_username(const struct trunk_set *s, const char *username);

/* Whether some trunk of s has digest credentials. */
bool trunk_any_digest(const struct trunk_set *s);

/* Reads every trunk from Redis into *s (script: lua/trunks.lua, run with
 * cc_redis_script_call). CC_ERR_UNAVAILABLE when Redis did not answer:
 * never read as "no trunks". */
cc_status trunk_load(struct trunk_set *s, struct cc_redis *redis, int script);

#endif
