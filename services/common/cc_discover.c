/* cc_discover: instance discovery by scatter-gather ping. */
#include "cc_discover.h"
#include "common.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const cc_service_names[CC_SERVICE_COUNT] = {"gateway",  "ingress", "queue",
                                                        "presence", "media",   "calllog"};

static int service_rank(const char *name)
{
    for (int i = 0; i < CC_SERVICE_COUNT; i++)
        if (strcmp(cc_service_names[i], name) == 0)
            return i;
    return CC_SERVICE_COUNT;
}

static int cmp_instance(const void *a, const void *b)
{
    const struct cc_instance *x = a, *y = b;
    int rx = service_rank(x->service), ry = service_rank(y->service);
    if (rx != ry)
        return rx - ry;
    return strcmp(x->instance, y->instance);
}

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src != NULL ? src : "");
}

static void on_reply(struct cc_bus *bus, const struct cc_bus_msg *m, void *arg)
{
    struct cc_discovery *d = arg;
    Cc__PingReply *rep;
    struct cc_instance *in;
    (void)bus;

    if (d->n >= CC_DISCOVER_MAX)
        return;
    rep = cc__ping_reply__unpack(NULL, m->len, m->data);
    if (rep == NULL)
        return; /* not a PingReply: ignore, the instance counts as missing */
    in = &d->inst[d->n++];
    copy(in->service, sizeof(in->service), rep->service);
    copy(in->instance, sizeof(in->instance), rep->instance);
    copy(in->version, sizeof(in->version), rep->version);
    copy(in->host, sizeof(in->host), rep->host);
    copy(in->detail, sizeof(in->detail), rep->detail);
    in->uptime_ms = rep->uptime_ms;
    in->started_at_ms = rep->started_at_ms;
    in->pid = rep->pid;
    in->ready = rep->ready;
    cc__ping_reply__free_unpacked(rep, NULL);
}

cc_status cc_discover(struct cc_bus *bus, const char *from, int timeout_ms, struct cc_discovery *d)
{
    char subjects[CC_SERVICE_COUNT][48];
    const char *subj[CC_SERVICE_COUNT];
    Cc__PingRequest req = CC__PING_REQUEST__INIT;
    cc_status st;

    d->n = 0;
    req.from = (char *)from;
    for (int i = 0; i < CC_SERVICE_COUNT; i++) {
        snprintf(subjects[i], sizeof(subjects[i]), "cc.%s.ping", cc_service_names[i]);
        subj[i] = subjects[i];
    }
    st = cc_bus_gather(bus, subj, CC_SERVICE_COUNT, &req.base, timeout_ms, on_reply, d);
    qsort(d->inst, d->n, sizeof(d->inst[0]), cmp_instance);
    return st;
}

size_t cc_discover_count(const struct cc_discovery *d, const char *service, size_t *ready)
{
    size_t n = 0, r = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (strcmp(d->inst[i].service, service) == 0) {
            n++;
            r += d->inst[i].ready;
        }
    }
    if (ready != NULL)
        *ready = r;
    return n;
}

bool cc_discover_all_ready(const struct cc_discovery *d)
{
    for (int i = 0; i < CC_SERVICE_COUNT; i++) {
        size_t ready;
        cc_discover_count(d, cc_service_names[i], &ready);
        if (ready == 0)
            return false;
    }
    return true;
}
