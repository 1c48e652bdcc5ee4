-- The gateway's admission limits: token buckets, one key each, taken all
-- together or not at all, in one step, so they hold across every gateway
-- replica. (Joined after services/common/lua by the build; this script uses
-- none of it: it changes no enquiry and writes no outbox.)
--
-- Each bucket is kept as GCRA does: one number, the theoretical arrival
-- time (TAT, µs) of the next request if every request came at the
-- sustained rate. A bucket of `burst` tokens refilled over `period` takes a
-- request when TAT + interval - period <= now (interval = period / burst);
-- a key that is gone is a full bucket, so each key expires once its bucket
-- would be full again.
--
--   KEYS[i]       cc:rate:<limit>:<who>
--   ARGV[2i-1]    burst of bucket i (requests, >= 1)
--   ARGV[2i]      period of bucket i, ms (a full bucket refills in this)
--   -> {0}              a token taken from every bucket
--   -> {1, wait_ms, i}  refused, nothing taken: bucket i, the one that
--                       refills last, has a token again in wait_ms
--
-- Time is Redis's own (TIME), so gateways whose clocks differ agree.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local next_tat = {}
local wait, worst = 0, 0

for i, key in ipairs(KEYS) do
  local burst = tonumber(ARGV[2 * i - 1])
  local period = tonumber(ARGV[2 * i]) * 1000
  if not burst or not period or burst < 1 or period < 1 then
    return redis.error_reply('ERR ratelimit: bad burst or period for ' .. key)
  end
  local tat = tonumber(redis.call('GET', key) or '0') or 0
  if tat < now then tat = now end
  local new_tat = tat + period / burst
  local allow_at = new_tat - period
  if allow_at > now and allow_at - now > wait then
    wait, worst = allow_at - now, i
  end
  next_tat[i] = new_tat
end

if worst > 0 then
  return {1, math.ceil(wait / 1000), worst}
end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, string.format('%.17g', next_tat[i]), 'PX',
    math.max(1, math.ceil((next_tat[i] - now) / 1000)))
end
return {0}
