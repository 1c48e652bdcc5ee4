/* recorder: the recording writer thread. See recorder.h. */
#include "recorder.h"
#include "cc_log.h"
#include "g711.h"
#include "wav.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POLL_NS 20000000L /* the rings are read every 20 ms */

struct channel {
    bool anchored;
    uint32_t ssrc, ts;
    int64_t frame;
};

struct recording {
    uint32_t id;
    int fd;
    bool failed;
    char path[MEDIA_PATH_MAX];
    char caller[LEG_ID_MAX], staff[LEG_ID_MAX];
    int64_t start_us;
    int64_t flushed; /* frames in the file */
    struct channel ch[2];
    int16_t win[REC_WINDOW_FRAMES * 2];
    struct recording *next;
};

struct recorder {
    pthread_t thread;
    struct rec_ring *const *rings;
    size_t n;
    struct media_events *events;
    atomic_bool stopping;
    struct recording *recs; /* the writer thread's only */
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t frame_at(const struct recording *rec, int64_t t_us)
{
    return t_us <= rec->start_us ? 0 : (t_us - rec->start_us) * REC_RATE / 1000000;
}

static void write_all(struct recording *rec, const void *buf, size_t len, off_t at)
{
    const uint8_t *p = buf;

    while (len > 0 && !rec->failed) {
        ssize_t w = pwrite(rec->fd, p, len, at);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rec->failed = true;
            cc_log(CC_LOG_ERROR, "cannot write a recording", "path", rec->path, "error",
                   strerror(errno), NULL);
            return;
        }
        p += w;
        len -= (size_t)w;
        at += w;
    }
}

/* Writes frames [flushed, upto) and slides the window. */
static void flush_to(struct recording *rec, int64_t upto)
{
    if (upto > (int64_t)WAV_MAX_FRAMES(2))
        upto = WAV_MAX_FRAMES(2);
    while (rec->flushed < upto) {
        int64_t k = upto - rec->flushed;
        if (k > REC_WINDOW_FRAMES)
            k = REC_WINDOW_FRAMES;
        write_all(rec, rec->win, (size_t)k * 4, (off_t)(WAV_HEADER_LEN + rec->flushed * 4));
        memmove(rec->win, rec->win + k * 2, (size_t)(REC_WINDOW_FRAMES - k) * 4);
        memset(rec->win + (REC_WINDOW_FRAMES - k) * 2, 0, (size_t)k * 4);
        rec->flushed += k;
    }
}

static void put_audio(struct recording *rec, const struct rec_item *it)
{
    struct channel *ch = &rec->ch[it->channel & 1];
    int64_t arrival = frame_at(rec, it->t_us), pos;

    pos = ch->frame + (int32_t)(it->ts - ch->ts);
    if (!ch->anchored || ch->ssrc != it->ssrc || pos - arrival > REC_REANCHOR_FRAMES ||
        arrival - pos > REC_REANCHOR_FRAMES) {
        ch->anchored = true;
        ch->ssrc = it->ssrc;
        ch->ts = it->ts;
        ch->frame = arrival;
        pos = arrival;
    }
    for (int i = 0; i < it->len; i++, pos++) {
        int16_t s = it->codec == CODEC_PCMA ? g711_alaw_decode(it->data[i])
                                            : g711_ulaw_decode(it->data[i]);
        if (pos < rec->flushed)
            continue; /* too late: its place is written already */
        if (pos >= rec->flushed + REC_WINDOW_FRAMES)
            flush_to(rec, pos - REC_WINDOW_FRAMES + 1);
        rec->win[(pos - rec->flushed) * 2 + (it->channel & 1)] = s;
    }
}

static void start(struct recorder *r, const struct rec_item *it)
{
    struct recording *rec = calloc(1, sizeof(*rec));
    uint8_t hdr[WAV_HEADER_LEN];

    if (rec == NULL) {
        close(it->start->fd);
        free(it->start);
        return;
    }
    rec->id = it->rec_id;
    rec->fd = it->start->fd;
    rec->start_us = it->t_us;
    memcpy(rec->path, it->start->path, sizeof(rec->path));
    memcpy(rec->caller, it->start->caller_leg, sizeof(rec->caller));
    memcpy(rec->staff, it->start->staff_leg, sizeof(rec->staff));
    free(it->start);
    wav_header(hdr, 0, 2, REC_RATE);
    write_all(rec, hdr, sizeof(hdr), 0);
    rec->next = r->recs;
    r->recs = rec;
}

static void finish(struct recorder *r, struct recording *rec, int64_t t_us)
{
    uint8_t hdr[WAV_HEADER_LEN];
    struct media_event *ev;
    int64_t end = frame_at(rec, t_us);

    if (end > (int64_t)WAV_MAX_FRAMES(2))
        end = WAV_MAX_FRAMES(2);
    flush_to(rec, end);
    wav_header(hdr, (uint32_t)rec->flushed, 2, REC_RATE);
    write_all(rec, hdr, sizeof(hdr), 0);
    if (!rec->failed && ftruncate(rec->fd, (off_t)(WAV_HEADER_LEN + rec->flushed * 4)) != 0)
        rec->failed = true;
    if (fsync(rec->fd) != 0 || close(rec->fd) != 0)
        rec->failed = true;
    ev = calloc(1, sizeof(*ev));
    if (ev != NULL) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ev->kind = MEV_RECORDED;
        ev->wall_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        memcpy(ev->path, rec->path, sizeof(ev->path));
        ev->record_ms = rec->flushed * 1000 / REC_RATE;
        memcpy(ev->caller_leg, rec->caller, sizeof(ev->caller_leg));
        memcpy(ev->staff_leg, rec->staff, sizeof(ev->staff_leg));
        if (rec->failed)
            snprintf(ev->reason, sizeof(ev->reason), "write_failed");
        media_events_post(r->events, ev);
    }
    for (struct recording **pp = &r->recs; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == rec) {
            *pp = rec->next;
            break;
        }
    }
    free(rec);
}

static struct recording *find(struct recorder *r, uint32_t id)
{
    for (struct recording *rec = r->recs; rec != NULL; rec = rec->next)
        if (rec->id == id)
            return rec;
    return NULL;
}

static void drain(struct recorder *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct rec_item *it;
        while ((it = rec_ring_peek(r->rings[i])) != NULL) {
            struct recording *rec = it->kind == REC_START ? NULL : find(r, it->rec_id);
            if (it->kind == REC_START)
                start(r, it);
            else if (it->kind == REC_AUDIO && rec != NULL)
                put_audio(rec, it);
            else if (it->kind == REC_STOP && rec != NULL)
                finish(r, rec, it->t_us);
            rec_ring_pop(r->rings[i]);
        }
    }
}

static void *writer_main(void *arg)
{
    struct recorder *r = arg;
    struct timespec pause = {0, POLL_NS};

    while (!atomic_load(&r->stopping)) {
        int64_t now = now_us();
        drain(r);
        for (struct recording *rec = r->recs; rec != NULL; rec = rec->next)
            flush_to(rec, frame_at(rec, now) - REC_LAG_FRAMES);
        nanosleep(&pause, NULL);
    }
    drain(r);
    while (r->recs != NULL)
        finish(r, r->recs, now_us());
    return NULL;
}

cc_status recorder_start(struct recorder **rp, struct rec_ring *const *rings, size_t n,
                         struct media_events *events)
{
    struct recorder *r = calloc(1, sizeof(*r));

    *rp = NULL;
    if (r == NULL)
        return CC_ERR_NOMEM;
    r->rings = rings;
    r->n = n;
    r->events = events;
    atomic_init(&r->stopping, false);
    if (pthread_create(&r->thread, NULL, writer_main, r) != 0) {
        free(r);
        return CC_ERR_IO;
    }
    *rp = r;
    return CC_OK;
}

void recorder_stop(struct recorder *r)
{
    if (r == NULL)
        return;
    atomic_store(&r->stopping, true);
    pthread_join(r->thread, NULL);
    free(r);
}
