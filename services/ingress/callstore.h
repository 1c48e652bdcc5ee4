/*
 * callstore: a call in Redis, cc:call:<id> (DESIGN.md, "Call control"):
 * its state (new -> offering -> answered -> ended), the instance and
 * server transaction that hold its INVITE, its enquiry (and the visitor
 * token that ends it as the caller), its media node and leg, our SDP
 * answer, and the dialog (Call-ID, our and the caller's From/To, target,
 * route set, our CSeq) from which any replica can send BYE. Indexes:
 * cc:call:sip:<Call-ID>, cc:call:enq:<enquiry id>. Changed only by the Lua
 * steps lua/call_new.lua and lua/call_set.lua.
 */
#ifndef INGRESS_CALLSTORE_H
#define INGRESS_CALLSTORE_H
#include <stdbool.h>
#include "cc_status.h"
#include "ingress.h"

#define CALL_TTL_S 43200      /* a call's record lives this long after its last change */
#define CALL_ENDED_TTL_S 600  /* and this long once it has ended */

/* A call's fields as a step or a read returned them. */
struct call {
    redisReply *r; /* owned */
    size_t first;  /* where the field/value pairs start */
};

/* The value of field ("" when absent); borrowed from c. */
const char *call_get(const struct call *c, const char *field);
void call_clear(struct call *c);

/* {'new', id} or {'exists', id, state}: *existed, id into id_out. */
cc_status call_new(struct ingress *in, const char *id, const char *sip_call_id, int nfields,
                   const char **fields, bool *existed, char id_out[64], char state[16]);

/*
 * Moves call id from one of from (comma-separated, "*" any) to to, setting
 * fields (name, value pairs); bump adds one to local_cseq. CC_OK: *c holds
 * the call after the change and *prev its state before; CC_ERR_CONFLICT:
 * its state was not one of from (in *prev); CC_ERR_NOT_FOUND;
 * CC_ERR_UNAVAILABLE.
 */
cc_status call_set(struct ingress *in, const char *id, const char *from, const char *to,
                   bool bump, int nfields, const char **fields, struct call *c, char prev[16]);

/*
 * The same for a ring (cc:ring:<id>, lua/ring_set.lua): from may include
 * "none" to create it, with the fields call, staff and contact; when a
 * ring of that call, staff and contact exists already: CC_ERR_CONFLICT
 * with prev "exists".
 */
cc_status ring_set(struct ingress *in, const char *id, const char *from, const char *to,
                   bool bump, int nfields, const char **fields, struct call *c, char prev[16]);

/* Reads call id as it is now (no change): CC_OK and *c, CC_ERR_NOT_FOUND,
 * CC_ERR_UNAVAILABLE. */
cc_status call_read(struct ingress *in, const char *id, struct call *c);

/* BYE in the dialog record c holds (a call or a ring, as a step that
 * bumped its local_cseq returned it): any replica can send it. */
void call_send_bye(struct ingress *in, const struct call *c);

/* The call id of an index key (cc:call:sip:<x> / cc:call:enq:<x>):
 * CC_ERR_NOT_FOUND when none. */
cc_status call_lookup(struct ingress *in, const char *index, const char *value, char id[64]);

#endif
