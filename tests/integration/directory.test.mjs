// Issue 3, directory: groups, staff, channels and virtual numbers through the
// admin REST API, stored in PostgreSQL and mirrored into Redis; ccctl apply;
// the demo directory `make run` loads. Real stack, real servers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { apiClient, binDir, repo, run, startStack, until } from './lib/stack.mjs';

describe('directory', () => {
  let stack;
  let api;
  const token = 'integration-admin-token-0123456789';

  before(async () => {
    stack = await startStack({ CC_ADMIN_TOKEN: token });
    api = apiClient(stack, token);
  });
  after(async () => {
    const res = await stack?.stop();
    assert.equal(res?.code, 0);
    assert.deepEqual(res.sanitizer, []);
  });
  const redis = (...args) => stack.redisCli(...args);
  const sql = async (q) => (await run('psql', ['-h', '127.0.0.1', '-p', String(stack.ports.CC_PG_PORT),
    '-U', 'cc', '-d', 'cc', '-qtAX', '-c', q])).stdout.trim();

  test('the demo directory is loaded: two groups, five staff, one channel of each type, two numbers', async () => {
    const g = await api('GET', '/groups');
    assert.equal(g.status, 200);
    assert.deepEqual(g.body.groups.map((x) => x.id), ['sales', 'support']);
    const s = await api('GET', '/staff');
    assert.equal(s.body.staff.length, 5);
    assert.deepEqual(s.body.staff.find((x) => x.id === 'carol').group_ids, ['sales', 'support']);
    for (const x of s.body.staff) assert.equal(x.password, undefined, 'passwords are never returned');
    const c = await api('GET', '/channels');
    assert.deepEqual(c.body.channels.map((x) => x.type).sort(), ['link', 'number', 'qr', 'widget']);
    const n = await api('GET', '/numbers');
    assert.deepEqual(n.body.numbers.map((x) => x.kind).sort(), ['local', 'toll_free']);
    assert.match(stack.output(), /alice@demo\.example {2}alice-demo-1/);
  });

  test('no token, a wrong token: 401 and nothing changes', async () => {
    assert.equal((await api('GET', '/groups', undefined, null)).status, 401);
    assert.equal((await api('GET', '/groups', undefined, 'wrong-token-wrong-token-xx')).status, 401);
    const r = await api('POST', '/groups', { id: 'sneaky', name: 'Sneaky' }, null);
    assert.equal(r.status, 401);
    assert.equal((await api('GET', '/groups/sneaky')).status, 404);
  });

  test('create, read, replace and delete each kind; the Redis mirror follows', async () => {
    let r = await api('POST', '/staff', { id: 'tina', name: 'Tina', email: 'tina@x.example', role: 'staff', password: 'tina-pass-1' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    r = await api('PUT', '/groups/vip', { name: 'VIP desk', member_ids: ['tina', 'bob'] });
    assert.equal(r.status, 201);
    assert.deepEqual(r.body.member_ids, ['bob', 'tina']);
    r = await api('PUT', '/channels/vip-line', { name: 'VIP line', type: 'number', group_id: 'vip', max_wait_broadcast_s: 5, voicemail: true,
      custom_info: { description: 'Gold customers', items: [{ key: 'Tier', value: 'Gold' }] } });
    assert.equal(r.status, 201);
    r = await api('PUT', '/numbers/+85290000001', { kind: 'local', channel_id: 'vip-line' });
    assert.equal(r.status, 201);
    assert.equal((await api('GET', '/numbers/+85290000001')).body.channel_id, 'vip-line');

    assert.deepEqual((await redis('SMEMBERS', 'cc:dir:group:vip:members')).stdout.trim().split('\n').sort(), ['bob', 'tina']);
    assert.match((await redis('SMEMBERS', 'cc:dir:staff:tina:groups')).stdout, /vip/);
    assert.equal((await redis('HGET', 'cc:dir:channel:vip-line', 'max_wait_broadcast_s')).stdout.trim(), '5');
    assert.equal((await redis('HGET', 'cc:dir:channel:vip-line', 'max_wait_chat_s')).stdout.trim(), '60', 'defaults applied');
    assert.equal((await redis('GET', 'cc:dir:number:+85290000001')).stdout.trim(), 'vip-line');

    // replace: PUT again is an update (200); a staff member may keep the password
    r = await api('PUT', '/staff/tina', { name: 'Tina Ng', email: 'tina@x.example', role: 'admin' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.group_ids, ['vip']);
    // the password set at creation is kept, as an Argon2id hash (services/presence/README.md)
    assert.match(await sql("select password_hash from dir_staff where id = 'tina'"),
      /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    r = await api('PUT', '/groups/vip', { name: 'VIP desk', member_ids: ['tina'] });
    assert.equal(r.status, 200);
    assert.equal((await redis('SISMEMBER', 'cc:dir:staff:bob:groups', 'vip')).stdout.trim(), '0', 'removed member loses the group');

    // delete in dependency order; a referenced group cannot go
    assert.equal((await api('DELETE', '/groups/vip')).status, 409);
    assert.equal((await api('DELETE', '/channels/vip-line')).status, 204);
    assert.equal((await api('GET', '/numbers/+85290000001')).status, 404, 'numbers of a deleted channel go with it');
    assert.equal((await api('DELETE', '/groups/vip')).status, 204);
    assert.equal((await api('DELETE', '/staff/tina')).status, 204);
    assert.equal((await api('DELETE', '/staff/tina')).status, 404);
    assert.equal((await redis('EXISTS', 'cc:dir:channel:vip-line', 'cc:dir:group:vip', 'cc:dir:staff:tina', 'cc:dir:number:+85290000001')).stdout.trim(), '0');
  });

  test('bad input: 400 naming the field, 404, 409; nothing changes', async () => {
    const before = JSON.stringify([(await api('GET', '/groups')).body, (await api('GET', '/staff')).body, (await api('GET', '/channels')).body]);
    const cases = [
      ['POST', '/groups', { id: 'g1', name: 'x'.repeat(41) }, 400, 'name'],
      ['POST', '/groups', { id: 'g1', name: '' }, 400, 'name'],
      ['POST', '/groups', { id: 'Bad Id', name: 'G' }, 400, 'id'],
      ['POST', '/groups', { id: 'g1', name: 'G', member_ids: ['nobody'] }, 400, 'member_ids'],
      ['POST', '/groups', { id: 'g1', name: 'G', colour: 'red' }, 400, 'colour'],
      ['POST', '/groups', { id: 'g1', name: 7 }, 400, 'name'],
      ['POST', '/groups', '{"id":', 400, 'body'],
      ['POST', '/groups', '[]', 400, 'body'],
      ['POST', '/groups', { id: 'sales', name: 'Again' }, 409, 'id'],
      ['POST', '/staff', { id: 's1', name: 'S', email: 's1@x.example', role: 'staff' }, 400, 'password'],
      ['POST', '/staff', { id: 's1', name: 'S', email: 'not-an-email', role: 'staff', password: 'long-enough' }, 400, 'email'],
      ['POST', '/staff', { id: 's1', name: 'S', email: 's1@x.example', role: 'boss', password: 'long-enough' }, 400, 'role'],
      ['POST', '/staff', { id: 's1', name: 'S', email: 's1@x.example', role: 'staff', password: 'short' }, 400, 'password'],
      ['POST', '/staff', { id: 's1', name: 'S', email: 'bob@demo.example', role: 'staff', password: 'long-enough' }, 409, 'email'],
      ['PUT', '/channels/c1', { name: 'C', type: 'fax', group_id: 'sales' }, 400, 'type'],
      ['PUT', '/channels/c1', { name: 'C', type: 'link', group_id: 'sales', staff_id: 'bob' }, 400, 'staff_id'],
      ['PUT', '/channels/c1', { name: 'C', type: 'link' }, 400, 'group_id'],
      ['PUT', '/channels/c1', { name: 'C', type: 'link', group_id: 'nosuch' }, 400, 'group_id'],
      ['PUT', '/channels/c1', { name: 'C', type: 'link', group_id: 'sales', max_wait_direct_s: -1 }, 400, 'max_wait_direct_s'],
      ['PUT', '/channels/c1', { id: 'c2', name: 'C', type: 'link', group_id: 'sales' }, 400, 'id'],
      ['PUT', '/numbers/12345', { kind: 'local', channel_id: 'hotline' }, 400, 'e164'],
      ['PUT', '/numbers/+85211112222', { kind: 'mobile', channel_id: 'hotline' }, 400, 'kind'],
      ['PUT', '/numbers/+85211112222', { kind: 'local', channel_id: 'nosuch' }, 400, 'channel_id'],
    ];
    for (const [method, p, body, status, field] of cases) {
      const r = await api(method, p, body);
      assert.equal(r.status, status, `${method} ${p} ${JSON.stringify(body)} -> ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.field, field, `${method} ${p} ${JSON.stringify(body)}`);
      assert.ok(r.body.error.message.length > 0);
    }
    assert.equal((await api('GET', '/channels/nosuch')).status, 404);
    assert.equal((await api('DELETE', '/numbers/+85299999999')).status, 404);
    assert.equal((await api('PATCH', '/groups/sales', {})).status, 405);
    const big = await api('POST', '/groups', JSON.stringify({ id: 'big', name: 'x'.repeat(2 * 1024 * 1024) }));
    assert.equal(big.status, 413);
    const afterState = JSON.stringify([(await api('GET', '/groups')).body, (await api('GET', '/staff')).body, (await api('GET', '/channels')).body]);
    assert.equal(afterState, before, 'no failed request changed anything');
  });

  test('ccctl apply is idempotent and reports refused entries', async () => {
    const ccctl = path.join(binDir, 'ccctl');
    const demo = path.join(repo, 'deploy/demo/directory.json');
    const again = await run(ccctl, ['apply', demo], { env: stack.serviceEnv });
    assert.equal(again.code, 0, again.stderr);
    assert.equal((again.stdout.match(/ updated$/gm) || []).length, 14);
    assert.doesNotMatch(again.stdout, / created$/m);

    const bad = await run(ccctl, ['apply', path.join(repo, 'tests/integration/data/directory-bad.json')], { env: stack.serviceEnv });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /group broken refused: every member must be an existing staff id \(field member_ids\)/);
    assert.match(bad.stdout, /^staff\s+frank\s+created$/m, 'good entries still apply');
    const notJson = await run(ccctl, ['apply', path.join(repo, 'README.md')], { env: stack.serviceEnv });
    assert.equal(notJson.code, 2);
  });

  test('presence rebuilds the Redis mirror from PostgreSQL when it starts', async () => {
    const keys = (await redis('SMEMBERS', 'cc:dir:keys')).stdout.trim().split('\n');
    assert.ok(keys.includes('cc:dir:channel:website'));
    await redis('DEL', 'cc:dir:keys', ...keys);
    assert.equal((await redis('EXISTS', 'cc:dir:channel:website')).stdout.trim(), '0');
    process.kill(stack.pidOf('presence-1'), 'SIGKILL');
    await until(async () => (await redis('EXISTS', 'cc:dir:channel:website')).stdout.trim() === '1', 30000,
      'the mirror to be rebuilt');
    assert.equal((await redis('HGET', 'cc:dir:channel:website', 'group_id')).stdout.trim(), 'sales');
  });
});
