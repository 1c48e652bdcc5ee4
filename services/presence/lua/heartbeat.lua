-- A console is alive: its staff member stays available (R7.1). Not a fact
-- (nothing about what they can receive changes); an offline staff member is
-- not brought back by a heartbeat.
-- KEYS: outbox, ''. ARGV: staff_id. -> the presence hash
local sid = arg(1)
local key = 'cc:presence:' .. sid
local st = redis.call('HGET', key, 'status')
if st == false or st == 'offline' then return redis.call('HGETALL', key) end
redis.call('HSET', key, 'last_seen_ms', ARGV[2])
redis.call('ZADD', 'cc:presence:live', ARGV[2], sid)
return redis.call('HGETALL', key)
