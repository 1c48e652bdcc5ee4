/* audit_read: the directory's audit trail from the events table. See audit_read.h. */
#include "audit_read.h"
#include "cc_error.h"
#include "calllog.pb-c.h"
#include "cc_log.h"
#include "cc_pg.h"

#include <stdio.h>
#include <stdlib.h>

struct clog_audit {
    struct cc_bus *bus;
    struct cc_pg *pg; /* the subscription's thread only */
};

/* The latest changes into *evs (heap, *n of them; each freed with
 * cc__event__free_unpacked). A row whose body does not unpack as a
 * directory change is skipped (logged). */
static cc_status latest(struct clog_audit *a, int limit, Cc__Event ***evs, size_t *n)
{
    static const char *const sql = "SELECT body FROM events WHERE type = 'directory.changed'"
                                   " ORDER BY ts DESC, id DESC LIMIT $1";
    char lim[16], err[256];
    const char *v[1] = {lim};
    cc_status st;
    PGresult *r;
    int rows;

    *evs = NULL;
    *n = 0;
    snprintf(lim, sizeof(lim), "%d", limit);
    r = cc_pg_exec(a->pg, sql, 1, v, NULL, NULL, &st, err, sizeof(err));
    if (r == NULL) {
        cc_log(CC_LOG_WARN, "audit query failed", "error", err, NULL);
        return CC_ERR_UNAVAILABLE;
    }
    rows = PQntuples(r);
    *evs = calloc((size_t)rows + 1, sizeof(**evs));
    for (int i = 0; i < rows && *evs != NULL; i++) {
        size_t len = 0;
        unsigned char *body = PQunescapeBytea((const unsigned char *)PQgetvalue(r, i, 0), &len);
        Cc__Event *ev = body != NULL ? cc__event__unpack(NULL, len, body) : NULL;
        PQfreemem(body);
        if (ev == NULL || ev->body_case != CC__EVENT__BODY_DIR_CHANGE || ev->dir_change == NULL) {
            cc_log(CC_LOG_WARN, "audit: a stored directory.changed without its change skipped",
                   NULL);
            if (ev != NULL)
                cc__event__free_unpacked(ev, NULL);
            continue;
        }
        (*evs)[(*n)++] = ev;
    }
    PQclear(r);
    return *evs != NULL ? CC_OK : CC_ERR_NOMEM;
}

static void on_audit(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                     void *arg)
{
    struct clog_audit *a = arg;
    Cc__AuditRequest *req = (Cc__AuditRequest *)pb;
    Cc__AuditReply rep = CC__AUDIT_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;
    Cc__Event **evs = NULL;
    size_t n = 0;
    cc_status st;

    if (req->limit < 1 || req->limit > CLOG_AUDIT_LIMIT_MAX) {
        cc_error_set(&err, CC_ERR_INVALID, "limit must be 1 to 1000", "limit");
        rep.error = &err;
    } else if ((st = latest(a, req->limit, &evs, &n)) != CC_OK) {
        /* PostgreSQL down: "try again", never "nothing changed" */
        cc_error_set(&err, st == CC_ERR_NOMEM ? st : CC_ERR_UNAVAILABLE,
                     "the audit trail is not available, try again", NULL);
        rep.error = &err;
    } else {
        rep.events = evs;
        rep.n_events = n;
    }
    cc_bus_reply(bus, m, &rep.base);
    for (size_t i = 0; i < n; i++)
        cc__event__free_unpacked(evs[i], NULL);
    free(evs);
}

cc_status clog_audit_start(struct clog_audit **ap, struct cc_bus *bus, const struct cc_config *cfg,
                           char *err, size_t errlen)
{
    struct clog_audit *a = calloc(1, sizeof(*a));
    cc_status st;

    *ap = NULL;
    if (a == NULL)
        return CC_ERR_NOMEM;
    a->bus = bus;
    st = cc_pg_open(&a->pg, cfg->pg_url, cfg->connect_timeout_ms, err, errlen);
    if (st == CC_OK)
        st = cc_bus_subscribe_pb(bus, CLOG_AUDIT_SUBJECT, "calllog", &cc__audit_request__descriptor,
                                 on_audit, a);
    if (st != CC_OK) {
        if (err[0] == '\0')
            snprintf(err, errlen, "cannot subscribe to %s", CLOG_AUDIT_SUBJECT);
        clog_audit_free(a); /* nothing was delivered yet */
        return st;
    }
    *ap = a;
    return CC_OK;
}

void clog_audit_free(struct clog_audit *a)
{
    if (a == NULL)
        return;
    cc_pg_close(a->pg);
    free(a);
}
