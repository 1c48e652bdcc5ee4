-- The staff member handling it, or the visitor, ends an enquiry; a visitor
-- hanging up while it is still pending cancels it.
-- KEYS: outbox, request record. ARGV: cutoff, id, actor ("staff:<sid>" |
-- "visitor" | "admin"), followup_ms, reason ('' = from the actor; ingress
-- ends a call as the visitor with 'media_timeout').
-- -> {'not_found'} | {'not_yours'} | {'already', state} | {'cancelled'} | {'ended', by}
local done = begin()
if done then return done end
local id, actor, followup, reason = arg(2), arg(3), tonumber(arg(4)), arg(5) or ''
local key = 'cc:enq:' .. id
local e = redis.call('HMGET', key, 'state', 'answered_by', 'xfer')
if not e[1] then return finish({'not_found'}) end
local state, by = e[1], e[2] or ''
if actor ~= 'visitor' and actor ~= 'admin' and actor ~= 'staff:' .. by then
  return finish({'not_yours'}) end
if state == 'pending' and actor ~= 'staff:' .. by then
  local why = actor == 'visitor' and 'caller_hung_up' or 'ended_by_admin'
  if reason ~= '' then why = reason end
  redis.call('HSET', key, 'state', 'cancelled', 'ended_ms', ARGV[2], 'end_reason', why)
  release_keys(key)
  if (e[3] or '') ~= '' then xfer_done(key, 'cancelled', '') end
  fact('cancelled', id, '', why, {}, withdraw(key, id))
  return finish({'cancelled'})
end
if state ~= 'active' then return finish({'already', state}) end
local why = actor == 'visitor' and 'caller_hung_up'
  or (actor == 'admin' and 'ended_by_admin' or 'staff_ended')
if reason ~= '' then why = reason end
end_active(key, id, why, followup)
return finish({'ended', by})
