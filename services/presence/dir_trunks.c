/* dir_trunks: trunk rows. See dir_trunks.h. */
#include "dir_trunks.h"
#include "cc_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool set_why(struct dir_invalid *why, const char *field, const char *msg)
{
    why->field = field;
    snprintf(why->message, sizeof(why->message), "%s", msg);
    return false;
}

const char *dir_trunk_realm(const Cc__DirTrunk *t, const char *default_realm)
{
    return t->realm != NULL && t->realm[0] != '\0' ? t->realm : default_realm;
}

/* "a,b,c" (addresses never contain commas: dir_valid_trunk_address) into
 * heap strings; false when out of memory. */
static bool split(const char *csv, char ***v, size_t *n)
{
    size_t count = 1;

    *v = NULL;
    *n = 0;
    if (csv[0] == '\0')
        return true;
    for (const char *q = csv; *q != '\0'; q++)
        count += *q == ',';
    *v = calloc(count, sizeof(**v));
    if (*v == NULL)
        return false;
    for (const char *p = csv; p != NULL && *n < count;) {
        const char *c = strchr(p, ',');
        (*v)[*n] = strndup(p, c != NULL ? (size_t)(c - p) : strlen(p));
        if ((*v)[(*n)++] == NULL)
            return false;
        p = c != NULL ? c + 1 : NULL;
    }
    return true;
}

/* The literal of a text[] parameter: {"a","b"} (addresses hold no '"' or
 * '\\', dir_valid_trunk_address). Caller frees. */
static char *array_literal(char *const *v, size_t n)
{
    size_t len = 3;
    char *s, *p;

    for (size_t i = 0; i < n; i++)
        len += strlen(v[i]) + 3;
    s = malloc(len);
    if (s == NULL)
        return NULL;
    p = s;
    *p++ = '{';
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s\"%s\"", i ? "," : "", v[i]);
    *p++ = '}';
    *p = '\0';
    return s;
}

static Cc__DirTrunk *trunk_from_row(const PGresult *r, int i)
{
    Cc__DirTrunk *t = malloc(sizeof(*t));

    if (t == NULL)
        return NULL;
    cc__dir_trunk__init(t);
    t->id = strdup(PQgetvalue(r, i, 0));
    t->name = strdup(PQgetvalue(r, i, 1));
    t->username = strdup(PQgetvalue(r, i, 3));
    t->realm = strdup(PQgetvalue(r, i, 4));
    t->password = strdup("");
    t->outbound_uri = strdup(PQgetvalue(r, i, 7));
    if (t->outbound_uri == NULL ||
        !split(PQgetvalue(r, i, 2), &t->addresses, &t->n_addresses) || t->id == NULL ||
        t->name == NULL || t->username == NULL || t->realm == NULL || t->password == NULL) {
        protobuf_c_message_free_unpacked(&t->base, NULL);
        return NULL;
    }
    return t;
}

cc_status dir_trunks_load(struct cc_pg *pg, const char *id, const char *default_realm,
                          Cc__DirReply *out, struct dir_digests *dig, char *err, size_t errlen)
{
    static const char *const sql =
        "SELECT id, name, array_to_string(addresses, ','), username, realm, ha1,"
        " CASE WHEN ha1 <> '' THEN ha1_realm WHEN realm <> '' THEN realm ELSE $2 END,"
        " outbound_uri FROM dir_trunks WHERE $1::text IS NULL OR id = $1 ORDER BY id";
    const char *v[2] = {id, default_realm};
    cc_status st;
    PGresult *r = cc_pg_exec_once(pg, sql, 2, v, NULL, NULL, &st, err, errlen);
    int rows;
    bool ok;

    if (r == NULL)
        return st;
    rows = PQntuples(r);
    out->trunks = calloc((size_t)rows + 1, sizeof(*out->trunks));
    ok = out->trunks != NULL;
    if (dig != NULL) {
        dig->trunk_ha1 = calloc((size_t)rows + 1, sizeof(*dig->trunk_ha1));
        dig->trunk_realm = calloc((size_t)rows + 1, sizeof(*dig->trunk_realm));
        ok = ok && dig->trunk_ha1 != NULL && dig->trunk_realm != NULL;
    }
    st = ok ? CC_OK : CC_ERR_NOMEM;
    for (int i = 0; i < rows && st == CC_OK; i++) {
        Cc__DirTrunk *t = trunk_from_row(r, i);
        if (t == NULL) {
            st = CC_ERR_NOMEM;
            break;
        }
        if (dig != NULL) {
            dig->trunk_ha1[i] = strdup(PQgetvalue(r, i, 5));
            dig->trunk_realm[i] = strdup(PQgetvalue(r, i, 6));
            if (dig->trunk_ha1[i] == NULL || dig->trunk_realm[i] == NULL)
                st = CC_ERR_NOMEM;
        }
        out->trunks[out->n_trunks++] = t; /* dig's entries stay parallel */
    }
    PQclear(r);
    return st;
}

/* The stored username, HA1 and its realm of trunk id; *found false when
 * there is no such row (the strings are then ""). */
static cc_status stored(struct cc_pg *pg, const char *id, bool *found, char *user, size_t userlen,
                        char *ha1, size_t ha1len, char *realm, size_t realmlen, char *err,
                        size_t errlen)
{
    cc_status st;
    PGresult *r =
        cc_pg_exec_once(pg, "SELECT username, ha1, ha1_realm FROM dir_trunks WHERE id = $1", 1, &id,
                        NULL, NULL, &st, err, errlen);

    *found = false;
    user[0] = ha1[0] = realm[0] = '\0';
    if (r == NULL)
        return st;
    if (PQntuples(r) == 1) {
        *found = true;
        snprintf(user, userlen, "%s", PQgetvalue(r, 0, 0));
        snprintf(ha1, ha1len, "%s", PQgetvalue(r, 0, 1));
        snprintf(realm, realmlen, "%s", PQgetvalue(r, 0, 2));
    }
    PQclear(r);
    return CC_OK;
}

cc_status dir_trunks_write(struct cc_pg *pg, const Cc__DirTrunk *t, const char *ha1,
                           const char *default_realm, bool create, bool *created,
                           struct dir_invalid *why, char *err, size_t errlen)
{
    char old_user[DIR_SIP_USER_MAX + 1], old_ha1[80], old_realm[CC_SIP_REALM_MAX + 1];
    const char *realm = dir_trunk_realm(t, default_realm), *ha1_realm = "";
    bool has_user = t->username != NULL && t->username[0] != '\0', found;
    char *addresses;
    cc_status st = stored(pg, t->id, &found, old_user, sizeof(old_user), old_ha1, sizeof(old_ha1),
                          old_realm, sizeof(old_realm), err, errlen);

    if (st != CC_OK)
        return st;
    *created = !found;
    if (create && found)
        return set_why(why, "id", "a trunk with this id exists"), CC_ERR_CONFLICT;
    if (has_user && ha1 == NULL) {
        /* no password given: the stored HA1 still holds if it was made for
         * this username and realm (a replace that changes neither) */
        if (!found || old_ha1[0] == '\0' || strcmp(old_user, t->username) != 0 ||
            strcmp(old_realm, realm) != 0)
            return set_why(why, "password",
                           "password is required with a username (none is stored for this "
                           "username and realm)"),
                   CC_ERR_INVALID;
        ha1 = old_ha1;
    }
    if (has_user)
        ha1_realm = realm;
    else
        ha1 = "";
    addresses = array_literal(t->addresses, t->n_addresses);
    if (addresses == NULL)
        return CC_ERR_NOMEM;
    {
        const char *v[8] = {t->id,
                            t->name != NULL ? t->name : "",
                            addresses,
                            has_user ? t->username : "",
                            t->realm != NULL ? t->realm : "",
                            ha1,
                            ha1_realm,
                            t->outbound_uri != NULL ? t->outbound_uri : ""};
        PGresult *r = cc_pg_exec_once(
            pg,
            "INSERT INTO dir_trunks (id, name, addresses, username, realm, ha1, ha1_realm,"
            " outbound_uri) VALUES ($1, $2, $3::text[], $4, $5, $6, $7, $8)"
            " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name,"
            " addresses = EXCLUDED.addresses, username = EXCLUDED.username,"
            " realm = EXCLUDED.realm, ha1 = EXCLUDED.ha1, ha1_realm = EXCLUDED.ha1_realm,"
            " outbound_uri = EXCLUDED.outbound_uri",
            8, v, NULL, NULL, &st, err, errlen);
        PQclear(r);
    }
    free(addresses);
    return st;
}
