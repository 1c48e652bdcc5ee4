/* password: PBKDF2 hashing and verification. See password.h. */
#include "password.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALT_LEN 16
#define KEY_LEN 32

static void hex(char *out, const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

static bool unhex(unsigned char *out, size_t n, const char *s, size_t slen)
{
    if (slen != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        for (int j = 0; j < 2; j++) {
            char c = s[2 * i + j];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= (unsigned)(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= (unsigned)(c - 'a' + 10);
            else
                return false;
        }
        out[i] = (unsigned char)v;
    }
    return true;
}

static bool derive(unsigned char key[KEY_LEN], const char *pw, const unsigned char *salt,
                   int iterations)
{
    return PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, SALT_LEN, iterations, EVP_sha256(), KEY_LEN,
                             key) == 1;
}

cc_status password_hash(char out[PASSWORD_HASH_MAX], const char *pw, int iterations)
{
    unsigned char salt[SALT_LEN], key[KEY_LEN];
    char salt_hex[2 * SALT_LEN + 1], key_hex[2 * KEY_LEN + 1];

    if (RAND_bytes(salt, SALT_LEN) != 1 || !derive(key, pw, salt, iterations))
        return CC_ERR_IO;
    hex(salt_hex, salt, SALT_LEN);
    hex(key_hex, key, KEY_LEN);
    snprintf(out, PASSWORD_HASH_MAX, "pbkdf2-sha256$%d$%s$%s", iterations, salt_hex, key_hex);
    OPENSSL_cleanse(key, sizeof(key));
    return CC_OK;
}

bool password_verify(const char *stored, const char *pw)
{
    unsigned char salt[SALT_LEN], want[KEY_LEN], got[KEY_LEN];
    const char *p, *salt_s, *key_s;
    char *end;
    long iterations;
    bool ok;

    if (stored == NULL || pw == NULL || strncmp(stored, "pbkdf2-sha256$", 14) != 0)
        return false;
    p = stored + 14;
    iterations = strtol(p, &end, 10);
    if (end == p || *end != '$' || iterations < 1 || iterations > 10000000)
        return false;
    salt_s = end + 1;
    key_s = strchr(salt_s, '$');
    if (key_s == NULL || !unhex(salt, SALT_LEN, salt_s, (size_t)(key_s - salt_s)) ||
        !unhex(want, KEY_LEN, key_s + 1, strlen(key_s + 1)))
        return false;
    if (!derive(got, pw, salt, (int)iterations))
        return false;
    ok = CRYPTO_memcmp(got, want, KEY_LEN) == 0;
    OPENSSL_cleanse(got, sizeof(got));
    return ok;
}
