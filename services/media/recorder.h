/*
 * recorder: the recording writer, one thread off the packet path. It reads
 * the loops' rings (ring.h), decodes G.711 to 16-bit PCM and writes one
 * stereo 8 kHz WAV per recording: the caller left, the staff right.
 *
 * Each sample goes where its RTP timestamp puts it, anchored to the wall
 * time its packet arrived; what never arrived (silence suppression, loss,
 * hold, mute) stays silent, and the file ends at the time of the stop, so
 * its length is the recorded wall time. Audio is written 300 ms behind real
 * time so late packets still find their place. The header is written with
 * 0 frames at the start and finalised at the stop (or at media's own stop).
 */
#ifndef MEDIA_RECORDER_H
#define MEDIA_RECORDER_H
#include <stddef.h>
#include <stdint.h>
#include "cc_status.h"
#include "events.h"
#include "ring.h"

#define REC_RATE 8000
#define REC_LAG_FRAMES 2400     /* 300 ms */
#define REC_WINDOW_FRAMES 16000 /* 2 s held in memory per recording */
#define REC_REANCHOR_FRAMES 1600 /* a channel 200 ms off its arrival time re-anchors */

struct recorder;

/* rings (n of them) and events are borrowed until recorder_stop. */
cc_status recorder_start(struct recorder **rp, struct rec_ring *const *rings, size_t n,
                         struct media_events *events);
/* Drains the rings, finalises every open file, stops. Accepts NULL. Call
 * after the loops have stopped. */
void recorder_stop(struct recorder *r);

#endif
