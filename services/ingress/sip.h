/*
 * sip: the SIP stack's thread (sofia-sip nta: the transaction layer, over
 * UDP and TCP on CC_SIP_ADDR:CC_SIP_PORT).
 *
 * One thread runs sofia's event loop (su_root) and owns every sofia object:
 * the agent, its transports, every server transaction. Nothing else calls
 * sofia's nta; other threads hand work to it through sip_reply() and
 * sip_send_bye(), which queue an action and wake the loop (an eventfd
 * registered with su_root), and it hands requests out through the
 * callback given to sip_start(), copied into a struct sip_req that the
 * callee owns. So the SIP thread never waits on Redis or NATS: a slow
 * queue delays the calls that need it, not retransmissions or OPTIONS.
 *
 * What the thread answers itself: OPTIONS (200), malformed requests (400,
 * by nta; unparsable datagrams are dropped), oversized ones (413), CANCEL
 * (200 and 487 to its INVITE, by nta, then a SIP_REQ_CANCEL goes out so the
 * call is ended), ACK (absorbed), other methods (405). INVITE gets 100
 * Trying at once and a local To tag; INVITE, re-INVITE and BYE go out to
 * the callback and wait, by their transaction handle, for sip_reply().
 */
#ifndef INGRESS_SIP_H
#define INGRESS_SIP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cc_config.h"
#include "cc_status.h"

#define SIP_MSG_MAX 65536 /* larger messages are refused (413) */

enum sip_req_kind {
    SIP_REQ_INVITE,   /* a new call (no To tag) */
    SIP_REQ_REINVITE, /* an INVITE inside a dialog */
    SIP_REQ_BYE,
    SIP_REQ_CANCEL,   /* already answered 487 by the stack: only end the call */
    SIP_REQ_REGISTER, /* a staff phone registers (phones.c) */
    SIP_REQ_RING_OK,  /* a phone we rang answered 2xx (already ACKed): txn 0,
                       * ring the ring's id, to/contact/route/body from the 2xx */
    SIP_REQ_RING_FAILED, /* a phone we rang answered >= 300 (or timed out): status */
    SIP_REQ_RING_PROGRESS, /* a dial (sip_dial) got 180 or 183: status */
    /* Not SIP: a notification (notes.c) handed to the workers the same way.
     * call_id is the enquiry id (so one enquiry's notes stay in order), to_user
     * the staff member; txn 0. */
    SIP_REQ_NOTE_OFFERED,   /* cc.note.enquiry.offered: ring their phones */
    SIP_REQ_NOTE_WITHDRAWN, /* cc.note.enquiry.withdrawn: cancel their rings */
    SIP_REQ_RESYNC,         /* resync.c: the rings of enquiry call_id's call follow
                             * its stored offers */
};

#define SIP_CONTACTS_MAX 16 /* Contact entries of a REGISTER taken at most */
#define SIP_RING_ID_MAX 64

/* A request, copied out of sofia's message: owned by whoever receives it,
 * freed with sip_req_free(). Header texts are without the header name. */
struct sip_req {
    enum sip_req_kind kind;
    uint64_t txn;          /* server transaction handle for sip_reply (0: CANCEL) */
    char *call_id;
    char *from;            /* From header (the caller, with its tag) */
    char *from_tag;
    char *from_user;       /* From URI's user part ("" when none) */
    char *to;              /* To header as received */
    char *local_tag;       /* our To tag (INVITE: chosen now) */
    char *ruri_user;       /* Request-URI user part (tel: its number) */
    char *contact;         /* Contact URI: the remote target */
    char *route;           /* Record-Route headers, in order, comma-joined ("" none) */
    char *auth;            /* Authorization or Proxy-Authorization header ("" none) */
    char *body;            /* SDP (may hold NULs: body_len) */
    size_t body_len;
    char src_ip[64];       /* where the request came from */
    int src_port;
    uint32_t cseq;
    /* REGISTER: the To URI's user, the Expires header (-1 none), each
     * Contact URI with its expires parameter (-1 none); contact_star for
     * "Contact: *"; ncontacts > SIP_CONTACTS_MAX is kept as counted. */
    char *to_user;
    int expires;
    bool contact_star;
    int ncontacts;
    char *contacts[SIP_CONTACTS_MAX];
    int contact_expires[SIP_CONTACTS_MAX];
    /* RING_OK / RING_FAILED */
    char ring[SIP_RING_ID_MAX];
    int status;
};

void sip_req_free(struct sip_req *r);

/* Called on the SIP thread for each request that needs Redis or NATS; takes
 * ownership of req. Must not block: queue it. */
typedef void (*sip_req_fn)(void *arg, struct sip_req *req);

struct sip;

/* Binds CC_SIP_ADDR:CC_SIP_PORT (UDP and TCP) and starts the thread; returns
 * once it listens, or with CC_ERR_IO and a reason in err. cfg borrowed
 * until sip_free. */
cc_status sip_start(struct sip **sp, const struct cc_config *cfg, sip_req_fn fn, void *arg,
                    char *err, size_t errlen);
/* Stops the loop and joins the thread; transactions still open are dropped
 * (the caller retransmits to another replica). Accepts NULL. */
void sip_stop(struct sip *s);
void sip_free(struct sip *s);

/* A final or provisional response to transaction txn (from any thread; all
 * strings copied). A transaction that has ended meanwhile (the caller
 * cancelled) is ignored. */
struct sip_reply {
    int status;
    const char *phrase;   /* NULL: the standard phrase */
    const char *reason;   /* Reason header value, or NULL */
    const char *sdp;      /* body (application/sdp), or NULL */
    const char *www_auth; /* WWW-Authenticate value, or NULL */
    const char *warning;  /* Warning text (399 code), or NULL */
    const char *contact;  /* Contact header value(s) of a 2xx, or NULL: our own
                           * ("" none: a REGISTER's 200 without bindings) */
    int delay_ms;         /* > 0: sent this much later (a final answer after an
                           * announcement played as early media) */
};
void sip_reply(struct sip *s, uint64_t txn, const struct sip_reply *r);
/* bytes (at most 16) random bytes as hex into out (2 * bytes + 1): tags,
 * client nonces (OpenSSL's generator; a UUIDv7's tail if it fails). */
void sip_random_hex(char *out, size_t bytes);

/* sip_reply with a status and a Warning (or NULL) only. */
void sip_reply_status(struct sip *s, uint64_t txn, int status, const char *warning);

/* What is needed to send a request inside a dialog we answered, kept in
 * Redis so that any replica can do it. */
struct sip_dialog {
    const char *call_id;
    const char *local;  /* our side: the INVITE's To with our tag */
    const char *remote; /* the caller: the INVITE's From with its tag */
    const char *target; /* the caller's Contact URI */
    const char *route;  /* the route set (Record-Route in order), "" none */
    uint32_t cseq;      /* our CSeq for this request */
};
/* Sends BYE in dialog d (from any thread; copied). The response is logged. */
void sip_send_bye(struct sip *s, const struct sip_dialog *d);

/* An INVITE to a staff phone (a ring): a new dialog with Call-ID call_id,
 * our From from (with its tag), To to, Request-URI target, offer sdp.
 * Responses come back through the request callback as SIP_REQ_RING_OK (2xx:
 * the SIP thread has ACKed it; retransmitted 2xx are ACKed again, handed
 * over once) or SIP_REQ_RING_FAILED (final >= 300, or no answer: 408), with
 * ring = id and call_id = the ring's Call-ID (so a BYE from the phone
 * follows on the same worker). All strings copied; from any thread. */
struct sip_ring {
    const char *id;
    const char *call_id;
    const char *from;
    const char *to;
    const char *target;
    const char *sdp;
};
void sip_ring(struct sip *s, const struct sip_ring *r);
/* An INVITE to the carrier (an outbound call, outbound.c): a ring in every
 * respect (its 2xx ACKed and handed over as SIP_REQ_RING_OK, a final
 * error as SIP_REQ_RING_FAILED, sip_ring_cancel), and also: the first
 * 180 and the first 183 handed over as SIP_REQ_RING_PROGRESS; a 401 or 407
 * answered once with digest credentials when user and ha1 are given and
 * the challenge's realm is realm (RFC 2617, MD5, qop=auth when offered):
 * the INVITE is sent again with Authorization / Proxy-Authorization. A
 * second challenge, or one for another realm, ends it (RING_FAILED with
 * that status). All strings copied; from any thread. */
struct sip_dial {
    struct sip_ring ring;
    const char *user;  /* "" or NULL: no credentials */
    const char *ha1;   /* lower-case hex MD5(user:realm:password) */
    const char *realm;
};
void sip_dial(struct sip *s, const struct sip_dial *d);
/* CANCEL of ring id's INVITE, if it has no final answer yet (else nothing:
 * its 2xx is then handed over and answered with BYE). From any thread. */
void sip_ring_cancel(struct sip *s, const char *id);

/* Whether the SIP thread is serving (for the readiness answer). */
bool sip_ready(struct sip *s);

#endif
