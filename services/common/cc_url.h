/*
 * cc_url: a small parser for the server URLs of the configuration
 * (nats://host:port, redis://[:password@]host:port[/db]).
 *
 * Takes pointer + length, copies the parts into fixed buffers and refuses
 * anything that does not fit them; it never reads past s + len.
 */
#ifndef CC_URL_H
#define CC_URL_H
#include <stddef.h>
#include "cc_status.h"

struct cc_url {
    char scheme[16];
    char user[64];
    char password[128];
    char host[256]; /* an IPv6 literal is stored without its brackets */
    int port;       /* 0 when absent */
    char path[256]; /* without the leading '/', "" when absent */
};

/* On error writes a one-line reason into err. */
cc_status cc_url_parse(struct cc_url *u, const char *s, size_t len, char *err, size_t errlen);

/*
 * Copies s (len bytes, any bytes, parsable or not) into out (NUL-terminated,
 * truncated to cap - 1) with the secret of its userinfo replaced by three
 * stars, so that the URL can be logged: nats://queue:pw@h:4222 becomes
 * nats://queue:<stars>@h:4222, redis://:pw@h becomes redis://:<stars>@h and
 * a token, nats://tok@h, becomes nats://<stars>@h.
 * The userinfo is what precedes the last '@' before the first '/' after
 * "://" (or from the start when there is no "://"), as cc_url_parse reads it.
 * cap must be > 0.
 */
void cc_url_redact(char *out, size_t cap, const char *s, size_t len);

#endif
