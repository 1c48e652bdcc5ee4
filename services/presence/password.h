/*
 * password: staff password hashes. Only hashes are kept (dir_staff's
 * password_hash in PostgreSQL); a password never reaches Redis, a log or a
 * reply.
 *
 * New hashes are Argon2id (libargon2) in the PHC string format the
 * reference implementation writes:
 *
 *   $argon2id$v=19$m=19456,t=2,p=1$<salt, base64>$<hash, base64>
 *
 * with the parameters below: 19 MiB of memory, 2 passes, 1 lane, a 16-byte
 * random salt and a 32-byte hash, the minimum that OWASP's Password Storage
 * Cheat Sheet recommends for Argon2id (about 40 ms on one core of the
 * 2-core test machine, the cost of PBKDF2 at 60,000 iterations before).
 *
 * Hashes of the earlier format still verify:
 *
 *   pbkdf2-sha256$<iterations>$<salt, hex>$<hash, hex>
 *
 * and password_needs_rehash() says so, so that a login that succeeded with
 * one stores the password again as Argon2id (staff.c).
 *
 * A stored hash is outside input for this module (a row anyone with the
 * database may have written): password_parse() checks every part and bounds
 * the work it asks for (memory, passes, iterations) before anything is
 * computed. All functions are thread-safe.
 */
#ifndef PASSWORD_H
#define PASSWORD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cc_status.h"

#define PASSWORD_HASH_MAX 160

/* The parameters of new hashes. */
#define PASSWORD_ARGON2_M_KIB 19456
#define PASSWORD_ARGON2_T 2
#define PASSWORD_ARGON2_P 1
#define PASSWORD_SALT_LEN 16
#define PASSWORD_KEY_LEN 32

/* What a stored hash may ask for, at most (more is refused as malformed). */
#define PASSWORD_ARGON2_M_MAX (256 * 1024) /* KiB: 256 MiB */
#define PASSWORD_ARGON2_T_MAX 16
#define PASSWORD_ARGON2_P_MAX 16
#define PASSWORD_PBKDF2_ITER_MAX 10000000
#define PASSWORD_BYTES_MIN 8  /* salt */
#define PASSWORD_KEY_MIN 16   /* hash */
#define PASSWORD_BYTES_MAX 64 /* salt and hash */

enum password_scheme {
    PASSWORD_NONE = 0,
    PASSWORD_PBKDF2_SHA256, /* the earlier format */
    PASSWORD_ARGON2ID,
};

/* A stored hash taken apart. */
struct password_stored {
    enum password_scheme scheme;
    uint32_t iterations; /* PBKDF2: iterations; Argon2id: t (passes) */
    uint32_t memory_kib; /* Argon2id: m */
    uint32_t lanes;      /* Argon2id: p */
    uint8_t salt[PASSWORD_BYTES_MAX];
    size_t salt_len;
    uint8_t key[PASSWORD_BYTES_MAX];
    size_t key_len;
};

/* Takes s (len bytes, no NUL needed) apart. False when it is not exactly
 * one hash of a known format within the bounds above (out then says
 * PASSWORD_NONE). */
bool password_parse(struct password_stored *out, const char *s, size_t len);

/* Hashes pw (NUL-terminated) as Argon2id with the parameters above and a
 * fresh random salt into out. CC_ERR_IO when that fails. */
cc_status password_hash(char out[PASSWORD_HASH_MAX], const char *pw);

/* Whether pw matches h; compares in constant time. h NULL or PASSWORD_NONE:
 * false. Costs what h asks for, whatever pw is. */
bool password_verify_parsed(const struct password_stored *h, const char *pw);

/* password_parse + password_verify_parsed; false when stored is malformed. */
bool password_verify(const char *stored, const char *pw);

/* Whether a hash that verified should be stored again: it is not Argon2id
 * with exactly the parameters above (an earlier format, other costs). False
 * for one that does not parse (nothing to upgrade from). */
bool password_needs_rehash(const char *stored);

#endif
