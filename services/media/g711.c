/* g711: G.711 codecs, after the public-domain reference (Sun, 1990). */
#include "g711.h"

int16_t g711_ulaw_decode(uint8_t u)
{
    int t;

    u = (uint8_t)~u;
    t = ((u & 0x0f) << 3) + 0x84;
    t <<= (u & 0x70) >> 4;
    return (int16_t)((u & 0x80) ? 0x84 - t : t - 0x84);
}

int16_t g711_alaw_decode(uint8_t a)
{
    int t, seg;

    a ^= 0x55;
    t = (a & 0x0f) << 4;
    seg = (a & 0x70) >> 4;
    if (seg == 0)
        t += 8;
    else if (seg == 1)
        t += 0x108;
    else
        t = (t + 0x108) << (seg - 1);
    return (int16_t)((a & 0x80) ? t : -t);
}

/* the segment of v: the first end value it does not exceed (8: beyond all) */
static int segment(int v, const int16_t *end)
{
    for (int i = 0; i < 8; i++)
        if (v <= end[i])
            return i;
    return 8;
}

uint8_t g711_ulaw_encode(int16_t pcm)
{
    static const int16_t uend[8] = {0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff};
    int v = pcm >> 2, mask, seg;

    if (v < 0) {
        v = -v;
        mask = 0x7f;
    } else {
        mask = 0xff;
    }
    if (v > 8159)
        v = 8159;
    v += 0x84 >> 2;
    seg = segment(v, uend);
    if (seg >= 8)
        return (uint8_t)(0x7f ^ mask);
    return (uint8_t)(((seg << 4) | ((v >> (seg + 1)) & 0x0f)) ^ mask);
}

uint8_t g711_alaw_encode(int16_t pcm)
{
    static const int16_t aend[8] = {0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff};
    int v = pcm >> 3, mask, seg, aval;

    if (v >= 0) {
        mask = 0xd5;
    } else {
        mask = 0x55;
        v = -v - 1;
    }
    seg = segment(v, aend);
    if (seg >= 8)
        return (uint8_t)(0x7f ^ mask);
    aval = seg << 4;
    aval |= seg < 2 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f;
    return (uint8_t)(aval ^ mask);
}

void g711_alaw_to_ulaw(uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = g711_ulaw_encode(g711_alaw_decode(buf[i]));
}

void g711_ulaw_to_alaw(uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = g711_alaw_encode(g711_ulaw_decode(buf[i]));
}
