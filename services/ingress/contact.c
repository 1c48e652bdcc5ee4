/* contact: a staff phone's bindings, the pure part. See contact.h. */
#include "contact.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int contact_expiry(int param, int header, int max_s)
{
    int v = param >= 0 ? param : header >= 0 ? header : CONTACT_DEFAULT_S;

    return v > max_s ? max_s : v;
}

bool contact_uri_ok(const char *uri, size_t len)
{
    size_t start;

    if (uri == NULL || len == 0 || len > CONTACT_URI_MAX)
        return false;
    if (len > 4 && strncasecmp(uri, "sip:", 4) == 0)
        start = 4;
    else if (len > 5 && strncasecmp(uri, "sips:", 5) == 0)
        start = 5;
    else
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)uri[i];
        if (c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == ',')
            return false;
    }
    /* a host: something after the user part's '@' (or after the scheme) */
    {
        const char *at = memchr(uri + start, '@', len - start);
        size_t host = at != NULL ? (size_t)(at - uri) + 1 : start;
        if (host >= len || uri[host] == ';' || uri[host] == ':' || uri[host] == '?')
            return false;
    }
    return true;
}

int contact_list_print(char *out, size_t cap, size_t n, const char *const *uris,
                       const int *secs)
{
    size_t len = 0;

    if (cap == 0)
        return -1;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(out + len, cap - len, "%s<%s>;expires=%d", i > 0 ? ", " : "", uris[i],
                         secs[i]);
        if (k < 0 || (size_t)k >= cap - len)
            return -1;
        len += (size_t)k;
    }
    return (int)len;
}
