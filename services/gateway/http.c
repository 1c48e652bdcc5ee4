/* http: libmicrohttpd server, routing and reply helpers. See http.h. */
#include "http.h"
#include "cc_log.h"
#include "cc_time.h"
#include "deadline.h"
#include "pool.h"
#include "routes.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#define REFUSED_LOG_EVERY_MS 1000

struct gw_http {
    struct MHD_Daemon *d;
    struct gw_ctx *ctx;
    struct gw_pool *pool;
    struct gw_deadline *deadline;
    atomic_long refused;         /* connections refused at a limit since the last report */
    atomic_llong refused_log_ms; /* when they were last reported */
};

void gw_reply_json(struct gw_reply *r, int status, const char *text)
{
    r->status = status;
    r->content_type = "application/json";
    free(r->body);
    r->body = strdup(text);
    r->len = r->body != NULL ? strlen(r->body) : 0;
}

void gw_reply_error(struct gw_reply *r, int status, const char *code, const char *message,
                    const char *field)
{
    json_t *j = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
    if (j != NULL && field != NULL && field[0] != '\0')
        json_object_set_new(json_object_get(j, "error"), "field", json_string(field));
    char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    gw_reply_json(r, status, text != NULL ? text : "{\"error\":{\"code\":\"internal\"}}");
    free(text);
    json_decref(j);
}

/*
 * Per-request state. Who may touch it: the MHD thread of the connection,
 * except while the connection is suspended (phase RUNNING), when the one
 * worker running its handler owns it. The worker hands it back by
 * resuming the connection and must not touch it after that call: MHD may
 * then send the reply and free the state (on_completed) at once.
 */
enum phase {
    COLLECTING, /* headers and body arriving */
    RUNNING,    /* suspended; a worker runs the handler */
    DONE,       /* the worker filled reply; send it on the next call */
};

struct conn {
    struct gw_conn_tag tag; /* first: the upgrade callback reads it (http.h) */
    struct gw_job job;      /* how the request goes to the pool */
    struct gw_http *h;
    struct MHD_Connection *mc;
    char *body;
    size_t len;
    bool too_large;
    enum phase phase;
    struct gw_route_match route;
    struct gw_request req;
    struct gw_reply reply;
};

/* Frees what a reply holds that was never sent. */
static void reply_discard(struct gw_reply *r)
{
    free(r->body);
    r->body = NULL;
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    if (r->response != NULL)
        MHD_destroy_response(r->response);
    r->response = NULL;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode toe)
{
    struct conn *st = *state;
    (void)cls;
    (void)toe;
    gw_deadline_next(c, false); /* the next request on this connection: from now */
    if (st != NULL) {
        reply_discard(&st->reply); /* the client went before its reply */
        free(st->body);
        free(st);
        *state = NULL;
    }
}

/* Worker thread: runs the handler, then hands the state back (see struct conn). */
static void run_job(struct gw_job *job)
{
    struct conn *st = (struct conn *)((char *)job - offsetof(struct conn, job));
    struct MHD_Connection *mc = st->mc;

    st->route.fn(st->h->ctx, &st->req, &st->reply);
    st->phase = DONE;
    MHD_resume_connection(mc); /* st is MHD's again from here */
}

static const char *bearer_of(struct MHD_Connection *conn)
{
    const char *h =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return *h != '\0' ? h : NULL;
}

/* Tells the client how long an idle kept-alive connection lasts here
 * (CC_HTTP_TIMEOUT_S): a client that honours it (browsers, Node's agent)
 * stops reusing the connection before the gateway closes it, rather than
 * sending a request into a socket being closed. */
static void keep_alive_hint(struct gw_http *h, struct MHD_Response *resp)
{
    char v[32];
    snprintf(v, sizeof(v), "timeout=%d", h->ctx->cfg->http_timeout_s);
    MHD_add_response_header(resp, "Keep-Alive", v);
}

static enum MHD_Result send_reply(struct gw_http *h, struct MHD_Connection *conn,
                                  struct gw_reply *r)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;

    if (r->response != NULL) {
        free(r->body);
        r->body = NULL;
        gw_deadline_next(conn, r->status == MHD_HTTP_SWITCHING_PROTOCOLS); /* a WebSocket */
        ret = MHD_queue_response(conn, (unsigned)r->status, r->response);
        MHD_destroy_response(r->response);
        r->response = NULL;
        return ret;
    }
    if (r->fd >= 0)
        resp = MHD_create_response_from_fd(r->fd_size, r->fd);
    else
        resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        reply_discard(r);
        return MHD_NO;
    }
    r->body = NULL; /* the response owns them now */
    r->fd = -1;
    if (r->content_type != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    keep_alive_hint(h, resp);
    if (r->retry_after_s > 0) {
        char secs[16];
        snprintf(secs, sizeof(secs), "%d", r->retry_after_s);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
    }
    ret = MHD_queue_response(conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **state)
{
    struct gw_http *h = cls;
    struct gw_reply r = {.status = 500, .fd = -1};
    struct conn *st = *state;
    (void)version;

    /* MHD calls once with the headers, then with each piece of the body,
     * then once more with nothing: the request is handled on that call
     * (and, when a worker ran it, once more after the worker resumed us). */
    if (st == NULL) {
        st = calloc(1, sizeof(*st));
        if (st == NULL)
            return MHD_NO;
        st->reply.fd = -1;
        *state = st;
        return MHD_YES;
    }
    if (st->phase == DONE)
        return send_reply(h, conn, &st->reply);
    if (st->phase == RUNNING)
        return MHD_YES; /* not expected while suspended; wait for the worker */
    if (*upload_size != 0) {
        if (!st->too_large && st->len + *upload_size <= GW_BODY_MAX) {
            char *b = realloc(st->body, st->len + *upload_size + 1);
            if (b == NULL)
                return MHD_NO;
            memcpy(b + st->len, upload_data, *upload_size);
            st->body = b;
            st->len += *upload_size;
            st->body[st->len] = '\0';
        } else {
            st->too_large = true; /* keep reading, answer 413 at the end */
        }
        *upload_size = 0;
        return MHD_YES;
    }
    gw_deadline_arrived(conn); /* the whole request is here */
    if (st->too_large) {
        gw_reply_error(&r, 413, "too_large", "request body is larger than 1 MiB", NULL);
        return send_reply(h, conn, &r);
    }
    gw_route_find(method, url, &st->route);
    st->req = (struct gw_request){
        .method = method,
        .path = url,
        .param = st->route.param[0] != '\0' ? st->route.param : NULL,
        .body = st->body != NULL ? st->body : "",
        .len = st->len,
        .bearer = bearer_of(conn),
        .conn = conn,
        .tag = &st->tag,
    };
    if (!st->route.uses_bus) {
        st->route.fn(h->ctx, &st->req, &r);
        return send_reply(h, conn, &r);
    }
    /* to a worker: suspend first, so that the worker's resume always
     * finds a suspended connection */
    st->h = h;
    st->mc = conn;
    st->job.fn = run_job;
    st->reply = (struct gw_reply){.status = 500, .fd = -1};
    st->phase = RUNNING;
    MHD_suspend_connection(conn);
    if (!gw_pool_submit(h->pool, &st->job)) {
        gw_reply_error(&st->reply, 503, "unavailable", "the gateway is stopping", NULL);
        st->phase = DONE;
        MHD_resume_connection(conn);
    }
    return MHD_YES;
}

/* MHD's own messages, as log lines: debug, since most say that a client
 * went away, which is ordinary. A connection refused at a limit (per
 * address, or all of them) is a warning, counted and reported at most once
 * a second: a flood must not flood the log as well. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    static const char limit[] = "Server reached connection limit";
    struct gw_http *h = cls;
    char msg[256];
    size_t n;

    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    if (strncmp(msg, limit, sizeof(limit) - 1) == 0) {
        long long now = cc_mono_ms(), last = atomic_load(&h->refused_log_ms);
        atomic_fetch_add(&h->refused, 1);
        if (now - last >= REFUSED_LOG_EVERY_MS &&
            atomic_compare_exchange_strong(&h->refused_log_ms, &last, now)) {
            char count[24];
            snprintf(count, sizeof(count), "%ld", atomic_exchange(&h->refused, 0));
            cc_log(CC_LOG_WARN,
                   "connections refused: CC_HTTP_PER_IP_MAX or CC_HTTP_MAX_CONN reached", "count",
                   count, NULL);
        }
        return;
    }
    cc_log(CC_LOG_DEBUG, "libmicrohttpd", "detail", msg, NULL);
}

/* Every connection is a descriptor: make room for CC_HTTP_MAX_CONN of
 * them and the process's own (bus, Redis, epoll, files), as far as the
 * hard limit allows. */
static void raise_fd_limit(int max_conn)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)max_conn + 256;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < want) {
        char have[24], need[24];
        snprintf(have, sizeof(have), "%llu", (unsigned long long)rl.rlim_cur);
        snprintf(need, sizeof(need), "%llu", (unsigned long long)want);
        cc_log(CC_LOG_WARN, "open file limit below CC_HTTP_MAX_CONN + 256: connections past it fail",
               "limit", have, "needed", need, NULL);
    }
}

cc_status gw_http_start(struct gw_http **hp, struct gw_ctx *ctx, char *err, size_t errlen)
{
    struct gw_http *h;
    struct sockaddr_storage ss;
    socklen_t sslen;
    cc_status st;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_UPGRADE | MHD_ALLOW_SUSPEND_RESUME;

    memset(&ss, 0, sizeof(ss));
    if (strchr(ctx->cfg->http_addr, ':') != NULL) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)ctx->cfg->http_port);
        if (inet_pton(AF_INET6, ctx->cfg->http_addr, &s6->sin6_addr) != 1)
            goto bad_addr;
        sslen = sizeof(*s6);
        flags |= MHD_USE_IPv6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)ctx->cfg->http_port);
        if (inet_pton(AF_INET, ctx->cfg->http_addr, &s4->sin_addr) != 1)
            goto bad_addr;
        sslen = sizeof(*s4);
    }
    (void)sslen;

    h = calloc(1, sizeof(*h));
    if (h == NULL)
        return CC_ERR_NOMEM;
    h->ctx = ctx;
    raise_fd_limit(ctx->cfg->http_max_conn);
    st = gw_pool_start(&h->pool, GW_WORKERS, err, errlen);
    if (st == CC_OK)
        st = gw_deadline_start(&h->deadline, ctx->cfg->http_timeout_s, err, errlen);
    if (st != CC_OK) {
        gw_pool_stop(h->pool);
        free(h);
        return st;
    }
    /* LISTENING_ADDRESS_REUSE: SO_REUSEPORT, so that the other gateways on
     * this host can bind the same port (only processes of the same user:
     * the kernel's rule); a port held by anything else still fails here.
     * Admission (docs/api.md, "Limits"): CC_HTTP_MAX_CONN connections in
     * all (WebSockets included), CC_HTTP_PER_IP_MAX from one address (0:
     * no limit), closed when idle or when their request is slower than
     * CC_HTTP_TIMEOUT_S (deadline.h). */
    h->d = MHD_start_daemon(
        flags, (uint16_t)ctx->cfg->http_port, NULL, NULL, on_request, h,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h, /* first: it covers what the others log */
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)GW_HTTP_THREADS, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)ctx->cfg->http_timeout_s, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)ctx->cfg->http_max_conn, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)ctx->cfg->http_per_ip_max, MHD_OPTION_NOTIFY_CONNECTION, gw_deadline_notify,
        h->deadline, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, NULL, MHD_OPTION_END);
    if (h->d == NULL) {
        snprintf(err, errlen, "cannot listen on %s:%d (in use? see CC_HTTP_ADDR, CC_HTTP_PORT)",
                 ctx->cfg->http_addr, ctx->cfg->http_port);
        gw_pool_stop(h->pool);
        gw_deadline_stop(h->deadline);
        free(h);
        return CC_ERR_IO;
    }
    *hp = h;
    return CC_OK;
bad_addr:
    snprintf(err, errlen, "CC_HTTP_ADDR=\"%s\" is not an IP address", ctx->cfg->http_addr);
    return CC_ERR_CONFIG;
}

void gw_http_stop(struct gw_http *h)
{
    if (h == NULL)
        return;
    /* Every suspended connection must be resumed before MHD stops: the
     * pool runs what it holds (each job resumes its connection) and takes
     * nothing new, so after this no connection is suspended. */
    gw_pool_stop(h->pool);
    MHD_stop_daemon(h->d);
    gw_deadline_stop(h->deadline); /* MHD said every connection closed */
    free(h);
}
