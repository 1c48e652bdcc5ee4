/*
 * control: media's NATS API (proto/media.proto). Requests on
 * cc.media.<instance>.<verb> (one subscription, so they are handled one at
 * a time on its nats.c thread) and cc.media.list (every node answers) are
 * checked, turned into commands for the packet loop that owns the leg
 * (loop.h) and answered with a MediaReply.
 *
 * It keeps the node's table of legs (id -> loop, ports) and the port
 * allocator under one mutex, held for the whole of a request; the packet
 * loops never take it. The events publisher calls back (leg_gone, list)
 * from its thread.
 */
#ifndef MEDIA_CONTROL_H
#define MEDIA_CONTROL_H
#include <stdatomic.h>
#include "cc_service.h"
#include "events.h"
#include "loop.h"
#include "ports.h"

struct media_control;

/* Everything is borrowed until media_control_stop; *legs is kept equal to
 * the number of legs on the node (the load the registry publishes). */
cc_status media_control_start(struct media_control **cp, struct cc_service *svc,
                              struct media_loop *const *loops, int n_loops,
                              struct media_ports *ports, struct media_events *events,
                              atomic_int *legs);
/* From now on requests are answered ERR_UNAVAILABLE and no command goes to
 * a loop (call before stopping the loops). Accepts NULL. */
void media_control_quiesce(struct media_control *c);
/* After the bus has drained (no handler runs). Accepts NULL. */
void media_control_free(struct media_control *c);

/* Leg ids: 1-63 of [A-Za-z0-9._:-]. */
bool media_leg_id_valid(const char *s);
/* DTMF digits: 1-DTMF_DIGITS_MAX of 0-9 * # A-D. */
bool media_digits_valid(const char *s);

#endif
