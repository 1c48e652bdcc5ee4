-- A call's change of state (cc:call:<id>), checked against the states it
-- may come from, so that of two threads or replicas acting on one call (the
-- caller's CANCEL and the staff's answer, say) exactly one makes each
-- change. Fields are set with it; 'enquiry_id' also indexes the call by
-- its enquiry (cc:call:enq:<enquiry id>). Leaving for 'ended' keeps the
-- call ttl_s more (a late BYE or fact still finds it). Leaving 'new' takes
-- it out of cc:call:creating (call_new.lua); 'offering' is indexed in
-- cc:call:offering while it lasts.
-- KEYS: outbox, request record. ARGV (after the frame): id, from states
-- (comma-separated, '*' any), to state, ttl_s, bump ('1': add one to
-- local_cseq, the CSeq of a request we send in the dialog), then field,
-- value, ...
-- -> {'not_found'} | {'state', current} | {'ok', previous, field, value, ...}
local done = begin()
if done then return done end
local id, from, to, ttl, bump = arg(1), arg(2), arg(3), arg(4), arg(5)
local key = 'cc:call:' .. id
local cur = redis.call('HGET', key, 'state')
if not cur then return finish({'not_found'}) end
if from ~= '*' and not string.find(',' .. from .. ',', ',' .. cur .. ',', 1, true) then
  return finish({'state', cur})
end
local f = {'HSET', key, 'state', to, 'updated_ms', ARGV[2]}
for i = 6, #ARGV - 6 - 1, 2 do
  f[#f + 1] = arg(i)
  f[#f + 1] = arg(i + 1)
  if arg(i) == 'enquiry_id' and arg(i + 1) ~= '' then
    redis.call('SET', 'cc:call:enq:' .. arg(i + 1), id, 'EX', ttl)
  end
end
if to == 'ended' and cur ~= 'ended' then
  f[#f + 1] = 'ended_ms'
  f[#f + 1] = ARGV[2]
end
redis.call(unpack(f))
if bump == '1' then redis.call('HINCRBY', key, 'local_cseq', 1) end
redis.call('EXPIRE', key, ttl)
local sid = redis.call('HGET', key, 'sip_call_id')
if sid then redis.call('EXPIRE', 'cc:call:sip:' .. sid, ttl) end
local enq = redis.call('HGET', key, 'enquiry_id')
if enq and enq ~= '' then redis.call('EXPIRE', 'cc:call:enq:' .. enq, ttl) end
if to ~= 'new' then redis.call('ZREM', 'cc:call:creating', id) end
-- the calls waiting for an answer (resync.c: their phones follow the offers)
if to == 'offering' then
  redis.call('ZADD', 'cc:call:offering', NOW, id)
elseif cur == 'offering' then
  redis.call('ZREM', 'cc:call:offering', id)
end
local out = {'ok', cur}
local h = redis.call('HGETALL', key)
for i = 1, #h do out[#out + 1] = h[i] end
return finish(out)
