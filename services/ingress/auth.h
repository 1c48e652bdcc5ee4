/*
 * auth: digest authentication of trunks (RFC 2617 / 3261 22.4) with
 * sofia-sip's digest helpers (auth_digest_response_get parses the
 * credentials, auth_digest_response computes the expected answer from the
 * trunk's ha1). Nonces are random, kept in Redis for 5 minutes
 * (cc:sip:nonce:<nonce>), so any replica can check a nonce another one
 * issued.
 */
#ifndef INGRESS_AUTH_H
#define INGRESS_AUTH_H
#include <stddef.h>
#include "cc_status.h"
#include "ingress.h"
#include "trunk.h"

#define AUTH_NONCE_TTL_S 300
#define AUTH_CHALLENGE_MAX 512

/* A WWW-Authenticate value for realm with a fresh nonce (stored in Redis)
 * into out. CC_ERR_UNAVAILABLE when Redis did not take the nonce. */
cc_status auth_challenge(struct ingress *in, const char *realm, char out[AUTH_CHALLENGE_MAX]);

/*
 * The trunk whose digest credentials the Authorization header text auth
 * (without its name) proves for method, or NULL: *st is CC_OK (checked:
 * NULL means not proven), or CC_ERR_UNAVAILABLE (Redis could not say
 * whether the nonce is ours).
 */
const struct trunk *auth_verify(struct ingress *in, const struct trunk_set *ts, const char *auth,
                                const char *method, cc_status *st);

enum auth_staff {
    AUTH_STAFF_NONE,  /* no usable credentials, or a nonce not (or no longer) ours: challenge */
    AUTH_STAFF_BAD,   /* credentials for one of our nonces that do not verify: 403 */
    AUTH_STAFF_OK,    /* sid holds the staff id */
};

/*
 * A staff phone's credentials (REGISTER): the digest user is a SIP user
 * of the directory (cc:dir:sipuser:<user> -> staff id), verified with that
 * staff member's sip_ha1 (cc:dir:staff:<sid>) in realm CC_SIP_REALM. *st
 * is CC_ERR_UNAVAILABLE when Redis could not answer (the result is then
 * AUTH_STAFF_NONE).
 */
enum auth_staff auth_verify_staff(struct ingress *in, const char *auth, const char *method,
                                  char sid[128], cc_status *st);

#endif
