/* cc_netaddr: addresses, CIDR lists, and who the client is behind proxies
 * (tables of edge cases: what anyone may put in X-Forwarded-For). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "cc_netaddr.h"

static struct cc_netaddr addr(const char *s)
{
    struct cc_netaddr a;
    if (!cc_netaddr_parse(&a, s, strlen(s)))
        fail_msg("\"%s\" does not parse", s);
    return a;
}

static const char *key_of(const struct cc_netaddr *a)
{
    static char k[CC_NETADDR_KEY_MAX];
    cc_netaddr_key(a, k);
    return k;
}

static void test_parse(void **state)
{
    static const struct {
        const char *text;
        bool ok;
        const char *key;
    } cases[] = {
        {"192.0.2.1", true, "192.0.2.1"},
        {"0.0.0.0", true, "0.0.0.0"},
        {"255.255.255.255", true, "255.255.255.255"},
        {"::1", true, "::/64"},
        {"2001:db8:0:7:1:2:3:4", true, "2001:db8:0:7::/64"},
        {"2001:db8:0:7::ffff", true, "2001:db8:0:7::/64"},
        {"::ffff:192.0.2.9", true, "192.0.2.9"}, /* mapped: one client, either family */
        {"", false, NULL},
        {"256.0.0.1", false, NULL},
        {"1.2.3", false, NULL},
        {"1.2.3.4.5", false, NULL},
        {" 1.2.3.4", false, NULL},
        {"1.2.3.4 ", false, NULL},
        {"1.2.3.4/8", false, NULL},
        {"1.2.3.4:80", false, NULL},
        {"[::1]", false, NULL},
        {"2001:db8::1::2", false, NULL},
        {"localhost", false, NULL},
        {"unknown", false, NULL},
        {"1234:5678:9abc:def0:1234:5678:9abc:def0:1", false, NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cc_netaddr a;
        bool ok = cc_netaddr_parse(&a, cases[i].text, strlen(cases[i].text));
        if (ok != cases[i].ok)
            fail_msg("\"%s\": %s", cases[i].text, ok ? "accepted" : "refused");
        if (ok && strcmp(key_of(&a), cases[i].key) != 0)
            fail_msg("\"%s\": key %s, expected %s", cases[i].text, key_of(&a), cases[i].key);
    }
}

static void test_parse_by_length(void **state)
{
    struct cc_netaddr a;
    const char with_nul[] = "10.0.0.1\0.5";
    (void)state;
    assert_true(cc_netaddr_parse(&a, "10.0.0.1,10.0.0.2", 8));
    assert_string_equal(key_of(&a), "10.0.0.1");
    assert_false(cc_netaddr_parse(&a, with_nul, sizeof(with_nul) - 1));
    assert_false(cc_netaddr_parse(&a, NULL, 4));
    assert_false(cc_netaddr_parse(&a, "1.2.3.4", 0));
    /* longer than any address: refused without reading past len */
    assert_false(cc_netaddr_parse(&a, "1111:2222:3333:4444:5555:6666:7777:8888:9999", 44));
}

static void test_sockaddr(void **state)
{
    struct sockaddr_in s4 = {.sin_family = AF_INET};
    struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
    struct sockaddr un = {.sa_family = AF_UNIX};
    struct cc_netaddr a;
    (void)state;
    inet_pton(AF_INET, "198.51.100.3", &s4.sin_addr);
    assert_true(cc_netaddr_from_sockaddr(&a, (struct sockaddr *)&s4));
    assert_string_equal(key_of(&a), "198.51.100.3");
    inet_pton(AF_INET6, "::ffff:198.51.100.3", &s6.sin6_addr);
    assert_true(cc_netaddr_from_sockaddr(&a, (struct sockaddr *)&s6));
    assert_int_equal(a.family, AF_INET);
    assert_string_equal(key_of(&a), "198.51.100.3");
    inet_pton(AF_INET6, "2001:db8:1:2:3::9", &s6.sin6_addr);
    assert_true(cc_netaddr_from_sockaddr(&a, (struct sockaddr *)&s6));
    assert_string_equal(key_of(&a), "2001:db8:1:2::/64");
    assert_false(cc_netaddr_from_sockaddr(&a, &un));
    assert_false(cc_netaddr_from_sockaddr(&a, NULL));
}

static void test_cidr_list(void **state)
{
    struct cc_cidr_list l;
    char err[128] = "";
    const char *list = " 10.0.0.0/8,192.168.1.7  fd00::/8,, ::ffff:172.16.0.0/108 0.0.0.0/0 ";
    struct cc_netaddr a;
    (void)state;

    assert_int_equal(cc_cidr_list_parse(&l, list, strlen(list), err, sizeof(err)), CC_OK);
    assert_int_equal(l.n, 5);
    assert_int_equal(l.item[3].net.family, AF_INET); /* mapped range -> 172.16.0.0/12 */
    assert_int_equal(l.item[3].bits, 12);
    assert_int_equal(cc_cidr_list_parse(&l, "10.1.2.3/8", 10, err, sizeof(err)), CC_OK);
    a = addr("10.200.0.1"); /* host bits of the range are ignored */
    assert_true(cc_cidr_list_contains(&l, &a));
    a = addr("11.0.0.1");
    assert_false(cc_cidr_list_contains(&l, &a));
    a = addr("::ffff:10.0.0.1");
    assert_true(cc_cidr_list_contains(&l, &a));

    assert_int_equal(cc_cidr_list_parse(&l, "fd00::/7 192.0.2.128/25", 23, err, sizeof(err)),
                     CC_OK);
    a = addr("fdff::1");
    assert_true(cc_cidr_list_contains(&l, &a));
    a = addr("fe00::1");
    assert_false(cc_cidr_list_contains(&l, &a));
    a = addr("192.0.2.200");
    assert_true(cc_cidr_list_contains(&l, &a));
    a = addr("192.0.2.127");
    assert_false(cc_cidr_list_contains(&l, &a));
    a = addr("::ffff:192.0.2.200"); /* only as IPv4 */
    assert_true(cc_cidr_list_contains(&l, &a));

    assert_int_equal(cc_cidr_list_parse(&l, "", 0, err, sizeof(err)), CC_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(cc_cidr_list_parse(&l, " , ,", 4, err, sizeof(err)), CC_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(cc_cidr_list_parse(&l, NULL, 0, err, sizeof(err)), CC_OK);
    assert_int_equal(l.n, 0);

    static const char *const bad[] = {
        "10.0.0.0/33",   "::/129", "10.0.0.0/",  "10.0.0.0/8/8", "10.0.0.0/-1",       "10.0.0.0/+8",
        "10.0.0.0/0008", "proxy",  "10.0.0.0/a", "/8",           "10.0.0.0;10.0.0.1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (cc_cidr_list_parse(&l, bad[i], strlen(bad[i]), err, sizeof(err)) != CC_ERR_INVALID)
            fail_msg("\"%s\" accepted", bad[i]);
        assert_non_null(strstr(err, "is not an IP address or range"));
    }
    {
        char many[2048] = "";
        for (int i = 0; i <= CC_CIDR_LIST_MAX; i++) {
            char one[24];
            snprintf(one, sizeof(one), "10.0.%d.0/24 ", i);
            strcat(many, one);
        }
        assert_int_equal(cc_cidr_list_parse(&l, many, strlen(many), err, sizeof(err)),
                         CC_ERR_INVALID);
        assert_non_null(strstr(err, "more than 64"));
    }
}

/* Who the client is: peer, trusted list, X-Forwarded-For -> client key. */
static void test_client(void **state)
{
    static const struct {
        const char *trusted, *peer, *xff, *client;
    } cases[] = {
        /* no trusted proxies: the header is never read */
        {"", "192.0.2.1", "203.0.113.5", "192.0.2.1"},
        /* an untrusted peer cannot pick its address */
        {"10.0.0.0/8", "192.0.2.1", "203.0.113.5", "192.0.2.1"},
        /* through one proxy */
        {"10.0.0.0/8", "10.0.0.2", "203.0.113.5", "203.0.113.5"},
        {"10.0.0.0/8", "10.0.0.2", NULL, "10.0.0.2"},
        {"10.0.0.0/8", "10.0.0.2", "", "10.0.0.2"},
        /* the rightmost untrusted entry: what the client wrote on the left is ignored */
        {"10.0.0.0/8", "10.0.0.2", "1.1.1.1, 203.0.113.5", "203.0.113.5"},
        /* through a chain of proxies */
        {"10.0.0.0/8", "10.0.0.2", "1.1.1.1, 203.0.113.5, 10.9.9.9 , 10.0.0.7", "203.0.113.5"},
        /* every entry a proxy: the leftmost */
        {"10.0.0.0/8", "10.0.0.2", "10.1.1.1,10.2.2.2", "10.1.1.1"},
        /* garbage stops the walk at the last trusted hop */
        {"10.0.0.0/8", "10.0.0.2", "203.0.113.5, unknown", "10.0.0.2"},
        {"10.0.0.0/8", "10.0.0.2", "203.0.113.5, 10.0.0.3, garbage", "10.0.0.2"},
        {"10.0.0.0/8", "10.0.0.2", "203.0.113.5, garbage, 10.0.0.3", "10.0.0.3"},
        {"10.0.0.0/8", "10.0.0.2", "203.0.113.5,", "10.0.0.2"},
        {"10.0.0.0/8", "10.0.0.2", ",", "10.0.0.2"},
        {"10.0.0.0/8", "10.0.0.2", "garbage, 203.0.113.5", "203.0.113.5"},
        /* ports and brackets, as some proxies write them */
        {"10.0.0.0/8", "10.0.0.2", "203.0.113.5:4711", "203.0.113.5"},
        {"10.0.0.0/8", "10.0.0.2", "[2001:db8:5:6::1]:443", "2001:db8:5:6::/64"},
        {"10.0.0.0/8", "10.0.0.2", "[2001:db8:5:6::1]", "2001:db8:5:6::/64"},
        {"10.0.0.0/8", "10.0.0.2", "2001:db8:5:6::1", "2001:db8:5:6::/64"},
        {"10.0.0.0/8", "10.0.0.2", "[2001:db8::1", "10.0.0.2"},
        {"10.0.0.0/8", "10.0.0.2", "[2001:db8::1]x", "10.0.0.2"},
        {"10.0.0.0/8", "10.0.0.2", "[192.0.2.1]", "10.0.0.2"},
        {"10.0.0.0/8", "10.0.0.2", "203.0.113.5:", "10.0.0.2"},
        {"10.0.0.0/8", "10.0.0.2", "203.0.113.5:http", "10.0.0.2"},
        {"10.0.0.0/8", "10.0.0.2", "\t203.0.113.5 \t", "203.0.113.5"},
        /* a mapped peer is its IPv4 address, trusted as such */
        {"10.0.0.0/8", "::ffff:10.0.0.2", "203.0.113.5", "203.0.113.5"},
        {"::1", "::1", "198.51.100.2", "198.51.100.2"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cc_cidr_list l;
        struct cc_netaddr peer = addr(cases[i].peer), client;
        char err[128];
        assert_int_equal(
            cc_cidr_list_parse(&l, cases[i].trusted, strlen(cases[i].trusted), err, sizeof(err)),
            CC_OK);
        cc_netaddr_client(&client, &peer, cases[i].xff,
                          cases[i].xff != NULL ? strlen(cases[i].xff) : 0, &l);
        if (strcmp(key_of(&client), cases[i].client) != 0)
            fail_msg("case %zu (xff \"%s\"): client %s, expected %s", i,
                     cases[i].xff ? cases[i].xff : "(none)", key_of(&client), cases[i].client);
    }
}

/* The header is read by length: bytes after len do not count. */
static void test_client_by_length(void **state)
{
    struct cc_cidr_list l;
    struct cc_netaddr peer = addr("10.0.0.2"), client;
    const char *xff = "203.0.113.5, 198.51.100.9";
    char err[64];
    (void)state;
    assert_int_equal(cc_cidr_list_parse(&l, "10.0.0.0/8", 10, err, sizeof(err)), CC_OK);
    cc_netaddr_client(&client, &peer, xff, 11, &l);
    assert_string_equal(key_of(&client), "203.0.113.5");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),    cmocka_unit_test(test_parse_by_length),
        cmocka_unit_test(test_sockaddr), cmocka_unit_test(test_cidr_list),
        cmocka_unit_test(test_client),   cmocka_unit_test(test_client_by_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
