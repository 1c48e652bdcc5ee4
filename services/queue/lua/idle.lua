-- The timer's step: an active chat with no message for the idle time ends
-- "idle", so nothing stays active for ever.
-- KEYS: outbox, ''. ARGV: cutoff, limit. -> number of chats ended
local due = redis.call('ZRANGEBYSCORE', 'cc:enq:idle', '-inf', ARGV[2], 'LIMIT', 0, arg(2))
for _, id in ipairs(due) do
  redis.call('ZREM', 'cc:enq:idle', id)
  local key = 'cc:enq:' .. id
  if redis.call('HGET', key, 'state') == 'active' then end_active(key, id, 'idle', 0) end
end
return #due
