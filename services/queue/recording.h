/*
 * recording: cc.queue.recording (RecordingRequest -> EnquiryReply), from
 * ingress when a recording of a call starts: the path goes on the enquiry
 * (Enquiry.recordings) in one step, lua/recording.lua, with the fact
 * enquiry.recorded; the same path again (a retry) changes nothing.
 */
#ifndef QUEUE_RECORDING_H
#define QUEUE_RECORDING_H
#include "cc_bus.h"

/* A cc_bus handler; arg is the struct queue. */
void queue_on_recording(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                        void *arg);

#endif
