// The gateway's probes, its replicas and its distrust of replies, against
// the real stack:
// - /healthz answers while many clients loop on /readyz and /api/v1/status,
//   and while every worker waits on a slow service (its p99 is reported,
//   not asserted: no timing thresholds in tests);
// - /readyz is "this gateway can serve": PostgreSQL down leaves it 200,
//   every queue process gone makes it 503 naming queue;
// - two gateway processes serve one port (SO_REUSEPORT); one killed, the
//   other keeps serving; a console on one gateway gets the pushes caused by
//   a request through another;
// - a reply of queue or presence that lacks what it must carry is a 503,
//   never a crash, and every error code maps through the one table: the
//   test itself answers cc.queue.* / cc.presence.* on a stack where it is
//   the only responder (no queue or presence started).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { natsResponder } from './lib/nats.mjs';
import { pb } from './lib/proto.mjs';
import {
  apiClient, binDir, freePort, getJson, repo, run, sleep, startStack, timeout, until,
} from './lib/stack.mjs';
import { connect, find } from './lib/ws.mjs';

const ADMIN = 'gateway-test-admin-token-0123456789';
const pgBin = path.join('/usr/lib/postgresql',
  readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))[0], 'bin');

// GET on a connection of its own (no keep-alive), so that successive
// requests are spread over the gateways sharing the port. Resolves
// {status, body, ms}; a refused or reset connection rejects.
function getFresh(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url, { agent: false, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body, ms: performance.now() - t0 }));
    });
    req.on('error', reject);
  });
}

const p99 = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(0.99 * s.length))];
};

// Polls /healthz on fresh connections until stop() is called; resolves the
// latencies and statuses.
function healthzProbe(url) {
  let running = true;
  const seen = [];
  const done = (async () => {
    while (running) {
      const r = await getFresh(`${url}/healthz`).catch((e) => ({ status: `error ${e.code}`, ms: NaN }));
      seen.push(r);
      await sleep(20);
    }
    return seen;
  })();
  return { stop: () => { running = false; return done; } };
}

describe('gateway: probes and replicas', () => {
  let stack;
  let api;
  let wsUrl;
  let n = 0;

  before(async () => {
    // a long restart delay: a killed process stays down long enough to be seen
    stack = await startStack({ CC_ADMIN_TOKEN: ADMIN, CC_DEMO: '0', CC_RESTART_DELAY_MS: '12000', CC_REPLICAS_queue: '2' });
    api = apiClient(stack);
    wsUrl = stack.url.replace('http:', 'ws:') + '/api/v1/ws';
  });
  after(async () => {
    const res = await stack?.stop();
    assert.equal(res?.code, 0, stack?.output());
    assert.deepEqual(res.sanitizer, []);
    assert.ok(res.stopped.includes('gateway-1') && res.stopped.includes('gateway-2'),
      `both gateways drained on SIGTERM: ${res.stopped}`);
  });

  async function team(size) {
    const t = `g${++n}`;
    const ids = Array.from({ length: size }, (_, i) => `${t}-s${i}`);
    for (const id of ids) {
      const r = await api('PUT', `/staff/${id}`, { name: id, email: `${id}@x.example`, role: 'staff', password: 'password-1' }, ADMIN);
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    assert.equal((await api('PUT', `/groups/${t}`, { name: t, member_ids: ids }, ADMIN)).status, 201);
    assert.equal((await api('PUT', `/channels/${t}`, { name: `${t} line`, type: 'widget', group_id: t }, ADMIN)).status, 201);
    const staff = {};
    for (const id of ids) staff[id] = (await api('POST', '/login', { email: `${id}@x.example`, password: 'password-1' })).body.token;
    return { channel: t, ids, staff };
  }

  test('two gateway processes serve one port, both listed in /api/v1/status', async () => {
    const s = await getJson(`${stack.url}/api/v1/status`);
    const gw = s.body.services.find((x) => x.name === 'gateway');
    assert.deepEqual(gw.instances.map((i) => i.instance), ['gateway-1', 'gateway-2']);
    assert.equal(gw.ready, 2);
    // both processes hold a listening socket on the one port
    const ss = await run('ss', ['-Hltnp', `sport = :${stack.ports.CC_HTTP_PORT}`]);
    const pids = new Set([...ss.stdout.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])));
    assert.deepEqual([...pids].sort(), [stack.pidOf('gateway-1'), stack.pidOf('gateway-2')].sort(), ss.stdout);
  });

  test('/readyz says what this gateway needs and has: NATS, Redis, queue, presence', async () => {
    const r = await getJson(`${stack.url}/readyz`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.ready, true);
    assert.deepEqual(r.body.missing, []);
    assert.equal(r.body.checks.nats, true);
    assert.equal(r.body.checks.redis, true);
    assert.ok(r.body.checks.queue >= 1 && r.body.checks.presence >= 1, JSON.stringify(r.body.checks));
    assert.match(r.body.instance, /^gateway-[12]$/);
    assert.ok(!Number.isNaN(Date.parse(r.body.checked_at)));
  });

  test('/healthz keeps answering while 16 clients loop on /readyz and /api/v1/status', async (t) => {
    const probe = healthzProbe(stack.url);
    const counts = { readyz: {}, status: {} };
    const end = Date.now() + 4000;
    await Promise.all(Array.from({ length: 16 }, async (_, i) => {
      while (Date.now() < end) {
        const which = i % 2 ? 'readyz' : 'status';
        const res = await fetch(`${stack.url}${which === 'readyz' ? '/readyz' : '/api/v1/status'}`);
        await res.arrayBuffer();
        counts[which][res.status] = (counts[which][res.status] ?? 0) + 1;
      }
    }));
    const seen = await probe.stop();
    const bad = seen.filter((r) => r.status !== 200);
    assert.deepEqual(bad, [], 'every /healthz answered 200');
    assert.ok(seen.length > 0);
    assert.deepEqual(Object.keys(counts.readyz), ['200'], JSON.stringify(counts));
    assert.deepEqual(Object.keys(counts.status), ['200'], JSON.stringify(counts));
    const hammered = counts.readyz[200] + counts.status[200];
    t.diagnostic(`/healthz p99 ${p99(seen.map((r) => r.ms)).toFixed(1)} ms over ${seen.length} requests, ` +
      `beside ${hammered} /readyz + /api/v1/status from 16 looping clients`);
  });

  test('a console whose gateway lost NATS gets its panel and its visitor their enquiry again once it reconnects', async () => {
    // a gateway of its own whose NATS connection goes through a proxy the
    // test can cut: only this gateway loses NATS, the rest of the stack works
    const proxyPort = await freePort();
    const links = new Set();
    const proxy = net.createServer((down) => {
      const up = net.connect(stack.ports.CC_NATS_PORT, '127.0.0.1');
      links.add(down);
      links.add(up);
      down.pipe(up).pipe(down);
      const drop = () => { down.destroy(); up.destroy(); links.delete(down); links.delete(up); };
      down.on('error', drop).on('close', drop);
      up.on('error', drop).on('close', drop);
    });
    let refusing = false;
    proxy.on('connection', (sock) => { if (refusing) sock.destroy(); });
    await new Promise((r) => proxy.listen(proxyPort, '127.0.0.1', r));
    const port = await freePort();
    const gw = spawn(path.join(binDir, 'gateway'), [], {
      env: {
        ...stack.envFor('gateway'), CC_INSTANCE: 'gateway-cut', CC_HTTP_PORT: String(port), CC_HTTP_ADDR: '127.0.0.1',
        CC_NATS_URL: `nats://127.0.0.1:${proxyPort}`, CC_WEB_ROOT: path.join(repo, 'services/gateway/web'),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    gw.stderr.on('data', (d) => (err += d));
    const gone = new Promise((r) => gw.on('exit', (code, sig) => r({ code, sig })));
    const base = `http://127.0.0.1:${port}`;
    try {
      await until(async () => (await getJson(`${base}/readyz`)).status === 200, 20000, 'the gateway behind the proxy');
      const { channel, ids, staff } = await team(1);
      const console1 = await connect(`ws://127.0.0.1:${port}/api/v1/ws`, staff[ids[0]]);
      const first = await api('POST', '/enquiries', { channel_id: channel, kind: 'chat', caller: 'Before' });
      const visitor = await connect(`ws://127.0.0.1:${port}/api/v1/ws?enquiry=${first.body.enquiry.id}`, first.body.visitor_token);
      await until(() => find(console1, 'enquiry.offered', (m) => m.enquiry.id === first.body.enquiry.id), 5000, 'the first offer');

      // cut: this gateway's NATS connection is gone
      refusing = true;
      for (const l of links) l.destroy();
      await until(async () => (await getJson(`${base}/readyz`)).status === 503, 10000, 'the cut gateway not ready');
      // meanwhile, through the rest of the platform
      const missed = await api('POST', '/enquiries', { channel_id: channel, kind: 'chat', caller: 'During' });
      assert.equal(missed.status, 201);
      assert.equal((await api('POST', `/enquiries/${first.body.enquiry.id}/answer`, undefined, staff[ids[0]])).status, 200);
      await sleep(500);
      assert.equal(find(console1, 'enquiry.offered', (m) => m.enquiry.id === missed.body.enquiry.id), undefined,
        'the offer made during the cut cannot have reached this console');
      assert.equal(find(visitor, 'enquiry.answered'), undefined);

      // back: the console gets its panel as it is now, the visitor their enquiry
      refusing = false;
      const resync = await until(() => find(console1, 'pending.resync'), 15000, 'the panel pushed after the reconnect');
      assert.equal(resync.staff_id, ids[0]);
      assert.equal(resync.reason, 'reconnect');
      assert.deepEqual(resync.pending.map((p) => p.enquiry.id), [missed.body.enquiry.id]);
      assert.equal(resync.total, 1);
      const again = await until(() => find(visitor, 'enquiry.resync'), 5000, 'the enquiry pushed to its visitor');
      assert.equal(again.enquiry.id, first.body.enquiry.id);
      assert.equal(again.enquiry.state, 'active');
      assert.match(err, /"msg":"sockets resynced after a NATS reconnect"/);
      console1.ws.close();
      visitor.ws.close();
    } finally {
      gw.kill('SIGTERM');
      const res = await Promise.race([gone, timeout(20000, { code: 'timeout' })]);
      proxy.close();
      for (const l of links) l.destroy();
      assert.equal(res.code, 0, err);
      assert.doesNotMatch(err, /ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|ThreadSanitizer/);
    }
  });

  test('a console on one gateway gets the pushes caused by requests through another', async () => {
    // a third gateway on a port of its own, against the same stack: a socket
    // on it can only be reached by events, never by the request itself
    const port = await freePort();
    const extra = spawn(path.join(binDir, 'gateway'), [], {
      env: {
        ...stack.envFor('gateway'), CC_INSTANCE: 'gateway-extra', CC_HTTP_PORT: String(port),
        CC_HTTP_ADDR: '127.0.0.1', CC_WEB_ROOT: path.join(repo, 'services/gateway/web'),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    extra.stderr.on('data', (d) => (err += d));
    const gone = new Promise((r) => extra.on('exit', (code, sig) => r({ code, sig })));
    const other = `http://127.0.0.1:${port}`;
    try {
      await until(async () => (await getJson(`${other}/readyz`)).status === 200, 20000, 'the extra gateway to be ready');
      const { channel, ids, staff } = await team(2);
      // socket on the extra gateway, requests through the shared port
      const onExtra = await connect(`ws://127.0.0.1:${port}/api/v1/ws`, staff[ids[0]]);
      // socket on the shared port, requests through the extra gateway
      const onShared = await connect(wsUrl, staff[ids[1]]);
      const c = await api('POST', '/enquiries', { channel_id: channel, kind: 'call', caller: 'Ann' });
      assert.equal(c.status, 201);
      const id = c.body.enquiry.id;
      for (const box of [onExtra, onShared]) {
        await until(() => find(box, 'enquiry.offered', (m) => m.enquiry.id === id), 5000, 'the offer on both consoles');
      }
      const viaExtra = await fetch(`${other}/api/v1/enquiries/${id}/answer`, {
        method: 'POST', headers: { authorization: `Bearer ${staff[ids[1]]}` },
      });
      assert.equal(viaExtra.status, 200, await viaExtra.text());
      await until(() => find(onShared, 'enquiry.answered', (m) => m.enquiry.id === id), 5000,
        'answered, pushed to the winner on the shared port');
      const w = await until(() => find(onExtra, 'enquiry.withdrawn', (m) => m.enquiry.id === id), 5000,
        'withdrawn, pushed to the loser on the extra gateway');
      assert.equal(w.reason, 'answered_by_other');
      onExtra.ws.close();
      onShared.ws.close();
      // the status is the last round's (about a second old)
      await until(async () => {
        const s = await getJson(`${stack.url}/api/v1/status`);
        return s.body.services.find((x) => x.name === 'gateway').instances.map((i) => i.instance).join() ===
          'gateway-1,gateway-2,gateway-extra';
      }, 5000, 'three gateways in /api/v1/status');
    } finally {
      extra.kill('SIGTERM');
      const res = await Promise.race([gone, timeout(20000, { code: 'timeout' })]);
      assert.equal(res.code, 0, err);
      assert.match(err, /"msg":"stopped"/);
      assert.doesNotMatch(err, /ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:/);
    }
  });

  test('PostgreSQL down: /readyz stays 200 on both gateways and enquiries are still taken', async () => {
    const { channel } = await team(1);
    const pgCtl = (...args) => {
      const argv = [path.join(pgBin, 'pg_ctl'), '-D', path.join(stack.runDir, 'pg/data'), ...args];
      return process.getuid() === 0 ? run('runuser', ['-u', 'postgres', '--', ...argv]) : run(argv[0], argv.slice(1));
    };
    const stop = await pgCtl('-m', 'fast', '-w', 'stop');
    assert.equal(stop.code, 0, stop.stderr);
    try {
      // the platform view sees it...
      await until(async () => {
        const s = await getJson(`${stack.url}/api/v1/status`);
        const c = s.body.services.find((x) => x.name === 'calllog').instances[0];
        return c && !c.ready && /postgres unreachable/.test(c.detail) && s.body.missing.includes('calllog');
      }, 15000, '/api/v1/status to show calllog not ready');
      // ...after a full round of both gateways' refreshers, readiness does not
      await sleep(2500);
      // fresh connections until both gateways have answered (the kernel
      // picks one per connection)
      const instances = new Set();
      for (let i = 0; i < 60 && instances.size < 2; i++) {
        const a = await getFresh(`${stack.url}/readyz`);
        assert.equal(a.status, 200, a.body);
        instances.add(JSON.parse(a.body).instance);
      }
      assert.deepEqual([...instances].sort(), ['gateway-1', 'gateway-2']);
      const c = await api('POST', '/enquiries', { channel_id: channel, kind: 'chat', caller: 'Ann' });
      assert.equal(c.status, 201, JSON.stringify(c.body));
    } finally {
      const start = await pgCtl('-l', path.join(stack.runDir, 'log/postgres.log'), '-w', '-o',
        `-c listen_addresses=127.0.0.1 -p ${stack.ports.CC_PG_PORT} -k ${path.join(stack.runDir, 'pg/sock')}`, 'start');
      assert.equal(start.code, 0, start.stderr);
    }
    await until(async () => (await getJson(`${stack.url}/api/v1/status`)).body.ready === true, 30000,
      'the platform to be whole again');
  });

  test('every queue process gone: /readyz turns 503 within seconds, naming queue, and back', async (t) => {
    const pids = [stack.pidOf('queue-1'), stack.pidOf('queue-2')];
    process.kill(pids[0], 'SIGKILL');
    // one of two left: still ready (after a full round of both refreshers)
    await until(async () => (await getJson(`${stack.url}/readyz`)).body.checks.queue === 1, 10000, 'one queue seen');
    await sleep(1500);
    for (let i = 0; i < 10; i++) assert.equal((await getFresh(`${stack.url}/readyz`)).status, 200);
    const t0 = Date.now();
    process.kill(pids[1], 'SIGKILL');
    const red = await until(async () => {
      const r = await getJson(`${stack.url}/readyz`);
      return r.status === 503 ? r.body : null;
    }, 10000, '/readyz to turn 503');
    t.diagnostic(`/readyz 503 ${Date.now() - t0} ms after the last queue was killed`);
    assert.deepEqual(red.missing, ['queue']);
    assert.equal(red.ready, false);
    assert.equal(red.checks.queue, 0);
    assert.equal(red.checks.presence, 1);
    // back on both gateways (each connection reaches either one): 10 in a row
    await until(async () => {
      for (let i = 0; i < 10; i++) if ((await getFresh(`${stack.url}/readyz`)).status !== 200) return false;
      return true;
    }, 60000, '/readyz 200 on both gateways after the restart');
    const now = [stack.pidOf('queue-1'), stack.pidOf('queue-2')];
    assert.ok(now.some((p) => !pids.includes(p)), 'a queue was restarted');
  });

  test('one gateway killed: the other keeps serving the port until it is back', async () => {
    const pid = stack.pidOf('gateway-1');
    process.kill(pid, 'SIGKILL');
    // its listening socket is closed once its last thread is gone: from then
    // on every new connection reaches gateway-2
    await until(async () => {
      const ss = await run('ss', ['-Hltnp', `sport = :${stack.ports.CC_HTTP_PORT}`]);
      const pids = [...ss.stdout.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
      return pids.length > 0 && !pids.includes(pid);
    }, 10000, 'only gateway-2 listening');
    const answers = await Promise.all(Array.from({ length: 20 }, () => getFresh(`${stack.url}/readyz`)));
    for (const a of answers) {
      assert.equal(a.status, 200, a.body);
      assert.equal(JSON.parse(a.body).instance, 'gateway-2');
    }
    // the supervisor starts a new gateway-1 on the same port
    await until(async () => {
      const s = await getJson(`${stack.url}/api/v1/status`);
      const gw1 = s.body.services.find((x) => x.name === 'gateway').instances.find((i) => i.instance === 'gateway-1');
      return gw1 && gw1.ready && gw1.pid !== pid && gw1.pid === stack.pidOf('gateway-1');
    }, 60000, 'a new gateway-1 to be ready');
  });
});

describe('gateway: replies from the bus are checked before use', () => {
  let stack;
  let api;
  let gatewayPid;
  const port = () => stack.ports.CC_NATS_PORT;
  const UUID = '01900000-0000-7000-8000-000000000001';

  before(async () => {
    // Only the gateway: nothing but this test answers cc.queue.* and cc.presence.*.
    stack = await startStack({ CC_ADMIN_TOKEN: ADMIN, CC_DEMO: '0', CC_SERVICES: 'gateway', CC_GATEWAY_REPLICAS: '1' });
    api = apiClient(stack);
    gatewayPid = stack.pidOf('gateway-1');
  });
  after(async () => {
    const res = await stack?.stop();
    assert.equal(res?.code, 0, stack?.output());
    assert.deepEqual(res.sanitizer, []);
    assert.deepEqual(res.stopped, ['gateway-1']);
  });

  // Answers the subjects with reply(subject, payload) for the time of fn
  // (never the health pings of a wildcard: those are the services' own).
  async function answering(subjects, reply, fn) {
    const rs = await Promise.all(subjects.map((s) => natsResponder(port(), s,
      (p, subj) => (subj.endsWith('.ping') ? null : reply(subj, p)))));
    try {
      return await fn(rs);
    } finally {
      for (const r of rs) r.close();
    }
  }

  const EMPTY = Buffer.alloc(0);
  // AuthReply { staff_id = 2, role = 3 }: a valid staff token
  const AUTH_OK = Buffer.concat([pb.str(2, 'bob'), pb.str(3, 'staff')]);

  const alive = async () => {
    assert.equal((await fetch(`${stack.url}/healthz`)).status, 200);
    assert.equal(stack.pidOf('gateway-1'), gatewayPid, 'the same gateway process');
    assert.doesNotMatch(stack.output(), /gateway-1 exited/);
  };

  const unavailable = (r, what) => {
    assert.equal(r.status, 503, `${what}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, 'unavailable', what);
  };

  test('empty replies on cc.queue.*: every enquiry endpoint is a 503, the gateway lives', async () => {
    await answering(['cc.queue.>', 'cc.presence.auth'], (subj) => (subj === 'cc.presence.auth' ? AUTH_OK : EMPTY), async (rs) => {
      const staff = 'f'.repeat(64);
      unavailable(await api('POST', '/enquiries', { channel_id: 'web', kind: 'call', caller: 'Ann' }), 'create (no enquiry)');
      unavailable(await api('GET', `/enquiries/${UUID}`, undefined, 'v-visitor'), 'get (no enquiry)');
      unavailable(await api('POST', `/enquiries/${UUID}/end`, undefined, 'v-visitor'), 'end (no enquiry)');
      unavailable(await api('POST', `/enquiries/${UUID}/close`, undefined, staff), 'close (no enquiry)');
      unavailable(await api('POST', `/enquiries/${UUID}/answer`, undefined, staff), 'answer (no enquiry)');
      unavailable(await api('POST', `/enquiries/${UUID}/transfer`, { to_staff_id: 'carol', mode: 'blind' }, staff), 'transfer (no enquiry)');
      unavailable(await api('DELETE', `/enquiries/${UUID}/transfer`, undefined, staff), 'cancel transfer (no enquiry)');
      unavailable(await api('POST', `/enquiries/${UUID}/messages`, { text: 'hi' }, staff), 'chat (no message)');
      const wsBase = stack.url.replace('http:', 'ws:') + '/api/v1/ws';
      await assert.rejects(connect(`${wsBase}?enquiry=${UUID}`, 'v-visitor'), (e) => e.status === 503,
        'a visitor socket: the queue did not name the enquiry');
      assert.ok(rs[0].requests.includes('cc.queue.create') && rs[0].requests.includes('cc.queue.chat'),
        `the test answered: ${rs[0].requests}`);
    });
    // an empty pending list is a valid answer; an item without its enquiry is not
    await answering(['cc.queue.pending', 'cc.presence.auth'], (subj) => (subj === 'cc.presence.auth' ? AUTH_OK : EMPTY), async () => {
      const r = await api('GET', '/pending', undefined, 'f'.repeat(64));
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { pending: [], total: 0, more: false });
    });
    // PendingReply { items = 2: PendingItem { channel_name = 2 } }
    const noEnquiry = pb.msg(2, pb.str(2, 'Website'));
    await answering(['cc.queue.pending', 'cc.presence.auth'], (subj) => (subj === 'cc.presence.auth' ? AUTH_OK : noEnquiry), async () => {
      unavailable(await api('GET', '/pending', undefined, 'f'.repeat(64)), 'pending (an item without its enquiry)');
    });
    assert.match(stack.log('gateway-1'), /"msg":"incomplete reply","service":"queue","subject":"cc.queue.create","missing":"enquiry"/);
    await alive();
  });

  test('empty replies on cc.presence.*: login, token checks, presence and the directory are 503, the gateway lives', async () => {
    await answering(['cc.presence.>'], () => EMPTY, async () => {
      unavailable(await api('POST', '/login', { email: 'bob@x.example', password: 'password-1' }), 'login (no token)');
      unavailable(await api('GET', '/me', undefined, 'f'.repeat(64)), 'a token check (no staff id)');
      unavailable(await api('GET', '/pending', undefined, 'f'.repeat(64)), 'pending behind a token check');
      unavailable(await api('GET', '/groups/sales', undefined, ADMIN), 'directory get (no entry)');
      unavailable(await api('PUT', '/groups/sales', { name: 'Sales' }, ADMIN), 'directory put (no entry)');
      const wsBase = stack.url.replace('http:', 'ws:') + '/api/v1/ws';
      await assert.rejects(connect(wsBase, 'f'.repeat(64)), (e) => e.status === 503, 'a staff socket');
      // a LogoutReply carries nothing but an error: empty is a success
      assert.equal((await api('POST', '/logout', undefined, 'f'.repeat(64))).status, 204);
      assert.deepEqual((await api('GET', '/groups', undefined, ADMIN)).body, { groups: [] }, 'an empty list is a list');
    });
    await answering(['cc.presence.>'], (subj) => (subj === 'cc.presence.auth' ? AUTH_OK : EMPTY), async () => {
      unavailable(await api('GET', '/me', undefined, 'f'.repeat(64)), 'me (no presence)');
      unavailable(await api('PUT', '/me/status', { status: 'busy' }, 'f'.repeat(64)), 'status (no presence)');
      unavailable(await api('POST', '/me/heartbeat', undefined, 'f'.repeat(64)), 'heartbeat (no presence)');
    });
    await alive();
  });

  test('every error code maps through the one table', async () => {
    // CreateEnquiryReply { error = 3: Error { code = 1 (ErrorCode), message = 2, field = 3 } }
    const ERR = { INVALID: 1, TIMEOUT: 5, UNAVAILABLE: 6, NATS: 7, REDIS: 8, PG: 9, NOT_FOUND: 11, CONFLICT: 12, DENIED: 13, LIMIT: 14, MISMATCH: 15 };
    const withError = (code) => pb.msg(3, Buffer.concat([pb.int(1, ERR[code] ?? 99), pb.str(2, `because ${code}`), pb.str(3, 'channel_id')]));
    const cases = [
      ['INVALID', 400, 'invalid'],
      ['DENIED', 403, 'forbidden'],
      ['NOT_FOUND', 404, 'not_found'],
      ['CONFLICT', 409, 'conflict'],
      ['LIMIT', 429, 'limit'],
      ['MISMATCH', 422, 'idempotency_key_reused'],
      ['UNAVAILABLE', 503, 'unavailable'],
      ['TIMEOUT', 503, 'unavailable'],
      ['REDIS', 503, 'unavailable'],
      ['NATS', 503, 'unavailable'],
      ['PG', 503, 'unavailable'],
      ['SOMETHING_NEW', 503, 'unavailable'], // a code this build does not know (99)
    ];
    for (const [code, status, name] of cases) {
      await answering(['cc.queue.create'], () => withError(code), async () => {
        const r = await api('POST', '/enquiries', { channel_id: 'web', kind: 'call', caller: 'Ann' });
        assert.equal(r.status, status, `${code}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, name, code);
        if (status < 500) {
          assert.equal(r.body.error.message, `because ${code}`);
          assert.equal(r.body.error.field, 'channel_id');
        } else {
          assert.doesNotMatch(r.body.error.message, /because/, 'a 503 does not show the service\'s own text');
        }
      });
    }
    // a credential presence rejects is a 401, decided by auth alone; other
    // errors of presence take the same table
    const authError = (code) => pb.msg(1, pb.int(1, ERR[code])); // AuthReply { error = 1 }
    for (const [code, status] of [['DENIED', 401], ['REDIS', 503], ['INVALID', 400]]) {
      await answering(['cc.presence.auth'], () => authError(code), async () => {
        assert.equal((await api('GET', '/me', undefined, 'f'.repeat(64))).status, status, code);
      });
    }
    await alive();
  });

  test('/healthz answers while every worker waits on a service that answers late', async (t) => {
    // presence takes 1 s per token check: 16 requests keep every worker
    // (there are 4) busy for about 4 s
    const late = () => new Promise((r) => setTimeout(() => r(AUTH_OK), 1000));
    await answering(['cc.presence.auth', 'cc.presence.get'], (subj) => (subj === 'cc.presence.auth' ? late() : EMPTY), async () => {
      const t0 = performance.now();
      const slow = Promise.all(Array.from({ length: 16 }, () => api('GET', '/me', undefined, 'f'.repeat(64))));
      await sleep(200);
      const probe = healthzProbe(stack.url);
      const statuses = (await slow).map((r) => r.status);
      const seen = await probe.stop();
      assert.deepEqual([...new Set(statuses)], [503], 'each slow request ends (no presence in the reply)');
      assert.deepEqual(seen.filter((r) => r.status !== 200), [], 'every /healthz answered 200');
      t.diagnostic(`/healthz p99 ${p99(seen.map((r) => r.ms)).toFixed(1)} ms over ${seen.length} requests ` +
        `while 16 requests waited ${((performance.now() - t0) / 1000).toFixed(1)} s on a slow presence`);
    });
    await alive();
  });
});
