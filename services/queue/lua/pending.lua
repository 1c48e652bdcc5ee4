-- Read only: the staff member's pending panel, newest first.
-- ARGV: cutoff, staff_id -> flat list of enquiry hashes: {n, k1, v1, ..., n, ...}
local ids = redis.call('SMEMBERS', 'cc:staff:' .. arg(2) .. ':pending')
local created = {}
for _, id in ipairs(ids) do
  created[id] = tonumber(redis.call('HGET', 'cc:enq:' .. id, 'created_ms') or 0)
end
table.sort(ids, function(a, b)
  if created[a] ~= created[b] then return created[a] > created[b] end
  return a > b
end)
local out = {}
for _, id in ipairs(ids) do
  local key = 'cc:enq:' .. id
  local h = redis.call('HGETALL', key)
  if #h > 0 then
    local name = redis.call('HGET', 'cc:dir:channel:' .. redis.call('HGET', key, 'channel_id'),
      'name') or ''
    h[#h + 1] = 'channel_name'
    h[#h + 1] = name
    out[#out + 1] = #h
    for _, v in ipairs(h) do out[#out + 1] = v end
  end
end
return out
