/*
 * handlers: the queue's NATS request handlers (queue group "queue", so
 * replicas share them). Each validates, authorises, runs one Lua step
 * (step.h) and answers; the step itself appended the events of what it did
 * to the outbox, so nothing is published here.
 *
 *   cc.queue.create    CreateEnquiryRequest -> CreateEnquiryReply
 *   cc.queue.answer    AnswerRequest        -> AnswerReply
 *   cc.queue.pending   PendingRequest       -> PendingReply
 *   cc.queue.get|end|close  EnquiryRequest  -> EnquiryReply
 *   cc.queue.chat      ChatRequest          -> ChatReply
 *   cc.queue.transfer  TransferRequest      -> EnquiryReply
 *   cc.queue.holds     HoldsRequest         -> HoldsReply
 *
 * A handler that cannot tell what happened (Redis did not answer) says
 * "unavailable", never "not found" or "taken": the client retries with the
 * same Idempotency-Key and gets the first result.
 */
#include "cc_error.h"
#include "cc_id.h"
#include "cc_log.h"
#include "cc_time.h"
#include "codec.h"
#include "queue.h"
#include "recording.h"
#include "step.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALLER_MAX 200
#define CHAT_TEXT_MAX 4000

/* ---- replies ---------------------------------------------------------------- */

static void set_error(Cc__Error *err, cc_status st, const char *message, const char *field)
{
    cc_error_set(err, st, message, field);
}

/* The error of a step or read that did not give a result. */
static void step_error(Cc__Error *err, cc_status st)
{
    switch (st) {
    case CC_ERR_MISMATCH:
        set_error(err, st, "this Idempotency-Key was used with another request", NULL);
        break;
    case CC_ERR_TIMEOUT:
        set_error(err, st, "the request arrived after its deadline and was not carried out", NULL);
        break;
    case CC_ERR_INVALID:
        set_error(err, st, "too many arguments", NULL);
        break;
    default:
        set_error(err, CC_ERR_UNAVAILABLE, "the queue is not available, try again", NULL);
        break;
    }
}

static bool has_error(const Cc__Error *err)
{
    return cc_error_is_set(err);
}

/* ---- reads -------------------------------------------------------------------- */

/* The enquiry's hash into *h: CC_OK (a hash), CC_ERR_NOT_FOUND (no such
 * enquiry, or not an enquiry id) or CC_ERR_UNAVAILABLE (no answer, or an
 * error reply such as LOADING: never read as "not found"). */
static cc_status load(struct queue *q, const char *id, redisReply **h)
{
    char key[80];
    const char *argv[2] = {"HGETALL", key};

    *h = NULL;
    if (id == NULL || !cc_id_valid(id, strlen(id)))
        return CC_ERR_NOT_FOUND;
    snprintf(key, sizeof(key), "cc:enq:%s", id);
    *h = cc_redis_command(q->redis, 2, argv, NULL);
    if (*h == NULL || (*h)->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(*h);
        *h = NULL;
        return CC_ERR_UNAVAILABLE;
    }
    if ((*h)->elements == 0) {
        freeReplyObject(*h);
        *h = NULL;
        return CC_ERR_NOT_FOUND;
    }
    return CC_OK;
}

/* load() into *h and *e (what they held is released first), err set on failure. */
static bool load_enquiry(struct queue *q, const char *id, redisReply **h, Cc__Enquiry *e,
                         Cc__Error *err)
{
    cc_status st;

    enquiry_clear(e);
    freeReplyObject(*h);
    st = load(q, id, h);
    if (st == CC_ERR_NOT_FOUND) {
        set_error(err, st, "no such enquiry", NULL);
        return false;
    }
    if (st != CC_OK) {
        step_error(err, st);
        return false;
    }
    enquiry_from_kv(e, (*h)->element, (*h)->elements);
    return true;
}

static void sha256_hex(char out[65], const char *s)
{
    unsigned char md[32];
    unsigned n = 0;
    EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
    for (unsigned i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
}

static bool is_visitor(const Cc__EnquiryActor *a)
{
    return a != NULL && a->visitor_token != NULL && a->visitor_token[0] != '\0';
}

/* May actor see (and act on) the enquiry held in h? CC_OK, CC_ERR_DENIED, or
 * CC_ERR_UNAVAILABLE when Redis could not say. */
static cc_status allowed(struct queue *q, const Cc__EnquiryActor *a, const redisReply *h,
                         const Cc__Enquiry *e)
{
    char key[96];
    const char *argv[3] = {"SISMEMBER", key, NULL};
    redisReply *r;
    cc_status st;

    if (a == NULL)
        return CC_ERR_DENIED;
    if (a->operator_)
        return CC_OK;
    if (is_visitor(a)) {
        char want[65];
        sha256_hex(want, a->visitor_token);
        for (size_t i = 0; i + 1 < h->elements; i += 2)
            if (strcmp(h->element[i]->str, "visitor") == 0)
                return strcmp(h->element[i + 1]->str, want) == 0 ? CC_OK : CC_ERR_DENIED;
        return CC_ERR_DENIED;
    }
    if (a->staff_id == NULL || a->staff_id[0] == '\0')
        return CC_ERR_DENIED;
    if (e->answered_by != NULL && strcmp(e->answered_by, a->staff_id) == 0)
        return CC_OK;
    snprintf(key, sizeof(key), "cc:enq:%s:offered", e->id);
    argv[2] = a->staff_id;
    r = cc_redis_command(q->redis, 3, argv, NULL);
    if (r == NULL || r->type != REDIS_REPLY_INTEGER)
        st = CC_ERR_UNAVAILABLE;
    else
        st = r->integer == 1 ? CC_OK : CC_ERR_DENIED;
    freeReplyObject(r);
    return st;
}

/* Loads the enquiry and checks that actor may see it; err set when not. */
static bool load_allowed(struct queue *q, const char *id, const Cc__EnquiryActor *a,
                         redisReply **h, Cc__Enquiry *e, Cc__Error *err, const char *denied)
{
    cc_status st;

    if (!load_enquiry(q, id, h, e, err))
        return false;
    st = allowed(q, a, *h, e);
    if (st == CC_ERR_DENIED)
        set_error(err, st, denied, NULL);
    else if (st != CC_OK)
        step_error(err, st);
    return st == CC_OK;
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

/* A step's result word against a table of refusals; true (err set) when it
 * was one of them. */
struct refusal {
    const char *result;
    cc_status st;
    const char *message;
    const char *field;
};

static bool refused(const char *result, const struct refusal *t, size_t n, Cc__Error *err)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(result, t[i].result) == 0) {
            set_error(err, t[i].st, t[i].message, t[i].field);
            return true;
        }
    return false;
}

/* ---- create --------------------------------------------------------------------- */

static void on_create(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                      void *arg)
{
    struct queue *q = arg;
    Cc__CreateEnquiryRequest *req = (Cc__CreateEnquiryRequest *)pb;
    Cc__CreateEnquiryReply rep = CC__CREATE_ENQUIRY_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;
    Cc__Enquiry e = CC__ENQUIRY__INIT;
    char id[CC_ID_LEN], token[67] = "v-", token_hash[65], ttl[16];
    unsigned char raw[32];
    redisReply *r = NULL, *h = NULL;
    cc_status st;

    if (!valid_ref(req->channel_id)) {
        set_error(&err, CC_ERR_INVALID, "channel_id is required", "channel_id");
        goto reply;
    }
    if (req->kind != CC__ENQUIRY_KIND__ENQUIRY_KIND_CALL &&
        req->kind != CC__ENQUIRY_KIND__ENQUIRY_KIND_CHAT) {
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
    snprintf(ttl, sizeof(ttl), "%d", q->cfg->enquiry_ttl_s);
    {
        const char *args[7] = {id,           req->kind == CC__ENQUIRY_KIND__ENQUIRY_KIND_CHAT
                                                 ? "chat"
                                                 : "call",
                               req->channel_id, req->caller, token, token_hash, ttl};
        st = queue_step(q, Q_CREATE, req->meta, 7, args, NULL, &r);
    }
    if (st != CC_OK) {
        step_error(&err, st);
        goto reply;
    }
    if (strcmp(queue_step_result(r), "no_channel") == 0) {
        set_error(&err, CC_ERR_NOT_FOUND, "no such channel", "channel_id");
        goto reply;
    }
    /* {'ok', id, token}: a retry gets the first enquiry and its token back */
    if (!load_enquiry(q, queue_step_str(r, 1), &h, &e, &err))
        goto reply;
    rep.enquiry = &e;
    rep.visitor_token = (char *)queue_step_str(r, 2);
    if (req->meta == NULL || strcmp(id, e.id) == 0)
        cc_log(CC_LOG_INFO, "enquiry created", "enquiry_id", e.id, "channel_id", e.channel_id,
               NULL);
reply:
    if (has_error(&err))
        rep.error = &err;
    cc_bus_reply(bus, m, &rep.base);
    enquiry_clear(&e);
    freeReplyObject(h);
    freeReplyObject(r);
}

/* ---- answer ------------------------------------------------------------------------ */

static void on_answer(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                      void *arg)
{
    static const struct refusal refusals[] = {
        {"not_found", CC_ERR_NOT_FOUND, "no such enquiry", NULL},
        {"not_offered", CC_ERR_DENIED, "this enquiry was not offered to you", NULL},
    };
    struct queue *q = arg;
    Cc__AnswerRequest *req = (Cc__AnswerRequest *)pb;
    Cc__AnswerReply rep = CC__ANSWER_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;
    Cc__Enquiry e = CC__ENQUIRY__INIT;
    char room[CC_ID_LEN], idle[24];
    redisReply *r = NULL, *h = NULL;
    const char *result;
    cc_status st;

    if (!cc_id_valid(req->enquiry_id, strlen(req->enquiry_id)) || req->staff_id[0] == '\0') {
        set_error(&err, CC_ERR_NOT_FOUND, "no such enquiry", NULL);
        goto reply;
    }
    cc_id_new(room);
    snprintf(idle, sizeof(idle), "%lld", (long long)q->cfg->chat_idle_s * 1000);
    {
        const char *args[4] = {req->enquiry_id, req->staff_id, room, idle};
        st = queue_step(q, Q_ANSWER, req->meta, 4, args, NULL, &r);
    }
    if (st != CC_OK) {
        step_error(&err, st);
        goto reply;
    }
    result = queue_step_result(r);
    if (refused(result, refusals, sizeof(refusals) / sizeof(refusals[0]), &err))
        goto reply;
    if (strcmp(result, "taken") == 0) {
        set_error(&err, CC_ERR_CONFLICT,
                  queue_step_str(r, 1)[0] != '\0' ? "answered by another staff member"
                                                  : "the enquiry is no longer pending",
                  NULL);
        goto reply;
    }
    if (strcmp(result, "won") != 0) {
        step_error(&err, CC_ERR_UNAVAILABLE);
        goto reply;
    }
    if (!load_enquiry(q, req->enquiry_id, &h, &e, &err))
        goto reply;
    rep.enquiry = &e;
    rep.won = true;
    cc_log(CC_LOG_INFO, "enquiry answered", "enquiry_id", e.id, "staff_id", req->staff_id, NULL);
reply:
    if (has_error(&err))
        rep.error = &err;
    cc_bus_reply(bus, m, &rep.base);
    enquiry_clear(&e);
    freeReplyObject(h);
    freeReplyObject(r);
}

/* ---- pending panel and holds --------------------------------------------------------- */

/* A read step's list of hashes, each a length then that many strings, from
 * element first on: into enqs[0..*n) (borrowing from r). */
static bool hashes(const redisReply *r, size_t first, Cc__Enquiry **enqs, size_t *n)
{
    size_t count = 0;

    *enqs = NULL;
    *n = 0;
    for (size_t i = first; i < r->elements; i += 1 + (size_t)r->element[i]->integer) {
        if (r->element[i]->type != REDIS_REPLY_INTEGER || r->element[i]->integer < 0 ||
            i + 1 + (size_t)r->element[i]->integer > r->elements)
            return false;
        count++;
    }
    *enqs = calloc(count + 1, sizeof(**enqs));
    if (*enqs == NULL)
        return false;
    for (size_t i = first; i < r->elements; i += 1 + (size_t)r->element[i]->integer)
        enquiry_from_kv(&(*enqs)[(*n)++], &r->element[i + 1], (size_t)r->element[i]->integer);
    return true;
}

static void free_hashes(Cc__Enquiry *enqs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        enquiry_clear(&enqs[i]);
    free(enqs);
}

#define PENDING_PAGE 50      /* items of a page when the request names no limit */
#define PENDING_PAGE_MAX 200 /* items of a page at most */

static void on_pending(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                       void *arg)
{
    struct queue *q = arg;
    Cc__PendingRequest *req = (Cc__PendingRequest *)pb;
    Cc__PendingReply rep = CC__PENDING_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;
    char limit[16];
    const char *args[3] = {req->staff_id, limit, req->before};
    Cc__PendingItem *items = NULL, **ptrs = NULL;
    Cc__Enquiry *enqs = NULL;
    redisReply *r = NULL;
    int64_t now = cc_wall_ms();
    size_t n = 0;
    cc_status st;

    /* a page, never the whole panel: a panel can hold thousands */
    snprintf(limit, sizeof(limit), "%d",
             req->limit <= 0 ? PENDING_PAGE : req->limit > PENDING_PAGE_MAX ? PENDING_PAGE_MAX
                                                                           : req->limit);
    st = queue_step(q, Q_PENDING, NULL, 3, args, NULL, &r);
    if (st != CC_OK || r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
        r->element[0]->type != REDIS_REPLY_INTEGER || r->element[1]->type != REDIS_REPLY_INTEGER ||
        !hashes(r, 2, &enqs, &n)) {
        step_error(&err, st != CC_OK ? st : CC_ERR_UNAVAILABLE);
        rep.error = &err;
        goto reply;
    }
    items = calloc(n + 1, sizeof(*items));
    ptrs = calloc(n + 1, sizeof(*ptrs));
    if (items == NULL || ptrs == NULL) {
        set_error(&err, CC_ERR_NOMEM, "out of memory", NULL);
        rep.error = &err;
        goto reply;
    }
    rep.total = (int32_t)r->element[0]->integer;
    rep.more = r->element[1]->integer != 0;
    /* the channel name follows each hash (pending.lua): find it again */
    for (size_t i = 2, k = 0; i < r->elements && k < n; i += 1 + (size_t)r->element[i]->integer, k++) {
        size_t len = (size_t)r->element[i]->integer;
        Cc__PendingItem *it = &items[k];
        cc__pending_item__init(it);
        it->enquiry = &enqs[k];
        if (len >= 2 && strcmp(r->element[i + len - 1]->str, "channel_name") == 0)
            it->channel_name = r->element[i + len]->str;
        it->seconds_left = (int32_t)((enqs[k].deadline_ms - now + 999) / 1000);
        if (it->seconds_left < 0)
            it->seconds_left = 0;
        ptrs[k] = it;
    }
    rep.items = ptrs;
    rep.n_items = n;
reply:
    cc_bus_reply(bus, m, &rep.base);
    free_hashes(enqs, n);
    free(items);
    free(ptrs);
    freeReplyObject(r);
}

static void on_holds(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                     void *arg)
{
    struct queue *q = arg;
    Cc__HoldsRequest *req = (Cc__HoldsRequest *)pb;
    Cc__HoldsReply rep = CC__HOLDS_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;
    const char *args[1] = {req->staff_id};
    Cc__Enquiry *enqs = NULL, **ptrs = NULL;
    redisReply *r = NULL;
    size_t n = 0;
    cc_status st = queue_step(q, Q_HOLDS, NULL, 1, args, NULL, &r);

    if (st != CC_OK || r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
        !hashes(r, 2, &enqs, &n) || (ptrs = calloc(n + 1, sizeof(*ptrs))) == NULL) {
        step_error(&err, st != CC_OK ? st : CC_ERR_UNAVAILABLE);
        rep.error = &err;
        goto reply;
    }
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &enqs[i];
    rep.active = ptrs;
    rep.n_active = n;
    rep.followup_enquiry_id = (char *)queue_step_str(r, 0);
    rep.followup_until_ms = atoll(queue_step_str(r, 1));
reply:
    cc_bus_reply(bus, m, &rep.base);
    free_hashes(enqs, n);
    free(ptrs);
    freeReplyObject(r);
}

/* ---- get / end / close ---------------------------------------------------------------- */

enum op { OP_GET, OP_END, OP_CLOSE };

/* The channel's name and custom info (R6) for the reply; best effort: the
 * enquiry itself is the answer. *ch keeps what they borrow. */
static void channel_info(struct queue *q, Cc__EnquiryReply *rep, const Cc__Enquiry *e,
                         redisReply **ch)
{
    char key[96];
    const char *argv[4] = {"HMGET", key, "name", "custom_info"};

    snprintf(key, sizeof(key), "cc:dir:channel:%s", e->channel_id);
    *ch = cc_redis_command(q->redis, 4, argv, NULL);
    if (*ch == NULL || (*ch)->type != REDIS_REPLY_ARRAY || (*ch)->elements != 2)
        return;
    if ((*ch)->element[0]->str != NULL)
        rep->channel_name = (*ch)->element[0]->str;
    if ((*ch)->element[1]->str != NULL && (*ch)->element[1]->len > 0)
        rep->custom_info = cc__custom_info__unpack(NULL, (*ch)->element[1]->len,
                                                   (const uint8_t *)(*ch)->element[1]->str);
}

static cc_status end_step(struct queue *q, Cc__EnquiryRequest *req, Cc__Error *err)
{
    static const struct refusal refusals[] = {
        {"not_found", CC_ERR_NOT_FOUND, "no such enquiry", NULL},
        {"not_yours", CC_ERR_DENIED, "only the staff member who answered ends it", NULL},
        {"already", CC_ERR_CONFLICT, "the enquiry has already ended", NULL},
    };
    char actor[96], follow[24];
    const char *args[4] = {req->enquiry_id, actor, follow, req->end_reason};
    redisReply *r = NULL;
    cc_status st;

    /* an end reason of a call that no side hung up: only ingress sets one */
    if (req->end_reason[0] != '\0' && strcmp(req->end_reason, "media_timeout") != 0) {
        set_error(err, CC_ERR_INVALID, "end_reason is \"\" or \"media_timeout\"", "end_reason");
        return CC_ERR_INVALID;
    }
    if (req->actor->operator_)
        snprintf(actor, sizeof(actor), "admin");
    else if (is_visitor(req->actor))
        snprintf(actor, sizeof(actor), "visitor");
    else
        snprintf(actor, sizeof(actor), "staff:%s", req->actor->staff_id);
    snprintf(follow, sizeof(follow), "%lld", (long long)q->cfg->followup_s * 1000);
    st = queue_step(q, Q_END, req->meta, 4, args, NULL, &r);
    if (st != CC_OK)
        step_error(err, st);
    else if (refused(queue_step_result(r), refusals, sizeof(refusals) / sizeof(refusals[0]), err))
        st = CC_ERR_CONFLICT;
    else
        cc_log(CC_LOG_INFO, "enquiry ended", "enquiry_id", req->enquiry_id, "by", actor, NULL);
    freeReplyObject(r);
    return st;
}

static cc_status close_step(struct queue *q, Cc__EnquiryRequest *req, Cc__Error *err)
{
    static const struct refusal refusals[] = {
        {"not_found", CC_ERR_NOT_FOUND, "no such enquiry", NULL},
        {"not_yours", CC_ERR_DENIED, "only the staff member who handled it closes it", NULL},
    };
    const char *args[2] = {req->enquiry_id, req->actor->staff_id};
    redisReply *r = NULL;
    cc_status st;

    if (req->actor->staff_id[0] == '\0') {
        set_error(err, CC_ERR_DENIED, "only the staff member who handled it closes it", NULL);
        return CC_ERR_DENIED;
    }
    st = queue_step(q, Q_CLOSE, req->meta, 2, args, NULL, &r);
    if (st != CC_OK) {
        step_error(err, st);
    } else if (refused(queue_step_result(r), refusals, sizeof(refusals) / sizeof(refusals[0]),
                       err)) {
        st = CC_ERR_CONFLICT;
    } else if (strcmp(queue_step_result(r), "not_ended") == 0) {
        set_error(err, CC_ERR_CONFLICT,
                  strcmp(queue_step_str(r, 1), "closed") == 0 ? "the enquiry is already closed"
                                                              : "only an ended enquiry is closed",
                  NULL);
        st = CC_ERR_CONFLICT;
    }
    freeReplyObject(r);
    return st;
}

static void on_enquiry_op(struct queue *q, const struct cc_bus_msg *m, Cc__EnquiryRequest *req,
                          enum op op)
{
    Cc__EnquiryReply rep = CC__ENQUIRY_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;
    Cc__Enquiry e = CC__ENQUIRY__INIT;
    redisReply *h = NULL, *ch = NULL;

    if (!load_allowed(q, req->enquiry_id, req->actor, &h, &e, &err, "this enquiry is not yours"))
        goto reply;
    if (op == OP_END && end_step(q, req, &err) != CC_OK)
        goto reply;
    if (op == OP_CLOSE && close_step(q, req, &err) != CC_OK)
        goto reply;
    if (op != OP_GET && !load_enquiry(q, req->enquiry_id, &h, &e, &err))
        goto reply;
    rep.enquiry = &e;
    channel_info(q, &rep, &e, &ch);
reply:
    if (has_error(&err))
        rep.error = &err;
    cc_bus_reply(q->bus, m, &rep.base);
    enquiry_clear(&e);
    if (rep.custom_info != NULL)
        cc__custom_info__free_unpacked(rep.custom_info, NULL);
    freeReplyObject(ch);
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

/* ---- chat in the enquiry room (R2.2) ----------------------------------------------------- */

static bool list_chat(struct queue *q, const char *id, Cc__ChatReply *rep, redisReply **keep)
{
    char key[96];
    const char *argv[4] = {"LRANGE", key, "0", "-1"};
    redisReply *r;

    snprintf(key, sizeof(key), "cc:enq:%s:chat", id);
    r = cc_redis_command(q->redis, 4, argv, NULL);
    *keep = r;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY)
        return false;
    rep->messages = calloc(r->elements + 1, sizeof(*rep->messages));
    for (size_t i = 0; rep->messages != NULL && i < r->elements; i++) {
        Cc__ChatMessage *msg =
            cc__chat_message__unpack(NULL, r->element[i]->len, (const uint8_t *)r->element[i]->str);
        if (msg != NULL)
            rep->messages[rep->n_messages++] = msg;
    }
    return rep->messages != NULL;
}

static void on_chat(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb, void *arg)
{
    struct queue *q = arg;
    Cc__ChatRequest *req = (Cc__ChatRequest *)pb;
    Cc__ChatReply rep = CC__CHAT_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;
    Cc__ChatMessage msg = CC__CHAT_MESSAGE__INIT, *one = &msg;
    Cc__Enquiry e = CC__ENQUIRY__INIT;
    redisReply *h = NULL, *r = NULL, *list = NULL;
    char id[CC_ID_LEN], author[96], ttl[16], idle[24];
    bool visitor = is_visitor(req->actor);
    uint8_t *buf = NULL;
    cc_status st;
    (void)bus;

    if (!load_allowed(q, req->enquiry_id, req->actor, &h, &e, &err,
                      "this enquiry room is not yours"))
        goto reply;
    /* the room is the visitor's and the answering staff member's */
    if (!visitor && (e.answered_by == NULL || strcmp(e.answered_by, req->actor->staff_id) != 0)) {
        set_error(&err, CC_ERR_DENIED, "this enquiry room is not yours", NULL);
        goto reply;
    }
    if (req->text[0] == '\0') {
        if (!list_chat(q, req->enquiry_id, &rep, &list))
            step_error(&err, CC_ERR_UNAVAILABLE);
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
    snprintf(idle, sizeof(idle), "%lld", (long long)q->cfg->chat_idle_s * 1000);
    {
        size_t n = cc__chat_message__get_packed_size(&msg);
        const char *args[4] = {req->enquiry_id, NULL, ttl, idle};
        size_t lens[4] = {strlen(req->enquiry_id), n, strlen(ttl), strlen(idle)};
        if ((buf = malloc(n ? n : 1)) == NULL) {
            set_error(&err, CC_ERR_NOMEM, "out of memory", NULL);
            goto reply;
        }
        cc__chat_message__pack(&msg, buf);
        args[1] = (const char *)buf;
        st = queue_step(q, Q_CHAT, req->meta, 4, args, lens, &r);
    }
    if (st != CC_OK)
        step_error(&err, st);
    else if (strcmp(queue_step_result(r), "closed") == 0)
        set_error(&err, CC_ERR_CONFLICT, "the enquiry room is not open", NULL);
    else if (strcmp(queue_step_result(r), "ok") != 0)
        set_error(&err, CC_ERR_NOT_FOUND, "no such enquiry", NULL);
    else {
        /* a retry returns this message, not the first one: its id differs,
         * the room holds the first once */
        rep.messages = &one;
        rep.n_messages = 1;
    }
reply:
    if (has_error(&err))
        rep.error = &err;
    cc_bus_reply(q->bus, m, &rep.base);
    if (list != NULL) {
        for (size_t i = 0; i < rep.n_messages; i++)
            cc__chat_message__free_unpacked(rep.messages[i], NULL);
        free(rep.messages);
    }
    free(buf);
    enquiry_clear(&e);
    freeReplyObject(list);
    freeReplyObject(r);
    freeReplyObject(h);
}

/* ---- transfer (R14) ---------------------------------------------------------------------- */

static void on_transfer(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                        void *arg)
{
    static const struct refusal refusals[] = {
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
    struct queue *q = arg;
    Cc__TransferRequest *req = (Cc__TransferRequest *)pb;
    Cc__EnquiryReply rep = CC__ENQUIRY_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;
    Cc__Enquiry e = CC__ENQUIRY__INIT;
    bool group = req->to_group_id[0] != '\0';
    bool consult = req->mode == CC__TRANSFER_MODE__TRANSFER_MODE_CONSULT;
    redisReply *r = NULL, *h = NULL;
    const char *result;
    cc_status st;
    (void)bus;

    if (!cc_id_valid(req->enquiry_id, strlen(req->enquiry_id)) || req->staff_id[0] == '\0') {
        set_error(&err, CC_ERR_NOT_FOUND, "no such enquiry", NULL);
        goto reply;
    }
    if (req->cancel) {
        const char *args[2] = {req->enquiry_id, req->staff_id};
        st = queue_step(q, Q_XCANCEL, req->meta, 2, args, NULL, &r);
    } else {
        const char *args[5] = {req->enquiry_id, req->staff_id, req->to_staff_id,
                               req->to_group_id, consult ? "consult" : "blind"};
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
        st = queue_step(q, Q_TRANSFER, req->meta, 5, args, NULL, &r);
    }
    if (st != CC_OK) {
        step_error(&err, st);
        goto reply;
    }
    result = queue_step_result(r);
    if (refused(result, refusals, sizeof(refusals) / sizeof(refusals[0]), &err))
        goto reply;
    if (strcmp(result, "nobody") == 0) {
        set_error(&err, CC_ERR_CONFLICT,
                  group ? "nobody of that group can take it now"
                        : "that staff member cannot take it now",
                  group ? "to_group_id" : "to_staff_id");
        goto reply;
    }
    if (!load_enquiry(q, req->enquiry_id, &h, &e, &err))
        goto reply;
    cc_log(CC_LOG_INFO, req->cancel ? "enquiry transfer cancelled" : "enquiry transfer",
           "enquiry_id", e.id, "staff_id", req->staff_id, "mode", consult ? "consult" : "blind",
           NULL);
    rep.enquiry = &e;
reply:
    if (has_error(&err))
        rep.error = &err;
    cc_bus_reply(q->bus, m, &rep.base);
    enquiry_clear(&e);
    freeReplyObject(h);
    freeReplyObject(r);
}

cc_status queue_handlers_subscribe(struct queue *q)
{
    static const struct {
        const char *subject;
        const ProtobufCMessageDescriptor *desc;
        cc_bus_pb_fn fn;
    } subs[] = {
        {"cc.queue.create", &cc__create_enquiry_request__descriptor, on_create},
        {"cc.queue.answer", &cc__answer_request__descriptor, on_answer},
        {"cc.queue.pending", &cc__pending_request__descriptor, on_pending},
        {"cc.queue.holds", &cc__holds_request__descriptor, on_holds},
        {"cc.queue.get", &cc__enquiry_request__descriptor, on_get},
        {"cc.queue.end", &cc__enquiry_request__descriptor, on_end},
        {"cc.queue.close", &cc__enquiry_request__descriptor, on_close},
        {"cc.queue.chat", &cc__chat_request__descriptor, on_chat},
        {"cc.queue.transfer", &cc__transfer_request__descriptor, on_transfer},
        {"cc.queue.recording", &cc__recording_request__descriptor, queue_on_recording},
    };
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        cc_status st =
            cc_bus_subscribe_pb(q->bus, subs[i].subject, "queue", subs[i].desc, subs[i].fn, q);
        if (st != CC_OK)
            return st;
    }
    return CC_OK;
}
