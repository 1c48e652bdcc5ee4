/* enquiry: handlers and deadline timer of the queue service. See enquiry.h. */
#include "enquiry.h"
#include "cc_events.h"
#include "cc_id.h"
#include "cc_log.h"
#include "cc_time.h"
#include "scripts.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIMER_EVERY_MS 100
#define EXPIRE_BATCH "100"
#define CALLER_MAX 200

enum {
    S_CREATE,
    S_ANSWER,
    S_EXPIRE,
    S_END,
    S_PENDING,
    S_RECONCILE,
    S_FOLLOWUPS,
    S_CHAT,
    S_TRANSFER,
    S_XCANCEL,
    S_CLOSE,
    S_COUNT
};

struct enquiries {
    struct cc_bus *bus;
    struct cc_redis *redis;
    const struct cc_config *cfg;
    int script[S_COUNT];
    pthread_t timer;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping; /* guarded by lock */
    bool started;
};

/* ---- conversions --------------------------------------------------------- */

static Cc__EnquiryState state_of(const char *s)
{
    static const struct {
        const char *name;
        Cc__EnquiryState st;
    } t[] = {
        {"pending", CC__ENQUIRY_STATE__ENQUIRY_STATE_PENDING},
        {"active", CC__ENQUIRY_STATE__ENQUIRY_STATE_ACTIVE},
        {"missed", CC__ENQUIRY_STATE__ENQUIRY_STATE_MISSED},
        {"blocked", CC__ENQUIRY_STATE__ENQUIRY_STATE_BLOCKED},
        {"voicemail", CC__ENQUIRY_STATE__ENQUIRY_STATE_VOICEMAIL},
        {"ended", CC__ENQUIRY_STATE__ENQUIRY_STATE_ENDED},
        {"closed", CC__ENQUIRY_STATE__ENQUIRY_STATE_CLOSED},
        {"cancelled", CC__ENQUIRY_STATE__ENQUIRY_STATE_CANCELLED},
    };
    for (size_t i = 0; s != NULL && i < sizeof(t) / sizeof(t[0]); i++)
        if (strcmp(s, t[i].name) == 0)
            return t[i].st;
    return CC__ENQUIRY_STATE__ENQUIRY_STATE_UNSPECIFIED;
}

/* The transfer history: the hash field "transfers", a JSON array written by
 * the Lua scripts (an empty one may come back as {}). Strings are copied;
 * enquiry_clear() frees them. */
static void transfers_from(Cc__Enquiry *e, const char *text, size_t len)
{
    json_t *j = json_loadb(text, len, 0, NULL);
    size_t n = json_is_array(j) ? json_array_size(j) : 0;
    Cc__Transfer *t = n > 0 ? calloc(n, sizeof(*t)) : NULL;
    Cc__Transfer **p = n > 0 ? calloc(n, sizeof(*p)) : NULL;

    if (t == NULL || p == NULL) {
        free(t);
        free(p);
        json_decref(j);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(j, i), *at = json_object_get(o, "at_ms");
        const char *s;
        cc__transfer__init(&t[i]);
#define STR(f) ((s = json_string_value(json_object_get(o, f))) != NULL ? strdup(s) : strdup(""))
        t[i].from_staff_id = STR("from_staff_id");
        t[i].to_staff_id = STR("to_staff_id");
        t[i].to_group_id = STR("to_group_id");
        t[i].outcome = STR("outcome");
        t[i].accepted_by = STR("accepted_by");
#undef STR
        t[i].consult = json_is_true(json_object_get(o, "consult"));
        t[i].at_ms = json_is_string(at) ? atoll(json_string_value(at)) : json_integer_value(at);
        p[i] = &t[i];
    }
    e->transfers = p;
    e->n_transfers = n;
    json_decref(j);
}

static void enquiry_clear(Cc__Enquiry *e)
{
    if (e->n_transfers == 0)
        return;
    for (size_t i = 0; i < e->n_transfers; i++) {
        Cc__Transfer *t = e->transfers[i];
        free(t->from_staff_id);
        free(t->to_staff_id);
        free(t->to_group_id);
        free(t->outcome);
        free(t->accepted_by);
    }
    free(e->transfers[0]); /* the one array of them all */
    free(e->transfers);
    e->transfers = NULL;
    e->n_transfers = 0;
}

/* Fills e from the flat key/value list kv[0..n) (strings borrowed, except the
 * transfer history: enquiry_clear() after use). */
static void enquiry_from(Cc__Enquiry *e, redisReply **kv, size_t n)
{
    cc__enquiry__init(e);
    for (size_t i = 0; i + 1 < n; i += 2) {
        const char *k = kv[i]->str;
        char *v = kv[i + 1]->str;
        if (k == NULL || v == NULL)
            continue;
        if (strcmp(k, "id") == 0)
            e->id = v;
        else if (strcmp(k, "kind") == 0)
            e->kind = strcmp(v, "chat") == 0 ? CC__ENQUIRY_KIND__ENQUIRY_KIND_CHAT
                                             : CC__ENQUIRY_KIND__ENQUIRY_KIND_CALL;
        else if (strcmp(k, "mode") == 0)
            e->mode = strcmp(v, "direct") == 0 ? CC__ROUTE_MODE__ROUTE_MODE_DIRECT
                                               : CC__ROUTE_MODE__ROUTE_MODE_BROADCAST;
        else if (strcmp(k, "state") == 0)
            e->state = state_of(v);
        else if (strcmp(k, "channel_id") == 0)
            e->channel_id = v;
        else if (strcmp(k, "group_id") == 0)
            e->group_id = v;
        else if (strcmp(k, "staff_id") == 0)
            e->staff_id = v;
        else if (strcmp(k, "caller") == 0)
            e->caller = v;
        else if (strcmp(k, "created_ms") == 0)
            e->created_at_ms = atoll(v);
        else if (strcmp(k, "deadline_ms") == 0)
            e->deadline_ms = atoll(v);
        else if (strcmp(k, "answered_by") == 0)
            e->answered_by = v;
        else if (strcmp(k, "answered_ms") == 0)
            e->answered_at_ms = atoll(v);
        else if (strcmp(k, "ended_ms") == 0)
            e->ended_at_ms = atoll(v);
        else if (strcmp(k, "end_reason") == 0)
            e->end_reason = v;
        else if (strcmp(k, "closed_ms") == 0)
            e->closed_at_ms = atoll(v);
        else if (strcmp(k, "room_id") == 0)
            e->room_id = v;
        else if (strcmp(k, "transfers") == 0 && e->n_transfers == 0)
            transfers_from(e, v, kv[i + 1]->len);
    }
}

/* HGETALL of the enquiry; NULL when Redis is down. */
static redisReply *load(struct enquiries *q, const char *id)
{
    char key[80];
    const char *argv[2] = {"HGETALL", key};
    snprintf(key, sizeof(key), "cc:enq:%s", id);
    return cc_redis_command(q->redis, 2, argv, NULL);
}

static void publish(struct enquiries *q, const char *type, Cc__Enquiry *e, const char *staff_id,
                    const char *reason)
{
    Cc__Event ev = CC__EVENT__INIT;
    char id[CC_ID_LEN];

    ev.type = (char *)type;
    ev.body_case = CC__EVENT__BODY_ENQUIRY;
    ev.enquiry = e;
    ev.staff_id = (char *)(staff_id != NULL ? staff_id : "");
    ev.reason = (char *)(reason != NULL ? reason : "");
    if (cc_events_publish(q->bus, q->cfg, &ev, id) != CC_OK)
        cc_log(CC_LOG_WARN, "enquiry event not published", "type", type, "enquiry_id", e->id, NULL);
}

/* Publishes type for the enquiry as it is now in Redis. */
static void publish_current(struct enquiries *q, const char *type, const char *id,
                            const char *staff_id, const char *reason)
{
    redisReply *h = load(q, id);
    Cc__Enquiry e = CC__ENQUIRY__INIT;

    if (h == NULL || h->type != REDIS_REPLY_ARRAY || h->elements == 0) {
        freeReplyObject(h);
        return;
    }
    enquiry_from(&e, h->element, h->elements);
    publish(q, type, &e, staff_id, reason);
    enquiry_clear(&e);
    freeReplyObject(h);
}

static void sha256_hex(char out[65], const char *s)
{
    unsigned char md[32];
    unsigned n = 0;
    EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
    for (unsigned i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
}

static void set_error(Cc__Error *err, cc_status st, const char *message, const char *field)
{
    err->code = (char *)cc_status_str(st);
    err->message = (char *)message;
    err->field = (char *)(field != NULL ? field : "");
}

/* Redis did not answer (or answered nonsense): the caller may retry. */
static void unavailable(Cc__Error *err)
{
    set_error(err, CC_ERR_UNAVAILABLE, "the queue is not available, try again", NULL);
}

static bool valid_kind(Cc__EnquiryKind k)
{
    return k == CC__ENQUIRY_KIND__ENQUIRY_KIND_CALL || k == CC__ENQUIRY_KIND__ENQUIRY_KIND_CHAT;
}

static bool valid_ref(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
              s[i] == '_'))
            return false;
    return true;
}

/* ---- offers follow availability (R8.1, R8.2) ------------------------------- */

static void fresh_cutoff(const struct enquiries *q, char now[24], char cutoff[24])
{
    int64_t t = cc_wall_ms();
    snprintf(now, 24, "%lld", (long long)t);
    snprintf(cutoff, 24, "%lld", (long long)(t - (int64_t)q->cfg->heartbeat_timeout_s * 1000));
}

/* Offers sid what they can now receive and withdraws what they cannot. */
static void reconcile(struct enquiries *q, const char *sid)
{
    char now[24], cutoff[24];
    const char *argv[3] = {sid, now, cutoff};
    redisReply *r;

    fresh_cutoff(q, now, cutoff);
    r = cc_redis_script_call(q->redis, q->script[S_RECONCILE], 0, 3, argv, NULL);
    if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements >= 1) {
        size_t offered = (size_t)r->element[0]->integer;
        for (size_t i = 1; i < r->elements; i++) {
            bool offer = i <= offered;
            cc_log(CC_LOG_DEBUG, offer ? "enquiry offered" : "enquiry withdrawn", "enquiry_id",
                   r->element[i]->str, "staff_id", sid, NULL);
            publish_current(q, offer ? "enquiry.offered" : "enquiry.withdrawn", r->element[i]->str,
                            sid, offer ? "staff_available" : "staff_unavailable");
        }
    }
    freeReplyObject(r);
}

/* presence.changed: the staff member may now receive more, or less. */
static void on_presence(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                        void *arg)
{
    Cc__Event *ev = (Cc__Event *)pb;
    (void)bus;
    (void)m;
    if (ev->staff_id != NULL && ev->staff_id[0] != '\0')
        reconcile(arg, ev->staff_id);
}

/* ---- create --------------------------------------------------------------- */

static void on_create(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                      void *arg)
{
    struct enquiries *q = arg;
    Cc__CreateEnquiryRequest *req = (Cc__CreateEnquiryRequest *)pb;
    Cc__CreateEnquiryReply rep = CC__CREATE_ENQUIRY_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;
    Cc__Enquiry e = CC__ENQUIRY__INIT;
    char id[CC_ID_LEN], token[67] = "v-", token_hash[65], now[24], cutoff[24], ttl[16];
    unsigned char raw[32];
    redisReply *r = NULL, *h = NULL;
    int64_t t = cc_wall_ms();

    if (!valid_ref(req->channel_id)) {
        set_error(&err, CC_ERR_INVALID, "channel_id is required", "channel_id");
        goto reply;
    }
    if (!valid_kind(req->kind)) {
        set_error(&err, CC_ERR_INVALID, "kind must be \"call\" or \"chat\"", "kind");
        goto reply;
    }
    if (strlen(req->caller) > CALLER_MAX) {
        set_error(&err, CC_ERR_INVALID, "caller is longer than 200 bytes", "caller");
        goto reply;
    }
    cc_id_new(id);
    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        set_error(&err, CC_ERR_IO, "no randomness", NULL);
        goto reply;
    }
    /* "v-" marks a visitor token, so the edge never mistakes it for staff */
    for (size_t i = 0; i < sizeof(raw); i++)
        sprintf(token + 2 + 2 * i, "%02x", raw[i]);
    sha256_hex(token_hash, token);
    snprintf(now, sizeof(now), "%lld", (long long)t);
    snprintf(cutoff, sizeof(cutoff), "%lld",
             (long long)(t - (int64_t)q->cfg->heartbeat_timeout_s * 1000));
    snprintf(ttl, sizeof(ttl), "%d", q->cfg->enquiry_ttl_s);
    {
        const char *argv[8] = {id,
                               req->kind == CC__ENQUIRY_KIND__ENQUIRY_KIND_CHAT ? "chat" : "call",
                               req->channel_id,
                               req->caller,
                               now,
                               cutoff,
                               token_hash,
                               ttl};
        r = cc_redis_script_call(q->redis, q->script[S_CREATE], 0, 8, argv, NULL);
    }
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 1) {
        unavailable(&err);
        goto reply;
    }
    if (strcmp(r->element[0]->str, "no_channel") == 0) {
        set_error(&err, CC_ERR_NOT_FOUND, "no such channel", "channel_id");
        goto reply;
    }
    h = load(q, id);
    if (h == NULL || h->type != REDIS_REPLY_ARRAY) {
        unavailable(&err);
        goto reply;
    }
    enquiry_from(&e, h->element, h->elements);
    rep.enquiry = &e;
    rep.visitor_token = token;
    rep.n_offered_to = r->elements - 3;
    rep.offered_to = calloc(rep.n_offered_to + 1, sizeof(char *));
    for (size_t i = 0; rep.offered_to != NULL && i < rep.n_offered_to; i++)
        rep.offered_to[i] = r->element[3 + i]->str;
    if (rep.offered_to == NULL)
        rep.n_offered_to = 0;

    publish(q, "enquiry.created", &e, NULL, NULL);
    if (e.state == CC__ENQUIRY_STATE__ENQUIRY_STATE_PENDING) {
        for (size_t i = 0; i < rep.n_offered_to; i++)
            publish(q, "enquiry.offered", &e, rep.offered_to[i], NULL);
    } else {
        publish(q,
                e.state == CC__ENQUIRY_STATE__ENQUIRY_STATE_VOICEMAIL ? "enquiry.voicemail"
                                                                      : "enquiry.blocked",
                &e, NULL, "no_staff_available");
    }
reply:
    if (err.code != NULL && err.code[0] != '\0')
        rep.error = &err;
    cc_bus_reply(bus, m, &rep.base);
    free(rep.offered_to);
    enquiry_clear(&e);
    freeReplyObject(h);
    freeReplyObject(r);
}

/* ---- answer --------------------------------------------------------------- */

static void on_answer(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                      void *arg)
{
    struct enquiries *q = arg;
    Cc__AnswerRequest *req = (Cc__AnswerRequest *)pb;
    Cc__AnswerReply rep = CC__ANSWER_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;
    Cc__Enquiry e = CC__ENQUIRY__INIT;
    char room[CC_ID_LEN], now[24];
    redisReply *r = NULL, *h = NULL;
    const char *result;

    if (!cc_id_valid(req->enquiry_id, strlen(req->enquiry_id)) || req->staff_id[0] == '\0') {
        set_error(&err, CC_ERR_NOT_FOUND, "no such enquiry", NULL);
        goto reply;
    }
    cc_id_new(room);
    snprintf(now, sizeof(now), "%lld", (long long)cc_wall_ms());
    {
        const char *argv[4] = {req->enquiry_id, req->staff_id, now, room};
        r = cc_redis_script_call(q->redis, q->script[S_ANSWER], 0, 4, argv, NULL);
    }
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 1) {
        unavailable(&err);
        goto reply;
    }
    result = r->element[0]->str;
    if (strcmp(result, "not_found") == 0) {
        set_error(&err, CC_ERR_NOT_FOUND, "no such enquiry", NULL);
    } else if (strcmp(result, "not_offered") == 0) {
        set_error(&err, CC_ERR_DENIED, "this enquiry was not offered to you", NULL);
    } else if (strcmp(result, "taken") == 0) {
        set_error(&err, CC_ERR_CONFLICT,
                  r->elements > 1 && r->element[1]->str[0] != '\0'
                      ? "answered by another staff member"
                      : "the enquiry is no longer pending",
                  NULL);
    } else if (r->elements >= 3) {
        /* {"won", transfer mode or "", its sender or "", offered...} */
        const char *xfer = r->element[1]->str, *from = r->element[2]->str;
        h = load(q, req->enquiry_id);
        if (h != NULL && h->type == REDIS_REPLY_ARRAY) {
            enquiry_from(&e, h->element, h->elements);
            rep.enquiry = &e;
            rep.won = true;
            publish(q, "enquiry.answered", &e, req->staff_id, xfer[0] != '\0' ? "transfer" : NULL);
            for (size_t i = 3; i < r->elements; i++)
                if (strcmp(r->element[i]->str, req->staff_id) != 0)
                    publish(q, "enquiry.withdrawn", &e, r->element[i]->str, "answered_by_other");
            /* the sender's notice: their transfer was taken */
            if (xfer[0] != '\0')
                publish(q, "enquiry.transferred", &e, from, xfer);
            cc_log(CC_LOG_INFO, "enquiry answered", "enquiry_id", e.id, "staff_id", req->staff_id,
                   "transfer", xfer, NULL);
        }
        /* a call: the winner may no longer receive other calls; a consult
         * sender is free for them (chats are offered whatever the activity) */
        if (e.kind == CC__ENQUIRY_KIND__ENQUIRY_KIND_CALL) {
            reconcile(q, req->staff_id);
            if (strcmp(xfer, "consult") == 0)
                reconcile(q, from);
        }
    }
reply:
    if (err.code != NULL && err.code[0] != '\0')
        rep.error = &err;
    cc_bus_reply(bus, m, &rep.base);
    enquiry_clear(&e);
    freeReplyObject(h);
    freeReplyObject(r);
}

/* ---- pending panel ---------------------------------------------------------- */

static void on_pending(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                       void *arg)
{
    struct enquiries *q = arg;
    Cc__PendingRequest *req = (Cc__PendingRequest *)pb;
    Cc__PendingReply rep = CC__PENDING_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;
    const char *argv[1] = {req->staff_id};
    redisReply *r = cc_redis_script_call(q->redis, q->script[S_PENDING], 0, 1, argv, NULL);
    Cc__PendingItem *items = NULL, **ptrs = NULL;
    Cc__Enquiry *enqs = NULL;
    int64_t now = cc_wall_ms();
    size_t n = 0;

    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
        unavailable(&err);
        rep.error = &err;
        goto reply;
    }
    /* count the entries: each is a length then that many strings */
    for (size_t i = 0; i < r->elements; i += 1 + (size_t)r->element[i]->integer)
        n++;
    items = calloc(n + 1, sizeof(*items));
    ptrs = calloc(n + 1, sizeof(*ptrs));
    enqs = calloc(n + 1, sizeof(*enqs));
    if (items == NULL || ptrs == NULL || enqs == NULL) {
        set_error(&err, CC_ERR_NOMEM, "out of memory", NULL);
        rep.error = &err;
        goto reply;
    }
    n = 0;
    for (size_t i = 0; i < r->elements; i += 1 + (size_t)r->element[i]->integer) {
        size_t len = (size_t)r->element[i]->integer;
        Cc__PendingItem *it = &items[n];
        cc__pending_item__init(it);
        enquiry_from(&enqs[n], &r->element[i + 1], len);
        it->enquiry = &enqs[n];
        for (size_t k = 0; k + 1 < len; k += 2)
            if (strcmp(r->element[i + 1 + k]->str, "channel_name") == 0)
                it->channel_name = r->element[i + 2 + k]->str;
        it->seconds_left = (int32_t)((enqs[n].deadline_ms - now + 999) / 1000);
        if (it->seconds_left < 0)
            it->seconds_left = 0;
        ptrs[n++] = it;
    }
    rep.items = ptrs;
    rep.n_items = n;
reply:
    cc_bus_reply(bus, m, &rep.base);
    for (size_t i = 0; i < rep.n_items; i++)
        enquiry_clear(&enqs[i]);
    free(items);
    free(ptrs);
    free(enqs);
    freeReplyObject(r);
}

/* ---- get / end ---------------------------------------------------------------- */

/* The enquiry's hash, or NULL with err set: not found (also for a malformed
 * id), or unavailable when Redis did not answer. */
static redisReply *load_existing(struct enquiries *q, const char *id, Cc__Error *err)
{
    redisReply *h;

    if (!cc_id_valid(id, strlen(id))) {
        set_error(err, CC_ERR_NOT_FOUND, "no such enquiry", NULL);
        return NULL;
    }
    h = load(q, id);
    if (h == NULL) {
        unavailable(err);
        return NULL;
    }
    if (h->type != REDIS_REPLY_ARRAY || h->elements == 0) {
        freeReplyObject(h);
        set_error(err, CC_ERR_NOT_FOUND, "no such enquiry", NULL);
        return NULL;
    }
    return h;
}

/* Reads the enquiry again after a change, into *h and *e (what they held is
 * freed); false with err set when Redis did not answer. */
static bool reload(struct enquiries *q, const char *id, redisReply **h, Cc__Enquiry *e,
                   Cc__Error *err)
{
    enquiry_clear(e);
    cc__enquiry__init(e);
    freeReplyObject(*h);
    *h = load(q, id);
    if (*h == NULL || (*h)->type != REDIS_REPLY_ARRAY || (*h)->elements == 0) {
        unavailable(err);
        return false;
    }
    enquiry_from(e, (*h)->element, (*h)->elements);
    return true;
}

/* May actor see (and act on) the enquiry held in h? */
static bool allowed(struct enquiries *q, const Cc__EnquiryActor *a, const char *id, redisReply *h,
                    const Cc__Enquiry *e)
{
    if (a == NULL)
        return false;
    if (a->visitor_token != NULL && a->visitor_token[0] != '\0') {
        char want[65];
        sha256_hex(want, a->visitor_token);
        for (size_t i = 0; i + 1 < h->elements; i += 2)
            if (strcmp(h->element[i]->str, "visitor") == 0)
                return strcmp(h->element[i + 1]->str, want) == 0;
        return false;
    }
    if (a->staff_id == NULL || a->staff_id[0] == '\0')
        return false;
    if (e->answered_by != NULL && strcmp(e->answered_by, a->staff_id) == 0)
        return true;
    {
        char key[96];
        const char *argv[3] = {"SISMEMBER", key, a->staff_id};
        redisReply *r;
        bool yes;
        snprintf(key, sizeof(key), "cc:enq:%s:offered", id);
        r = cc_redis_command(q->redis, 3, argv, NULL);
        yes = r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
        freeReplyObject(r);
        return yes;
    }
}

enum op { OP_GET, OP_END, OP_CLOSE };

/* Closes the enquiry; false with err set when it cannot be. */
static bool close_enquiry(struct enquiries *q, Cc__EnquiryRequest *req, Cc__Error *err)
{
    char now[24];
    const char *argv[3] = {req->enquiry_id, req->actor->staff_id, now};
    redisReply *r;
    bool ok = false;

    snprintf(now, sizeof(now), "%lld", (long long)cc_wall_ms());
    r = cc_redis_script_call(q->redis, q->script[S_CLOSE], 0, 3, argv, NULL);
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 1)
        unavailable(err);
    else if (strcmp(r->element[0]->str, "not_yours") == 0)
        set_error(err, CC_ERR_DENIED, "only the staff member who handled it closes it", NULL);
    else if (strcmp(r->element[0]->str, "not_ended") == 0)
        set_error(err, CC_ERR_CONFLICT,
                  r->elements > 1 && strcmp(r->element[1]->str, "closed") == 0
                      ? "the enquiry is already closed"
                      : "only an ended enquiry is closed",
                  NULL);
    else if (strcmp(r->element[0]->str, "closed") == 0)
        ok = true;
    else
        set_error(err, CC_ERR_NOT_FOUND, "no such enquiry", NULL);
    /* a follow-up cut short: the next call can come now */
    if (ok && r->elements > 1 && strcmp(r->element[1]->str, "1") == 0)
        reconcile(q, req->actor->staff_id);
    freeReplyObject(r);
    return ok;
}

static void on_enquiry_op(struct enquiries *q, const struct cc_bus_msg *m, Cc__EnquiryRequest *req,
                          enum op op)
{
    Cc__EnquiryReply rep = CC__ENQUIRY_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;
    Cc__Enquiry e = CC__ENQUIRY__INIT;
    redisReply *h = NULL, *r = NULL, *ch = NULL;

    if ((h = load_existing(q, req->enquiry_id, &err)) == NULL)
        goto reply;
    enquiry_from(&e, h->element, h->elements);
    if (!allowed(q, req->actor, req->enquiry_id, h, &e)) {
        set_error(&err, CC_ERR_DENIED, "this enquiry is not yours", NULL);
        goto reply;
    }
    if (op == OP_CLOSE) {
        if (req->actor->staff_id[0] == '\0') {
            set_error(&err, CC_ERR_DENIED, "only the staff member who handled it closes it", NULL);
            goto reply;
        }
        if (!close_enquiry(q, req, &err) || !reload(q, req->enquiry_id, &h, &e, &err))
            goto reply;
        publish(q, "enquiry.closed", &e, e.answered_by, NULL);
    }
    if (op == OP_END) {
        char now[24], follow[24], actor[96];
        const char *argv[4] = {req->enquiry_id, actor, now, follow};
        bool visitor = req->actor->visitor_token != NULL && req->actor->visitor_token[0] != '\0';
        snprintf(actor, sizeof(actor), visitor ? "visitor" : "staff:%s", req->actor->staff_id);
        snprintf(now, sizeof(now), "%lld", (long long)cc_wall_ms());
        snprintf(follow, sizeof(follow), "%lld", (long long)q->cfg->followup_s * 1000);
        r = cc_redis_script_call(q->redis, q->script[S_END], 0, 4, argv, NULL);
        if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 1) {
            unavailable(&err);
            goto reply;
        }
        if (strcmp(r->element[0]->str, "not_yours") == 0) {
            set_error(&err, CC_ERR_DENIED, "only the staff member who answered ends it", NULL);
            goto reply;
        }
        if (strcmp(r->element[0]->str, "already") == 0) {
            set_error(&err, CC_ERR_CONFLICT, "the enquiry has already ended", NULL);
            goto reply;
        }
        if (!reload(q, req->enquiry_id, &h, &e, &err))
            goto reply;
        /* {"cancelled"|"ended", answered_by or "", staff whose panel it leaves...} */
        publish(
            q, strcmp(r->element[0]->str, "cancelled") == 0 ? "enquiry.cancelled" : "enquiry.ended",
            &e, e.answered_by, e.end_reason);
        for (size_t i = 2; i < r->elements; i++)
            publish(q, "enquiry.withdrawn", &e, r->element[i]->str, e.end_reason);
        /* without follow-up, the staff member can take the next call now */
        if (e.kind == CC__ENQUIRY_KIND__ENQUIRY_KIND_CALL && r->elements > 1 &&
            r->element[1]->str[0] != '\0')
            reconcile(q, r->element[1]->str);
    }
    rep.enquiry = &e;
    {
        char key[96];
        const char *argv[5] = {"HMGET", key, "name", "custom_info", NULL};
        snprintf(key, sizeof(key), "cc:dir:channel:%s", e.channel_id);
        ch = cc_redis_command(q->redis, 4, argv, NULL);
        if (ch != NULL && ch->type == REDIS_REPLY_ARRAY && ch->elements == 2) {
            if (ch->element[0]->str != NULL)
                rep.channel_name = ch->element[0]->str;
            if (ch->element[1]->str != NULL && ch->element[1]->len > 0)
                rep.custom_info = cc__custom_info__unpack(NULL, ch->element[1]->len,
                                                          (const uint8_t *)ch->element[1]->str);
        }
    }
reply:
    if (err.code != NULL && err.code[0] != '\0')
        rep.error = &err;
    cc_bus_reply(q->bus, m, &rep.base);
    enquiry_clear(&e);
    if (rep.custom_info != NULL)
        cc__custom_info__free_unpacked(rep.custom_info, NULL);
    freeReplyObject(ch);
    freeReplyObject(r);
    freeReplyObject(h);
}

static void on_get(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb, void *arg)
{
    (void)bus;
    on_enquiry_op(arg, m, (Cc__EnquiryRequest *)pb, OP_GET);
}

static void on_end(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb, void *arg)
{
    (void)bus;
    on_enquiry_op(arg, m, (Cc__EnquiryRequest *)pb, OP_END);
}

static void on_close(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                     void *arg)
{
    (void)bus;
    on_enquiry_op(arg, m, (Cc__EnquiryRequest *)pb, OP_CLOSE);
}

/* ---- chat in the enquiry room (R2.2) ------------------------------------------- */

#define CHAT_TEXT_MAX 4000

static void list_chat(struct enquiries *q, const char *id, Cc__ChatReply *rep, redisReply **keep)
{
    char key[96];
    const char *argv[4] = {"LRANGE", key, "0", "-1"};
    redisReply *r;

    snprintf(key, sizeof(key), "cc:enq:%s:chat", id);
    r = cc_redis_command(q->redis, 4, argv, NULL);
    *keep = r;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY)
        return;
    rep->messages = calloc(r->elements + 1, sizeof(*rep->messages));
    for (size_t i = 0; rep->messages != NULL && i < r->elements; i++) {
        Cc__ChatMessage *m =
            cc__chat_message__unpack(NULL, r->element[i]->len, (const uint8_t *)r->element[i]->str);
        if (m != NULL)
            rep->messages[rep->n_messages++] = m;
    }
}

static void on_chat(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb, void *arg)
{
    struct enquiries *q = arg;
    Cc__ChatRequest *req = (Cc__ChatRequest *)pb;
    Cc__ChatReply rep = CC__CHAT_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;
    Cc__ChatMessage msg = CC__CHAT_MESSAGE__INIT, *one = &msg;
    Cc__Enquiry e = CC__ENQUIRY__INIT;
    redisReply *h = NULL, *r = NULL, *list = NULL;
    char id[CC_ID_LEN], author[96], ttl[16];
    bool visitor = req->actor != NULL && req->actor->visitor_token[0] != '\0';
    (void)bus;

    if ((h = load_existing(q, req->enquiry_id, &err)) == NULL)
        goto reply;
    enquiry_from(&e, h->element, h->elements);
    /* the room is the visitor's and the answering staff member's */
    if (!allowed(q, req->actor, req->enquiry_id, h, &e) ||
        (!visitor && (e.answered_by == NULL || strcmp(e.answered_by, req->actor->staff_id) != 0))) {
        set_error(&err, CC_ERR_DENIED, "this enquiry room is not yours", NULL);
        goto reply;
    }
    if (req->text[0] == '\0') {
        list_chat(q, req->enquiry_id, &rep, &list);
        if (list == NULL || list->type != REDIS_REPLY_ARRAY)
            unavailable(&err);
        goto reply;
    }
    if (strlen(req->text) > CHAT_TEXT_MAX) {
        set_error(&err, CC_ERR_INVALID, "text is longer than 4000 bytes", "text");
        goto reply;
    }
    cc_id_new(id);
    snprintf(author, sizeof(author), visitor ? "visitor" : "staff:%s",
             visitor ? "" : req->actor->staff_id);
    msg.id = id;
    msg.enquiry_id = req->enquiry_id;
    msg.author = author;
    msg.text = req->text;
    msg.ts_ms = cc_wall_ms();
    snprintf(ttl, sizeof(ttl), "%d", q->cfg->enquiry_ttl_s);
    {
        size_t n = cc__chat_message__get_packed_size(&msg);
        uint8_t *buf = malloc(n ? n : 1);
        const char *argv[3] = {req->enquiry_id, (const char *)buf, ttl};
        size_t lens[3] = {strlen(req->enquiry_id), n, strlen(ttl)};
        if (buf == NULL) {
            set_error(&err, CC_ERR_NOMEM, "out of memory", NULL);
            goto reply;
        }
        cc__chat_message__pack(&msg, buf);
        r = cc_redis_script_call(q->redis, q->script[S_CHAT], 0, 3, argv, lens);
        free(buf);
    }
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 1) {
        unavailable(&err);
    } else if (strcmp(r->element[0]->str, "closed") == 0) {
        set_error(&err, CC_ERR_CONFLICT, "the enquiry room is not open", NULL);
    } else if (strcmp(r->element[0]->str, "ok") == 0) {
        Cc__Event ev = CC__EVENT__INIT;
        char evid[CC_ID_LEN];
        ev.type = "enquiry.message";
        ev.body_case = CC__EVENT__BODY_ENQUIRY;
        ev.enquiry = &e;
        ev.staff_id = e.answered_by;
        ev.message = &msg;
        if (cc_events_publish(q->bus, q->cfg, &ev, evid) != CC_OK)
            cc_log(CC_LOG_WARN, "chat event not published", "enquiry_id", e.id, NULL);
        rep.messages = &one;
        rep.n_messages = 1;
    } else {
        set_error(&err, CC_ERR_NOT_FOUND, "no such enquiry", NULL);
    }
reply:
    if (err.code != NULL && err.code[0] != '\0')
        rep.error = &err;
    cc_bus_reply(q->bus, m, &rep.base);
    enquiry_clear(&e);
    if (list != NULL) {
        for (size_t i = 0; i < rep.n_messages; i++)
            cc__chat_message__free_unpacked(rep.messages[i], NULL);
        free(rep.messages);
    }
    freeReplyObject(list);
    freeReplyObject(r);
    freeReplyObject(h);
}

/* ---- transfer (R14) -------------------------------------------------------------- */

static void publish_returned(struct enquiries *q, const char *id, redisReply **el, size_t n,
                             const char *reason);

static void on_transfer(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                        void *arg)
{
    static const struct {
        const char *result;
        cc_status st;
        const char *message;
        const char *field;
    } errors[] = {
        {"not_found", CC_ERR_NOT_FOUND, "no such enquiry", NULL},
        {"not_yours", CC_ERR_DENIED, "only the staff member handling the enquiry transfers it",
         NULL},
        {"not_active", CC_ERR_CONFLICT, "the enquiry is not in progress", NULL},
        {"in_progress", CC_ERR_CONFLICT, "a transfer of this enquiry is already waiting", NULL},
        {"no_transfer", CC_ERR_CONFLICT, "no consult transfer of this enquiry is waiting", NULL},
        {"no_group", CC_ERR_NOT_FOUND, "no such group", "to_group_id"},
        {"no_staff", CC_ERR_NOT_FOUND, "no such staff member", "to_staff_id"},
        {"self", CC_ERR_INVALID, "a transfer goes to someone else", "to_staff_id"},
    };
    struct enquiries *q = arg;
    Cc__TransferRequest *req = (Cc__TransferRequest *)pb;
    Cc__EnquiryReply rep = CC__ENQUIRY_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;
    Cc__Enquiry e = CC__ENQUIRY__INIT;
    char now[24], cutoff[24], ttl[16];
    bool group = req->to_group_id[0] != '\0';
    bool consult = req->mode == CC__TRANSFER_MODE__TRANSFER_MODE_CONSULT;
    redisReply *r = NULL, *h = NULL;
    const char *result;
    (void)bus;

    if (!cc_id_valid(req->enquiry_id, strlen(req->enquiry_id)) || req->staff_id[0] == '\0') {
        set_error(&err, CC_ERR_NOT_FOUND, "no such enquiry", NULL);
        goto reply;
    }
    fresh_cutoff(q, now, cutoff);
    if (req->cancel) {
        const char *argv[4] = {req->enquiry_id, req->staff_id, now, cutoff};
        r = cc_redis_script_call(q->redis, q->script[S_XCANCEL], 0, 4, argv, NULL);
    } else {
        const char *argv[8] = {req->enquiry_id, req->staff_id, req->to_staff_id,
                               req->to_group_id, consult ? "consult" : "blind", now,
                               cutoff,           ttl};
        if (group == (req->to_staff_id[0] != '\0')) {
            set_error(&err, CC_ERR_INVALID, "name exactly one of to_staff_id and to_group_id",
                      group ? "to_staff_id" : "to_group_id");
            goto reply;
        }
        if (!valid_ref(group ? req->to_group_id : req->to_staff_id)) {
            set_error(&err, CC_ERR_NOT_FOUND, group ? "no such group" : "no such staff member",
                      group ? "to_group_id" : "to_staff_id");
            goto reply;
        }
        if (req->mode != CC__TRANSFER_MODE__TRANSFER_MODE_BLIND && !consult) {
            set_error(&err, CC_ERR_INVALID, "mode must be \"blind\" or \"consult\"", "mode");
            goto reply;
        }
        snprintf(ttl, sizeof(ttl), "%d", q->cfg->enquiry_ttl_s);
        r = cc_redis_script_call(q->redis, q->script[S_TRANSFER], 0, 8, argv, NULL);
    }
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 1) {
        unavailable(&err);
        goto reply;
    }
    result = r->element[0]->str;
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
        if (strcmp(result, errors[i].result) == 0) {
            set_error(&err, errors[i].st, errors[i].message, errors[i].field);
            goto reply;
        }
    if (strcmp(result, "nobody") == 0) {
        set_error(&err, CC_ERR_CONFLICT,
                  group ? "nobody of that group can take it now" : "that staff member cannot take it now",
                  group ? "to_group_id" : "to_staff_id");
        goto reply;
    }
    if (strcmp(result, "returned") == 0)
        publish_returned(q, req->enquiry_id, &r->element[1], r->elements - 1, "cancelled");
    if (!reload(q, req->enquiry_id, &h, &e, &err))
        goto reply;
    if (strcmp(result, "ok") == 0) {
        publish(q, "enquiry.transfer", &e, req->staff_id, consult ? "consult" : "blind");
        for (size_t i = 1; i < r->elements; i++)
            publish(q, "enquiry.offered", &e, r->element[i]->str, "transfer");
        cc_log(CC_LOG_INFO, "enquiry transfer", "enquiry_id", e.id, "staff_id", req->staff_id,
               "mode", consult ? "consult" : "blind", NULL);
        /* blind: the sender is free for calls at once */
        if (!consult && e.kind == CC__ENQUIRY_KIND__ENQUIRY_KIND_CALL)
            reconcile(q, req->staff_id);
    }
    rep.enquiry = &e;
reply:
    if (err.code != NULL && err.code[0] != '\0')
        rep.error = &err;
    cc_bus_reply(q->bus, m, &rep.base);
    enquiry_clear(&e);
    freeReplyObject(h);
    freeReplyObject(r);
}

/* ---- deadlines ------------------------------------------------------------------ */

/* A transfer went back to its sender (the reply of LUA_XFER_RETURN in
 * el[0..n): sender, "1" if offered to them again, withdrawn staff...). */
static void publish_returned(struct enquiries *q, const char *id, redisReply **el, size_t n,
                             const char *reason)
{
    redisReply *h;
    Cc__Enquiry e = CC__ENQUIRY__INIT;

    if (n < 2 || (h = load(q, id)) == NULL)
        return;
    if (h->type == REDIS_REPLY_ARRAY && h->elements > 0) {
        enquiry_from(&e, h->element, h->elements);
        for (size_t i = 2; i < n; i++)
            publish(q, "enquiry.withdrawn", &e, el[i]->str,
                    strcmp(reason, "cancelled") == 0 ? "transfer_cancelled" : "transfer_not_answered");
        publish(q, "enquiry.transfer_returned", &e, el[0]->str, reason);
        if (strcmp(el[1]->str, "1") == 0)
            publish(q, "enquiry.offered", &e, el[0]->str, "transfer_returned");
        cc_log(CC_LOG_INFO, "transfer returned to its sender", "enquiry_id", id, "staff_id",
               el[0]->str, "reason", reason, NULL);
        enquiry_clear(&e);
    }
    freeReplyObject(h);
}

static void expire_once(struct enquiries *q)
{
    char now[24], cutoff[24];
    const char *argv[3] = {now, EXPIRE_BATCH, cutoff};
    redisReply *r;

    fresh_cutoff(q, now, cutoff);
    r = cc_redis_script_call(q->redis, q->script[S_EXPIRE], 0, 3, argv, NULL);
    for (size_t i = 0; r != NULL && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const redisReply *x = r->element[i];
        const char *id, *st;
        if (x->type != REDIS_REPLY_ARRAY || x->elements < 2)
            continue;
        id = x->element[0]->str;
        st = x->element[1]->str;
        if (strcmp(st, "returned") == 0) {
            publish_returned(q, id, &x->element[2], x->elements - 2, "not_answered");
        } else {
            char type[32];
            redisReply *h = load(q, id);
            snprintf(type, sizeof(type), "enquiry.%s", st);
            cc_log(CC_LOG_INFO, "enquiry waited too long", "enquiry_id", id, "state", st, NULL);
            if (h != NULL && h->type == REDIS_REPLY_ARRAY && h->elements > 0) {
                Cc__Enquiry e = CC__ENQUIRY__INIT;
                enquiry_from(&e, h->element, h->elements);
                /* once for the record and the visitor, once per panel it leaves */
                publish(q, type, &e, NULL, "max_wait");
                for (size_t k = 2; k < x->elements; k++)
                    publish(q, type, &e, x->element[k]->str, "max_wait");
                enquiry_clear(&e);
            }
            freeReplyObject(h);
        }
    }
    freeReplyObject(r);
}

/* Staff whose follow-up just ended can take calls again. */
static void followups_once(struct enquiries *q)
{
    char now[24];
    const char *argv[2] = {now, EXPIRE_BATCH};
    redisReply *r;

    snprintf(now, sizeof(now), "%lld", (long long)cc_wall_ms());
    r = cc_redis_script_call(q->redis, q->script[S_FOLLOWUPS], 0, 2, argv, NULL);
    for (size_t i = 0; r != NULL && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        reconcile(q, r->element[i]->str);
    freeReplyObject(r);
}

static void *timer(void *arg)
{
    struct enquiries *q = arg;

    pthread_mutex_lock(&q->lock);
    while (!q->stopping) {
        struct timespec until;
        pthread_mutex_unlock(&q->lock);
        expire_once(q);
        followups_once(q);
        pthread_mutex_lock(&q->lock);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)TIMER_EVERY_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        while (!q->stopping && pthread_cond_timedwait(&q->wake, &q->lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

/* ---- life cycle -------------------------------------------------------------------- */

cc_status enquiries_start(struct enquiries **ep, struct cc_bus *bus, struct cc_redis *redis,
                          const struct cc_config *cfg, char *err, size_t errlen)
{
    const char *const lua[S_COUNT] = {queue_lua_create,    queue_lua_answer,  queue_lua_expire,
                                      queue_lua_end,       queue_lua_pending, queue_lua_reconcile,
                                      queue_lua_followups, queue_lua_chat,    queue_lua_transfer,
                                      queue_lua_transfer_cancel, queue_lua_close};
    struct enquiries *q = calloc(1, sizeof(*q));
    cc_status st = q != NULL ? CC_OK : CC_ERR_NOMEM;

    *ep = NULL;
    for (int i = 0; st == CC_OK && i < S_COUNT; i++)
        st = cc_redis_script_add(redis, lua[i], &q->script[i], err, errlen);
    if (st == CC_OK)
        st = cc_events_ensure(bus, err, errlen);
    if (st != CC_OK) {
        free(q);
        return st;
    }
    q->bus = bus;
    q->redis = redis;
    q->cfg = cfg;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->wake, NULL);
    if (pthread_create(&q->timer, NULL, timer, q) != 0) {
        enquiries_free(q);
        return CC_ERR_IO;
    }
    q->started = true;
    *ep = q;
    return CC_OK;
}

cc_status enquiries_serve(struct enquiries *q)
{
    static const struct {
        const char *subject;
        const ProtobufCMessageDescriptor *desc;
        cc_bus_pb_fn fn;
    } subs[] = {
        {"cc.queue.create", &cc__create_enquiry_request__descriptor, on_create},
        {"cc.queue.answer", &cc__answer_request__descriptor, on_answer},
        {"cc.queue.pending", &cc__pending_request__descriptor, on_pending},
        {"cc.queue.get", &cc__enquiry_request__descriptor, on_get},
        {"cc.queue.end", &cc__enquiry_request__descriptor, on_end},
        {"cc.queue.close", &cc__enquiry_request__descriptor, on_close},
        {"cc.queue.chat", &cc__chat_request__descriptor, on_chat},
        {"cc.queue.transfer", &cc__transfer_request__descriptor, on_transfer},
        {"cc.evt.presence.changed", &cc__event__descriptor, on_presence},
    };
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        cc_status st =
            cc_bus_subscribe_pb(q->bus, subs[i].subject, "queue", subs[i].desc, subs[i].fn, q);
        if (st != CC_OK)
            return st;
    }
    return CC_OK;
}

void enquiries_stop(struct enquiries *q)
{
    if (q == NULL || !q->started)
        return;
    pthread_mutex_lock(&q->lock);
    q->stopping = true;
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
    pthread_join(q->timer, NULL);
    q->started = false;
}

void enquiries_free(struct enquiries *q)
{
    if (q == NULL)
        return;
    enquiries_stop(q);
    pthread_cond_destroy(&q->wake);
    pthread_mutex_destroy(&q->lock);
    free(q);
}
