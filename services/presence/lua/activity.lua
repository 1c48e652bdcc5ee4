-- The outbound-call activity (R7.2).
--   the console (call id ''): reports a call made outside the platform; it
--     cannot clear the activity of a call through the platform (that ends
--     with the call)
--   the system (ingress, call id given): a call through the platform starts
--     ('1': refused unless the staff member can make one: not offline, no
--     call in hand, no other outbound call; the same call again is fine) or
--     ends ('0': cleared only if it is still that call's).
-- The staff with a platform call are in cc:presence:outbound (sid -> call
-- id), which the sweep checks against the calls (sweep.lua).
-- KEYS: outbox, ''. ARGV: staff_id, '1' | '0', call id, reason.
-- -> the presence hash | {'refused', why}
local sid, on, call, reason = arg(1), arg(2), arg(3), arg(4)
local key = 'cc:presence:' .. sid
local h = redis.call('HMGET', key, 'status', 'call', 'outbound', 'outbound_call')
local status, busy_call, outbound, cur = h[1] or 'offline', h[2], h[3], h[4] or ''
if call == '' then
  if on == '0' and cur ~= '' then
    return {'refused', 'an outbound call through the platform is in progress; it clears when the call ends'}
  end
  redis.call('HSET', key, 'outbound', on)
  changed(sid, 'outbound')
  return redis.call('HGETALL', key)
end
if on == '1' then
  if cur == call then return redis.call('HGETALL', key) end
  if status == 'offline' then return {'refused', 'the staff member is offline'} end
  if busy_call == '1' then return {'refused', 'the staff member is handling a call'} end
  if cur ~= '' or outbound == '1' then
    return {'refused', 'the staff member is already making an outbound call'}
  end
  redis.call('HSET', key, 'outbound', '1', 'outbound_call', call)
  redis.call('HSET', 'cc:presence:outbound', sid, call)
  changed(sid, reason ~= '' and reason or 'outbound')
  return redis.call('HGETALL', key)
end
if cur ~= call then return redis.call('HGETALL', key) end
redis.call('HSET', key, 'outbound', '0')
redis.call('HDEL', key, 'outbound_call')
redis.call('HDEL', 'cc:presence:outbound', sid)
changed(sid, reason ~= '' and reason or 'outbound')
return redis.call('HGETALL', key)
