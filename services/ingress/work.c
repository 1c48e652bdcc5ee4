/* work: worker threads, a call always on the same one. See work.h. */
#include "work.h"
#include "calls.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct item {
    struct sip_req *r;
    struct item *next;
};

struct worker {
    struct work *w;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct item *head, **tail;
    size_t n;
    bool stop;
    bool started;
};

struct work {
    struct ingress *in;
    int n;
    struct worker *wk;
};

static void *run(void *arg)
{
    struct worker *k = arg;

    for (;;) {
        struct item *it;

        pthread_mutex_lock(&k->mu);
        while (k->head == NULL && !k->stop)
            pthread_cond_wait(&k->cv, &k->mu);
        it = k->head;
        if (it != NULL) {
            k->head = it->next;
            if (k->head == NULL)
                k->tail = &k->head;
            k->n--;
        }
        pthread_mutex_unlock(&k->mu);
        if (it == NULL)
            break; /* stopping, and nothing left */
        calls_on_request(k->w->in, it->r);
        sip_req_free(it->r);
        free(it);
    }
    return NULL;
}

cc_status work_start(struct work **wp, struct ingress *in, int n)
{
    struct work *w = calloc(1, sizeof(*w));

    *wp = NULL;
    if (w == NULL || (w->wk = calloc((size_t)n, sizeof(*w->wk))) == NULL) {
        free(w);
        return CC_ERR_NOMEM;
    }
    w->in = in;
    w->n = n;
    for (int i = 0; i < n; i++) {
        struct worker *k = &w->wk[i];
        k->w = w;
        k->tail = &k->head;
        pthread_mutex_init(&k->mu, NULL);
        pthread_cond_init(&k->cv, NULL);
        if (pthread_create(&k->thread, NULL, run, k) != 0) {
            work_stop(w);
            work_free(w);
            return CC_ERR_IO;
        }
        k->started = true;
    }
    *wp = w;
    return CC_OK;
}

/* FNV-1a of the Call-ID: which worker. */
static unsigned hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

bool work_post(struct work *w, struct sip_req *r)
{
    struct worker *k = &w->wk[hash(r->call_id) % (unsigned)w->n];
    struct item *it = malloc(sizeof(*it));
    bool ok = false;

    if (it == NULL)
        return false;
    it->r = r;
    it->next = NULL;
    pthread_mutex_lock(&k->mu);
    if (k->n < WORK_QUEUE_MAX && !k->stop) {
        *k->tail = it;
        k->tail = &it->next;
        k->n++;
        ok = true;
        pthread_cond_signal(&k->cv);
    }
    pthread_mutex_unlock(&k->mu);
    if (!ok)
        free(it);
    return ok;
}

void work_stop(struct work *w)
{
    if (w == NULL)
        return;
    for (int i = 0; i < w->n; i++) {
        struct worker *k = &w->wk[i];
        pthread_mutex_lock(&k->mu);
        k->stop = true;
        pthread_cond_signal(&k->cv);
        pthread_mutex_unlock(&k->mu);
    }
    for (int i = 0; i < w->n; i++)
        if (w->wk[i].started) {
            pthread_join(w->wk[i].thread, NULL);
            w->wk[i].started = false;
        }
}

void work_free(struct work *w)
{
    if (w == NULL)
        return;
    for (int i = 0; i < w->n; i++) {
        struct worker *k = &w->wk[i];
        struct item *it, *next;
        for (it = k->head; it != NULL; it = next) {
            next = it->next;
            sip_req_free(it->r);
            free(it);
        }
        pthread_mutex_destroy(&k->mu);
        pthread_cond_destroy(&k->cv);
    }
    free(w->wk);
    free(w);
}
