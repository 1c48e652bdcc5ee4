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

/* The staff member's activity: on a call, or one more chat; and back. */
#define LUA_PRESENCE                                                                               \
    "local function occupy(sid, kind)\n"                                                           \
    "  if kind == 'call' then redis.call('HSET', 'cc:presence:' .. sid, 'call', '1')\n"            \
    "  else redis.call('HINCRBY', 'cc:presence:' .. sid, 'chats', 1) end\n"                       \
    "end\n"                                                                                        \
    "local function release(sid, kind)\n"                                                          \
    "  local p = 'cc:presence:' .. sid\n"                                                          \
    "  if kind == 'call' then redis.call('HSET', p, 'call', '0')\n"                                \
    "  elseif tonumber(redis.call('HGET', p, 'chats') or 0) > 0 then\n"                            \
    "    redis.call('HINCRBY', p, 'chats', -1) end\n"                                              \
    "end\n"

/* The maximum wait of the channel for a kind and mode, in ms (defaults R3). */
#define LUA_WAIT                                                                                   \
    "local function wait_ms(cid, kind, mode)\n"                                                    \
    "  local c = redis.call('HMGET', 'cc:dir:channel:' .. cid, 'max_wait_broadcast_s',"            \
    "                       'max_wait_direct_s', 'max_wait_chat_s')\n"                            \
    "  local w\n"                                                                                  \
    "  if kind == 'chat' then w = tonumber(c[3]) or 60\n"                                          \
    "  elseif mode == 'broadcast' then w = tonumber(c[1]) or 30\n"                                 \
    "  else w = tonumber(c[2]) or 90 end\n"                                                        \
    "  return w * 1000\n"                                                                          \
    "end\n"

/* Ends the transfer in progress with an outcome in the history (a JSON array
 * of cc.Transfer in the field "transfers"). */
#define LUA_XFER_DONE                                                                              \
    "local function xfer_done(key, outcome, by)\n"                                                 \
    "  local t = cjson.decode(redis.call('HGET', key, 'transfers') or '[]')\n"                     \
    "  if #t > 0 then t[#t].outcome = outcome; t[#t].accepted_by = by end\n"                       \
    "  redis.call('HSET', key, 'transfers', cjson.encode(t), 'xfer', '', 'xfer_from', '')\n"       \
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
    "  local ws = (mode == 'broadcast') and ('cc:group:' .. c.group_id .. ':waiting')\n"
    "    or ('cc:staff:' .. c.staff_id .. ':direct')\n"
    "  redis.call('SADD', ws, id)\n"
    "  redis.call('HSET', key, 'wait_set', ws)\n"
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
    "  local ws = redis.call('HGET', key, 'wait_set')\n"                                          \
    "  if ws and ws ~= '' then\n"                                                                  \
    "    redis.call('SREM', ws, id)\n"                                                             \
    "    redis.call('HDEL', key, 'wait_set')\n"                                                    \
    "  end\n"                                                                                      \
    "  return offered\n"                                                                           \
    "end\n"

const char *const queue_lua_answer = LUA_WITHDRAW LUA_PRESENCE LUA_XFER_DONE
    "local id, sid = ARGV[1], ARGV[2]\n"
    "local key = 'cc:enq:' .. id\n"
    "local e = redis.call('HMGET', key, 'state', 'kind', 'xfer', 'xfer_from', 'answered_by')\n"
    "if not e[1] then return {'not_found'} end\n"
    "local xm = e[3] or ''\n"
    "if e[1] ~= 'pending' and not (e[1] == 'active' and xm == 'consult') then\n"
    "  return {'taken', e[5] or '', e[1]} end\n"
    "if redis.call('SISMEMBER', key .. ':offered', sid) == 0 then return {'not_offered'} end\n"
    /* a consult transfer: the sender leaves now that the target is on */
    "if xm == 'consult' then release(e[4], e[2]) end\n"
    "redis.call('HSET', key, 'state', 'active', 'answered_by', sid)\n"
    "redis.call('HSETNX', key, 'answered_ms', ARGV[3])\n"
    "redis.call('HSETNX', key, 'room_id', ARGV[4])\n"
    "if xm ~= '' then xfer_done(key, 'accepted', sid) end\n"
    "local offered = withdraw(key, id)\n"
    "occupy(sid, e[2])\n"
    "return {'won', xm, e[4] or '', unpack(offered)}\n";

/* The transfer in progress found no taker (deadline) or was cancelled: the
 * enquiry goes back to the sender. Blind: a direct offer to them again;
 * consult: they simply keep it. -> {sender, "1" if offered now, withdrawn...} */
#define LUA_XFER_RETURN                                                                            \
    "local function xfer_return(key, id, now, cutoff, outcome)\n"                                  \
    "  local e = redis.call('HMGET', key, 'state', 'xfer_from', 'kind', 'channel_id')\n"           \
    "  local from, got = e[2], '0'\n"                                                              \
    "  local withdrawn = withdraw(key, id)\n"                                                      \
    "  redis.call('DEL', key .. ':offered')\n"                                                     \
    "  xfer_done(key, outcome, '')\n"                                                              \
    "  if e[1] == 'pending' then\n"                                                                \
    "    local deadline = now + wait_ms(e[4], e[3], 'direct')\n"                                   \
    "    local ws = 'cc:staff:' .. from .. ':direct'\n"                                            \
    "    redis.call('HSET', key, 'mode', 'direct', 'group_id', '', 'staff_id', from,"               \
    "      'deadline_ms', deadline, 'wait_set', ws)\n"                                             \
    "    redis.call('SADD', ws, id)\n"                                                             \
    "    redis.call('ZADD', 'cc:enq:deadlines', deadline, id)\n"                                   \
    "    if eligible(from, e[3], now, cutoff) then\n"                                              \
    "      redis.call('SADD', key .. ':offered', from)\n"                                          \
    "      redis.call('SADD', 'cc:staff:' .. from .. ':pending', id)\n"                            \
    "      got = '1'\n"                                                                            \
    "    end\n"                                                                                    \
    "  end\n"                                                                                      \
    "  return {from, got, unpack(withdrawn)}\n"                                                    \
    "end\n"

const char *const queue_lua_expire = LUA_ELIGIBLE LUA_WITHDRAW LUA_WAIT LUA_XFER_DONE
    LUA_XFER_RETURN
    "local now, cutoff = tonumber(ARGV[1]), tonumber(ARGV[3])\n"
    "local due = redis.call('ZRANGEBYSCORE', 'cc:enq:deadlines', '-inf', ARGV[1], 'LIMIT', 0,"
    "  ARGV[2])\n"
    "local out = {}\n"
    "for _, id in ipairs(due) do\n"
    "  local key = 'cc:enq:' .. id\n"
    "  redis.call('ZREM', 'cc:enq:deadlines', id)\n"
    "  local e = redis.call('HMGET', key, 'state', 'xfer', 'channel_id')\n"
    "  local xm = e[2] or ''\n"
    "  if (e[1] == 'pending' and xm == 'blind') or (e[1] == 'active' and xm == 'consult') then\n"
    "    out[#out + 1] = {id, 'returned', unpack(xfer_return(key, id, now, cutoff, 'returned'))}\n"
    "  elseif e[1] == 'pending' then\n"
    "    local vm = redis.call('HGET', 'cc:dir:channel:' .. e[3], 'voicemail')\n"
    "    local st = (vm == '1') and 'voicemail' or 'missed'\n"
    "    redis.call('HSET', key, 'state', st, 'ended_ms', ARGV[1], 'end_reason', 'max_wait')\n"
    "    out[#out + 1] = {id, st, unpack(withdraw(key, id))}\n"
    "  end\n"
    "end\n"
    "return out\n";

const char *const queue_lua_end = LUA_WITHDRAW LUA_PRESENCE LUA_XFER_DONE
    "local id, actor, now = ARGV[1], ARGV[2], tonumber(ARGV[3])\n"
    "local key = 'cc:enq:' .. id\n"
    "local e = redis.call('HMGET', key, 'state', 'answered_by', 'kind', 'xfer')\n"
    "if not e[1] then return {'not_found'} end\n"
    "local state, by, kind, xm = e[1], e[2], e[3], e[4] or ''\n"
    "if actor ~= 'visitor' and actor ~= 'staff:' .. (by or '') then return {'not_yours'} end\n"
    "if state == 'pending' and actor == 'visitor' then\n"
    "  redis.call('HSET', key, 'state', 'cancelled', 'ended_ms', ARGV[3], 'end_reason',"
    "    'caller_hung_up')\n"
    "  if xm ~= '' then xfer_done(key, 'cancelled', '') end\n"
    "  return {'cancelled', '', unpack(withdraw(key, id))}\n"
    "end\n"
    "if state ~= 'active' then return {'already', state} end\n"
    "redis.call('HSET', key, 'state', 'ended', 'ended_ms', ARGV[3], 'end_reason',"
    "  actor == 'visitor' and 'caller_hung_up' or 'staff_ended')\n"
    /* a consult transfer still waiting leaves the target panels too */
    "local withdrawn = {}\n"
    "if xm == 'consult' then\n"
    "  withdrawn = withdraw(key, id)\n"
    "  xfer_done(key, 'cancelled', '')\n"
    "end\n"
    "release(by, kind)\n"
    "if kind == 'call' then\n"
    "  redis.call('HSET', 'cc:presence:' .. by, 'followup_until_ms', now + tonumber(ARGV[4]),"
    "    'followup_enquiry', id)\n"
    "  if tonumber(ARGV[4]) > 0 then redis.call('ZADD', 'cc:followups', now + tonumber(ARGV[4]),"
    "    by) end\n"
    "end\n"
    "return {'ended', by, unpack(withdrawn)}\n";

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
    "    local e = redis.call('HMGET', key, 'state', 'kind', 'xfer', 'xfer_from')\n"
    "    if e[1] == 'pending' or (e[1] == 'active' and e[3] == 'consult') then\n"
    /* a transfer is never offered back to its sender */
    "      local ok = sid ~= e[4] and eligible(sid, e[2], now, cutoff)\n"
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

const char *const queue_lua_transfer = LUA_ELIGIBLE LUA_PRESENCE LUA_WAIT
    "local id, from, tos, tog, xm = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]\n"
    "local now, cutoff = tonumber(ARGV[6]), tonumber(ARGV[7])\n"
    "local key = 'cc:enq:' .. id\n"
    "local e = redis.call('HMGET', key, 'state', 'answered_by', 'kind', 'channel_id', 'xfer')\n"
    "if not e[1] then return {'not_found'} end\n"
    "if e[2] ~= from then return {'not_yours'} end\n"
    "if e[1] ~= 'active' then return {'not_active', e[1]} end\n"
    "if e[5] and e[5] ~= '' then return {'in_progress'} end\n"
    "local mode, members, ws\n"
    "if tog ~= '' then\n"
    "  if redis.call('EXISTS', 'cc:dir:group:' .. tog) == 0 then return {'no_group'} end\n"
    "  mode = 'broadcast'\n"
    "  members = redis.call('SMEMBERS', 'cc:dir:group:' .. tog .. ':members')\n"
    "  ws = 'cc:group:' .. tog .. ':waiting'\n"
    "else\n"
    "  if tos == from then return {'self'} end\n"
    "  if redis.call('EXISTS', 'cc:dir:staff:' .. tos) == 0 then return {'no_staff'} end\n"
    "  mode = 'direct'\n"
    "  members = {tos}\n"
    "  ws = 'cc:staff:' .. tos .. ':direct'\n"
    "end\n"
    "local offer = {}\n"
    "for _, sid in ipairs(members) do\n"
    "  if sid ~= from and eligible(sid, e[3], now, cutoff) then offer[#offer + 1] = sid end\n"
    "end\n"
    "if #offer == 0 then return {'nobody'} end\n"
    "table.sort(offer)\n"
    "local deadline = now + wait_ms(e[4], e[3], mode)\n"
    "local t = cjson.decode(redis.call('HGET', key, 'transfers') or '[]')\n"
    "t[#t + 1] = {from_staff_id = from, to_staff_id = tos, to_group_id = tog,"
    "  consult = (xm == 'consult'), at_ms = ARGV[6], outcome = 'pending', accepted_by = ''}\n"
    "redis.call('DEL', key .. ':offered')\n"
    "for _, sid in ipairs(offer) do\n"
    "  redis.call('SADD', key .. ':offered', sid)\n"
    "  redis.call('SADD', 'cc:staff:' .. sid .. ':pending', id)\n"
    "end\n"
    "redis.call('EXPIRE', key .. ':offered', ARGV[8])\n"
    "redis.call('ZADD', 'cc:enq:deadlines', deadline, id)\n"
    "redis.call('SADD', ws, id)\n"
    "redis.call('HSET', key, 'transfers', cjson.encode(t), 'xfer', xm, 'xfer_from', from,"
    "  'wait_set', ws, 'deadline_ms', deadline)\n"
    "if xm == 'blind' then\n"
    "  redis.call('HSET', key, 'state', 'pending', 'mode', mode, 'group_id', tog, 'staff_id', tos,"
    "    'answered_by', '')\n"
    "  release(from, e[3])\n"
    "end\n"
    "return {'ok', unpack(offer)}\n";

const char *const queue_lua_transfer_cancel = LUA_ELIGIBLE LUA_WITHDRAW LUA_WAIT LUA_XFER_DONE
    LUA_XFER_RETURN
    "local key = 'cc:enq:' .. ARGV[1]\n"
    "local e = redis.call('HMGET', key, 'state', 'answered_by', 'xfer')\n"
    "if not e[1] then return {'not_found'} end\n"
    "if e[2] ~= ARGV[2] then return {'not_yours'} end\n"
    "if e[1] ~= 'active' or e[3] ~= 'consult' then return {'no_transfer'} end\n"
    "return {'returned', unpack(xfer_return(key, ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[4]),"
    "  'cancelled'))}\n";

const char *const queue_lua_close =
    "local id, sid, now = ARGV[1], ARGV[2], tonumber(ARGV[3])\n"
    "local key = 'cc:enq:' .. id\n"
    "local e = redis.call('HMGET', key, 'state', 'answered_by', 'kind')\n"
    "if not e[1] then return {'not_found'} end\n"
    "if e[2] ~= sid then return {'not_yours'} end\n"
    "if e[1] ~= 'ended' then return {'not_ended', e[1]} end\n"
    "redis.call('HSET', key, 'state', 'closed', 'closed_ms', ARGV[3])\n"
    /* closing ends the follow-up of this call early */
    "local p = redis.call('HMGET', 'cc:presence:' .. sid, 'followup_until_ms', 'followup_enquiry')\n"
    "if e[3] == 'call' and p[2] == id and tonumber(p[1] or 0) > now then\n"
    "  redis.call('HSET', 'cc:presence:' .. sid, 'followup_until_ms', ARGV[3])\n"
    "  redis.call('ZREM', 'cc:followups', sid)\n"
    "  return {'closed', '1'}\n"
    "end\n"
    "return {'closed', '0'}\n";
