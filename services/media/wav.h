/*
 * wav: the 44-byte header of a PCM WAV file (RIFF, 16-bit little-endian).
 * A recording writes it with 0 frames when it opens the file and again with
 * the real count when it closes it.
 */
#ifndef MEDIA_WAV_H
#define MEDIA_WAV_H
#include <stdint.h>

#define WAV_HEADER_LEN 44
#define WAV_MAX_FRAMES(ch) ((0xffffffffu - 36u) / (2u * (ch)))

/* frames are clamped to what a RIFF size field can say. */
void wav_header(uint8_t out[WAV_HEADER_LEN], uint32_t frames, uint16_t channels, uint32_t rate);

#endif
