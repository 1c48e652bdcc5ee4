-- Staff whose console went silent are taken offline (R7.1); any replica may
-- run it, each staff member is taken once.
-- KEYS: outbox, ''. ARGV: cutoff ms. -> the staff taken offline
local stale = redis.call('ZRANGEBYSCORE', 'cc:presence:live', '-inf', arg(1))
for _, sid in ipairs(stale) do
  redis.call('HSET', 'cc:presence:' .. sid, 'status', 'offline', 'changed_at_ms', ARGV[2])
  redis.call('ZREM', 'cc:presence:live', sid)
  changed(sid, 'heartbeat_lost')
end
return stale
