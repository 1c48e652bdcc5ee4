-- A visitor's enquiry arrives on a channel: offered at once to the staff who
-- can take it (R4, R7.2), or blocked / sent to voicemail when nobody can
-- (R8.3).
-- KEYS: outbox, request record. ARGV (after the frame): cutoff, id, kind
-- (call|chat), channel_id, caller, visitor token, its SHA-256, ttl_s.
-- -> {'no_channel'} | {'ok', id, visitor token}
local done = begin()
if done then return done end
local id, kind, cid, caller, token, token_hash, ttl = arg(2), arg(3), arg(4), arg(5), arg(6),
  arg(7), arg(8)
local raw = redis.call('HGETALL', 'cc:dir:channel:' .. cid)
if #raw == 0 then return finish({'no_channel'}) end
local c = {}
for i = 1, #raw, 2 do c[raw[i]] = raw[i + 1] end
local mode, members
if c.group_id ~= '' then
  mode = 'broadcast'
  members = redis.call('SMEMBERS', 'cc:dir:group:' .. c.group_id .. ':members')
else mode = 'direct'; members = {c.staff_id} end
local deadline = NOW + wait_ms(cid, kind, mode)
local offer = {}
for _, sid in ipairs(members) do
  if eligible(sid, kind) then offer[#offer + 1] = sid end
end
table.sort(offer)
local key = 'cc:enq:' .. id
local state = 'pending'
if #offer == 0 then state = (c.voicemail == '1') and 'voicemail' or 'blocked' end
redis.call('HSET', key, 'id', id, 'kind', kind, 'mode', mode, 'state', state,
  'channel_id', cid, 'group_id', c.group_id, 'staff_id', c.staff_id, 'caller', caller,
  'created_ms', ARGV[2], 'deadline_ms', deadline, 'visitor', token_hash, 'ttl_s', ttl)
redis.call('EXPIRE', key, ttl)
if state == 'pending' then
  offer_to(key, id, offer)
  redis.call('EXPIRE', key .. ':offered', ttl)
  redis.call('ZADD', 'cc:enq:deadlines', deadline, id)
  local ws = (mode == 'broadcast') and ('cc:group:' .. c.group_id .. ':waiting')
    or ('cc:staff:' .. c.staff_id .. ':direct')
  redis.call('SADD', ws, id)
  redis.call('HSET', key, 'wait_set', ws)
  fact('created', id, '', '', offer, {})
else
  redis.call('HSET', key, 'ended_ms', ARGV[2], 'end_reason', 'no_staff_available')
  fact('created', id, '', '', {}, {})
  fact(state, id, '', 'no_staff_available', {}, {})
end
return finish({'ok', id, token})
