/* cc_origin: web origins and allowlists of them. See cc_origin.h. */
#include "cc_origin.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
           c == '.';
}

/* Length of the scheme and its "://" at the start of o (7 or 8), else 0. */
static size_t scheme_len(const char *o, size_t len)
{
    if (len >= 7 && strncasecmp(o, "http://", 7) == 0)
        return 7;
    if (len >= 8 && strncasecmp(o, "https://", 8) == 0)
        return 8;
    return 0;
}

/* True when a[0..len) is host[:port]. */
static bool authority_valid(const char *a, size_t len)
{
    size_t i = 0, port_digits = 0;

    if (len == 0)
        return false;
    if (a[0] == '[') { /* an IPv6 literal */
        for (i = 1; i < len && a[i] != ']'; i++)
            if (!(is_digit(a[i]) || (a[i] >= 'a' && a[i] <= 'f') ||
                  (a[i] >= 'A' && a[i] <= 'F') || a[i] == ':' || a[i] == '.'))
                return false;
        if (i >= len || i == 1)
            return false;
        i++; /* past ']' */
    } else {
        while (i < len && is_host_char(a[i]))
            i++;
        if (i == 0)
            return false;
    }
    if (i == len)
        return true;
    if (a[i] != ':')
        return false;
    for (i++; i < len; i++, port_digits++)
        if (!is_digit(a[i]))
            return false;
    return port_digits >= 1 && port_digits <= 5;
}

bool cc_origin_valid(const char *o, size_t len)
{
    size_t s = scheme_len(o, len);

    return s > 0 && len <= CC_ORIGIN_MAX && authority_valid(o + s, len - s);
}

static bool is_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t';
}

/* The next entry of list[*pos..len): sets *e, *elen and advances *pos;
 * false at the end. */
static bool next_entry(const char *list, size_t len, size_t *pos, const char **e, size_t *elen)
{
    size_t i = *pos, start;

    while (i < len && is_sep(list[i]))
        i++;
    if (i >= len) {
        *pos = len;
        return false;
    }
    start = i;
    while (i < len && !is_sep(list[i]))
        i++;
    *e = list + start;
    *elen = i - start;
    *pos = i;
    return true;
}

bool cc_origin_list_valid(const char *list, size_t len, char *err, size_t errlen)
{
    size_t pos = 0, elen;
    const char *e;

    while (next_entry(list, len, &pos, &e, &elen)) {
        if (elen == 1 && e[0] == '*')
            continue;
        if (!cc_origin_valid(e, elen)) {
            snprintf(err, errlen,
                     "\"%.*s\" is not an origin: expected http(s)://host[:port] (no path) or *",
                     (int)(elen > 80 ? 80 : elen), e);
            return false;
        }
    }
    return true;
}

bool cc_origin_listed(const char *o, size_t olen, const char *list, size_t len)
{
    size_t pos = 0, elen;
    const char *e;
    bool valid = cc_origin_valid(o, olen);

    while (next_entry(list, len, &pos, &e, &elen)) {
        if (elen == 1 && e[0] == '*')
            return true;
        if (valid && elen == olen && strncasecmp(e, o, olen) == 0)
            return true;
    }
    return false;
}

bool cc_origin_same_host(const char *o, size_t olen, const char *host, size_t hlen)
{
    size_t s = scheme_len(o, olen);

    if (!cc_origin_valid(o, olen) || hlen == 0)
        return false;
    return olen - s == hlen && strncasecmp(o + s, host, hlen) == 0;
}
