/*
 * sip_digest: the HA1 of SIP digest authentication (RFC 2617 3.2.2.2,
 * RFC 8760's MD5): lower-case hex MD5(username ":" realm ":" password).
 *
 * presence stores it, never the password, for what a SIP server must check
 * without it: a staff member's phone (username = the staff id, realm =
 * CC_SIP_REALM) and a trunk's digest credentials. Anyone with an HA1 can
 * answer a challenge of that realm as that user, so it is a secret like
 * the password: it reaches the Redis mirror (ingress reads it) and
 * PostgreSQL, never a reply or a log. MD5 because that is what phones and
 * carriers do; see services/presence/README.md, "SIP digest".
 *
 * Thread-safe.
 */
#ifndef SIP_DIGEST_H
#define SIP_DIGEST_H
#include "cc_status.h"

#define SIP_HA1_LEN 32 /* hex digits; out needs SIP_HA1_LEN + 1 bytes */

/* Writes HA1 for user, realm and password (all NUL-terminated, bytes as
 * given) into out, NUL-terminated. CC_ERR_IO when OpenSSL refuses MD5 (a
 * FIPS-only build); out is then "". */
cc_status sip_ha1(char out[SIP_HA1_LEN + 1], const char *user, const char *realm,
                  const char *password);

#endif
