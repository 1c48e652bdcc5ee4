// A small directory for one test, through the admin API: a group of logged-in
// staff and a channel to it. Returns {channel, ids, staff: {id: token}}.
import assert from 'node:assert/strict';

let n = 0;

export async function makeTeam(http, admin, size, channel = {}, prefix = 't') {
  const t = `${prefix}${++n}`;
  const ids = Array.from({ length: size }, (_, i) => `${t}-s${i}`);
  const staff = {};
  for (const id of ids) {
    const r = await http('PUT', `/staff/${id}`, { name: id, email: `${id}@x.example`, role: 'staff', password: 'password-1' }, admin);
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  assert.equal((await http('PUT', `/groups/${t}`, { name: t, member_ids: ids }, admin)).status, 201);
  const ch = { name: `${t} line`, type: 'widget', group_id: t, ...channel };
  assert.equal((await http('PUT', `/channels/${t}`, ch, admin)).status, 201);
  for (const id of ids) {
    const r = await http('POST', '/login', { email: `${id}@x.example`, password: 'password-1' });
    assert.equal(r.status, 200);
    staff[id] = r.body.token;
  }
  return { channel: t, ids, staff };
}
