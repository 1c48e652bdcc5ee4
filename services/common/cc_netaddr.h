/*
 * cc_netaddr: client addresses for admission limits.
 *
 * Parses IP addresses and CIDR ranges from text (the list of trusted
 * proxies in CC_TRUSTED_PROXIES, the entries of an X-Forwarded-For header
 * sent by anyone), always from pointer + length, never past the end and
 * never assuming a NUL. An IPv4-mapped IPv6 address (::ffff:192.0.2.1) is
 * taken as its IPv4 address, so one client is one client whichever socket
 * family saw it.
 *
 * Who the client is: the TCP peer, unless the peer is a trusted proxy;
 * then X-Forwarded-For is read from the right (each proxy appends the
 * address it saw), and the client is the first address that is not a
 * trusted proxy. An entry that does not parse stops the walk at the last
 * trusted hop: whatever is left of it is the client's own text, which
 * anyone can forge.
 */
#ifndef CC_NETADDR_H
#define CC_NETADDR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "cc_status.h"

struct cc_netaddr {
    int family; /* AF_INET (b[0..3]) or AF_INET6 (b[0..15]); 0: none */
    uint8_t b[16];
};

struct cc_cidr {
    struct cc_netaddr net; /* host bits cleared */
    int bits;              /* prefix length: 0..32 (IPv4), 0..128 (IPv6) */
};

#define CC_CIDR_LIST_MAX 64
struct cc_cidr_list {
    size_t n;
    struct cc_cidr item[CC_CIDR_LIST_MAX];
};

/* Text of a client key (cc_netaddr_key): an IPv4 address, or an IPv6 /64. */
#define CC_NETADDR_KEY_MAX 64

/* One address: "192.0.2.1", "2001:db8::1" (len bytes, no NUL needed).
 * False when s is not exactly one address. */
bool cc_netaddr_parse(struct cc_netaddr *a, const char *s, size_t len);

/* The address of a socket (AF_INET or AF_INET6); false for other families
 * or NULL. */
bool cc_netaddr_from_sockaddr(struct cc_netaddr *a, const struct sockaddr *sa);

/* A list of addresses and ranges separated by commas and/or spaces:
 * "10.0.0.0/8, 192.168.1.7 ::1 fd00::/8". An address alone is a range of
 * one. Empty (or only separators) is an empty list. On a bad entry or more
 * than CC_CIDR_LIST_MAX of them, CC_ERR_INVALID and a reason in err. */
cc_status cc_cidr_list_parse(struct cc_cidr_list *l, const char *s, size_t len, char *err,
                             size_t errlen);

/* Whether a is inside one of the ranges of l. */
bool cc_cidr_list_contains(const struct cc_cidr_list *l, const struct cc_netaddr *a);

/*
 * The client of a request whose TCP peer is peer and whose X-Forwarded-For
 * header (all of its lines joined with ",", in order) is xff (len bytes;
 * NULL or 0 when absent): see the top of this file. Entries are an address,
 * optionally with a port ("192.0.2.1:4711", "[2001:db8::1]:443") or in
 * brackets. trusted empty: always the peer.
 */
void cc_netaddr_client(struct cc_netaddr *client, const struct cc_netaddr *peer, const char *xff,
                       size_t len, const struct cc_cidr_list *trusted);

/* The key text of a client for its rate limits, NUL-terminated into out
 * (CC_NETADDR_KEY_MAX bytes): an IPv4 address as such; an IPv6 address as
 * its /64 ("2001:db8:0:7::/64"), the block one subscriber is given, so
 * that a client cannot leave its limits by moving inside its own /64. */
void cc_netaddr_key(const struct cc_netaddr *a, char out[CC_NETADDR_KEY_MAX]);

#endif
