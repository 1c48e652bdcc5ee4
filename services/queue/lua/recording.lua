-- A recording of a call started (ingress, cc.queue.recording): its path is
-- added to the enquiry's recordings (a JSON array, oldest first) unless it
-- is there already, with the fact enquiry.recorded (reason: the path). A
-- retry, or the same path again, changes nothing and emits nothing.
-- KEYS: outbox, request record. ARGV: cutoff, id, path.
-- -> {'not_found'} | {'not_call'} | {'already'} | {'recorded'}
local done = begin()
if done then return done end
local id, path = arg(2), arg(3)
local key = 'cc:enq:' .. id
local e = redis.call('HMGET', key, 'kind', 'recordings', 'answered_by')
if not e[1] then return finish({'not_found'}) end
if e[1] ~= 'call' then return finish({'not_call'}) end
local list = {}
if e[2] and e[2] ~= '' then
  local ok, v = pcall(cjson.decode, e[2])
  if ok and type(v) == 'table' then list = v end
end
for _, p in ipairs(list) do
  if p == path then return finish({'already'}) end
end
list[#list + 1] = path
redis.call('HSET', key, 'recordings', cjson.encode(list))
fact('recorded', id, e[3] or '', path, {}, {})
return finish({'recorded'})
