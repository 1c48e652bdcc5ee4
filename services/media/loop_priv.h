/*
 * loop_priv: the inside of a packet loop, shared by the files that run on
 * its thread: loop.c (the thread, epoll, batched I/O), cmd.c (commands),
 * relay.c (what each packet and each tick does). Nothing else includes it.
 */
#ifndef MEDIA_LOOP_PRIV_H
#define MEDIA_LOOP_PRIV_H
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "loop.h"

#define LOOP_BATCH 32          /* packets per recvmmsg */
#define LOOP_PKT_MAX 1600      /* larger datagrams are dropped as malformed */
#define LOOP_SEND_MAX 96       /* packets queued before a sendmmsg round */
#define LOOP_GEN_MAX 32        /* generated packets (hold, DTMF) per round */
#define LOOP_GEN_LEN (12 + 160)
#define RELATCH_US 2000000     /* a latched source silent this long may be replaced */
#define HOLD_TONE_FRAMES 25    /* 0.5 s of tone ... */
#define HOLD_CYCLE_FRAMES 200  /* ... every 4 s, silence between */

struct media_loop {
    struct media_loop_cfg cfg;
    pthread_t thread;
    bool started;
    int epfd, evfd, tfd;
    int64_t timeout_us;       /* a bridged leg quiet this long ends */
    int64_t setup_timeout_us; /* a leg not bridged (its caller waiting, a phone ringing) */
    struct media_events *events;
    struct rec_ring *ring;

    pthread_mutex_t qlock;     /* guards qhead/qtail/stopping: control threads and the loop */
    struct loop_cmd *qhead, *qtail;
    bool stopping;

    /* everything below: the loop's thread only */
    /* the events of the current epoll_wait, and the next one to handle: a
     * leg ended or moved while they are handled has its later events
     * dropped (loop_drop_events), never read from a freed or moved leg */
    struct epoll_event *batch;
    int batch_n, batch_at;
    struct leg *legs;
    int n_legs;
    uint64_t ticks;
    uint64_t rec_dropped;      /* audio items the ring had no room for */
    uint8_t tone_pcmu[160], tone_pcma[160];
    /* the announcement (a special information tone, ITU-T E.180: 950,
     * 1400 and 1800 Hz, 330 ms each), frame by frame */
    uint8_t sit_pcmu[ANNOUNCE_FRAMES][160], sit_pcma[ANNOUNCE_FRAMES][160];

    struct mmsghdr rmsg[LOOP_BATCH];
    struct iovec riov[LOOP_BATCH];
    struct sockaddr_in rfrom[LOOP_BATCH];
    uint8_t rbuf[LOOP_BATCH][LOOP_PKT_MAX];

    int ns;
    int sfd[LOOP_SEND_MAX];
    struct mmsghdr smsg[LOOP_SEND_MAX];
    struct iovec siov[LOOP_SEND_MAX];
    struct sockaddr_in sto[LOOP_SEND_MAX];

    int ng;
    uint8_t gbuf[LOOP_GEN_MAX][LOOP_GEN_LEN];
};

/* loop.c: queue a datagram (data must stay valid until loop_flush) */
void loop_queue(struct media_loop *l, int fd, const struct sockaddr_in *to, uint8_t *data,
                size_t len);
/* sends everything queued (sendmmsg per run of one socket) */
void loop_flush(struct media_loop *l);
/* a buffer of LOOP_GEN_LEN bytes for a generated packet */
uint8_t *loop_gen_buf(struct media_loop *l);
int64_t loop_now_us(void);
int64_t loop_wall_ms(void);
/* leg is leaving this loop (ended, or moved to another): the events for
 * its sockets still waiting in the current batch are dropped. */
void loop_drop_events(struct media_loop *l, const struct leg *leg);

/* relay.c */
void relay_packet(struct media_loop *l, struct leg *leg, bool rtcp_sock, uint8_t *buf, size_t len,
                  const struct sockaddr_in *from, int64_t now_us, int64_t now_wall_ms);
void relay_tick(struct media_loop *l, int64_t now_us, int frames);
void relay_timeouts(struct media_loop *l, int64_t now_us);
/* stops the bridge's recording (if any): the REC_STOP item; path into
 * path_out (may be NULL) */
void relay_rec_stop(struct media_loop *l, struct bridge *b, int64_t now_us, char *path_out);
/* takes the leg out of its bridge (stops a recording) and frees the bridge */
void relay_unbridge(struct media_loop *l, struct leg *leg, int64_t now_us, char *path_out);
/* out of the loop: epoll, list, bridge; snapshot into info (may be NULL); then freed */
void relay_end_leg(struct media_loop *l, struct leg *leg, int64_t now_us, struct media_leg_info *info,
                   char *path_out);

/* cmd.c */
void cmd_run(struct media_loop *l, struct loop_cmd *c);
struct leg *loop_find(struct media_loop *l, const char *id);

#endif
