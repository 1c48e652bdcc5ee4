/* Fuzz target: the body of POST /api/v1/enquiries/{id}/call/{action}
 * (gw_call_body_parse). The first byte picks the action (mod 7, 0: none),
 * the rest is the body, not NUL-terminated. Accepted digits are 1-32 of
 * 0-9 * # A-D; a refusal names a field. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "callbody.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gw_call_body b;
    char field[64];
    const char *msg = NULL;
    enum gw_call_action a;
    char *body;

    if (size == 0)
        return 0;
    a = (enum gw_call_action)(data[0] % 7);
    body = malloc(size - 1 > 0 ? size - 1 : 1);
    memcpy(body, data + 1, size - 1);
    if (gw_call_body_parse(a, body, size - 1, &b, field, &msg)) {
        size_t n = strlen(b.digits);
        if (a == GW_CALL_NONE || b.action != a)
            abort();
        if (a == GW_CALL_DTMF && (n == 0 || n > GW_CALL_DIGITS_MAX ||
                                  strspn(b.digits, "0123456789*#ABCD") != n))
            abort();
        if (a != GW_CALL_DTMF && n != 0)
            abort();
    } else if (field[0] == '\0' || msg == NULL) {
        abort();
    }
    free(body);
    return 0;
}
