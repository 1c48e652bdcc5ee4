-- Staff whose console went silent are taken offline (R7.1); any replica may
-- run it, each staff member is taken once. And the activity of an outbound
-- call through the platform whose call has ended or is gone (ingress
-- crashed before it cleared it; the call record expires 12 h after its last
-- change at most) is cleared (reason 'outbound_call_gone').
-- KEYS: outbox, ''. ARGV: cutoff ms. -> the staff taken offline
local stale = redis.call('ZRANGEBYSCORE', 'cc:presence:live', '-inf', arg(1))
for _, sid in ipairs(stale) do
  redis.call('HSET', 'cc:presence:' .. sid, 'status', 'offline', 'changed_at_ms', ARGV[2])
  redis.call('ZREM', 'cc:presence:live', sid)
  changed(sid, 'heartbeat_lost')
end
local out = redis.call('HGETALL', 'cc:presence:outbound')
for i = 1, #out, 2 do
  local sid, call = out[i], out[i + 1]
  local st = redis.call('HGET', 'cc:call:' .. call, 'state')
  if not st or st == 'ended' then
    local key = 'cc:presence:' .. sid
    redis.call('HDEL', 'cc:presence:outbound', sid)
    if redis.call('HGET', key, 'outbound_call') == call then
      redis.call('HSET', key, 'outbound', '0')
      redis.call('HDEL', key, 'outbound_call')
      changed(sid, 'outbound_call_gone')
    end
  end
end
return stale
