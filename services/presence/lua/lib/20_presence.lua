-- presence's helpers (joined after services/common/lua).

-- A staff member's presence hash as a JSON object, for an event.
local function snapshot(sid)
  local h = redis.call('HGETALL', 'cc:presence:' .. sid)
  local o = {}
  for i = 1, #h, 2 do o[h[i]] = h[i + 1] end
  return cjson.encode(o)
end

-- The fact presence.changed (stored once; queue reads it from JetStream to
-- re-offer or withdraw, the gateways push it to the staff member's consoles).
local function changed(sid, reason)
  emit('presence.changed', false, {'presence', snapshot(sid), 'staff', sid, 'reason', reason})
end
