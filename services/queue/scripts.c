/* scripts: the Lua of every enquiry state change. See scripts.h. */
#include "scripts.h"

/* Availability (R7.2): online with a fresh heartbeat; for a call also not
 * on a call and not following one up. */
#define LUA_ELIGIBLE                                                                               \
    "local function eligible(sid, kind, now, cutoff)\n"                                            \
    "  local p = redis.call('HMGET', 'cc:presence:' .. sid, 'status', 'last_seen_ms', 'call',"     \
    "                       'followup_until_ms')\n"                                                \
    "  if p[1] ~= 'online' or tonumber(p[2] or 0) < cutoff then return false end\n"                \
    "  if kind == 'call' and (p[3] == '1' or tonumber(p[4] or 0) > now) then return false end\n"   \
    "  return true\n"                                                                              \
    "end\n"

const char *const queue_lua_create = LUA_ELIGIBLE
    "local id, kind, cid, now, cutoff = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[5]),"
    "  tonumber(ARGV[6])\n"
    "local raw = redis.call('HGETALL', 'cc:dir:channel:' .. cid)\n"
    "if #raw == 0 then return {'no_channel'} end\n"
    "local c = {}\n"
    "for i = 1, #raw, 2 do c[raw[i]] = raw[i + 1] end\n"
    "local mode, members, wait\n"
    "if c.group_id ~= '' then\n"
    "  mode = 'broadcast'\n"
    "  members = redis.call('SMEMBERS', 'cc:dir:group:' .. c.group_id .. ':members')\n"
    "else mode = 'direct'; members = {c.staff_id} end\n"
    "if kind == 'chat' then wait = tonumber(c.max_wait_chat_s)\n"
    "elseif mode == 'broadcast' then wait = tonumber(c.max_wait_broadcast_s)\n"
    "else wait = tonumber(c.max_wait_direct_s) end\n"
    "local deadline = now + wait * 1000\n"
    "local offer = {}\n"
    "for _, sid in ipairs(members) do\n"
    "  if eligible(sid, kind, now, cutoff) then offer[#offer + 1] = sid end\n"
    "end\n"
    "table.sort(offer)\n"
    "local key = 'cc:enq:' .. id\n"
    "local state = 'pending'\n"
    "if #offer == 0 then state = (c.voicemail == '1') and 'voicemail' or 'blocked' end\n"
    "redis.call('HSET', key, 'id', id, 'kind', kind, 'mode', mode, 'state', state,"
    "  'channel_id', cid, 'group_id', c.group_id, 'staff_id', c.staff_id, 'caller', ARGV[4],"
    "  'created_ms', ARGV[5], 'deadline_ms', deadline, 'visitor', ARGV[7])\n"
    "redis.call('EXPIRE', key, ARGV[8])\n"
    "if state == 'pending' then\n"
    "  for _, sid in ipairs(offer) do\n"
    "    redis.call('SADD', key .. ':offered', sid)\n"
    "    redis.call('SADD', 'cc:staff:' .. sid .. ':pending', id)\n"
    "  end\n"
    "  redis.call('EXPIRE', key .. ':offered', ARGV[8])\n"
    "  redis.call('ZADD', 'cc:enq:deadlines', deadline, id)\n"
    "  if mode == 'broadcast' then redis.call('SADD', 'cc:group:' .. c.group_id .. ':waiting', "
    "id)\n"
    "  else redis.call('SADD', 'cc:staff:' .. c.staff_id .. ':direct', id) end\n"
    "else\n"
    "  redis.call('HSET', key, 'ended_ms', ARGV[5], 'end_reason', 'no_staff_available')\n"
    "end\n"
    "return {state, mode, tostring(deadline), unpack(offer)}\n";

/* Withdraws id from every panel it is in; returns the staff it was offered to. */
#define LUA_WITHDRAW                                                                               \
    "local function withdraw(key, id)\n"                                                           \
    "  local offered = redis.call('SMEMBERS', key .. ':offered')\n"                                \
    "  for _, sid in ipairs(offered) do redis.call('SREM', 'cc:staff:' .. sid .. ':pending', id) " \
    "end\n"                                                                                        \
    "  redis.call('ZREM', 'cc:enq:deadlines', id)\n"                                               \
    "  local e = redis.call('HMGET', key, 'group_id', 'staff_id')\n"                               \
    "  if e[1] and e[1] ~= '' then redis.call('SREM', 'cc:group:' .. e[1] .. ':waiting', id)\n"    \
    "  elseif e[2] then redis.call('SREM', 'cc:staff:' .. e[2] .. ':direct', id) end\n"            \
    "  return offered\n"                                                                           \
    "end\n"

const char *const queue_lua_answer = LUA_WITHDRAW
    "local id, sid = ARGV[1], ARGV[2]\n"
    "local key = 'cc:enq:' .. id\n"
    "local state = redis.call('HGET', key, 'state')\n"
    "if not state then return {'not_found'} end\n"
    "if state ~= 'pending' then\n"
    "  return {'taken', redis.call('HGET', key, 'answered_by') or '', state} end\n"
    "if redis.call('SISMEMBER', key .. ':offered', sid) == 0 then return {'not_offered'} end\n"
    "redis.call('HSET', key, 'state', 'active', 'answered_by', sid, 'answered_ms', ARGV[3],"
    "  'room_id', ARGV[4])\n"
    "local offered = withdraw(key, id)\n"
    "if redis.call('HGET', key, 'kind') == 'call' then\n"
    "  redis.call('HSET', 'cc:presence:' .. sid, 'call', '1')\n"
    "else redis.call('HINCRBY', 'cc:presence:' .. sid, 'chats', 1) end\n"
    "return {'won', unpack(offered)}\n";

const char *const queue_lua_expire = LUA_WITHDRAW
    "local due = redis.call('ZRANGEBYSCORE', 'cc:enq:deadlines', '-inf', ARGV[1], 'LIMIT', 0,"
    "  ARGV[2])\n"
    "local out = {}\n"
    "for _, id in ipairs(due) do\n"
    "  local key = 'cc:enq:' .. id\n"
    "  redis.call('ZREM', 'cc:enq:deadlines', id)\n"
    "  if redis.call('HGET', key, 'state') == 'pending' then\n"
    "    local cid = redis.call('HGET', key, 'channel_id')\n"
    "    local vm = redis.call('HGET', 'cc:dir:channel:' .. cid, 'voicemail')\n"
    "    local st = (vm == '1') and 'voicemail' or 'missed'\n"
    "    redis.call('HSET', key, 'state', st, 'ended_ms', ARGV[1], 'end_reason', 'max_wait')\n"
    "    withdraw(key, id)\n"
    "    out[#out + 1] = id\n"
    "    out[#out + 1] = st\n"
    "  end\n"
    "end\n"
    "return out\n";

const char *const queue_lua_end = LUA_WITHDRAW
    "local id, actor, now = ARGV[1], ARGV[2], tonumber(ARGV[3])\n"
    "local key = 'cc:enq:' .. id\n"
    "local e = redis.call('HMGET', key, 'state', 'answered_by', 'kind')\n"
    "if not e[1] then return {'not_found'} end\n"
    "local state, by, kind = e[1], e[2], e[3]\n"
    "if actor ~= 'visitor' and actor ~= 'staff:' .. (by or '') then return {'not_yours'} end\n"
    "if state == 'pending' and actor == 'visitor' then\n"
    "  redis.call('HSET', key, 'state', 'cancelled', 'ended_ms', ARGV[3], 'end_reason',"
    "    'caller_hung_up')\n"
    "  return {'cancelled', unpack(withdraw(key, id))}\n"
    "end\n"
    "if state ~= 'active' then return {'already', state} end\n"
    "redis.call('HSET', key, 'state', 'ended', 'ended_ms', ARGV[3], 'end_reason',"
    "  actor == 'visitor' and 'caller_hung_up' or 'staff_ended')\n"
    "local p = 'cc:presence:' .. by\n"
    "if kind == 'call' then\n"
    "  redis.call('HSET', p, 'call', '0', 'followup_until_ms', now + tonumber(ARGV[4]))\n"
    "  if tonumber(ARGV[4]) > 0 then redis.call('ZADD', 'cc:followups', now + tonumber(ARGV[4]),"
    "    by) end\n"
    "else\n"
    "  if tonumber(redis.call('HGET', p, 'chats') or 0) > 0 then redis.call('HINCRBY', p,"
    "    'chats', -1) end\n"
    "end\n"
    "return {'ended', by}\n";

const char *const queue_lua_pending =
    "local ids = redis.call('SMEMBERS', 'cc:staff:' .. ARGV[1] .. ':pending')\n"
    "local out = {}\n"
    "for _, id in ipairs(ids) do\n"
    "  local h = redis.call('HGETALL', 'cc:enq:' .. id)\n"
    "  if #h > 0 then\n"
    "    local name = redis.call('HGET', 'cc:dir:channel:' ..\n"
    "      redis.call('HGET', 'cc:enq:' .. id, 'channel_id'), 'name') or ''\n"
    "    h[#h + 1] = 'channel_name'\n"
    "    h[#h + 1] = name\n"
    "    out[#out + 1] = #h\n"
    "    for _, v in ipairs(h) do out[#out + 1] = v end\n"
    "  end\n"
    "end\n"
    "return out\n";

const char *const queue_lua_reconcile = LUA_ELIGIBLE
    "local sid, now, cutoff = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "local cands = {}\n"
    "for _, gid in ipairs(redis.call('SMEMBERS', 'cc:dir:staff:' .. sid .. ':groups')) do\n"
    "  for _, id in ipairs(redis.call('SMEMBERS', 'cc:group:' .. gid .. ':waiting')) do\n"
    "    cands[#cands + 1] = id end\n"
    "end\n"
    "for _, id in ipairs(redis.call('SMEMBERS', 'cc:staff:' .. sid .. ':direct')) do\n"
    "  cands[#cands + 1] = id end\n"
    "local offered, withdrawn, seen = {}, {}, {}\n"
    "for _, id in ipairs(cands) do\n"
    "  if not seen[id] then\n"
    "    seen[id] = true\n"
    "    local key = 'cc:enq:' .. id\n"
    "    local e = redis.call('HMGET', key, 'state', 'kind')\n"
    "    if e[1] == 'pending' then\n"
    "      local ok = eligible(sid, e[2], now, cutoff)\n"
    "      local has = redis.call('SISMEMBER', key .. ':offered', sid) == 1\n"
    "      if ok and not has then\n"
    "        redis.call('SADD', key .. ':offered', sid)\n"
    "        redis.call('SADD', 'cc:staff:' .. sid .. ':pending', id)\n"
    "        offered[#offered + 1] = id\n"
    "      elseif has and not ok then\n"
    "        redis.call('SREM', key .. ':offered', sid)\n"
    "        redis.call('SREM', 'cc:staff:' .. sid .. ':pending', id)\n"
    "        withdrawn[#withdrawn + 1] = id\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "local out = {#offered}\n"
    "for _, id in ipairs(offered) do out[#out + 1] = id end\n"
    "for _, id in ipairs(withdrawn) do out[#out + 1] = id end\n"
    "return out\n";

const char *const queue_lua_followups =
    "local due = redis.call('ZRANGEBYSCORE', 'cc:followups', '-inf', ARGV[1], 'LIMIT', 0, "
    "ARGV[2])\n"
    "for _, sid in ipairs(due) do redis.call('ZREM', 'cc:followups', sid) end\n"
    "return due\n";

const char *const queue_lua_chat = "local key = 'cc:enq:' .. ARGV[1]\n"
                                   "local e = redis.call('HMGET', key, 'state', 'answered_by')\n"
                                   "if not e[1] then return {'not_found'} end\n"
                                   "if e[1] ~= 'active' then return {'closed', e[1]} end\n"
                                   "redis.call('RPUSH', key .. ':chat', ARGV[2])\n"
                                   "redis.call('LTRIM', key .. ':chat', -1000, -1)\n"
                                   "redis.call('EXPIRE', key .. ':chat', ARGV[3])\n"
                                   "return {'ok', e[2]}\n";
