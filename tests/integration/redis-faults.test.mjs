// Redis faults as a staff console sees them. While Redis does not answer
// (SIGSTOP), restarts, or reloads its data after a crash (LOADING), a valid
// staff token gets 503 (try again), never 401 (log in again); afterwards the
// same token works without a new login. Real stack, real redis-server,
// restarted the way tools/dev/stack starts it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, startStack, until } from './lib/stack.mjs';

describe('redis faults', () => {
  let stack;
  let http;

  before(async () => {
    stack = await startStack();
    http = apiClient(stack);
  });
  after(async () => {
    const res = await stack?.stop();
    assert.equal(res?.code, 0);
    assert.deepEqual(res.sanitizer, []);
  });
  const redis = (...args) => stack.redisCli(...args);
  const me = (token) => http('GET', '/me', undefined, token);
  const login = async (who) => {
    const r = await http('POST', '/login', { email: `${who}@demo.example`, password: `${who}-demo-1` });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await me(r.body.token)).status, 200);
    return r.body.token;
  };
  // Polls /me until 200, keeping every status seen on the way.
  const backTo200 = async (token, seen) =>
    until(async () => {
      const r = await me(token);
      seen.push(r.status);
      return r.status === 200 ? r : null;
    }, 30000, '/me to answer 200 again');

  test('Redis stopped (SIGSTOP): 503, not 401; after SIGCONT the same token gives 200', async () => {
    const token = await login('bob');
    const pid = stack.pidOf('redis');
    const stopped = [];
    process.kill(pid, 'SIGSTOP');
    try {
      const end = Date.now() + 3000; // how long Redis stays stopped, not a limit on an answer
      while (Date.now() < end) stopped.push((await me(token)).status);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    assert.ok(stopped.length > 0);
    assert.deepEqual([...new Set(stopped)], [503], `statuses while Redis was stopped: ${stopped}`);
    const later = [];
    const r = await backTo200(token, later);
    assert.equal(r.body.staff_id, 'bob');
    assert.ok(!later.includes(401), `statuses after SIGCONT: ${later}`);
  });

  test('Redis restarted: the first calls after it answers succeed (pool reconnects, scripts reloaded)', async () => {
    const token = await login('carol');
    // a clean stop flushes the AOF, so the session is certainly kept
    await stack.restartRedis({ signal: 'SIGTERM' });
    await until(async () => (await redis('PING')).stdout.trim() === 'PONG', 30000, 'Redis to finish loading');
    // Every pooled connection was closed by the old server: each is
    // reopened before a command is written, so no call fails for it.
    const first = await me(token);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.staff_id, 'carol');
    // the restarted Redis forgot the scripts: these reload them (NOSCRIPT)
    const hb = await http('POST', '/me/heartbeat', undefined, token);
    assert.equal(hb.status, 200, JSON.stringify(hb.body));
    const busy = await http('PUT', '/me/status', { status: 'busy' }, token);
    assert.equal(busy.status, 200, JSON.stringify(busy.body));
    assert.equal(busy.body.status, 'busy');
    assert.equal((await redis('HGET', 'cc:presence:carol', 'status')).stdout.trim(), 'busy');
  });

  test('Redis reloading after a crash (LOADING): 503, not 401; once loaded the same token gives 200', async () => {
    // DEBUG (to fill Redis fast) is off by default: restart Redis cleanly
    // with it allowed from local connections.
    await stack.restartRedis({ signal: 'SIGTERM', extraArgs: ['--enable-debug-command', 'local'] });
    await until(async () => (await redis('PING')).stdout.trim() === 'PONG', 30000, 'Redis to finish loading');
    const token = await login('dave');
    // enough keys that loading them takes a while, all persisted (with the
    // session) in the AOF base file, as deploy/redis/redis.conf persists
    assert.equal((await redis('DEBUG', 'POPULATE', '3000000', 'cc:test:fill')).stdout.trim(), 'OK');
    assert.match((await redis('BGREWRITEAOF')).stdout, /rewriting (started|scheduled)/);
    const info = await until(async () => {
      const s = (await redis('INFO', 'persistence')).stdout;
      return /aof_rewrite_in_progress:0/.test(s) && /aof_rewrite_scheduled:0/.test(s) ? s : null;
    }, 120000, 'the AOF rewrite to finish');
    assert.match(info, /aof_last_bgrewrite_status:ok/);

    await stack.restartRedis({ signal: 'SIGKILL' });
    const all = [];
    const whileLoading = [];
    let sawLoading = false;
    const end = Date.now() + 120000;
    for (;;) {
      assert.ok(Date.now() < end, 'Redis never finished loading');
      const ping = (await redis('PING')).stdout;
      if (!/LOADING/.test(ping)) {
        assert.match(ping, /PONG/);
        break;
      }
      sawLoading = true;
      const r = await me(token);
      all.push(r.status);
      // Redis was loading before this call and still is after it: the
      // call can only have met LOADING
      if (/LOADING/.test((await redis('PING')).stdout)) whileLoading.push(r.status);
    }
    assert.ok(sawLoading, 'redis-cli PING never answered LOADING');
    assert.ok(whileLoading.length > 0, `no /me call fell wholly inside the loading (statuses: ${all})`);
    assert.deepEqual([...new Set(whileLoading)], [503], `statuses while loading: ${whileLoading}`);
    assert.ok(!all.includes(401), `statuses around the loading: ${all}`);

    const later = [];
    const r = await backTo200(token, later);
    assert.equal(r.body.staff_id, 'dave');
    assert.ok(!later.includes(401), `statuses after loading: ${later}`);
    assert.equal((await redis('EXISTS', 'cc:test:fill:2999999')).stdout.trim(), '1', 'the data was reloaded');
  });
});
