-- A staff phone's registration (REGISTER, docs/sip.md): the bindings of
-- staff member sid in cc:reg:<sid>, a hash contact URI -> when it expires
-- (wall ms). Expired bindings are dropped here; the key itself expires with
-- its last binding. With no changes it only reads.
-- KEYS: outbox, request record (the frame; no events). ARGV (after the
-- frame): sid, the most bindings a staff member may hold, clear ('1':
-- "Contact: *" with Expires 0, every binding goes), then contact, seconds,
-- ... (0 seconds removes that contact).
-- -> {'ok', contact, seconds left, ...} | {'full', count}
local done = begin()
if done then return done end
local sid, max, clear = arg(1), tonumber(arg(2)), arg(3)
local key = 'cc:reg:' .. sid
local cur = {}
local h = redis.call('HGETALL', key)
for i = 1, #h, 2 do
  local exp = tonumber(h[i + 1])
  if exp and exp > NOW then cur[h[i]] = exp end
end
if clear == '1' then cur = {} end
for i = 4, #ARGV - 6 - 1, 2 do
  local c, s = arg(i), tonumber(arg(i + 1))
  if s > 0 then cur[c] = NOW + s * 1000 else cur[c] = nil end
end
local n, last = 0, 0
for _, exp in pairs(cur) do
  n = n + 1
  if exp > last then last = exp end
end
if n > max then return finish({'full', n}) end
redis.call('DEL', key)
local out = {'ok'}
local names = {}
for c in pairs(cur) do names[#names + 1] = c end
table.sort(names)
for _, c in ipairs(names) do
  redis.call('HSET', key, c, cur[c])
  out[#out + 1] = c
  out[#out + 1] = tostring(math.ceil((cur[c] - NOW) / 1000))
end
if n > 0 then redis.call('PEXPIREAT', key, last) end
return finish(out)
