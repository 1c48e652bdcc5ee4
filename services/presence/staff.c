/* staff: sessions, status, heartbeats, sweep. See staff.h. */
#include "staff.h"
#include "cc_error.h"
#include "cc_events.h"
#include "dir_mirror.h"
#include "cc_outbox.h"
#include "cc_step.h"
#include "lua_presence.h"
#include <jansson.h>
#include "cc_log.h"
#include "cc_time.h"
#include "password.h"
#include "sip_digest.h"
#include "workers.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_EVERY_MS 1000

struct staff {
    struct cc_bus *bus;
    struct cc_redis *redis;
    struct dir_store *dir;
    const struct cc_config *cfg;
    int status_script, heartbeat_script, sweep_script, session_script, outbound_script;
    int sessions_script;
    struct cc_step_frame frame;
    struct cc_outbox *outbox;       /* relays presence.changed (facts of the Lua steps) */
    struct cc_outbox_builder builder;
    struct workers *workers;      /* run the logins (workers.h) */
    struct password_stored dummy; /* what an unknown email is checked against */
    pthread_t sweeper;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping; /* guarded by lock */
};

/* ---- helpers ----------------------------------------------------------- */

static const char *status_name(Cc__StaffStatus st)
{
    switch (st) {
    case CC__STAFF_STATUS__STAFF_STATUS_ONLINE:
        return "online";
    case CC__STAFF_STATUS__STAFF_STATUS_BUSY:
        return "busy";
    default:
        return "offline";
    }
}

static Cc__StaffStatus status_of(const char *s)
{
    if (strcmp(s, "online") == 0)
        return CC__STAFF_STATUS__STAFF_STATUS_ONLINE;
    if (strcmp(s, "busy") == 0)
        return CC__STAFF_STATUS__STAFF_STATUS_BUSY;
    return CC__STAFF_STATUS__STAFF_STATUS_OFFLINE;
}

/* sha256(token) as hex: the session key never holds the token itself. */
static void token_key(char out[96], const char *token)
{
    unsigned char md[32];
    unsigned int n = 0;
    char *p;

    EVP_Digest(token, strlen(token), md, &n, EVP_sha256(), NULL);
    p = out + sprintf(out, "cc:session:");
    for (unsigned i = 0; i < n; i++)
        p += sprintf(p, "%02x", md[i]);
}

/* Fills p (strings borrowed from k/v) from the presence hash's fields. */
static void presence_from_kv(Cc__StaffPresence *p, Cc__StaffActivity *act, const char *sid,
                             const char *const *k, const char *const *v, size_t n, int64_t now,
                             int64_t stale_ms)
{
    int64_t followup_until = 0;
    bool fresh;

    cc__staff_presence__init(p);
    cc__staff_activity__init(act);
    p->staff_id = (char *)sid;
    p->activity = act;
    p->status = CC__STAFF_STATUS__STAFF_STATUS_OFFLINE;
    for (size_t i = 0; i < n; i++) {
        if (k[i] == NULL || v[i] == NULL)
            continue;
        if (strcmp(k[i], "status") == 0)
            p->status = status_of(v[i]);
        else if (strcmp(k[i], "changed_at_ms") == 0)
            p->changed_at_ms = atoll(v[i]);
        else if (strcmp(k[i], "last_seen_ms") == 0)
            p->last_seen_ms = atoll(v[i]);
        else if (strcmp(k[i], "call") == 0)
            act->handling_call = strcmp(v[i], "1") == 0;
        else if (strcmp(k[i], "followup_until_ms") == 0)
            followup_until = atoll(v[i]);
        else if (strcmp(k[i], "outbound") == 0)
            act->outbound_call = strcmp(v[i], "1") == 0;
        else if (strcmp(k[i], "chats") == 0)
            act->chats = atoi(v[i]);
    }
    act->following_up_call = followup_until > now;
    fresh = now - p->last_seen_ms <= stale_ms;
    p->chat_available = p->status == CC__STAFF_STATUS__STAFF_STATUS_ONLINE && fresh;
    p->call_available = p->chat_available && !act->handling_call && !act->following_up_call;
}

#define PRESENCE_FIELDS_MAX 32

/* Fills p (strings borrowed from rep) from an HGETALL reply. */
static void presence_from(Cc__StaffPresence *p, Cc__StaffActivity *act, const char *sid,
                          const redisReply *rep, int64_t now, int64_t stale_ms)
{
    const char *k[PRESENCE_FIELDS_MAX], *v[PRESENCE_FIELDS_MAX];
    size_t n = 0;

    for (size_t i = 0; rep != NULL && rep->type == REDIS_REPLY_ARRAY && i + 1 < rep->elements &&
                       n < PRESENCE_FIELDS_MAX;
         i += 2, n++) {
        k[n] = rep->element[i]->str;
        v[n] = rep->element[i + 1]->str;
    }
    presence_from_kv(p, act, sid, k, v, n, now, stale_ms);
}

/* ---- the outbox: presence.changed and directory.changed entries -> events
 * (relay thread) ---------------------------------------------------------- */

/* What one built event holds until clear: touched by the relay thread only. */
struct scratch {
    Cc__StaffPresence p;
    Cc__StaffActivity act;
    Cc__DirChange change;
    json_t *snapshot;
    int64_t stale_ms;
};

static bool build(void *arg, const struct cc_outbox_entry *e, Cc__Event *ev)
{
    struct scratch *sc = arg;
    const char *type = cc_outbox_get(e, "type", NULL);
    size_t len;
    const char *snap, *sid, *ts;
    const char *k[PRESENCE_FIELDS_MAX], *v[PRESENCE_FIELDS_MAX];
    const char *key;
    json_t *val;
    size_t n = 0;

    /* the audit fact of a directory change (dir_mirror, lua/mirror.lua) */
    if (type != NULL && strcmp(type, "directory.changed") == 0)
        return dir_mirror_fact(e, ev, &sc->change);
    snap = cc_outbox_get(e, "presence", &len);
    sid = cc_outbox_get(e, "staff", NULL);
    ts = cc_outbox_get(e, "ts", NULL);
    sc->snapshot = snap != NULL ? json_loadb(snap, len, 0, NULL) : NULL;
    if (!json_is_object(sc->snapshot) || sid == NULL || ts == NULL)
        return false;
    json_object_foreach(sc->snapshot, key, val)
    {
        if (n < PRESENCE_FIELDS_MAX && json_is_string(val)) {
            k[n] = key;
            v[n++] = json_string_value(val);
        }
    }
    /* availability as it was when the step ran */
    presence_from_kv(&sc->p, &sc->act, sid, k, v, n, atoll(ts), sc->stale_ms);
    ev->body_case = CC__EVENT__BODY_PRESENCE;
    ev->presence = &sc->p;
    ev->staff_id = (char *)sid;
    ev->reason = (char *)(cc_outbox_get(e, "reason", NULL) ?: "");
    return true;
}

static void clear(void *arg, Cc__Event *ev)
{
    struct scratch *sc = arg;
    (void)ev;
    json_decref(sc->snapshot);
    sc->snapshot = NULL;
}

/* CC_OK when r is an answer of the given type. NULL, an error reply (LOADING
 * while Redis reloads after a restart, BUSY, ...) or an unexpected type mean
 * "cannot tell now": CC_ERR_UNAVAILABLE, never "no such session". */
static cc_status answered(const redisReply *r, int type)
{
    if (cc_redis_reply_status(r) != CC_OK || r->type != type)
        return CC_ERR_UNAVAILABLE;
    return CC_OK;
}

/* Runs a presence step for sid with extra arguments; NULL when it did not
 * answer (an error reply or no reply: the caller says "unavailable"). */
static redisReply *presence_script(struct staff *s, int script, const char *sid,
                                   const char *const *extra, int nextra)
{
    const char *args[8] = {sid};
    redisReply *r = NULL;

    for (int i = 0; i < nextra; i++)
        args[1 + i] = extra[i];
    (void)cc_step_call(&s->frame, script, NULL, 1 + nextra, args, NULL, &r);
    return r;
}

static cc_status set_status(struct staff *s, const char *sid, Cc__StaffStatus st, bool seen_now,
                            const char *reason, Cc__SetStatusReply *out, Cc__StaffPresence *p,
                            Cc__StaffActivity *act, redisReply **keep)
{
    const char *extra[3] = {status_name(st), seen_now ? "1" : "0", reason};
    int64_t t = cc_wall_ms();
    redisReply *rep;

    /* the step records the change and its presence.changed fact at once */
    rep = presence_script(s, s->status_script, sid, extra, 3);
    if (answered(rep, REDIS_REPLY_ARRAY) != CC_OK) {
        freeReplyObject(rep);
        return CC_ERR_UNAVAILABLE;
    }
    presence_from(p, act, sid, rep, t, (int64_t)s->cfg->heartbeat_timeout_s * 1000);
    out->presence = p;
    *keep = rep; /* p borrows from it */
    return CC_OK;
}

static void error_reply(Cc__Error *e, cc_status st, const char *message)
{
    cc_error_set(e, st, message, NULL);
}

/* ---- handlers ----------------------------------------------------------- */

/* A login, handed from the bus thread to a worker: copies of what it needs
 * (the message is gone when the handler returns). */
struct login_job {
    struct worker_job job; /* first */
    struct staff *s;
    int64_t queued_ms; /* monotonic */
    char *reply;       /* the requester's inbox */
    char *email;
    char *password; /* wiped before it is freed */
};

static void login_job_free(struct login_job *j)
{
    if (j == NULL)
        return;
    if (j->password != NULL)
        OPENSSL_cleanse(j->password, strlen(j->password));
    free(j->password);
    free(j->email);
    free(j->reply);
    free(j);
}

/* Stores pw again as Argon2id when the hash it matched is of an earlier
 * format or cost (password.h), and the SIP phone's HA1 when none is stored
 * for the current realm (sip_current false: an account from before SIP
 * digest, or CC_SIP_REALM changed): the moments the plaintext is known
 * besides a password change. A failure is logged; the login stands. */
static void upgrade_hash(struct staff *s, const char *id, const char *old_hash, const char *pw,
                         bool sip_current)
{
    char fresh[PASSWORD_HASH_MAX], ha1[SIP_HA1_LEN + 1];
    bool rehash = password_needs_rehash(old_hash), stored = false;

    if (rehash && password_hash(fresh, pw) != CC_OK) {
        cc_log(CC_LOG_WARN, "password hash not upgraded: hashing failed", "staff_id", id, NULL);
        rehash = false;
    }
    if (!sip_current && sip_ha1(ha1, id, s->cfg->sip_realm, pw) != CC_OK) {
        cc_log(CC_LOG_WARN, "SIP digest not stored: MD5 failed", "staff_id", id, NULL);
        sip_current = true;
    }
    if ((rehash || !sip_current) &&
        dir_store_rehash(s->dir, id, old_hash, rehash ? fresh : NULL, sip_current ? NULL : ha1,
                         &stored) == CC_OK &&
        stored) {
        if (rehash)
            cc_log(CC_LOG_INFO, "password hash upgraded to argon2id", "staff_id", id, NULL);
        if (!sip_current)
            cc_log(CC_LOG_INFO, "SIP digest stored for the current realm", "staff_id", id, NULL);
    }
    OPENSSL_cleanse(fresh, sizeof(fresh));
    OPENSSL_cleanse(ha1, sizeof(ha1));
}

/* Checks email and pw, the same work whether the account exists or not:
 * an unknown email (or a stored hash that does not parse) is checked
 * against the dummy hash, which costs what a real one does, and gets the
 * same answer as a wrong password. So neither the answer nor its time
 * tells whether an account exists. CC_OK (id, role filled, *hash the one
 * that matched, *sip_current as dir_store_credentials), CC_ERR_DENIED, or
 * CC_ERR_UNAVAILABLE (PostgreSQL). */
static cc_status check_credentials(struct staff *s, const char *email, const char *pw, char *id,
                                   size_t idlen, char *role, size_t rolelen,
                                   char hash[PASSWORD_HASH_MAX], bool *sip_current)
{
    struct password_stored h;
    cc_status st = dir_store_credentials(s->dir, email, id, idlen, role, rolelen, hash,
                                         PASSWORD_HASH_MAX, sip_current);
    bool known, match;

    if (st != CC_OK && st != CC_ERR_NOT_FOUND)
        return CC_ERR_UNAVAILABLE; /* the same for every email: tells nothing */
    known = st == CC_OK && password_parse(&h, hash, strlen(hash));
    match = password_verify_parsed(known ? &h : &s->dummy, pw);
    return known && match ? CC_OK : CC_ERR_DENIED;
}

/* Worker thread: the whole login, then the reply to m. */
static void login(struct staff *s, const struct cc_bus_msg *m, const char *email, const char *pw)
{
    Cc__LoginReply rep = CC__LOGIN_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;
    Cc__SetStatusReply sr = CC__SET_STATUS_REPLY__INIT;
    Cc__StaffPresence p;
    Cc__StaffActivity act;
    redisReply *keep = NULL;
    char id[80], role[16], hash[PASSWORD_HASH_MAX], token[65], key[96];
    unsigned char raw[32];
    bool sip_current = true;
    cc_status st =
        check_credentials(s, email, pw, id, sizeof(id), role, sizeof(role), hash, &sip_current);

    /* the same answer for an unknown email and a wrong password */
    if (st == CC_ERR_DENIED) {
        error_reply(&err, CC_ERR_DENIED, "wrong email or password");
        goto reply;
    }
    if (st != CC_OK || RAND_bytes(raw, sizeof(raw)) != 1) {
        error_reply(&err, CC_ERR_UNAVAILABLE, "login is not available, try again");
        goto reply;
    }
    upgrade_hash(s, id, hash, pw, sip_current);
    for (size_t i = 0; i < sizeof(raw); i++)
        sprintf(token + 2 * i, "%02x", raw[i]);
    token_key(key, token);
    {
        char ttl[24];
        const char *args[3] = {key, id, ttl};
        redisReply *r = NULL;
        snprintf(ttl, sizeof(ttl), "%lld", (long long)s->cfg->session_ttl_s * 1000);
        (void)cc_step_call(&s->frame, s->session_script, NULL, 3, args, NULL, &r);
        st = answered(r, REDIS_REPLY_ARRAY);
        /* the session holds the role the directory mirror has now; a staff
         * member missing from it (deleted this instant, or the mirror not
         * there) gets no session: "try again", never "wrong password" */
        if (st == CC_OK && strcmp(cc_step_result(r), "ok") == 0)
            snprintf(role, sizeof(role), "%s", cc_step_str(r, 1));
        else
            st = CC_ERR_UNAVAILABLE;
        freeReplyObject(r);
    }
    if (st == CC_OK)
        st = set_status(s, id, CC__STAFF_STATUS__STAFF_STATUS_ONLINE, true, "login", &sr, &p, &act,
                        &keep);
    if (st != CC_OK) {
        error_reply(&err, CC_ERR_UNAVAILABLE, "login is not available, try again");
        goto reply;
    }
    rep.token = token;
    rep.staff_id = id;
    rep.role = role;
    rep.expires_at_ms = cc_wall_ms() + (int64_t)s->cfg->session_ttl_s * 1000;
    rep.presence = &p;
    cc_log(CC_LOG_INFO, "staff logged in", "staff_id", id, NULL);
reply:
    if (cc_error_is_set(&err))
        rep.error = &err;
    cc_bus_reply(s->bus, m, &rep.base);
    freeReplyObject(keep);
    OPENSSL_cleanse(hash, sizeof(hash));
}

static void run_login(struct worker_job *job)
{
    struct login_job *j = (struct login_job *)job;
    struct cc_bus_msg m = {.subject = "cc.presence.login", .reply = j->reply};

    /* waited past the requester's timeout (a flood): it has been told
     * "unavailable" already, and the hash would be work for no one */
    if (cc_mono_ms() - j->queued_ms > j->s->cfg->request_timeout_ms)
        cc_log(CC_LOG_DEBUG, "login dropped: waited longer than the request timeout", NULL);
    else
        login(j->s, &m, j->email, j->password);
    login_job_free(j);
}

/* Bus thread: hands the login to a worker and returns at once. */
static void on_login(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                     void *arg)
{
    struct staff *s = arg;
    Cc__LoginRequest *req = (Cc__LoginRequest *)pb;
    struct login_job *j;

    if (m->reply == NULL)
        return; /* nobody would read the answer */
    j = calloc(1, sizeof(*j));
    if (j != NULL) {
        j->job.fn = run_login;
        j->s = s;
        j->queued_ms = cc_mono_ms();
        j->reply = strdup(m->reply);
        j->email = strdup(req->email != NULL ? req->email : "");
        j->password = strdup(req->password != NULL ? req->password : "");
    }
    if (j == NULL || j->reply == NULL || j->email == NULL || j->password == NULL ||
        !workers_submit(s->workers, &j->job)) {
        Cc__LoginReply rep = CC__LOGIN_REPLY__INIT;
        Cc__Error err = CC__ERROR__INIT;
        /* the queue is full (or presence is stopping): say so now */
        error_reply(&err, CC_ERR_UNAVAILABLE, "login is busy, try again");
        rep.error = &err;
        cc_bus_reply(bus, m, &rep.base);
        login_job_free(j);
    }
}

/* Looks the token up; fills id/role. CC_ERR_DENIED only when Redis answered
 * that there is no such session (unknown or expired); CC_ERR_UNAVAILABLE when
 * it did not answer or answered with an error, so a valid token is never
 * refused because Redis was restarting. */
static cc_status lookup(struct staff *s, const char *token, char *id, size_t idlen, char *role,
                        size_t rolelen)
{
    char key[96];
    const char *argv[4] = {"HMGET", key, "staff_id", "role"};
    redisReply *r;
    cc_status st = CC_ERR_DENIED;

    if (token == NULL || strlen(token) != 64)
        return CC_ERR_DENIED;
    token_key(key, token);
    r = cc_redis_command(s->redis, 4, argv, NULL);
    if (answered(r, REDIS_REPLY_ARRAY) != CC_OK || r->elements != 2) {
        freeReplyObject(r);
        return CC_ERR_UNAVAILABLE;
    }
    if (r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING) {
        snprintf(id, idlen, "%s", r->element[0]->str);
        snprintf(role, rolelen, "%s", r->element[1]->str);
        st = CC_OK;
    }
    freeReplyObject(r);
    return st;
}

static void on_auth(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb, void *arg)
{
    Cc__AuthRequest *req = (Cc__AuthRequest *)pb;
    Cc__AuthReply rep = CC__AUTH_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;
    char id[80], role[16];
    cc_status st = lookup(arg, req->token, id, sizeof(id), role, sizeof(role));

    if (st == CC_OK) {
        rep.staff_id = id;
        rep.role = role;
    } else {
        error_reply(&err, st, st == CC_ERR_DENIED ? "invalid or expired token" : "try again");
        rep.error = &err;
    }
    cc_bus_reply(bus, m, &rep.base);
}

static void on_logout(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                      void *arg)
{
    struct staff *s = arg;
    Cc__LogoutRequest *req = (Cc__LogoutRequest *)pb;
    Cc__LogoutReply rep = CC__LOGOUT_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;
    Cc__SetStatusReply sr = CC__SET_STATUS_REPLY__INIT;
    Cc__StaffPresence p;
    Cc__StaffActivity act;
    redisReply *keep = NULL;
    char id[80], role[16], key[96];
    cc_status st = lookup(s, req->token, id, sizeof(id), role, sizeof(role));

    if (st == CC_OK) {
        const char *argv[2] = {"DEL", key};
        redisReply *r;
        token_key(key, req->token);
        /* a session that may still exist is not reported as logged out */
        r = cc_redis_command(s->redis, 2, argv, NULL);
        st = answered(r, REDIS_REPLY_INTEGER);
        freeReplyObject(r);
    }
    if (st == CC_OK)
        st = set_status(s, id, CC__STAFF_STATUS__STAFF_STATUS_OFFLINE, false, "logout", &sr, &p,
                        &act, &keep);
    if (st != CC_OK) {
        error_reply(&err, st, st == CC_ERR_DENIED ? "invalid or expired token" : "try again");
        rep.error = &err;
    }
    cc_bus_reply(bus, m, &rep.base);
    freeReplyObject(keep);
}

static void on_status(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                      void *arg)
{
    Cc__SetStatusRequest *req = (Cc__SetStatusRequest *)pb;
    Cc__SetStatusReply rep = CC__SET_STATUS_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;
    Cc__StaffPresence p;
    Cc__StaffActivity act;
    redisReply *keep = NULL;
    cc_status st = CC_ERR_INVALID;

    if (req->staff_id[0] == '\0' || req->status == CC__STAFF_STATUS__STAFF_STATUS_UNSPECIFIED) {
        error_reply(&err, st, "staff_id and status are required");
    } else {
        /* a manual change also proves the console is alive */
        st = set_status(arg, req->staff_id, req->status, true, "status", &rep, &p, &act, &keep);
        if (st != CC_OK)
            error_reply(&err, st, "try again");
    }
    if (st != CC_OK)
        rep.error = &err;
    cc_bus_reply(bus, m, &rep.base);
    freeReplyObject(keep);
}

static void reply_presence(struct staff *s, const struct cc_bus_msg *m, const char *sid,
                           redisReply *r)
{
    Cc__SetStatusReply rep = CC__SET_STATUS_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;
    Cc__StaffPresence p;
    Cc__StaffActivity act;

    if (answered(r, REDIS_REPLY_ARRAY) != CC_OK) {
        error_reply(&err, CC_ERR_UNAVAILABLE, "try again");
        rep.error = &err;
    } else {
        presence_from(&p, &act, sid, r, cc_wall_ms(), (int64_t)s->cfg->heartbeat_timeout_s * 1000);
        rep.presence = &p;
    }
    cc_bus_reply(s->bus, m, &rep.base);
}

static void on_heartbeat(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                         void *arg)
{
    struct staff *s = arg;
    Cc__HeartbeatRequest *req = (Cc__HeartbeatRequest *)pb;
    redisReply *r;
    (void)bus;

    r = presence_script(s, s->heartbeat_script, req->staff_id, NULL, 0);
    reply_presence(s, m, req->staff_id, r);
    freeReplyObject(r);
}

static void on_get(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb, void *arg)
{
    struct staff *s = arg;
    Cc__GetPresenceRequest *req = (Cc__GetPresenceRequest *)pb;
    char key[128];
    const char *argv[2] = {"HGETALL", key};
    redisReply *r;
    (void)bus;

    snprintf(key, sizeof(key), "cc:presence:%s", req->staff_id);
    r = cc_redis_command(s->redis, 2, argv, NULL);
    reply_presence(s, m, req->staff_id, r);
    freeReplyObject(r);
}

static void on_activity(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                        void *arg)
{
    struct staff *s = arg;
    Cc__SetActivityRequest *req = (Cc__SetActivityRequest *)pb;
    const char *extra[3] = {req->outbound_call ? "1" : "0", req->call_id, req->reason};
    redisReply *r;
    (void)bus;

    r = presence_script(s, s->outbound_script, req->staff_id, extra, 3);
    if (answered(r, REDIS_REPLY_ARRAY) == CC_OK && r->elements == 2 &&
        strcmp(cc_step_str(r, 0), "refused") == 0) {
        /* the staff member cannot make that change now (lua/activity.lua) */
        Cc__SetStatusReply rep = CC__SET_STATUS_REPLY__INIT;
        Cc__Error err = CC__ERROR__INIT;
        error_reply(&err, CC_ERR_CONFLICT, cc_step_str(r, 1));
        err.field = "outbound_call";
        rep.error = &err;
        cc_bus_reply(s->bus, m, &rep.base);
    } else {
        reply_presence(s, m, req->staff_id, r);
    }
    freeReplyObject(r);
}

/* How many live sessions a staff member has (lua/sessions.lua): a gateway
 * asks after a NATS reconnect, for the consoles it holds. */
static void on_sessions(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                        void *arg)
{
    struct staff *s = arg;
    Cc__SessionsRequest *req = (Cc__SessionsRequest *)pb;
    Cc__SessionsReply rep = CC__SESSIONS_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;
    const char *args[1] = {req->staff_id};
    redisReply *r = NULL;

    if (req->staff_id[0] == '\0') {
        error_reply(&err, CC_ERR_INVALID, "staff_id is required");
        rep.error = &err;
    } else {
        (void)cc_step_call(&s->frame, s->sessions_script, NULL, 1, args, NULL, &r);
        if (answered(r, REDIS_REPLY_INTEGER) == CC_OK) {
            rep.live = (int32_t)r->integer;
        } else {
            error_reply(&err, CC_ERR_UNAVAILABLE, "try again");
            rep.error = &err;
        }
    }
    cc_bus_reply(bus, m, &rep.base);
    freeReplyObject(r);
}

/* ---- sweep ---------------------------------------------------------------- */

/* CC_OK when the sweep ran (whether or not it took anyone offline); else why
 * not, with Redis's error text (if any) in why. */
static cc_status sweep_once(struct staff *s, char *why, size_t whylen)
{
    char cutoff[24];
    const char *args[1] = {cutoff};
    redisReply *r = NULL;

    snprintf(cutoff, sizeof(cutoff), "%lld",
             (long long)(cc_wall_ms() - (int64_t)s->cfg->heartbeat_timeout_s * 1000));
    (void)cc_step_call(&s->frame, s->sweep_script, NULL, 1, args, NULL, &r);
    if (answered(r, REDIS_REPLY_ARRAY) != CC_OK) {
        snprintf(why, whylen, "%s",
                 r == NULL                      ? "no answer"
                 : r->type == REDIS_REPLY_ERROR ? r->str
                                                : "unexpected reply");
        freeReplyObject(r);
        return CC_ERR_UNAVAILABLE;
    }
    /* their presence.changed facts went into the outbox with the change */
    for (size_t i = 0; i < r->elements; i++)
        cc_log(CC_LOG_INFO, "no heartbeat: staff now offline", "staff_id", r->element[i]->str, NULL);
    freeReplyObject(r);
    return CC_OK;
}

static void *sweeper(void *arg)
{
    struct staff *s = arg;
    bool failing = false; /* log when the sweep starts and stops failing, not every second */

    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        struct timespec until;
        char why[160] = "";
        cc_status st;
        pthread_mutex_unlock(&s->lock);
        st = sweep_once(s, why, sizeof(why));
        if (st != CC_OK && !failing)
            cc_log(CC_LOG_WARN, "sweep failed, Redis unavailable; retrying every second", "error",
                   why, NULL);
        else if (st == CC_OK && failing)
            cc_log(CC_LOG_INFO, "sweep running again", NULL);
        failing = st != CC_OK;
        pthread_mutex_lock(&s->lock);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)SWEEP_EVERY_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* ---- life cycle -------------------------------------------------------------- */

/* The hash an unknown email is checked against: of a random password no
 * one knows, with the parameters of every new hash, so it costs the same. */
static cc_status make_dummy(struct password_stored *dummy, char *err, size_t errlen)
{
    unsigned char raw[24];
    char pw[2 * sizeof(raw) + 1], hash[PASSWORD_HASH_MAX];

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        snprintf(err, errlen, "no random bytes for the dummy password hash");
        return CC_ERR_IO;
    }
    for (size_t i = 0; i < sizeof(raw); i++)
        sprintf(pw + 2 * i, "%02x", raw[i]);
    if (password_hash(hash, pw) != CC_OK || !password_parse(dummy, hash, strlen(hash))) {
        snprintf(err, errlen, "cannot make the dummy password hash (argon2id)");
        return CC_ERR_IO;
    }
    OPENSSL_cleanse(pw, sizeof(pw));
    return CC_OK;
}

cc_status staff_start(struct staff **sp, struct cc_bus *bus, struct cc_redis *redis,
                      struct dir_store *dir, const struct cc_config *cfg, char *err, size_t errlen)
{
    struct staff *s = calloc(1, sizeof(*s));
    cc_status st;

    *sp = NULL;
    if (s == NULL)
        return CC_ERR_NOMEM;
    s->bus = bus;
    s->redis = redis;
    s->dir = dir;
    s->cfg = cfg;
    cc_step_frame_init(&s->frame, redis, cfg->service, cfg->idempotency_ttl_s, cfg->outbox_max);
    st = cc_redis_script_add(redis, presence_lua_status, &s->status_script, err, errlen);
    if (st == CC_OK)
        st = cc_redis_script_add(redis, presence_lua_heartbeat, &s->heartbeat_script, err, errlen);
    if (st == CC_OK)
        st = cc_redis_script_add(redis, presence_lua_sweep, &s->sweep_script, err, errlen);
    if (st == CC_OK)
        st = cc_redis_script_add(redis, presence_lua_session, &s->session_script, err, errlen);
    if (st == CC_OK)
        st = cc_redis_script_add(redis, presence_lua_activity, &s->outbound_script, err, errlen);
    if (st == CC_OK)
        st = cc_redis_script_add(redis, presence_lua_sessions, &s->sessions_script, err, errlen);
    if (st == CC_OK)
        st = cc_events_ensure(bus, cfg, err, errlen);
    if (st == CC_OK)
        st = make_dummy(&s->dummy, err, errlen);
    if (st == CC_OK)
        st = workers_start(&s->workers, cfg->password_workers, err, errlen);
    if (st == CC_OK) {
        struct scratch *sc = calloc(1, sizeof(*sc));
        if (sc == NULL) {
            st = CC_ERR_NOMEM;
        } else {
            sc->stale_ms = (int64_t)cfg->heartbeat_timeout_s * 1000;
            s->builder = (struct cc_outbox_builder){.build = build, .clear = clear, .arg = sc};
            st = cc_outbox_start(&s->outbox, cfg, bus, &s->builder, err, errlen);
        }
    }
    if (st != CC_OK) {
        workers_free(s->workers);
        free(s->builder.arg);
        free(s);
        return st;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    if (pthread_create(&s->sweeper, NULL, sweeper, s) != 0) {
        pthread_cond_destroy(&s->wake);
        pthread_mutex_destroy(&s->lock);
        workers_free(s->workers);
        cc_outbox_stop(s->outbox);
        cc_outbox_free(s->outbox);
        free(s->builder.arg);
        free(s);
        return CC_ERR_IO;
    }
    *sp = s;
    return CC_OK;
}

cc_status staff_serve(struct staff *s)
{
    static const struct {
        const char *subject;
        const ProtobufCMessageDescriptor *desc;
        cc_bus_pb_fn fn;
    } subs[] = {
        {"cc.presence.login", &cc__login_request__descriptor, on_login},
        {"cc.presence.auth", &cc__auth_request__descriptor, on_auth},
        {"cc.presence.logout", &cc__logout_request__descriptor, on_logout},
        {"cc.presence.status", &cc__set_status_request__descriptor, on_status},
        {"cc.presence.heartbeat", &cc__heartbeat_request__descriptor, on_heartbeat},
        {"cc.presence.get", &cc__get_presence_request__descriptor, on_get},
        {"cc.presence.activity", &cc__set_activity_request__descriptor, on_activity},
        {"cc.presence.sessions", &cc__sessions_request__descriptor, on_sessions},
    };
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        cc_status st =
            cc_bus_subscribe_pb(s->bus, subs[i].subject, "presence", subs[i].desc, subs[i].fn, s);
        if (st != CC_OK)
            return st;
    }
    return CC_OK;
}

void staff_stop(struct staff *s)
{
    if (s == NULL || s->stopping)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->sweeper, NULL);
    /* the logins already queued run and answer (the bus is still up);
     * one that arrives later is answered "unavailable" */
    workers_stop(s->workers);
    cc_outbox_stop(s->outbox);
}

void staff_free(struct staff *s)
{
    if (s == NULL)
        return;
    staff_stop(s);
    workers_free(s->workers);
    cc_outbox_free(s->outbox);
    free(s->builder.arg);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
