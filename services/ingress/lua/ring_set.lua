-- A ring: one INVITE to one registered phone of a staff member offered a
-- call (phones.c). cc:ring:<id> hash: id, call, staff, contact, state
-- ('ringing' -> 'answering' -> 'answered' -> 'ended'; 'ringing' ->
-- 'cancelled' -> 'ended'; any -> 'ended'), sip_call_id, node, leg_id (its
-- media leg), the dialog (local, remote, target, route, local_cseq),
-- instance (who holds the INVITE). Indexes: cc:call:<call>:rings hash
-- '<staff> <contact>' -> ring id (one ring per phone per call, whatever
-- the number of facts that offer it), cc:call:ring:<Call-ID> -> ring id.
-- Created from the state 'none' (from must include it): then a ring for
-- the same call, staff and contact that exists is returned instead, unless
-- the field again is '1' (a later offer; not stored) and that ring is over
-- ('cancelled' or 'ended'): then the new ring takes its place in the index.
-- KEYS: outbox, request record. ARGV (after the frame): id, from states
-- (comma-separated, '*' any, 'none' create), to, ttl_s, bump ('1': add one
-- to local_cseq), then field, value, ...
-- -> {'not_found'} | {'state', current} ({'state', 'exists'}: that ring) |
--    {'ok', previous, field, value, ...}
local done = begin()
if done then return done end
local id, from, to, ttl, bump = arg(1), arg(2), arg(3), arg(4), arg(5)
local key = 'cc:ring:' .. id
local fields = {}
for i = 6, #ARGV - 6 - 1, 2 do fields[arg(i)] = arg(i + 1) end
local again = fields['again'] == '1'
fields['again'] = nil
local cur = redis.call('HGET', key, 'state') or 'none'
if from ~= '*' and not string.find(',' .. from .. ',', ',' .. cur .. ',', 1, true) then
  if cur == 'none' then return finish({'not_found'}) end
  return finish({'state', cur})
end
if cur == 'none' then
  local call, staff, contact = fields['call'], fields['staff'], fields['contact']
  if not call or not staff or not contact then return finish({'not_found'}) end
  local rings = 'cc:call:' .. call .. ':rings'
  local old = redis.call('HGET', rings, staff .. ' ' .. contact)
  if old then
    local was = redis.call('HGET', 'cc:ring:' .. old, 'state')
    if not again or (was ~= 'cancelled' and was ~= 'ended' and was) then
      return finish({'state', 'exists'})
    end
  end
  redis.call('HSET', rings, staff .. ' ' .. contact, id)
  redis.call('EXPIRE', rings, ttl)
  redis.call('HSET', key, 'id', id, 'created_ms', ARGV[2], 'local_cseq', '0')
end
local f = {'HSET', key, 'state', to, 'updated_ms', ARGV[2]}
for k, v in pairs(fields) do
  f[#f + 1] = k
  f[#f + 1] = v
  if k == 'sip_call_id' and v ~= '' then
    redis.call('SET', 'cc:call:ring:' .. v, id, 'EX', ttl)
  end
end
redis.call(unpack(f))
if bump == '1' then redis.call('HINCRBY', key, 'local_cseq', 1) end
redis.call('EXPIRE', key, ttl)
local sid = redis.call('HGET', key, 'sip_call_id')
if sid then redis.call('EXPIRE', 'cc:call:ring:' .. sid, ttl) end
local out = {'ok', cur}
local h = redis.call('HGETALL', key)
for i = 1, #h do out[#out + 1] = h[i] end
return finish(out)
