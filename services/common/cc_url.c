/* cc_url: scheme://[user[:password]@]host[:port][/path] */
#include "cc_url.h"

#include <stdio.h>
#include <string.h>

static cc_status fail(char *err, size_t errlen, const char *why)
{
    snprintf(err, errlen, "%s", why);
    return CC_ERR_INVALID;
}

static int copy(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        return -1;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

static const char *find(const char *p, const char *end, char c)
{
    const void *q = memchr(p, c, (size_t)(end - p));
    return q != NULL ? q : end;
}

cc_status cc_url_parse(struct cc_url *u, const char *s, size_t len, char *err, size_t errlen)
{
    const char *p = s, *end = s + len;
    const char *sep, *auth_end, *host_end, *at;

    memset(u, 0, sizeof(*u));
    if (s == NULL || len == 0)
        return fail(err, errlen, "empty URL");

    /* scheme */
    for (sep = p; sep + 2 < end && sep[0] != ':'; sep++)
        ;
    if (sep + 2 >= end || sep[0] != ':' || sep[1] != '/' || sep[2] != '/' || sep == p)
        return fail(err, errlen, "URL must start with scheme://");
    for (const char *q = p; q < sep; q++) {
        char c = *q;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
            return fail(err, errlen, "bad character in URL scheme");
    }
    if (copy(u->scheme, sizeof(u->scheme), p, (size_t)(sep - p)) != 0)
        return fail(err, errlen, "URL scheme too long");
    p = sep + 3;

    /* authority ends at the first '/' */
    auth_end = find(p, end, '/');

    /* userinfo: the last '@' inside the authority */
    at = NULL;
    for (const char *q = p; q < auth_end; q++)
        if (*q == '@')
            at = q;
    if (at != NULL) {
        const char *colon = find(p, at, ':');
        if (copy(u->user, sizeof(u->user), p, (size_t)(colon - p)) != 0)
            return fail(err, errlen, "URL user too long");
        if (colon < at &&
            copy(u->password, sizeof(u->password), colon + 1, (size_t)(at - colon - 1)) != 0)
            return fail(err, errlen, "URL password too long");
        p = at + 1;
    }

    /* host, with IPv6 literal in brackets */
    if (p < auth_end && *p == '[') {
        const char *rb = find(p, auth_end, ']');
        if (rb == auth_end)
            return fail(err, errlen, "unclosed '[' in URL host");
        if (copy(u->host, sizeof(u->host), p + 1, (size_t)(rb - p - 1)) != 0)
            return fail(err, errlen, "URL host too long");
        host_end = rb + 1;
        if (host_end < auth_end && *host_end != ':')
            return fail(err, errlen, "unexpected character after ']' in URL");
    } else {
        host_end = find(p, auth_end, ':');
        if (copy(u->host, sizeof(u->host), p, (size_t)(host_end - p)) != 0)
            return fail(err, errlen, "URL host too long");
    }
    if (u->host[0] == '\0')
        return fail(err, errlen, "URL has no host");
    for (const char *q = u->host; *q != '\0'; q++) {
        if (*q == ' ' || *q == '@' || *q == '[' || *q == ']' || (unsigned char)*q < 0x21)
            return fail(err, errlen, "bad character in URL host");
    }

    /* port */
    if (host_end < auth_end) { /* *host_end == ':' */
        const char *q = host_end + 1;
        long port = 0;
        if (q == auth_end)
            return fail(err, errlen, "URL port is empty");
        for (; q < auth_end; q++) {
            if (*q < '0' || *q > '9')
                return fail(err, errlen, "URL port is not a number");
            port = port * 10 + (*q - '0');
            if (port > 65535)
                return fail(err, errlen, "URL port is out of range (1-65535)");
        }
        if (port == 0)
            return fail(err, errlen, "URL port is out of range (1-65535)");
        u->port = (int)port;
    }

    /* path */
    if (auth_end < end &&
        copy(u->path, sizeof(u->path), auth_end + 1, (size_t)(end - auth_end - 1)) != 0)
        return fail(err, errlen, "URL path too long");
    return CC_OK;
}

/* Appends n bytes of s to out (at *at, capacity cap) as far as they fit. */
static void put(char *out, size_t cap, size_t *at, const char *s, size_t n)
{
    size_t room = cap - 1 - *at;

    if (n > room)
        n = room;
    memcpy(out + *at, s, n);
    *at += n;
}

void cc_url_redact(char *out, size_t cap, const char *s, size_t len)
{
    const char *end = s + len, *auth = s, *auth_end, *at = NULL, *colon;
    size_t o = 0;

    for (const char *q = s; q + 2 < end; q++) {
        if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
            auth = q + 3;
            break;
        }
    }
    auth_end = find(auth, end, '/');
    for (const char *q = auth; q < auth_end; q++)
        if (*q == '@')
            at = q;
    if (at == NULL) {
        put(out, cap, &o, s, len);
    } else {
        put(out, cap, &o, s, (size_t)(auth - s));
        colon = find(auth, at, ':');
        if (colon < at) /* user:password: the user stays */
            put(out, cap, &o, auth, (size_t)(colon - auth + 1));
        put(out, cap, &o, "***", 3); /* the password, or a token */
        put(out, cap, &o, at, (size_t)(end - at));
    }
    out[o] = '\0';
}
