-- The sender cancels their consult transfer still waiting: they keep it.
-- KEYS: outbox, request record. ARGV: cutoff, id, sender.
-- -> {'not_found'} | {'not_yours'} | {'no_transfer'} | {'returned'}
local done = begin()
if done then return done end
local id, sender = arg(2), arg(3)
local key = 'cc:enq:' .. id
local e = redis.call('HMGET', key, 'state', 'answered_by', 'xfer')
if not e[1] then return finish({'not_found'}) end
if e[2] ~= sender then return finish({'not_yours'}) end
if e[1] ~= 'active' or e[3] ~= 'consult' then return finish({'no_transfer'}) end
xfer_return(key, id, 'cancelled')
return finish({'returned'})
