/* cc_redis against a real redis-server (started here on a free loopback
 * port, one per test): a slow call does not hold up the others, a caller
 * waits for a busy pool, a command that was written is never re-sent, and a
 * connection the server closed is reopened before the command is sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cc_log.h"
#include "cc_redis.h"

struct server {
    pid_t pid;
    int port;
    char dir[64];
    char url[64];
};

static int free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* A direct connection of the test itself, outside the pool under test. */
static redisContext *direct(const struct server *s)
{
    struct timeval tv = {.tv_sec = 5};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", s->port, tv);
    if (c != NULL && c->err) {
        redisFree(c);
        return NULL;
    }
    if (c != NULL)
        redisSetTimeout(c, tv);
    return c;
}

/* Starts redis-server on s->port (no persistence) and waits until it answers. */
static void server_start(struct server *s)
{
    char port[16];

    snprintf(port, sizeof(port), "%d", s->port);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execlp("redis-server", "redis-server", "--bind", "127.0.0.1", "--port", port, "--dir",
               s->dir, "--save", "", "--appendonly", "no", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        redisContext *c = direct(s);
        redisReply *r = c != NULL ? redisCommand(c, "PING") : NULL;
        bool up = r != NULL && r->type == REDIS_REPLY_STATUS;
        freeReplyObject(r);
        redisFree(c);
        if (up)
            return;
        usleep(50 * 1000);
    }
    fail_msg("redis-server did not start on port %d (is it installed?)", s->port);
}

static void server_kill(struct server *s)
{
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
}

static int setup(void **state)
{
    struct server *s = calloc(1, sizeof(*s));

    snprintf(s->dir, sizeof(s->dir), "/tmp/cc-redis-test-XXXXXX");
    if (s == NULL || mkdtemp(s->dir) == NULL)
        return -1;
    s->port = free_port();
    snprintf(s->url, sizeof(s->url), "redis://127.0.0.1:%d/0", s->port);
    server_start(s);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct server *s = *state;
    char cmd[128];

    kill(s->pid, SIGCONT); /* in case a test stopped it */
    server_kill(s);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", s->dir);
    if (system(cmd) != 0)
        return -1;
    free(s);
    return 0;
}

static redisReply *cmd(struct cc_redis *r, int argc, const char **argv)
{
    return cc_redis_command(r, argc, argv, NULL);
}

/* A field of INFO clients as a number (-1 when Redis did not answer). */
static long clients_field(redisContext *c, const char *field)
{
    redisReply *rep = redisCommand(c, "INFO clients");
    long v = -1;
    if (rep != NULL && rep->type == REDIS_REPLY_STRING) {
        const char *p = strstr(rep->str, field);
        if (p != NULL)
            v = atol(p + strlen(field) + 1);
    }
    freeReplyObject(rep);
    return v;
}

static void wait_clients_field(const struct server *s, const char *field, long want)
{
    redisContext *c = direct(s);
    long v = -1;
    assert_non_null(c);
    /* a generous bound: what is waited for is an event, not a speed */
    for (int i = 0; i < 1000 && v != want; i++) {
        v = clients_field(c, field);
        if (v != want)
            usleep(10 * 1000);
    }
    redisFree(c);
    if (v != want)
        fail_msg("INFO clients %s stayed %ld, expected %ld", field, v, want);
}

struct blpop {
    struct cc_redis *r;
    redisReply *rep;
};

/* Blocks in BLPOP cc:t:q 0 on one pooled connection until something is pushed. */
static void *blpop_thread(void *arg)
{
    struct blpop *b = arg;
    const char *argv[] = {"BLPOP", "cc:t:q", "0"};
    b->rep = cmd(b->r, 3, argv);
    return NULL;
}

struct ping {
    struct cc_redis *r;
    bool pong;
};

static void *ping_thread(void *arg)
{
    struct ping *p = arg;
    p->pong = cc_redis_ping(p->r);
    return NULL;
}

static void assert_popped_x(const redisReply *rep)
{
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_ARRAY);
    assert_int_equal(rep->elements, 2);
    assert_string_equal(rep->element[1]->str, "x");
}

/* While one caller waits in a blocking command, another caller's commands
 * run: the BLPOP gets what the other pushes. With one connection behind one
 * lock the push would wait for the BLPOP, which would never end. */
static void test_slow_call_does_not_hold_up_others(void **state)
{
    struct server *s = *state;
    struct cc_redis *r;
    struct blpop b = {0};
    pthread_t t;
    char err[256];
    const char *push[] = {"RPUSH", "cc:t:q", "x"};
    const char *info[] = {"INFO", "clients"};
    redisReply *rep;
    bool blocked = false;

    assert_int_equal(cc_redis_connect_pool(&r, s->url, 4, 20000, 5000, err, sizeof(err)), CC_OK);
    b.r = r;
    assert_int_equal(pthread_create(&t, NULL, blpop_thread, &b), 0);
    /* asked through the pool: answered while the BLPOP holds its connection */
    for (int i = 0; i < 1000 && !blocked; i++) {
        rep = cmd(r, 2, info);
        assert_non_null(rep);
        blocked = strstr(rep->str, "blocked_clients:1") != NULL;
        freeReplyObject(rep);
        if (!blocked)
            usleep(10 * 1000);
    }
    assert_true(blocked);
    rep = cmd(r, 3, push);
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_INTEGER);
    freeReplyObject(rep);
    pthread_join(t, NULL);
    assert_popped_x(b.rep);
    freeReplyObject(b.rep);
    cc_redis_free(r);
}

/* With every connection busy a caller waits for one to come back (rather
 * than failing at once) and is then served. */
static void test_busy_pool_caller_waits(void **state)
{
    struct server *s = *state;
    struct cc_redis *r;
    struct blpop b = {0};
    struct ping p = {0};
    pthread_t tb, tp;
    redisContext *c;
    redisReply *rep;
    char err[256];

    assert_int_equal(cc_redis_connect_pool(&r, s->url, 1, 20000, 5000, err, sizeof(err)), CC_OK);
    b.r = p.r = r;
    assert_int_equal(pthread_create(&tb, NULL, blpop_thread, &b), 0);
    wait_clients_field(s, "blocked_clients", 1); /* the only connection is taken */
    assert_int_equal(pthread_create(&tp, NULL, ping_thread, &p), 0);
    c = direct(s);
    assert_non_null(c);
    rep = redisCommand(c, "RPUSH cc:t:q x");
    assert_non_null(rep);
    freeReplyObject(rep);
    redisFree(c);
    pthread_join(tb, NULL);
    pthread_join(tp, NULL);
    assert_popped_x(b.rep);
    freeReplyObject(b.rep);
    assert_true(p.pong);
    cc_redis_free(r);
}

/* A script written to a Redis that then does not answer (SIGSTOP) gives NULL
 * and is not sent again: once Redis goes on it has run exactly once. */
static void test_written_command_is_not_resent(void **state)
{
    struct server *s = *state;
    struct cc_redis *r;
    const char *keys[] = {"cc:t:n"};
    redisContext *c;
    redisReply *rep;
    char err[256];
    int id;

    assert_int_equal(cc_redis_connect_pool(&r, s->url, 1, 500, 5000, err, sizeof(err)), CC_OK);
    assert_int_equal(
        cc_redis_script_add(r, "return redis.call('INCR', KEYS[1])", &id, err, sizeof(err)), CC_OK);
    rep = cc_redis_script_call(r, id, 1, 1, keys, NULL);
    assert_non_null(rep);
    assert_int_equal(rep->integer, 1);
    freeReplyObject(rep);

    assert_int_equal(kill(s->pid, SIGSTOP), 0);
    rep = cc_redis_script_call(r, id, 1, 1, keys, NULL);
    assert_null(rep);
    assert_int_equal(cc_redis_reply_status(rep), CC_ERR_UNAVAILABLE);
    assert_int_equal(kill(s->pid, SIGCONT), 0);

    /* Redis runs what a client sent before seeing it close; once only the
     * test's own connection is left, every dropped one has been read. */
    wait_clients_field(s, "connected_clients", 1);
    c = direct(s);
    assert_non_null(c);
    rep = redisCommand(c, "GET cc:t:n");
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_STRING);
    assert_string_equal(rep->str, "2"); /* 3 if the pool had re-sent it */
    freeReplyObject(rep);
    redisFree(c);

    /* and the pool serves again */
    rep = cc_redis_script_call(r, id, 1, 1, keys, NULL);
    assert_non_null(rep);
    assert_int_equal(rep->integer, 3);
    freeReplyObject(rep);
    cc_redis_free(r);
}

/* After Redis restarts (its data and scripts gone) the first calls succeed:
 * the connection the old server closed is reopened before anything is
 * written to it, and the forgotten script is loaded again (NOSCRIPT). */
static void test_restart_reconnects_before_sending(void **state)
{
    struct server *s = *state;
    struct cc_redis *r;
    const char *keys[] = {"cc:t:n"};
    const char *get[] = {"GET", "cc:t:n"};
    redisReply *rep;
    char err[256];
    int id;

    assert_int_equal(cc_redis_connect_pool(&r, s->url, 1, 2000, 5000, err, sizeof(err)), CC_OK);
    assert_int_equal(
        cc_redis_script_add(r, "return redis.call('INCR', KEYS[1])", &id, err, sizeof(err)), CC_OK);
    rep = cc_redis_script_call(r, id, 1, 1, keys, NULL);
    assert_non_null(rep);
    assert_int_equal(rep->integer, 1);
    freeReplyObject(rep);

    server_kill(s);
    server_start(s);
    rep = cc_redis_script_call(r, id, 1, 1, keys, NULL);
    assert_non_null(rep);
    assert_int_equal(cc_redis_reply_status(rep), CC_OK);
    assert_int_equal(rep->type, REDIS_REPLY_INTEGER);
    assert_int_equal(rep->integer, 1); /* a fresh server, and the script ran once */
    freeReplyObject(rep);
    rep = cmd(r, 2, get);
    assert_non_null(rep);
    assert_string_equal(rep->str, "1");
    freeReplyObject(rep);

    server_kill(s);
    server_start(s);
    assert_true(cc_redis_ping(r)); /* a plain command, first after a restart */
    cc_redis_free(r);
}

/* An error reply comes back as an error reply, classified; a nil as nil. */
static void test_error_and_nil_replies(void **state)
{
    struct server *s = *state;
    struct cc_redis *r;
    const char *bad[] = {"NOSUCHCOMMAND"};
    const char *get[] = {"GET", "cc:t:none"};
    redisReply *rep;
    char err[256];

    assert_int_equal(cc_redis_connect_pool(&r, s->url, 2, 2000, 5000, err, sizeof(err)), CC_OK);
    rep = cmd(r, 1, bad);
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_ERROR);
    assert_int_equal(cc_redis_reply_status(rep), CC_ERR_REDIS);
    freeReplyObject(rep);
    rep = cmd(r, 2, get);
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_NIL);
    assert_int_equal(cc_redis_reply_status(rep), CC_OK);
    freeReplyObject(rep);
    cc_redis_free(r);
}

static void test_bad_pool_size(void **state)
{
    struct server *s = *state;
    struct cc_redis *r;
    char err[256];

    assert_int_equal(cc_redis_connect_pool(&r, s->url, 0, 2000, 1000, err, sizeof(err)),
                     CC_ERR_CONFIG);
    assert_null(r);
    assert_int_equal(
        cc_redis_connect_pool(&r, s->url, CC_REDIS_POOL_MAX + 1, 2000, 1000, err, sizeof(err)),
        CC_ERR_CONFIG);
    assert_null(r);
}

/* An ACL user: its password opens the pool and only its keys; a wrong or
 * missing password is a setting to fix (CC_ERR_CONFIG, not retried as an
 * outage) and the password never shows in the error. */
static void test_credentials(void **state)
{
    struct server *s = *state;
    struct cc_redis *r = NULL;
    redisContext *c = direct(s);
    redisReply *rep;
    char err[256], url[96];
    const char *set_ok[] = {"SET", "cc:t:k", "1"}, *set_other[] = {"SET", "other", "1"};

    assert_non_null(c);
    rep = redisCommand(c, "ACL SETUSER svc on >s3cret-pw ~cc:* +@all");
    assert_non_null(rep);
    assert_int_not_equal(rep->type, REDIS_REPLY_ERROR);
    freeReplyObject(rep);
    rep = redisCommand(c, "ACL SETUSER default off");
    assert_non_null(rep);
    freeReplyObject(rep);
    redisFree(c);

    assert_int_equal(cc_redis_connect_auth(&r, s->url, "svc", "wrong-pw", 1, 2000, 60000, err,
                                           sizeof(err)),
                     CC_ERR_CONFIG);
    assert_null(r);
    assert_non_null(strstr(err, "refused the credentials of user \"svc\""));
    assert_null(strstr(err, "wrong-pw"));

    assert_int_equal(cc_redis_connect_pool(&r, s->url, 1, 2000, 60000, err, sizeof(err)),
                     CC_ERR_CONFIG);
    assert_null(r);
    assert_non_null(strstr(err, "requires a password"));

    assert_int_equal(cc_redis_connect_auth(&r, s->url, "svc", "s3cret-pw", 1, 2000, 5000, err,
                                           sizeof(err)),
                     CC_OK);
    rep = cmd(r, 3, set_ok);
    assert_non_null(rep);
    assert_int_equal(cc_redis_reply_status(rep), CC_OK);
    freeReplyObject(rep);
    rep = cmd(r, 3, set_other);
    assert_non_null(rep);
    assert_int_equal(cc_redis_reply_status(rep), CC_ERR_REDIS); /* NOPERM: not its key */
    freeReplyObject(rep);
    cc_redis_free(r);

    /* the same credentials in the URL */
    snprintf(url, sizeof(url), "redis://svc:s3cret-pw@127.0.0.1:%d/0", s->port);
    assert_int_equal(cc_redis_connect_pool(&r, url, 1, 2000, 5000, err, sizeof(err)), CC_OK);
    assert_true(cc_redis_ping(r));
    cc_redis_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_slow_call_does_not_hold_up_others, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_pool_caller_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_written_command_is_not_resent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_reconnects_before_sending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_and_nil_replies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_pool_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_credentials, setup, teardown),
    };
    signal(SIGPIPE, SIG_IGN); /* as the services do: a closed socket is an error, not death */
    cc_log_setup("test_redis_pool", "test", CC_LOG_WARN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
