-- How many live sessions a staff member has (a read: changes nothing). A
-- gateway asks after it reconnected to NATS: a console whose staff member
-- has none left had them ended (revoked, logged out, expired) meanwhile.
-- KEYS: outbox, ''. ARGV: staff_id. -> the count
local n = 0
for _, k in ipairs(redis.call('SMEMBERS', 'cc:sessions:' .. arg(1))) do
  n = n + redis.call('EXISTS', k)
end
return n
