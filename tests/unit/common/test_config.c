/* cc_config_load: defaults, and one clear error per bad variable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cc_config.h"

static const char *const vars[] = {
    "CC_INSTANCE",
    "CC_NATS_URL",
    "CC_REDIS_URL",
    "CC_PG_URL",
    "CC_HTTP_ADDR",
    "CC_HTTP_PORT",
    "CC_WEB_ROOT",
    "CC_LOG_LEVEL",
    "CC_CONNECT_TIMEOUT_MS",
    "CC_REQUEST_TIMEOUT_MS",
    "CC_PING_TIMEOUT_MS",
    "CC_MEDIA_ADDR",
    "CC_MEDIA_PORT_MIN",
    "CC_MEDIA_PORT_MAX",
    "CC_REDIS_POOL",
    "CC_EVENTS_MAX_BYTES",
    "CC_CALLLOG_BATCH",
    "CC_RATE_ENQUIRY_ADDRESS",
    "CC_RATE_ENQUIRY_CHANNEL",
    "CC_RATE_CHAT_VISITOR",
    "CC_RATE_CHAT_ADDRESS",
    "CC_RATE_LOGIN_ACCOUNT",
    "CC_RATE_LOGIN_ADDRESS",
    "CC_TRUSTED_PROXIES",
    "CC_PASSWORD_WORKERS",
    "CC_SIP_REALM",
    "CC_HTTP_MAX_CONN",
    "CC_HTTP_PER_IP_MAX",
    "CC_HTTP_TIMEOUT_S",
    "CC_WS_PER_STAFF_MAX",
    "CC_WS_PER_VISITOR_MAX",
    "CC_WS_QUEUE_MAX_BYTES",
    "CC_WS_PANEL_MS",
    "CC_WS_ORIGINS",
    "CC_NATS_USER",
    "CC_NATS_PASSWORD",
    "CC_NATS_PASSWORD_FILE",
    "CC_REDIS_USER",
    "CC_REDIS_PASSWORD",
    "CC_REDIS_PASSWORD_FILE",
};

static int clear_env(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
    return 0;
}

static void test_defaults(void **state)
{
    struct cc_config c;
    char err[256];
    (void)state;
    assert_int_equal(cc_config_load(&c, "queue", err, sizeof(err)), CC_OK);
    assert_string_equal(c.service, "queue");
    assert_string_equal(c.nats_url, "nats://127.0.0.1:4222");
    assert_string_equal(c.redis_url, "redis://127.0.0.1:6379/0");
    assert_string_equal(c.pg_url, "postgresql://cc@127.0.0.1:5432/cc");
    assert_string_equal(c.http_addr, "127.0.0.1");
    assert_int_equal(c.http_port, 8080);
    assert_int_equal(c.log_level, CC_LOG_INFO);
    assert_int_equal(c.redis_pool, 8);
    assert_int_equal(c.connect_timeout_ms, 30000);
    assert_int_equal(c.ping_timeout_ms, 300);
    assert_int_equal(c.media_port_min, 20000);
    assert_int_equal(c.media_port_max, 20999);
    assert_true(c.events_max_bytes == 1073741824LL); /* 1 GiB */
    assert_int_equal(c.calllog_batch, 256);
    assert_int_equal(c.http_max_conn, 4096);
    assert_int_equal(c.http_per_ip_max, 256);
    assert_int_equal(c.http_timeout_s, 15);
    assert_int_equal(c.ws_per_staff_max, 4);
    assert_int_equal(c.ws_per_visitor_max, 2);
    assert_int_equal(c.ws_queue_max_bytes, 1048576);
    assert_int_equal(c.ws_panel_ms, 500);
    assert_string_equal(c.ws_origins, "");
    assert_true(strncmp(c.instance, "queue-", 6) == 0);
    /* the admission limits (README.md, Configuration) */
    assert_int_equal(c.rate_enquiry_address.burst, 30);
    assert_int_equal(c.rate_enquiry_address.period_s, 60);
    assert_int_equal(c.rate_enquiry_channel.burst, 600);
    assert_int_equal(c.rate_enquiry_channel.period_s, 60);
    assert_int_equal(c.rate_chat_visitor.burst, 30);
    assert_int_equal(c.rate_chat_visitor.period_s, 60);
    assert_int_equal(c.rate_chat_address.burst, 120);
    assert_int_equal(c.rate_chat_address.period_s, 60);
    assert_int_equal(c.rate_login_account.burst, 10);
    assert_int_equal(c.rate_login_account.period_s, 300);
    assert_int_equal(c.rate_login_address.burst, 60);
    assert_int_equal(c.rate_login_address.period_s, 60);
    assert_int_equal(c.trusted_proxies.n, 0);
    assert_true(c.password_workers >= 1 && c.password_workers <= 64);
    assert_string_equal(c.sip_realm, "cc.local");
}

static void test_rates_and_proxies(void **state)
{
    struct cc_config c;
    char err[256];
    (void)state;
    setenv("CC_RATE_ENQUIRY_ADDRESS", "5/10", 1);
    setenv("CC_RATE_LOGIN_ACCOUNT", "off", 1);
    setenv("CC_RATE_CHAT_VISITOR", "0", 1);
    setenv("CC_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7 fd00::/8", 1);
    setenv("CC_PASSWORD_WORKERS", "3", 1);
    assert_int_equal(cc_config_load(&c, "gateway", err, sizeof(err)), CC_OK);
    assert_int_equal(c.rate_enquiry_address.burst, 5);
    assert_int_equal(c.rate_enquiry_address.period_s, 10);
    assert_int_equal(c.rate_login_account.burst, 0); /* off */
    assert_int_equal(c.rate_chat_visitor.burst, 0);
    assert_int_equal(c.trusted_proxies.n, 3);
    assert_int_equal(c.trusted_proxies.item[0].bits, 8);
    assert_int_equal(c.trusted_proxies.item[1].bits, 32);
    assert_int_equal(c.trusted_proxies.item[2].bits, 8);
    assert_int_equal(c.password_workers, 3);
}

static void test_parse_rate(void **state)
{
    static const struct {
        const char *text;
        bool ok;
        int burst, period;
    } cases[] = {
        {"30/60", true, 30, 60},
        {"1/1", true, 1, 1},
        {"1000000/86400", true, 1000000, 86400},
        {"off", true, 0, 0},
        {"0", true, 0, 0},
        {"1000001/60", false, 0, 0},
        {"5/86401", false, 0, 0},
        {"0/60", false, 0, 0},
        {"5/0", false, 0, 0},
        {"5/", false, 0, 0},
        {"/5", false, 0, 0},
        {"5", false, 0, 0},
        {"5/60/1", false, 0, 0},
        {" 5/60", false, 0, 0},
        {"5/60 ", false, 0, 0},
        {"-5/60", false, 0, 0},
        {"+5/60", false, 0, 0},
        {"5.5/60", false, 0, 0},
        {"OFF", false, 0, 0},
        {"of", false, 0, 0},
        {"00", false, 0, 0},
        {"99999999/1", false, 0, 0},
        {"", false, 0, 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cc_rate r = {-1, -1};
        bool ok = cc_config_parse_rate(cases[i].text, strlen(cases[i].text), &r);
        if (ok != cases[i].ok)
            fail_msg("\"%s\": %s, expected %s", cases[i].text, ok ? "accepted" : "refused",
                     cases[i].ok ? "accepted" : "refused");
        if (ok && (r.burst != cases[i].burst || r.period_s != cases[i].period))
            fail_msg("\"%s\": %d/%d", cases[i].text, r.burst, r.period_s);
        if (!ok && (r.burst != -1 || r.period_s != -1))
            fail_msg("\"%s\": refused but written", cases[i].text);
    }
    /* by length: the bytes after len are not read */
    {
        struct cc_rate r;
        assert_true(cc_config_parse_rate("30/60xyz", 5, &r) && r.burst == 30 && r.period_s == 60);
        assert_false(cc_config_parse_rate("30/60", 4, &r) && r.period_s == 60);
        assert_false(cc_config_parse_rate(NULL, 3, &r));
    }
}

static void test_overrides(void **state)
{
    struct cc_config c;
    char err[256];
    (void)state;
    setenv("CC_HTTP_PORT", "9090", 1);
    setenv("CC_HTTP_ADDR", "::1", 1);
    setenv("CC_LOG_LEVEL", "debug", 1);
    setenv("CC_INSTANCE", "queue-7", 1);
    setenv("CC_NATS_URL", "nats://[::1]:4333", 1);
    setenv("CC_REDIS_POOL", "64", 1);
    setenv("CC_EVENTS_MAX_BYTES", "10995116277760", 1); /* 10 TiB: past int's range */
    setenv("CC_CALLLOG_BATCH", "1", 1);
    assert_int_equal(cc_config_load(&c, "queue", err, sizeof(err)), CC_OK);
    assert_true(c.events_max_bytes == 10995116277760LL);
    assert_int_equal(c.calllog_batch, 1);
    assert_int_equal(c.redis_pool, 64);
    assert_int_equal(c.http_port, 9090);
    assert_string_equal(c.http_addr, "::1");
    assert_int_equal(c.log_level, CC_LOG_DEBUG);
    assert_string_equal(c.instance, "queue-7");
}

struct bad {
    const char *var, *value, *expect;
};

static const struct bad bads[] = {
    {"CC_HTTP_PORT", "abc", "CC_HTTP_PORT=\"abc\" is invalid: expected an integer from 1 to 65535"},
    {"CC_HTTP_PORT", "", "CC_HTTP_PORT"},
    {"CC_HTTP_PORT", "0", "CC_HTTP_PORT"},
    {"CC_HTTP_PORT", "70000", "CC_HTTP_PORT"},
    {"CC_HTTP_PORT", "80 ", "CC_HTTP_PORT"},
    {"CC_HTTP_PORT", "-1", "CC_HTTP_PORT"},
    {"CC_HTTP_ADDR", "localhost", "CC_HTTP_ADDR"},
    {"CC_LOG_LEVEL", "loud", "CC_LOG_LEVEL=\"loud\" is invalid"},
    {"CC_NATS_URL", "http://x:1", "CC_NATS_URL=\"http://x:1\" is invalid: scheme must be nats://"},
    {"CC_NATS_URL", "nats://:1", "CC_NATS_URL"},
    {"CC_REDIS_URL", "redis://h:99999", "CC_REDIS_URL"},
    {"CC_REDIS_POOL", "0", "CC_REDIS_POOL=\"0\" is invalid: expected an integer from 1 to 64"},
    {"CC_REDIS_POOL", "65", "CC_REDIS_POOL"},
    {"CC_REDIS_POOL", "eight", "CC_REDIS_POOL"},
    {"CC_PG_URL", "mysql://h/db", "CC_PG_URL"},
    {"CC_CONNECT_TIMEOUT_MS", "1e3", "CC_CONNECT_TIMEOUT_MS"},
    {"CC_MEDIA_PORT_MIN", "80", "CC_MEDIA_PORT_MIN"},
    {"CC_EVENTS_MAX_BYTES", "1048575",
     "CC_EVENTS_MAX_BYTES=\"1048575\" is invalid: expected an integer from 1048576 to "
     "1125899906842624"},
    {"CC_EVENTS_MAX_BYTES", "1GiB", "CC_EVENTS_MAX_BYTES"},
    {"CC_EVENTS_MAX_BYTES", "-1", "CC_EVENTS_MAX_BYTES"},
    {"CC_EVENTS_MAX_BYTES", "99999999999999999999", "CC_EVENTS_MAX_BYTES"},
    {"CC_CALLLOG_BATCH", "0",
     "CC_CALLLOG_BATCH=\"0\" is invalid: expected an integer from 1 to 1000"},
    {"CC_CALLLOG_BATCH", "1001", "CC_CALLLOG_BATCH"},
    {"CC_RATE_ENQUIRY_ADDRESS", "30 per minute",
     "CC_RATE_ENQUIRY_ADDRESS=\"30 per minute\" is invalid: expected <requests>/<seconds>"},
    {"CC_RATE_ENQUIRY_CHANNEL", "", "CC_RATE_ENQUIRY_CHANNEL"},
    {"CC_RATE_CHAT_VISITOR", "5/0", "CC_RATE_CHAT_VISITOR"},
    {"CC_RATE_CHAT_ADDRESS", "-1", "CC_RATE_CHAT_ADDRESS"},
    {"CC_RATE_LOGIN_ACCOUNT", "10/300/2", "CC_RATE_LOGIN_ACCOUNT"},
    {"CC_RATE_LOGIN_ADDRESS", "2000000/60", "CC_RATE_LOGIN_ADDRESS"},
    {"CC_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local",
     "CC_TRUSTED_PROXIES is invalid: \"proxy.local\" is not an IP address or range"},
    {"CC_TRUSTED_PROXIES", "10.0.0.0/33", "CC_TRUSTED_PROXIES"},
    {"CC_PASSWORD_WORKERS", "0",
     "CC_PASSWORD_WORKERS=\"0\" is invalid: expected an integer from 1 to 64"},
    {"CC_PASSWORD_WORKERS", "65", "CC_PASSWORD_WORKERS"},
    {"CC_SIP_REALM", "", "CC_SIP_REALM is invalid: expected 1 to 128 printable ASCII characters"},
    {"CC_SIP_REALM", "a\"b", "CC_SIP_REALM is invalid"},
    {"CC_SIP_REALM", "a\\b", "CC_SIP_REALM is invalid"},
    {"CC_SIP_REALM", "caf\xc3\xa9", "CC_SIP_REALM is invalid"},
    {"CC_HTTP_MAX_CONN", "15", "CC_HTTP_MAX_CONN=\"15\" is invalid: expected an integer from 16"},
    {"CC_HTTP_PER_IP_MAX", "4096",
     "CC_HTTP_PER_IP_MAX (4096) must be below CC_HTTP_MAX_CONN (4096): one address must not take "
     "every connection"},
    {"CC_HTTP_PER_IP_MAX", "-1", "CC_HTTP_PER_IP_MAX"},
    {"CC_HTTP_TIMEOUT_S", "0", "CC_HTTP_TIMEOUT_S"},
    {"CC_WS_PER_STAFF_MAX", "0", "CC_WS_PER_STAFF_MAX"},
    {"CC_WS_PER_VISITOR_MAX", "0", "CC_WS_PER_VISITOR_MAX"},
    {"CC_WS_QUEUE_MAX_BYTES", "65535", "CC_WS_QUEUE_MAX_BYTES"},
    {"CC_WS_PANEL_MS", "10", "CC_WS_PANEL_MS"},
    {"CC_WS_ORIGINS", "https://shop.example.com/widget",
     "CC_WS_ORIGINS is invalid: \"https://shop.example.com/widget\" is not an origin"},
    {"CC_WS_ORIGINS", "https://a.example, null", "CC_WS_ORIGINS is invalid: \"null\""},
};

static void test_bad_values(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
        struct cc_config c;
        char err[256] = "";
        clear_env(NULL);
        setenv(bads[i].var, bads[i].value, 1);
        assert_int_equal(cc_config_load(&c, "gateway", err, sizeof(err)), CC_ERR_CONFIG);
        if (strstr(err, bads[i].expect) == NULL)
            fail_msg("%s=%s: \"%s\" lacks \"%s\"", bads[i].var, bads[i].value, err, bads[i].expect);
        assert_null(strchr(err, '\n')); /* one line */
    }
}

/* The realm goes unescaped into a quoted-string and into HA1. */
static void test_realm(void **state)
{
    struct cc_config c;
    char err[256] = "", long_realm[CC_SIP_REALM_MAX + 2];
    (void)state;
    setenv("CC_SIP_REALM", "Acme Contact Centre", 1);
    assert_int_equal(cc_config_load(&c, "presence", err, sizeof(err)), CC_OK);
    assert_string_equal(c.sip_realm, "Acme Contact Centre");
    memset(long_realm, 'r', sizeof(long_realm) - 1);
    long_realm[CC_SIP_REALM_MAX] = '\0';
    assert_true(cc_config_valid_realm(long_realm, CC_SIP_REALM_MAX));
    assert_false(cc_config_valid_realm(long_realm, CC_SIP_REALM_MAX + 1));
    assert_false(cc_config_valid_realm(NULL, 0));
    assert_false(cc_config_valid_realm("", 0));
    assert_false(cc_config_valid_realm("a\tb", 3));
    assert_false(cc_config_valid_realm("a\x7f", 2));
    assert_true(cc_config_valid_realm("sip.example.com:5060", 20));
    assert_true(cc_config_valid_realm("cc.local\"", 8)); /* only len bytes are read */
}

static void test_media_range(void **state)
{
    struct cc_config c;
    char err[256];
    (void)state;
    setenv("CC_MEDIA_PORT_MIN", "30000", 1);
    setenv("CC_MEDIA_PORT_MAX", "20000", 1);
    assert_int_equal(cc_config_load(&c, "media", err, sizeof(err)), CC_ERR_CONFIG);
    assert_non_null(strstr(err, "CC_MEDIA_PORT_MAX (20000) is below CC_MEDIA_PORT_MIN (30000)"));
}

static void test_admission(void **state)
{
    struct cc_config c;
    char err[256];
    (void)state;
    setenv("CC_HTTP_MAX_CONN", "64", 1);
    setenv("CC_HTTP_PER_IP_MAX", "0", 1); /* off: behind a proxy every client has its address */
    setenv("CC_WS_ORIGINS", "https://shop.example.com, http://127.0.0.1:8080 *", 1);
    assert_int_equal(cc_config_load(&c, "gateway", err, sizeof(err)), CC_OK);
    assert_int_equal(c.http_max_conn, 64);
    assert_int_equal(c.http_per_ip_max, 0);
    assert_string_equal(c.ws_origins, "https://shop.example.com, http://127.0.0.1:8080 *");
    setenv("CC_HTTP_PER_IP_MAX", "63", 1);
    assert_int_equal(cc_config_load(&c, "gateway", err, sizeof(err)), CC_OK);
    setenv("CC_HTTP_PER_IP_MAX", "64", 1);
    assert_int_equal(cc_config_load(&c, "gateway", err, sizeof(err)), CC_ERR_CONFIG);
}

static void test_parse_int(void **state)
{
    long v = 0;
    (void)state;
    assert_true(cc_config_parse_int("0", 0, 10, &v) && v == 0);
    assert_true(cc_config_parse_int("-5", -10, 10, &v) && v == -5);
    assert_true(cc_config_parse_int("65535", 1, 65535, &v) && v == 65535);
    assert_false(cc_config_parse_int("65536", 1, 65535, &v));
    assert_false(cc_config_parse_int("", 0, 10, &v));
    assert_false(cc_config_parse_int(NULL, 0, 10, &v));
    assert_false(cc_config_parse_int("+1", 0, 10, &v));
    assert_false(cc_config_parse_int("1-", 0, 10, &v));
    assert_false(cc_config_parse_int("0x10", 0, 100, &v));
    assert_false(cc_config_parse_int("99999999999999999999999", 0, 10, &v));
}

/* A file holding content, its path in path (caller unlinks). */
static void secret_file(char *path, size_t len, const char *content)
{
    int fd;
    snprintf(path, len, "/tmp/cc-secret-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
}

static void test_credentials(void **state)
{
    struct cc_config c;
    char err[256], path[64];
    (void)state;

    assert_int_equal(cc_config_load(&c, "queue", err, sizeof(err)), CC_OK);
    assert_string_equal(c.nats_user, ""); /* none by default */
    assert_string_equal(c.nats_password, "");
    assert_string_equal(c.redis_user, "");

    setenv("CC_NATS_USER", "queue", 1);
    setenv("CC_NATS_PASSWORD", "n-pw", 1);
    secret_file(path, sizeof(path), "r-pw\r\n"); /* one trailing line break is dropped */
    setenv("CC_REDIS_USER", "cc", 1);
    setenv("CC_REDIS_PASSWORD_FILE", path, 1);
    assert_int_equal(cc_config_load(&c, "queue", err, sizeof(err)), CC_OK);
    unlink(path);
    assert_string_equal(c.nats_user, "queue");
    assert_string_equal(c.nats_password, "n-pw");
    assert_string_equal(c.redis_user, "cc");
    assert_string_equal(c.redis_password, "r-pw");
    assert_string_equal(c.redis_url, "redis://127.0.0.1:6379/0"); /* the URL is left alone */

    /* in the URLs instead */
    clear_env(NULL);
    setenv("CC_NATS_URL", "nats://gateway:u-pw@nats:4222", 1);
    setenv("CC_REDIS_URL", "redis://cc:u-rpw@redis:6379/0", 1);
    assert_int_equal(cc_config_load(&c, "gateway", err, sizeof(err)), CC_OK);
    assert_string_equal(c.nats_user, "gateway");
    assert_string_equal(c.nats_password, "u-pw");
    assert_string_equal(c.redis_user, "cc");
    assert_string_equal(c.redis_password, "u-rpw");

    /* a Redis password alone is the default user's; a NATS token is not a user */
    clear_env(NULL);
    setenv("CC_REDIS_PASSWORD", "legacy", 1);
    setenv("CC_NATS_URL", "nats://s3cr3ttoken@nats:4222", 1);
    assert_int_equal(cc_config_load(&c, "gateway", err, sizeof(err)), CC_OK);
    assert_string_equal(c.redis_user, "");
    assert_string_equal(c.redis_password, "legacy");
    assert_string_equal(c.nats_user, "");

    /* empty values are unset (compose's ${X:-}) */
    clear_env(NULL);
    setenv("CC_NATS_USER", "", 1);
    setenv("CC_NATS_PASSWORD_FILE", "", 1);
    assert_int_equal(cc_config_load(&c, "gateway", err, sizeof(err)), CC_OK);
    assert_string_equal(c.nats_user, "");
}

struct bad_cred {
    const char *vars[3][2]; /* name, value ("@file:<content>" writes a file) */
    const char *expect;
};

static const struct bad_cred bad_creds[] = {
    {{{"CC_NATS_USER", "q"}, {"CC_NATS_PASSWORD", "hunter2"}, {"CC_NATS_PASSWORD_FILE", "@file:x"}},
     "set CC_NATS_PASSWORD or CC_NATS_PASSWORD_FILE, not both"},
    {{{"CC_NATS_URL", "nats://a:hunter2@h:1"}, {"CC_NATS_USER", "a"}},
     "CC_NATS_URL carries credentials"},
    {{{"CC_REDIS_URL", "redis://:hunter2@h:1"}, {"CC_REDIS_PASSWORD", "hunter2"}},
     "CC_REDIS_URL carries credentials"},
    {{{"CC_NATS_USER", "queue"}}, "CC_NATS_USER=\"queue\" needs a password"},
    {{{"CC_REDIS_USER", "cc"}}, "CC_REDIS_USER=\"cc\" needs a password"},
    {{{"CC_NATS_PASSWORD", "hunter2"}}, "a NATS password needs a user: set CC_NATS_USER"},
    {{{"CC_NATS_USER", "a.b"}, {"CC_NATS_PASSWORD", "hunter2"}}, "CC_NATS_USER=\"a.b\" is invalid"},
    {{{"CC_NATS_USER", "a>"}, {"CC_NATS_PASSWORD", "hunter2"}}, "CC_NATS_USER"},
    {{{"CC_REDIS_USER", "c c"}, {"CC_REDIS_PASSWORD", "hunter2"}}, "CC_REDIS_USER"},
    {{{"CC_NATS_USER", "q"}, {"CC_NATS_PASSWORD_FILE", "/nonexistent/pw"}},
     "CC_NATS_PASSWORD_FILE=\"/nonexistent/pw\": cannot read the file: No such file"},
    {{{"CC_NATS_USER", "q"}, {"CC_NATS_PASSWORD_FILE", "/tmp"}}, "cannot read the file"},
    {{{"CC_NATS_USER", "q"}, {"CC_NATS_PASSWORD_FILE", "@file:\n"}}, "must hold one line"},
    {{{"CC_NATS_USER", "q"}, {"CC_NATS_PASSWORD_FILE", "@file:"}}, "must hold one line"},
    {{{"CC_NATS_USER", "q"}, {"CC_NATS_PASSWORD_FILE", "@file:hunter2\nmore\n"}},
     "must hold one line"},
    {{{"CC_NATS_USER", "q"},
      {"CC_NATS_PASSWORD_FILE",
       "@file:hunter2hunter2hunter2hunter2hunter2hunter2hunter2hunter2hunter2hunter2hunter2hunter2"
       "hunter2hunter2hunter2hunter2hunter2hunter2hunter2"}},
     "1 to 127 characters"},
    {{{"CC_NATS_URL", "nats://a:hunter2@h:99999"}}, "CC_NATS_URL=\"nats://a:***@h:99999\""},
    {{{"CC_REDIS_URL", "http://:hunter2@h"}}, "CC_REDIS_URL=\"http://:***@h\" is invalid"},
};

/* Each one refused with its reason; no password ever in the message. */
static void test_bad_credentials(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_creds) / sizeof(bad_creds[0]); i++) {
        const struct bad_cred *b = &bad_creds[i];
        struct cc_config c;
        char err[256] = "", path[64] = "";
        clear_env(NULL);
        for (size_t j = 0; j < 3 && b->vars[j][0] != NULL; j++) {
            const char *v = b->vars[j][1];
            if (strncmp(v, "@file:", 6) == 0) {
                secret_file(path, sizeof(path), v + 6);
                v = path;
            }
            setenv(b->vars[j][0], v, 1);
        }
        assert_int_equal(cc_config_load(&c, "gateway", err, sizeof(err)), CC_ERR_CONFIG);
        if (path[0] != '\0')
            unlink(path);
        if (strstr(err, b->expect) == NULL)
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, b->expect);
        if (strstr(err, "hunter2") != NULL)
            fail_msg("case %zu: the password is in \"%s\"", i, err);
        assert_null(strchr(err, '\n'));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, clear_env),
        cmocka_unit_test_setup(test_overrides, clear_env),
        cmocka_unit_test_setup(test_bad_values, clear_env),
        cmocka_unit_test_setup(test_media_range, clear_env),
        cmocka_unit_test_setup(test_realm, clear_env),
        cmocka_unit_test_setup(test_admission, clear_env),
        cmocka_unit_test(test_parse_int),
        cmocka_unit_test_setup(test_rates_and_proxies, clear_env),
        cmocka_unit_test(test_parse_rate),
        cmocka_unit_test_setup(test_credentials, clear_env),
        cmocka_unit_test_setup(test_bad_credentials, clear_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
