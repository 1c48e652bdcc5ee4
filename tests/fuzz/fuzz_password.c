/*
 * Fuzz target: password_parse (presence) on arbitrary stored-hash bytes,
 * never NUL-terminated. What parses must be within the bounds password.h
 * states, so that verifying it can never ask for more work or memory than
 * those. Nothing is hashed here (that is the unit test's job).
 */
#include <stdint.h>
#include <stdlib.h>

#include "password.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct password_stored p;

    if (!password_parse(&p, (const char *)data, size)) {
        if (p.scheme != PASSWORD_NONE)
            abort();
        return 0;
    }
    if (size >= PASSWORD_HASH_MAX || p.salt_len < PASSWORD_BYTES_MIN ||
        p.salt_len > PASSWORD_BYTES_MAX || p.key_len < PASSWORD_KEY_MIN ||
        p.key_len > PASSWORD_BYTES_MAX)
        abort();
    if (p.scheme == PASSWORD_ARGON2ID) {
        if (p.memory_kib > PASSWORD_ARGON2_M_MAX || p.memory_kib < 8 * p.lanes ||
            p.iterations < 1 || p.iterations > PASSWORD_ARGON2_T_MAX || p.lanes < 1 ||
            p.lanes > PASSWORD_ARGON2_P_MAX)
            abort();
    } else if (p.scheme == PASSWORD_PBKDF2_SHA256) {
        if (p.iterations < 1 || p.iterations > PASSWORD_PBKDF2_ITER_MAX)
            abort();
    } else {
        abort();
    }
    return 0;
}
