/* control: media's NATS requests. See control.h. */
#include "control.h"
#include "cc_error.h"
#include "cc_log.h"
#include "cc_time.h"
#include "media.pb-c.h"
#include "pb.h"
#include "rtp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct reg {
    char id[LEG_ID_MAX];
    uint64_t serial;
    int loop;
    uint16_t port;
};

struct media_control {
    struct cc_service *svc;
    const struct cc_config *cfg;
    struct media_loop *const *loops;
    int n_loops;
    struct media_ports *ports;
    struct media_events *events;
    atomic_int *legs_out;
    char prefix[160]; /* "cc.media.<instance>." */

    pthread_mutex_t lock; /* everything below */
    bool stopping;        /* no loop command any more: the loops are stopping */
    struct reg *reg;
    size_t n, cap;
    int *loop_legs;
    uint64_t serial;
    uint32_t rec_id;
};

/* A reply being built: the MediaReply and what it points into. */
struct reply {
    Cc__MediaReply r;
    Cc__Error err;
    struct media_leg_info info;
    struct media_pb_leg leg;
    struct media_leg_info *infos;
    struct media_pb_leg *pls;
    Cc__MediaLeg **legs;
    char path[MEDIA_PATH_MAX];
    char why[400]; /* the error message (a command's is gone by the reply) */
};

bool media_leg_id_valid(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= LEG_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-'))
            return false;
    }
    return true;
}

bool media_digits_valid(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > DTMF_DIGITS_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (rtp_digit_event(s[i]) < 0)
            return false;
    return true;
}

static void fail(struct reply *rp, cc_status st, const char *msg, const char *field)
{
    snprintf(rp->why, sizeof(rp->why), "%s", msg);
    cc_error_set(&rp->err, st, rp->why, field);
    rp->r.error = &rp->err;
}

static void set_leg(struct media_control *c, struct reply *rp, const struct media_leg_info *info)
{
    rp->info = *info;
    media_pb_leg(&rp->leg, &rp->info, c->cfg->media_addr);
    rp->r.leg = &rp->leg.leg;
}

static struct reg *find(struct media_control *c, const char *id)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->reg[i].id, id) == 0)
            return &c->reg[i];
    return NULL;
}

static void forget(struct media_control *c, struct reg *r)
{
    media_ports_release(c->ports, r->port);
    c->loop_legs[r->loop]--;
    *r = c->reg[--c->n];
    atomic_store(c->legs_out, (int)c->n);
}

/* Runs cmd on the loop of leg id; false (and rp failed) when there is no such leg. */
static bool on_leg(struct media_control *c, struct reply *rp, const char *id, struct loop_cmd *cmd)
{
    struct reg *r = find(c, id);

    if (!media_leg_id_valid(id)) {
        fail(rp, CC_ERR_INVALID, "leg_id must be 1-63 of A-Z a-z 0-9 . _ : -", "leg_id");
        return false;
    }
    if (r == NULL) {
        fail(rp, CC_ERR_NOT_FOUND, "no such leg on this node", "leg_id");
        return false;
    }
    cmd->leg_id = id;
    media_loop_exec(c->loops[r->loop], cmd);
    if (cmd->st == CC_ERR_NOT_FOUND && cmd->peer_id == NULL) {
        /* the loop ended it (media timeout) and the publisher has not told us yet */
        fail(rp, CC_ERR_NOT_FOUND, "no such leg on this node (it has ended)", "leg_id");
        return false;
    }
    if (cmd->st != CC_OK) {
        fail(rp, cmd->st, cmd->why, NULL);
        return false;
    }
    set_leg(c, rp, &cmd->info);
    return true;
}

static void do_allocate(struct media_control *c, const ProtobufCMessage *pb, struct reply *rp)
{
    const Cc__MediaAllocateRequest *req = (const Cc__MediaAllocateRequest *)pb;
    struct loop_cmd cmd = {.op = OP_ATTACH};
    int rtp_fd, rtcp_fd, best = 0;
    uint16_t port;
    uint32_t ssrc = 0;
    char why[160];
    struct reg *r;

    if (!media_leg_id_valid(req->leg_id)) {
        fail(rp, CC_ERR_INVALID, "leg_id must be 1-63 of A-Z a-z 0-9 . _ : -", "leg_id");
        return;
    }
    if (find(c, req->leg_id) != NULL) {
        fail(rp, CC_ERR_CONFLICT, "a leg with this id exists on this node", "leg_id");
        return;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct reg *nr = realloc(c->reg, cap * sizeof(*nr));
        if (nr == NULL) {
            fail(rp, CC_ERR_NOMEM, "out of memory", NULL);
            return;
        }
        c->reg = nr;
        c->cap = cap;
    }
    if (media_ports_open(c->ports, &rtp_fd, &rtcp_fd, &port, why, sizeof(why)) != CC_OK) {
        fail(rp, CC_ERR_LIMIT, why, NULL);
        return;
    }
    if (getrandom(&ssrc, sizeof(ssrc), 0) != sizeof(ssrc))
        ssrc = (uint32_t)cc_mono_ms() * 2654435761u;
    cmd.leg = leg_new(req->leg_id, ++c->serial, rtp_fd, rtcp_fd, port, ssrc, cc_mono_ms() * 1000,
                      cc_wall_ms());
    if (cmd.leg == NULL) {
        close(rtp_fd);
        close(rtcp_fd);
        media_ports_release(c->ports, port);
        fail(rp, CC_ERR_NOMEM, "out of memory", NULL);
        return;
    }
    for (int i = 1; i < c->n_loops; i++)
        if (c->loop_legs[i] < c->loop_legs[best])
            best = i;
    media_loop_exec(c->loops[best], &cmd);
    if (cmd.st != CC_OK) {
        leg_free(cmd.leg);
        media_ports_release(c->ports, port);
        fail(rp, cmd.st, cmd.why, NULL);
        return;
    }
    r = &c->reg[c->n++];
    snprintf(r->id, sizeof(r->id), "%s", req->leg_id);
    r->serial = c->serial;
    r->loop = best;
    r->port = port;
    c->loop_legs[best]++;
    atomic_store(c->legs_out, (int)c->n);
    set_leg(c, rp, &cmd.info);
}

static void do_remote(struct media_control *c, const ProtobufCMessage *pb, struct reply *rp)
{
    const Cc__MediaRemoteRequest *req = (const Cc__MediaRemoteRequest *)pb;
    struct loop_cmd cmd = {.op = OP_REMOTE};
    struct in_addr a;
    int rtcp_port = req->rtcp_port != 0 ? req->rtcp_port : req->remote_port + 1;

    if (inet_pton(AF_INET, req->remote_ip, &a) != 1) {
        fail(rp, CC_ERR_INVALID, "remote_ip must be an IPv4 address", "remote_ip");
        return;
    }
    if (req->remote_port < 1 || req->remote_port > 65535) {
        fail(rp, CC_ERR_INVALID, "remote_port must be 1-65535", "remote_port");
        return;
    }
    if (rtcp_port < 1 || rtcp_port > 65535) {
        fail(rp, CC_ERR_INVALID, "rtcp_port must be 1-65535 (or 0: remote_port + 1)", "rtcp_port");
        return;
    }
    if (req->codec != CC__MEDIA_CODEC__MEDIA_CODEC_PCMU &&
        req->codec != CC__MEDIA_CODEC__MEDIA_CODEC_PCMA) {
        fail(rp, CC_ERR_INVALID, "codec must be MEDIA_CODEC_PCMU or MEDIA_CODEC_PCMA", "codec");
        return;
    }
    if (req->event_pt != 0 && (req->event_pt < 96 || req->event_pt > 127)) {
        fail(rp, CC_ERR_INVALID, "event_pt must be a dynamic payload type (96-127) or 0", "event_pt");
        return;
    }
    cmd.remote.rtp = (struct sockaddr_in){.sin_family = AF_INET,
                                          .sin_port = htons((uint16_t)req->remote_port),
                                          .sin_addr = a};
    cmd.remote.rtcp = cmd.remote.rtp;
    cmd.remote.rtcp.sin_port = htons((uint16_t)rtcp_port);
    cmd.remote.mux = req->rtcp_mux;
    cmd.remote.codec = req->codec;
    cmd.remote.event_pt = req->event_pt;
    cmd.remote.hold = req->peer_hold;
    on_leg(c, rp, req->leg_id, &cmd);
}

/* Puts the staff leg on the caller's loop (a bridge lives on one loop). */
static bool same_loop(struct media_control *c, struct reply *rp, struct reg *caller, struct reg *staff)
{
    struct loop_cmd cmd = {.op = OP_DETACH, .leg_id = staff->id};

    if (caller->loop == staff->loop)
        return true;
    media_loop_exec(c->loops[staff->loop], &cmd);
    if (cmd.st != CC_OK) {
        fail(rp, cmd.st, cmd.why, "staff_leg_id");
        return false;
    }
    c->loop_legs[staff->loop]--;
    cmd.op = OP_ATTACH;
    media_loop_exec(c->loops[caller->loop], &cmd);
    if (cmd.st != CC_OK) { /* cannot happen short of epoll failing: the leg is lost */
        leg_free(cmd.leg);
        c->loop_legs[staff->loop]++; /* forget() takes it off again */
        forget(c, staff);
        fail(rp, cmd.st, cmd.why, "staff_leg_id");
        return false;
    }
    staff->loop = caller->loop;
    c->loop_legs[caller->loop]++;
    return true;
}

static void do_bridge(struct media_control *c, const ProtobufCMessage *pb, struct reply *rp)
{
    const Cc__MediaBridgeRequest *req = (const Cc__MediaBridgeRequest *)pb;
    struct loop_cmd cmd = {.op = OP_BRIDGE, .peer_id = req->staff_leg_id};
    struct reg *caller, *staff;

    if (!media_leg_id_valid(req->caller_leg_id) || !media_leg_id_valid(req->staff_leg_id)) {
        fail(rp, CC_ERR_INVALID, "caller_leg_id and staff_leg_id must be leg ids",
             media_leg_id_valid(req->caller_leg_id) ? "staff_leg_id" : "caller_leg_id");
        return;
    }
    if (strcmp(req->caller_leg_id, req->staff_leg_id) == 0) {
        fail(rp, CC_ERR_INVALID, "a leg cannot be bridged to itself", "staff_leg_id");
        return;
    }
    caller = find(c, req->caller_leg_id);
    staff = find(c, req->staff_leg_id);
    if (caller == NULL || staff == NULL) {
        fail(rp, CC_ERR_NOT_FOUND, "no such leg on this node",
             caller == NULL ? "caller_leg_id" : "staff_leg_id");
        return;
    }
    if (!same_loop(c, rp, caller, staff))
        return;
    on_leg(c, rp, req->caller_leg_id, &cmd);
}

static enum loop_op op_of(const char *verb)
{
    static const struct {
        const char *verb;
        enum loop_op op;
    } ops[] = {{"unbridge", OP_UNBRIDGE}, {"hold", OP_HOLD},         {"unhold", OP_UNHOLD},
               {"mute", OP_MUTE},         {"unmute", OP_UNMUTE},     {"record_stop", OP_REC_STOP},
               {"release", OP_RELEASE},   {"announce", OP_ANNOUNCE}};
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strcmp(ops[i].verb, verb) == 0)
            return ops[i].op;
    return 0;
}

static void do_leg(struct media_control *c, const char *verb, const ProtobufCMessage *pb,
                   struct reply *rp)
{
    const Cc__MediaLegRequest *req = (const Cc__MediaLegRequest *)pb;
    struct loop_cmd cmd = {.op = op_of(verb)};
    struct reg *r = find(c, req->leg_id);

    if (!on_leg(c, rp, req->leg_id, &cmd)) {
        if (cmd.op == OP_RELEASE && r != NULL && cmd.st == CC_ERR_NOT_FOUND)
            forget(c, r); /* ended by the loop meanwhile: gone either way */
        return;
    }
    if (cmd.op == OP_RELEASE)
        forget(c, r);
    if (cmd.rec_path[0] != '\0') {
        memcpy(rp->path, cmd.rec_path, sizeof(rp->path));
        rp->r.record_path = rp->path;
    }
}

static void do_dtmf(struct media_control *c, const ProtobufCMessage *pb, struct reply *rp)
{
    const Cc__MediaDtmfRequest *req = (const Cc__MediaDtmfRequest *)pb;
    struct loop_cmd cmd = {.op = OP_DTMF};

    if (!media_digits_valid(req->digits)) {
        fail(rp, CC_ERR_INVALID, "digits must be 1-32 of 0-9 * # A-D", "digits");
        return;
    }
    if (req->duration_ms != 0 && (req->duration_ms < 40 || req->duration_ms > 2000)) {
        fail(rp, CC_ERR_INVALID, "duration_ms must be 40-2000 (or 0: 100)", "duration_ms");
        return;
    }
    snprintf(cmd.dtmf.digits, sizeof(cmd.dtmf.digits), "%s", req->digits);
    cmd.dtmf.duration_ms = req->duration_ms != 0 ? req->duration_ms : 100;
    on_leg(c, rp, req->leg_id, &cmd);
}

/* Opens <dir>/<leg>-<UTC time>-<n>.wav, creating dir if it is missing. */
static int open_recording(struct media_control *c, const char *leg_id, uint32_t n, char *path,
                          char *why, size_t whylen)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    int fd;

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    if (mkdir(c->cfg->media_record_dir, 0750) != 0 && errno != EEXIST) {
        snprintf(why, whylen, "cannot create CC_MEDIA_RECORD_DIR %.300s: %s",
                 c->cfg->media_record_dir, strerror(errno));
        return -1;
    }
    if (snprintf(path, MEDIA_PATH_MAX, "%s/%s-%s-%u.wav", c->cfg->media_record_dir, leg_id, stamp,
                 n) >= MEDIA_PATH_MAX) {
        snprintf(why, whylen, "CC_MEDIA_RECORD_DIR is too long for a recording's path");
        return -1;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        snprintf(why, whylen, "cannot create %.300s: %s", path, strerror(errno));
    return fd;
}

static void do_record_start(struct media_control *c, const ProtobufCMessage *pb, struct reply *rp)
{
    const Cc__MediaLegRequest *req = (const Cc__MediaLegRequest *)pb;
    struct loop_cmd get = {.op = OP_GET}, cmd = {.op = OP_REC_START};
    struct rec_start *start;
    const char *name;
    char why[400];

    if (!on_leg(c, rp, req->leg_id, &get))
        return;
    if (get.info.role == ROLE_NONE) {
        fail(rp, CC_ERR_CONFLICT, "the leg is not bridged: record a bridge", "leg_id");
        return;
    }
    if (get.info.record_path[0] != '\0') {
        fail(rp, CC_ERR_CONFLICT, "the bridge is already being recorded", "leg_id");
        return;
    }
    start = calloc(1, sizeof(*start));
    if (start == NULL) {
        fail(rp, CC_ERR_NOMEM, "out of memory", NULL);
        return;
    }
    /* named after the caller's leg */
    name = get.info.role == ROLE_CALLER ? get.info.leg_id : get.info.peer_leg_id;
    start->fd = open_recording(c, name, ++c->rec_id, start->path, why, sizeof(why));
    if (start->fd < 0) {
        free(start);
        fail(rp, CC_ERR_IO, why, NULL);
        return;
    }
    cmd.rec.id = c->rec_id;
    cmd.rec.start = start;
    if (on_leg(c, rp, req->leg_id, &cmd)) {
        memcpy(rp->path, start->path, sizeof(rp->path)); /* start is the writer's now, */
        rp->r.record_path = rp->path;                    /* but the path was copied in */
        return;
    }
    close(cmd.rec.start->fd);
    unlink(cmd.rec.start->path);
    free(cmd.rec.start);
}

static void do_list(struct media_control *c, struct reply *rp)
{
    size_t total = 0;

    rp->infos = calloc(c->n + 1, sizeof(*rp->infos));
    if (rp->infos == NULL) {
        fail(rp, CC_ERR_NOMEM, "out of memory", NULL);
        return;
    }
    for (int i = 0; i < c->n_loops; i++) {
        struct loop_cmd cmd = {.op = OP_LIST, .list = rp->infos + total, .cap = c->n - total};
        media_loop_exec(c->loops[i], &cmd);
        total += cmd.n;
    }
    rp->pls = calloc(total + 1, sizeof(*rp->pls));
    rp->legs = calloc(total + 1, sizeof(*rp->legs));
    if (rp->pls == NULL || rp->legs == NULL) {
        fail(rp, CC_ERR_NOMEM, "out of memory", NULL);
        return;
    }
    for (size_t i = 0; i < total; i++) {
        media_pb_leg(&rp->pls[i], &rp->infos[i], c->cfg->media_addr);
        rp->legs[i] = &rp->pls[i].leg;
    }
    rp->r.legs = rp->legs;
    rp->r.n_legs = total;
}

static const struct {
    const char *verb;
    const ProtobufCMessageDescriptor *desc;
} verbs[] = {
    {"allocate", &cc__media_allocate_request__descriptor},
    {"remote", &cc__media_remote_request__descriptor},
    {"bridge", &cc__media_bridge_request__descriptor},
    {"unbridge", &cc__media_leg_request__descriptor},
    {"hold", &cc__media_leg_request__descriptor},
    {"unhold", &cc__media_leg_request__descriptor},
    {"mute", &cc__media_leg_request__descriptor},
    {"unmute", &cc__media_leg_request__descriptor},
    {"dtmf", &cc__media_dtmf_request__descriptor},
    {"record_start", &cc__media_leg_request__descriptor},
    {"record_stop", &cc__media_leg_request__descriptor},
    {"release", &cc__media_leg_request__descriptor},
    {"announce", &cc__media_leg_request__descriptor},
    {"list", &cc__media_list_request__descriptor},
};

static void dispatch(struct media_control *c, const char *verb, const ProtobufCMessage *pb,
                     struct reply *rp)
{
    if (strcmp(verb, "allocate") == 0)
        do_allocate(c, pb, rp);
    else if (strcmp(verb, "remote") == 0)
        do_remote(c, pb, rp);
    else if (strcmp(verb, "bridge") == 0)
        do_bridge(c, pb, rp);
    else if (strcmp(verb, "dtmf") == 0)
        do_dtmf(c, pb, rp);
    else if (strcmp(verb, "record_start") == 0)
        do_record_start(c, pb, rp);
    else if (strcmp(verb, "list") == 0)
        do_list(c, rp);
    else
        do_leg(c, verb, pb, rp);
}

static void answer(struct media_control *c, const struct cc_bus_msg *m, const char *verb)
{
    struct reply *rp = calloc(1, sizeof(*rp));
    const ProtobufCMessageDescriptor *desc = NULL;
    ProtobufCMessage *pb = NULL;

    if (rp == NULL)
        return;
    cc__media_reply__init(&rp->r);
    cc__error__init(&rp->err);
    rp->r.instance = (char *)c->cfg->instance;
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (strcmp(verbs[i].verb, verb) == 0)
            desc = verbs[i].desc;
    if (desc == NULL) {
        fail(rp, CC_ERR_NOT_FOUND,
             "unknown media request: the verbs are allocate, remote, bridge, unbridge, hold, "
             "unhold, mute, unmute, dtmf, record_start, record_stop, release, announce, list",
             NULL);
    } else if ((pb = protobuf_c_message_unpack(desc, NULL, m->len, m->data)) == NULL) {
        char msg[160];
        snprintf(msg, sizeof(msg), "the request is not a valid %s message", desc->name);
        fail(rp, CC_ERR_PROTO, msg, NULL);
        cc_log(CC_LOG_WARN, "malformed media request answered with an error", "subject",
               m->subject, NULL);
    } else {
        pthread_mutex_lock(&c->lock);
        if (c->stopping)
            fail(rp, CC_ERR_UNAVAILABLE, "media is stopping", NULL);
        else
            dispatch(c, verb, pb, rp);
        pthread_mutex_unlock(&c->lock);
    }
    if (cc_bus_reply(c->svc->bus, m, &rp->r.base) != CC_OK)
        cc_log(CC_LOG_WARN, "media reply not sent", "subject", m->subject, NULL);
    if (pb != NULL)
        protobuf_c_message_free_unpacked(pb, NULL);
    free(rp->infos);
    free(rp->pls);
    free(rp->legs);
    free(rp);
}

static void on_request(struct cc_bus *bus, const struct cc_bus_msg *m, void *arg)
{
    struct media_control *c = arg;
    size_t plen = strlen(c->prefix);

    if (strncmp(m->subject, c->prefix, plen) != 0)
        return;
    answer(c, m, m->subject + plen);
}

static void on_list_all(struct cc_bus *bus, const struct cc_bus_msg *m, void *arg)
{
    answer(arg, m, "list");
}

/* events hooks, on the publisher's thread */
static void hook_leg_gone(void *arg, const char *leg_id, uint64_t serial)
{
    struct media_control *c = arg;
    struct reg *r;

    pthread_mutex_lock(&c->lock);
    r = c->stopping ? NULL : find(c, leg_id);
    if (r != NULL && r->serial == serial)
        forget(c, r);
    pthread_mutex_unlock(&c->lock);
}

static size_t hook_list(void *arg, struct media_leg_info **out)
{
    struct media_control *c = arg;
    size_t total = 0;

    pthread_mutex_lock(&c->lock);
    *out = calloc(c->n + 1, sizeof(**out));
    for (int i = 0; *out != NULL && !c->stopping && i < c->n_loops; i++) {
        struct loop_cmd cmd = {.op = OP_LIST, .list = *out + total, .cap = c->n - total};
        media_loop_exec(c->loops[i], &cmd);
        total += cmd.n;
    }
    pthread_mutex_unlock(&c->lock);
    return total;
}

cc_status media_control_start(struct media_control **cp, struct cc_service *svc,
                              struct media_loop *const *loops, int n_loops,
                              struct media_ports *ports, struct media_events *events,
                              atomic_int *legs)
{
    struct media_control *c = calloc(1, sizeof(*c));
    struct media_events_hooks h;
    char subject[192];
    cc_status st;

    *cp = NULL;
    if (c == NULL)
        return CC_ERR_NOMEM;
    c->loop_legs = calloc((size_t)n_loops, sizeof(*c->loop_legs));
    if (c->loop_legs == NULL) {
        free(c);
        return CC_ERR_NOMEM;
    }
    c->svc = svc;
    c->cfg = &svc->cfg;
    c->loops = loops;
    c->n_loops = n_loops;
    c->ports = ports;
    c->events = events;
    c->legs_out = legs;
    pthread_mutex_init(&c->lock, NULL);
    snprintf(c->prefix, sizeof(c->prefix), "cc.media.%s.", svc->cfg.instance);
    h = (struct media_events_hooks){.arg = c, .leg_gone = hook_leg_gone, .list = hook_list};
    media_events_set_hooks(events, &h);
    snprintf(subject, sizeof(subject), "%s*", c->prefix);
    st = cc_bus_subscribe(svc->bus, subject, NULL, on_request, c);
    if (st == CC_OK)
        st = cc_bus_subscribe(svc->bus, "cc.media.list", NULL, on_list_all, c);
    if (st != CC_OK) {
        media_control_quiesce(c);
        media_control_free(c);
        return st;
    }
    *cp = c;
    return CC_OK;
}

void media_control_quiesce(struct media_control *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->lock);
    c->stopping = true;
    pthread_mutex_unlock(&c->lock);
}

void media_control_free(struct media_control *c)
{
    if (c == NULL)
        return;
    pthread_mutex_destroy(&c->lock);
    free(c->reg);
    free(c->loop_legs);
    free(c);
}
