-- A message in the enquiry room (R2.2), while it is open; the last 1000 are
-- kept. The room's idle clock starts again.
-- KEYS: outbox, request record. ARGV: cutoff, id, message (cc.ChatMessage
-- protobuf), ttl_s, chat_idle_ms.
-- -> {'not_found'} | {'closed', state} | {'ok'}
local done = begin()
if done then return done end
local id, msg, ttl, idle = arg(2), arg(3), arg(4), tonumber(arg(5))
local key = 'cc:enq:' .. id
local e = redis.call('HMGET', key, 'state', 'answered_by', 'kind', 'xfer', 'room_id')
if not e[1] then return finish({'not_found'}) end
-- a chat in a blind transfer is pending for its next staff member, and its
-- room stays open for the visitor meanwhile
local in_transfer = e[1] == 'pending' and e[4] == 'blind' and (e[5] or '') ~= ''
if e[1] ~= 'active' and not in_transfer then return finish({'closed', e[1]}) end
redis.call('RPUSH', key .. ':chat', msg)
redis.call('LTRIM', key .. ':chat', -1000, -1)
redis.call('EXPIRE', key .. ':chat', ttl)
if e[3] == 'chat' and e[1] == 'active' then redis.call('ZADD', 'cc:enq:idle', NOW + idle, id) end
fact('message', id, e[2], '', {}, {}, {'message', msg})
return finish({'ok'})
