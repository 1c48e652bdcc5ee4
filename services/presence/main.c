/*
 * presence: owns the directory (groups, staff, channels, numbers: durable in
 * PostgreSQL, mirrored into Redis for routing) and staff presence (login,
 * status, activities, availability per R7). This file wires the modules.
 */
#include "cc_log.h"
#include "cc_redis.h"
#include "cc_service.h"
#include "dir_service.h"
#include "dir_store.h"
#include "staff.h"

#include <stdio.h>

struct presence {
    struct cc_redis *redis;
    struct dir_store *dir;
    struct staff *staff;
};

static bool presence_ready(void *arg, char *detail, size_t len)
{
    struct presence *p = arg;
    if (!cc_service_redis_ready(p->redis, detail, len))
        return false;
    if (!dir_store_ok(p->dir)) {
        snprintf(detail, len, "postgres unreachable");
        return false;
    }
    return true;
}

int main(void)
{
    struct cc_service svc;
    struct presence p = {0};
    char err[512];
    cc_status st;
    int rc = cc_service_init(&svc, "presence");

    if (rc != 0)
        return rc;
    rc = cc_service_connect_redis(&svc, &p.redis);
    if (rc != 0)
        goto out;
    st = dir_store_open(&p.dir, &svc.cfg, p.redis, err, sizeof(err));
    if (st != CC_OK) {
        cc_log(CC_LOG_ERROR, "directory not available, not starting", "error", err, NULL);
        rc = st == CC_ERR_UNAVAILABLE ? CC_EXIT_UNAVAILABLE : CC_EXIT_FAIL;
        goto out;
    }
    st = staff_start(&p.staff, svc.bus, p.redis, p.dir, &svc.cfg, err, sizeof(err));
    if (st != CC_OK) {
        cc_log(CC_LOG_ERROR, "presence not available, not starting", "error", err, NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    if (dir_service_start(svc.bus, p.dir) != CC_OK || staff_serve(p.staff) != CC_OK ||
        cc_service_serve_ping(&svc, presence_ready, &p) != CC_OK) {
        cc_log(CC_LOG_ERROR, "cannot subscribe", NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    cc_service_wait(&svc);
out:
    staff_stop(p.staff);   /* the sweeper publishes through the bus */
    cc_service_stop(&svc); /* handlers finish before what they use goes */
    staff_free(p.staff);
    dir_store_close(p.dir);
    cc_redis_free(p.redis);
    return rc;
}
