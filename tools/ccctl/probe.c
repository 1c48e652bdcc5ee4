/* probe: liveness/readiness of one instance over its ping. See probe.h. */
#include "probe.h"
#include "cc_bus.h"
#include "common.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct found {
    const char *instance; /* wanted by name, or NULL: by host */
    char host[256];
    bool answered, ready;
    char name[96], detail[256];
};

static void on_reply(struct cc_bus *bus, const struct cc_bus_msg *m, void *arg)
{
    struct found *f = arg;
    Cc__PingReply *rep = cc__ping_reply__unpack(NULL, m->len, m->data);
    (void)bus;

    if (rep == NULL)
        return;
    if (f->instance != NULL ? strcmp(rep->instance, f->instance) == 0
                            : strcmp(rep->host, f->host) == 0) {
        f->answered = true;
        f->ready = rep->ready;
        snprintf(f->name, sizeof(f->name), "%s", rep->instance);
        snprintf(f->detail, sizeof(f->detail), "%s", rep->detail);
    }
    cc__ping_reply__free_unpacked(rep, NULL);
}

int ccctl_probe(const struct cc_config *cfg, bool ready, const char *service, const char *instance)
{
    struct cc_bus *bus = NULL;
    struct found f = {0};
    Cc__PingRequest req = CC__PING_REQUEST__INIT;
    char subject[64], err[512];
    const char *subjects[1] = {subject};

    if (instance == NULL && getenv("CC_INSTANCE") != NULL && getenv("CC_INSTANCE")[0] != '\0')
        instance = getenv("CC_INSTANCE");
    f.instance = instance;
    if (gethostname(f.host, sizeof(f.host) - 1) != 0)
        f.host[0] = '\0';
    if (cc_bus_connect(&bus, cfg, err, sizeof(err)) != CC_OK) {
        printf("%s: NATS unreachable (%s): %s\n", service, err,
               ready ? "not ready" : "live (cannot tell)");
        return ready ? 1 : 0;
    }
    snprintf(subject, sizeof(subject), "cc.%s.ping", service);
    req.from = "ccctl-probe";
    if (cc_bus_gather(bus, subjects, 1, &req.base, cfg->ping_timeout_ms, on_reply, &f) != CC_OK) {
        cc_bus_free(bus);
        printf("%s: ping round failed: %s\n", service, ready ? "not ready" : "live (cannot tell)");
        return ready ? 1 : 0;
    }
    cc_bus_free(bus);
    if (!f.answered) {
        printf("%s %s: no answer on %s\n", service, instance != NULL ? instance : f.host, subject);
        return 1;
    }
    printf("%s: %s%s%s\n", f.name, f.ready ? "ready" : "not ready", f.detail[0] != '\0' ? ": " : "",
           f.detail);
    return ready && !f.ready ? 1 : 0;
}
