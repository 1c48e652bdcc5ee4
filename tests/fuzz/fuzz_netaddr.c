/*
 * Fuzz target: who the client is (cc_netaddr), from text anyone can send.
 * The input is "<trusted proxies>\n<peer>\n<X-Forwarded-For>": the list is
 * parsed as CC_TRUSTED_PROXIES is, the peer as one address (127.0.0.1 when
 * it does not parse), and the header walked as the gateway walks it. Nothing
 * is NUL-terminated. Also every part alone as one address.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cc_netaddr.h"

static void check_addr(const struct cc_netaddr *a)
{
    char key[CC_NETADDR_KEY_MAX];

    if (a->family != AF_INET && a->family != AF_INET6)
        abort();
    cc_netaddr_key(a, key);
    if (memchr(key, '\0', sizeof(key)) == NULL || key[0] == '\0')
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data, *end = s + size;
    const char *nl1 = memchr(s, '\n', size);
    const char *nl2 = nl1 != NULL ? memchr(nl1 + 1, '\n', (size_t)(end - nl1 - 1)) : NULL;
    struct cc_cidr_list *trusted = malloc(sizeof(*trusted));
    struct cc_netaddr peer, client, one;
    char err[128];

    if (trusted == NULL)
        return 0;
    if (cc_netaddr_parse(&one, s, size))
        check_addr(&one);
    if (nl1 == NULL || nl2 == NULL) {
        free(trusted);
        return 0;
    }
    if (cc_cidr_list_parse(trusted, s, (size_t)(nl1 - s), err, sizeof(err)) != CC_OK) {
        if (memchr(err, '\0', sizeof(err)) == NULL || trusted->n > CC_CIDR_LIST_MAX)
            abort();
        trusted->n = 0;
    }
    for (size_t i = 0; i < trusted->n; i++) {
        const struct cc_cidr *c = &trusted->item[i];
        if ((c->net.family == AF_INET && (c->bits < 0 || c->bits > 32)) ||
            (c->net.family == AF_INET6 && (c->bits < 0 || c->bits > 128)) ||
            (c->net.family != AF_INET && c->net.family != AF_INET6))
            abort();
        /* a range contains its own network address */
        if (!cc_cidr_list_contains(trusted, &c->net))
            abort();
    }
    if (!cc_netaddr_parse(&peer, nl1 + 1, (size_t)(nl2 - nl1 - 1)) &&
        !cc_netaddr_parse(&peer, "127.0.0.1", 9))
        abort();
    cc_netaddr_client(&client, &peer, nl2 + 1, (size_t)(end - nl2 - 1), trusted);
    check_addr(&client);
    /* the peer is the client unless it is trusted */
    if (!cc_cidr_list_contains(trusted, &peer) && memcmp(&client, &peer, sizeof(peer)) != 0)
        abort();
    free(trusted);
    return 0;
}
