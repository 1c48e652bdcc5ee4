/* directory: JSON <-> DirRequest/DirReply. See directory.h. */
#include "directory.h"
#include "auth.h"
#include "cc_dirreq.h"
#include "cc_pbjson.h"
#include "directory.pb-c.h"
#include "errors.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct kind {
    const char *path;     /* "/api/v1/groups" */
    const char *plural;   /* key of the list reply */
    const char *id_field; /* the item's key field */
    Cc__DirKind kind;
    const ProtobufCMessageDescriptor *desc;
};

static const struct kind kinds[] = {
    {"/api/v1/groups", "groups", "id", CC__DIR_KIND__DIR_KIND_GROUP, &cc__group__descriptor},
    {"/api/v1/staff", "staff", "id", CC__DIR_KIND__DIR_KIND_STAFF, &cc__staff__descriptor},
    {"/api/v1/channels", "channels", "id", CC__DIR_KIND__DIR_KIND_CHANNEL,
     &cc__channel__descriptor},
    {"/api/v1/numbers", "numbers", "e164", CC__DIR_KIND__DIR_KIND_NUMBER,
     &cc__virtual_number__descriptor},
    {"/api/v1/trunks", "trunks", "id", CC__DIR_KIND__DIR_KIND_TRUNK, &cc__dir_trunk__descriptor},
};

static const struct kind *kind_of(const char *path)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        size_t n = strlen(kinds[i].path);
        if (strncmp(path, kinds[i].path, n) == 0 && (path[n] == '\0' || path[n] == '/'))
            return &kinds[i];
    }
    return NULL;
}

/* The items of one kind in a reply, as an array view. */
static ProtobufCMessage **items(const struct kind *k, const Cc__DirReply *rep, size_t *n)
{
    switch (k->kind) {
    case CC__DIR_KIND__DIR_KIND_GROUP:
        *n = rep->n_groups;
        return (ProtobufCMessage **)rep->groups;
    case CC__DIR_KIND__DIR_KIND_STAFF:
        *n = rep->n_staff;
        return (ProtobufCMessage **)rep->staff;
    case CC__DIR_KIND__DIR_KIND_CHANNEL:
        *n = rep->n_channels;
        return (ProtobufCMessage **)rep->channels;
    case CC__DIR_KIND__DIR_KIND_TRUNK:
        *n = rep->n_trunks;
        return (ProtobufCMessage **)rep->trunks;
    default:
        *n = rep->n_numbers;
        return (ProtobufCMessage **)rep->numbers;
    }
}

static void reply_json_value(struct gw_reply *r, int status, json_t *j)
{
    char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    if (text == NULL) {
        gw_reply_error(r, 500, "internal", "out of memory", NULL);
    } else {
        gw_reply_json(r, status, text);
        free(text);
    }
    json_decref(j);
}

/* Sends dreq to presence and turns the reply into HTTP. */
static void call(struct gw_ctx *ctx, const struct kind *k, Cc__DirRequest *dreq, struct gw_reply *r)
{
    ProtobufCMessage *out = NULL;
    Cc__DirReply *rep;
    ProtobufCMessage **v;
    size_t n;

    if (!gw_ask(ctx, "presence", "cc.presence.dir", &dreq->base, &cc__dir_reply__descriptor, &out,
                r))
        return;
    rep = (Cc__DirReply *)out;
    v = items(k, rep, &n);
    if (gw_error_reply(r, rep->error, "presence")) {
        /* r is the error */
    } else if (dreq->op == CC__DIR_OP__DIR_OP_DELETE) {
        r->status = 204;
    } else if (dreq->op == CC__DIR_OP__DIR_OP_LIST) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, cc_pbjson_from_message(v[i]));
        reply_json_value(r, 200, json_pack("{s:o}", k->plural, arr));
    } else if (n == 0) {
        /* an unknown entry is an error (CC_ERR_NOT_FOUND); a get, put or
         * create that succeeded carries the entry */
        gw_error_malformed(r, "presence", "cc.presence.dir", k->plural);
    } else {
        reply_json_value(r, rep->created ? 201 : 200, cc_pbjson_from_message(v[0]));
    }
    protobuf_c_message_free_unpacked(out, NULL);
}

/* Parses the body as one item of kind k; on error fills r (400). */
static ProtobufCMessage *parse_item(const struct kind *k, const struct gw_request *req,
                                    struct gw_reply *r)
{
    json_error_t je;
    json_t *j = json_loadb(req->body, req->len, JSON_REJECT_DUPLICATES, &je);
    struct cc_pbjson_error e;
    ProtobufCMessage *m = NULL;
    cc_status st;

    if (j == NULL) {
        char msg[220];
        snprintf(msg, sizeof(msg), "body is not valid JSON: %s (line %d, column %d)", je.text,
                 je.line, je.column);
        gw_reply_error(r, 400, "invalid", msg, "body");
        return NULL;
    }
    st = cc_pbjson_to_message(k->desc, j, &m, &e);
    json_decref(j);
    if (st != CC_OK) {
        gw_reply_error(r, st == CC_ERR_INVALID ? 400 : 500, "invalid", e.message, e.field);
        return NULL;
    }
    return m;
}

/* The value of the item's key field (borrowed). */
static char **key_field(const struct kind *k, ProtobufCMessage *m)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(k->desc, k->id_field);
    return (char **)((char *)m + f->offset);
}

void gw_directory_collection(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    const struct kind *k = kind_of(req->path);
    Cc__DirRequest dreq = CC__DIR_REQUEST__INIT;
    ProtobufCMessage *m;
    char actor[80];

    if (!gw_auth_admin(ctx, req, r, actor))
        return;
    dreq.kind = k->kind;
    dreq.actor = actor; /* named in the change's audit fact */
    if (strcmp(req->method, "POST") != 0) {
        dreq.op = CC__DIR_OP__DIR_OP_LIST;
        call(ctx, k, &dreq, r);
        return;
    }
    m = parse_item(k, req, r);
    if (m == NULL)
        return;
    dreq.op = CC__DIR_OP__DIR_OP_CREATE;
    cc_dirreq_set_item(&dreq, k->kind, m);
    call(ctx, k, &dreq, r);
    protobuf_c_message_free_unpacked(m, NULL);
}

void gw_directory_item(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    const struct kind *k = kind_of(req->path);
    Cc__DirRequest dreq = CC__DIR_REQUEST__INIT;
    ProtobufCMessage *m;
    char **key;
    char actor[80];

    if (!gw_auth_admin(ctx, req, r, actor))
        return;
    dreq.kind = k->kind;
    dreq.actor = actor; /* named in the change's audit fact */
    dreq.id = (char *)req->param;
    if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0 ||
        strcmp(req->method, "DELETE") == 0) {
        dreq.op = req->method[0] == 'D' ? CC__DIR_OP__DIR_OP_DELETE : CC__DIR_OP__DIR_OP_GET;
        call(ctx, k, &dreq, r);
        return;
    }
    m = parse_item(k, req, r);
    if (m == NULL)
        return;
    key = key_field(k, m);
    if (*key == NULL || (*key)[0] == '\0') { /* the path names it */
        char *copy = strdup(req->param);
        if (copy == NULL) {
            protobuf_c_message_free_unpacked(m, NULL);
            gw_reply_error(r, 500, "internal", "out of memory", NULL);
            return;
        }
        *key = copy;
    }
    dreq.op = CC__DIR_OP__DIR_OP_PUT;
    cc_dirreq_set_item(&dreq, k->kind, m);
    call(ctx, k, &dreq, r);
    protobuf_c_message_free_unpacked(m, NULL);
}
