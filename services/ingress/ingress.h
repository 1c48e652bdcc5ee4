/*
 * ingress: the service's context, shared by its modules, and its life cycle.
 *
 *   sip.c      the SIP thread (sofia-sip nta on su_root): transactions, replies, BYE
 *   work.c     worker threads: the calls' steps that wait on Redis and NATS, one
 *              FIFO per worker, a call always on the same worker (by Call-ID)
 *   calls.c    what happens to a call: INVITE, CANCEL, BYE, re-INVITE from the
 *              trunk; answered / missed / blocked / ended from the enquiry
 *   callstore.c  the call in Redis (cc:call:<id>), changed by Lua steps only
 *   facts.c    the JetStream consumer "ingress-enquiry" of the enquiry facts
 *   mediafacts.c  the consumer "ingress-media": a media timeout ends the call
 *   control.c  call controls for the staff in a call (cc.ingress.control)
 *   resync.c   the phones of waiting calls follow the stored offers (lost
 *              notifications)
 *   medialeg.c requests to a media node (allocate, remote, release)
 *   phones.c   staff phones: REGISTER, ringing them for an offered call, their
 *              answer through the atomic answer step, CANCEL, BYE, the bridge
 *   trunk.c, auth.c, number.c, sdp.c, contact.c  who may call or register,
 *              which number, what media, which bindings
 */
#ifndef INGRESS_INGRESS_H
#define INGRESS_INGRESS_H
#include "cc_bus.h"
#include "cc_config.h"
#include "cc_redis.h"
#include "cc_step.h"

enum ingress_script {
    I_TRUNKS,      /* read: every trunk */
    I_CALL_NEW,    /* a call for a new INVITE (or the one a retry made) */
    I_CALL_SET,    /* a call's state change, with its facts */
    I_REG,         /* a staff phone's bindings (REGISTER) */
    I_RING_SET,    /* a ring (INVITE to a staff phone): new, or a change of state */
    I_OUT_NEW,     /* an outbound call (outbound.c) */
    I_SCRIPT_COUNT
};

struct sip;
struct work;
struct facts;
struct mediafacts;
struct resync;

/* Shared by every thread of the service: immutable after ingress_start,
 * except through the thread-safe objects it points to (bus, redis, sip,
 * work). */
struct ingress {
    const struct cc_config *cfg;
    struct cc_bus *bus;
    struct cc_redis *redis;
    int script[I_SCRIPT_COUNT];
    struct cc_step_frame frame;
    struct sip *sip;
    struct work *work;
    struct facts *facts;
    struct mediafacts *mediafacts;
    struct resync *resync;
};

/* Registers the scripts, starts the workers, the SIP thread, the facts
 * consumers and the call controls. bus, redis and cfg are borrowed until ingress_free. */
cc_status ingress_start(struct ingress **ip, struct cc_bus *bus, struct cc_redis *redis,
                        const struct cc_config *cfg, char *err, size_t errlen);
/* Stops the consumer, the SIP thread and the workers (before the bus drains). */
void ingress_stop(struct ingress *in);
/* Accepts NULL. */
void ingress_free(struct ingress *in);
/* For the ping: Redis answers and the SIP stack serves. */
bool ingress_ready(void *arg, char *detail, size_t len);

#endif
