/* cc_bus: protobuf over NATS. See cc_bus.h. */
#include "cc_bus.h"
#include "cc_log.h"
#include "cc_retry.h"
#include "cc_time.h"
#include "cc_url.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sub {
    struct cc_bus *bus;
    natsSubscription *ns;
    cc_bus_fn fn;
    cc_bus_pb_fn pb_fn;
    const ProtobufCMessageDescriptor *desc;
    void *arg;
};

struct cc_bus {
    natsConnection *nc;
    jsCtx *js;
    char inbox_prefix[80]; /* "_INBOX", or "_INBOX.<user>" with a NATS user */
    pthread_mutex_t lock; /* guards nsubs and subs[] growth, and the hook */
    void (*on_reconnect)(void *arg);
    void *on_reconnect_arg;
    size_t nsubs;
    struct sub subs[CC_BUS_MAX_SUBS];
};

cc_status cc_bus_status(natsStatus s)
{
    switch (s) {
    case NATS_OK:
        return CC_OK;
    case NATS_TIMEOUT:
        return CC_ERR_TIMEOUT;
    case NATS_NO_SERVER:
    case NATS_CONNECTION_CLOSED:
    case NATS_NO_RESPONDERS:
    case NATS_NOT_YET_CONNECTED:
    case NATS_CONNECTION_DISCONNECTED:
        return CC_ERR_UNAVAILABLE;
    case NATS_NO_MEMORY:
        return CC_ERR_NOMEM;
    case NATS_INVALID_ARG:
    case NATS_INVALID_SUBJECT:
    case NATS_MAX_PAYLOAD:
        return CC_ERR_INVALID;
    default:
        return CC_ERR_NATS;
    }
}

static void on_disconnected(natsConnection *nc, void *closure)
{
    (void)closure;
    if (natsConnection_IsDraining(nc) || natsConnection_IsClosed(nc))
        return; /* our own drain or close, not an outage */
    cc_log(CC_LOG_WARN, "disconnected from NATS, reconnecting", NULL);
}

static void on_reconnected(natsConnection *nc, void *closure)
{
    struct cc_bus *b = closure;
    void (*fn)(void *);
    void *arg;
    char url[256] = "", shown[256];

    natsConnection_GetConnectedUrl(nc, url, sizeof(url));
    cc_url_redact(shown, sizeof(shown), url, strlen(url));
    cc_log(CC_LOG_INFO, "reconnected to NATS", "url", shown, NULL);
    pthread_mutex_lock(&b->lock);
    fn = b->on_reconnect;
    arg = b->on_reconnect_arg;
    pthread_mutex_unlock(&b->lock);
    if (fn != NULL)
        fn(arg);
}

void cc_bus_on_reconnect(struct cc_bus *b, void (*fn)(void *arg), void *arg)
{
    pthread_mutex_lock(&b->lock);
    b->on_reconnect = fn;
    b->on_reconnect_arg = arg;
    pthread_mutex_unlock(&b->lock);
}

/* A permissions violation (a subject missing from this service's NATS user,
 * deploy/nats/nats.conf.in) arrives here, with the subject in its text. */
static void on_async_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
    const char *text = NULL;
    (void)sub;
    (void)closure;
    natsConnection_GetLastError(nc, &text);
    cc_log(CC_LOG_WARN, "NATS asynchronous error", "error", natsStatus_GetText(err), "detail",
           text != NULL ? text : "", NULL);
}

struct connect_try {
    struct cc_bus *b;
    natsOptions *opts;
    const char *url;  /* redacted: it is quoted in errors */
    const char *user; /* "" when none */
};

/* A server that is down or refusing is worth retrying; a bad option is not,
 * nor are refused credentials (a setting to fix: CC_ERR_CONFIG). */
static cc_status try_connect(void *arg, char *err, size_t errlen)
{
    struct connect_try *t = arg;
    natsStatus s = natsConnection_Connect(&t->b->nc, t->opts);

    if (s == NATS_OK)
        return CC_OK;
    if (s == NATS_CONNECTION_AUTH_FAILED) {
        if (t->user[0] == '\0')
            snprintf(err, errlen,
                     "NATS at %s requires a login: set CC_NATS_USER and CC_NATS_PASSWORD(_FILE) "
                     "(%s)",
                     t->url, natsStatus_GetText(s));
        else
            snprintf(err, errlen,
                     "NATS at %s refused the credentials of user \"%s\": %s (see CC_NATS_USER, "
                     "CC_NATS_PASSWORD(_FILE))",
                     t->url, t->user, natsStatus_GetText(s));
        return CC_ERR_CONFIG;
    }
    snprintf(err, errlen, "cannot connect to NATS at %s: %s", t->url, natsStatus_GetText(s));
    if (s == NATS_NO_SERVER || s == NATS_TIMEOUT || s == NATS_IO_ERROR ||
        s == NATS_CONNECTION_CLOSED)
        return CC_ERR_UNAVAILABLE;
    return cc_bus_status(s);
}

/* With a user: its password, and inboxes under _INBOX.<user>, so that its
 * NATS permissions can let it (and only it) read its replies. */
static natsStatus set_credentials(struct cc_bus *b, natsOptions *opts, const struct cc_config *cfg)
{
    natsStatus s = NATS_OK;

    snprintf(b->inbox_prefix, sizeof(b->inbox_prefix), "_INBOX");
    if (cfg->nats_user[0] == '\0' || cfg->nats_password[0] == '\0')
        return NATS_OK;
    snprintf(b->inbox_prefix, sizeof(b->inbox_prefix), "_INBOX.%s", cfg->nats_user);
    s = natsOptions_SetUserInfo(opts, cfg->nats_user, cfg->nats_password);
    if (s == NATS_OK)
        s = natsOptions_SetCustomInboxPrefix(opts, b->inbox_prefix);
    return s;
}


cc_status cc_bus_connect(struct cc_bus **bp, const struct cc_config *cfg, char *err, size_t errlen)
{
    struct cc_bus *b = NULL;
    natsOptions *opts = NULL;
    natsStatus s;
    cc_status st = CC_ERR_NOMEM;

    *bp = NULL;
    b = calloc(1, sizeof(*b));
    if (b == NULL)
        goto out;
    pthread_mutex_init(&b->lock, NULL);

    s = natsOptions_Create(&opts);
    if (s == NATS_OK)
        s = natsOptions_SetServers(opts, (const char *[]){cfg->nats_url}, 1);
    if (s == NATS_OK)
        s = natsOptions_SetName(opts, cfg->instance);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(opts, 2000);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(opts, -1);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(opts, 500);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectBufSize(opts, 8 * 1024 * 1024);
    if (s == NATS_OK)
        s = natsOptions_SetDisconnectedCB(opts, on_disconnected, NULL);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectedCB(opts, on_reconnected, b);
    if (s == NATS_OK)
        s = natsOptions_SetErrorHandler(opts, on_async_error, NULL);
    if (s == NATS_OK)
        s = set_credentials(b, opts, cfg);
    if (s != NATS_OK) {
        snprintf(err, errlen, "NATS options: %s", natsStatus_GetText(s));
        st = cc_bus_status(s);
        goto out;
    }

    {
        char shown[512];
        struct connect_try t = {.b = b, .opts = opts, .url = shown, .user = cfg->nats_user};
        cc_url_redact(shown, sizeof(shown), cfg->nats_url, strlen(cfg->nats_url));
        st = cc_retry(try_connect, &t, cfg->connect_timeout_ms, "NATS",
                      "CC_NATS_URL, CC_CONNECT_TIMEOUT_MS", err, errlen);
        if (st != CC_OK)
            goto out;
    }

    s = natsConnection_JetStream(&b->js, b->nc, NULL);
    if (s != NATS_OK) {
        snprintf(err, errlen, "JetStream context: %s", natsStatus_GetText(s));
        st = cc_bus_status(s);
        goto out;
    }
    st = CC_OK;
    *bp = b;
    b = NULL;
out:
    natsOptions_Destroy(opts);
    cc_bus_free(b);
    return st;
}

cc_status cc_bus_drain(struct cc_bus *b, int timeout_ms)
{
    int64_t until;
    natsStatus s;

    if (b == NULL || b->nc == NULL)
        return CC_OK;
    s = natsConnection_DrainTimeout(b->nc, timeout_ms);
    if (s != NATS_OK) {
        natsConnection_Close(b->nc);
        return cc_bus_status(s);
    }
    /* Drain is asynchronous; it closes the connection when done. */
    until = cc_mono_ms() + timeout_ms + 500;
    while (!natsConnection_IsClosed(b->nc) && cc_mono_ms() < until)
        cc_sleep_ms(10);
    if (!natsConnection_IsClosed(b->nc)) {
        natsConnection_Close(b->nc);
        return CC_ERR_TIMEOUT;
    }
    return CC_OK;
}

void cc_bus_free(struct cc_bus *b)
{
    if (b == NULL)
        return;
    if (b->nc != NULL)
        natsConnection_Close(b->nc);
    for (size_t i = 0; i < b->nsubs; i++)
        natsSubscription_Destroy(b->subs[i].ns);
    jsCtx_Destroy(b->js);
    natsConnection_Destroy(b->nc);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

static void on_msg(natsConnection *nc, natsSubscription *ns, natsMsg *msg, void *closure)
{
    struct sub *sub = closure;
    struct cc_bus_msg m = {
        .subject = natsMsg_GetSubject(msg),
        .reply = natsMsg_GetReply(msg),
        .data = (const uint8_t *)natsMsg_GetData(msg),
        .len = (size_t)natsMsg_GetDataLength(msg),
    };
    (void)nc;
    (void)ns;

    if (m.reply != NULL && m.reply[0] == '\0')
        m.reply = NULL;
    if (sub->desc == NULL) {
        sub->fn(sub->bus, &m, sub->arg);
    } else {
        ProtobufCMessage *pb = protobuf_c_message_unpack(sub->desc, NULL, m.len, m.data);
        if (pb == NULL) {
            char n[24];
            snprintf(n, sizeof(n), "%zu", m.len);
            cc_log(CC_LOG_WARN, "malformed protobuf dropped", "subject", m.subject, "expected",
                   sub->desc->name, "bytes", n, NULL);
        } else {
            sub->pb_fn(sub->bus, &m, pb, sub->arg);
            protobuf_c_message_free_unpacked(pb, NULL);
        }
    }
    natsMsg_Destroy(msg);
}

static cc_status add_sub(struct cc_bus *b, const char *subject, const char *queue, cc_bus_fn fn,
                         cc_bus_pb_fn pb_fn, const ProtobufCMessageDescriptor *desc, void *arg)
{
    struct sub *sub;
    natsStatus s;

    pthread_mutex_lock(&b->lock);
    if (b->nsubs >= CC_BUS_MAX_SUBS) {
        pthread_mutex_unlock(&b->lock);
        return CC_ERR_LIMIT;
    }
    sub = &b->subs[b->nsubs];
    *sub = (struct sub){.bus = b, .fn = fn, .pb_fn = pb_fn, .desc = desc, .arg = arg};
    if (queue != NULL)
        s = natsConnection_QueueSubscribe(&sub->ns, b->nc, subject, queue, on_msg, sub);
    else
        s = natsConnection_Subscribe(&sub->ns, b->nc, subject, on_msg, sub);
    if (s == NATS_OK)
        b->nsubs++;
    pthread_mutex_unlock(&b->lock);
    if (s == NATS_OK)
        s = natsConnection_Flush(b->nc); /* the server knows the interest on return */
    return cc_bus_status(s);
}

cc_status cc_bus_subscribe(struct cc_bus *b, const char *subject, const char *queue, cc_bus_fn fn,
                           void *arg)
{
    return add_sub(b, subject, queue, fn, NULL, NULL, arg);
}

cc_status cc_bus_subscribe_pb(struct cc_bus *b, const char *subject, const char *queue,
                              const ProtobufCMessageDescriptor *desc, cc_bus_pb_fn fn, void *arg)
{
    return add_sub(b, subject, queue, NULL, fn, desc, arg);
}

/* Packs pb into a heap buffer; small messages are the norm, so no pooling. */
static cc_status pack(const ProtobufCMessage *pb, uint8_t **out, size_t *len)
{
    size_t n = protobuf_c_message_get_packed_size(pb);
    if (n > CC_BUS_MAX_MSG)
        return CC_ERR_LIMIT;
    *out = malloc(n > 0 ? n : 1);
    if (*out == NULL)
        return CC_ERR_NOMEM;
    *len = protobuf_c_message_pack(pb, *out);
    return CC_OK;
}

static cc_status publish_to(struct cc_bus *b, const char *subject, const char *reply,
                            const ProtobufCMessage *pb)
{
    uint8_t *buf;
    size_t len;
    cc_status st = pack(pb, &buf, &len);
    natsStatus s;

    if (st != CC_OK)
        return st;
    if (reply != NULL)
        s = natsConnection_PublishRequest(b->nc, subject, reply, buf, (int)len);
    else
        s = natsConnection_Publish(b->nc, subject, buf, (int)len);
    free(buf);
    return cc_bus_status(s);
}

cc_status cc_bus_publish(struct cc_bus *b, const char *subject, const ProtobufCMessage *pb)
{
    return publish_to(b, subject, NULL, pb);
}

cc_status cc_bus_reply(struct cc_bus *b, const struct cc_bus_msg *m, const ProtobufCMessage *pb)
{
    if (m->reply == NULL)
        return CC_OK;
    return publish_to(b, m->reply, NULL, pb);
}

cc_status cc_bus_request(struct cc_bus *b, const char *subject, const ProtobufCMessage *req,
                         const ProtobufCMessageDescriptor *desc, int timeout_ms,
                         ProtobufCMessage **out)
{
    uint8_t *buf;
    size_t len;
    natsMsg *reply = NULL;
    natsStatus s;
    cc_status st = pack(req, &buf, &len);

    *out = NULL;
    if (st != CC_OK)
        return st;
    s = natsConnection_Request(&reply, b->nc, subject, buf, (int)len, timeout_ms);
    free(buf);
    if (s != NATS_OK)
        return cc_bus_status(s);
    *out = protobuf_c_message_unpack(desc, NULL, (size_t)natsMsg_GetDataLength(reply),
                                     (const uint8_t *)natsMsg_GetData(reply));
    natsMsg_Destroy(reply);
    return *out != NULL ? CC_OK : CC_ERR_PROTO;
}

cc_status cc_bus_gather(struct cc_bus *b, const char *const *subjects, size_t n,
                        const ProtobufCMessage *req, int timeout_ms, cc_bus_fn fn, void *arg)
{
    natsInbox *unique = NULL;
    natsSubscription *sub = NULL;
    natsStatus s;
    cc_status st;
    int64_t until;
    char inbox[160];

    /* natsInbox_Create ignores the custom prefix: "_INBOX.<nuid>" becomes
     * "<our prefix>.<nuid>", an inbox our NATS user may subscribe to */
    s = natsInbox_Create(&unique);
    if (s == NATS_OK) {
        const char *nuid = strrchr(unique, '.');
        snprintf(inbox, sizeof(inbox), "%s%s", b->inbox_prefix, nuid != NULL ? nuid : ".x");
        s = natsConnection_SubscribeSync(&sub, b->nc, inbox);
    }
    if (s != NATS_OK) {
        st = cc_bus_status(s);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        st = publish_to(b, subjects[i], inbox, req);
        if (st != CC_OK)
            goto out;
    }
    natsConnection_Flush(b->nc);
    until = cc_mono_ms() + timeout_ms;
    for (;;) {
        natsMsg *msg = NULL;
        int64_t left = until - cc_mono_ms();
        if (left <= 0)
            break;
        s = natsSubscription_NextMsg(&msg, sub, left);
        if (s == NATS_TIMEOUT)
            break;
        if (s == NATS_NO_RESPONDERS) /* one subject had no subscriber: others may */
            continue;
        if (s != NATS_OK) {
            st = cc_bus_status(s);
            goto out;
        }
        if (!natsMsg_IsNoResponders(msg)) {
            struct cc_bus_msg m = {
                .subject = natsMsg_GetSubject(msg),
                .reply = NULL,
                .data = (const uint8_t *)natsMsg_GetData(msg),
                .len = (size_t)natsMsg_GetDataLength(msg),
            };
            fn(b, &m, arg);
        }
        natsMsg_Destroy(msg);
    }
    st = CC_OK;
out:
    if (sub != NULL) {
        natsSubscription_Unsubscribe(sub);
        natsSubscription_Destroy(sub);
    }
    natsInbox_Destroy(unique);
    return st;
}

cc_status cc_bus_stream_ensure(struct cc_bus *b, const char *name, const char *const *subjects,
                               size_t n, const struct cc_bus_stream_limits *lim,
                               int64_t *held_max_bytes, char *err, size_t errlen)
{
    jsStreamConfig sc;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s;

    jsStreamConfig_Init(&sc);
    sc.Name = name;
    sc.Subjects = (const char **)subjects;
    sc.SubjectsLen = (int)n;
    sc.Storage = js_FileStorage;
    sc.MaxAge = lim->max_age_ms * 1000000; /* nanoseconds */
    sc.MaxBytes = lim->max_bytes > 0 ? lim->max_bytes : -1;
    sc.Discard = lim->discard_new ? js_DiscardNew : js_DiscardOld;
    sc.Duplicates = 10LL * 60 * 1000000000; /* dedupe window for Nats-Msg-Id: 10 min */

    /* Create; "exists" (with another configuration) means update. An
     * identical stream is not an error. */
    s = js_AddStream(&si, b->js, &sc, NULL, &jerr);
    if (s != NATS_OK && jerr == JSStreamNameExistErr) {
        jsStreamInfo_Destroy(si);
        si = NULL;
        jerr = 0;
        s = js_GetStreamInfo(&si, b->js, name, NULL, &jerr);
        /* Lowering MaxBytes below the contents makes JetStream delete the
         * oldest messages at once, discard-new or not; they may be events
         * calllog has not stored. Keep the stream's own limit instead. */
        if (s == NATS_OK && sc.MaxBytes > 0 && si->State.Bytes > (uint64_t)sc.MaxBytes)
            sc.MaxBytes = si->Config->MaxBytes;
        jsStreamInfo_Destroy(si);
        si = NULL;
        if (s == NATS_OK)
            s = js_UpdateStream(&si, b->js, &sc, NULL, &jerr);
    }
    jsStreamInfo_Destroy(si);
    if (s != NATS_OK) {
        snprintf(err, errlen, "JetStream stream %s: %s (code %d; is nats-server started with -js?)",
                 name, natsStatus_GetText(s), (int)jerr);
        return cc_bus_status(s);
    }
    if (held_max_bytes != NULL)
        *held_max_bytes = sc.MaxBytes;
    return CC_OK;
}

bool cc_bus_js_full(jsErrCode code, const char *text)
{
    /* 10077 is JetStream's "storing failed"; its text tells a limit of the
     * stream ("maximum bytes exceeded", "maximum messages exceeded", "maximum
     * messages per subject exceeded") from a broken store. */
    if (code == JSStreamStoreFailedErr)
        return text != NULL && strstr(text, "maximum") != NULL && strstr(text, "exceeded") != NULL;
    return code == JSStorageResourcesExceededErr;
}

natsConnection *cc_bus_nats(struct cc_bus *b)
{
    return b->nc;
}

jsCtx *cc_bus_js(struct cc_bus *b)
{
    return b->js;
}

