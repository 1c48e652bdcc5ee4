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
