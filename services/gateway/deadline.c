/* deadline: slow requests cut off. See deadline.h. */
#include "deadline.h"
#include "cc_log.h"
#include "cc_time.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#define CHECK_EVERY_MS 1000

struct tracked {
    struct tracked *next, *prev;
    struct gw_deadline *d;
    MHD_socket fd;
    int64_t since; /* guarded by d->lock: when the request began to be awaited; 0 = none */
    bool upgraded; /* guarded by d->lock */
};

struct gw_deadline {
    int64_t timeout_ms;
    pthread_t thread;
    pthread_mutex_t lock; /* guards the list, every tracked's since/upgraded, stopping */
    pthread_cond_t wake;
    struct tracked *head;
    bool stopping;
};

void gw_deadline_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode code)
{
    struct gw_deadline *d = cls;
    struct tracked *t = *socket_context;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        t = fd != NULL ? calloc(1, sizeof(*t)) : NULL;
        *socket_context = t;
        if (t == NULL)
            return; /* untracked: MHD's idle timeout still applies */
        t->d = d;
        t->fd = fd->connect_fd;
        pthread_mutex_lock(&d->lock);
        t->since = cc_mono_ms();
        t->next = d->head;
        if (d->head != NULL)
            d->head->prev = t;
        d->head = t;
        pthread_mutex_unlock(&d->lock);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && t != NULL) {
        pthread_mutex_lock(&d->lock);
        if (t->prev != NULL)
            t->prev->next = t->next;
        else
            d->head = t->next;
        if (t->next != NULL)
            t->next->prev = t->prev;
        pthread_mutex_unlock(&d->lock);
        free(t);
        *socket_context = NULL;
    }
}

static struct tracked *tracked_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i != NULL ? i->socket_context : NULL;
}

void gw_deadline_arrived(struct MHD_Connection *c)
{
    struct tracked *t = tracked_of(c);

    if (t == NULL)
        return;
    pthread_mutex_lock(&t->d->lock);
    t->since = 0;
    pthread_mutex_unlock(&t->d->lock);
}

void gw_deadline_next(struct MHD_Connection *c, bool upgraded)
{
    struct tracked *t = tracked_of(c);

    if (t == NULL)
        return;
    pthread_mutex_lock(&t->d->lock);
    t->upgraded |= upgraded;
    t->since = t->upgraded ? 0 : cc_mono_ms();
    pthread_mutex_unlock(&t->d->lock);
}

/* Lock held: shuts down the sockets past their deadline; how many. */
static int cut_locked(struct gw_deadline *d, int64_t now)
{
    int n = 0;

    for (struct tracked *t = d->head; t != NULL; t = t->next) {
        if (t->since == 0 || t->upgraded || now - t->since <= d->timeout_ms)
            continue;
        shutdown(t->fd, SHUT_RDWR);
        t->since = 0; /* once */
        n++;
    }
    return n;
}

static void *run(void *arg)
{
    struct gw_deadline *d = arg;

    pthread_mutex_lock(&d->lock);
    while (!d->stopping) {
        struct timespec until;
        int n;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += CHECK_EVERY_MS / 1000;
        pthread_cond_timedwait(&d->wake, &d->lock, &until);
        if (d->stopping)
            break;
        n = cut_locked(d, cc_mono_ms());
        if (n > 0) {
            char count[16];
            snprintf(count, sizeof(count), "%d", n);
            cc_log(CC_LOG_INFO, "connections closed: no whole request within CC_HTTP_TIMEOUT_S",
                   "count", count, NULL);
        }
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

cc_status gw_deadline_start(struct gw_deadline **dp, int timeout_s, char *err, size_t errlen)
{
    struct gw_deadline *d = calloc(1, sizeof(*d));
    pthread_condattr_t ca;

    *dp = NULL;
    if (d == NULL)
        return CC_ERR_NOMEM;
    d->timeout_ms = (int64_t)timeout_s * 1000;
    pthread_mutex_init(&d->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&d->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&d->thread, NULL, run, d) != 0) {
        snprintf(err, errlen, "request deadlines: cannot start their thread");
        pthread_cond_destroy(&d->wake);
        pthread_mutex_destroy(&d->lock);
        free(d);
        return CC_ERR_IO;
    }
    *dp = d;
    return CC_OK;
}

void gw_deadline_stop(struct gw_deadline *d)
{
    if (d == NULL)
        return;
    pthread_mutex_lock(&d->lock);
    d->stopping = true;
    pthread_cond_signal(&d->wake);
    pthread_mutex_unlock(&d->lock);
    pthread_join(d->thread, NULL);
    /* MHD stopped first and said every connection closed: nothing is left */
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->lock);
    free(d);
}
