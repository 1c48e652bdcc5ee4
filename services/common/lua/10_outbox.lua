-- The outbox: the events of a step, appended to KEYS[1] in the same atomic
-- step as the change. The relay (services/common/cc_outbox.c) publishes each
-- to JetStream (a fact, stored once) or to core NATS (a notification, pushed
-- only) and deletes it once that worked.
--
-- An entry's fields: id (event id), type ("enquiry.answered"), ts (ms), note
-- ("1": a notification, never stored), then what the service puts in: the
-- relay hands the fields to the service's builder.
local n_events = 0

local function event_id()
  n_events = n_events + 1
  return string.sub(ARGV[1], 1, 32) .. string.format('%04x', n_events)
end

-- fields: a flat list {k1, v1, k2, v2, ...} of the service's own fields.
local function emit(etype, note, fields)
  local e = {'XADD', KEYS[1], '*', 'id', event_id(), 'type', etype, 'ts', ARGV[2],
             'note', note and '1' or '0'}
  for _, v in ipairs(fields) do e[#e + 1] = v end
  redis.call(unpack(e))
end
