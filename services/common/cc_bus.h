/*
 * cc_bus: the NATS bus, carrying protobuf messages only.
 *
 * Wraps nats.c: connect with retry at start and reconnect forever after,
 * publish and request/reply of protobuf messages, subscriptions (plain or in
 * a queue group, so replicas share the work), scatter-gather of health pings,
 * and the JetStream stream of events.
 *
 * Threading: nats.c delivers each subscription's messages on a thread of its
 * own; a handler must only touch data that is safe to share (see each
 * service's README). All functions here may be called from any thread.
 */
#ifndef CC_BUS_H
#define CC_BUS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nats/nats.h>
#include <protobuf-c/protobuf-c.h>
#include "cc_config.h"
#include "cc_status.h"

#define CC_BUS_MAX_SUBS 64
#define CC_BUS_MAX_MSG (1024 * 1024) /* the NATS server's default max_payload */

struct cc_bus;

/* One received message; borrowed for the duration of the handler call. */
struct cc_bus_msg {
    const char *subject;
    const char *reply; /* NULL when no reply is expected */
    const uint8_t *data;
    size_t len;
};

typedef void (*cc_bus_fn)(struct cc_bus *bus, const struct cc_bus_msg *m, void *arg);
/* pb is the unpacked message, freed by the bus after the handler returns. */
typedef void (*cc_bus_pb_fn)(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                             void *arg);

/*
 * Connects to cfg->nats_url, retrying every 500 ms for cfg->connect_timeout_ms;
 * then gives up with CC_ERR_UNAVAILABLE and a reason in err. Once connected
 * the bus reconnects by itself for ever. Caller frees with cc_bus_free().
 */
cc_status cc_bus_connect(struct cc_bus **bp, const struct cc_config *cfg, char *err, size_t errlen);
/* Stops taking messages, lets handlers finish (at most timeout_ms), closes. */
cc_status cc_bus_drain(struct cc_bus *b, int timeout_ms);
/* Closes (if still open) and frees. Accepts NULL. */
void cc_bus_free(struct cc_bus *b);

/* Raw subscription. queue may be NULL (every subscriber gets every message). */
cc_status cc_bus_subscribe(struct cc_bus *b, const char *subject, const char *queue, cc_bus_fn fn,
                           void *arg);
/* Subscription that unpacks each message as desc first; a message that does
 * not unpack is logged (warn, with subject and size) and dropped. */
cc_status cc_bus_subscribe_pb(struct cc_bus *b, const char *subject, const char *queue,
                              const ProtobufCMessageDescriptor *desc, cc_bus_pb_fn fn, void *arg);

cc_status cc_bus_publish(struct cc_bus *b, const char *subject, const ProtobufCMessage *pb);
/* Answers m (no-op when m has no reply subject). */
cc_status cc_bus_reply(struct cc_bus *b, const struct cc_bus_msg *m, const ProtobufCMessage *pb);
/* Sends req and waits for one reply, unpacked as desc into *out (caller frees
 * with protobuf_c_message_free_unpacked). CC_ERR_UNAVAILABLE when nobody
 * listens on subject, CC_ERR_TIMEOUT when nobody answered in time. */
cc_status cc_bus_request(struct cc_bus *b, const char *subject, const ProtobufCMessage *req,
                         const ProtobufCMessageDescriptor *desc, int timeout_ms,
                         ProtobufCMessage **out);
/* Publishes req on each subject with one reply inbox and calls fn for every
 * reply that arrives within timeout_ms (all instances answer). */
cc_status cc_bus_gather(struct cc_bus *b, const char *const *subjects, size_t n,
                        const ProtobufCMessage *req, int timeout_ms, cc_bus_fn fn, void *arg);

/* The limits of a stream (file storage, one replica). */
struct cc_bus_stream_limits {
    int64_t max_age_ms; /* a message older than this is deleted; 0: no age limit */
    int64_t max_bytes;  /* the stream holds at most this many bytes; -1: no size limit */
    bool discard_new;   /* at max_bytes, refuse new messages (error 10077, see
                         * cc_bus_js_full) instead of deleting the oldest */
};

/*
 * Creates the stream, or updates an existing one to these subjects and
 * limits. One exception, so that applying a limit never deletes messages: a
 * max_bytes below what the stream holds now is not applied (JetStream would
 * delete the oldest messages to fit, whatever the discard policy), the
 * stream keeps its larger limit (or none). *held_max_bytes (may be NULL)
 * gets the limit in force afterwards, so the caller can tell and say so.
 */
cc_status cc_bus_stream_ensure(struct cc_bus *b, const char *name, const char *const *subjects,
                               size_t n, const struct cc_bus_stream_limits *lim,
                               int64_t *held_max_bytes, char *err, size_t errlen);

/*
 * Whether a refused JetStream publish means "no room": the stream is at its
 * MaxBytes or MaxMsgs under the discard-new policy (error code 10077 with
 * "maximum bytes exceeded", "maximum messages exceeded" or "maximum messages
 * per subject exceeded"), or the server's JetStream storage is exhausted
 * (10047). Such a publish keeps failing until room is made (messages age out
 * or are deleted, or the limit is raised), unlike a missed ack or a missing
 * stream, which a resend soon cures. code and text are those of the ack (jsPubAckErr's
 * ErrCode and ErrText, or the error of a synchronous publish); text may be
 * NULL.
 */
bool cc_bus_js_full(jsErrCode code, const char *text);

/* fn(arg) runs on a library thread each time the bus is connected again
 * after an outage (what it missed meanwhile is for fn to re-read); it must
 * not block. One hook per bus; NULL removes it. */
void cc_bus_on_reconnect(struct cc_bus *b, void (*fn)(void *arg), void *arg);

/* Escape hatches for what this wrapper does not cover (borrowed, owned by b). */
natsConnection *cc_bus_nats(struct cc_bus *b);
jsCtx *cc_bus_js(struct cc_bus *b);

/* Maps a natsStatus to ours. */
cc_status cc_bus_status(natsStatus s);

#endif
