// Issue 2, the platform foundation, end to end against the real stack:
// every service answers, readiness follows a SIGKILLed service down and back
// up, malformed protobuf is logged and dropped, SIGTERM stops cleanly, and bad
// settings or an unreachable NATS give one clear error.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { natsPublish } from './lib/nats.mjs';
import {
  SERVICES, binDir, freePort, getJson, repo, run, startStack, timeout, until,
} from './lib/stack.mjs';

const ccctl = path.join(binDir, 'ccctl');

describe('running stack', () => {
  let stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    const res = await stack?.stop();
    assert.equal(res?.code, 0, `stack should stop cleanly:\n${stack?.output()}`);
    assert.deepEqual(res.sanitizer, [], 'no sanitizer report in any service log');
    assert.deepEqual(res.stopped.sort(), [...SERVICES.map((s) => `${s}-1`), 'gateway-2'].sort(),
      'every service (and both gateways) drained and logged "stopped" on SIGTERM');
  });

  test('healthz, readyz and status list all six services (two gateways)', async () => {
    const h = await fetch(`${stack.url}/healthz`);
    assert.equal(h.status, 200);
    const r = await getJson(`${stack.url}/readyz`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.ready, true);
    assert.deepEqual(r.body.missing, []);
    const s = await getJson(`${stack.url}/api/v1/status`);
    assert.equal(s.status, 200);
    assert.equal(s.body.ready, true);
    assert.deepEqual(s.body.services.map((x) => x.name), SERVICES);
    for (const svc of s.body.services) {
      const names = svc.name === 'gateway' ? ['gateway-1', 'gateway-2'] : [`${svc.name}-1`];
      assert.deepEqual(svc.instances.map((i) => i.instance), names, `${svc.name} instances`);
      for (const inst of svc.instances) {
        assert.equal(inst.ready, true);
        assert.ok(inst.uptime_ms >= 0 && inst.pid > 0 && inst.version.length > 0);
      }
    }
  });

  test('ccctl status prints a row per service and exits 0', async () => {
    const res = await run(ccctl, ['status'], { env: stack.serviceEnv });
    assert.equal(res.code, 0, res.stdout + res.stderr);
    for (const name of SERVICES) {
      assert.match(res.stdout, new RegExp(`^${name}\\s+${name}-1\\s+\\S+\\s+\\S+\\s+yes`, 'm'));
    }
    const j = await run(ccctl, ['status', '--json'], { env: stack.serviceEnv });
    assert.equal(j.code, 0);
    assert.equal(JSON.parse(j.stdout).length, 7, 'six services, two gateways');
  });

  test('ccctl probe: the container probe of a service without HTTP', async () => {
    const probe = (env, ...args) => run(ccctl, ['probe', ...args], { env: { ...stack.serviceEnv, ...env } });
    let r = await probe({}, 'ready', 'queue', 'queue-1');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^queue-1: ready/);
    r = await probe({ CC_INSTANCE: 'calllog-1' }, 'live', 'calllog'); // the pod's own name
    assert.equal(r.code, 0, r.stdout + r.stderr);
    r = await probe({}, 'live', 'queue', 'queue-7');
    assert.equal(r.code, 1, 'an instance that does not answer is not live');
    assert.match(r.stdout, /no answer on cc\.queue\.ping/);
    // NATS down: nobody can tell whether the process is stuck
    const nowhere = { CC_NATS_URL: `nats://127.0.0.1:${await freePort()}` };
    assert.equal((await probe(nowhere, 'live', 'queue', 'queue-1')).code, 0);
    assert.equal((await probe(nowhere, 'ready', 'queue', 'queue-1')).code, 1);
    assert.equal((await probe({}, 'ready', 'nosuch')).code, 2);
  });

  test('unknown API path is a JSON 404; wrong method is 405', async () => {
    const r = await getJson(`${stack.url}/api/v1/nope`);
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'not_found');
    const m = await fetch(`${stack.url}/readyz`, { method: 'POST' });
    assert.equal(m.status, 405);
    const t = await fetch(`${stack.url}/../../etc/passwd`);
    assert.equal(t.status, 404);
  });

  test('malformed protobuf on every service subject is logged and dropped', async () => {
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x08]);
    for (const name of SERVICES) await natsPublish(stack.ports.CC_NATS_PORT, `cc.${name}.ping`, garbage);
    for (const name of SERVICES) {
      await until(() => /"msg":"malformed protobuf dropped","subject":"cc\.\w+\.ping"/.test(stack.log(`${name}-1`)),
        5000, `${name} to log the dropped message`);
    }
    const r = await getJson(`${stack.url}/readyz`);
    assert.equal(r.status, 200, 'every service still answers');
    for (const name of SERVICES) {
      assert.doesNotMatch(stack.output(), new RegExp(`${name}-1 exited`), `${name} kept running`);
    }
  });

  test('a second instance stops cleanly on SIGTERM (exit 0, drained)', async () => {
    const p = spawn(path.join(binDir, 'presence'), [], {
      env: { ...stack.envFor('presence'), CC_INSTANCE: 'presence-extra' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    const exited = new Promise((r) => p.on('exit', (code, sig) => r({ code, sig })));
    await until(async () => {
      const s = await getJson(`${stack.url}/api/v1/status`);
      return s.body.services.find((x) => x.name === 'presence').instances.length === 2;
    }, 15000, 'two presence instances');
    p.kill('SIGTERM');
    const res = await Promise.race([exited, timeout(15000, { code: 'timeout' })]);
    assert.equal(res.code, 0, err);
    assert.match(err, /"msg":"stopped"/);
    await until(async () => {
      const s = await getJson(`${stack.url}/api/v1/status`);
      return s.body.services.find((x) => x.name === 'presence').instances.length === 1;
    }, 5000, 'the extra instance to leave the status');
  });

  test('media registers itself in Redis and re-registers after SCRIPT FLUSH', async () => {
    const redis = (...args) => stack.redisCli(...args);
    const node = await redis('HGET', 'cc:media:node:media-1', 'port_min');
    assert.equal(node.stdout.trim(), '20000');
    assert.match((await redis('ZRANGE', 'cc:media:nodes', '0', '-1')).stdout, /^media-1$/m);
    const ttl = Number((await redis('PTTL', 'cc:media:node:media-1')).stdout);
    assert.ok(ttl > 0 && ttl <= 15000, `registration expires (ttl ${ttl})`);
    // Redis forgets every script and the key: the next refresh reloads the
    // script by itself (NOSCRIPT path) and writes the key again.
    await redis('SCRIPT', 'FLUSH');
    await redis('DEL', 'cc:media:node:media-1');
    await until(async () => (await redis('EXISTS', 'cc:media:node:media-1')).stdout.trim() === '1',
      8000, 'media to register again');
  });

  // Last: it disturbs the stack.
  test('SIGKILL of queue turns /readyz red, and green again after restart', async () => {
    const pid = stack.pidOf('queue-1');
    process.kill(pid, 'SIGKILL');
    const red = await until(async () => {
      const r = await getJson(`${stack.url}/readyz`);
      return r.status === 503 ? r.body : null;
    }, 10000, '/readyz to turn red');
    assert.deepEqual(red.missing, ['queue']);
    const c = await run(ccctl, ['status'], { env: stack.serviceEnv });
    assert.notEqual(c.code, 0, 'ccctl status fails while queue is missing');
    assert.match(c.stdout, /^queue\s+-.*MISSING/m);
    await until(async () => (await fetch(`${stack.url}/readyz`)).status === 200, 60000,
      '/readyz to turn green again');
    assert.notEqual(stack.pidOf('queue-1'), pid, 'queue was restarted');
    assert.match(stack.output(), /queue-1 exited \(status 137\), restarting/);
  });
});

describe('bad settings', () => {
  test('a non-numeric port refuses to start with one clear line (exit 2)', async () => {
    const res = await run(path.join(binDir, 'gateway'), [], {
      env: { ...process.env, CC_HTTP_PORT: 'abc' },
    });
    assert.equal(res.code, 2);
    const lines = res.stderr.trim().split('\n');
    assert.equal(lines.length, 1, res.stderr);
    const line = JSON.parse(lines[0]);
    assert.equal(line.level, 'error');
    assert.match(line.error, /CC_HTTP_PORT="abc" is invalid: expected an integer from 1 to 65535/);
  });

  test('other invalid settings name their variable', async () => {
    const cases = [
      ['queue', { CC_LOG_LEVEL: 'loud' }, /CC_LOG_LEVEL/],
      ['presence', { CC_REDIS_URL: 'http://x' }, /CC_REDIS_URL.*scheme must be redis/],
      ['media', { CC_MEDIA_PORT_MIN: '30000', CC_MEDIA_PORT_MAX: '20000' }, /CC_MEDIA_PORT_MAX/],
      ['calllog', { CC_NATS_URL: 'nats://:99999' }, /CC_NATS_URL/],
      ['gateway', { CC_HTTP_ADDR: 'localhost' }, /CC_HTTP_ADDR/],
    ];
    for (const [svc, env, re] of cases) {
      const res = await run(path.join(binDir, svc), [], { env: { ...process.env, ...env } });
      assert.equal(res.code, 2, `${svc} ${JSON.stringify(env)}: ${res.stderr}`);
      assert.match(res.stderr, re);
    }
  });

  test('unreachable NATS: retries, then a clear error (exit 3)', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const res = await run(path.join(binDir, 'queue'), [], {
      env: { ...process.env, CC_NATS_URL: `nats://127.0.0.1:${port}`, CC_CONNECT_TIMEOUT_MS: '1500' },
    });
    assert.equal(res.code, 3, res.stderr);
    assert.ok(Date.now() - t0 >= 1500, 'it retried for the whole budget');
    const last = JSON.parse(res.stderr.trim().split('\n').pop());
    assert.equal(last.level, 'error');
    assert.match(last.error, new RegExp(`cannot connect to NATS at nats://127.0.0.1:${port}.*gave up after \\d+ attempts`));
  });

  test('ccctl with no NATS fails with a clear message', async () => {
    const port = await freePort();
    const res = await run(ccctl, ['status'], {
      env: { ...process.env, CC_NATS_URL: `nats://127.0.0.1:${port}`, CC_CONNECT_TIMEOUT_MS: '500' },
    });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /ccctl: cannot connect to NATS/);
  });
});

describe('stack runner', () => {
  test('a second `stack up` on the same run dir says one is running', async () => {
    const stack = await startStack({ CC_SERVICES: 'queue' });
    try {
      const res = await run(path.join(repo, 'tools/dev/stack'), ['up'], { env: stack.env });
      assert.equal(res.code, 1);
      assert.match(res.stdout + res.stderr, /already running/);
    } finally {
      const res = await stack.stop();
      assert.deepEqual(res.sanitizer, []);
    }
  });
});
