/* ingress: context and life cycle. See ingress.h. */
#include "ingress.h"
#include "calls.h"
#include "cc_events.h"
#include "cc_log.h"
#include "control.h"
#include "facts.h"
#include "lua_ingress.h"
#include "mediafacts.h"
#include "notes.h"
#include "outbound.h"
#include "resync.h"
#include "sip.h"
#include "work.h"

#include <stdio.h>
#include <stdlib.h>

/* The SIP thread's hand-over: queue the request on its call's worker. */
static void on_sip_request(void *arg, struct sip_req *r)
{
    struct ingress *in = arg;

    if (work_post(in->work, r))
        return;
    if (r->txn != 0)
        sip_reply(in->sip, r->txn, &(struct sip_reply){.status = 503, .warning = "overloaded"});
    sip_req_free(r);
}

cc_status ingress_start(struct ingress **ip, struct cc_bus *bus, struct cc_redis *redis,
                        const struct cc_config *cfg, char *err, size_t errlen)
{
    const char *const lua[I_SCRIPT_COUNT] = {
        [I_TRUNKS] = ingress_lua_trunks,
        [I_CALL_NEW] = ingress_lua_call_new,
        [I_CALL_SET] = ingress_lua_call_set,
        [I_REG] = ingress_lua_reg,
        [I_RING_SET] = ingress_lua_ring_set,
        [I_OUT_NEW] = ingress_lua_out_new,
    };
    struct ingress *in = calloc(1, sizeof(*in));
    cc_status st = in != NULL ? CC_OK : CC_ERR_NOMEM;

    *ip = NULL;
    if (st != CC_OK)
        return st;
    in->bus = bus;
    in->redis = redis;
    in->cfg = cfg;
    cc_step_frame_init(&in->frame, redis, cfg->service, cfg->idempotency_ttl_s, cfg->outbox_max);
    for (int i = 0; st == CC_OK && i < I_SCRIPT_COUNT; i++)
        st = cc_redis_script_add(redis, lua[i], &in->script[i], err, errlen);
    if (st == CC_OK)
        st = cc_events_ensure(bus, cfg, err, errlen);
    if (st == CC_OK)
        st = work_start(&in->work, in, cfg->sip_workers);
    if (st == CC_OK)
        st = sip_start(&in->sip, cfg, on_sip_request, in, err, errlen);
    if (st == CC_OK)
        st = facts_start(&in->facts, in, err, errlen);
    if (st == CC_OK)
        st = mediafacts_start(&in->mediafacts, in, err, errlen);
    if (st == CC_OK && (st = control_start(in)) != CC_OK)
        snprintf(err, errlen, "cannot subscribe to cc.ingress.control: %s", cc_status_str(st));
    if (st == CC_OK && (st = outbound_start(in)) != CC_OK)
        snprintf(err, errlen, "cannot subscribe to cc.ingress.call.*");
    if (st == CC_OK && (st = notes_start(in)) != CC_OK)
        snprintf(err, errlen, "cannot subscribe to cc.note.enquiry.>");
    if (st == CC_OK && (st = resync_start(&in->resync, in)) != CC_OK)
        snprintf(err, errlen, "cannot start the resync thread");
    if (st != CC_OK) {
        ingress_free(in);
        return st;
    }
    *ip = in;
    return CC_OK;
}

void ingress_stop(struct ingress *in)
{
    if (in == NULL)
        return;
    facts_stop(in->facts);
    mediafacts_stop(in->mediafacts);
    resync_stop(in->resync);
    /* the SIP thread first: nothing new reaches the workers, which then
     * finish what they hold (their replies are dropped with the stack) */
    sip_stop(in->sip);
    work_stop(in->work);
}

void ingress_free(struct ingress *in)
{
    if (in == NULL)
        return;
    ingress_stop(in);
    facts_free(in->facts);
    mediafacts_free(in->mediafacts);
    resync_free(in->resync);
    work_free(in->work);
    sip_free(in->sip);
    free(in);
}

bool ingress_ready(void *arg, char *detail, size_t len)
{
    struct ingress *in = arg;

    if (!sip_ready(in->sip)) {
        snprintf(detail, len, "the SIP stack is not serving");
        return false;
    }
    if (!cc_redis_ping(in->redis)) {
        snprintf(detail, len, "redis unreachable");
        return false;
    }
    snprintf(detail, len, "sip %s:%d", in->cfg->sip_addr, in->cfg->sip_port);
    return true;
}
