/*
 * probe: `ccctl probe live|ready SERVICE [INSTANCE]`, the container probe
 * of a service that has no HTTP port (everything but the gateway). Run in
 * the service's own container (Kubernetes exec probe, compose healthcheck).
 *
 * It pings cc.<SERVICE>.ping and looks for this container's instance among
 * the answers: INSTANCE if given, else $CC_INSTANCE if set (Kubernetes: the
 * pod name), else the instance whose host is this host name (a container's
 * host name is its own).
 *
 *   ready  exit 0 when the instance answered and reported itself ready (its
 *          Redis/PostgreSQL up); else 1. NATS unreachable: 1.
 *   live   exit 0 when the instance answered (ready or not), or when NATS
 *          cannot be reached at all (then nobody can tell whether the process
 *          is stuck, and restarting every pod for a NATS outage would only
 *          add to it); 1 when NATS answers and the instance does not: its
 *          process is up but not serving the bus.
 *
 * One line on stdout says what was found.
 */
#ifndef CCCTL_PROBE_H
#define CCCTL_PROBE_H
#include <stdbool.h>
#include "cc_config.h"

/* Returns the exit code. cfg is ccctl's configuration (NATS URL, ping window). */
int ccctl_probe(const struct cc_config *cfg, bool ready, const char *service, const char *instance);

#endif
