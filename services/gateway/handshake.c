/* handshake: the subprotocols a WebSocket client offers. See handshake.h. */
#include "handshake.h"

#include <string.h>

/* RFC 7230 tchar: the characters of a token. */
static bool is_tchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* One element e[0..n): a non-empty run of tchars. */
static bool take(const char *e, size_t n, struct gw_hs_offer *out)
{
    static const size_t plen = sizeof(GW_HS_PROTOCOL) - 1, blen = sizeof(GW_HS_BEARER) - 1;

    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_tchar(e[i]))
            return false;
    if (n == plen && memcmp(e, GW_HS_PROTOCOL, plen) == 0) {
        out->protocol = true;
    } else if (n >= blen && memcmp(e, GW_HS_BEARER, blen) == 0) {
        if (out->token != NULL || n == blen || n - blen > GW_HS_TOKEN_MAX)
            return false;
        out->token = e + blen;
        out->token_len = n - blen;
    }
    return true;
}

bool gw_hs_protocols(const char *v, size_t len, struct gw_hs_offer *out)
{
    size_t i = 0, count = 0;

    *out = (struct gw_hs_offer){0};
    for (;;) {
        size_t start, end;
        while (i < len && is_ows(v[i]))
            i++;
        start = i;
        while (i < len && v[i] != ',' && !is_ows(v[i]))
            i++;
        end = i;
        while (i < len && is_ows(v[i]))
            i++;
        if (++count > GW_HS_OFFERS_MAX || !take(v + start, end - start, out))
            break;
        if (i == len)
            return true;
        if (v[i] != ',')
            break; /* a space inside an element */
        i++;
    }
    *out = (struct gw_hs_offer){0};
    return false;
}
