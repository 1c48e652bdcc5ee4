// Just enough protobuf encoding to build cc.Event messages in tests (field
// numbers from proto/event.proto and proto/enquiry.proto).
function varint(n) {
  let v = BigInt(n);
  const out = [];
  while (v > 127n) {
    out.push(Number((v & 127n) | 128n));
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}
const key = (field, wire) => varint((field << 3) | wire);
const str = (field, s) => {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([key(field, 2), varint(b.length), b]);
};
const msg = (field, b) => Buffer.concat([key(field, 2), varint(b.length), b]);
const int = (field, n) => Buffer.concat([key(field, 0), varint(n)]);

// cc.Enquiry { id=1, kind=2, mode=3, state=4, channel_id=5, group_id=6,
// caller=8, created_at_ms=9, deadline_ms=10 }: a pending broadcast call.
function encodeEnquiry({ id, channelId, groupId, caller, createdMs, deadlineMs }) {
  const parts = [str(1, id), int(2, 1), int(3, 1), int(4, 1)];
  if (channelId) parts.push(str(5, channelId));
  if (groupId) parts.push(str(6, groupId));
  if (caller) parts.push(str(8, caller));
  if (createdMs) parts.push(int(9, createdMs));
  if (deadlineMs) parts.push(int(10, deadlineMs));
  return Buffer.concat(parts);
}

// cc.Event { id=1, ts_ms=2, type=3, source=4, instance=5, enquiry=10,
// staff_id=20, reason=21 }; enquiry is { id } or the fields of encodeEnquiry.
export function encodeEvent({ id, tsMs, type, source = 'test', instance = 'test-1', enquiryId, enquiry, staffId, reason }) {
  const parts = [str(1, id), int(2, tsMs), str(3, type), str(4, source), str(5, instance)];
  if (enquiry) parts.push(msg(10, encodeEnquiry(enquiry)));
  else if (enquiryId) parts.push(msg(10, str(1, enquiryId)));
  if (staffId) parts.push(str(20, staffId));
  if (reason) parts.push(str(21, reason));
  return Buffer.concat(parts);
}

// A UUIDv7-shaped id, as cc_id makes.
export function uuid7() {
  const ms = BigInt(Date.now()).toString(16).padStart(12, '0');
  const r = [...crypto.getRandomValues(new Uint8Array(10))].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7${r.slice(0, 3)}-${((parseInt(r[3], 16) & 3) | 8).toString(16)}${r.slice(4, 7)}-${r.slice(7, 19)}`;
}

// Building blocks for other messages a test answers with (field number,
// value): pb.str(2, 'bob'), pb.msg(3, pb.int(1, 14)) (an Error with code ERR_LIMIT).
export const pb = { str, msg, int };
