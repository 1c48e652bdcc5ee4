/*
 * ratelimit: the gateway's admission limits (docs/api.md, "Rate limits").
 *
 * What an anonymous client can create is bounded by token buckets in
 * Redis (lua/ratelimit.lua: every bucket a request needs is taken in one
 * atomic step, all or none), so the limits hold however many gateway
 * replicas share the load:
 *
 *   POST /api/v1/enquiries             per client address, per channel
 *   POST /api/v1/enquiries/{id}/messages  by a visitor token: per visitor
 *                                      token, per client address
 *   POST /api/v1/login                 per account (e-mail), per address
 *
 * Sizes from CC_RATE_* (cc_config.h; "off" turns one off). Over a limit:
 * 429 `rate_limited` (through the one table of errors.c) with Retry-After,
 * the whole seconds until the bucket that refills last has a token again
 * (at least 1). A Redis that cannot answer is a 503: never "allowed" by
 * default, never a 429.
 *
 * The client address is the TCP peer, or from X-Forwarded-For when the
 * peer is one of CC_TRUSTED_PROXIES (cc_netaddr.h); an IPv6 client counts
 * as its /64. Keys: cc:rate:<limit>:<who>, expiring when their bucket would
 * be full again; e-mails and visitor tokens are stored as SHA-256 only.
 *
 * Thread-safe: the checks run on the workers (pool.h), each with a Redis
 * connection of the pool.
 */
#ifndef GW_RATELIMIT_H
#define GW_RATELIMIT_H
#include <stdbool.h>
#include "cc_config.h"
#include "cc_redis.h"
#include "http.h"

struct gw_rate;

/* Registers the script with redis (borrowed, like cfg, until
 * gw_rate_free). Caller frees with gw_rate_free(). */
cc_status gw_rate_new(struct gw_rate **lp, struct cc_redis *redis, const struct cc_config *cfg,
                      char *err, size_t errlen);
/* Accepts NULL. */
void gw_rate_free(struct gw_rate *l);

/* Each takes one token from every bucket its request needs. True: go on.
 * False: r is filled (429 with retry_after_s, or 503) and nothing was
 * taken. Strings are borrowed for the call. */
bool gw_rate_enquiry(struct gw_rate *l, const struct gw_request *req, const char *channel_id,
                     struct gw_reply *r);
bool gw_rate_chat(struct gw_rate *l, const struct gw_request *req, const char *visitor_token,
                  struct gw_reply *r);
bool gw_rate_login(struct gw_rate *l, const struct gw_request *req, const char *email,
                   struct gw_reply *r);

/* The client address of req as its key text (cc_netaddr_key): the peer, or
 * from X-Forwarded-For behind a trusted proxy. */
void gw_rate_client(const struct gw_rate *l, const struct gw_request *req,
                    char out[CC_NETADDR_KEY_MAX]);

#endif
