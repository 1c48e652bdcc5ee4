/* sip: the SIP thread (sofia-sip nta, su_root). See sip.h. */
#include "sip.h"
#include "cc_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/url.h>

#define TXN_MAX 100000 /* open server transactions handed out at most */

/* A server transaction waiting for sip_reply(): SIP thread only. */
struct txn {
    uint64_t id;
    nta_incoming_t *irq;
    char *call_id;
    struct sip *s;
    struct txn *next;
};

enum action_kind { ACT_REPLY, ACT_BYE, ACT_STOP };

/* Work handed to the SIP thread: every string its own copy. */
struct action {
    enum action_kind kind;
    uint64_t txn;
    int status;
    char *phrase, *reason, *sdp, *www_auth, *warning;
    char *call_id, *local, *remote, *target, *route;
    uint32_t cseq;
    struct action *next;
};

struct sip {
    const struct cc_config *cfg;
    sip_req_fn fn;
    void *arg;
    pthread_t thread;
    int efd;
    atomic_bool ready;
    bool joined; /* sip_stop has run (owner thread only) */

    /* the hand-over queue: any thread appends, the SIP thread drains */
    pthread_mutex_t mu;
    struct action *head, **tail;

    /* start-up: the thread reports whether it listens */
    pthread_mutex_t start_mu;
    pthread_cond_t start_cv;
    int started; /* 0 waiting, 1 listening, -1 failed */
    char err[256];

    /* SIP thread only */
    su_home_t home[1];
    su_root_t *root;
    nta_agent_t *agent;
    nta_leg_t *leg;
    su_wait_t wait[1];
    int wait_index; /* of the eventfd in su_root, 0: not registered */
    struct txn *txns;
    size_t ntxn;
    uint64_t next_id;
};

/* ---- copies out of sofia's message -------------------------------------------------- */

void sip_req_free(struct sip_req *r)
{
    if (r == NULL)
        return;
    free(r->call_id);
    free(r->from);
    free(r->from_tag);
    free(r->from_user);
    free(r->to);
    free(r->local_tag);
    free(r->ruri_user);
    free(r->contact);
    free(r->route);
    free(r->auth);
    free(r->body);
    free(r);
}

static char *dup0(const char *s)
{
    return strdup(s != NULL ? s : "");
}

/* A header as text (without its name), malloc'd; "" when absent. */
static char *header_text(su_home_t *home, const void *h)
{
    char *t, *out;

    if (h == NULL)
        return strdup("");
    t = sip_header_as_string(home, (const sip_header_t *)h);
    out = dup0(t);
    su_free(home, t);
    return out;
}

/* Every Record-Route entry, in order, joined by ", ". */
static char *route_text(su_home_t *home, const sip_record_route_t *rr)
{
    size_t cap = 1, len = 0;
    char *out = NULL;

    for (const sip_record_route_t *r = rr; r != NULL; r = r->r_next) {
        sip_record_route_t one = *r;
        char *t;
        size_t n;

        one.r_next = NULL;
        t = sip_header_as_string(home, (const sip_header_t *)&one);
        if (t == NULL)
            continue;
        n = strlen(t);
        {
            char *grown = realloc(out, cap + n + 2);
            if (grown == NULL) {
                su_free(home, t);
                break;
            }
            out = grown;
        }
        if (len > 0) {
            memcpy(out + len, ", ", 2);
            len += 2;
        }
        memcpy(out + len, t, n);
        len += n;
        cap = len + 1;
        out[len] = '\0';
        su_free(home, t);
    }
    return out != NULL ? out : strdup("");
}

static void source_of(struct sip_req *r, nta_incoming_t *irq)
{
    msg_t *msg = nta_incoming_getrequest(irq);
    su_addrinfo_t *ai = msg != NULL ? msg_addrinfo(msg) : NULL;

    r->src_ip[0] = '\0';
    if (ai != NULL && ai->ai_addr != NULL) {
        su_sockaddr_t *sa = (su_sockaddr_t *)ai->ai_addr;
        su_inet_ntop(sa->su_family, SU_ADDR(sa), r->src_ip, sizeof(r->src_ip));
        r->src_port = ntohs(sa->su_port);
    }
    msg_destroy(msg);
}

static struct sip_req *req_copy(struct sip *s, enum sip_req_kind kind, nta_incoming_t *irq,
                                const sip_t *sip)
{
    struct sip_req *r = calloc(1, sizeof(*r));
    const url_t *ru = sip->sip_request->rq_url;
    const sip_authorization_t *au = sip->sip_authorization;

    if (r == NULL)
        return NULL;
    r->kind = kind;
    r->call_id = dup0(sip->sip_call_id->i_id);
    r->from = header_text(s->home, sip->sip_from);
    r->from_tag = dup0(sip->sip_from->a_tag);
    r->from_user = dup0(sip->sip_from->a_url->url_user);
    r->to = header_text(s->home, sip->sip_to);
    r->local_tag = dup0(kind == SIP_REQ_INVITE ? nta_incoming_gettag(irq) : sip->sip_to->a_tag);
    r->ruri_user = dup0(ru->url_user != NULL ? ru->url_user
                        : ru->url_type == url_tel ? ru->url_host
                                                  : NULL);
    r->contact = sip->sip_contact != NULL ? url_as_string(s->home, sip->sip_contact->m_url) : NULL;
    if (r->contact != NULL) {
        char *c = strdup(r->contact);
        su_free(s->home, r->contact);
        r->contact = c;
    } else {
        r->contact = strdup("");
    }
    r->route = route_text(s->home, sip->sip_record_route);
    if (au == NULL)
        au = sip->sip_proxy_authorization;
    r->auth = header_text(s->home, au);
    if (sip->sip_payload != NULL && sip->sip_payload->pl_len > 0) {
        r->body = malloc(sip->sip_payload->pl_len + 1);
        if (r->body != NULL) {
            memcpy(r->body, sip->sip_payload->pl_data, sip->sip_payload->pl_len);
            r->body[sip->sip_payload->pl_len] = '\0';
            r->body_len = sip->sip_payload->pl_len;
        }
    }
    r->cseq = sip->sip_cseq->cs_seq;
    if (irq != NULL)
        source_of(r, irq);
    if (r->call_id == NULL || r->from == NULL || r->from_tag == NULL || r->from_user == NULL ||
        r->to == NULL || r->local_tag == NULL || r->ruri_user == NULL || r->contact == NULL ||
        r->route == NULL || r->auth == NULL) {
        sip_req_free(r);
        return NULL;
    }
    return r;
}

/* ---- server transactions (SIP thread) ------------------------------------------------ */

static struct txn *txn_find(struct sip *s, uint64_t id, struct txn ***prevp)
{
    struct txn **pp = &s->txns;
    for (; *pp != NULL; pp = &(*pp)->next)
        if ((*pp)->id == id) {
            if (prevp != NULL)
                *prevp = pp;
            return *pp;
        }
    return NULL;
}

static void txn_drop(struct sip *s, uint64_t id)
{
    struct txn **pp = NULL;
    struct txn *t = txn_find(s, id, &pp);

    if (t == NULL)
        return;
    *pp = t->next;
    s->ntxn--;
    nta_incoming_destroy(t->irq);
    free(t->call_id);
    free(t);
}

/* CANCEL of a pending INVITE: nta has answered it 200 and the INVITE 487;
 * the call must still end (the enquiry cancelled, the media leg released). */
void sip_reply(struct sip *s, uint64_t txn, const struct sip_reply *r);

static int on_cancel(nta_incoming_magic_t *m, nta_incoming_t *irq, const sip_t *sip)
{
    struct txn *t = (struct txn *)m;
    struct sip *s = t->s;
    struct sip_req *r;

    (void)irq;
    if (sip == NULL || sip->sip_request == NULL ||
        sip->sip_request->rq_method != sip_method_cancel)
        return 0; /* the ACK of our final answer, or a timeout */
    r = calloc(1, sizeof(*r));
    if (r != NULL) {
        r->kind = SIP_REQ_CANCEL;
        r->call_id = dup0(t->call_id);
        r->from = dup0(""), r->from_tag = dup0(""), r->from_user = dup0(""), r->to = dup0("");
        r->local_tag = dup0(""), r->ruri_user = dup0(""), r->contact = dup0("");
        r->route = dup0(""), r->auth = dup0("");
        s->fn(s->arg, r);
    }
    /* forget the transaction once nta has sent the 487 (right after we
     * return): a reply to an answered transaction only drops it */
    sip_reply(s, t->id, &(struct sip_reply){.status = 487});
    return 0;
}

/* Keeps irq for a later sip_reply(); its handle, or 0 when too many are open. */
static uint64_t txn_keep(struct sip *s, nta_incoming_t *irq, const char *call_id, bool invite)
{
    struct txn *t;

    if (s->ntxn >= TXN_MAX || (t = calloc(1, sizeof(*t))) == NULL)
        return 0;
    t->id = ++s->next_id;
    t->irq = irq;
    t->s = s;
    t->call_id = strdup(call_id);
    if (t->call_id == NULL) {
        free(t);
        return 0;
    }
    t->next = s->txns;
    s->txns = t;
    s->ntxn++;
    if (invite)
        nta_incoming_bind(irq, on_cancel, (nta_incoming_magic_t *)t);
    return t->id;
}

/* Every request that no dialog leg of ours matches (we keep dialogs in
 * Redis, not in nta) arrives here. */
static int on_request(nta_leg_magic_t *m, nta_leg_t *leg, nta_incoming_t *irq, const sip_t *sip)
{
    struct sip *s = (struct sip *)m;
    enum sip_req_kind kind;
    struct sip_req *r;
    uint64_t id;

    (void)leg;
    switch (sip->sip_request->rq_method) {
    case sip_method_options:
        return 200;
    case sip_method_ack:
        return 200; /* no reply is ever sent to an ACK; this ends its transaction */
    case sip_method_invite:
        kind = sip->sip_to->a_tag != NULL ? SIP_REQ_REINVITE : SIP_REQ_INVITE;
        break;
    case sip_method_bye:
        if (sip->sip_to->a_tag == NULL)
            return 481;
        kind = SIP_REQ_BYE;
        break;
    default:
        return 405;
    }
    if (kind == SIP_REQ_INVITE) {
        nta_incoming_tag(irq, NULL); /* our To tag, the same in 180 and 200 */
        nta_incoming_treply(irq, SIP_100_TRYING, TAG_END());
    }
    id = txn_keep(s, irq, sip->sip_call_id->i_id, kind != SIP_REQ_BYE);
    if (id == 0)
        return 503;
    r = req_copy(s, kind, irq, sip);
    if (r == NULL) {
        struct txn **pp = NULL;
        struct txn *t = txn_find(s, id, &pp);
        *pp = t->next;
        s->ntxn--;
        free(t->call_id);
        free(t);
        return 500;
    }
    r->txn = id;
    s->fn(s->arg, r);
    return 0;
}

/* ---- actions from other threads (SIP thread) -------------------------------------------- */

static void action_free(struct action *a)
{
    free(a->phrase);
    free(a->reason);
    free(a->sdp);
    free(a->www_auth);
    free(a->warning);
    free(a->call_id);
    free(a->local);
    free(a->remote);
    free(a->target);
    free(a->route);
    free(a);
}

static void do_reply(struct sip *s, struct action *a)
{
    struct txn *t = txn_find(s, a->txn, NULL);
    char warning[300];

    if (t == NULL || nta_incoming_status(t->irq) >= 200) {
        if (t != NULL)
            txn_drop(s, a->txn); /* cancelled meanwhile: 487 went out */
        return;
    }
    if (a->warning != NULL)
        snprintf(warning, sizeof(warning), "399 cc-ingress \"%.200s\"", a->warning);
    nta_incoming_treply(
        t->irq, a->status, a->phrase != NULL ? a->phrase : sip_status_phrase(a->status),
        TAG_IF(a->status >= 200 && a->status < 300, SIPTAG_CONTACT(nta_agent_contact(s->agent))),
        TAG_IF(a->reason != NULL, SIPTAG_REASON_STR(a->reason)),
        TAG_IF(a->www_auth != NULL, SIPTAG_WWW_AUTHENTICATE_STR(a->www_auth)),
        TAG_IF(a->warning != NULL, SIPTAG_WARNING_STR(warning)),
        TAG_IF(a->sdp != NULL, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
        TAG_IF(a->sdp != NULL, SIPTAG_PAYLOAD_STR(a->sdp)), TAG_END());
    if (a->status >= 200)
        txn_drop(s, a->txn);
}

static int on_bye_response(nta_outgoing_magic_t *m, nta_outgoing_t *orq, const sip_t *sip)
{
    nta_leg_t *leg = (nta_leg_t *)m;
    int status = sip != NULL && sip->sip_status != NULL ? sip->sip_status->st_status
                                                        : nta_outgoing_status(orq);
    char st[16];

    if (status < 200)
        return 0;
    snprintf(st, sizeof(st), "%d", status);
    cc_log(status < 300 ? CC_LOG_DEBUG : CC_LOG_WARN, "BYE answered", "status", st, NULL);
    nta_outgoing_destroy(orq);
    nta_leg_destroy(leg);
    return 0;
}

static void do_bye(struct sip *s, struct action *a)
{
    su_home_t home[1] = {SU_HOME_INIT(home)};
    sip_contact_t *target = sip_contact_make(home, a->target);
    sip_route_t *route = a->route[0] != '\0' ? sip_route_make(home, a->route) : NULL;
    char cseq[16];
    nta_leg_t *leg;
    nta_outgoing_t *orq = NULL;

    snprintf(cseq, sizeof(cseq), "%u", a->cseq);
    leg = nta_leg_tcreate(s->agent, NULL, NULL, SIPTAG_CALL_ID_STR(a->call_id),
                          SIPTAG_FROM_STR(a->local), SIPTAG_TO_STR(a->remote),
                          TAG_IF(route != NULL, SIPTAG_ROUTE(route)),
                          TAG_IF(target != NULL, NTATAG_TARGET(target)), SIPTAG_CSEQ_STR(cseq),
                          TAG_END());
    if (leg != NULL)
        orq = nta_outgoing_tcreate(leg, on_bye_response, (nta_outgoing_magic_t *)leg, NULL,
                                   SIP_METHOD_BYE, NULL, TAG_END());
    if (orq == NULL) {
        cc_log(CC_LOG_ERROR, "cannot send BYE", "call_id", a->call_id, "target", a->target, NULL);
        nta_leg_destroy(leg);
    }
    su_home_deinit(home);
}

static int on_wake(su_root_magic_t *m, su_wait_t *w, su_wakeup_arg_t *arg)
{
    struct sip *s = (struct sip *)arg;
    struct action *list, *next;
    uint64_t n;

    (void)m;
    (void)w;
    if (read(s->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        cc_log(CC_LOG_WARN, "SIP wake-up read failed", "error", strerror(errno), NULL);
    pthread_mutex_lock(&s->mu);
    list = s->head;
    s->head = NULL;
    s->tail = &s->head;
    pthread_mutex_unlock(&s->mu);
    for (; list != NULL; list = next) {
        next = list->next;
        if (list->kind == ACT_REPLY)
            do_reply(s, list);
        else if (list->kind == ACT_BYE)
            do_bye(s, list);
        else
            su_root_break(s->root);
        action_free(list);
    }
    return 0;
}

static void post(struct sip *s, struct action *a)
{
    uint64_t one = 1;

    pthread_mutex_lock(&s->mu);
    *s->tail = a;
    s->tail = &a->next;
    pthread_mutex_unlock(&s->mu);
    if (write(s->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        cc_log(CC_LOG_WARN, "SIP wake-up write failed", "error", strerror(errno), NULL);
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

void sip_reply(struct sip *s, uint64_t txn, const struct sip_reply *r)
{
    struct action *a = calloc(1, sizeof(*a));

    if (a == NULL)
        return;
    a->kind = ACT_REPLY;
    a->txn = txn;
    a->status = r->status;
    a->phrase = dup_or_null(r->phrase);
    a->reason = dup_or_null(r->reason);
    a->sdp = dup_or_null(r->sdp);
    a->www_auth = dup_or_null(r->www_auth);
    a->warning = dup_or_null(r->warning);
    post(s, a);
}

void sip_send_bye(struct sip *s, const struct sip_dialog *d)
{
    struct action *a = calloc(1, sizeof(*a));

    if (a == NULL)
        return;
    a->kind = ACT_BYE;
    a->call_id = dup0(d->call_id);
    a->local = dup0(d->local);
    a->remote = dup0(d->remote);
    a->target = dup0(d->target);
    a->route = dup0(d->route);
    a->cseq = d->cseq;
    if (a->call_id == NULL || a->local == NULL || a->remote == NULL || a->target == NULL ||
        a->route == NULL) {
        action_free(a);
        return;
    }
    post(s, a);
}

/* ---- the thread ------------------------------------------------------------------------- */

static void started(struct sip *s, int state)
{
    pthread_mutex_lock(&s->start_mu);
    s->started = state;
    pthread_cond_signal(&s->start_cv);
    pthread_mutex_unlock(&s->start_mu);
}

static void *run(void *arg)
{
    struct sip *s = arg;
    char url[160];
    bool v6 = strchr(s->cfg->sip_addr, ':') != NULL;

    su_init();
    su_home_init(s->home);
    s->root = su_root_create(s);
    snprintf(url, sizeof(url), "sip:%s%s%s:%d", v6 ? "[" : "", s->cfg->sip_addr, v6 ? "]" : "",
             s->cfg->sip_port);
    if (s->root != NULL)
        s->agent = nta_agent_create(s->root, (const url_string_t *)url, NULL, NULL, NTATAG_UA(1),
                                    NTATAG_MAXSIZE(SIP_MSG_MAX), NTATAG_CANCEL_487(1),
                                    NTATAG_SERVER_RPORT(1), TAG_END());
    if (s->agent != NULL)
        s->leg = nta_leg_tcreate(s->agent, on_request, (nta_leg_magic_t *)s, NTATAG_NO_DIALOG(1),
                                 TAG_END());
    if (s->leg != NULL && su_wait_create(s->wait, s->efd, SU_WAIT_IN) == 0)
        s->wait_index = su_root_register(s->root, s->wait, on_wake, (su_wakeup_arg_t *)s, 0);
    if (s->leg == NULL || s->wait_index <= 0) {
        snprintf(s->err, sizeof(s->err), "cannot listen for SIP on %s (UDP and TCP): %s", url,
                 strerror(errno));
        started(s, -1);
        goto out;
    }
    atomic_store(&s->ready, true);
    started(s, 1);
    su_root_run(s->root);
    atomic_store(&s->ready, false);
out:
    while (s->txns != NULL)
        txn_drop(s, s->txns->id);
    if (s->leg != NULL)
        nta_leg_destroy(s->leg);
    if (s->agent != NULL)
        nta_agent_destroy(s->agent);
    if (s->wait_index > 0)
        su_root_deregister(s->root, s->wait_index);
    if (s->root != NULL)
        su_root_destroy(s->root);
    su_home_deinit(s->home);
    su_deinit();
    return NULL;
}

cc_status sip_start(struct sip **sp, const struct cc_config *cfg, sip_req_fn fn, void *arg,
                    char *err, size_t errlen)
{
    struct sip *s = calloc(1, sizeof(*s));

    *sp = NULL;
    if (s == NULL)
        return CC_ERR_NOMEM;
    s->cfg = cfg;
    s->fn = fn;
    s->arg = arg;
    s->tail = &s->head;
    atomic_init(&s->ready, false);
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->start_mu, NULL);
    pthread_cond_init(&s->start_cv, NULL);
    s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->efd < 0 || pthread_create(&s->thread, NULL, run, s) != 0) {
        snprintf(err, errlen, "cannot start the SIP thread: %s", strerror(errno));
        if (s->efd >= 0)
            close(s->efd);
        free(s);
        return CC_ERR_IO;
    }
    pthread_mutex_lock(&s->start_mu);
    while (s->started == 0)
        pthread_cond_wait(&s->start_cv, &s->start_mu);
    pthread_mutex_unlock(&s->start_mu);
    if (s->started < 0) {
        snprintf(err, errlen, "%s", s->err);
        pthread_join(s->thread, NULL);
        sip_free(s);
        return CC_ERR_IO;
    }
    *sp = s;
    return CC_OK;
}

void sip_stop(struct sip *s)
{
    struct action *a;

    if (s == NULL || s->efd < 0 || s->joined)
        return;
    a = calloc(1, sizeof(*a));
    if (a == NULL)
        return;
    a->kind = ACT_STOP;
    post(s, a);
    pthread_join(s->thread, NULL);
    s->joined = true;
}

void sip_free(struct sip *s)
{
    struct action *a, *next;

    if (s == NULL)
        return;
    for (a = s->head; a != NULL; a = next) {
        next = a->next;
        action_free(a);
    }
    if (s->efd >= 0)
        close(s->efd);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->start_mu);
    pthread_cond_destroy(&s->start_cv);
    free(s);
}

bool sip_ready(struct sip *s)
{
    return s != NULL && atomic_load(&s->ready);
}
