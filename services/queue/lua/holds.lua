-- Read only: what a staff member holds (GET /me), or every active enquiry
-- (ccctl enquiries) when staff_id is '': so nothing is held unseen.
-- ARGV: cutoff, staff_id.
-- -> {followup enquiry id or '', followup until ms, n, k1, v1, ..., n, ...}
local sid = arg(2)
local ids, out = {}, {'', '0'}
if sid ~= '' then
  ids = redis.call('SMEMBERS', 'cc:staff:' .. sid .. ':holds')
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
