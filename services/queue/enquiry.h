/*
 * enquiry: the queue service's request handlers (queue group "queue") and
 * its deadline timer. Each handler validates, runs one script (scripts.h),
 * answers, and publishes what happened as events (enquiry.created, .offered
 * (one per staff member), .answered, .withdrawn (one per other staff
 * member), .missed, .voicemail, .blocked, .cancelled, .ended).
 *
 *   cc.queue.create   CreateEnquiryRequest -> CreateEnquiryReply
 *   cc.queue.answer   AnswerRequest        -> AnswerReply
 *   cc.queue.pending  PendingRequest       -> PendingReply
 *   cc.queue.get      EnquiryRequest       -> EnquiryReply
 *   cc.queue.end      EnquiryRequest       -> EnquiryReply
 *
 * It also listens to cc.evt.presence.changed (queue group "queue": one
 * replica per event) and, after an answer, an end or a follow-up, runs the
 * reconcile script for that staff member: waiting enquiries they can now
 * receive are offered (enquiry.offered, reason staff_available), offers they
 * can no longer receive are withdrawn (enquiry.withdrawn, staff_unavailable).
 */
#ifndef QUEUE_ENQUIRY_H
#define QUEUE_ENQUIRY_H
#include "cc_bus.h"
#include "cc_config.h"
#include "cc_redis.h"

struct enquiries;

/* Registers the scripts and starts the deadline thread (every 100 ms; any
 * replica may fire a deadline, the script makes it happen once). All
 * borrowed until enquiries_free. */
cc_status enquiries_start(struct enquiries **ep, struct cc_bus *bus, struct cc_redis *redis,
                          const struct cc_config *cfg, char *err, size_t errlen);
cc_status enquiries_serve(struct enquiries *e);
/* Stops the timer (it publishes through the bus: before the bus drains). */
void enquiries_stop(struct enquiries *e);
/* After the bus is drained. Accepts NULL. */
void enquiries_free(struct enquiries *e);

#endif
