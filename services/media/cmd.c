/*
 * cmd: the control plane's commands, carried out on the packet loop that
 * owns the legs (loop.h). Each fills c->st (and c->why when it fails) and
 * the snapshot of the leg it acted on.
 */
#include "loop_priv.h"
#include "rtp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

struct leg *loop_find(struct media_loop *l, const char *id)
{
    for (struct leg *leg = l->legs; leg != NULL; leg = leg->next)
        if (strcmp(leg->id, id) == 0)
            return leg;
    return NULL;
}

static cc_status fail(struct loop_cmd *c, cc_status st, const char *why)
{
    c->st = st;
    snprintf(c->why, sizeof(c->why), "%s", why);
    return st;
}

static cc_status attach(struct media_loop *l, struct loop_cmd *c)
{
    struct leg *leg = c->leg;
    struct epoll_event e1 = {.events = EPOLLIN, .data.ptr = &leg->rtp_sock};
    struct epoll_event e2 = {.events = EPOLLIN, .data.ptr = &leg->rtcp_sock};

    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, leg->rtp_fd, &e1) != 0)
        return fail(c, CC_ERR_IO, "cannot watch the leg's RTP socket");
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, leg->rtcp_fd, &e2) != 0) {
        epoll_ctl(l->epfd, EPOLL_CTL_DEL, leg->rtp_fd, NULL);
        return fail(c, CC_ERR_IO, "cannot watch the leg's RTCP socket");
    }
    leg->prev = NULL;
    leg->next = l->legs;
    if (l->legs != NULL)
        l->legs->prev = leg;
    l->legs = leg;
    l->n_legs++;
    c->leg = NULL; /* the loop's now */
    leg_snapshot(leg, &c->info);
    return CC_OK;
}

static void detach(struct media_loop *l, struct leg *leg)
{
    loop_drop_events(l, leg);
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, leg->rtp_fd, NULL);
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, leg->rtcp_fd, NULL);
    if (leg->prev != NULL)
        leg->prev->next = leg->next;
    else
        l->legs = leg->next;
    if (leg->next != NULL)
        leg->next->prev = leg->prev;
    leg->prev = leg->next = NULL;
    l->n_legs--;
}

static void set_remote(struct leg *leg, const struct loop_cmd *c, int64_t now)
{
    bool moved = !leg->has_remote || leg->remote_rtp.sin_addr.s_addr != c->remote.rtp.sin_addr.s_addr ||
                 leg->remote_rtp.sin_port != c->remote.rtp.sin_port;

    leg->remote_rtp = c->remote.rtp;
    leg->remote_rtcp = c->remote.rtcp;
    leg->rtcp_mux = c->remote.mux;
    leg->codec = c->remote.codec;
    leg->event_pt = c->remote.event_pt;
    leg->has_remote = true;
    if (leg->peer_hold && !c->remote.hold) /* resumed: its silence counts from now */
        leg->quiet_since_us = now;
    leg->peer_hold = c->remote.hold;
    if (moved) /* a new SDP address (re-INVITE): latch again to what comes */
        leg->latched_rtp = leg->latched_rtcp = false;
}

static cc_status bridge(struct media_loop *l, struct loop_cmd *c, struct leg *caller)
{
    struct leg *staff = loop_find(l, c->peer_id);
    struct bridge *b;

    if (staff == NULL)
        return fail(c, CC_ERR_NOT_FOUND, "no such staff leg on this node");
    if (caller->bridge != NULL || staff->bridge != NULL)
        return fail(c, CC_ERR_CONFLICT, "a leg is already bridged: unbridge it first");
    b = calloc(1, sizeof(*b));
    if (b == NULL)
        return fail(c, CC_ERR_NOMEM, "out of memory");
    b->caller = caller;
    b->staff = staff;
    caller->bridge = staff->bridge = b;
    caller->role = ROLE_CALLER;
    staff->role = ROLE_STAFF;
    caller->out.feeder = staff->out.feeder = FEED_NONE;
    caller->held_alone = staff->held_alone = false; /* a bridge starts unheld */
    return CC_OK;
}

static cc_status hold(struct leg *leg, struct loop_cmd *c, bool on, int64_t now)
{
    struct bridge *b = leg->bridge;

    if (b == NULL) { /* a leg alone: hold audio to it, until unhold or a bridge */
        if (on && !leg->held_alone)
            leg->alone_frames = 0;
        leg->held_alone = on;
        return CC_OK;
    }
    if (b->held == on)
        return CC_OK;
    b->held = on;
    if (on) {
        b->held_since_us = now;
        b->hold_frames = 0;
    } else { /* the hold time does not count towards a media timeout */
        b->caller->quiet_since_us = now;
        b->staff->quiet_since_us = now;
    }
    return CC_OK;
}

static cc_status dtmf(struct leg *leg, struct loop_cmd *c)
{
    struct dtmf_tx *d = &leg->dtmf;
    size_t add = strlen(c->dtmf.digits);

    if (leg->event_pt == 0 || leg_rtp_dest(leg) == NULL)
        return fail(c, CC_ERR_CONFLICT,
                    "the leg has no telephone-event payload type or no remote address yet");
    if (d->phase != 0) { /* still sending: queue behind what is left */
        if ((size_t)d->n + add > DTMF_DIGITS_MAX)
            return fail(c, CC_ERR_LIMIT, "too many digits waiting to be sent");
        memcpy(d->digits + d->n, c->dtmf.digits, add + 1);
        d->n += (int)add;
        return CC_OK;
    }
    memcpy(d->digits, c->dtmf.digits, add + 1);
    d->n = (int)add;
    d->pos = 0;
    d->duration = 0;
    d->target = (uint32_t)c->dtmf.duration_ms * 8;
    d->phase = 1;
    return CC_OK;
}

static cc_status rec_start(struct media_loop *l, struct leg *leg, struct loop_cmd *c, int64_t now)
{
    struct bridge *b = leg->bridge;
    struct rec_item *it;

    if (b == NULL)
        return fail(c, CC_ERR_CONFLICT, "the leg is not bridged: record a bridge");
    if (b->recording)
        return fail(c, CC_ERR_CONFLICT, "the bridge is already being recorded");
    it = rec_ring_claim(l->ring, 0);
    if (it == NULL)
        return fail(c, CC_ERR_LIMIT, "the recording writer is behind: try again");
    snprintf(c->rec.start->caller_leg, LEG_ID_MAX, "%s", b->caller->id);
    snprintf(c->rec.start->staff_leg, LEG_ID_MAX, "%s", b->staff->id);
    it->kind = REC_START;
    it->rec_id = c->rec.id;
    it->t_us = now;
    it->start = c->rec.start;
    memcpy(b->rec_path, c->rec.start->path, MEDIA_PATH_MAX);
    rec_ring_push(l->ring);
    c->rec.start = NULL; /* the writer's now */
    b->recording = true;
    b->rec_id = c->rec.id;
    return CC_OK;
}

static cc_status run(struct media_loop *l, struct loop_cmd *c, int64_t now)
{
    struct leg *leg;

    if (c->op == OP_ATTACH)
        return attach(l, c);
    if (c->op == OP_LIST) {
        c->n = 0;
        for (leg = l->legs; leg != NULL && c->n < c->cap; leg = leg->next)
            leg_snapshot(leg, &c->list[c->n++]);
        return CC_OK;
    }
    leg = loop_find(l, c->leg_id);
    if (leg == NULL)
        return fail(c, CC_ERR_NOT_FOUND, "no such leg on this node");
    switch (c->op) {
    case OP_DETACH:
        if (leg->bridge != NULL)
            return fail(c, CC_ERR_CONFLICT, "a bridged leg cannot move");
        detach(l, leg);
        c->leg = leg;
        return CC_OK;
    case OP_REMOTE:
        set_remote(leg, c, now);
        break;
    case OP_BRIDGE:
        if (bridge(l, c, leg) != CC_OK)
            return c->st;
        /* the bridged window (CC_MEDIA_TIMEOUT_S) starts now: the time a
         * caller waited or a phone rang, quiet, is not counted in it */
        leg->quiet_since_us = leg->bridge->staff->quiet_since_us = now;
        break;
    case OP_UNBRIDGE:
        if (leg->bridge == NULL)
            return fail(c, CC_ERR_CONFLICT, "the leg is not bridged");
        relay_unbridge(l, leg, now, c->rec_path);
        break;
    case OP_HOLD:
    case OP_UNHOLD:
        if (hold(leg, c, c->op == OP_HOLD, now) != CC_OK)
            return c->st;
        break;
    case OP_MUTE:
    case OP_UNMUTE:
        leg->muted = c->op == OP_MUTE;
        if (leg->bridge != NULL) { /* the peer's stream re-bases when it resumes */
            struct leg *peer = leg->bridge->caller == leg ? leg->bridge->staff : leg->bridge->caller;
            peer->out.feeder = FEED_NONE;
        }
        break;
    case OP_DTMF:
        if (dtmf(leg, c) != CC_OK)
            return c->st;
        break;
    case OP_REC_START:
        if (rec_start(l, leg, c, now) != CC_OK)
            return c->st;
        break;
    case OP_REC_STOP:
        if (leg->bridge == NULL || !leg->bridge->recording)
            return fail(c, CC_ERR_CONFLICT, "the leg's bridge is not being recorded");
        relay_rec_stop(l, leg->bridge, now, c->rec_path);
        break;
    case OP_RELEASE:
        relay_end_leg(l, leg, now, &c->info, c->rec_path);
        return CC_OK;
    case OP_ANNOUNCE:
        if (leg->bridge != NULL)
            return fail(c, CC_ERR_CONFLICT, "the leg is bridged: announce to a leg alone");
        if (leg_rtp_dest(leg) == NULL)
            return fail(c, CC_ERR_CONFLICT, "the leg has no remote to play to");
        if (leg->announce == 0)
            leg->announce = 1;
        break;
    case OP_GET:
    default:
        break;
    }
    leg_snapshot(leg, &c->info);
    return CC_OK;
}

void cmd_run(struct media_loop *l, struct loop_cmd *c)
{
    c->st = CC_OK;
    run(l, c, loop_now_us());
}
