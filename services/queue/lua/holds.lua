-- Read only: what a staff member holds (GET /me), or every active enquiry
-- (ccctl enquiries) when staff_id is '': so nothing is held unseen. Oldest
-- (taken first) first.
-- ARGV: cutoff, staff_id.
-- -> {followup enquiry id or '', followup until ms, n, k1, v1, ..., n, ...}
local sid = arg(2)
local ids, out = {}, {'', '0'}
if sid ~= '' then
  ids = redis.call('SMEMBERS', 'cc:staff:' .. sid .. ':holds')
  -- by when taken, as the operator's list below (docs/api.md: oldest first)
  local at = {}
  for _, id in ipairs(ids) do at[id] = tonumber(redis.call('ZSCORE', 'cc:enq:active', id) or 0) end
  table.sort(ids, function(a, b)
    if at[a] ~= at[b] then return at[a] < at[b] end
    return a < b
  end)
  local p = redis.call('HMGET', 'cc:presence:' .. sid, 'followup_enquiry', 'followup_until_ms')
  if p[1] and tonumber(p[2] or 0) > NOW then out = {p[1], p[2]} end
else
  ids = redis.call('ZRANGE', 'cc:enq:active', 0, 999)
end
for _, id in ipairs(ids) do
  local h = redis.call('HGETALL', 'cc:enq:' .. id)
  if #h > 0 then
    out[#out + 1] = #h
    for _, v in ipairs(h) do out[#out + 1] = v end
  end
end
return out
