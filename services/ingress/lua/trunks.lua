-- Every trunk of the directory (task T mirrors them into Redis): a flat list
-- id, name, addresses, username, ha1, realm, outbound_uri per trunk, ids in
-- order.
-- A read: not run in the frame (no request record, no outbox). No keys
-- declared: the trunk hashes are named by the set's members.
local ids = redis.call('SMEMBERS', 'cc:dir:trunks')
table.sort(ids)
local out = {}
for _, id in ipairs(ids) do
  local f = redis.call('HMGET', 'cc:dir:trunk:' .. id, 'name', 'addresses', 'username', 'ha1', 'realm',
    'outbound_uri')
  if f[1] or f[2] or f[3] then
    out[#out + 1] = id
    for i = 1, 6 do out[#out + 1] = f[i] or '' end
  end
end
return out
