/*
 * codec: an enquiry as Redis holds it (the hash cc:enq:<id>, or its JSON
 * snapshot in an outbox entry) to the cc.Enquiry protobuf.
 *
 * Strings are borrowed from the source except the transfer history and the
 * recordings, which are decoded from their JSON and owned by the message:
 * enquiry_clear() frees them.
 */
#ifndef QUEUE_CODEC_H
#define QUEUE_CODEC_H
#include <hiredis/hiredis.h>
#include <jansson.h>
#include "enquiry.pb-c.h"

/* From a flat key/value reply list kv[0..n) (HGETALL); strings borrowed from
 * kv until enquiry_clear. */
void enquiry_from_kv(Cc__Enquiry *e, redisReply **kv, size_t n);
/* From a JSON object of the same fields; strings borrowed from o. */
void enquiry_from_json(Cc__Enquiry *e, const json_t *o);
/* Frees what enquiry_from_* allocated (transfers, recordings) and resets e. */
void enquiry_clear(Cc__Enquiry *e);

Cc__EnquiryState enquiry_state_of(const char *s);

#endif
