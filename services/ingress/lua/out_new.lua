-- An outbound call (POST /api/v1/calls, outbound.c): cc:call:<id> in state
-- 'new' with outbound '1' and the given fields, indexed by the Call-ID of
-- its carrier dialog (cc:call:sip:<Call-ID>, so the carrier's BYE finds
-- it). The request's Idempotency-Key is the frame's request record: a
-- retried POST gets {'new', <the first call's id>} back and makes nothing.
-- KEYS: outbox, request record. ARGV (after the frame): id, sip Call-ID,
-- ttl_s, then field, value, ...
-- -> {'new', id}
local done = begin()
if done then return done end
local id, sid, ttl = arg(1), arg(2), arg(3)
local key = 'cc:call:' .. id
local f = {'HSET', key, 'id', id, 'sip_call_id', sid, 'state', 'new', 'outbound', '1',
  'created_ms', ARGV[2], 'updated_ms', ARGV[2], 'local_cseq', '1'}
for i = 4, #ARGV - 6 - 1, 2 do
  f[#f + 1] = arg(i)
  f[#f + 1] = arg(i + 1)
end
redis.call(unpack(f))
redis.call('EXPIRE', key, ttl)
redis.call('SET', 'cc:call:sip:' .. sid, id, 'EX', ttl)
return finish({'new', id})
