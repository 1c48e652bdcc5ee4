// Issue 3, staff presence: login (token kept hashed, with expiry), logout,
// status online/busy/offline, heartbeats and the sweep that takes a silent
// console offline (R7.1), presence.changed events in the stream. Real stack.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, run, startStack, until } from './lib/stack.mjs';

describe('presence', () => {
  let stack;
  let http;

  before(async () => {
    // a short heartbeat timeout so "lost console" takes seconds, not 30 s
    stack = await startStack({ CC_HEARTBEAT_TIMEOUT_S: '2', CC_REPLICAS_queue: '2', CC_REPLICAS_presence: '2' });
    http = apiClient(stack);
  });
  after(async () => {
    const res = await stack?.stop();
    assert.equal(res?.code, 0);
    assert.deepEqual(res.sanitizer, []);
  });
  const redis = (...args) => stack.redisCli(...args);
  const login = async (email, password) => http('POST', '/login', { email, password });

  test('login gives a token; the session is stored only as a hash, with expiry', async () => {
    const r = await login('bob@demo.example', 'bob-demo-1');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(r.body.token, /^[0-9a-f]{64}$/);
    assert.equal(r.body.staff_id, 'bob');
    assert.equal(r.body.role, 'staff');
    assert.equal(r.body.presence.status, 'online');
    assert.equal(r.body.presence.call_available, true);
    const keys = (await redis('KEYS', 'cc:session:*')).stdout;
    assert.doesNotMatch(keys, new RegExp(r.body.token), 'the token itself is not a key');
    const key = keys.trim().split('\n')[0];
    const ttl = Number((await redis('PTTL', key)).stdout);
    assert.ok(ttl > 0 && ttl <= 43200 * 1000);
    const me = await http('GET', '/me', undefined, r.body.token);
    assert.equal(me.status, 200);
    assert.equal(me.body.staff_id, 'bob');
  });

  test('wrong password, unknown email, missing field: 401 / 400 without a token', async () => {
    const a = await login('bob@demo.example', 'nope-nope');
    const b = await login('nobody@demo.example', 'bob-demo-1');
    assert.equal(a.status, 401);
    assert.equal(b.status, 401);
    assert.equal(a.body.error.message, b.body.error.message, 'no hint which one was wrong');
    const c = await http('POST', '/login', { email: 'bob@demo.example' });
    assert.equal(c.status, 400);
    assert.equal(c.body.error.field, 'password');
    const d = await http('POST', '/login', { email: 'x', password: 'y', shoe: 1 });
    assert.equal(d.status, 400);
    assert.equal(d.body.error.field, 'shoe');
    assert.equal((await http('GET', '/me', undefined, 'f'.repeat(64))).status, 401);
    assert.equal((await http('GET', '/me')).status, 401);
  });

  test('status: busy and online; busy blocks calls and chats (R7.1)', async () => {
    const { body } = await login('carol@demo.example', 'carol-demo-1');
    let r = await http('PUT', '/me/status', { status: 'busy' }, body.token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'busy');
    assert.equal(r.body.call_available, false);
    assert.equal(r.body.chat_available, false);
    r = await http('PUT', '/me/status', { status: 'online' }, body.token);
    assert.equal(r.body.call_available, true);
    assert.equal(r.body.chat_available, true);
    assert.equal((await http('PUT', '/me/status', { status: 'away' }, body.token)).body.error.field, 'status');
    const other = await http('PUT', '/me/status', { status: 'busy', staff_id: 'bob' }, body.token);
    assert.equal(other.status, 403, 'one cannot set another staff member\'s status');
    assert.equal((await http('GET', '/me', undefined, body.token)).body.status, 'online');
  });

  test('a console that stops sending heartbeats goes offline (R7.1 lost WebSocket)', async () => {
    const { body } = await login('dave@demo.example', 'dave-demo-1');
    // heartbeats keep Dave online past the 2 s timeout
    for (let i = 0; i < 5; i++) {
      await new Promise((res) => setTimeout(res, 700));
      const hb = await http('POST', '/me/heartbeat', undefined, body.token);
      assert.equal(hb.body.status, 'online');
    }
    // then silence: the sweep takes him offline and says why
    await until(async () => (await http('GET', '/me', undefined, body.token)).body.status === 'offline', 6000,
      'Dave to go offline');
    const me = await http('GET', '/me', undefined, body.token);
    assert.equal(me.body.call_available, false);
    // by whichever presence replica swept first, and by one only
    const swept = ['presence-1', 'presence-2'].map((i) => stack.log(i))
      .join('').match(/"msg":"no heartbeat: staff now offline","staff_id":"dave"/g) ?? [];
    assert.equal(swept.length, 1, 'exactly one replica takes Dave offline');
    // a heartbeat does not bring him back by itself: he chooses online again
    assert.equal((await http('POST', '/me/heartbeat', undefined, body.token)).body.status, 'offline');
    assert.equal((await http('PUT', '/me/status', { status: 'online' }, body.token)).body.status, 'online');
  });

  test('logout ends the session and takes the staff member offline', async () => {
    const { body } = await login('erin@demo.example', 'erin-demo-1');
    assert.equal((await http('POST', '/logout', undefined, body.token)).status, 204);
    assert.equal((await http('GET', '/me', undefined, body.token)).status, 401);
    assert.equal((await http('POST', '/logout', undefined, body.token)).status, 401);
    assert.equal((await redis('HGET', 'cc:presence:erin', 'status')).stdout.trim(), 'offline');
  });

  test('every change is a presence.changed event stored by calllog', async () => {
    const psql = async (q) => (await run('psql', ['-h', '127.0.0.1', '-p', String(stack.ports.CC_PG_PORT),
      '-U', 'cc', '-d', 'cc', '-qtAX', '-c', q])).stdout.trim();
    await until(async () => Number(await psql("select count(*) from events where type = 'presence.changed' and staff_id = 'dave'")) >= 3,
      10000, 'Dave\'s presence events');
    const erin = await psql("select count(*) from events where type = 'presence.changed' and staff_id = 'erin'");
    assert.ok(Number(erin) >= 2, 'login and logout of Erin');
  });
});
