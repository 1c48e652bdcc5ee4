-- Availability (R7.2): online with a fresh heartbeat; for a call also not on
-- a call and not following one up.
local function eligible(sid, kind)
  local p = redis.call('HMGET', 'cc:presence:' .. sid, 'status', 'last_seen_ms', 'call',
                       'followup_until_ms')
  if p[1] ~= 'online' or tonumber(p[2] or 0) < CUTOFF then return false end
  if kind == 'call' and (p[3] == '1' or tonumber(p[4] or 0) > NOW) then return false end
  return true
end

-- The staff member's activity (on a call, or one more chat) and what they
-- hold (cc:staff:<sid>:holds, listed by GET /me so nothing is held unseen).
local function occupy(sid, kind, id)
  if kind == 'call' then redis.call('HSET', 'cc:presence:' .. sid, 'call', '1')
  else redis.call('HINCRBY', 'cc:presence:' .. sid, 'chats', 1) end
  redis.call('SADD', 'cc:staff:' .. sid .. ':holds', id)
  redis.call('ZADD', 'cc:enq:active', NOW, id)
end

local function release(sid, kind, id)
  local p = 'cc:presence:' .. sid
  if kind == 'call' then redis.call('HSET', p, 'call', '0')
  elseif tonumber(redis.call('HGET', p, 'chats') or 0) > 0 then
    redis.call('HINCRBY', p, 'chats', -1) end
  redis.call('SREM', 'cc:staff:' .. sid .. ':holds', id)
  redis.call('ZREM', 'cc:enq:active', id)
end

-- Offers id to each of offer (their panels). The set of offers goes when
-- the enquiry does: made again after it emptied (every offer withdrawn, a
-- transfer returned), it takes the enquiry's expiry again.
local function offer_to(key, id, offer)
  for _, sid in ipairs(offer) do
    redis.call('SADD', key .. ':offered', sid)
    redis.call('SADD', 'cc:staff:' .. sid .. ':pending', id)
  end
  local ttl = redis.call('PTTL', key)
  if #offer > 0 and ttl > 0 then redis.call('PEXPIRE', key .. ':offered', ttl) end
end

-- Offers sid the waiting enquiries of their groups (and the direct ones for
-- them) they can receive now and were not offered; withdraws those they can
-- no longer receive (R8.1, R8.2). Notifications only: availability changing
-- is a fact about the staff member, already stored by presence.
local function reconcile(sid)
  local cands = {}
  for _, gid in ipairs(redis.call('SMEMBERS', 'cc:dir:staff:' .. sid .. ':groups')) do
    for _, id in ipairs(redis.call('SMEMBERS', 'cc:group:' .. gid .. ':waiting')) do
      cands[#cands + 1] = id end
  end
  for _, id in ipairs(redis.call('SMEMBERS', 'cc:staff:' .. sid .. ':direct')) do
    cands[#cands + 1] = id end
  local seen, n = {}, 0
  for _, id in ipairs(cands) do
    if not seen[id] then
      seen[id] = true
      local key = 'cc:enq:' .. id
      local e = redis.call('HMGET', key, 'state', 'kind', 'xfer', 'xfer_from')
      if e[1] == 'pending' or (e[1] == 'active' and e[3] == 'consult') then
        -- a transfer is never offered back to its sender
        local ok = sid ~= e[4] and eligible(sid, e[2])
        local has = redis.call('SISMEMBER', key .. ':offered', sid) == 1
        if ok and not has then
          offer_to(key, id, {sid})
          note('offered', id, sid, 'staff_available')
          n = n + 1
        elseif has and not ok then
          redis.call('SREM', key .. ':offered', sid)
          redis.call('SREM', 'cc:staff:' .. sid .. ':pending', id)
          note('withdrawn', id, sid, 'staff_unavailable')
          n = n + 1
        end
      end
    end
  end
  return n
end
