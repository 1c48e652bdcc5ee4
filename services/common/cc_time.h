/* cc_time: the two clocks. Wall time for records, monotonic time for waits. */
#ifndef CC_TIME_H
#define CC_TIME_H
#include <stdint.h>
#include <stddef.h>

/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t cc_wall_ms(void);
/* Milliseconds from an arbitrary start that never jumps (CLOCK_MONOTONIC). */
int64_t cc_mono_ms(void);
/* Sleep ms milliseconds, resuming after signals. */
void cc_sleep_ms(int64_t ms);
/* Writes wall time ms as "2026-11-25T03:04:05.678Z" into buf (at least 25 bytes). */
void cc_time_iso(char *buf, size_t len, int64_t wall_ms);

#endif
