-- Transfer (R14) of an active enquiry by the staff member handling it to a
-- staff member or a group, offered to those of the target who can take it
-- now (never the sender). Blind: pending again for the target and the sender
-- is free at once; consult: the sender keeps it until someone accepts
-- (answer.lua). The wait is the channel's for the target mode.
-- KEYS: outbox, request record. ARGV: cutoff, id, sender, to_staff_id,
-- to_group_id ('' for the other), 'blind'|'consult'.
-- -> {'not_found'} | {'not_yours'} | {'not_active', state} | {'in_progress'}
--  | {'no_group'} | {'no_staff'} | {'self'} | {'nobody'} | {'ok'}
local done = begin()
if done then return done end
local id, from, tos, tog, xm = arg(2), arg(3), arg(4), arg(5), arg(6)
local key = 'cc:enq:' .. id
local e = redis.call('HMGET', key, 'state', 'answered_by', 'kind', 'channel_id', 'xfer')
if not e[1] then return finish({'not_found'}) end
if e[2] ~= from then return finish({'not_yours'}) end
if e[1] ~= 'active' then return finish({'not_active', e[1]}) end
if e[5] and e[5] ~= '' then return finish({'in_progress'}) end
local mode, members, ws
if tog ~= '' then
  if redis.call('EXISTS', 'cc:dir:group:' .. tog) == 0 then return finish({'no_group'}) end
  mode = 'broadcast'
  members = redis.call('SMEMBERS', 'cc:dir:group:' .. tog .. ':members')
  ws = 'cc:group:' .. tog .. ':waiting'
else
  if tos == from then return finish({'self'}) end
  if redis.call('EXISTS', 'cc:dir:staff:' .. tos) == 0 then return finish({'no_staff'}) end
  mode = 'direct'
  members = {tos}
  ws = 'cc:staff:' .. tos .. ':direct'
end
local offer = {}
for _, sid in ipairs(members) do
  if sid ~= from and eligible(sid, e[3]) then offer[#offer + 1] = sid end
end
if #offer == 0 then return finish({'nobody'}) end
table.sort(offer)
local deadline = NOW + wait_ms(e[4], e[3], mode)
local t = cjson.decode(redis.call('HGET', key, 'transfers') or '[]')
t[#t + 1] = {from_staff_id = from, to_staff_id = tos, to_group_id = tog,
  consult = (xm == 'consult'), at_ms = ARGV[2], outcome = 'pending', accepted_by = ''}
redis.call('DEL', key .. ':offered')
offer_to(key, id, offer)
redis.call('ZADD', 'cc:enq:deadlines', deadline, id)
redis.call('SADD', ws, id)
redis.call('HSET', key, 'transfers', cjson.encode(t), 'xfer', xm, 'xfer_from', from,
  'wait_set', ws, 'deadline_ms', deadline)
if xm == 'blind' then
  redis.call('HSET', key, 'state', 'pending', 'mode', mode, 'group_id', tog, 'staff_id', tos,
    'answered_by', '')
  release(from, e[3], id)
  redis.call('ZREM', 'cc:enq:idle', id)
end
fact('transfer', id, from, xm, offer, {})
-- blind: the sender is free for calls at once
if xm == 'blind' and e[3] == 'call' then reconcile(from) end
return finish({'ok'})
