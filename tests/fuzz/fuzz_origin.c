/* Fuzz target: the Origin of a WebSocket handshake and the allowlist
 * (cc_origin), bytes not NUL-terminated. The input is split at its first
 * '\n' into an origin and a list; the origin is also checked against the
 * rest as a Host header. Contracts checked: a listed origin is valid or the
 * list holds "*"; a same-host origin is valid; a valid origin is at most
 * CC_ORIGIN_MAX bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cc_origin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *nl = memchr(in, '\n', size);
    size_t olen = nl != NULL ? (size_t)(nl - in) : size;
    const char *rest = nl != NULL ? nl + 1 : in + size;
    size_t rlen = size - olen - (nl != NULL ? 1 : 0);
    char *o = malloc(olen > 0 ? olen : 1), *r = malloc(rlen > 0 ? rlen : 1), err[200];
    bool valid, star = memchr(rest, '*', rlen) != NULL;

    /* exact-size copies: ASan sees any read past the end */
    memcpy(o, in, olen);
    memcpy(r, rest, rlen);
    valid = cc_origin_valid(o, olen);
    if (valid && olen > CC_ORIGIN_MAX)
        abort();
    (void)cc_origin_list_valid(r, rlen, err, sizeof(err));
    if (cc_origin_listed(o, olen, r, rlen) && !valid && !star)
        abort();
    if (cc_origin_same_host(o, olen, r, rlen) && !valid)
        abort();
    free(o);
    free(r);
    return 0;
}
