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

-- Ends every session of a staff member (deleted, or their role changed):
-- their tokens are unknown from the next request on, and they are offline
-- at once (presence.changed, reason 'revoked'), so nothing is offered to
-- them while their consoles are being closed.
local function revoke_sessions(sid)
  local set = 'cc:sessions:' .. sid
  for _, k in ipairs(redis.call('SMEMBERS', set)) do redis.call('DEL', k) end
  redis.call('DEL', set)
  local key = 'cc:presence:' .. sid
  local status = redis.call('HGET', key, 'status')
  if status and status ~= 'offline' then
    redis.call('HSET', key, 'status', 'offline', 'changed_at_ms', ARGV[2])
    redis.call('ZREM', 'cc:presence:live', sid)
    changed(sid, 'revoked')
  end
end
