/*
 * cc_redis: a small pool of Redis connections shared by a service's threads.
 *
 * A call checks one connection out (waiting at most the pool's wait_ms,
 * CC_REDIS_TIMEOUT_MS in the services, when all are busy), runs its command with no lock held and
 * checks it back in, so one slow call delays only its own caller. hiredis contexts are not thread
 * safe: a checked-out connection belongs to its caller alone, who also reconnects it when it is
 * broken. Why a pool rather than hiredis async with pipelining: services/common/README.md.
 *
 * Failures and retries. A command is re-sent only when it provably never
 * reached Redis: the connection was already known broken (closed by the
 * server, as after a restart) or its bytes could not all be written. Once a
 * command is written and its reply does not come (timeout, connection lost),
 * the connection is dropped and the call returns NULL without re-sending:
 * the command may have run, and a Lua script run twice would act twice.
 *
 * Lua scripts are registered once (cc_redis_script_add), loaded with SCRIPT
 * LOAD and called by SHA; a NOSCRIPT reply (Redis restarted and forgot them)
 * reloads the script and re-sends, which is safe because the script did not
 * run. Callers never send script bodies.
 *
 * A reply is NULL (Redis could not be asked or did not answer) or a
 * redisReply, which may be an error reply. cc_redis_reply_status() says which
 * of those is "unavailable, try again", which is another Redis error and
 * which is an answer: a caller must never read an error as "not found".
 */
#ifndef CC_REDIS_H
#define CC_REDIS_H
#include <stdbool.h>
#include <stddef.h>
#include <hiredis/hiredis.h>
#include "cc_status.h"

#define CC_REDIS_MAX_SCRIPTS 64
#define CC_REDIS_POOL_DEFAULT 8 /* CC_REDIS_POOL */
#define CC_REDIS_POOL_MAX 64
/* wait_ms of the services' pools: the bound of each wait (for a free
 * connection, to connect, for a reply). Below CC_REQUEST_TIMEOUT_MS's
 * default, so a service can still answer "unavailable" to a NATS request. */
#define CC_REDIS_TIMEOUT_MS 2000

struct cc_redis;

/* Connects to a redis://[:password@]host:port[/db] URL, retrying for
 * retry_ms, with a pool of pool_size connections (1..CC_REDIS_POOL_MAX; the
 * first is opened now, the others when concurrency first needs them). Each
 * wait of a call (for a free connection, to connect, for the reply) lasts at
 * most wait_ms (> 0). Caller frees with cc_redis_free(). */
cc_status cc_redis_connect_pool(struct cc_redis **rp, const char *url, int pool_size, int wait_ms,
                                int retry_ms, char *err, size_t errlen);
/* cc_redis_connect_pool() with credentials given apart from the URL (an ACL
 * user and its password: AUTH user password; a password alone: AUTH
 * password). They replace the URL's when password is neither NULL nor "";
 * both are copied. A refused AUTH at start is not retried: CC_ERR_CONFIG. */
cc_status cc_redis_connect_auth(struct cc_redis **rp, const char *url, const char *user,
                                const char *password, int pool_size, int wait_ms, int retry_ms,
                                char *err, size_t errlen);
/* cc_redis_connect_pool() with CC_REDIS_POOL_DEFAULT connections and
 * CC_REDIS_TIMEOUT_MS; retries for timeout_ms. */
cc_status cc_redis_connect(struct cc_redis **rp, const char *url, int timeout_ms, char *err,
                           size_t errlen);
/* Closes every connection. Only when no call is running. Accepts NULL. */
void cc_redis_free(struct cc_redis *r);

/* Registers a script; *id is what cc_redis_script_call takes. lua is copied. */
cc_status cc_redis_script_add(struct cc_redis *r, const char *lua, int *id, char *err,
                              size_t errlen);
/* EVALSHA of script id with keys then args (argv[0..nkeys) are keys;
 * argvlen NULL = NUL-terminated). Returns the reply (caller frees with
 * freeReplyObject) or NULL when Redis could not be asked or did not answer
 * (then the script may or may not have run); an error reply is returned as
 * REDIS_REPLY_ERROR. */
redisReply *cc_redis_script_call(struct cc_redis *r, int id, int nkeys, int argc, const char **argv,
                                 const size_t *argvlen);
/* A command given as an argument vector (binary safe); same contract. */
redisReply *cc_redis_command(struct cc_redis *r, int argc, const char **argv,
                             const size_t *argvlen);
/* True if PING answers PONG now. */
bool cc_redis_ping(struct cc_redis *r);

/*
 * What a reply means for the caller (rep is borrowed):
 *   NULL                                  CC_ERR_UNAVAILABLE (no answer)
 *   error LOADING, BUSY, MASTERDOWN, TRYAGAIN, READONLY, CLUSTERDOWN, or
 *   "max number of clients reached"       CC_ERR_UNAVAILABLE (try again later)
 *   any other error reply                 CC_ERR_REDIS
 *   anything else (nil and empty too)     CC_OK: an answer
 * Only a CC_OK reply may be read as "no such key".
 */
cc_status cc_redis_reply_status(const redisReply *rep);

#endif
