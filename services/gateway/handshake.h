/*
 * handshake: what a WebSocket handshake offers in Sec-WebSocket-Protocol.
 *
 * Browsers cannot set headers on a WebSocket, and a token in the URL ends
 * up in the logs of every proxy on the way, so a client sends its token as
 * one of the subprotocols it offers, beside the protocol itself:
 *
 *   Sec-WebSocket-Protocol: cc.v1, bearer.<token>
 *
 * (new WebSocket(url, ["cc.v1", "bearer." + token]) in a browser). The
 * gateway answers "cc.v1", never the token. The header's grammar (RFC
 * 6455 4.1): a comma-separated list of tokens (RFC 7230 tchar), optional
 * whitespace around the commas.
 *
 * Pure: pointer + length, nothing past the end read, no allocation; fuzzed
 * (tests/fuzz/fuzz_ws_protocol.c).
 */
#ifndef GW_HANDSHAKE_H
#define GW_HANDSHAKE_H
#include <stdbool.h>
#include <stddef.h>

#define GW_HS_PROTOCOL "cc.v1"
#define GW_HS_BEARER "bearer."
#define GW_HS_TOKEN_MAX 200 /* longest token accepted (staff: 64, visitor: 66) */
#define GW_HS_OFFERS_MAX 16 /* subprotocols a client may offer */

struct gw_hs_offer {
    bool protocol;     /* "cc.v1" was offered */
    const char *token; /* the <token> of "bearer.<token>", borrowed from the header; else NULL */
    size_t token_len;
};

/* Parses the value v[0..len) of Sec-WebSocket-Protocol into *out. False
 * (and *out cleared) when it is malformed: an empty element, a character
 * that is not a tchar, more than GW_HS_OFFERS_MAX elements, two "bearer."
 * elements, an empty token or one longer than GW_HS_TOKEN_MAX. Unknown
 * protocols are allowed (and ignored). */
bool gw_hs_protocols(const char *v, size_t len, struct gw_hs_offer *out);

#endif
