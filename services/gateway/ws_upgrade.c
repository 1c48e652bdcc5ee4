/*
 * ws_upgrade: GET /api/v1/ws, the WebSocket handshake (ws.h), on a worker
 * thread (it asks presence or the queue who the token is). In order:
 *
 *   400  not a WebSocket (version 13) handshake; a token in the URL
 *        (?token=: proxies log URLs); a malformed Sec-WebSocket-Protocol, or
 *        one that does not offer "cc.v1"
 *   403  an Origin that is neither this site nor in CC_WS_ORIGINS
 *   401  no token, or one presence does not know (staff)
 *   403  a visitor token for another enquiry
 *   429  this staff member or visitor token has as many sockets here as
 *        it may (CC_WS_PER_STAFF_MAX / CC_WS_PER_VISITOR_MAX)
 *   503  this gateway holds as many sockets as it may (gw_ws_max), or queue
 *        or presence does not answer
 *   101  "Sec-WebSocket-Protocol: cc.v1" when the client offered it; the
 *        hub takes the socket (gw_ws_handover)
 */
#include "auth.h"
#include "cc_origin.h"
#include "enquiry.pb-c.h"
#include "errors.h"
#include "handshake.h"
#include "ws.h"

#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static void accept_key(char out[64], const char *key)
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char md[SHA_DIGEST_LENGTH];
    char buf[128];
    snprintf(buf, sizeof(buf), "%s%s", key, guid);
    SHA1((const unsigned char *)buf, strlen(buf), md);
    EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static bool header_has(struct MHD_Connection *c, const char *name, const char *token)
{
    const char *v = header(c, name);
    size_t n = strlen(token);
    for (const char *p = v; p != NULL && *p != '\0'; p++)
        if (strncasecmp(p, token, n) == 0)
            return true;
    return false;
}

/* A browser always sends Origin with a WebSocket handshake: the page that
 * opens the socket must be this site (the Host it asked for) or one of
 * CC_WS_ORIGINS, else any site a staff member visits could use their
 * login. A client without Origin is not a browser page, and its token was
 * not lent to it by a browser. */
static bool origin_ok(struct gw_ctx *ctx, struct MHD_Connection *c)
{
    const char *origin = header(c, "Origin"), *host = header(c, MHD_HTTP_HEADER_HOST);
    const char *allow = ctx->cfg->ws_origins;

    if (origin == NULL)
        return true;
    if (host != NULL && cc_origin_same_host(origin, strlen(origin), host, strlen(host)))
        return true;
    return cc_origin_listed(origin, strlen(origin), allow, strlen(allow));
}

/* The token: the "bearer.<token>" subprotocol, else an Authorization
 * header (clients that can set headers). False with r set when the offer
 * is malformed. */
static bool token_of(const struct gw_request *req, char *tok, size_t len, bool *offered,
                     struct gw_reply *r)
{
    struct MHD_Connection *c = req->conn;
    const char *v = header(c, "Sec-WebSocket-Protocol");
    struct gw_hs_offer o = {0};

    *offered = false;
    tok[0] = '\0';
    if (v != NULL) {
        if (!gw_hs_protocols(v, strlen(v), &o) || !o.protocol) {
            gw_reply_error(r, 400, "invalid",
                           "offer the subprotocols \"cc.v1\" and \"bearer.<token>\"",
                           "Sec-WebSocket-Protocol");
            return false;
        }
        *offered = true;
        if (o.token != NULL && o.token_len < len) {
            memcpy(tok, o.token, o.token_len);
            tok[o.token_len] = '\0';
            return true;
        }
    }
    if (req->bearer != NULL)
        snprintf(tok, len, "%s", req->bearer);
    return true;
}

/* A visitor: the queue checks the token against the enquiry named. */
static bool visitor(struct gw_ctx *ctx, const struct gw_request *req, const char *token,
                    struct gw_reply *r)
{
    const char *eid = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "enquiry");
    Cc__EnquiryActor actor = CC__ENQUIRY_ACTOR__INIT;
    Cc__EnquiryRequest er = CC__ENQUIRY_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    Cc__EnquiryReply *rep;
    bool ok = false;

    if (eid == NULL || strlen(eid) != 36) {
        gw_reply_error(r, 400, "invalid", "a visitor names its enquiry", "enquiry");
        return false;
    }
    actor.visitor_token = (char *)token;
    er.enquiry_id = (char *)eid;
    er.actor = &actor;
    if (!gw_ask(ctx, "queue", "cc.queue.get", &er.base, &cc__enquiry_reply__descriptor, &out, r))
        return false;
    rep = (Cc__EnquiryReply *)out;
    if (gw_error_reply(r, rep->error, "queue")) {
        /* r is the error: another enquiry's token is a 403 */
    } else if (rep->enquiry == NULL || strcmp(rep->enquiry->id, eid) != 0) {
        /* only the enquiry asked for opens the socket */
        gw_error_malformed(r, "queue", "cc.queue.get", "enquiry");
    } else {
        ok = true;
        snprintf(req->tag->ident, sizeof(req->tag->ident), "v:%s", eid);
    }
    protobuf_c_message_free_unpacked(out, NULL);
    return ok;
}

/* The socket limits of this gateway, checked before the 101. */
static bool admitted(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    bool staff = req->tag->ident[0] == 's';
    const char *why = gw_ws_refusal(ctx->ws, staff, req->tag->ident + 2);
    char msg[160];

    if (why == NULL)
        return true;
    if (strcmp(why, "recipient") == 0) {
        snprintf(msg, sizeof(msg), "%s already has %d WebSockets open on this gateway (the most)",
                 staff ? "this staff member" : "this visitor token",
                 staff ? ctx->cfg->ws_per_staff_max : ctx->cfg->ws_per_visitor_max);
        gw_reply_error(r, 429, "limit", msg, NULL);
    } else {
        gw_reply_error(r, 503, "unavailable", "this gateway holds as many WebSockets as it may",
                       NULL);
    }
    return false;
}

void gw_ws_upgrade(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    struct MHD_Connection *c = req->conn;
    const char *key = header(c, "Sec-WebSocket-Key");
    const char *version = header(c, "Sec-WebSocket-Version");
    struct gw_request authreq = *req;
    struct MHD_Response *resp;
    char accept[64], token[GW_HS_TOKEN_MAX + 1];
    bool offered;

    if (!header_has(c, "Upgrade", "websocket") || !header_has(c, "Connection", "upgrade") ||
        key == NULL || strlen(key) > 64 || version == NULL || strcmp(version, "13") != 0) {
        gw_reply_error(r, 400, "invalid", "expected a WebSocket (version 13) handshake", NULL);
        return;
    }
    if (!origin_ok(ctx, c)) {
        gw_reply_error(r, 403, "forbidden",
                       "this Origin may not open a WebSocket here (see CC_WS_ORIGINS)", "Origin");
        return;
    }
    if (MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token") != NULL) {
        gw_reply_error(r, 400, "invalid",
                       "a token does not go in the URL: offer it as the subprotocol "
                       "\"bearer.<token>\" beside \"cc.v1\"",
                       "token");
        return;
    }
    if (!token_of(req, token, sizeof(token), &offered, r))
        return;
    authreq.bearer = token[0] != '\0' ? token : NULL;
    if (strncmp(token, "v-", 2) == 0) {
        if (!visitor(ctx, req, token, r))
            return;
    } else {
        struct gw_staff who;
        if (!gw_auth_staff(ctx, &authreq, r, &who))
            return;
        snprintf(req->tag->ident, sizeof(req->tag->ident), "s:%s", who.id);
    }
    if (!admitted(ctx, req, r))
        return;
    accept_key(accept, key);
    resp = MHD_create_response_for_upgrade(gw_ws_handover, ctx->ws);
    if (resp == NULL) {
        gw_reply_error(r, 500, "internal", "out of memory", NULL);
        return;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "websocket");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "Upgrade");
    MHD_add_response_header(resp, "Sec-WebSocket-Accept", accept);
    if (offered)
        MHD_add_response_header(resp, "Sec-WebSocket-Protocol", GW_HS_PROTOCOL);
    r->status = MHD_HTTP_SWITCHING_PROTOCOLS;
    r->response = resp;
}
