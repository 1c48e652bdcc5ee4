/* sip: the SIP thread (sofia-sip nta, su_root). See sip.h. */
#include "sip.h"
#include "cc_id.h"
#include "cc_log.h"
#include "cc_time.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <sofia-sip/auth_digest.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/msg_header.h>
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

/* An INVITE we sent to a staff phone (SIP thread only). Kept after its 2xx
 * for RING_LINGER_MS, so that a retransmitted 2xx is ACKed again. */
struct ring {
    char id[SIP_RING_ID_MAX];
    char call_id[128];
    struct sip *s;
    nta_leg_t *leg;
    nta_outgoing_t *orq;
    bool answered;     /* its first 2xx was handed over */
    /* a dial (sip_dial): progress handed over, credentials, what a retry
     * with credentials needs */
    bool dial, got180, got183, auth_tried;
    char *target, *sdp, *user, *ha1, *realm;
    int64_t done_ms;   /* when it got its 2xx (monotonic), 0 while ringing */
    struct ring *next;
};

#define RING_LINGER_MS 32000 /* 64*T1: how long a 2xx may be retransmitted */
#define RING_MAX 100000

enum action_kind { ACT_REPLY, ACT_BYE, ACT_STOP, ACT_RING, ACT_RING_CANCEL };
static void ring_free_dial(struct ring *g);

/* Work handed to the SIP thread: every string its own copy. */
struct action {
    enum action_kind kind;
    uint64_t txn;
    int status;
    char *phrase, *reason, *sdp, *www_auth, *warning;
    char *call_id, *local, *remote, *target, *route, *contact;
    char *ring_id, *from, *to; /* ACT_RING: sdp is the offer */
    bool dial;                 /* ACT_RING of sip_dial: */
    char *user, *ha1, *realm;
    uint32_t cseq;
    int64_t due_ms;            /* ACT_REPLY sent later: when (monotonic), else 0 */
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
    struct ring *rings;
    size_t nring;
    su_timer_t *sweep;
    su_timer_t *later;      /* the first of delayed is due */
    struct action *delayed; /* replies to send later, by due time (SIP thread) */
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
    free(r->to_user);
    for (int i = 0; i < r->ncontacts && i < SIP_CONTACTS_MAX; i++)
        free(r->contacts[i]);
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

/* Every Record-Route entry, in order (reverse: last first, the route set
 * of a dialog we started), joined by ", ". */
static char *route_text(su_home_t *home, const sip_record_route_t *rr, bool reverse)
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
        if (len > 0 && reverse) {
            memmove(out + n + 2, out, len);
            memcpy(out + n, ", ", 2);
            memcpy(out, t, n);
            len += n + 2;
        } else if (len > 0) {
            memcpy(out + len, ", ", 2);
            memcpy(out + len + 2, t, n);
            len += n + 2;
        } else {
            memcpy(out, t, n);
            len = n;
        }
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

/* A REGISTER's bindings: Expires, and each Contact with its expires
 * parameter ("Contact: *" sets contact_star). */
static void register_copy(struct sip *s, struct sip_req *r, const sip_t *sip)
{
    if (sip->sip_expires != NULL)
        r->expires = sip->sip_expires->ex_delta > 0x7fffffff ? 0x7fffffff
                                                              : (int)sip->sip_expires->ex_delta;
    for (const sip_contact_t *m = sip->sip_contact; m != NULL; m = m->m_next) {
        char *u;
        int i = r->ncontacts++;

        if (m->m_url->url_type == url_any) {
            r->contact_star = true;
            continue;
        }
        if (i >= SIP_CONTACTS_MAX)
            continue;
        u = url_as_string(s->home, m->m_url);
        r->contacts[i] = dup0(u);
        su_free(s->home, u);
        r->contact_expires[i] = -1;
        if (m->m_expires != NULL) {
            unsigned long v = strtoul(m->m_expires, NULL, 10);
            r->contact_expires[i] = v > 0x7fffffffUL ? 0x7fffffff : (int)v;
        }
    }
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
    r->route = route_text(s->home, sip->sip_record_route, false);
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
    r->expires = -1;
    r->to_user = dup0(sip->sip_to->a_url->url_user);
    if (kind == SIP_REQ_REGISTER)
        register_copy(s, r, sip);
    if (irq != NULL)
        source_of(r, irq);
    if (r->call_id == NULL || r->from == NULL || r->from_tag == NULL || r->from_user == NULL ||
        r->to == NULL || r->local_tag == NULL || r->ruri_user == NULL || r->contact == NULL ||
        r->route == NULL || r->auth == NULL || r->to_user == NULL) {
        sip_req_free(r);
        return NULL;
    }
    for (int i = 0; i < r->ncontacts && i < SIP_CONTACTS_MAX; i++)
        if (r->contacts[i] == NULL) {
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
    case sip_method_register:
        kind = SIP_REQ_REGISTER;
        break;
    default:
        return 405;
    }
    if (kind == SIP_REQ_INVITE) {
        nta_incoming_tag(irq, NULL); /* our To tag, the same in 180 and 200 */
        nta_incoming_treply(irq, SIP_100_TRYING, TAG_END());
    }
    id = txn_keep(s, irq, sip->sip_call_id->i_id, kind == SIP_REQ_INVITE || kind == SIP_REQ_REINVITE);
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
    free(a->contact);
    free(a->ring_id);
    free(a->from);
    free(a->to);
    free(a->user);
    free(a->ha1);
    free(a->realm);
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
        TAG_IF(a->status >= 200 && a->status < 300 && a->contact == NULL,
               SIPTAG_CONTACT(nta_agent_contact(s->agent))),
        TAG_IF(a->contact != NULL && a->contact[0] != '\0', SIPTAG_CONTACT_STR(a->contact)),
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

/* ---- rings: INVITEs to staff phones (SIP thread) ------------------------------------------ */

static struct ring *ring_find(struct sip *s, const char *id, struct ring ***prevp)
{
    for (struct ring **pp = &s->rings; *pp != NULL; pp = &(*pp)->next)
        if (strcmp((*pp)->id, id) == 0) {
            if (prevp != NULL)
                *prevp = pp;
            return *pp;
        }
    return NULL;
}

static void ring_drop(struct sip *s, struct ring *g)
{
    for (struct ring **pp = &s->rings; *pp != NULL; pp = &(*pp)->next)
        if (*pp == g) {
            *pp = g->next;
            break;
        }
    s->nring--;
    if (g->orq != NULL)
        nta_outgoing_destroy(g->orq);
    if (g->leg != NULL)
        nta_leg_destroy(g->leg);
    ring_free_dial(g);
    free(g);
}

static void ring_free_dial(struct ring *g)
{
    free(g->target);
    free(g->sdp);
    free(g->user);
    free(g->ha1);
    free(g->realm);
}

/* A request for the callback that is not from the network: every string "". */
static struct sip_req *req_blank(enum sip_req_kind kind)
{
    struct sip_req *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    r->kind = kind;
    r->expires = -1;
    r->call_id = dup0(""), r->from = dup0(""), r->from_tag = dup0(""), r->from_user = dup0("");
    r->to = dup0(""), r->local_tag = dup0(""), r->ruri_user = dup0(""), r->contact = dup0("");
    r->route = dup0(""), r->auth = dup0(""), r->to_user = dup0("");
    if (r->call_id == NULL || r->from == NULL || r->from_tag == NULL || r->from_user == NULL ||
        r->to == NULL || r->local_tag == NULL || r->ruri_user == NULL || r->contact == NULL ||
        r->route == NULL || r->auth == NULL || r->to_user == NULL) {
        sip_req_free(r);
        return NULL;
    }
    return r;
}

static void replace(char **field, char *v)
{
    free(*field);
    *field = v != NULL ? v : strdup("");
}

/* ACK of a 2xx to our INVITE (a request of its own, RFC 3261 13.2.2.4),
 * inside the dialog the 2xx made. */
static void ring_ack(struct sip *s, struct ring *g, const sip_t *sip)
{
    msg_t *msg = nta_msg_create(s->agent, 0);
    sip_t *ack = sip_object(msg);
    sip_cseq_t *cseq;
    nta_outgoing_t *o = NULL;

    if (msg == NULL)
        return;
    cseq = sip_cseq_create(msg_home(msg), nta_outgoing_cseq(g->orq), SIP_METHOD_ACK);
    if (cseq != NULL && sip_header_insert(msg, ack, (sip_header_t *)cseq) == 0 &&
        nta_msg_request_complete(msg, g->leg, SIP_METHOD_ACK, NULL) == 0)
        o = nta_outgoing_mcreate(s->agent, NULL, NULL, NULL, msg, TAG_END());
    if (o != NULL)
        nta_outgoing_destroy(o); /* nta keeps it to absorb retransmissions */
    else
        cc_log(CC_LOG_ERROR, "cannot ACK a staff phone's 2xx", "ring", g->id, NULL);
    (void)sip;
}

static int on_ring_response(nta_outgoing_magic_t *m, nta_outgoing_t *orq, const sip_t *sip);

/* The Authorization value answering challenge ac for a dial's INVITE with
 * its credentials, into out; false when it cannot be made. */
void sip_random_hex(char *out, size_t bytes)
{
    unsigned char raw[16];

    if (bytes > sizeof(raw) || RAND_bytes(raw, (int)bytes) != 1) {
        char id[CC_ID_LEN];
        cc_id_new(id); /* never expected; still unique enough for a tag */
        snprintf(out, 2 * bytes + 1, "%s", id + CC_ID_LEN - 1 - 2 * bytes);
        return;
    }
    for (size_t i = 0; i < bytes; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

static bool digest_answer(struct ring *g, const auth_challenge_t *ac, char *out, size_t cap)
{
    auth_response_t ar[1];
    auth_hexmd5_t response;
    char cnonce[17];
    int n;

    memset(ar, 0, sizeof(ar));
    ar->ar_size = sizeof(ar[0]);
    sip_random_hex(cnonce, 8);
    ar->ar_username = g->user;
    ar->ar_realm = ac->ac_realm;
    ar->ar_nonce = ac->ac_nonce;
    ar->ar_uri = g->target;
    ar->ar_algorithm = "MD5";
    ar->ar_md5 = 1;
    ar->ar_opaque = ac->ac_opaque;
    if (ac->ac_auth) {
        ar->ar_qop = "auth";
        ar->ar_auth = 1;
        ar->ar_cnonce = cnonce;
        ar->ar_nc = "00000001";
    }
    if (auth_digest_response(ar, response, g->ha1, "INVITE", NULL, 0) < 0)
        return false;
    n = snprintf(out, cap, "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
                 "response=\"%s\", algorithm=MD5%s%s%s%s%s%s",
                 g->user, ac->ac_realm, ac->ac_nonce, g->target, response,
                 ac->ac_opaque != NULL ? ", opaque=\"" : "",
                 ac->ac_opaque != NULL ? ac->ac_opaque : "", ac->ac_opaque != NULL ? "\"" : "",
                 ac->ac_auth ? ", qop=auth, nc=00000001, cnonce=\"" : "",
                 ac->ac_auth ? cnonce : "", ac->ac_auth ? "\"" : "");
    return n > 0 && (size_t)n < cap;
}

/* A dial's 401/407: the INVITE again, once, with credentials for the
 * challenge (its realm must be the trunk's). True when it went out. */
static bool dial_authenticate(struct sip *s, struct ring *g, const sip_t *sip, int status)
{
    su_home_t home[1] = {SU_HOME_INIT(home)};
    const msg_auth_t *ch = sip == NULL ? NULL
                           : status == 401 ? (const msg_auth_t *)sip->sip_www_authenticate
                                           : (const msg_auth_t *)sip->sip_proxy_authenticate;
    auth_challenge_t ac[1];
    char value[1024];
    nta_outgoing_t *orq = NULL;
    bool ok = false;

    memset(ac, 0, sizeof(ac));
    ac->ac_size = sizeof(ac[0]);
    if (g->auth_tried || g->user == NULL || g->user[0] == '\0' || ch == NULL ||
        ch->au_scheme == NULL || strcasecmp(ch->au_scheme, "Digest") != 0 ||
        auth_digest_challenge_get(home, ac, ch->au_params) < 0 || ac->ac_realm == NULL ||
        ac->ac_nonce == NULL || !ac->ac_md5 || strcmp(ac->ac_realm, g->realm) != 0 ||
        !digest_answer(g, ac, value, sizeof(value))) {
        if (!g->auth_tried)
            cc_log(CC_LOG_WARN, "carrier challenge not answered (no credentials, another realm "
                   "or algorithm)", "dial", g->id, NULL);
        goto out;
    }
    g->auth_tried = true;
    orq = nta_outgoing_tcreate(
        g->leg, on_ring_response, (nta_outgoing_magic_t *)g, NULL, SIP_METHOD_INVITE,
        (url_string_t *)g->target, SIPTAG_CONTACT(nta_agent_contact(s->agent)),
        TAG_IF(status == 401, SIPTAG_AUTHORIZATION_STR(value)),
        TAG_IF(status == 407, SIPTAG_PROXY_AUTHORIZATION_STR(value)),
        SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(g->sdp), TAG_END());
    if (orq != NULL) {
        nta_outgoing_destroy(g->orq);
        g->orq = orq;
        ok = true;
    }
out:
    su_home_deinit(home);
    return ok;
}

static int on_ring_response(nta_outgoing_magic_t *m, nta_outgoing_t *orq, const sip_t *sip)
{
    struct ring *g = (struct ring *)m;
    struct sip *s = g->s;
    int status = sip != NULL && sip->sip_status != NULL ? sip->sip_status->st_status
                                                        : nta_outgoing_status(orq);
    struct sip_req *r;

    if (g->dial && (status == 180 || status == 183)) {
        bool *seen = status == 180 ? &g->got180 : &g->got183;
        if (!*seen && (r = req_blank(SIP_REQ_RING_PROGRESS)) != NULL) {
            r->status = status;
            snprintf(r->ring, sizeof(r->ring), "%s", g->id);
            replace(&r->call_id, strdup(g->call_id));
            s->fn(s->arg, r);
        }
        *seen = true;
        return 0;
    }
    if (status < 200)
        return 0;
    if (g->dial && (status == 401 || status == 407) && dial_authenticate(s, g, sip, status))
        return 0;
    if (status >= 300) {
        r = req_blank(SIP_REQ_RING_FAILED);
        if (r != NULL) {
            r->status = status;
            snprintf(r->ring, sizeof(r->ring), "%s", g->id);
            replace(&r->call_id, strdup(g->call_id));
            s->fn(s->arg, r);
        }
        ring_drop(s, g);
        return 0;
    }
    if (sip == NULL || sip->sip_to == NULL || sip->sip_to->a_tag == NULL)
        return 0;
    if (!g->answered) {
        nta_leg_rtag(g->leg, sip->sip_to->a_tag);
        nta_leg_client_reroute(g->leg, sip->sip_record_route, sip->sip_contact, 1);
    }
    ring_ack(s, g, sip);
    if (g->answered)
        return 0; /* a retransmission: ACKed again */
    g->answered = true;
    g->done_ms = cc_mono_ms();
    r = req_blank(SIP_REQ_RING_OK);
    if (r == NULL)
        return 0;
    r->status = status;
    r->cseq = nta_outgoing_cseq(orq);
    snprintf(r->ring, sizeof(r->ring), "%s", g->id);
    replace(&r->call_id, strdup(sip->sip_call_id->i_id));
    replace(&r->to, header_text(s->home, sip->sip_to));
    if (sip->sip_contact != NULL) {
        char *c = url_as_string(s->home, sip->sip_contact->m_url);
        replace(&r->contact, dup0(c));
        su_free(s->home, c);
    }
    replace(&r->route, route_text(s->home, sip->sip_record_route, true));
    if (sip->sip_payload != NULL && sip->sip_payload->pl_len > 0 &&
        (r->body = malloc(sip->sip_payload->pl_len + 1)) != NULL) {
        memcpy(r->body, sip->sip_payload->pl_data, sip->sip_payload->pl_len);
        r->body[sip->sip_payload->pl_len] = '\0';
        r->body_len = sip->sip_payload->pl_len;
    }
    s->fn(s->arg, r);
    return 0;
}

static void do_ring(struct sip *s, struct action *a)
{
    struct ring *g;

    if (s->nring >= RING_MAX || ring_find(s, a->ring_id, NULL) != NULL ||
        (g = calloc(1, sizeof(*g))) == NULL) {
        cc_log(CC_LOG_WARN, "staff phone not rung", "ring", a->ring_id, NULL);
        return;
    }
    snprintf(g->id, sizeof(g->id), "%s", a->ring_id);
    snprintf(g->call_id, sizeof(g->call_id), "%s", a->call_id);
    g->s = s;
    if (a->dial) {
        g->dial = true;
        g->target = strdup(a->target);
        g->sdp = strdup(a->sdp);
        g->user = strdup(a->user != NULL ? a->user : "");
        g->ha1 = strdup(a->ha1 != NULL ? a->ha1 : "");
        g->realm = strdup(a->realm != NULL ? a->realm : "");
        if (g->target == NULL || g->sdp == NULL || g->user == NULL || g->ha1 == NULL ||
            g->realm == NULL) {
            ring_free_dial(g);
            free(g);
            return;
        }
    }
    g->leg = nta_leg_tcreate(s->agent, on_request, (nta_leg_magic_t *)s,
                             SIPTAG_CALL_ID_STR(a->call_id), SIPTAG_FROM_STR(a->from),
                             SIPTAG_TO_STR(a->to), TAG_END());
    if (g->leg != NULL)
        g->orq = nta_outgoing_tcreate(
            g->leg, on_ring_response, (nta_outgoing_magic_t *)g, NULL, SIP_METHOD_INVITE,
            (url_string_t *)a->target, SIPTAG_CONTACT(nta_agent_contact(s->agent)),
            SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(a->sdp), TAG_END());
    if (g->orq == NULL) {
        struct sip_req *r = req_blank(SIP_REQ_RING_FAILED);
        cc_log(CC_LOG_ERROR, "cannot send INVITE to a staff phone", "ring", a->ring_id,
               "target", a->target, NULL);
        if (g->leg != NULL)
            nta_leg_destroy(g->leg);
        ring_free_dial(g);
        free(g);
        if (r != NULL) {
            r->status = 500;
            snprintf(r->ring, sizeof(r->ring), "%s", a->ring_id);
            replace(&r->call_id, strdup(a->call_id));
            s->fn(s->arg, r);
        }
        return;
    }
    g->next = s->rings;
    s->rings = g;
    s->nring++;
}

static void do_ring_cancel(struct sip *s, struct action *a)
{
    struct ring *g = ring_find(s, a->ring_id, NULL);

    if (g != NULL && !g->answered && nta_outgoing_status(g->orq) < 200)
        nta_outgoing_cancel(g->orq); /* the 487 comes to on_ring_response */
}

/* Forgets answered rings once their 2xx can no longer be retransmitted. */
static void on_sweep(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
    struct sip *s = (struct sip *)arg;
    int64_t now = cc_mono_ms();
    struct ring *g, *next;

    (void)m;
    (void)t;
    for (g = s->rings; g != NULL; g = next) {
        next = g->next;
        if (g->done_ms != 0 && now - g->done_ms > RING_LINGER_MS)
            ring_drop(s, g);
    }
}

static void on_later(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg);

/* (Re)arms the timer for the first delayed reply. */
static void arm_later(struct sip *s)
{
    int64_t wait;

    if (s->later == NULL || s->delayed == NULL)
        return;
    wait = s->delayed->due_ms - cc_mono_ms();
    su_timer_set_at(s->later, on_later, (su_timer_arg_t *)s,
                    su_time_add(su_now(), (su_duration_t)(wait > 0 ? wait : 0)));
}

/* Keeps a reply for later (in due order). */
static void delay_reply(struct sip *s, struct action *a)
{
    struct action **p = &s->delayed;

    while (*p != NULL && (*p)->due_ms <= a->due_ms)
        p = &(*p)->next;
    a->next = *p;
    *p = a;
    arm_later(s);
}

static void on_later(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
    struct sip *s = (struct sip *)arg;
    int64_t now = cc_mono_ms();

    (void)m;
    (void)t;
    while (s->delayed != NULL && s->delayed->due_ms <= now) {
        struct action *a = s->delayed;
        s->delayed = a->next;
        do_reply(s, a);
        action_free(a);
    }
    arm_later(s);
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
        if (list->kind == ACT_REPLY && list->due_ms != 0 && s->later != NULL) {
            delay_reply(s, list);
            continue; /* kept, not freed */
        }
        if (list->kind == ACT_REPLY)
            do_reply(s, list);
        else if (list->kind == ACT_BYE)
            do_bye(s, list);
        else if (list->kind == ACT_RING)
            do_ring(s, list);
        else if (list->kind == ACT_RING_CANCEL)
            do_ring_cancel(s, list);
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
    a->due_ms = r->delay_ms > 0 ? cc_mono_ms() + r->delay_ms : 0;
    a->phrase = dup_or_null(r->phrase);
    a->reason = dup_or_null(r->reason);
    a->sdp = dup_or_null(r->sdp);
    a->www_auth = dup_or_null(r->www_auth);
    a->warning = dup_or_null(r->warning);
    a->contact = dup_or_null(r->contact);
    post(s, a);
}

void sip_reply_status(struct sip *s, uint64_t txn, int status, const char *warning)
{
    sip_reply(s, txn, &(struct sip_reply){.status = status, .warning = warning});
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

void sip_ring(struct sip *s, const struct sip_ring *r)
{
    struct action *a = calloc(1, sizeof(*a));

    if (a == NULL)
        return;
    a->kind = ACT_RING;
    a->ring_id = dup0(r->id);
    a->call_id = dup0(r->call_id);
    a->from = dup0(r->from);
    a->to = dup0(r->to);
    a->target = dup0(r->target);
    a->sdp = dup0(r->sdp);
    if (a->ring_id == NULL || a->call_id == NULL || a->from == NULL || a->to == NULL ||
        a->target == NULL || a->sdp == NULL) {
        action_free(a);
        return;
    }
    post(s, a);
}

void sip_dial(struct sip *s, const struct sip_dial *d)
{
    struct action *a = calloc(1, sizeof(*a));
    const struct sip_ring *r = &d->ring;

    if (a == NULL)
        return;
    a->kind = ACT_RING;
    a->dial = true;
    a->ring_id = dup0(r->id);
    a->call_id = dup0(r->call_id);
    a->from = dup0(r->from);
    a->to = dup0(r->to);
    a->target = dup0(r->target);
    a->sdp = dup0(r->sdp);
    a->user = dup0(d->user);
    a->ha1 = dup0(d->ha1);
    a->realm = dup0(d->realm);
    if (a->ring_id == NULL || a->call_id == NULL || a->from == NULL || a->to == NULL ||
        a->target == NULL || a->sdp == NULL || a->user == NULL || a->ha1 == NULL ||
        a->realm == NULL) {
        action_free(a);
        return;
    }
    post(s, a);
}

void sip_ring_cancel(struct sip *s, const char *id)
{
    struct action *a = calloc(1, sizeof(*a));

    if (a == NULL)
        return;
    a->kind = ACT_RING_CANCEL;
    a->ring_id = dup0(id);
    if (a->ring_id == NULL) {
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
    s->sweep = su_timer_create(su_root_task(s->root), 1000);
    if (s->sweep != NULL)
        su_timer_set_interval(s->sweep, on_sweep, (su_timer_arg_t *)s, 1000);
    s->later = su_timer_create(su_root_task(s->root), 0);
    atomic_store(&s->ready, true);
    started(s, 1);
    su_root_run(s->root);
    atomic_store(&s->ready, false);
out:
    while (s->txns != NULL)
        txn_drop(s, s->txns->id);
    while (s->rings != NULL)
        ring_drop(s, s->rings);
    if (s->sweep != NULL)
        su_timer_destroy(s->sweep);
    if (s->later != NULL)
        su_timer_destroy(s->later);
    while (s->delayed != NULL) { /* dropped with their transactions */
        struct action *a = s->delayed;
        s->delayed = a->next;
        action_free(a);
    }
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
