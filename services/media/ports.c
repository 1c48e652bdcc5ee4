/* ports: RTP/RTCP port pairs. See ports.h. */
#include "ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct media_ports {
    struct in_addr addr;
    int first;      /* the first even port of the range */
    size_t n;       /* pairs */
    size_t next;    /* where the search for a free pair starts */
    size_t used;
    bool *taken;
};

cc_status media_ports_new(struct media_ports **pp, const char *addr, int min, int max)
{
    struct media_ports *p;
    int first = min % 2 == 0 ? min : min + 1;

    *pp = NULL;
    if (max - first < 1)
        return CC_ERR_CONFIG;
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return CC_ERR_NOMEM;
    if (inet_pton(AF_INET, addr, &p->addr) != 1) {
        free(p);
        return CC_ERR_CONFIG;
    }
    p->first = first;
    p->n = (size_t)(max - first + 1) / 2;
    p->taken = calloc(p->n, sizeof(*p->taken));
    if (p->taken == NULL) {
        free(p);
        return CC_ERR_NOMEM;
    }
    *pp = p;
    return CC_OK;
}

void media_ports_free(struct media_ports *p)
{
    if (p == NULL)
        return;
    free(p->taken);
    free(p);
}

static int bind_one(const struct in_addr *addr, int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr = *addr};
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int tos = 0xb8; /* DSCP EF: voice */

    if (fd < 0)
        return -1;
    setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

cc_status media_ports_open(struct media_ports *p, int *rtp_fd, int *rtcp_fd, uint16_t *port,
                           char *why, size_t whylen)
{
    int last_errno = 0;

    for (size_t k = 0; k < p->n; k++) {
        size_t i = (p->next + k) % p->n;
        int port_rtp = p->first + 2 * (int)i, a, b;
        if (p->taken[i])
            continue;
        a = bind_one(&p->addr, port_rtp);
        if (a < 0) {
            last_errno = errno;
            continue;
        }
        b = bind_one(&p->addr, port_rtp + 1);
        if (b < 0) {
            last_errno = errno;
            close(a);
            continue;
        }
        p->taken[i] = true;
        p->used++;
        p->next = (i + 1) % p->n;
        *rtp_fd = a;
        *rtcp_fd = b;
        *port = (uint16_t)port_rtp;
        return CC_OK;
    }
    snprintf(why, whylen, "no free port pair in %d-%d%s%s", p->first,
             p->first + 2 * (int)p->n - 1, last_errno != 0 ? ": " : "",
             last_errno != 0 ? strerror(last_errno) : "");
    return CC_ERR_LIMIT;
}

void media_ports_release(struct media_ports *p, uint16_t port)
{
    size_t i;

    if (port < p->first || (port - p->first) % 2 != 0)
        return;
    i = (size_t)(port - p->first) / 2;
    if (i < p->n && p->taken[i]) {
        p->taken[i] = false;
        p->used--;
    }
}

size_t media_ports_total(const struct media_ports *p)
{
    return p->n;
}

size_t media_ports_used(const struct media_ports *p)
{
    return p->used;
}
