/* loop: the packet loop thread, epoll and batched I/O. See loop.h. */
#include "loop_priv.h"
#include "g711.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define EPOLL_MAX 64

/* epoll data of the two non-leg descriptors */
static char tag_event, tag_timer;

int64_t loop_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t loop_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void loop_queue(struct media_loop *l, int fd, const struct sockaddr_in *to, uint8_t *data,
                size_t len)
{
    int i;

    if (l->ns == LOOP_SEND_MAX)
        loop_flush(l);
    i = l->ns++;
    l->sfd[i] = fd;
    l->sto[i] = *to;
    l->siov[i].iov_base = data;
    l->siov[i].iov_len = len;
    memset(&l->smsg[i], 0, sizeof(l->smsg[i]));
    l->smsg[i].msg_hdr.msg_name = &l->sto[i];
    l->smsg[i].msg_hdr.msg_namelen = sizeof(l->sto[i]);
    l->smsg[i].msg_hdr.msg_iov = &l->siov[i];
    l->smsg[i].msg_hdr.msg_iovlen = 1;
}

void loop_flush(struct media_loop *l)
{
    int i = 0;

    while (i < l->ns) {
        int run = 1;
        while (i + run < l->ns && l->sfd[i + run] == l->sfd[i])
            run++;
        /* a full socket buffer or an unreachable peer drops what is left of
         * the run: real-time audio is not worth waiting for */
        for (int sent = 0; sent < run;) {
            int r = sendmmsg(l->sfd[i], &l->smsg[i + sent], (unsigned)(run - sent), MSG_DONTWAIT);
            if (r <= 0) {
                if (r < 0 && errno == EINTR)
                    continue;
                if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                    sent++; /* skip the datagram that failed (ECONNREFUSED, ...) */
                else
                    break;
            } else {
                sent += r;
            }
        }
        i += run;
    }
    l->ns = 0;
    l->ng = 0;
}

uint8_t *loop_gen_buf(struct media_loop *l)
{
    if (l->ng == LOOP_GEN_MAX)
        loop_flush(l);
    return l->gbuf[l->ng++];
}

void loop_drop_events(struct media_loop *l, const struct leg *leg)
{
    for (int i = l->batch_at; i < l->batch_n; i++)
        if (l->batch[i].data.ptr == &leg->rtp_sock || l->batch[i].data.ptr == &leg->rtcp_sock)
            l->batch[i].data.ptr = NULL;
}

static void read_socket(struct media_loop *l, struct leg_sock *s)
{
    int fd = s->rtcp ? s->leg->rtcp_fd : s->leg->rtp_fd;

    for (;;) {
        int n;
        int64_t now, now_wall;

        for (int i = 0; i < LOOP_BATCH; i++) {
            l->rmsg[i].msg_hdr.msg_namelen = sizeof(l->rfrom[i]);
            l->rmsg[i].msg_hdr.msg_flags = 0;
        }
        n = recvmmsg(fd, l->rmsg, LOOP_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            return;
        now = loop_now_us();
        now_wall = loop_wall_ms();
        for (int i = 0; i < n; i++) {
            const struct msghdr *h = &l->rmsg[i].msg_hdr;
            if ((h->msg_flags & MSG_TRUNC) || h->msg_namelen != sizeof(struct sockaddr_in) ||
                l->rfrom[i].sin_family != AF_INET) {
                s->leg->rx.malformed++;
                continue;
            }
            relay_packet(l, s->leg, s->rtcp, l->rbuf[i], l->rmsg[i].msg_len, &l->rfrom[i], now,
                         now_wall);
        }
        loop_flush(l);
        if (n < LOOP_BATCH)
            return;
    }
}

static void run_commands(struct media_loop *l, bool *stop)
{
    struct loop_cmd *c;
    uint64_t v;

    if (read(l->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
        return;
    pthread_mutex_lock(&l->qlock);
    c = l->qhead;
    l->qhead = l->qtail = NULL;
    *stop = l->stopping;
    pthread_mutex_unlock(&l->qlock);
    while (c != NULL) {
        struct loop_cmd *next = c->next; /* c belongs to its waiter once posted */
        cmd_run(l, c);
        sem_post(&c->done);
        c = next;
    }
    loop_flush(l);
}

static void on_tick(struct media_loop *l)
{
    uint64_t expirations = 0;
    int64_t now = loop_now_us();

    if (read(l->tfd, &expirations, sizeof(expirations)) != sizeof(expirations))
        return;
    /* a loop that fell behind catches up a little, not with a burst */
    relay_tick(l, now, expirations > 3 ? 3 : (int)expirations);
    loop_flush(l);
    l->ticks += expirations;
    if (l->ticks % 50 < expirations)
        relay_timeouts(l, now);
}

static void *loop_main(void *arg)
{
    struct media_loop *l = arg;
    struct epoll_event ev[EPOLL_MAX];
    bool stop = false;

    if (l->cfg.cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(l->cfg.cpu, &set);
        /* in a container limited to fewer cores it may be refused: unpinned then */
        pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    }
    l->batch = ev;
    while (!stop) {
        int n = epoll_wait(l->epfd, ev, EPOLL_MAX, -1);
        l->batch_n = n > 0 ? n : 0;
        for (l->batch_at = 0; l->batch_at < l->batch_n;) {
            void *p = ev[l->batch_at++].data.ptr;
            if (p == NULL)
                continue; /* its leg ended or moved in this batch */
            if (p == &tag_event)
                run_commands(l, &stop);
            else if (p == &tag_timer)
                on_tick(l);
            else
                read_socket(l, p);
        }
        l->batch_n = 0;
    }
    /* the end: every leg released, recordings stopped */
    while (l->legs != NULL)
        relay_end_leg(l, l->legs, loop_now_us(), NULL, NULL);
    return NULL;
}

/* 160 samples of 400 Hz (8 periods exactly), quiet (-20 dBFS); and the
 * announcement: three tones of 330 ms (950, 1400, 1800 Hz), then silence to
 * ANNOUNCE_FRAMES */
static void make_tone(struct media_loop *l)
{
    static const double sit_hz[3] = {950.0, 1400.0, 1800.0};

    for (int i = 0; i < 160; i++) {
        int16_t s = (int16_t)lrint(3277.0 * sin(2.0 * M_PI * 400.0 * i / 8000.0));
        l->tone_pcmu[i] = g711_ulaw_encode(s);
        l->tone_pcma[i] = g711_alaw_encode(s);
    }
    for (int n = 0; n < ANNOUNCE_FRAMES * 160; n++) {
        int tone = n / 2640; /* 330 ms each */
        int16_t s = tone < 3 ? (int16_t)lrint(3277.0 * sin(2.0 * M_PI * sit_hz[tone] * n / 8000.0))
                             : 0;
        l->sit_pcmu[n / 160][n % 160] = g711_ulaw_encode(s);
        l->sit_pcma[n / 160][n % 160] = g711_alaw_encode(s);
    }
}

static bool add_fd(int epfd, int fd, void *tag)
{
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = tag};
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) == 0;
}

cc_status media_loop_start(struct media_loop **lp, const struct media_loop_cfg *cfg,
                           struct media_events *events, char *err, size_t errlen)
{
    struct media_loop *l = calloc(1, sizeof(*l));
    struct itimerspec it = {.it_interval = {0, LOOP_TICK_US * 1000},
                            .it_value = {0, LOOP_TICK_US * 1000}};

    *lp = NULL;
    if (l == NULL)
        return CC_ERR_NOMEM;
    l->cfg = *cfg;
    l->events = events;
    l->timeout_us = (int64_t)cfg->timeout_s * 1000000;
    l->setup_timeout_us = (int64_t)cfg->setup_timeout_s * 1000000;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    l->ring = rec_ring_new(cfg->ring_slots);
    pthread_mutex_init(&l->qlock, NULL);
    make_tone(l);
    for (int i = 0; i < LOOP_BATCH; i++) {
        l->riov[i].iov_base = l->rbuf[i];
        l->riov[i].iov_len = LOOP_PKT_MAX;
        l->rmsg[i].msg_hdr.msg_iov = &l->riov[i];
        l->rmsg[i].msg_hdr.msg_iovlen = 1;
        l->rmsg[i].msg_hdr.msg_name = &l->rfrom[i];
    }
    if (l->epfd < 0 || l->evfd < 0 || l->tfd < 0 || l->ring == NULL ||
        timerfd_settime(l->tfd, 0, &it, NULL) != 0 || !add_fd(l->epfd, l->evfd, &tag_event) ||
        !add_fd(l->epfd, l->tfd, &tag_timer)) {
        snprintf(err, errlen, "cannot set up packet loop %d: %s", cfg->index, strerror(errno));
        media_loop_free(l);
        return CC_ERR_IO;
    }
    if (pthread_create(&l->thread, NULL, loop_main, l) != 0) {
        snprintf(err, errlen, "cannot start packet loop %d", cfg->index);
        media_loop_free(l);
        return CC_ERR_IO;
    }
    l->started = true;
    *lp = l;
    return CC_OK;
}

static void post(struct media_loop *l, struct loop_cmd *c, bool stop)
{
    uint64_t one = 1;

    pthread_mutex_lock(&l->qlock);
    if (c != NULL) {
        c->next = NULL;
        if (l->qtail != NULL)
            l->qtail->next = c;
        else
            l->qhead = c;
        l->qtail = c;
    }
    if (stop)
        l->stopping = true;
    pthread_mutex_unlock(&l->qlock);
    if (write(l->evfd, &one, sizeof(one)) < 0) {
        /* the counter is saturated: the loop is awake anyway */
    }
}

void media_loop_exec(struct media_loop *l, struct loop_cmd *c)
{
    sem_init(&c->done, 0, 0);
    c->st = CC_OK;
    c->why[0] = '\0';
    post(l, c, false);
    while (sem_wait(&c->done) != 0 && errno == EINTR)
        ;
    sem_destroy(&c->done);
}

struct rec_ring *media_loop_ring(struct media_loop *l)
{
    return l->ring;
}

void media_loop_stop(struct media_loop *l)
{
    if (l == NULL || !l->started)
        return;
    post(l, NULL, true);
    pthread_join(l->thread, NULL);
    l->started = false;
}

void media_loop_free(struct media_loop *l)
{
    if (l == NULL)
        return;
    media_loop_stop(l);
    if (l->epfd >= 0)
        close(l->epfd);
    if (l->evfd >= 0)
        close(l->evfd);
    if (l->tfd >= 0)
        close(l->tfd);
    rec_ring_free(l->ring);
    pthread_mutex_destroy(&l->qlock);
    free(l);
}
