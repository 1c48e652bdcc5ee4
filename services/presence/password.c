/* password: Argon2id hashes, and the earlier PBKDF2 ones. See password.h. */
#include "password.h"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#define PBKDF2_PREFIX "pbkdf2-sha256$"
#define ARGON2_PREFIX "$argon2id$v=19$"

/* ---- parsing: pointer + length, never past end ------------------------- */

struct cursor {
    const char *p, *end;
};

static bool eat(struct cursor *c, const char *lit)
{
    size_t n = strlen(lit);

    if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
        return false;
    c->p += n;
    return true;
}

/* A decimal number in [min, max], digits only (no sign, no leading zero). */
static bool number(struct cursor *c, uint32_t min, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;
    const char *start = c->p;

    while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && c->p - start < 10) {
        v = v * 10 + (uint64_t)(*c->p - '0');
        c->p++;
    }
    if (c->p == start || (*start == '0' && c->p - start > 1) ||
        (c->p < c->end && *c->p >= '0' && *c->p <= '9') || v < min || v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* The text up to the next '$' (or the end); the cursor is left on the '$'. */
static size_t field(struct cursor *c, const char **start)
{
    const char *dollar = memchr(c->p, '$', (size_t)(c->end - c->p));
    const char *stop = dollar != NULL ? dollar : c->end;
    size_t n = (size_t)(stop - c->p);

    *start = c->p;
    c->p = stop;
    return n;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

/* Lower-case hex of min..max bytes. */
static bool unhex(uint8_t *out, size_t *outlen, const char *s, size_t n, size_t min, size_t max)
{
    if (n % 2 != 0 || n / 2 < min || n / 2 > max)
        return false;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *outlen = n / 2;
    return true;
}

static int b64val(char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

/* Standard base64 without padding (as the PHC format writes it), decoding
 * to min..max bytes. */
static bool unb64(uint8_t *out, size_t *outlen, const char *s, size_t n, size_t min, size_t max)
{
    size_t bytes = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1), o = 0;
    uint32_t acc = 0;
    int bits = 0;

    if (n % 4 == 1 || bytes < min || bytes > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        int v = b64val(s[i]);
        if (v < 0)
            return false;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* bits left over must be zero: one text per hash */
        return false;
    *outlen = o;
    return true;
}

static bool parse_pbkdf2(struct password_stored *h, struct cursor *c)
{
    const char *s;
    size_t n;

    if (!number(c, 1, PASSWORD_PBKDF2_ITER_MAX, &h->iterations) || !eat(c, "$"))
        return false;
    n = field(c, &s);
    if (!unhex(h->salt, &h->salt_len, s, n, PASSWORD_BYTES_MIN, PASSWORD_BYTES_MAX) || !eat(c, "$"))
        return false;
    n = field(c, &s);
    if (c->p != c->end || !unhex(h->key, &h->key_len, s, n, PASSWORD_KEY_MIN, PASSWORD_BYTES_MAX))
        return false;
    h->scheme = PASSWORD_PBKDF2_SHA256;
    return true;
}

static bool parse_argon2id(struct password_stored *h, struct cursor *c)
{
    const char *s;
    size_t n;

    if (!eat(c, "m=") || !number(c, 8, PASSWORD_ARGON2_M_MAX, &h->memory_kib) || !eat(c, ",t=") ||
        !number(c, 1, PASSWORD_ARGON2_T_MAX, &h->iterations) || !eat(c, ",p=") ||
        !number(c, 1, PASSWORD_ARGON2_P_MAX, &h->lanes) || !eat(c, "$"))
        return false;
    if (h->memory_kib < 8 * h->lanes) /* Argon2's own minimum */
        return false;
    n = field(c, &s);
    if (!unb64(h->salt, &h->salt_len, s, n, PASSWORD_BYTES_MIN, PASSWORD_BYTES_MAX) || !eat(c, "$"))
        return false;
    n = field(c, &s);
    if (c->p != c->end || !unb64(h->key, &h->key_len, s, n, PASSWORD_KEY_MIN, PASSWORD_BYTES_MAX))
        return false;
    h->scheme = PASSWORD_ARGON2ID;
    return true;
}

bool password_parse(struct password_stored *out, const char *s, size_t len)
{
    struct cursor c = {s, s + len};
    bool ok = false;

    memset(out, 0, sizeof(*out));
    if (s == NULL || len == 0 || len >= PASSWORD_HASH_MAX)
        return false;
    if (eat(&c, PBKDF2_PREFIX))
        ok = parse_pbkdf2(out, &c);
    else if (eat(&c, ARGON2_PREFIX))
        ok = parse_argon2id(out, &c);
    if (!ok)
        memset(out, 0, sizeof(*out));
    return ok;
}

/* ---- hashing -------------------------------------------------------------- */

cc_status password_hash(char out[PASSWORD_HASH_MAX], const char *pw)
{
    uint8_t salt[PASSWORD_SALT_LEN];
    int rc;

    if (RAND_bytes(salt, sizeof(salt)) != 1)
        return CC_ERR_IO;
    rc = argon2id_hash_encoded(PASSWORD_ARGON2_T, PASSWORD_ARGON2_M_KIB, PASSWORD_ARGON2_P, pw,
                               strlen(pw), salt, sizeof(salt), PASSWORD_KEY_LEN, out,
                               PASSWORD_HASH_MAX);
    return rc == ARGON2_OK ? CC_OK : CC_ERR_IO;
}

bool password_verify_parsed(const struct password_stored *h, const char *pw)
{
    uint8_t got[PASSWORD_BYTES_MAX];
    bool derived = false, ok;

    if (h == NULL || pw == NULL || h->scheme == PASSWORD_NONE)
        return false;
    if (h->scheme == PASSWORD_ARGON2ID)
        derived = argon2id_hash_raw(h->iterations, h->memory_kib, h->lanes, pw, strlen(pw), h->salt,
                                    h->salt_len, got, h->key_len) == ARGON2_OK;
    else
        derived = PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), h->salt, (int)h->salt_len,
                                    (int)h->iterations, EVP_sha256(), (int)h->key_len, got) == 1;
    ok = derived && CRYPTO_memcmp(got, h->key, h->key_len) == 0;
    OPENSSL_cleanse(got, sizeof(got));
    return ok;
}

bool password_verify(const char *stored, const char *pw)
{
    struct password_stored h;

    if (stored == NULL || !password_parse(&h, stored, strlen(stored)))
        return false;
    return password_verify_parsed(&h, pw);
}

bool password_needs_rehash(const char *stored)
{
    struct password_stored h;

    if (stored == NULL || !password_parse(&h, stored, strlen(stored)))
        return false;
    return h.scheme != PASSWORD_ARGON2ID || h.memory_kib != PASSWORD_ARGON2_M_KIB ||
           h.iterations != PASSWORD_ARGON2_T || h.lanes != PASSWORD_ARGON2_P ||
           h.salt_len != PASSWORD_SALT_LEN || h.key_len != PASSWORD_KEY_LEN;
}
