-- queue's helpers (joined after services/common/lua). Every queue script's
-- arg(1) is the heartbeat cutoff: a staff member last seen before it is not
-- available (R7.1).
local CUTOFF = tonumber(arg(1))

-- The enquiry as it is now, for an event: its hash as a JSON object, without
-- the visitor token's hash (never leaves Redis).
local function snapshot(key)
  local h = redis.call('HGETALL', key)
  local o = {}
  for i = 1, #h, 2 do
    if h[i] ~= 'visitor' then o[h[i]] = h[i + 1] end
  end
  return cjson.encode(o)
end

local function list(t)
  if t == nil or #t == 0 then return '[]' end
  return cjson.encode(t)
end

-- An enquiry's keys expire CC_ENQUIRY_TTL_S (its field ttl_s) after it is
-- created, but not while it is held (answered and not ended): a call longer
-- than that never loses its state, its holder and their activity with it.
-- When it ends they expire ttl_s from then.
local function hold_keys(key)
  redis.call('PERSIST', key)
  redis.call('PERSIST', key .. ':offered')
end

local function release_keys(key)
  local ttl = redis.call('HGET', key, 'ttl_s') or '86400'
  redis.call('EXPIRE', key, ttl)
  redis.call('EXPIRE', key .. ':offered', ttl)
end

-- A fact about enquiry id (stored once): who it concerns (staff), why
-- (reason), the staff it is now offered to and the panels it leaves: the
-- gateway derives the per-panel pushes from these two lists.
local function fact(etype, id, staff, reason, offered, withdrawn, extra)
  local f = {'enquiry', snapshot('cc:enq:' .. id), 'staff', staff or '', 'reason', reason or '',
             'offered', list(offered), 'withdrawn', list(withdrawn)}
  for _, v in ipairs(extra or {}) do f[#f + 1] = v end
  emit('enquiry.' .. etype, false, f)
end

-- A notification only (offered to / withdrawn from one panel as staff come
-- and go): pushed, never stored.
local function note(etype, id, staff, reason)
  emit('enquiry.' .. etype, true, {'enquiry', snapshot('cc:enq:' .. id), 'staff', staff,
       'reason', reason, 'offered', '[]', 'withdrawn', '[]'})
end
