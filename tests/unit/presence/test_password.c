/* password: the stored formats taken apart (a table of edge cases),
 * Argon2id hashes, the earlier PBKDF2 ones, and which ones want an upgrade. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <argon2.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "password.h"

/* A PBKDF2 hash as the earlier code wrote it (the same computation). */
static void pbkdf2_hash(char out[PASSWORD_HASH_MAX], const char *pw, int iterations)
{
    unsigned char salt[16], key[32];
    char salt_hex[33], key_hex[65];

    for (int i = 0; i < 16; i++)
        salt[i] = (unsigned char)(i * 7 + 1);
    assert_int_equal(
        PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, 16, iterations, EVP_sha256(), 32, key), 1);
    for (int i = 0; i < 16; i++)
        sprintf(salt_hex + 2 * i, "%02x", salt[i]);
    for (int i = 0; i < 32; i++)
        sprintf(key_hex + 2 * i, "%02x", key[i]);
    snprintf(out, PASSWORD_HASH_MAX, "pbkdf2-sha256$%d$%s$%s", iterations, salt_hex, key_hex);
}

/* n bytes of 0x5a as unpadded base64 (as the PHC format writes it). */
static void b64(char *out, size_t n)
{
    unsigned char in[80];
    int len;

    memset(in, 0x5a, sizeof(in));
    len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    while (len > 0 && out[len - 1] == '=')
        out[--len] = '\0';
}

static void test_argon2id_round_trip(void **state)
{
    char h[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];
    struct password_stored p;
    (void)state;

    assert_int_equal(password_hash(h, "correct horse"), CC_OK);
    assert_true(strncmp(h, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
    assert_true(password_parse(&p, h, strlen(h)));
    assert_int_equal(p.scheme, PASSWORD_ARGON2ID);
    assert_int_equal(p.memory_kib, 19456);
    assert_int_equal(p.iterations, 2);
    assert_int_equal(p.lanes, 1);
    assert_int_equal(p.salt_len, 16);
    assert_int_equal(p.key_len, 32);
    assert_true(password_verify(h, "correct horse"));
    assert_false(password_verify(h, "correct hors"));
    assert_false(password_verify(h, "correct horse "));
    assert_false(password_verify(h, ""));
    assert_false(password_needs_rehash(h));
    /* a fresh salt each time */
    assert_int_equal(password_hash(h2, "correct horse"), CC_OK);
    assert_string_not_equal(h, h2);
    assert_true(password_verify(h2, "correct horse"));
}

/* A hash the library wrote with other costs verifies, and wants an upgrade. */
static void test_argon2id_other_costs(void **state)
{
    char h[PASSWORD_HASH_MAX];
    const unsigned char salt[12] = "some-salt-12";
    (void)state;

    assert_int_equal(
        argon2id_hash_encoded(1, 4096, 2, "pw-1", 4, salt, sizeof(salt), 24, h, sizeof(h)),
        ARGON2_OK);
    assert_true(strncmp(h, "$argon2id$v=19$m=4096,t=1,p=2$", 30) == 0);
    assert_true(password_verify(h, "pw-1"));
    assert_false(password_verify(h, "pw-2"));
    assert_true(password_needs_rehash(h));
}

static void test_pbkdf2_still_verifies_and_wants_upgrade(void **state)
{
    char h[PASSWORD_HASH_MAX];
    struct password_stored p;
    (void)state;

    pbkdf2_hash(h, "old-pass-1", 60000);
    assert_true(password_parse(&p, h, strlen(h)));
    assert_int_equal(p.scheme, PASSWORD_PBKDF2_SHA256);
    assert_int_equal(p.iterations, 60000);
    assert_int_equal(p.salt_len, 16);
    assert_int_equal(p.key_len, 32);
    assert_true(password_verify(h, "old-pass-1"));
    assert_false(password_verify(h, "old-pass-2"));
    assert_true(password_needs_rehash(h));
    pbkdf2_hash(h, "x", 1); /* any cost */
    assert_true(password_verify(h, "x"));
}

static void test_verify_parsed_edges(void **state)
{
    struct password_stored none;
    (void)state;

    memset(&none, 0, sizeof(none));
    assert_false(password_verify_parsed(NULL, "pw"));
    assert_false(password_verify_parsed(&none, "pw"));
    assert_false(password_verify(NULL, "pw"));
    assert_false(password_verify("garbage", "pw"));
    assert_false(password_needs_rehash(NULL));
    assert_false(password_needs_rehash("garbage")); /* nothing to upgrade from */
    assert_false(password_needs_rehash(""));
}

/* Malformed or out-of-bounds stored hashes: each refused, nothing computed. */
static void test_parse_table(void **state)
{
    char s16[32], s7[16], s65[96], k32[48], k15[32];
    char good[PASSWORD_HASH_MAX];
    const char *hex16 = "0102030405060708090a0b0c0d0e0f10";
    const char *hex32 = "0102030405060708090a0b0c0d0e0f100102030405060708090a0b0c0d0e0f10";
    (void)state;

    b64(s16, 16);
    b64(s7, 7);
    b64(s65, 65);
    b64(k32, 32);
    b64(k15, 15);
    snprintf(good, sizeof(good), "$argon2id$v=19$m=19456,t=2,p=1$%s$%s", s16, k32);

    struct {
        char text[PASSWORD_HASH_MAX + 40];
        bool ok;
    } cases[64];
    size_t n = 0;
#define CASE(okv, ...)                                                                             \
    do {                                                                                           \
        snprintf(cases[n].text, sizeof(cases[n].text), __VA_ARGS__);                               \
        cases[n++].ok = okv;                                                                       \
    } while (0)

    CASE(true, "%s", good);
    CASE(true, "$argon2id$v=19$m=8,t=1,p=1$%s$%s", s16, k32);        /* the smallest */
    CASE(true, "$argon2id$v=19$m=262144,t=16,p=16$%s$%s", s16, k32); /* the largest */
    CASE(false, "$argon2id$v=19$m=262145,t=2,p=1$%s$%s", s16, k32);  /* > 256 MiB */
    CASE(false, "$argon2id$v=19$m=19456,t=17,p=1$%s$%s", s16, k32);  /* too many passes */
    CASE(false, "$argon2id$v=19$m=19456,t=2,p=17$%s$%s", s16, k32);  /* too many lanes */
    CASE(false, "$argon2id$v=19$m=0,t=2,p=1$%s$%s", s16, k32);
    CASE(false, "$argon2id$v=19$m=19456,t=0,p=1$%s$%s", s16, k32);
    CASE(false, "$argon2id$v=19$m=19456,t=2,p=0$%s$%s", s16, k32);
    CASE(false, "$argon2id$v=19$m=8,t=1,p=2$%s$%s", s16, k32);      /* m < 8 p */
    CASE(false, "$argon2id$v=19$m=019456,t=2,p=1$%s$%s", s16, k32); /* leading zero */
    CASE(false, "$argon2id$v=19$m=+19456,t=2,p=1$%s$%s", s16, k32);
    CASE(false, "$argon2id$v=19$m=99999999999,t=2,p=1$%s$%s", s16, k32);
    CASE(false, "$argon2id$v=19$t=2,m=19456,p=1$%s$%s", s16, k32); /* order */
    CASE(false, "$argon2id$v=16$m=19456,t=2,p=1$%s$%s", s16, k32); /* old version */
    CASE(false, "$argon2id$m=19456,t=2,p=1$%s$%s", s16, k32);      /* no version */
    CASE(false, "$argon2i$v=19$m=19456,t=2,p=1$%s$%s", s16, k32);  /* not id */
    CASE(false, "$argon2d$v=19$m=19456,t=2,p=1$%s$%s", s16, k32);
    CASE(false, "$argon2id$v=19$m=19456,t=2,p=1$%s$%s", s7, k32);      /* salt < 8 */
    CASE(false, "$argon2id$v=19$m=19456,t=2,p=1$%s$%s", s65, k32);     /* salt > 64 */
    CASE(false, "$argon2id$v=19$m=19456,t=2,p=1$%s$%s", s16, k15);     /* hash < 16 */
    CASE(false, "$argon2id$v=19$m=19456,t=2,p=1$%s==$%s", s16, k32);   /* padding */
    CASE(false, "$argon2id$v=19$m=19456,t=2,p=1$%s$%sAA", s16, k32);   /* len % 4 == 1 */
    CASE(false, "$argon2id$v=19$m=19456,t=2,p=1$%s$%.42sB", s16, k32); /* stray low bits */
    CASE(false, "$argon2id$v=19$m=19456,t=2,p=1$%s$%.42s-", s16, k32); /* not base64 */
    CASE(false, "%s$", good);                                          /* trailing */
    CASE(false, "%s ", good);
    CASE(false, " %s", good);
    CASE(false, "$argon2id$v=19$m=19456,t=2,p=1$%s", s16);  /* no hash */
    CASE(false, "$argon2id$v=19$m=19456,t=2,p=1$%s$", s16); /* empty hash */
    CASE(false, "$argon2id$v=19$m=19456,t=2,p=1$$%s", k32); /* empty salt */
    CASE(false, "$argon2id$v=19$m=19456,t=2,p=1");
    CASE(false, "$argon2id$");
    CASE(true, "pbkdf2-sha256$60000$%s$%s", hex16, hex32);
    CASE(true, "pbkdf2-sha256$10000000$%s$%s", hex16, hex32);
    CASE(false, "pbkdf2-sha256$10000001$%s$%s", hex16, hex32); /* bounded work */
    CASE(false, "pbkdf2-sha256$0$%s$%s", hex16, hex32);
    CASE(false, "pbkdf2-sha256$-5$%s$%s", hex16, hex32);
    CASE(false, "pbkdf2-sha256$$%s$%s", hex16, hex32);
    CASE(false, "pbkdf2-sha256$60000$%s$%s", "0102030405060708090A0B0C0D0E0F10", hex32); /* case */
    CASE(false, "pbkdf2-sha256$60000$%s$%s", "010203040506070", hex32);                  /* odd */
    CASE(false, "pbkdf2-sha256$60000$%s$%s", "01020304050607", hex32);                 /* 7 bytes */
    CASE(false, "pbkdf2-sha256$60000$%s$%s", hex16, "0102030405060708090a0b0c0d0e0f"); /* 15 */
    CASE(false, "pbkdf2-sha256$60000$%s$%s$", hex16, hex32);
    CASE(false, "pbkdf2-sha256$60000$%s", hex16);
    CASE(false, "pbkdf2-sha1$60000$%s$%s", hex16, hex32);
    CASE(false, "PBKDF2-SHA256$60000$%s$%s", hex16, hex32);
    CASE(false, "%s", "");
    CASE(false, "%s", "$");
    CASE(false, "%s", "plaintext-password");
#undef CASE
    for (size_t i = 0; i < n; i++) {
        struct password_stored p;
        bool got = password_parse(&p, cases[i].text, strlen(cases[i].text));
        if (got != cases[i].ok)
            fail_msg("case %zu \"%s\": parse %s, expected %s", i, cases[i].text,
                     got ? "accepted" : "refused", cases[i].ok ? "accepted" : "refused");
        if (!got && p.scheme != PASSWORD_NONE)
            fail_msg("case %zu: refused but scheme %d", i, p.scheme);
    }
}

/* Lengths, not NULs: a hash followed by more bytes, or cut short, or with a
 * NUL inside, is refused; exactly its bytes are accepted; and at
 * PASSWORD_HASH_MAX or more nothing is read. */
static void test_parse_lengths(void **state)
{
    char h[PASSWORD_HASH_MAX + 8], buf[2 * PASSWORD_HASH_MAX];
    struct password_stored p;
    size_t len;
    (void)state;

    assert_int_equal(password_hash(h, "pw"), CC_OK);
    len = strlen(h);
    memcpy(buf, h, len);
    memcpy(buf + len, "$junk", 5);
    assert_true(password_parse(&p, buf, len));
    assert_false(password_parse(&p, buf, len + 5));
    assert_false(password_parse(&p, buf, len - 1));
    buf[10] = '\0';
    assert_false(password_parse(&p, buf, len));
    assert_false(password_parse(&p, NULL, 10));
    memset(buf, 'a', sizeof(buf));
    assert_false(password_parse(&p, buf, PASSWORD_HASH_MAX));
    assert_false(password_parse(&p, buf, sizeof(buf)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_argon2id_round_trip),
        cmocka_unit_test(test_argon2id_other_costs),
        cmocka_unit_test(test_pbkdf2_still_verifies_and_wants_upgrade),
        cmocka_unit_test(test_verify_parsed_edges),
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_parse_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
