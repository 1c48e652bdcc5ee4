/*
 * ports: the node's UDP ports, CC_MEDIA_PORT_MIN..MAX, handed out as pairs
 * (an even port for RTP, the next for RTCP) bound on CC_MEDIA_ADDR. A pair
 * another program holds is skipped. Released pairs go to the back of the
 * line, so a late packet of an ended call does not reach the next one.
 *
 * Not thread-safe: the control plane calls it under its own mutex.
 */
#ifndef MEDIA_PORTS_H
#define MEDIA_PORTS_H
#include <stddef.h>
#include <stdint.h>
#include "cc_status.h"

struct media_ports;

/* addr: an IPv4 address (copied). Caller frees with media_ports_free(). */
cc_status media_ports_new(struct media_ports **pp, const char *addr, int min, int max);
void media_ports_free(struct media_ports *p);

/* Binds a free pair: *rtp_fd on *port, *rtcp_fd on *port + 1 (both
 * non-blocking, close-on-exec; the caller owns them). CC_ERR_LIMIT when no
 * pair of the range can be bound, with a reason in why. */
cc_status media_ports_open(struct media_ports *p, int *rtp_fd, int *rtcp_fd, uint16_t *port,
                           char *why, size_t whylen);
/* The pair of port is free again (its sockets closed by then). */
void media_ports_release(struct media_ports *p, uint16_t port);
/* Pairs in the range, and pairs handed out. */
size_t media_ports_total(const struct media_ports *p);
size_t media_ports_used(const struct media_ports *p);

#endif
