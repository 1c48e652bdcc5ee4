/*
 * calllog: durable history. Consumes the CC_EVENTS JetStream stream with the
 * durable consumer "calllog" and stores every event in PostgreSQL, keyed by
 * event id (idempotent). Call-log summaries and reports build on this table.
 * This file wires the modules together.
 */
#include "audit_read.h"
#include "cc_events.h"
#include "cc_log.h"
#include "cc_service.h"
#include "consumer.h"
#include "pg.h"

#include <stdio.h>

static bool calllog_ready(void *arg, char *detail, size_t len)
{
    struct clog_consumer *const *c = arg;
    if (*c != NULL && clog_consumer_db_ok(*c))
        return true;
    snprintf(detail, len, "postgres unreachable");
    return false;
}

int main(void)
{
    struct cc_service svc;
    struct cc_pg *pg = NULL;
    struct clog_consumer *consumer = NULL;
    struct clog_audit *audit = NULL;
    char err[512] = "";
    cc_status st;
    int rc = cc_service_init(&svc, "calllog");

    if (rc != 0)
        return rc;
    st = cc_pg_open(&pg, svc.cfg.pg_url, svc.cfg.connect_timeout_ms, err, sizeof(err));
    if (st != CC_OK) {
        cc_log(CC_LOG_ERROR, "not starting", "error", err, NULL);
        rc = CC_EXIT_UNAVAILABLE;
        goto out;
    }
    if (clog_pg_migrate(pg, err, sizeof(err)) != CC_OK) {
        cc_log(CC_LOG_ERROR, "schema migration failed, not starting", "error", err, NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    if (cc_events_ensure(svc.bus, &svc.cfg, err, sizeof(err)) != CC_OK ||
        clog_consumer_start(&consumer, &svc.cfg, svc.bus, pg, err, sizeof(err)) != CC_OK) {
        cc_log(CC_LOG_ERROR, "not starting", "error", err, NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    if (clog_audit_start(&audit, svc.bus, &svc.cfg, err, sizeof(err)) != CC_OK) {
        cc_log(CC_LOG_ERROR, "not starting", "error", err, NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    if (cc_service_serve_ping(&svc, calllog_ready, &consumer) != CC_OK) {
        cc_log(CC_LOG_ERROR, "cannot subscribe to ping", NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    cc_service_wait(&svc);
out:
    clog_consumer_stop(consumer); /* before the bus goes: it fetches through it */
    cc_service_stop(&svc);        /* no ping reads the consumer after this */
    clog_consumer_free(consumer);
    clog_audit_free(audit);       /* no audit request runs after the drain */
    cc_pg_close(pg);
    return rc;
}
