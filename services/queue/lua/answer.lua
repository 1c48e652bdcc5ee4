-- A staff member answers a pending enquiry offered to them, or accepts a
-- consult transfer (the sender leaves). Of any number of simultaneous
-- answers exactly one wins (R5.3): the state is checked and flipped here.
-- KEYS: outbox, request record. ARGV: cutoff, id, staff_id, room_id,
-- chat_idle_ms.
-- -> {'not_found'} | {'not_offered'} | {'taken', answered_by, state} | {'won'}
local done = begin()
if done then return done end
local id, sid, room, idle = arg(2), arg(3), arg(4), tonumber(arg(5))
local key = 'cc:enq:' .. id
local e = redis.call('HMGET', key, 'state', 'kind', 'xfer', 'xfer_from', 'answered_by')
if not e[1] then return finish({'not_found'}) end
local kind, xm, from = e[2], e[3] or '', e[4] or ''
if e[1] ~= 'pending' and not (e[1] == 'active' and xm == 'consult') then
  return finish({'taken', e[5] or '', e[1]}) end
if redis.call('SISMEMBER', key .. ':offered', sid) == 0 then return finish({'not_offered'}) end
-- a consult transfer: the sender leaves now that the target is on
if xm == 'consult' then release(from, kind, id) end
redis.call('HSET', key, 'state', 'active', 'answered_by', sid)
redis.call('HSETNX', key, 'answered_ms', ARGV[2])
redis.call('HSETNX', key, 'room_id', room)
hold_keys(key)
if xm ~= '' then xfer_done(key, 'accepted', sid) end
local offered = withdraw(key, id)
local others = {}
for _, o in ipairs(offered) do if o ~= sid then others[#others + 1] = o end end
occupy(sid, kind, id)
if kind == 'chat' then redis.call('ZADD', 'cc:enq:idle', NOW + idle, id) end
fact('answered', id, sid, xm ~= '' and 'transfer' or '', {}, others)
-- the sender's notice: their transfer was taken
if xm ~= '' then fact('transferred', id, from, xm, {}, {}) end
-- a call: the winner may no longer receive other calls; a consult sender is
-- free for them (chats are offered whatever the activity)
if kind == 'call' then
  reconcile(sid)
  if xm == 'consult' then reconcile(from) end
end
return finish({'won'})
