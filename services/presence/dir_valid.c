/* dir_valid: directory entry rules. See dir_valid.h. */
#include "dir_valid.h"
#include "cc_config.h"
#include "cc_netaddr.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static bool bad(struct dir_invalid *why, const char *field, const char *msg)
{
    why->field = field;
    snprintf(why->message, sizeof(why->message), "%s", msg);
    return false;
}

static size_t len(const char *s)
{
    return s != NULL ? strlen(s) : 0;
}

/* Counts UTF-8 code points (continuation bytes are not counted). */
static size_t chars(const char *s)
{
    size_t n = 0;
    for (; s != NULL && *s != '\0'; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static bool has_control(const char *s)
{
    for (; s != NULL && *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

bool dir_valid_id(const char *s)
{
    size_t n = len(s);
    if (n == 0 || n > DIR_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

bool dir_actor_is_staff(const char *actor)
{
    return actor != NULL && strcmp(actor, DIR_ACTOR_BOOTSTRAP) != 0 &&
           strcmp(actor, DIR_ACTOR_CCCTL) != 0;
}

bool dir_valid_actor(const char *actor)
{
    return dir_valid_id(actor); /* a staff id, or one of the two reserved words */
}

bool dir_valid_email(const char *s)
{
    const char *at = s != NULL ? strchr(s, '@') : NULL;
    size_t n = len(s);

    if (n < 3 || n > DIR_EMAIL_MAX || at == NULL || at == s || strchr(at + 1, '@') != NULL)
        return false;
    if (strchr(at + 1, '.') == NULL || at[1] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
            return false;
    return true;
}

bool dir_valid_e164(const char *s)
{
    size_t n = len(s);
    if (n < 8 || n > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9')
        return false;
    for (size_t i = 1; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool check_name(const char *name, size_t max, struct dir_invalid *why)
{
    char msg[64];
    if (chars(name) == 0)
        return bad(why, "name", "name is required");
    if (chars(name) > max) {
        snprintf(msg, sizeof(msg), "name is longer than %zu characters", max);
        return bad(why, "name", msg);
    }
    if (has_control(name))
        return bad(why, "name", "name contains control characters");
    return true;
}

bool dir_check_group(const Cc__Group *g, struct dir_invalid *why)
{
    if (!dir_valid_id(g->id))
        return bad(why, "id", "id must be 1-64 characters of a-z, 0-9, '-' or '_'");
    if (!check_name(g->name, DIR_GROUP_NAME_MAX, why))
        return false;
    if (g->n_member_ids > DIR_MEMBERS_MAX)
        return bad(why, "member_ids", "too many members (at most 1000)");
    for (size_t i = 0; i < g->n_member_ids; i++)
        if (!dir_valid_id(g->member_ids[i]))
            return bad(why, "member_ids", "every member id must be a staff id");
    return true;
}

bool dir_check_staff(const Cc__Staff *s, bool need_password, struct dir_invalid *why)
{
    size_t pw = chars(s->password);

    if (!dir_valid_id(s->id))
        return bad(why, "id", "id must be 1-64 characters of a-z, 0-9, '-' or '_'");
    if (!dir_actor_is_staff(s->id))
        return bad(why, "id", "bootstrap and ccctl are reserved: they name who changes things");
    if (!check_name(s->name, DIR_NAME_MAX, why))
        return false;
    if (!dir_valid_email(s->email))
        return bad(why, "email", "email must look like name@example.com");
    if (s->role == NULL || (strcmp(s->role, "staff") != 0 && strcmp(s->role, "admin") != 0))
        return bad(why, "role", "role must be \"staff\" or \"admin\"");
    if (need_password && pw == 0)
        return bad(why, "password", "password is required for a new staff member");
    if (pw != 0 && (pw < DIR_PASSWORD_MIN || len(s->password) > DIR_PASSWORD_MAX))
        return bad(why, "password", "password must be 8 to 128 characters");
    return true;
}

static bool check_text(const char *s, const char *field, struct dir_invalid *why)
{
    if (len(s) > DIR_CUSTOM_TEXT_MAX)
        return bad(why, field, "text is longer than 2000 bytes");
    return true;
}

bool dir_check_channel(const Cc__Channel *c, struct dir_invalid *why)
{
    static const char *const types[] = {"widget", "link", "qr", "number"};
    bool type_ok = false;
    bool to_group = len(c->group_id) > 0, to_staff = len(c->staff_id) > 0;

    if (!dir_valid_id(c->id))
        return bad(why, "id", "id must be 1-64 characters of a-z, 0-9, '-' or '_'");
    if (!check_name(c->name, DIR_NAME_MAX, why))
        return false;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        type_ok |= c->type != NULL && strcmp(c->type, types[i]) == 0;
    if (!type_ok)
        return bad(why, "type", "type must be \"widget\", \"link\", \"qr\" or \"number\"");
    if (to_group == to_staff)
        return bad(why, to_group ? "staff_id" : "group_id",
                   "a channel routes to exactly one of group_id (broadcast) or staff_id (direct)");
    if (to_group && !dir_valid_id(c->group_id))
        return bad(why, "group_id", "group_id is not a valid id");
    if (to_staff && !dir_valid_id(c->staff_id))
        return bad(why, "staff_id", "staff_id is not a valid id");
    if (c->max_wait_broadcast_s < 0 || c->max_wait_broadcast_s > DIR_WAIT_MAX_S)
        return bad(why, "max_wait_broadcast_s", "must be 0 (default) to 3600 seconds");
    if (c->max_wait_direct_s < 0 || c->max_wait_direct_s > DIR_WAIT_MAX_S)
        return bad(why, "max_wait_direct_s", "must be 0 (default) to 3600 seconds");
    if (c->max_wait_chat_s < 0 || c->max_wait_chat_s > DIR_WAIT_MAX_S)
        return bad(why, "max_wait_chat_s", "must be 0 (default) to 3600 seconds");
    if (c->custom_info != NULL) {
        const Cc__CustomInfo *ci = c->custom_info;
        if (!check_text(ci->description, "custom_info.description", why) ||
            !check_text(ci->services, "custom_info.services", why) ||
            !check_text(ci->brand, "custom_info.brand", why))
            return false;
        if (ci->n_items > DIR_CUSTOM_ITEMS_MAX)
            return bad(why, "custom_info.items", "at most 50 items");
        for (size_t i = 0; i < ci->n_items; i++) {
            if (len(ci->items[i]->key) == 0 || len(ci->items[i]->key) > 100)
                return bad(why, "custom_info.items", "every item needs a key of 1-100 bytes");
            if (!check_text(ci->items[i]->value, "custom_info.items", why))
                return false;
        }
    }
    return true;
}

bool dir_check_number(const Cc__VirtualNumber *n, struct dir_invalid *why)
{
    if (!dir_valid_e164(n->e164))
        return bad(why, "e164", "e164 must be '+' then 7 to 15 digits, e.g. +85230001234");
    if (n->kind == NULL || (strcmp(n->kind, "toll_free") != 0 && strcmp(n->kind, "local") != 0))
        return bad(why, "kind", "kind must be \"toll_free\" or \"local\"");
    if (!dir_valid_id(n->channel_id))
        return bad(why, "channel_id", "channel_id is required");
    return true;
}

bool dir_valid_trunk_address(const char *s, size_t len)
{
    struct cc_cidr_list one;
    char err[128];

    if (s == NULL || len == 0 || len > DIR_TRUNK_ADDRESS_MAX)
        return false;
    /* only what an address or range is written with: no separator, so the
     * list parser below sees exactly one entry and the mirror's
     * comma-separated list splits back into these */
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
              c == '.' || c == ':' || c == '/'))
            return false;
    }
    return cc_cidr_list_parse(&one, s, len, err, sizeof(err)) == CC_OK && one.n == 1;
}

/* "sip:" host [":" port]: host a name (letters, digits, '-', '.'), an
 * IPv4 address or "[" IPv6 "]"; port 1-65535. Nothing else (no user, no
 * parameters), so ingress can put "sip:<number>@" in front of the rest. */
bool dir_valid_outbound_uri(const char *s, size_t len)
{
    size_t i = 4, host;

    if (s == NULL || len <= 4 || len > DIR_OUTBOUND_URI_MAX || memcmp(s, "sip:", 4) != 0)
        return false;
    if (s[i] == '[') {
        size_t start = ++i;
        while (i < len && (isxdigit((unsigned char)s[i]) || s[i] == ':' || s[i] == '.'))
            i++;
        if (i == start || i >= len || s[i] != ']')
            return false;
        {
            struct cc_cidr_list one;
            char err[128];
            if (cc_cidr_list_parse(&one, s + start, i - start, err, sizeof(err)) != CC_OK ||
                one.n != 1 || memchr(s + start, ':', i - start) == NULL)
                return false;
        }
        i++;
    } else {
        host = i;
        while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '.'))
            i++;
        if (i == host || s[host] == '.' || s[host] == '-' || s[i - 1] == '.' || s[i - 1] == '-')
            return false;
    }
    if (i == len)
        return true;
    if (s[i] != ':' || len - i - 1 < 1 || len - i - 1 > 5)
        return false;
    {
        unsigned long port = 0;
        for (size_t k = i + 1; k < len; k++) {
            if (!isdigit((unsigned char)s[k]))
                return false;
            port = port * 10 + (unsigned long)(s[k] - '0');
        }
        return port >= 1 && port <= 65535 && s[i + 1] != '0';
    }
}

bool dir_valid_sip_user(const char *s, size_t len)
{
    if (s == NULL || len == 0 || len > DIR_SIP_USER_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == ':')
            return false;
    }
    return true;
}

bool dir_check_trunk(const Cc__DirTrunk *t, struct dir_invalid *why)
{
    size_t pw = chars(t->password);
    bool has_user = len(t->username) > 0;

    if (!dir_valid_id(t->id))
        return bad(why, "id", "id must be 1-64 characters of a-z, 0-9, '-' or '_'");
    if (!check_name(t->name, DIR_NAME_MAX, why))
        return false;
    if (t->n_addresses > DIR_TRUNK_ADDRESSES_MAX)
        return bad(why, "addresses", "at most 64 addresses or ranges");
    for (size_t i = 0; i < t->n_addresses; i++)
        if (!dir_valid_trunk_address(t->addresses[i], len(t->addresses[i])))
            return bad(why, "addresses",
                       "every address must be one IPv4/IPv6 address or CIDR range, "
                       "e.g. 192.0.2.10 or 198.51.100.0/24");
    if (has_user && !dir_valid_sip_user(t->username, len(t->username)))
        return bad(why, "username",
                   "username must be 1-64 printable ASCII characters, no space, '\"', '\\' or ':'");
    if (pw != 0 && !has_user)
        return bad(why, "username", "a password needs a username");
    if (pw != 0 && (pw < DIR_PASSWORD_MIN || len(t->password) > DIR_PASSWORD_MAX))
        return bad(why, "password", "password must be 8 to 128 characters");
    if (len(t->realm) > 0 && !cc_config_valid_realm(t->realm, len(t->realm)))
        return bad(why, "realm", "realm must be 1-128 printable ASCII characters, no '\"' or '\\'");
    if (len(t->outbound_uri) > 0 && !dir_valid_outbound_uri(t->outbound_uri, len(t->outbound_uri)))
        return bad(why, "outbound_uri",
                   "outbound_uri must be sip:host or sip:host:port (a host name, an IPv4 "
                   "address or an IPv6 address in [ ]), at most 255 characters");
    if (t->n_addresses == 0 && !has_user)
        return bad(why, "addresses",
                   "a trunk needs addresses (where the carrier sends from) or a username and "
                   "password (digest), or both");
    return true;
}
