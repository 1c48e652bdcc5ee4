/*
 * loop: a packet loop, one thread pinned to a core, owning the legs put on
 * it (leg.h). It waits in epoll on the legs' sockets, an eventfd (commands)
 * and a 20 ms timerfd (hold audio, DTMF it sends, media timeouts); it reads
 * with recvmmsg and writes with sendmmsg from buffers allocated once.
 * Nothing of NATS or Redis runs here, and nothing on it is shared with
 * another loop.
 *
 * The control plane acts on legs by commands: media_loop_exec queues one
 * (under the loop's queue mutex, the only lock the loop takes, once per
 * wake-up), wakes the loop and waits until the loop has carried it out.
 */
#ifndef MEDIA_LOOP_H
#define MEDIA_LOOP_H
#include <netinet/in.h>
#include <semaphore.h>
#include <stdbool.h>
#include "cc_status.h"
#include "events.h"
#include "leg.h"
#include "ring.h"

#define LOOP_TICK_US 20000

enum loop_op {
    OP_ATTACH = 1, /* leg: taken by the loop */
    OP_DETACH,     /* leg_id -> leg: handed back (not bridged) */
    OP_REMOTE,
    OP_BRIDGE,     /* leg_id (caller) + peer_id (staff) */
    OP_UNBRIDGE,
    OP_HOLD,
    OP_UNHOLD,
    OP_MUTE,
    OP_UNMUTE,
    OP_DTMF,
    OP_REC_START,  /* rec: start is taken on success */
    OP_REC_STOP,
    OP_RELEASE,
    OP_ANNOUNCE,   /* an unbridged leg plays the announcement, then ends */
    OP_LIST,
    OP_GET,
};

struct loop_cmd {
    enum loop_op op;
    const char *leg_id, *peer_id; /* borrowed */
    struct leg *leg;
    struct {
        struct sockaddr_in rtp, rtcp;
        bool mux;
        int codec, event_pt;
        bool hold; /* the phone's SDP holds: nothing sent to it */
    } remote;
    struct {
        char digits[DTMF_DIGITS_MAX + 1];
        int duration_ms;
    } dtmf;
    struct {
        uint32_t id;
        struct rec_start *start;
    } rec;
    /* results */
    cc_status st;
    char why[160];
    struct media_leg_info info;   /* the leg acted on (and its peer's id) */
    struct media_leg_info *list;  /* OP_LIST: room for cap, n filled */
    size_t cap, n;
    char rec_path[MEDIA_PATH_MAX]; /* OP_REC_STOP, and a recording that OP_RELEASE / OP_UNBRIDGE stopped */
    /* plumbing */
    sem_t done;
    struct loop_cmd *next;
};

struct media_loop_cfg {
    int index;
    int cpu;             /* pinned to this core; -1: not pinned */
    int timeout_s;       /* CC_MEDIA_TIMEOUT_S: a bridged leg */
    int setup_timeout_s; /* CC_MEDIA_SETUP_TIMEOUT_S: a leg not bridged (waiting, ringing) */
    uint32_t ring_slots; /* recording ring */
};

struct media_loop;

/* events is borrowed until media_loop_stop. */
cc_status media_loop_start(struct media_loop **lp, const struct media_loop_cfg *cfg,
                           struct media_events *events, char *err, size_t errlen);
/* Carries out c on the loop and returns when it is done (c->st). */
void media_loop_exec(struct media_loop *l, struct loop_cmd *c);
/* The ring its recordings go into (read by the recording writer). */
struct rec_ring *media_loop_ring(struct media_loop *l);
/* Ends the thread: every leg released (recordings stopped), sockets closed.
 * The ring stays until media_loop_free. */
void media_loop_stop(struct media_loop *l);
void media_loop_free(struct media_loop *l);

#endif
