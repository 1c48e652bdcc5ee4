/*
 * ring: a single-producer single-consumer ring of recording items, from a
 * packet loop (producer) to the recording writer (consumer). Lock-free: the
 * loop never waits for the disk; when the ring is full an audio item is
 * dropped (and counted) instead. A reserve of slots is kept for the items
 * that start and stop recordings, so a burst of audio cannot keep a file
 * from being finalised.
 */
#ifndef MEDIA_RING_H
#define MEDIA_RING_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "leg.h"

#define REC_DATA_MAX 480     /* 60 ms of G.711; longer payloads take several items */
#define REC_RESERVE 64       /* slots only start/stop items may use */

enum { REC_AUDIO = 1, REC_START, REC_STOP };

/* What a REC_START hands the writer (taken by it). */
struct rec_start {
    int fd;                  /* the WAV file, opened by the control plane */
    char path[MEDIA_PATH_MAX];
    char caller_leg[LEG_ID_MAX], staff_leg[LEG_ID_MAX];
};

struct rec_item {
    uint8_t kind;
    uint8_t channel;         /* 0 caller (left), 1 staff (right) */
    uint8_t codec;           /* CODEC_PCMU or CODEC_PCMA */
    uint16_t len;
    uint32_t rec_id;
    uint32_t ts, ssrc;       /* RTP timestamp and SSRC of the audio */
    int64_t t_us;            /* monotonic time it arrived (or the start/stop) */
    struct rec_start *start; /* REC_START */
    uint8_t data[REC_DATA_MAX];
};

struct rec_ring;

/* slots: a power of two above REC_RESERVE. Caller frees with rec_ring_free(). */
struct rec_ring *rec_ring_new(uint32_t slots);
void rec_ring_free(struct rec_ring *r);

/* Producer: a slot to fill, or NULL when fewer than reserve + 1 are free;
 * then rec_ring_push makes it visible. */
struct rec_item *rec_ring_claim(struct rec_ring *r, uint32_t reserve);
void rec_ring_push(struct rec_ring *r);

/* Consumer: the oldest item or NULL; rec_ring_pop frees it. */
struct rec_item *rec_ring_peek(struct rec_ring *r);
void rec_ring_pop(struct rec_ring *r);

#endif
