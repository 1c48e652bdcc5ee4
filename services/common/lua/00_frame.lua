-- The frame every state-changing script of the project runs in (joined in
-- front of each script by the build, before the service's own helpers).
--
--   KEYS[1]  the owning service's outbox stream (cc:outbox:<service>)
--   KEYS[2]  the request record cc:req:<hash>, or '' for a timer's step
--   ARGV[1]  event id base: a fresh UUIDv7 from the caller; event n of this
--            step is the base with its last four hex digits replaced by n
--   ARGV[2]  now, wall-clock ms
--   ARGV[3]  the request's fingerprint (the same key with another body is
--            refused)
--   ARGV[4]  the request's deadline in ms, 0 for none: past it the step does
--            nothing, because the client has already been told it failed
--   ARGV[5]  how long the request record is kept, s
--   ARGV[6]  the outbox's maximum length, 0 for no limit: a request step
--            refuses to add to a fuller outbox (its events could not be
--            relayed; the edge answers 503)
--   ARGV[7..] the script's own arguments: arg(1), arg(2), ...
local NOW = tonumber(ARGV[2])
local function arg(i) return ARGV[6 + i] end

-- A request step begins with: local done = begin(); if done then return done end
-- It returns the reply recorded for this request (a retry), a refusal
-- ({'idem_mismatch'}, {'expired'}, {'busy'}), or nil to go on.
local function begin()
  if KEYS[2] ~= '' then
    local rec = redis.call('HMGET', KEYS[2], 'fp', 'reply')
    if rec[1] then
      if rec[1] ~= ARGV[3] then return {'idem_mismatch'} end
      return cjson.decode(rec[2])
    end
  end
  local deadline = tonumber(ARGV[4])
  if deadline > 0 and NOW > deadline then return {'expired'} end
  local max = tonumber(ARGV[6])
  if max > 0 and redis.call('XLEN', KEYS[1]) >= max then return {'busy'} end
  -- the event stream refuses new events (full): nothing is done that could
  -- not be recorded (services/common/cc_outbox.h, CC_OUTBOX_FULL_KEY)
  if redis.call('EXISTS', 'cc:events:full') == 1 then return {'busy'} end
  return nil
end

-- Records reply as this request's result (a retry gets it back) and returns it.
local function finish(reply)
  if KEYS[2] ~= '' then
    redis.call('HSET', KEYS[2], 'fp', ARGV[3], 'reply', cjson.encode(reply))
    redis.call('EXPIRE', KEYS[2], ARGV[5])
  end
  return reply
end
