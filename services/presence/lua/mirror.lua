-- The directory mirror (cc:dir:*, services/presence/dir_mirror.h) rewritten
-- whole, with the change's audit fact and the sessions it ends, in one
-- atomic step: run inside the directory's PostgreSQL transaction, before
-- its COMMIT (services/presence/dir_store.c), so the mirror, the audit
-- fact and the revocation are all there or none is.
-- KEYS: outbox, ''. ARGV (after the frame): actor ('' = the rebuild at
-- start: no fact, nothing revoked), op, kind (DirOp, DirKind numbers), key,
-- created ('1' or '0'), revoke (a staff id whose sessions end, or ''), then
-- 4-tuples op, key, a, b: hset key field value | sadd key member - |
-- set key value -.
-- -> {'ok', version}
--  | {'busy'} (the outbox or the event stream is full: nothing done)
local actor, revoke = arg(1), arg(6)
if actor ~= '' then
  local done = begin()
  if done then return done end
end
for _, k in ipairs(redis.call('SMEMBERS', 'cc:dir:keys')) do redis.call('DEL', k) end
redis.call('DEL', 'cc:dir:keys')
for i = 6 + 7, #ARGV, 4 do
  local op, k, a, b = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if op == 'hset' then redis.call('HSET', k, a, b)
  elseif op == 'sadd' then redis.call('SADD', k, a)
  else redis.call('SET', k, a) end
  redis.call('SADD', 'cc:dir:keys', k)
end
if actor ~= '' then
  emit('directory.changed', false, {'actor', actor, 'op', arg(2), 'kind', arg(3), 'key', arg(4),
       'created', arg(5), 'revoked', revoke})
end
if revoke ~= '' then revoke_sessions(revoke) end
return {'ok', tostring(redis.call('INCR', 'cc:dir:version'))}
