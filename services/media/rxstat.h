/*
 * rxstat: receive statistics of one RTP stream (RFC 3550 appendix A.1, A.3,
 * A.8): extended highest sequence number, packets lost, interarrival
 * jitter. Pure arithmetic on a struct the relay keeps per leg; a new SSRC
 * (the phone restarted its stream) starts a new run and keeps the losses of
 * the old one.
 */
#ifndef MEDIA_RXSTAT_H
#define MEDIA_RXSTAT_H
#include <stdbool.h>
#include <stdint.h>

#define RXSTAT_MAX_DROPOUT 3000
#define RXSTAT_MAX_MISORDER 100

struct rxstat {
    bool started;
    uint32_t ssrc;
    uint16_t max_seq;
    uint32_t cycles;     /* count of sequence wraps, times 65536 */
    uint32_t base_seq;
    uint64_t received;   /* in this run */
    uint64_t lost_before; /* of earlier runs */
    bool have_transit;
    int32_t transit;
    uint32_t jitter16;   /* jitter in timestamp units, times 16 */
};

/* One packet: arrival is the arrival time in timestamp units (8 kHz here);
 * timing false for packets whose timestamp is not their sampling instant
 * (telephone-events repeat theirs), which do not feed the jitter. */
void rxstat_update(struct rxstat *s, uint32_t ssrc, uint16_t seq, uint32_t ts, uint32_t arrival,
                   bool timing);
/* Packets expected and not received, over every run (never negative). */
uint64_t rxstat_lost(const struct rxstat *s);
/* Interarrival jitter in timestamp units. */
uint32_t rxstat_jitter(const struct rxstat *s);

#endif
