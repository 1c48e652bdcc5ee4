/*
 * cc_origin: web origins (RFC 6454, serialised as "scheme://host[:port]"),
 * for the gateway's check of the Origin a browser sends with a WebSocket
 * handshake.
 *
 * An allowlist (CC_WS_ORIGINS) is a list of origins separated by commas
 * and/or spaces, each "http://host[:port]" or "https://host[:port]" with no
 * path, or "*" (any origin). Matching is exact on the serialisation,
 * ignoring ASCII case: "https://shop.example.com" does not allow
 * "https://shop.example.com:8443" or "http://shop.example.com".
 *
 * Pure functions: pointer + length, nothing past the end is read, no
 * allocation; fuzzed (tests/fuzz/fuzz_origin.c).
 */
#ifndef CC_ORIGIN_H
#define CC_ORIGIN_H
#include <stdbool.h>
#include <stddef.h>

#define CC_ORIGIN_MAX 255 /* longest origin accepted, in bytes */

/* True when o[0..len) is a serialised http or https origin: a scheme,
 * "://", a host of letters, digits, '-', '.', or a bracketed IPv6 address,
 * an optional ":port" (1 to 5 digits), nothing else. */
bool cc_origin_valid(const char *o, size_t len);

/* Checks an allowlist: every entry "*" or a valid origin. False with a
 * one-line reason naming the entry in err. An empty list is valid. */
bool cc_origin_list_valid(const char *list, size_t len, char *err, size_t errlen);

/* True when origin o[0..olen) is in the allowlist, or the list holds "*".
 * An invalid origin (e.g. "null") is allowed only by "*". */
bool cc_origin_listed(const char *o, size_t olen, const char *list, size_t len);

/* True when origin o is the same site as a request whose Host header is
 * host[0..hlen): the origin's host[:port] equals the Host header (ASCII case
 * ignored). The scheme is not compared: behind a TLS proxy the gateway
 * itself speaks plain HTTP. */
bool cc_origin_same_host(const char *o, size_t olen, const char *host, size_t hlen);

#endif
