-- The maximum wait of the channel for a kind and mode, in ms (defaults R3).
local function wait_ms(cid, kind, mode)
  local c = redis.call('HMGET', 'cc:dir:channel:' .. cid, 'max_wait_broadcast_s',
                       'max_wait_direct_s', 'max_wait_chat_s')
  local w
  if kind == 'chat' then w = tonumber(c[3]) or 60
  elseif mode == 'broadcast' then w = tonumber(c[1]) or 30
  else w = tonumber(c[2]) or 90 end
  return w * 1000
end

-- Takes id out of every panel and waiting set; returns the staff it was
-- offered to.
local function withdraw(key, id)
  local offered = redis.call('SMEMBERS', key .. ':offered')
  for _, sid in ipairs(offered) do redis.call('SREM', 'cc:staff:' .. sid .. ':pending', id) end
  redis.call('ZREM', 'cc:enq:deadlines', id)
  local ws = redis.call('HGET', key, 'wait_set')
  if ws and ws ~= '' then
    redis.call('SREM', ws, id)
    redis.call('HDEL', key, 'wait_set')
  end
  return offered
end

-- Ends the transfer in progress with an outcome in the history (a JSON
-- array of cc.Transfer in the field "transfers").
local function xfer_done(key, outcome, by)
  local t = cjson.decode(redis.call('HGET', key, 'transfers') or '[]')
  if #t > 0 then t[#t].outcome = outcome; t[#t].accepted_by = by end
  redis.call('HSET', key, 'transfers', cjson.encode(t), 'xfer', '', 'xfer_from', '')
end

-- The transfer in progress found no taker (deadline) or was cancelled: the
-- enquiry goes back to its sender. Blind: a direct offer to them again;
-- consult: they simply keep it. One fact, enquiry.transfer_returned.
local function xfer_return(key, id, outcome)
  local e = redis.call('HMGET', key, 'state', 'xfer_from', 'kind', 'channel_id')
  local from = e[2]
  local withdrawn = withdraw(key, id)
  local offered = {}
  redis.call('DEL', key .. ':offered')
  xfer_done(key, outcome, '')
  if e[1] == 'pending' then
    local deadline = NOW + wait_ms(e[4], e[3], 'direct')
    local ws = 'cc:staff:' .. from .. ':direct'
    redis.call('HSET', key, 'mode', 'direct', 'group_id', '', 'staff_id', from,
      'deadline_ms', deadline, 'wait_set', ws)
    redis.call('SADD', ws, id)
    redis.call('ZADD', 'cc:enq:deadlines', deadline, id)
    if eligible(from, e[3]) then
      offered = {from}
      offer_to(key, id, offered)
    end
  end
  fact('transfer_returned', id, from, outcome == 'cancelled' and 'cancelled' or 'not_answered',
       offered, withdrawn)
  return from
end

-- An active enquiry ends (state ended, why): the holder is released; a call
-- is followed up for followup_ms (R7.2), or the holder may take the next
-- call now. A consult transfer still waiting leaves the target panels.
local function end_active(key, id, why, followup_ms)
  local e = redis.call('HMGET', key, 'answered_by', 'kind', 'xfer')
  local by, kind = e[1], e[2]
  local withdrawn = {}
  redis.call('HSET', key, 'state', 'ended', 'ended_ms', ARGV[2], 'end_reason', why)
  redis.call('ZREM', 'cc:enq:idle', id)
  release_keys(key)
  if e[3] == 'consult' then
    withdrawn = withdraw(key, id)
    xfer_done(key, 'cancelled', '')
  end
  release(by, kind, id)
  if kind == 'call' then
    redis.call('HSET', 'cc:presence:' .. by, 'followup_until_ms', NOW + followup_ms,
      'followup_enquiry', id)
    if followup_ms > 0 then redis.call('ZADD', 'cc:followups', NOW + followup_ms, by) end
  end
  fact('ended', id, by, why, {}, withdrawn)
  if kind == 'call' and followup_ms == 0 then reconcile(by) end
  return by
end
