/* dir_store: directory rows in PostgreSQL, mirrored to Redis. See dir_store.h. */
#include "dir_store.h"
#include "cc_log.h"
#include "cc_pg.h"
#include "dir_mirror.h"
#include "dir_trunks.h"
#include "password.h"
#include "sip_digest.h"

#include <openssl/crypto.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIR_LOCK 0x6363646972 /* "ccdir": advisory lock serialising changes */

struct dir_store {
    pthread_mutex_t lock; /* guards pg */
    struct cc_pg *pg;
    struct cc_redis *redis;
    struct cc_step_frame frame; /* of the mirror step (presence's outbox) */
    int mirror_script;
    char realm[CC_SIP_REALM_MAX + 1]; /* CC_SIP_REALM: of staff phones, trunks without one */
};

static const char *const migrations[] = {
    /* 1: groups, staff, membership, channels, numbers */
    "CREATE TABLE dir_groups ("
    "  id text PRIMARY KEY,"
    "  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 40));"
    "CREATE TABLE dir_staff ("
    "  id text PRIMARY KEY,"
    "  name text NOT NULL,"
    "  email text NOT NULL UNIQUE,"
    "  role text NOT NULL CHECK (role IN ('staff', 'admin')),"
    "  password_hash text NOT NULL);"
    "CREATE TABLE dir_group_members ("
    "  group_id text NOT NULL REFERENCES dir_groups ON DELETE CASCADE,"
    "  staff_id text NOT NULL REFERENCES dir_staff ON DELETE CASCADE,"
    "  PRIMARY KEY (group_id, staff_id));"
    "CREATE TABLE dir_channels ("
    "  id text PRIMARY KEY,"
    "  name text NOT NULL,"
    "  type text NOT NULL CHECK (type IN ('widget', 'link', 'qr', 'number')),"
    "  group_id text REFERENCES dir_groups ON DELETE RESTRICT,"
    "  staff_id text REFERENCES dir_staff ON DELETE RESTRICT,"
    "  voicemail boolean NOT NULL DEFAULT false,"
    "  max_wait_broadcast_s int NOT NULL DEFAULT 0,"
    "  max_wait_direct_s int NOT NULL DEFAULT 0,"
    "  max_wait_chat_s int NOT NULL DEFAULT 0,"
    "  custom_info bytea,"
    "  CHECK ((group_id IS NULL) <> (staff_id IS NULL)));"
    "CREATE TABLE dir_numbers ("
    "  e164 text PRIMARY KEY,"
    "  kind text NOT NULL CHECK (kind IN ('toll_free', 'local')),"
    "  channel_id text NOT NULL REFERENCES dir_channels ON DELETE CASCADE);",
    /* 2: SIP trunks; the digest HA1 of staff phones (sip_digest.h). An HA1
     * is for one realm: sip_realm / ha1_realm say which. */
    "CREATE TABLE dir_trunks ("
    "  id text PRIMARY KEY,"
    "  name text NOT NULL,"
    "  addresses text[] NOT NULL DEFAULT '{}',"
    "  username text NOT NULL DEFAULT '',"
    "  realm text NOT NULL DEFAULT '',"
    "  ha1 text NOT NULL DEFAULT '',"
    "  ha1_realm text NOT NULL DEFAULT '',"
    "  CHECK (cardinality(addresses) > 0 OR ha1 <> ''),"
    "  CHECK ((username = '') = (ha1 = '')));"
    "ALTER TABLE dir_staff ADD COLUMN sip_ha1 text NOT NULL DEFAULT '',"
    "  ADD COLUMN sip_realm text NOT NULL DEFAULT '';",
    /* 3: where a trunk's outbound calls go (docs/api.md, Trunks) */
    "ALTER TABLE dir_trunks ADD COLUMN outbound_uri text NOT NULL DEFAULT '';",
};

/* What a change computed before taking the lock from a password it
 * carries (NULL: none given, keep what is stored). */
struct dir_secrets {
    const char *pw_hash; /* staff: Argon2id */
    const char *sip_ha1; /* staff: MD5(id:CC_SIP_REALM:pw); trunk: MD5(username:realm:pw) */
};

/* ---- small helpers ------------------------------------------------------ */

static char *dup(const char *s)
{
    return strdup(s != NULL ? s : "");
}

static bool set_why(struct dir_invalid *why, const char *field, const char *msg)
{
    why->field = field;
    snprintf(why->message, sizeof(why->message), "%s", msg);
    return false;
}

/* Splits "a,b,c" (ids never contain commas) into heap strings. */
static char **split(const char *csv, size_t *n)
{
    size_t count = 0, i = 0;
    char **v;
    const char *p = csv;

    *n = 0;
    if (csv == NULL || *csv == '\0')
        return NULL;
    for (const char *q = csv; *q != '\0'; q++)
        count += *q == ',';
    v = calloc(count + 1, sizeof(*v));
    if (v == NULL)
        return NULL;
    while (p != NULL) {
        const char *c = strchr(p, ',');
        size_t len = c != NULL ? (size_t)(c - p) : strlen(p);
        v[i] = strndup(p, len);
        i++;
        p = c != NULL ? c + 1 : NULL;
    }
    *n = i;
    return v;
}

/* {a,b} array literal of ids for a text[] parameter (ids are [a-z0-9_-]). */
static char *array_literal(char **ids, size_t n)
{
    size_t len = 3;
    char *s, *p;
    for (size_t i = 0; i < n; i++)
        len += strlen(ids[i]) + 1;
    s = malloc(len);
    if (s == NULL)
        return NULL;
    p = s;
    *p++ = '{';
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s%s", i ? "," : "", ids[i]);
    *p++ = '}';
    *p = '\0';
    return s;
}

void dir_reply_clear(Cc__DirReply *r)
{
    for (size_t i = 0; i < r->n_groups; i++)
        protobuf_c_message_free_unpacked(&r->groups[i]->base, NULL);
    for (size_t i = 0; i < r->n_staff; i++)
        protobuf_c_message_free_unpacked(&r->staff[i]->base, NULL);
    for (size_t i = 0; i < r->n_channels; i++)
        protobuf_c_message_free_unpacked(&r->channels[i]->base, NULL);
    for (size_t i = 0; i < r->n_numbers; i++)
        protobuf_c_message_free_unpacked(&r->numbers[i]->base, NULL);
    for (size_t i = 0; i < r->n_trunks; i++)
        protobuf_c_message_free_unpacked(&r->trunks[i]->base, NULL);
    free(r->groups);
    free(r->staff);
    free(r->channels);
    free(r->numbers);
    free(r->trunks);
    cc__dir_reply__init(r);
}

/* ---- loading (the reply and the mirror are built from the same rows) --- */

static cc_status load_groups(struct dir_store *s, const char *id, Cc__DirReply *out, char *err,
                             size_t errlen)
{
    static const char *const sql =
        "SELECT g.id, g.name, coalesce(string_agg(m.staff_id, ',' ORDER BY m.staff_id), '')"
        " FROM dir_groups g LEFT JOIN dir_group_members m ON m.group_id = g.id"
        " WHERE $1::text IS NULL OR g.id = $1 GROUP BY g.id ORDER BY g.id";
    cc_status st;
    PGresult *r = cc_pg_exec_once(s->pg, sql, 1, &id, NULL, NULL, &st, err, errlen);
    int rows;

    if (r == NULL)
        return st;
    rows = PQntuples(r);
    out->groups = calloc((size_t)rows + 1, sizeof(*out->groups));
    for (int i = 0; i < rows && out->groups != NULL; i++) {
        Cc__Group *g = malloc(sizeof(*g));
        cc__group__init(g);
        g->id = dup(PQgetvalue(r, i, 0));
        g->name = dup(PQgetvalue(r, i, 1));
        g->member_ids = split(PQgetvalue(r, i, 2), &g->n_member_ids);
        out->groups[out->n_groups++] = g;
    }
    PQclear(r);
    return out->groups != NULL ? CC_OK : CC_ERR_NOMEM;
}

/* Column col of every row into dig->staff_ha1 (heap strings). */
static cc_status staff_digests(const PGresult *r, int rows, int col, struct dir_digests *dig)
{
    dig->staff_ha1 = calloc((size_t)rows + 1, sizeof(*dig->staff_ha1));
    if (dig->staff_ha1 == NULL)
        return CC_ERR_NOMEM;
    for (int i = 0; i < rows; i++) {
        dig->staff_ha1[i] = dup(PQgetvalue(r, i, col));
        if (dig->staff_ha1[i] == NULL)
            return CC_ERR_NOMEM;
    }
    return CC_OK;
}

/* dig NULL for a reply; else dig->staff_ha1 gets each one's sip_ha1 if it
 * is for the current realm ("" otherwise), parallel to out->staff. */
static cc_status load_staff(struct dir_store *s, const char *id, Cc__DirReply *out,
                            struct dir_digests *dig, char *err, size_t errlen)
{
    static const char *const sql =
        "SELECT s.id, s.name, s.email, s.role,"
        " coalesce(string_agg(m.group_id, ',' ORDER BY m.group_id), ''),"
        " CASE WHEN s.sip_realm = $2 THEN s.sip_ha1 ELSE '' END"
        " FROM dir_staff s LEFT JOIN dir_group_members m ON m.staff_id = s.id"
        " WHERE $1::text IS NULL OR s.id = $1 GROUP BY s.id ORDER BY s.id";
    const char *v[2] = {id, s->realm};
    cc_status st;
    PGresult *r = cc_pg_exec_once(s->pg, sql, 2, v, NULL, NULL, &st, err, errlen);
    int rows;

    if (r == NULL)
        return st;
    rows = PQntuples(r);
    out->staff = calloc((size_t)rows + 1, sizeof(*out->staff));
    if (dig != NULL && out->staff != NULL && staff_digests(r, rows, 5, dig) != CC_OK) {
        PQclear(r);
        return CC_ERR_NOMEM;
    }
    for (int i = 0; i < rows && out->staff != NULL; i++) {
        Cc__Staff *m = malloc(sizeof(*m));
        cc__staff__init(m);
        m->id = dup(PQgetvalue(r, i, 0));
        m->name = dup(PQgetvalue(r, i, 1));
        m->email = dup(PQgetvalue(r, i, 2));
        m->role = dup(PQgetvalue(r, i, 3));
        m->password = dup("");
        m->group_ids = split(PQgetvalue(r, i, 4), &m->n_group_ids);
        out->staff[out->n_staff++] = m;
    }
    PQclear(r);
    return out->staff != NULL ? CC_OK : CC_ERR_NOMEM;
}

static cc_status load_channels(struct dir_store *s, const char *id, Cc__DirReply *out, char *err,
                               size_t errlen)
{
    static const char *const sql =
        "SELECT id, name, type, coalesce(group_id, ''), coalesce(staff_id, ''), voicemail,"
        " max_wait_broadcast_s, max_wait_direct_s, max_wait_chat_s, custom_info"
        " FROM dir_channels WHERE $1::text IS NULL OR id = $1 ORDER BY id";
    cc_status st;
    PGresult *r = cc_pg_exec_once(s->pg, sql, 1, &id, NULL, NULL, &st, err, errlen);
    int rows;

    if (r == NULL)
        return st;
    rows = PQntuples(r);
    out->channels = calloc((size_t)rows + 1, sizeof(*out->channels));
    for (int i = 0; i < rows && out->channels != NULL; i++) {
        Cc__Channel *c = malloc(sizeof(*c));
        cc__channel__init(c);
        c->id = dup(PQgetvalue(r, i, 0));
        c->name = dup(PQgetvalue(r, i, 1));
        c->type = dup(PQgetvalue(r, i, 2));
        c->group_id = dup(PQgetvalue(r, i, 3));
        c->staff_id = dup(PQgetvalue(r, i, 4));
        c->voicemail = PQgetvalue(r, i, 5)[0] == 't';
        c->max_wait_broadcast_s = atoi(PQgetvalue(r, i, 6));
        c->max_wait_direct_s = atoi(PQgetvalue(r, i, 7));
        c->max_wait_chat_s = atoi(PQgetvalue(r, i, 8));
        if (!PQgetisnull(r, i, 9)) {
            size_t n = 0;
            unsigned char *bytes = PQunescapeBytea((const unsigned char *)PQgetvalue(r, i, 9), &n);
            if (bytes != NULL)
                c->custom_info = cc__custom_info__unpack(NULL, n, bytes);
            PQfreemem(bytes);
        }
        out->channels[out->n_channels++] = c;
    }
    PQclear(r);
    return out->channels != NULL ? CC_OK : CC_ERR_NOMEM;
}

static cc_status load_numbers(struct dir_store *s, const char *id, Cc__DirReply *out, char *err,
                              size_t errlen)
{
    static const char *const sql = "SELECT e164, kind, channel_id FROM dir_numbers"
                                   " WHERE $1::text IS NULL OR e164 = $1 ORDER BY e164";
    cc_status st;
    PGresult *r = cc_pg_exec_once(s->pg, sql, 1, &id, NULL, NULL, &st, err, errlen);
    int rows;

    if (r == NULL)
        return st;
    rows = PQntuples(r);
    out->numbers = calloc((size_t)rows + 1, sizeof(*out->numbers));
    for (int i = 0; i < rows && out->numbers != NULL; i++) {
        Cc__VirtualNumber *n = malloc(sizeof(*n));
        cc__virtual_number__init(n);
        n->e164 = dup(PQgetvalue(r, i, 0));
        n->kind = dup(PQgetvalue(r, i, 1));
        n->channel_id = dup(PQgetvalue(r, i, 2));
        out->numbers[out->n_numbers++] = n;
    }
    PQclear(r);
    return out->numbers != NULL ? CC_OK : CC_ERR_NOMEM;
}

static cc_status load(struct dir_store *s, Cc__DirKind kind, const char *id, Cc__DirReply *out,
                      char *err, size_t errlen)
{
    switch (kind) {
    case CC__DIR_KIND__DIR_KIND_GROUP:
        return load_groups(s, id, out, err, errlen);
    case CC__DIR_KIND__DIR_KIND_STAFF:
        return load_staff(s, id, out, NULL, err, errlen);
    case CC__DIR_KIND__DIR_KIND_CHANNEL:
        return load_channels(s, id, out, err, errlen);
    case CC__DIR_KIND__DIR_KIND_NUMBER:
        return load_numbers(s, id, out, err, errlen);
    case CC__DIR_KIND__DIR_KIND_TRUNK:
        return dir_trunks_load(s->pg, id, s->realm, out, NULL, err, errlen);
    default:
        return CC_ERR_INVALID;
    }
}

static size_t count(const Cc__DirReply *r)
{
    return r->n_groups + r->n_staff + r->n_channels + r->n_numbers + r->n_trunks;
}

/* ---- transactions --------------------------------------------------------- */

static cc_status sql1(struct dir_store *s, const char *sql, int n, const char *const *v,
                      int *affected, char *err, size_t errlen)
{
    cc_status st;
    PGresult *r = cc_pg_exec_once(s->pg, sql, n, v, NULL, NULL, &st, err, errlen);
    if (r == NULL)
        return st;
    if (affected != NULL)
        *affected = atoi(PQcmdTuples(r));
    PQclear(r);
    return CC_OK;
}

static cc_status begin(struct dir_store *s, char *err, size_t errlen)
{
    char lock[64];
    cc_status st;
    PGresult *r = cc_pg_exec(s->pg, "BEGIN", 0, NULL, NULL, NULL, &st, err, errlen);

    if (r == NULL)
        return st;
    PQclear(r);
    snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock(%lld)", (long long)DIR_LOCK);
    return sql1(s, lock, 0, NULL, NULL, err, errlen);
}

static void rollback(struct dir_store *s)
{
    char err[64];
    sql1(s, "ROLLBACK", 0, NULL, NULL, err, sizeof(err));
}

/* Reads everything and rewrites the mirror, with the change's audit fact
 * and revocation (audit NULL: a rebuild); inside the caller's transaction. */
static cc_status mirror(struct dir_store *s, const struct dir_audit *audit, char *err,
                        size_t errlen)
{
    Cc__DirReply all = CC__DIR_REPLY__INIT;
    struct dir_digests dig = {0};
    cc_status st = load_groups(s, NULL, &all, err, errlen);

    if (st == CC_OK)
        st = load_staff(s, NULL, &all, &dig, err, errlen);
    if (st == CC_OK)
        st = load_channels(s, NULL, &all, err, errlen);
    if (st == CC_OK)
        st = load_numbers(s, NULL, &all, err, errlen);
    if (st == CC_OK)
        st = dir_trunks_load(s->pg, NULL, s->realm, &all, &dig, err, errlen);
    if (st == CC_OK) {
        st = dir_mirror_write(&s->frame, s->mirror_script, &all, &dig, audit);
        if (st != CC_OK) {
            snprintf(err, errlen, "Redis mirror write failed (%s)", cc_status_str(st));
            st = CC_ERR_UNAVAILABLE; /* Redis down, or the outbox full: try again */
        }
    }
    dir_digests_clear(&dig, all.n_staff, all.n_trunks);
    dir_reply_clear(&all);
    return st;
}

/* ---- writes, one per kind; inside the transaction ---------------------- */

/* *yes: whether the query found a row. A failed query is returned as its
 * error, never read as "no such row". */
static cc_status exists(struct dir_store *s, const char *table_sql, const char *id, bool *yes,
                        char *err, size_t errlen)
{
    cc_status st;
    PGresult *r = cc_pg_exec_once(s->pg, table_sql, 1, &id, NULL, NULL, &st, err, errlen);

    *yes = r != NULL && PQntuples(r) == 1;
    PQclear(r);
    return st;
}

static cc_status write_group(struct dir_store *s, const Cc__Group *g, bool create, bool *created,
                             struct dir_invalid *why, char *err, size_t errlen)
{
    const char *v[2] = {g->id, g->name};
    char *arr;
    int n = 0;
    bool found;
    cc_status st = exists(s, "SELECT 1 FROM dir_groups WHERE id = $1", g->id, &found, err, errlen);

    if (st != CC_OK)
        return st;
    *created = !found;
    if (create && !*created)
        return set_why(why, "id", "a group with this id exists"), CC_ERR_CONFLICT;
    st = sql1(s,
              "INSERT INTO dir_groups (id, name) VALUES ($1, $2)"
              " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name",
              2, v, NULL, err, errlen);
    if (st == CC_OK)
        st = sql1(s, "DELETE FROM dir_group_members WHERE group_id = $1", 1, v, NULL, err, errlen);
    if (st != CC_OK || g->n_member_ids == 0)
        return st;
    arr = array_literal(g->member_ids, g->n_member_ids);
    if (arr == NULL)
        return CC_ERR_NOMEM;
    {
        const char *mv[2] = {g->id, arr};
        st = sql1(s,
                  "INSERT INTO dir_group_members (group_id, staff_id)"
                  " SELECT $1, m FROM unnest($2::text[]) AS m ON CONFLICT DO NOTHING",
                  2, mv, &n, err, errlen);
    }
    free(arr);
    if (st == CC_ERR_CONFLICT)
        return set_why(why, "member_ids", "every member must be an existing staff id"),
               CC_ERR_INVALID;
    return st;
}

/* sec: the new password's hash and SIP HA1, computed before the lock
 * (dir_store_handle), or NULL to keep the stored ones. */
static cc_status write_staff(struct dir_store *s, const Cc__Staff *m, const struct dir_secrets *sec,
                             bool create, bool *created, struct dir_invalid *why, char *err,
                             size_t errlen)
{
    bool has_pw = sec->pw_hash != NULL && sec->sip_ha1 != NULL, found;
    cc_status st = exists(s, "SELECT 1 FROM dir_staff WHERE id = $1", m->id, &found, err, errlen);

    if (st != CC_OK)
        return st;
    *created = !found;
    if (create && !*created)
        return set_why(why, "id", "a staff member with this id exists"), CC_ERR_CONFLICT;
    if (*created && !has_pw)
        return set_why(why, "password", "password is required for a new staff member"),
               CC_ERR_INVALID;
    {
        const char *v[7] = {m->id,
                            m->name,
                            m->email,
                            m->role,
                            has_pw ? sec->pw_hash : NULL,
                            has_pw ? sec->sip_ha1 : NULL,
                            s->realm};
        /* the HA1 goes with the password: a new password, a new HA1 for
         * the realm of now; no password, both kept */
        st = sql1(s,
                  "INSERT INTO dir_staff (id, name, email, role, password_hash, sip_ha1, sip_realm)"
                  " VALUES ($1, $2, $3, $4, coalesce($5, ''), coalesce($6, ''), $7)"
                  " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email,"
                  " role = EXCLUDED.role,"
                  " password_hash = coalesce($5, dir_staff.password_hash),"
                  " sip_ha1 = coalesce($6, dir_staff.sip_ha1),"
                  " sip_realm = CASE WHEN $6::text IS NULL THEN dir_staff.sip_realm ELSE $7 END",
                  7, v, NULL, err, errlen);
    }
    if (st == CC_ERR_CONFLICT)
        return set_why(why, "email", "another staff member has this email"), CC_ERR_CONFLICT;
    return st;
}

static cc_status write_channel(struct dir_store *s, const Cc__Channel *c, bool create,
                               bool *created, struct dir_invalid *why, char *err, size_t errlen)
{
    char vm[2], b[16], d[16], ch[16];
    uint8_t *ci = NULL;
    size_t ci_len = 0;
    bool to_group = c->group_id != NULL && c->group_id[0] != '\0', found;
    cc_status st =
        exists(s, "SELECT 1 FROM dir_channels WHERE id = $1", c->id, &found, err, errlen);

    if (st != CC_OK)
        return st;
    *created = !found;
    if (create && !*created)
        return set_why(why, "id", "a channel with this id exists"), CC_ERR_CONFLICT;
    st = to_group
             ? exists(s, "SELECT 1 FROM dir_groups WHERE id = $1", c->group_id, &found, err, errlen)
             : exists(s, "SELECT 1 FROM dir_staff WHERE id = $1", c->staff_id, &found, err, errlen);
    if (st != CC_OK)
        return st;
    if (!found && to_group)
        return set_why(why, "group_id", "no such group"), CC_ERR_INVALID;
    if (!found)
        return set_why(why, "staff_id", "no such staff member"), CC_ERR_INVALID;
    snprintf(vm, sizeof(vm), "%c", c->voicemail ? 't' : 'f');
    snprintf(b, sizeof(b), "%d", c->max_wait_broadcast_s);
    snprintf(d, sizeof(d), "%d", c->max_wait_direct_s);
    snprintf(ch, sizeof(ch), "%d", c->max_wait_chat_s);
    if (c->custom_info != NULL) {
        ci_len = protobuf_c_message_get_packed_size(&c->custom_info->base);
        ci = malloc(ci_len ? ci_len : 1);
        if (ci == NULL)
            return CC_ERR_NOMEM;
        protobuf_c_message_pack(&c->custom_info->base, ci);
    }
    {
        const char *v[10] = {c->id,
                             c->name,
                             c->type,
                             to_group ? c->group_id : NULL,
                             to_group ? NULL : c->staff_id,
                             vm,
                             b,
                             d,
                             ch,
                             (const char *)ci};
        int lengths[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, (int)ci_len};
        int formats[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        PGresult *r = cc_pg_exec_once(
            s->pg,
            "INSERT INTO dir_channels (id, name, type, group_id, staff_id, voicemail,"
            " max_wait_broadcast_s, max_wait_direct_s, max_wait_chat_s, custom_info)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, type = EXCLUDED.type,"
            " group_id = EXCLUDED.group_id, staff_id = EXCLUDED.staff_id,"
            " voicemail = EXCLUDED.voicemail, max_wait_broadcast_s = EXCLUDED.max_wait_broadcast_s,"
            " max_wait_direct_s = EXCLUDED.max_wait_direct_s,"
            " max_wait_chat_s = EXCLUDED.max_wait_chat_s, custom_info = EXCLUDED.custom_info",
            10, v, lengths, formats, &st, err, errlen);
        PQclear(r);
    }
    free(ci);
    return st;
}

static cc_status write_number(struct dir_store *s, const Cc__VirtualNumber *n, bool create,
                              bool *created, struct dir_invalid *why, char *err, size_t errlen)
{
    const char *v[3] = {n->e164, n->kind, n->channel_id};
    bool found;
    cc_status st =
        exists(s, "SELECT 1 FROM dir_numbers WHERE e164 = $1", n->e164, &found, err, errlen);

    if (st != CC_OK)
        return st;
    *created = !found;
    if (create && !*created)
        return set_why(why, "e164", "this number exists"), CC_ERR_CONFLICT;
    st = exists(s, "SELECT 1 FROM dir_channels WHERE id = $1", n->channel_id, &found, err, errlen);
    if (st != CC_OK)
        return st;
    if (!found)
        return set_why(why, "channel_id", "no such channel"), CC_ERR_INVALID;
    return sql1(s,
                "INSERT INTO dir_numbers (e164, kind, channel_id) VALUES ($1, $2, $3)"
                " ON CONFLICT (e164) DO UPDATE SET kind = EXCLUDED.kind,"
                " channel_id = EXCLUDED.channel_id",
                3, v, NULL, err, errlen);
}

static cc_status delete_row(struct dir_store *s, Cc__DirKind kind, const char *id,
                            struct dir_invalid *why, char *err, size_t errlen)
{
    static const char *const sql[] = {
        [CC__DIR_KIND__DIR_KIND_GROUP] = "DELETE FROM dir_groups WHERE id = $1",
        [CC__DIR_KIND__DIR_KIND_STAFF] = "DELETE FROM dir_staff WHERE id = $1",
        [CC__DIR_KIND__DIR_KIND_CHANNEL] = "DELETE FROM dir_channels WHERE id = $1",
        [CC__DIR_KIND__DIR_KIND_NUMBER] = "DELETE FROM dir_numbers WHERE e164 = $1",
        [CC__DIR_KIND__DIR_KIND_TRUNK] = "DELETE FROM dir_trunks WHERE id = $1",
    };
    int n = 0;
    cc_status st = sql1(s, sql[kind], 1, &id, &n, err, errlen);

    if (st == CC_ERR_CONFLICT)
        return set_why(why, "id", "a channel routes to it; change or delete the channel first"),
               CC_ERR_CONFLICT;
    if (st == CC_OK && n == 0)
        return CC_ERR_NOT_FOUND;
    return st;
}

/* ---- the one entry point ------------------------------------------------ */

static bool check(const Cc__DirRequest *req, bool for_create, struct dir_invalid *why)
{
    switch (req->kind) {
    case CC__DIR_KIND__DIR_KIND_GROUP:
        return req->group != NULL ? dir_check_group(req->group, why)
                                  : set_why(why, "body", "a group is required");
    case CC__DIR_KIND__DIR_KIND_STAFF:
        return req->staff != NULL ? dir_check_staff(req->staff, for_create, why)
                                  : set_why(why, "body", "a staff member is required");
    case CC__DIR_KIND__DIR_KIND_CHANNEL:
        return req->channel != NULL ? dir_check_channel(req->channel, why)
                                    : set_why(why, "body", "a channel is required");
    case CC__DIR_KIND__DIR_KIND_NUMBER:
        return req->number != NULL ? dir_check_number(req->number, why)
                                   : set_why(why, "body", "a number is required");
    case CC__DIR_KIND__DIR_KIND_TRUNK:
        return req->trunk != NULL ? dir_check_trunk(req->trunk, why)
                                  : set_why(why, "body", "a trunk is required");
    default:
        return set_why(why, "kind", "unknown directory kind");
    }
}

static const char *item_id(const Cc__DirRequest *req)
{
    switch (req->kind) {
    case CC__DIR_KIND__DIR_KIND_GROUP:
        return req->group->id;
    case CC__DIR_KIND__DIR_KIND_STAFF:
        return req->staff->id;
    case CC__DIR_KIND__DIR_KIND_CHANNEL:
        return req->channel->id;
    case CC__DIR_KIND__DIR_KIND_TRUNK:
        return req->trunk->id;
    default:
        return req->number->e164;
    }
}

static cc_status write_item(struct dir_store *s, const Cc__DirRequest *req,
                            const struct dir_secrets *sec, bool create, bool *created,
                            struct dir_invalid *why, char *err, size_t errlen)
{
    switch (req->kind) {
    case CC__DIR_KIND__DIR_KIND_GROUP:
        return write_group(s, req->group, create, created, why, err, errlen);
    case CC__DIR_KIND__DIR_KIND_STAFF:
        return write_staff(s, req->staff, sec, create, created, why, err, errlen);
    case CC__DIR_KIND__DIR_KIND_CHANNEL:
        return write_channel(s, req->channel, create, created, why, err, errlen);
    case CC__DIR_KIND__DIR_KIND_TRUNK:
        return dir_trunks_write(s->pg, req->trunk, sec->sip_ha1, s->realm, create, created, why,
                                err, errlen);
    default:
        return write_number(s, req->number, create, created, why, err, errlen);
    }
}

/* The role a staff member has now ("" when there is no such row); inside
 * the transaction, whose advisory lock keeps it until COMMIT. */
static cc_status role_of(struct dir_store *s, const char *id, char *role, size_t len, char *err,
                         size_t errlen)
{
    cc_status st;
    PGresult *r = cc_pg_exec_once(s->pg, "SELECT role FROM dir_staff WHERE id = $1", 1, &id, NULL,
                                  NULL, &st, err, errlen);

    role[0] = '\0';
    if (r == NULL)
        return st;
    if (PQntuples(r) == 1)
        snprintf(role, len, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return CC_OK;
}

/* Whether the change ends the staff member's sessions: deleted, or given
 * another role (what a session may do follows from the role it holds). */
static bool revokes(const Cc__DirRequest *req, const char *old_role)
{
    if (req->kind != CC__DIR_KIND__DIR_KIND_STAFF || old_role[0] == '\0')
        return false;
    return req->op == CC__DIR_OP__DIR_OP_DELETE || strcmp(old_role, req->staff->role) != 0;
}

static cc_status change(struct dir_store *s, const Cc__DirRequest *req,
                        const struct dir_secrets *sec, Cc__DirReply *out, struct dir_invalid *why,
                        char *err, size_t errlen)
{
    bool create = req->op == CC__DIR_OP__DIR_OP_CREATE, created = false;
    bool del = req->op == CC__DIR_OP__DIR_OP_DELETE;
    const char *id = del ? req->id : item_id(req);
    char old_role[16] = "";
    struct dir_audit audit;
    cc_status st;

    if (!del && req->id != NULL && req->id[0] != '\0' && strcmp(req->id, id) != 0)
        return set_why(why, "id", "the id in the body differs from the one in the path"),
               CC_ERR_INVALID;
    st = begin(s, err, errlen);
    if (st == CC_OK && req->kind == CC__DIR_KIND__DIR_KIND_STAFF)
        st = role_of(s, id, old_role, sizeof(old_role), err, errlen);
    if (st != CC_OK) {
        rollback(s);
        return st;
    }
    st = del ? delete_row(s, req->kind, id, why, err, errlen)
             : write_item(s, req, sec, create, &created, why, err, errlen);
    audit = (struct dir_audit){.actor = req->actor,
                               .op = req->op,
                               .kind = req->kind,
                               .key = id,
                               .created = created,
                               .revoke = revokes(req, old_role) ? id : ""};
    if (st == CC_OK)
        st = mirror(s, &audit, err, errlen);
    if (st == CC_OK && !del)
        st = load(s, req->kind, id, out, err, errlen);
    if (st != CC_OK) {
        rollback(s);
        return st;
    }
    st = sql1(s, "COMMIT", 0, NULL, NULL, err, errlen);
    out->created = created;
    return st;
}

static bool given(const char *s)
{
    return s != NULL && s[0] != '\0';
}

/* The hash and HA1 of a password a checked write carries into *sec (no
 * password: both NULL, the stored ones are kept); made before the lock, so
 * a login's lookup does not wait behind a hash. False when hashing failed. */
static bool make_secrets(const struct dir_store *s, const Cc__DirRequest *req,
                         struct dir_secrets *sec, char pw_hash[PASSWORD_HASH_MAX],
                         char ha1[SIP_HA1_LEN + 1])
{
    sec->pw_hash = sec->sip_ha1 = NULL;
    if (req->kind == CC__DIR_KIND__DIR_KIND_STAFF && given(req->staff->password)) {
        const Cc__Staff *m = req->staff;
        if (password_hash(pw_hash, m->password) != CC_OK ||
            sip_ha1(ha1, m->id, s->realm, m->password) != CC_OK)
            return false;
        sec->pw_hash = pw_hash;
        sec->sip_ha1 = ha1;
    } else if (req->kind == CC__DIR_KIND__DIR_KIND_TRUNK && given(req->trunk->password)) {
        const Cc__DirTrunk *t = req->trunk;
        if (sip_ha1(ha1, t->username, dir_trunk_realm(t, s->realm), t->password) != CC_OK)
            return false;
        sec->sip_ha1 = ha1;
    }
    return true;
}

cc_status dir_store_handle(struct dir_store *s, const Cc__DirRequest *req, Cc__DirReply *out,
                           struct dir_invalid *why)
{
    char err[512] = "", pw_hash[PASSWORD_HASH_MAX], ha1[SIP_HA1_LEN + 1];
    struct dir_secrets sec = {0};
    cc_status st;
    bool write = req->op == CC__DIR_OP__DIR_OP_CREATE || req->op == CC__DIR_OP__DIR_OP_PUT;

    why->field = NULL;
    why->message[0] = '\0';
    if (req->kind <= CC__DIR_KIND__DIR_KIND_UNSPECIFIED || req->kind > CC__DIR_KIND__DIR_KIND_TRUNK)
        return set_why(why, "kind", "unknown directory kind"), CC_ERR_INVALID;
    if (write && !check(req, req->op == CC__DIR_OP__DIR_OP_CREATE, why))
        return CC_ERR_INVALID;
    if (req->op == CC__DIR_OP__DIR_OP_DELETE && (req->id == NULL || req->id[0] == '\0'))
        return set_why(why, "id", "id is required"), CC_ERR_INVALID;
    if ((write || req->op == CC__DIR_OP__DIR_OP_DELETE) && !dir_valid_actor(req->actor))
        return set_why(why, "actor",
                       "who makes the change is required (a staff id, bootstrap or ccctl)"),
               CC_ERR_INVALID;
    if (write && !make_secrets(s, req, &sec, pw_hash, ha1)) {
        cc_log(CC_LOG_WARN, "directory request failed: cannot hash the password", NULL);
        snprintf(why->message, sizeof(why->message), "directory unavailable, try again");
        return CC_ERR_UNAVAILABLE;
    }

    pthread_mutex_lock(&s->lock);
    switch (req->op) {
    case CC__DIR_OP__DIR_OP_LIST:
    case CC__DIR_OP__DIR_OP_GET: {
        const char *id = req->op == CC__DIR_OP__DIR_OP_GET ? req->id : NULL;
        st = cc_pg_ok(s->pg) || cc_pg_probe(s->pg) ? load(s, req->kind, id, out, err, sizeof(err))
                                                   : CC_ERR_UNAVAILABLE;
        if (st == CC_OK && id != NULL && count(out) == 0)
            st = CC_ERR_NOT_FOUND;
        break;
    }
    case CC__DIR_OP__DIR_OP_CREATE:
    case CC__DIR_OP__DIR_OP_PUT:
    case CC__DIR_OP__DIR_OP_DELETE:
        st = change(s, req, &sec, out, why, err, sizeof(err));
        break;
    default:
        st = CC_ERR_INVALID;
        set_why(why, "op", "unknown operation");
    }
    pthread_mutex_unlock(&s->lock);
    OPENSSL_cleanse(ha1, sizeof(ha1));
    if (st != CC_OK && st != CC_ERR_INVALID && st != CC_ERR_NOT_FOUND && st != CC_ERR_CONFLICT) {
        /* a PostgreSQL or Redis error says nothing about the entry: the
         * caller hears "try again", never "no such entry" or "invalid" */
        cc_log(CC_LOG_WARN, "directory request failed", "status", cc_status_str(st), "error", err,
               NULL);
        snprintf(why->message, sizeof(why->message), "directory unavailable, try again");
        why->field = NULL;
        st = CC_ERR_UNAVAILABLE;
    }
    return st;
}

cc_status dir_store_credentials(struct dir_store *s, const char *email, char *id, size_t idlen,
                                char *role, size_t rolelen, char *hash, size_t hashlen,
                                bool *sip_current)
{
    const char *v[2] = {email, s->realm};
    char err[256];
    cc_status st;
    PGresult *r;

    *sip_current = false;
    pthread_mutex_lock(&s->lock);
    r = cc_pg_exec(s->pg,
                   "SELECT id, role, password_hash, sip_ha1 <> '' AND sip_realm = $2"
                   " FROM dir_staff WHERE email = $1",
                   2, v, NULL, NULL, &st, err, sizeof(err));
    if (r != NULL) {
        if (PQntuples(r) == 1) {
            snprintf(id, idlen, "%s", PQgetvalue(r, 0, 0));
            snprintf(role, rolelen, "%s", PQgetvalue(r, 0, 1));
            snprintf(hash, hashlen, "%s", PQgetvalue(r, 0, 2));
            *sip_current = PQgetvalue(r, 0, 3)[0] == 't';
        } else {
            st = CC_ERR_NOT_FOUND;
        }
        PQclear(r);
    }
    pthread_mutex_unlock(&s->lock);
    return st;
}

/* The UPDATE of dir_store_rehash (and the mirror when the HA1 changed),
 * in one transaction under the directory's lock; *stored: the row was
 * still at old_hash. */
static cc_status rehash(struct dir_store *s, const char *id, const char *old_hash,
                        const char *new_hash, const char *ha1, bool *stored, char *err,
                        size_t errlen)
{
    const char *v[5] = {id, old_hash, new_hash, ha1, s->realm};
    int n = 0;
    cc_status st = begin(s, err, errlen);

    /* only over the hash that verified: a password set meanwhile wins */
    if (st == CC_OK)
        st = sql1(s,
                  "UPDATE dir_staff SET password_hash = coalesce($3, password_hash),"
                  " sip_ha1 = coalesce($4, sip_ha1),"
                  " sip_realm = CASE WHEN $4::text IS NULL THEN sip_realm ELSE $5 END"
                  " WHERE id = $1 AND password_hash = $2",
                  5, v, &n, err, errlen);
    /* the HA1 is in the mirror (the hash is not): rewritten as at start,
     * no audit fact (the password did not change, nobody changed the
     * directory) */
    if (st == CC_OK && n == 1 && ha1 != NULL)
        st = mirror(s, NULL, err, errlen);
    if (st == CC_OK)
        st = sql1(s, "COMMIT", 0, NULL, NULL, err, errlen);
    else
        rollback(s);
    *stored = st == CC_OK && n == 1;
    return st;
}

cc_status dir_store_rehash(struct dir_store *s, const char *id, const char *old_hash,
                           const char *new_hash, const char *sip_ha1, bool *stored)
{
    char err[256] = "";
    cc_status st;

    *stored = false;
    if (new_hash == NULL && sip_ha1 == NULL)
        return CC_OK;
    pthread_mutex_lock(&s->lock);
    st = rehash(s, id, old_hash, new_hash, sip_ha1, stored, err, sizeof(err));
    pthread_mutex_unlock(&s->lock);
    if (st != CC_OK)
        cc_log(CC_LOG_WARN, "password hash or SIP digest not stored again", "staff_id", id, "error",
               err, NULL);
    return st;
}

bool dir_store_ok(struct dir_store *s)
{
    bool ok;
    pthread_mutex_lock(&s->lock);
    ok = cc_pg_ok(s->pg);
    pthread_mutex_unlock(&s->lock);
    return ok;
}

cc_status dir_store_open(struct dir_store **sp, const struct cc_config *cfg, struct cc_redis *redis,
                         char *err, size_t errlen)
{
    struct dir_store *s = calloc(1, sizeof(*s));
    cc_status st;

    *sp = NULL;
    if (s == NULL)
        return CC_ERR_NOMEM;
    pthread_mutex_init(&s->lock, NULL);
    s->redis = redis;
    snprintf(s->realm, sizeof(s->realm), "%s", cfg->sip_realm);
    cc_step_frame_init(&s->frame, redis, cfg->service, cfg->idempotency_ttl_s, cfg->outbox_max);
    st = cc_pg_open(&s->pg, cfg->pg_url, cfg->connect_timeout_ms, err, errlen);
    if (st == CC_OK)
        st = cc_pg_migrate(s->pg, "directory", migrations,
                           sizeof(migrations) / sizeof(migrations[0]), err, errlen);
    if (st == CC_OK)
        st = dir_mirror_init(redis, &s->mirror_script, err, errlen);
    if (st == CC_OK) {
        /* the mirror is rebuilt from PostgreSQL at every start */
        st = begin(s, err, errlen);
        if (st == CC_OK)
            st = mirror(s, NULL, err, errlen);
        if (st == CC_OK)
            st = sql1(s, "COMMIT", 0, NULL, NULL, err, errlen);
        else
            rollback(s);
    }
    if (st != CC_OK) {
        dir_store_close(s);
        return st;
    }
    *sp = s;
    return CC_OK;
}

void dir_store_close(struct dir_store *s)
{
    if (s == NULL)
        return;
    cc_pg_close(s->pg);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
