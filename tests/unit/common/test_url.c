/* cc_url_parse: table of good and bad URLs, and bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "cc_url.h"

struct good {
    const char *in;
    const char *scheme, *user, *password, *host;
    int port;
    const char *path;
};

static const struct good goods[] = {
    {"nats://127.0.0.1:4222", "nats", "", "", "127.0.0.1", 4222, ""},
    {"redis://:secret@redis:6379/2", "redis", "", "secret", "redis", 6379, "2"},
    {"redis://user:pw@h/0", "redis", "user", "pw", "h", 0, "0"},
    {"postgresql://cc@127.0.0.1:5432/cc", "postgresql", "cc", "", "127.0.0.1", 5432, "cc"},
    {"nats://[::1]:4222", "nats", "", "", "::1", 4222, ""},
    {"nats://[::1]", "nats", "", "", "::1", 0, ""},
    {"tls://a.b.c:1", "tls", "", "", "a.b.c", 1, ""},
    {"nats://h:65535/", "nats", "", "", "h", 65535, ""},
    {"redis://u:p@ss@h:1", "redis", "u", "p@ss", "h", 1, ""}, /* last '@' ends userinfo */
};

static void test_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
        const struct good *g = &goods[i];
        struct cc_url u;
        char err[128] = "";
        assert_int_equal(cc_url_parse(&u, g->in, strlen(g->in), err, sizeof(err)), CC_OK);
        assert_string_equal(u.scheme, g->scheme);
        assert_string_equal(u.user, g->user);
        assert_string_equal(u.password, g->password);
        assert_string_equal(u.host, g->host);
        assert_int_equal(u.port, g->port);
        assert_string_equal(u.path, g->path);
    }
}

struct bad {
    const char *in;
    const char *why; /* substring of the error */
};

static const struct bad bads[] = {
    {"", "empty"},
    {"127.0.0.1:4222", "scheme://"},
    {"nats:/x", "scheme://"},
    {"://host", "scheme://"},
    {"NATS://h", "scheme"},
    {"nats://", "no host"},
    {"nats://:4222", "no host"},
    {"nats://h:0", "out of range"},
    {"nats://h:65536", "out of range"},
    {"nats://h:99999999999999999999", "out of range"},
    {"nats://h:", "empty"},
    {"nats://h:12a", "not a number"},
    {"nats://[::1", "unclosed"},
    {"nats://[::1]x", "after ']'"},
    {"nats://h h:1", "bad character"},
};

static void test_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
        struct cc_url u;
        char err[128] = "";
        assert_int_equal(cc_url_parse(&u, bads[i].in, strlen(bads[i].in), err, sizeof(err)),
                         CC_ERR_INVALID);
        if (strstr(err, bads[i].why) == NULL)
            fail_msg("%s: error \"%s\" lacks \"%s\"", bads[i].in, err, bads[i].why);
    }
}

static void test_too_long_is_refused_not_truncated(void **state)
{
    char in[600], err[128];
    struct cc_url u;
    (void)state;

    strcpy(in, "nats://");
    memset(in + 7, 'h', 300);
    strcpy(in + 307, ":1");
    assert_int_equal(cc_url_parse(&u, in, strlen(in), err, sizeof(err)), CC_ERR_INVALID);
    assert_non_null(strstr(err, "host too long"));

    strcpy(in, "redis://:");
    memset(in + 9, 'p', 200);
    strcpy(in + 209, "@h:1");
    assert_int_equal(cc_url_parse(&u, in, strlen(in), err, sizeof(err)), CC_ERR_INVALID);
    assert_non_null(strstr(err, "password too long"));
}

static void test_reads_only_len_bytes(void **state)
{
    /* bytes after len must be ignored: a port of 42 followed by garbage */
    const char buf[] = {'n', 'a', 't', 's', ':', '/', '/', 'h', ':', '4', '2', '9', 'x', '!'};
    struct cc_url u;
    char err[64];
    (void)state;
    assert_int_equal(cc_url_parse(&u, buf, 11, err, sizeof(err)), CC_OK);
    assert_int_equal(u.port, 42);
    assert_string_equal(u.host, "h");
}

struct redact {
    const char *in, *out;
};

static const struct redact redacts[] = {
    {"nats://127.0.0.1:4222", "nats://127.0.0.1:4222"},
    {"nats://queue:pw@h:4222", "nats://queue:***@h:4222"},
    {"redis://:secret@redis:6379/2", "redis://:***@redis:6379/2"},
    {"redis://cc:p@ss@h:1/0", "redis://cc:***@h:1/0"},   /* the last '@' ends the userinfo */
    {"nats://token@h", "nats://***@h"},                  /* no ':': all of it may be a secret */
    {"postgresql://cc@127.0.0.1:5432/cc", "postgresql://***@127.0.0.1:5432/cc"},
    {"nats://h/x@y", "nats://h/x@y"},                    /* an '@' past the authority */
    {"user:pw@host:1", "user:***@host:1"},               /* no scheme: parsed from the start */
    {"http://x:1", "http://x:1"},
    {"nats://u:pw@", "nats://u:***@"},
    {"://:@", "://:***@"},
    {"", ""},
};

static void test_redact(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(redacts) / sizeof(redacts[0]); i++) {
        char out[128];
        cc_url_redact(out, sizeof(out), redacts[i].in, strlen(redacts[i].in));
        if (strcmp(out, redacts[i].out) != 0)
            fail_msg("%s: \"%s\", expected \"%s\"", redacts[i].in, out, redacts[i].out);
    }
}

static void test_redact_bounds(void **state)
{
    char out[12], in[64];
    const char buf[] = {'n', 'a', 't', 's', ':', '/', '/', 'u', ':', 'p', '@', 'h', 'X', '@'};
    (void)state;

    /* truncated to the buffer, still terminated, the password still hidden */
    snprintf(in, sizeof(in), "nats://someone:hunter2@host:4222");
    memset(out, 'z', sizeof(out));
    cc_url_redact(out, sizeof(out), in, strlen(in));
    assert_int_equal(strlen(out), sizeof(out) - 1);
    assert_null(strstr(out, "hunter2"));
    cc_url_redact(out, 1, in, strlen(in));
    assert_string_equal(out, "");
    /* only len bytes are read: the '@' after them is not seen */
    cc_url_redact(in, sizeof(in), buf, 12);
    assert_string_equal(in, "nats://u:***@h");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_too_long_is_refused_not_truncated),
        cmocka_unit_test(test_reads_only_len_bytes),
        cmocka_unit_test(test_redact),
        cmocka_unit_test(test_redact_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
