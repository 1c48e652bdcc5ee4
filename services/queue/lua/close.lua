-- The staff member who handled an ended enquiry closes it (follow-up done);
-- for a call whose follow-up is still running, that ends the follow-up and
-- they can take the next call at once.
-- KEYS: outbox, request record. ARGV: cutoff, id, staff_id.
-- -> {'not_found'} | {'not_yours'} | {'not_ended', state} | {'closed'}
local done = begin()
if done then return done end
local id, sid = arg(2), arg(3)
local key = 'cc:enq:' .. id
local e = redis.call('HMGET', key, 'state', 'answered_by', 'kind')
if not e[1] then return finish({'not_found'}) end
if e[2] ~= sid then return finish({'not_yours'}) end
if e[1] ~= 'ended' then return finish({'not_ended', e[1]}) end
redis.call('HSET', key, 'state', 'closed', 'closed_ms', ARGV[2])
fact('closed', id, sid, '', {}, {})
local p = redis.call('HMGET', 'cc:presence:' .. sid, 'followup_until_ms', 'followup_enquiry')
if e[3] == 'call' and p[2] == id and tonumber(p[1] or 0) > NOW then
  redis.call('HSET', 'cc:presence:' .. sid, 'followup_until_ms', ARGV[2])
  redis.call('ZREM', 'cc:followups', sid)
  reconcile(sid)
end
return finish({'closed'})
