/*
 * cc_redis: one Redis connection shared by a service's threads.
 *
 * Calls are serialised by an internal mutex (hiredis contexts are not thread
 * safe). A call that finds the connection broken reconnects once and retries;
 * if Redis is still down it fails with NULL and the caller answers with an
 * error rather than blocking.
 *
 * Lua scripts are registered once (cc_redis_script_add), loaded with SCRIPT
 * LOAD and called by SHA; a NOSCRIPT reply (Redis restarted and forgot them)
 * reloads the script and retries, so callers never send script bodies.
 */
#ifndef CC_REDIS_H
#define CC_REDIS_H
#include <stdbool.h>
#include <stddef.h>
#include <hiredis/hiredis.h>
#include "cc_status.h"

#define CC_REDIS_MAX_SCRIPTS 64

struct cc_redis;

/* Connects to a redis://[:password@]host:port[/db] URL, retrying for
 * timeout_ms. Caller frees with cc_redis_free(). */
cc_status cc_redis_connect(struct cc_redis **rp, const char *url, int timeout_ms, char *err,
                           size_t errlen);
void cc_redis_free(struct cc_redis *r);

/* Registers a script; *id is what cc_redis_script_call takes. lua is copied. */
cc_status cc_redis_script_add(struct cc_redis *r, const char *lua, int *id, char *err,
                              size_t errlen);
/* EVALSHA of script id with keys then args (argv[0..nkeys) are keys).
 * Returns the reply (caller frees with freeReplyObject) or NULL when Redis
 * cannot be reached; an error reply is returned as REDIS_REPLY_ERROR. */
redisReply *cc_redis_script_call(struct cc_redis *r, int id, int nkeys, int argc, const char **argv,
                                 const size_t *argvlen);
/* A command given as an argument vector (binary safe); same contract. */
redisReply *cc_redis_command(struct cc_redis *r, int argc, const char **argv,
                             const size_t *argvlen);
/* True if PING answers PONG now. */
bool cc_redis_ping(struct cc_redis *r);

#endif
