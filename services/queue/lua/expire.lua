-- The timer's step (any replica; each deadline fires once): a pending
-- enquiry whose wait ran out ends missed, or voicemail when the channel has
-- it (R3); a transfer nobody took goes back to its sender (R14).
-- KEYS: outbox, ''. ARGV: cutoff, limit. -> number of deadlines handled
local due = redis.call('ZRANGEBYSCORE', 'cc:enq:deadlines', '-inf', ARGV[2], 'LIMIT', 0, arg(2))
for _, id in ipairs(due) do
  local key = 'cc:enq:' .. id
  redis.call('ZREM', 'cc:enq:deadlines', id)
  local e = redis.call('HMGET', key, 'state', 'xfer', 'channel_id')
  local xm = e[2] or ''
  if (e[1] == 'pending' and xm == 'blind') or (e[1] == 'active' and xm == 'consult') then
    xfer_return(key, id, 'returned')
  elseif e[1] == 'pending' then
    local vm = redis.call('HGET', 'cc:dir:channel:' .. e[3], 'voicemail')
    local st = (vm == '1') and 'voicemail' or 'missed'
    redis.call('HSET', key, 'state', st, 'ended_ms', ARGV[2], 'end_reason', 'max_wait')
    release_keys(key)
    fact(st, id, '', 'max_wait', {}, withdraw(key, id))
  end
end
return #due
