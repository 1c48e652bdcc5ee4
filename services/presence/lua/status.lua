-- A staff member's status changes (online, busy, offline: the latest wins).
-- KEYS: outbox, ''. ARGV (after the frame): staff_id, status, seen_now ('1':
-- the change also proves the console is alive), reason.
-- Touches cc:presence:<sid> and cc:presence:live (zset sid -> last seen).
-- -> the presence hash (HGETALL)
local sid, status, seen, reason = arg(1), arg(2), arg(3), arg(4)
local key = 'cc:presence:' .. sid
redis.call('HSET', key, 'status', status, 'changed_at_ms', ARGV[2])
if seen == '1' or redis.call('HEXISTS', key, 'last_seen_ms') == 0 then
  redis.call('HSET', key, 'last_seen_ms', ARGV[2]) end
if status == 'offline' then redis.call('ZREM', 'cc:presence:live', sid)
else redis.call('ZADD', 'cc:presence:live', redis.call('HGET', key, 'last_seen_ms'), sid) end
changed(sid, reason)
return redis.call('HGETALL', key)
