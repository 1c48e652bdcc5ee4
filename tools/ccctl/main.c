/*
 * ccctl: the admin and status command line.
 *
 *   ccctl status [--json]   every service instance seen over NATS; exits 1
 *                           when a service has no ready instance
 *   ccctl ping SERVICE      the instances of one service
 *   ccctl apply FILE.json   load a directory (groups, staff, channels,
 *                           numbers, trunks); idempotent
 *   ccctl probe live|ready SERVICE [INSTANCE]
 *                           container probe of one instance (probe.h)
 *   ccctl calls [--json]    calls in progress: every media node's legs (calls.h)
 *
 * Reads the same environment as the services (CC_NATS_URL, CC_NATS_USER,
 * CC_NATS_PASSWORD(_FILE), ...); the start-up retry budget defaults to 3 s
 * here instead of 30 s. Its NATS user is "ccctl" (deploy/nats/nats.conf.in);
 * `ccctl probe` runs inside a service's container with that service's user.
 */
#include "apply.h"
#include "calls.h"
#include "enquiries.h"
#include "probe.h"
#include "cc_discover.h"
#include "cc_log.h"
#include "cc_service.h"
#include "cc_time.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: ccctl status [--json]\n"
               "       ccctl ping SERVICE\n"
               "       ccctl apply FILE.json\n"
               "       ccctl enquiries [--json]   active enquiries, their holder and age\n"
               "       ccctl end ENQUIRY_ID       end (or cancel) an enquiry as the operator\n"
               "       ccctl probe live|ready SERVICE [INSTANCE]\n"
               "       ccctl calls [--json]       calls in progress: legs and counters of every media node\n"
               "environment: CC_NATS_URL (default nats://127.0.0.1:4222), CC_NATS_USER and\n"
               "             CC_NATS_PASSWORD or CC_NATS_PASSWORD_FILE (NATS user ccctl; a\n"
               "             probe uses its container's service user), CC_PING_TIMEOUT_MS\n");
}

static void fmt_uptime(char *buf, size_t len, int64_t ms)
{
    int64_t s = ms / 1000;
    if (s < 120)
        snprintf(buf, len, "%llds", (long long)s);
    else if (s < 7200)
        snprintf(buf, len, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
    else
        snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
}

static void print_table(const struct cc_discovery *d, const char *only)
{
    printf("%-10s %-28s %-18s %-9s %-6s %s\n", "SERVICE", "INSTANCE", "VERSION", "UPTIME", "READY",
           "DETAIL");
    for (int s = 0; s < CC_SERVICE_COUNT; s++) {
        const char *name = cc_service_names[s];
        if (only != NULL && strcmp(only, name) != 0)
            continue;
        if (cc_discover_count(d, name, NULL) == 0) {
            printf("%-10s %-28s %-18s %-9s %-6s %s\n", name, "-", "-", "-", "no",
                   "MISSING: no instance answered");
            continue;
        }
        for (size_t i = 0; i < d->n; i++) {
            const struct cc_instance *in = &d->inst[i];
            char up[24];
            if (strcmp(in->service, name) != 0)
                continue;
            fmt_uptime(up, sizeof(up), in->uptime_ms);
            printf("%-10s %-28s %-18s %-9s %-6s %s\n", in->service, in->instance, in->version, up,
                   in->ready ? "yes" : "no", in->detail);
        }
    }
}

static void print_json(const struct cc_discovery *d)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < d->n; i++) {
        const struct cc_instance *in = &d->inst[i];
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:i,s:I,s:b,s:s}", "service",
                                             in->service, "instance", in->instance, "version",
                                             in->version, "host", in->host, "pid", (int)in->pid,
                                             "uptime_ms", (json_int_t)in->uptime_ms, "ready",
                                             in->ready, "detail", in->detail));
    }
    json_dumpf(arr, stdout, JSON_INDENT(2));
    putchar('\n');
    json_decref(arr);
}

int main(int argc, char **argv)
{
    struct cc_config cfg;
    struct cc_bus *bus = NULL;
    struct cc_discovery *d = NULL;
    char err[512];
    const char *only = NULL, *apply = NULL, *end = NULL, *probe = NULL, *probe_inst = NULL;
    bool json = false, enquiries = false, probe_ready = false, calls = false;
    int rc = 1;

    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "status") == 0 && argc <= 3) {
        if (argc == 3 && strcmp(argv[2], "--json") != 0) {
            usage(stderr);
            return 2;
        }
        json = argc == 3;
    } else if (strcmp(argv[1], "ping") == 0 && argc == 3) {
        only = argv[2];
        bool known = false;
        for (int i = 0; i < CC_SERVICE_COUNT; i++)
            known |= strcmp(only, cc_service_names[i]) == 0;
        if (!known) {
            fprintf(stderr, "ccctl: unknown service \"%s\"\n", only);
            return 2;
        }
    } else if (strcmp(argv[1], "apply") == 0 && argc == 3) {
        apply = argv[2];
    } else if (strcmp(argv[1], "enquiries") == 0 && argc <= 3) {
        if (argc == 3 && strcmp(argv[2], "--json") != 0) {
            usage(stderr);
            return 2;
        }
        enquiries = true;
        json = argc == 3;
    } else if (strcmp(argv[1], "calls") == 0 && argc <= 3) {
        if (argc == 3 && strcmp(argv[2], "--json") != 0) {
            usage(stderr);
            return 2;
        }
        calls = true;
        json = argc == 3;
    } else if (strcmp(argv[1], "end") == 0 && argc == 3) {
        end = argv[2];
    } else if (strcmp(argv[1], "probe") == 0 && (argc == 4 || argc == 5) &&
               (strcmp(argv[2], "live") == 0 || strcmp(argv[2], "ready") == 0)) {
        probe_ready = strcmp(argv[2], "ready") == 0;
        probe = argv[3];
        probe_inst = argc == 5 ? argv[4] : NULL;
        bool known = false;
        for (int i = 0; i < CC_SERVICE_COUNT; i++)
            known |= strcmp(probe, cc_service_names[i]) == 0;
        if (!known) {
            fprintf(stderr, "ccctl: unknown service \"%s\"\n", probe);
            return 2;
        }
    } else {
        usage(stderr);
        return 2;
    }

    if (getenv("CC_CONNECT_TIMEOUT_MS") == NULL || probe != NULL) /* a probe has its own timeout */
        setenv("CC_CONNECT_TIMEOUT_MS", probe != NULL ? "2000" : "3000", 1);
    if (cc_config_load(&cfg, "ccctl", err, sizeof(err)) != CC_OK) {
        fprintf(stderr, "ccctl: %s\n", err);
        return 2;
    }
    cc_log_setup("ccctl", cfg.instance, CC_LOG_ERROR); /* keep the bus quiet on a terminal */
    if (nats_Open(-1) != NATS_OK) {
        fprintf(stderr, "ccctl: cannot initialise the NATS library\n");
        return 1;
    }
    if (probe != NULL) {
        rc = ccctl_probe(&cfg, probe_ready, probe, probe_inst);
        goto out;
    }
    if (cc_bus_connect(&bus, &cfg, err, sizeof(err)) != CC_OK) {
        fprintf(stderr, "ccctl: %s\n", err);
        goto out;
    }
    if (apply != NULL) {
        rc = ccctl_apply(bus, cfg.request_timeout_ms * 5, apply);
        goto out;
    }
    if (calls) {
        rc = ccctl_calls(bus, cfg.ping_timeout_ms, json);
        goto out;
    }
    if (enquiries || end != NULL) {
        rc = enquiries ? ccctl_enquiries(bus, cfg.request_timeout_ms, json)
                       : ccctl_end(bus, cfg.request_timeout_ms, end);
        goto out;
    }
    d = malloc(sizeof(*d));
    if (d == NULL || cc_discover(bus, "ccctl", cfg.ping_timeout_ms, d) != CC_OK) {
        fprintf(stderr, "ccctl: ping round failed\n");
        goto out;
    }
    if (json)
        print_json(d);
    else
        print_table(d, only);
    if (only != NULL) {
        size_t ready;
        rc = cc_discover_count(d, only, &ready) > 0 && ready > 0 ? 0 : 1;
    } else {
        rc = cc_discover_all_ready(d) ? 0 : 1;
        if (rc != 0 && !json) {
            fprintf(stderr, "ccctl: not every service has a ready instance\n");
        }
    }
out:
    free(d);
    cc_bus_free(bus);
    nats_CloseAndWait(1000);
    return rc;
}
