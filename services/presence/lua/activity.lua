-- The console reports an outbound call made outside the platform (R7.2).
-- KEYS: outbox, ''. ARGV: staff_id, '1' | '0'. -> the presence hash
local sid = arg(1)
redis.call('HSET', 'cc:presence:' .. sid, 'outbound', arg(2))
changed(sid, 'outbound')
return redis.call('HGETALL', 'cc:presence:' .. sid)
