/*
 * contact: the rules for a staff phone's registered contacts (REGISTER,
 * RFC 3261 10.3), apart from Redis and SIP so they can be tested alone:
 * how long a binding lasts, which Contact URIs we keep, and the Contact
 * list of the 200 OK. sofia-sip has parsed the request already; these
 * functions only judge and print what it found.
 */
#ifndef INGRESS_CONTACT_H
#define INGRESS_CONTACT_H
#include <stdbool.h>
#include <stddef.h>

#define CONTACT_DEFAULT_S 3600 /* a binding with no expires parameter and no Expires */
#define CONTACT_MAX_S 3600     /* longer requests are cut to this */
#define CONTACT_URI_MAX 256    /* longer Contact URIs are refused (400) */
#define CONTACTS_PER_STAFF 10  /* bindings a staff member may hold at once */

/* Seconds a binding lasts: the Contact's expires parameter, else the
 * Expires header, else CONTACT_DEFAULT_S (-1: absent); at most max_s.
 * 0 removes the binding. */
int contact_expiry(int param, int header, int max_s);

/* Whether uri[0..len) may be kept as a binding and rung: a sip: or sips:
 * URI of 1..CONTACT_URI_MAX characters with a host part, without
 * characters that would break the header we print it into (controls,
 * spaces, < > " ,). */
bool contact_uri_ok(const char *uri, size_t len);

/* The Contact header value of a REGISTER's 200: "<uri>;expires=N" for
 * each binding, joined by ", " ("" when none). Returns the length, or -1
 * when it does not fit in cap. */
int contact_list_print(char *out, size_t cap, size_t n, const char *const *uris,
                       const int *secs);

#endif
