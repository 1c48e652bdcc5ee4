/*
 * password: staff password hashes, PBKDF2-HMAC-SHA256 (OpenSSL), stored as
 * "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>". Only hashes are kept;
 * a password never reaches Redis, a log or a reply.
 */
#ifndef PASSWORD_H
#define PASSWORD_H
#include <stdbool.h>
#include <stddef.h>
#include "cc_status.h"

#define PASSWORD_HASH_MAX 160
#define PASSWORD_ITERATIONS 60000

/* Hashes pw with a fresh random salt into out (PASSWORD_HASH_MAX bytes). */
cc_status password_hash(char out[PASSWORD_HASH_MAX], const char *pw, int iterations);
/* True when pw matches stored; compares in constant time. */
bool password_verify(const char *stored, const char *pw);

#endif
