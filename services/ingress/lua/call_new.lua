-- A call for a new INVITE from a trunk: cc:call:<id> in state 'new' with
-- the given fields, and the index of its SIP Call-ID cc:call:sip:<Call-ID>.
-- A retried INVITE with the same Call-ID (here or on another replica) gets
-- the call the first one made instead of a second one. The call is in
-- cc:call:creating until it leaves 'new' (call_set.lua).
-- KEYS: outbox, request record. ARGV (after the frame): id, sip Call-ID,
-- ttl_s, then field, value, ...
-- -> {'new', id} | {'exists', id, state}
local done = begin()
if done then return done end
local id, sid, ttl = arg(1), arg(2), arg(3)
local skey = 'cc:call:sip:' .. sid
local old = redis.call('GET', skey)
if old then
  local st = redis.call('HGET', 'cc:call:' .. old, 'state')
  if st then return finish({'exists', old, st}) end
end
local key = 'cc:call:' .. id
local f = {'HSET', key, 'id', id, 'sip_call_id', sid, 'state', 'new', 'created_ms', ARGV[2],
  'local_cseq', '0'}
for i = 4, #ARGV - 6 - 1, 2 do
  f[#f + 1] = arg(i)
  f[#f + 1] = arg(i + 1)
end
redis.call(unpack(f))
redis.call('EXPIRE', key, ttl)
redis.call('SET', skey, id, 'EX', ttl)
-- calls whose enquiry is being created (scored by when): a fact about an
-- enquiry no call knows yet may be theirs (facts.c waits for it then)
redis.call('ZREMRANGEBYSCORE', 'cc:call:creating', '-inf', NOW - 60000)
redis.call('ZADD', 'cc:call:creating', NOW, id)
return finish({'new', id})
