// Presence's Lua steps of issue 8 (services/presence/lua: mirror, session,
// sessions, and revoke_sessions in lib/20_presence.lua), joined as the
// build joins them (services/common/lua sorted, services/presence/lua/lib
// sorted, the script: tools/dev/embed-lua), on a redis-server of this
// file's own, in the frame presence calls them in (services/common/cc_step.c).
// Each case checks the reply, the keys it leaves and the outbox entries it
// appended. Needs no service binaries: `node --test tests/lua/`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { repo } from '../integration/lib/stack.mjs';
import { startRedis } from './lib/redis.mjs';

const OUTBOX = 'cc:outbox:presence';
const NOW = 1_700_000_000_000;
const BASE = '019abf00-0000-7000-8000-000000000000';

const luaFiles = (dir) => readdirSync(path.join(repo, dir))
  .filter((f) => f.endsWith('.lua') && statSync(path.join(repo, dir, f)).isFile())
  .sort()
  .map((f) => `${dir}/${f}`);
// What tools/dev/embed-lua makes of services/presence/lua/<name>.lua.
const joined = (name) => [...luaFiles('services/common/lua'), ...luaFiles('services/presence/lua/lib'),
  `services/presence/lua/${name}.lua`]
  .map((f) => {
    const t = readFileSync(path.join(repo, f), 'utf8');
    return `-- ${f}\n${t.endsWith('\n') ? t : `${t}\n`}`;
  }).join('');

describe('presence steps', () => {
  let redis;
  const sha = {};

  before(async () => {
    redis = await startRedis();
    for (const name of ['mirror', 'session', 'sessions']) sha[name] = await redis.call('SCRIPT', 'LOAD', joined(name));
  });
  after(async () => {
    await redis?.stop();
  });

  // A step in the frame: no request record, no deadline, outbox cap max.
  const step = (name, args, { max = 100 } = {}) =>
    redis.call('EVALSHA', sha[name], '2', OUTBOX, '', BASE, String(NOW), '', '0', '60', String(max), ...args);
  const hash = async (key) => {
    const a = await redis.call('HGETALL', key);
    return Object.fromEntries(Array.from({ length: a.length / 2 }, (_, i) => [a[2 * i], a[2 * i + 1]]));
  };
  // The outbox entries, as objects of their fields.
  const outbox = async () => (await redis.call('XRANGE', OUTBOX, '-', '+'))
    .map(([, f]) => Object.fromEntries(Array.from({ length: f.length / 2 }, (_, i) => [f[2 * i], f[2 * i + 1]])));
  // The directory mirror with staff s1 (role) and s2, and s1 logged in twice, online.
  async function world(role = 'admin', status = 'online') {
    await redis.call('FLUSHALL');
    await step('mirror', ['', '', '', '', '', '',
      'hset', 'cc:dir:staff:s1', 'role', role, 'hset', 'cc:dir:staff:s2', 'role', 'staff',
      'sadd', 'cc:dir:group:g:members', 's1', '-']);
    await redis.call('HSET', 'cc:presence:s1', 'status', status, 'last_seen_ms', String(NOW - 5), 'changed_at_ms', '1');
    if (status !== 'offline') await redis.call('ZADD', 'cc:presence:live', String(NOW - 5), 's1');
    for (const k of ['cc:session:a', 'cc:session:b']) assert.deepEqual(await step('session', [k, 's1', '60000']), ['ok', role]);
  }
  const mirrorArgs = ['hset', 'cc:dir:staff:s2', 'role', 'staff']; // s1 gone

  test('session: a session with the role the mirror has, listed per staff member; expired entries dropped', async () => {
    await world();
    assert.deepEqual(await hash('cc:session:a'), { staff_id: 's1', role: 'admin', created_ms: String(NOW) });
    assert.ok(Number(await redis.call('PTTL', 'cc:session:a')) > 59000);
    assert.deepEqual((await redis.call('SMEMBERS', 'cc:sessions:s1')).sort(), ['cc:session:a', 'cc:session:b']);
    assert.ok(Number(await redis.call('PTTL', 'cc:sessions:s1')) > 59000);
    await redis.call('DEL', 'cc:session:a'); // expired
    assert.deepEqual(await step('session', ['cc:session:c', 's1', '60000']), ['ok', 'admin']);
    assert.deepEqual((await redis.call('SMEMBERS', 'cc:sessions:s1')).sort(), ['cc:session:b', 'cc:session:c']);
    assert.deepEqual(await outbox(), [], 'no fact');
  });

  test('session: a staff member not in the mirror gets none', async () => {
    await world();
    assert.deepEqual(await step('session', ['cc:session:x', 's9', '60000']), ['gone']);
    assert.equal(await redis.call('EXISTS', 'cc:session:x', 'cc:sessions:s9'), 0);
  });

  test('sessions: the live ones are counted', async () => {
    await world();
    assert.equal(await step('sessions', ['s1']), 2);
    await redis.call('DEL', 'cc:session:b');
    assert.equal(await step('sessions', ['s1']), 1);
    assert.equal(await step('sessions', ['s2']), 0);
  });

  test('mirror, a rebuild: the keys replaced, no fact, nothing revoked', async () => {
    await world();
    const version = Number(await redis.call('GET', 'cc:dir:version'));
    assert.deepEqual(await step('mirror', ['', '', '', '', '', '', ...mirrorArgs]), ['ok', String(version + 1)]);
    assert.equal(await redis.call('EXISTS', 'cc:dir:staff:s1', 'cc:dir:group:g:members'), 0);
    assert.deepEqual(await redis.call('SMEMBERS', 'cc:dir:keys'), ['cc:dir:staff:s2']);
    assert.deepEqual(await outbox(), []);
    assert.equal(await step('sessions', ['s1']), 2);
  });

  test('mirror, a change: its audit fact; a change that revokes ends every session and takes them offline', async () => {
    await world();
    assert.deepEqual(await step('mirror', ['alice', '4', '2', 's2', '0', '', 'hset', 'cc:dir:staff:s1', 'role', 'admin', ...mirrorArgs]),
      ['ok', '2']);
    assert.deepEqual(await outbox(), [{ id: `${BASE.slice(0, 32)}0001`, type: 'directory.changed', ts: String(NOW), note: '0',
      actor: 'alice', op: '4', kind: '2', key: 's2', created: '0', revoked: '' }]);
    assert.equal(await step('sessions', ['s1']), 2, 'nothing revoked');
    await redis.call('DEL', OUTBOX);

    assert.deepEqual(await step('mirror', ['bootstrap', '5', '2', 's1', '0', 's1', ...mirrorArgs]), ['ok', '3']);
    assert.equal(await redis.call('EXISTS', 'cc:session:a', 'cc:session:b', 'cc:sessions:s1', 'cc:dir:staff:s1'), 0);
    assert.equal((await hash('cc:presence:s1')).status, 'offline');
    assert.equal((await hash('cc:presence:s1')).changed_at_ms, String(NOW));
    assert.equal(await redis.call('ZSCORE', 'cc:presence:live', 's1'), null);
    const [fact, presence] = await outbox();
    assert.deepEqual(fact, { id: `${BASE.slice(0, 32)}0001`, type: 'directory.changed', ts: String(NOW), note: '0',
      actor: 'bootstrap', op: '5', kind: '2', key: 's1', created: '0', revoked: 's1' });
    assert.equal(presence.type, 'presence.changed');
    assert.equal(presence.staff, 's1');
    assert.equal(presence.reason, 'revoked');
    assert.equal(JSON.parse(presence.presence).status, 'offline');
  });

  test('mirror, revoking someone already offline: sessions end, no presence fact', async () => {
    await world('staff', 'offline');
    assert.deepEqual(await step('mirror', ['alice', '4', '2', 's1', '0', 's1', 'hset', 'cc:dir:staff:s1', 'role', 'admin', ...mirrorArgs]),
      ['ok', '2']);
    assert.equal(await step('sessions', ['s1']), 0);
    assert.deepEqual((await outbox()).map((e) => e.type), ['directory.changed']);
  });

  test('mirror, a change while the outbox or the event stream is full: busy, nothing done', async () => {
    for (const full of ['outbox', 'stream']) {
      await world();
      if (full === 'stream') await redis.call('SET', 'cc:events:full', 'presence');
      else await redis.call('XADD', OUTBOX, '*', 'waiting', '1'); // one entry, and a cap of one
      const keysBefore = (await redis.call('SMEMBERS', 'cc:dir:keys')).sort();
      const reply = await step('mirror', ['alice', '5', '2', 's1', '0', 's1', ...mirrorArgs], { max: full === 'outbox' ? 1 : 100 });
      assert.deepEqual(reply, ['busy'], full);
      assert.deepEqual((await redis.call('SMEMBERS', 'cc:dir:keys')).sort(), keysBefore, `${full}: the mirror as it was`);
      assert.equal(await step('sessions', ['s1']), 2, `${full}: no session ended`);
      assert.deepEqual((await outbox()).map((e) => e.type), full === 'outbox' ? [undefined] : [], `${full}: no fact`);
    }
  });
});
