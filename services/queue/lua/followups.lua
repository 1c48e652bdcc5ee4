-- The timer's step: staff whose follow-up ended can take calls again.
-- KEYS: outbox, ''. ARGV: cutoff, limit. -> number of staff
local due = redis.call('ZRANGEBYSCORE', 'cc:followups', '-inf', ARGV[2], 'LIMIT', 0, arg(2))
for _, sid in ipairs(due) do
  redis.call('ZREM', 'cc:followups', sid)
  reconcile(sid)
end
return #due
