/* facts: the consumer "ingress-enquiry". See facts.h. */
#include "facts.h"
#include "calls.h"
#include "cc_consumer.h"

#include <stdlib.h>

struct facts {
    struct cc_consumer *consumer;
};

/* From when the consumer is first made: calls from before did not exist. */
static const struct cc_consumer_spec spec = {
    .durable = INGRESS_ENQUIRY_DURABLE,
    .filter = "cc.evt.enquiry.>",
    .what = "enquiry events",
    .batch = 32,
    .retry_delay_ms = 200,
};

static cc_consumer_verdict on_fact(const Cc__Event *ev, int delivered, void *arg)
{
    struct ingress *in = arg;
    return calls_on_fact(in, ev, delivered) == FACT_DONE ? CC_CONSUMER_ACK : CC_CONSUMER_RETRY;
}

cc_status facts_start(struct facts **fp, struct ingress *in, char *err, size_t errlen)
{
    struct facts *f = calloc(1, sizeof(*f));
    cc_status st;

    *fp = NULL;
    if (f == NULL)
        return CC_ERR_NOMEM;
    st = cc_consumer_start(&f->consumer, in->bus, in->cfg, &spec, on_fact, in, err, errlen);
    if (st != CC_OK) {
        free(f);
        return st;
    }
    *fp = f;
    return CC_OK;
}

void facts_stop(struct facts *f)
{
    if (f != NULL)
        cc_consumer_stop(f->consumer);
}

void facts_free(struct facts *f)
{
    if (f == NULL)
        return;
    cc_consumer_free(f->consumer);
    free(f);
}
