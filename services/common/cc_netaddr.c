/* cc_netaddr: IP addresses, CIDR lists, X-Forwarded-For. See cc_netaddr.h. */
#include "cc_netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* ::ffff:a.b.c.d -> a.b.c.d; anything else unchanged. */
static void unmap(struct cc_netaddr *a)
{
    if (a->family == AF_INET6 && memcmp(a->b, v4_mapped, sizeof(v4_mapped)) == 0) {
        memmove(a->b, a->b + 12, 4);
        memset(a->b + 4, 0, 12);
        a->family = AF_INET;
    }
}

/* The address without unmapping (a CIDR needs the family it was written in). */
static bool parse_raw(struct cc_netaddr *a, const char *s, size_t len)
{
    char text[INET6_ADDRSTRLEN];

    memset(a, 0, sizeof(*a));
    if (s == NULL || len == 0 || len >= sizeof(text) || memchr(s, '\0', len) != NULL)
        return false;
    memcpy(text, s, len);
    text[len] = '\0';
    if (memchr(text, ':', len) != NULL) {
        if (inet_pton(AF_INET6, text, a->b) != 1)
            return false;
        a->family = AF_INET6;
    } else {
        if (inet_pton(AF_INET, text, a->b) != 1)
            return false;
        a->family = AF_INET;
    }
    return true;
}

bool cc_netaddr_parse(struct cc_netaddr *a, const char *s, size_t len)
{
    if (!parse_raw(a, s, len))
        return false;
    unmap(a);
    return true;
}

bool cc_netaddr_from_sockaddr(struct cc_netaddr *a, const struct sockaddr *sa)
{
    memset(a, 0, sizeof(*a));
    if (sa == NULL)
        return false;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        a->family = AF_INET;
        memcpy(a->b, &s4->sin_addr, 4);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        a->family = AF_INET6;
        memcpy(a->b, &s6->sin6_addr, 16);
        unmap(a);
        return true;
    }
    return false;
}

static int max_bits(int family)
{
    return family == AF_INET ? 32 : 128;
}

/* Whether the first bits bits of x and y are equal. */
static bool same_prefix(const uint8_t *x, const uint8_t *y, int bits)
{
    int whole = bits / 8, rest = bits % 8;

    if (memcmp(x, y, (size_t)whole) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (x[whole] & mask) == (y[whole] & mask);
}

static void clear_host_bits(struct cc_netaddr *a, int bits)
{
    int n = max_bits(a->family) / 8;

    for (int i = 0; i < n; i++) {
        int keep = bits - 8 * i;
        if (keep <= 0)
            a->b[i] = 0;
        else if (keep < 8)
            a->b[i] &= (uint8_t)(0xff << (8 - keep));
    }
}

/* "addr" or "addr/bits" in s[0..len). */
static bool parse_cidr(struct cc_cidr *c, const char *s, size_t len)
{
    const char *slash = memchr(s, '/', len);
    size_t alen = slash != NULL ? (size_t)(slash - s) : len;
    long bits;

    if (!parse_raw(&c->net, s, alen))
        return false;
    bits = max_bits(c->net.family);
    if (slash != NULL) {
        const char *p = slash + 1, *end = s + len;
        if (p == end || end - p > 3)
            return false;
        bits = 0;
        for (; p < end; p++) {
            if (*p < '0' || *p > '9')
                return false;
            bits = bits * 10 + (*p - '0');
        }
        if (bits > max_bits(c->net.family))
            return false;
    }
    /* ::ffff:10.0.0.0/104 is 10.0.0.0/8 */
    if (c->net.family == AF_INET6 && bits >= 96 &&
        memcmp(c->net.b, v4_mapped, sizeof(v4_mapped)) == 0) {
        unmap(&c->net);
        bits -= 96;
    }
    c->bits = (int)bits;
    clear_host_bits(&c->net, c->bits);
    return true;
}

static bool is_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t';
}

cc_status cc_cidr_list_parse(struct cc_cidr_list *l, const char *s, size_t len, char *err,
                             size_t errlen)
{
    const char *p = s, *end = s + len;

    memset(l, 0, sizeof(*l));
    if (s == NULL)
        return CC_OK;
    while (p < end) {
        const char *q;
        while (p < end && is_sep(*p))
            p++;
        if (p == end)
            break;
        for (q = p; q < end && !is_sep(*q); q++)
            ;
        if (l->n == CC_CIDR_LIST_MAX) {
            snprintf(err, errlen, "more than %d addresses or ranges", CC_CIDR_LIST_MAX);
            return CC_ERR_INVALID;
        }
        if (!parse_cidr(&l->item[l->n], p, (size_t)(q - p))) {
            snprintf(err, errlen, "\"%.*s\" is not an IP address or range (a.b.c.d/n, x:y::/n)",
                     (int)(q - p > 60 ? 60 : q - p), p);
            return CC_ERR_INVALID;
        }
        l->n++;
        p = q;
    }
    return CC_OK;
}

bool cc_cidr_list_contains(const struct cc_cidr_list *l, const struct cc_netaddr *a)
{
    for (size_t i = 0; l != NULL && i < l->n; i++)
        if (l->item[i].net.family == a->family &&
            same_prefix(l->item[i].net.b, a->b, l->item[i].bits))
            return true;
    return false;
}

/* One X-Forwarded-For entry: spaces around it, then an address, "[v6]",
 * "[v6]:port" or "v4:port". */
static bool parse_entry(struct cc_netaddr *a, const char *s, size_t len)
{
    const char *p = s, *end = s + len, *colon;

    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (p == end)
        return false;
    if (*p == '[') {
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (close == NULL)
            return false;
        if (close + 1 != end) {
            /* only ":port" may follow */
            if (close[1] != ':' || close + 2 == end)
                return false;
            for (const char *d = close + 2; d < end; d++)
                if (*d < '0' || *d > '9')
                    return false;
        }
        return cc_netaddr_parse(a, p + 1, (size_t)(close - p - 1)) && a->family == AF_INET6;
    }
    colon = memchr(p, ':', (size_t)(end - p));
    if (colon != NULL && memchr(colon + 1, ':', (size_t)(end - colon - 1)) == NULL) {
        /* one colon: an IPv4 address with its port */
        if (colon + 1 == end)
            return false;
        for (const char *d = colon + 1; d < end; d++)
            if (*d < '0' || *d > '9')
                return false;
        return cc_netaddr_parse(a, p, (size_t)(colon - p)) && a->family == AF_INET;
    }
    return cc_netaddr_parse(a, p, (size_t)(end - p));
}

void cc_netaddr_client(struct cc_netaddr *client, const struct cc_netaddr *peer, const char *xff,
                       size_t len, const struct cc_cidr_list *trusted)
{
    const char *end = xff != NULL ? xff + len : NULL;

    *client = *peer;
    if (xff == NULL || trusted == NULL || trusted->n == 0)
        return;
    /* each round moves end left past one entry, so this ends */
    while (cc_cidr_list_contains(trusted, client)) {
        const char *comma = NULL, *start;
        struct cc_netaddr next;

        for (const char *q = end; q > xff; q--)
            if (q[-1] == ',') {
                comma = q - 1;
                break;
            }
        start = comma != NULL ? comma + 1 : xff;
        if (!parse_entry(&next, start, (size_t)(end - start)))
            return; /* the last trusted hop it is */
        *client = next;
        if (comma == NULL)
            return;
        end = comma;
    }
}

void cc_netaddr_key(const struct cc_netaddr *a, char out[CC_NETADDR_KEY_MAX])
{
    char text[INET6_ADDRSTRLEN] = "";

    if (a->family == AF_INET) {
        inet_ntop(AF_INET, a->b, text, sizeof(text));
        snprintf(out, CC_NETADDR_KEY_MAX, "%s", text);
    } else if (a->family == AF_INET6) {
        uint8_t prefix[16] = {0};
        memcpy(prefix, a->b, 8);
        inet_ntop(AF_INET6, prefix, text, sizeof(text));
        snprintf(out, CC_NETADDR_KEY_MAX, "%s/64", text);
    } else {
        snprintf(out, CC_NETADDR_KEY_MAX, "unknown");
    }
}
