/* dir_valid: the rules of a trunk (a table of edge cases, each failure
 * naming its field) and the pieces they are made of. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "dir_valid.h"

static void test_trunk_address(void **state)
{
    static const struct {
        const char *s;
        bool ok;
    } cases[] = {
        {"192.0.2.10", true},
        {"198.51.100.0/24", true},
        {"0.0.0.0/0", true},
        {"192.0.2.10/32", true},
        {"2001:db8::1", true},
        {"2001:db8::/32", true},
        {"::/0", true},
        {"::ffff:192.0.2.1", true},
        {"2001:DB8::1", true},
        {"", false},
        {"192.0.2.300", false},
        {"192.0.2", false},
        {"10.0.0.0/33", false},
        {"2001:db8::/129", false},
        {"192.0.2.1/", false},
        {"/24", false},
        {"carrier.example", false},
        {"192.0.2.1 ", false},
        {" 192.0.2.1", false},
        {"192.0.2.1,192.0.2.2", false},
        {"192.0.2.1 192.0.2.2", false},
        {"[2001:db8::1]", false},
        {"192.0.2.1:5060", false},
        {"1111:2222:3333:4444:5555:6666:7777:8888/128x", false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (dir_valid_trunk_address(cases[i].s, strlen(cases[i].s)) != cases[i].ok)
            fail_msg("\"%s\": expected %s", cases[i].s, cases[i].ok ? "valid" : "invalid");
    /* only len bytes are read */
    assert_true(dir_valid_trunk_address("192.0.2.1,junk", 9));
    assert_false(dir_valid_trunk_address(NULL, 0));
}

static void test_sip_user(void **state)
{
    char longest[DIR_SIP_USER_MAX + 2];
    (void)state;
    assert_true(dir_valid_sip_user("acme-in", 7));
    assert_true(dir_valid_sip_user("+85230001234", 12));
    assert_true(dir_valid_sip_user("user@carrier.example", 20));
    assert_false(dir_valid_sip_user("", 0));
    assert_false(dir_valid_sip_user("a:b", 3));
    assert_false(dir_valid_sip_user("a b", 3));
    assert_false(dir_valid_sip_user("a\"b", 3));
    assert_false(dir_valid_sip_user("a\\b", 3));
    assert_false(dir_valid_sip_user("a\x7f", 2));
    assert_false(dir_valid_sip_user("caf\xc3\xa9", 5));
    memset(longest, 'u', sizeof(longest));
    assert_true(dir_valid_sip_user(longest, DIR_SIP_USER_MAX));
    assert_false(dir_valid_sip_user(longest, DIR_SIP_USER_MAX + 1));
}

static void test_outbound_uri(void **state)
{
    static const struct {
        const char *s;
        bool ok;
    } cases[] = {
        {"sip:127.0.0.2:5080", true},
        {"sip:127.0.0.2", true},
        {"sip:sbc.carrier.example", true},
        {"sip:sbc-1.carrier.example:5060", true},
        {"sip:[2001:db8::1]:5060", true},
        {"sip:[2001:db8::1]", true},
        {"sip:h:65535", true},
        {"sip:h:1", true},
        {"", false},
        {"sip:", false},
        {"sips:h", false},
        {"SIP:h", false},
        {"tel:+85212345678", false},
        {"sip:user@h", false},
        {"sip:h;transport=tcp", false},
        {"sip:h:0", false},
        {"sip:h:065", false},
        {"sip:h:65536", false},
        {"sip:h:123456", false},
        {"sip:h:", false},
        {"sip:h:5x", false},
        {"sip:.h", false},
        {"sip:h.", false},
        {"sip:-h", false},
        {"sip:[]", false},
        {"sip:[2001:db8::1", false},
        {"sip:[192.0.2.1]", false},
        {"sip:[2001:db8::/32]", false},
        {"sip:h h", false},
        {"sip:h\"", false},
    };
    char longest[DIR_OUTBOUND_URI_MAX + 2];
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (dir_valid_outbound_uri(cases[i].s, strlen(cases[i].s)) != cases[i].ok)
            fail_msg("case %zu (%s): expected %d", i, cases[i].s, cases[i].ok);
    assert_false(dir_valid_outbound_uri(NULL, 0));
    /* pointer + length: what follows len is not read */
    assert_true(dir_valid_outbound_uri("sip:h:5060junk", 10));
    memcpy(longest, "sip:", 4);
    memset(longest + 4, 'a', sizeof(longest) - 4);
    assert_true(dir_valid_outbound_uri(longest, DIR_OUTBOUND_URI_MAX));
    assert_false(dir_valid_outbound_uri(longest, DIR_OUTBOUND_URI_MAX + 1));
}

struct trunk_case {
    const char *id, *name, *username, *password, *realm;
    const char *addresses[3];
    const char *field; /* NULL: valid */
};

static void test_check_trunk(void **state)
{
    static const struct trunk_case cases[] = {
        {"acme", "Acme", "", "", "", {"192.0.2.10"}, NULL},
        {"acme", "Acme", "acme-in", "long-enough", "", {NULL}, NULL},
        {"acme",
         "Acme",
         "acme-in",
         "long-enough",
         "acme.example",
         {"192.0.2.0/24", "2001:db8::/32"},
         NULL},
        /* a replace may leave the password out: the store decides */
        {"acme", "Acme", "acme-in", "", "", {NULL}, NULL},
        {"acme", "Acme", "", "", "", {NULL}, "addresses"},
        {"acme", "Acme", "", "", "", {"10.0.0.0/33"}, "addresses"},
        {"acme", "Acme", "", "", "", {"192.0.2.1", ""}, "addresses"},
        {"acme", "Acme", "", "long-enough", "", {"192.0.2.1"}, "username"},
        {"acme", "Acme", "a:b", "long-enough", "", {NULL}, "username"},
        {"acme", "Acme", "acme-in", "short", "", {NULL}, "password"},
        {"acme", "Acme", "acme-in", "long-enough", "a\"b", {NULL}, "realm"},
        {"acme", "", "", "", "", {"192.0.2.1"}, "name"},
        {"Acme", "Acme", "", "", "", {"192.0.2.1"}, "id"},
        {"", "Acme", "", "", "", {"192.0.2.1"}, "id"},
    };
    Cc__DirTrunk o = CC__DIR_TRUNK__INIT;
    char *one[1] = {"192.0.2.1"};
    struct dir_invalid owhy = {0};
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct trunk_case *c = &cases[i];
        Cc__DirTrunk t = CC__DIR_TRUNK__INIT;
        char *addresses[3];
        struct dir_invalid why = {0};
        bool ok;

        t.id = (char *)c->id;
        t.name = (char *)c->name;
        t.username = (char *)c->username;
        t.password = (char *)c->password;
        t.realm = (char *)c->realm;
        for (t.n_addresses = 0; t.n_addresses < 3 && c->addresses[t.n_addresses] != NULL;
             t.n_addresses++)
            addresses[t.n_addresses] = (char *)c->addresses[t.n_addresses];
        t.addresses = addresses;
        ok = dir_check_trunk(&t, &why);
        if (c->field == NULL && !ok)
            fail_msg("case %zu: refused (%s: %s)", i, why.field, why.message);
        if (c->field != NULL && (ok || strcmp(why.field, c->field) != 0))
            fail_msg("case %zu: expected field %s, got %s", i, c->field, ok ? "ok" : why.field);
        if (!ok)
            assert_true(why.message[0] != '\0');
    }
    o.id = "acme", o.name = "Acme", o.addresses = one, o.n_addresses = 1;
    o.outbound_uri = "sip:127.0.0.2:5080";
    assert_true(dir_check_trunk(&o, &owhy));
    o.outbound_uri = "sip:user@127.0.0.2";
    assert_false(dir_check_trunk(&o, &owhy));
    assert_string_equal(owhy.field, "outbound_uri");
}

static void test_too_many_addresses(void **state)
{
    Cc__DirTrunk t = CC__DIR_TRUNK__INIT;
    char text[DIR_TRUNK_ADDRESSES_MAX + 1][20], *addresses[DIR_TRUNK_ADDRESSES_MAX + 1];
    struct dir_invalid why;
    (void)state;

    for (size_t i = 0; i <= DIR_TRUNK_ADDRESSES_MAX; i++) {
        snprintf(text[i], sizeof(text[i]), "192.0.2.%zu", i);
        addresses[i] = text[i];
    }
    t.id = "many";
    t.name = "Many";
    t.addresses = addresses;
    t.n_addresses = DIR_TRUNK_ADDRESSES_MAX;
    assert_true(dir_check_trunk(&t, &why));
    t.n_addresses = DIR_TRUNK_ADDRESSES_MAX + 1;
    assert_false(dir_check_trunk(&t, &why));
    assert_string_equal(why.field, "addresses");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trunk_address),
        cmocka_unit_test(test_sip_user),
        cmocka_unit_test(test_check_trunk),
        cmocka_unit_test(test_outbound_uri),
        cmocka_unit_test(test_too_many_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
