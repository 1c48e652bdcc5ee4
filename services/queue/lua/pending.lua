-- Read only: a page of the staff member's pending panel, newest first (by
-- enquiry id: ids are UUIDv7, so they sort by creation time; the panel is
-- sorted without reading each enquiry, and only the page's are read).
-- ARGV: cutoff, staff_id, limit (0 or absent: the whole panel), before (''
-- or absent: from the newest; else only ids below it)
-- -> {total, more (0/1), then per enquiry: n, k1, v1, ..., 'channel_name', name}
local ids = redis.call('SMEMBERS', 'cc:staff:' .. arg(2) .. ':pending')
local limit = tonumber(arg(3) or '0') or 0
local before = arg(4) or ''
table.sort(ids, function(a, b) return a > b end)
local out = {#ids, 0}
local taken = 0
for _, id in ipairs(ids) do
  if before == '' or id < before then
    if limit > 0 and taken >= limit then
      out[2] = 1
      break
    end
    local key = 'cc:enq:' .. id
    local h = redis.call('HGETALL', key)
    if #h > 0 then
      local name = redis.call('HGET', 'cc:dir:channel:' .. redis.call('HGET', key, 'channel_id'),
        'name') or ''
      h[#h + 1] = 'channel_name'
      h[#h + 1] = name
      out[#out + 1] = #h
      for _, v in ipairs(h) do out[#out + 1] = v end
      taken = taken + 1
    end
  end
end
return out
