/* wav: WAV header. See wav.h. */
#include "wav.h"
#include <string.h>

static void le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
    le16(p, (uint16_t)v);
    le16(p + 2, (uint16_t)(v >> 16));
}

void wav_header(uint8_t out[WAV_HEADER_LEN], uint32_t frames, uint16_t channels, uint32_t rate)
{
    uint32_t data;

    if (frames > WAV_MAX_FRAMES(channels))
        frames = WAV_MAX_FRAMES(channels);
    data = frames * 2u * channels;
    memcpy(out, "RIFF", 4);
    le32(out + 4, 36 + data);
    memcpy(out + 8, "WAVEfmt ", 8);
    le32(out + 16, 16);       /* fmt chunk size */
    le16(out + 20, 1);        /* PCM */
    le16(out + 22, channels);
    le32(out + 24, rate);
    le32(out + 28, rate * 2u * channels); /* bytes per second */
    le16(out + 32, (uint16_t)(2 * channels)); /* block align */
    le16(out + 34, 16);       /* bits per sample */
    memcpy(out + 36, "data", 4);
    le32(out + 40, data);
}
