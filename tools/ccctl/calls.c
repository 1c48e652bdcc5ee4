/* calls: ccctl calls. See calls.h. */
#include "calls.h"
#include "cc_error.h"
#include "cc_log.h"
#include "cc_pbjson.h"
#include "cc_time.h"
#include "media.pb-c.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_NODES 256

struct gathered {
    pthread_mutex_t lock;
    Cc__MediaReply *reply[MAX_NODES];
    size_t n;
};

static void on_reply(struct cc_bus *bus, const struct cc_bus_msg *m, void *arg)
{
    struct gathered *g = arg;
    Cc__MediaReply *r = cc__media_reply__unpack(NULL, m->len, m->data);

    if (r == NULL)
        return;
    pthread_mutex_lock(&g->lock);
    if (g->n < MAX_NODES)
        g->reply[g->n++] = r;
    else
        cc__media_reply__free_unpacked(r, NULL);
    pthread_mutex_unlock(&g->lock);
}

static const char *role_name(Cc__MediaRole r)
{
    return r == CC__MEDIA_ROLE__MEDIA_ROLE_CALLER  ? "caller"
           : r == CC__MEDIA_ROLE__MEDIA_ROLE_STAFF ? "staff"
                                                   : "-";
}

static void print_leg(const char *instance, const Cc__MediaLeg *l, int64_t now)
{
    char src[40], state[32];
    const Cc__MediaCounters *rx = l->rx, *tx = l->tx;

    snprintf(src, sizeof(src), "%s:%d", l->source_ip[0] ? l->source_ip : "-", l->source_port);
    snprintf(state, sizeof(state), "%s%s%s", l->held ? "held " : "", l->muted ? "muted " : "",
             l->record_path[0] ? "rec" : "");
    printf("%-20s %-24s %-24s %-6s %5d %-21s %-12s %8lld %6lld %4u %8lld %6llds\n", instance,
           l->leg_id, l->peer_leg_id[0] ? l->peer_leg_id : "-", role_name(l->role), l->port, src,
           state[0] ? state : "-", rx ? (long long)rx->packets : 0LL,
           rx ? (long long)rx->lost : 0LL, rx ? rx->jitter_ms : 0,
           tx ? (long long)tx->packets : 0LL,
           (long long)((now - l->created_at_ms) / 1000));
}

int ccctl_calls(struct cc_bus *bus, int timeout_ms, bool json)
{
    Cc__MediaListRequest req = CC__MEDIA_LIST_REQUEST__INIT;
    const char *subject = "cc.media.list";
    struct gathered *g = calloc(1, sizeof(*g));
    size_t legs = 0;
    int64_t now = cc_wall_ms();
    json_t *arr = json ? json_array() : NULL;

    if (g == NULL)
        return 1;
    pthread_mutex_init(&g->lock, NULL);
    req.from = "ccctl";
    if (cc_bus_gather(bus, &subject, 1, &req.base, timeout_ms, on_reply, g) != CC_OK) {
        fprintf(stderr, "ccctl: cannot ask the media nodes\n");
        free(g);
        return 1;
    }
    pthread_mutex_lock(&g->lock); /* a late reply may still arrive */
    if (!json)
        printf("%-20s %-24s %-24s %-6s %5s %-21s %-12s %8s %6s %4s %8s %7s\n", "NODE", "LEG", "PEER",
               "ROLE", "PORT", "SOURCE", "STATE", "RX_PKTS", "LOST", "JIT", "TX_PKTS", "AGE");
    for (size_t i = 0; i < g->n; i++) {
        const Cc__MediaReply *r = g->reply[i];
        if (cc_error_is_set(r->error)) {
            fprintf(stderr, "ccctl: %s: %s\n", r->instance, r->error->message);
            continue;
        }
        for (size_t k = 0; k < r->n_legs; k++, legs++) {
            if (json) {
                json_t *o = cc_pbjson_from_message(&r->legs[k]->base);
                json_object_set_new(o, "instance", json_string(r->instance));
                json_array_append_new(arr, o);
            } else {
                print_leg(r->instance, r->legs[k], now);
            }
        }
    }
    if (json) {
        json_dumpf(arr, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(arr);
    } else {
        printf("%zu legs on %zu media nodes\n", legs, g->n);
    }
    pthread_mutex_unlock(&g->lock);
    for (size_t i = 0; i < g->n; i++)
        cc__media_reply__free_unpacked(g->reply[i], NULL);
    if (g->n == 0)
        fprintf(stderr, "ccctl: no media node answered\n");
    legs = g->n;
    pthread_mutex_destroy(&g->lock);
    free(g);
    return legs > 0 ? 0 : 1;
}
