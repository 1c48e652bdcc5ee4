/*
 * g711: ITU-T G.711 mu-law (PCMU) and A-law (PCMA) to and from 16-bit
 * linear PCM, sample by sample (a few operations each: no tables, nothing
 * to initialise). Recording decodes with it, the hold tone is encoded with
 * it, and a bridge between a PCMU and a PCMA phone converts each byte.
 */
#ifndef MEDIA_G711_H
#define MEDIA_G711_H
#include <stddef.h>
#include <stdint.h>

#define G711_SILENCE_PCMU 0xff
#define G711_SILENCE_PCMA 0xd5

int16_t g711_ulaw_decode(uint8_t u);
int16_t g711_alaw_decode(uint8_t a);
uint8_t g711_ulaw_encode(int16_t pcm);
uint8_t g711_alaw_encode(int16_t pcm);

/* In place: n bytes of A-law to mu-law, or mu-law to A-law. */
void g711_alaw_to_ulaw(uint8_t *buf, size_t n);
void g711_ulaw_to_alaw(uint8_t *buf, size_t n);

#endif
