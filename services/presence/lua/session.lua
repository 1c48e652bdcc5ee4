-- A login's session: cc:session:<sha256 of the token>, expiring, holding
-- the role the directory mirror has now (so a login racing a change of the
-- role gets the new one), listed in cc:sessions:<sid> so that a change of
-- the directory can end every session of the staff member at once
-- (revoke_sessions). Entries of that set whose session expired are dropped.
-- KEYS: outbox, ''. ARGV: session key, staff_id, ttl_ms.
-- -> {'ok', role}
--  | {'gone'} (not in the mirror: deleted meanwhile, or the mirror is not
--    there; no session is made)
local key, sid, ttl = arg(1), arg(2), arg(3)
local role = redis.call('HGET', 'cc:dir:staff:' .. sid, 'role')
if not role then return {'gone'} end
redis.call('HSET', key, 'staff_id', sid, 'role', role, 'created_ms', ARGV[2])
redis.call('PEXPIRE', key, ttl)
local set = 'cc:sessions:' .. sid
for _, k in ipairs(redis.call('SMEMBERS', set)) do
  if redis.call('EXISTS', k) == 0 then redis.call('SREM', set, k) end
end
redis.call('SADD', set, key)
redis.call('PEXPIRE', set, ttl) -- this session is the one that expires last
return {'ok', role}
