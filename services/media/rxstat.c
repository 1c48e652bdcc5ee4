/* rxstat: RTP receive statistics. See rxstat.h. */
#include "rxstat.h"

static uint64_t run_lost(const struct rxstat *s)
{
    uint64_t expected;

    if (!s->started)
        return 0;
    expected = (uint64_t)s->cycles + s->max_seq - s->base_seq + 1;
    return expected > s->received ? expected - s->received : 0;
}

static void start_run(struct rxstat *s, uint32_t ssrc, uint16_t seq)
{
    s->lost_before += run_lost(s);
    s->started = true;
    s->ssrc = ssrc;
    s->max_seq = seq;
    s->cycles = 0;
    s->base_seq = seq;
    s->received = 0;
    s->have_transit = false;
}

void rxstat_update(struct rxstat *s, uint32_t ssrc, uint16_t seq, uint32_t ts, uint32_t arrival,
                   bool timing)
{
    uint16_t udelta;

    if (!s->started || ssrc != s->ssrc)
        start_run(s, ssrc, seq);
    udelta = (uint16_t)(seq - s->max_seq);
    if (udelta < RXSTAT_MAX_DROPOUT) {
        if (seq < s->max_seq)
            s->cycles += 65536;
        s->max_seq = seq;
    } else if (udelta <= 65536 - RXSTAT_MAX_MISORDER) {
        /* a jump too large to be loss: the sender restarted its sequence */
        start_run(s, ssrc, seq);
    } /* else: a late or duplicate packet */
    s->received++;
    if (timing) {
        int32_t transit = (int32_t)(arrival - ts);
        if (s->have_transit) {
            int32_t d = transit - s->transit;
            uint32_t ad = (uint32_t)(d < 0 ? -(int64_t)d : d);
            /* J += (|D| - J) / 16, kept times 16 (RFC 3550 A.8) */
            s->jitter16 += ad - ((s->jitter16 + 8) >> 4);
        }
        s->transit = transit;
        s->have_transit = true;
    }
}

uint64_t rxstat_lost(const struct rxstat *s)
{
    return s->lost_before + run_lost(s);
}

uint32_t rxstat_jitter(const struct rxstat *s)
{
    return s->jitter16 >> 4;
}
