// Issue 8, admission: what one client can open on a gateway is bounded, and
// the gateway keeps serving everyone else (docs/api.md, "Limits"). The real
// stack with one gateway and small limits. "Another address" is another
// loopback address (all of 127.0.0.0/8 works on Linux): the client binds its
// socket's local address, so the gateway sees several clients.
// - idle and slowloris connections from one address past CC_HTTP_PER_IP_MAX
//   are refused, the held ones closed after CC_HTTP_TIMEOUT_S, while another
//   address gets /healthz, a login and a console;
// - WebSockets: a few per staff member and per visitor token (429), the
//   per-address limit, and the gateway's own cap that leaves plain HTTP room
//   (503, while /healthz and login still answer);
// - a socket that stops reading is cut off with 1008 "slow consumer" and a
//   log line, the gateway's RSS stays under a stated bound and comes back
//   after the sockets close;
// - a console under an ordinary burst (hundreds of enquiries offered and
//   withdrawn) is not cut off and ends with the right panel.
// make test: also under ThreadSanitizer
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { natsPublishAll } from './lib/nats.mjs';
import { encodeEvent, pb, uuid7 } from './lib/proto.mjs';
import { apiClient, sleep, startStack, until } from './lib/stack.mjs';
import { makeTeam } from './lib/team.mjs';
import { connect, find } from './lib/ws.mjs';

const ADMIN = 'admission-admin-token-0123456789';
const LIMITS = {
  CC_HTTP_MAX_CONN: 64, // so WebSockets take at most 64 - 16 = 48 (gw_ws_max)
  CC_HTTP_PER_IP_MAX: 20,
  CC_HTTP_TIMEOUT_S: 10,
  CC_WS_PER_STAFF_MAX: 3,
  CC_WS_PER_VISITOR_MAX: 2,
  CC_WS_QUEUE_MAX_BYTES: 256 * 1024,
  // a window this long makes any burst of more than 20 panel changes in it
  // coalesce, however slow the machine (sanitizer builds)
  CC_WS_PANEL_MS: 5000,
};
const WS_MAX = 48;
const OTHER = '127.0.0.2'; // the well-behaved client

describe('admission', () => {
  let stack;
  let wsUrl;
  let port;
  // The test's own client for setting things up, from 127.0.0.1: a few
  // kept-alive connections (it is one address too, under the same limit).
  const setupAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const api = async (method, p, body, token) => {
    const r = await request(method, `/api/v1${p}`, { from: '127.0.0.1', body, token, agent: setupAgent });
    return r;
  };

  before(async () => {
    stack = await startStack({
      CC_ADMIN_TOKEN: ADMIN, CC_DEMO: '0', CC_GATEWAY_REPLICAS: '1',
      ...Object.fromEntries(Object.entries(LIMITS).map(([k, v]) => [k, String(v)])),
    });
    wsUrl = stack.url.replace('http:', 'ws:') + '/api/v1/ws';
    port = Number(new URL(stack.url).port);
  });
  after(async () => {
    setupAgent.destroy();
    const res = await stack?.stop();
    assert.equal(res?.code, 0);
    assert.deepEqual(res.sanitizer, []);
  });

  // An HTTP request from address `from` (on a connection of its own unless
  // an agent is given); resolves {status, body}, rejects when the
  // connection is refused.
  function request(method, path, { from = OTHER, body, token, agent = false } = {}) {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(`${stack.url}${path}`, {
        method, agent, localAddress: from,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) : null }));
      });
      req.on('error', reject);
      req.end(data);
    });
  }

  // A TCP connection from address `from`: {sock, data (what the server
  // sent), closed (the server closed it)}. Resolves once TCP connected: the
  // gateway may still refuse it (close it at once).
  function raw(from) {
    return new Promise((resolve, reject) => {
      const c = { data: '', closed: false };
      c.sock = net.connect({ host: '127.0.0.1', port, localAddress: from }, () => resolve(c));
      c.sock.on('data', (d) => (c.data += d));
      c.sock.on('close', () => (c.closed = true));
      c.sock.on('error', (e) => (c.closed ? null : reject(e)));
    });
  }

  const gatewayLog = () => stack.log('gateway-1');
  const count = (re) => (gatewayLog().match(re) ?? []).length;

  // What another client can still do: the probe, a login, a console that gets its pushes.
  async function othersServed(what) {
    const probe = await request('GET', '/healthz');
    assert.equal(probe.status, 200, `${what}: /healthz from another address`);
    // the idle limit, announced: a kept-alive client stops reusing the
    // connection before the gateway closes it (Node's agent does)
    assert.equal(probe.headers['keep-alive'], `timeout=${LIMITS.CC_HTTP_TIMEOUT_S}`);
    const { ids } = await makeTeam(api, ADMIN, 1, {}, 'ok');
    const login = await request('POST', '/api/v1/login', { body: { email: `${ids[0]}@x.example`, password: 'password-1' } });
    assert.equal(login.status, 200, `${what}: a login from another address`);
    return login.body.token;
  }

  test('idle and slowloris connections from one address: past CC_HTTP_PER_IP_MAX refused at once, the held ones closed after CC_HTTP_TIMEOUT_S; another address is served throughout', async () => {
    const per = LIMITS.CC_HTTP_PER_IP_MAX;
    const refusedBefore = count(/"msg":"connections refused: CC_HTTP_PER_IP_MAX or CC_HTTP_MAX_CONN reached"/g);
    const idle = [];
    for (let i = 0; i < per + 6; i++) idle.push(await raw('127.0.0.3'));
    // slowloris: the request line and a header, then one byte a second: never idle
    const slow = [];
    for (let i = 0; i < per + 6; i++) {
      const c = await raw('127.0.0.4');
      c.sock.write('GET /healthz HTTP/1.1\r\nHost: gateway\r\nX-Slow: ');
      slow.push(c);
    }
    const drip = setInterval(() => {
      for (const c of slow) if (!c.closed) c.sock.write('x');
    }, 1000);
    try {
      await until(() => idle.filter((c) => c.closed).length >= 6 && slow.filter((c) => c.closed).length >= 6, 10000,
        'the connections past the per-address limit closed at once');
      assert.equal(idle.filter((c) => !c.closed).length, per, 'the idle ones held: the limit, no more');
      assert.equal(slow.filter((c) => !c.closed).length, per, 'the slow ones held: the limit, no more');
      await assert.rejects(request('GET', '/healthz', { from: '127.0.0.3' }), 'that address gets nothing more');

      // meanwhile another client: probe, login, a console with its pushes
      const token = await othersServed('while one address holds its limit');
      const box = await connect(wsUrl, token, { localAddress: OTHER });
      assert.equal((await request('PUT', '/api/v1/me/status', { body: { status: 'busy' }, token })).status, 200);
      await until(() => find(box, 'presence.changed', (m) => m.presence.status === 'busy'), 5000, 'the push to the other console');
      box.ws.close();

      // held ones go: idle after CC_HTTP_TIMEOUT_S without a byte; slow ones
      // CC_HTTP_TIMEOUT_S after they opened, though bytes still come
      await until(() => idle.every((c) => c.closed) && slow.every((c) => c.closed), 60000,
        'the held connections closed by the gateway');
      assert.ok(slow.every((c) => c.data === ''), 'a slow request never got an answer');
      assert.match(gatewayLog(), /"msg":"connections closed: no whole request within CC_HTTP_TIMEOUT_S"/);
      assert.ok(count(/"msg":"connections refused: CC_HTTP_PER_IP_MAX or CC_HTTP_MAX_CONN reached"/g) > refusedBefore,
        'the refusals are logged');
      assert.equal((await request('GET', '/healthz', { from: '127.0.0.3' })).status, 200, 'the address is served again');
    } finally {
      clearInterval(drip);
      for (const c of [...idle, ...slow]) c.sock.destroy();
    }
  });

  // n chat enquiries on a channel of their own: their visitors' tokens.
  async function visitors(n, prefix) {
    const { channel } = await makeTeam(api, ADMIN, 1, {}, prefix);
    const out = [];
    for (let i = 0; i < n; i++) {
      const r = await api('POST', '/enquiries', { channel_id: channel, kind: 'chat', caller: `V${i}` });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      out.push({ id: r.body.enquiry.id, token: r.body.visitor_token });
    }
    return out;
  }
  const visitorUrl = (v) => `${wsUrl}?enquiry=${v.id}`;

  test('WebSockets: a few per staff member and per visitor token (429), CC_HTTP_PER_IP_MAX per address, at most the gateway\'s cap (503) while /healthz and logins still answer', async () => {
    const open = [];
    try {
      // per staff member and per visitor token
      const { ids, staff } = await makeTeam(api, ADMIN, 1, {}, 'cap');
      for (let i = 0; i < LIMITS.CC_WS_PER_STAFF_MAX; i++) open.push(await connect(wsUrl, staff[ids[0]], { localAddress: '127.0.0.5' }));
      await assert.rejects(connect(wsUrl, staff[ids[0]], { localAddress: '127.0.0.5' }), (e) => e.status === 429 && e.body.error.code === 'limit',
        'one console too many');
      const [v] = await visitors(1, 'capv');
      for (let i = 0; i < LIMITS.CC_WS_PER_VISITOR_MAX; i++) open.push(await connect(visitorUrl(v), v.token, { localAddress: '127.0.0.5' }));
      await assert.rejects(connect(visitorUrl(v), v.token, { localAddress: '127.0.0.5' }), (e) => e.status === 429 && e.body.error.code === 'limit',
        'one visitor socket too many');
      for (const b of open) b.ws.close();
      await until(() => open.every((b) => b.closed), 10000, 'those sockets closed');
      open.splice(0);

      // per address: visitors from one address, two sockets each
      const many = await visitors(24, 'many');
      const perIp = LIMITS.CC_HTTP_PER_IP_MAX;
      for (let i = 0; i < perIp; i++) open.push(await connect(visitorUrl(many[i >> 1]), many[i >> 1].token, { localAddress: '127.0.0.6' }));
      await assert.rejects(connect(visitorUrl(many[10]), many[10].token, { localAddress: '127.0.0.6' }), (e) => e.status === undefined,
        'past the per-address limit the connection itself is refused');
      // the gateway's cap, from other addresses (10 more visitors: 20 sockets, 4 more: 8)
      for (let i = 0; i < 20; i++) open.push(await connect(visitorUrl(many[10 + (i >> 1)]), many[10 + (i >> 1)].token, { localAddress: '127.0.0.7' }));
      for (let i = 0; i < WS_MAX - 2 * perIp; i++) open.push(await connect(visitorUrl(many[20 + (i >> 1)]), many[20 + (i >> 1)].token, { localAddress: '127.0.0.8' }));
      assert.equal(open.length, WS_MAX);
      const full = await connect(wsUrl, staff[ids[0]], { localAddress: OTHER }).then(() => null, (e) => e);
      assert.equal(full?.status, 503, 'the gateway holds as many WebSockets as it may');
      assert.equal(full.body.error.code, 'unavailable');
      await othersServed('with every WebSocket the gateway may hold open');
      assert.ok(open.every((b) => !b.closed), 'the sockets admitted stay open');
    } finally {
      for (const b of open) b.ws.close();
    }
  });

  test('a socket that stops reading is cut off with 1008 "slow consumer" and a log line; it gets the close frame once it reads again', async () => {
    const { channel, ids, staff } = await makeTeam(api, ADMIN, 1, {}, 'slow');
    const e = (await api('POST', '/enquiries', { channel_id: channel, kind: 'chat', caller: 'Ann' })).body;
    assert.equal((await api('POST', `/enquiries/${e.enquiry.id}/answer`, undefined, staff[ids[0]])).status, 200);
    const visitor = await connect(`${wsUrl}?enquiry=${e.enquiry.id}`, e.visitor_token, { localAddress: '127.0.0.9' });
    visitor.ws._socket.pause(); // the client stops reading
    const cut = new RegExp(`"msg":"websocket closed by the server","kind":"visitor","id":"${e.enquiry.id}","code":"1008","reason":"slow consumer"`);
    const text = 'x'.repeat(4000);
    let posts = 0;
    while (!cut.test(gatewayLog())) {
      assert.ok(posts < 2000, 'cut off within 8 MB of unread messages');
      const r = await api('POST', `/enquiries/${e.enquiry.id}/messages`, { text }, staff[ids[0]]);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      posts++;
    }
    visitor.ws._socket.resume();
    await until(() => visitor.closed, 20000, 'the close, once the client reads');
    assert.equal(visitor.code, 1008);
    assert.equal(visitor.reason, 'slow consumer');
    assert.ok(visitor.messages.length > 0 && visitor.messages.length < posts, `${visitor.messages.length} of ${posts} messages before the cut`);
    assert.ok(visitor.messages.every((m) => m.type === 'enquiry.message'));
    // the chat itself goes on: its messages are stored
    assert.equal((await api('GET', `/enquiries/${e.enquiry.id}/messages`, undefined, e.visitor_token)).body.messages.length, posts);
  });

  test('a console under a burst (hundreds of enquiries offered and withdrawn) is not cut off and ends with the right panel; GET /pending pages it', async (t) => {
    const { channel, ids, staff } = await makeTeam(api, ADMIN, 1, {}, 'burst');
    const token = staff[ids[0]];
    const box = await connect(wsUrl, token, { localAddress: OTHER });
    const N = 300;
    const KEEP = 10;
    const created = [];
    for (let i = 0; i < N; i += 50) { // 50 at a time, over the agent's 8 connections
      created.push(...await Promise.all(Array.from({ length: Math.min(50, N - i) }, async (_, k) => {
        const r = await api('POST', '/enquiries', { channel_id: channel, kind: 'call', caller: `B${i + k}` });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return r.body;
      })));
    }
    const gone = created.slice(0, N - KEEP);
    for (let i = 0; i < gone.length; i += 50) {
      await Promise.all(gone.slice(i, i + 50).map(async (c) => {
        assert.equal((await api('POST', `/enquiries/${c.enquiry.id}/end`, undefined, c.visitor_token)).status, 200);
      }));
    }
    const kept = created.slice(N - KEEP).map((c) => c.enquiry.id).sort().reverse(); // newest first
    // the panel as the console keeps it: offers add, withdrawals remove, a snapshot replaces
    const panel = () => {
      let p = new Set();
      for (const m of box.messages) {
        if (m.type === 'pending.resync') p = new Set(m.pending.map((x) => x.enquiry.id));
        else if (m.type === 'enquiry.offered') p.add(m.enquiry.id);
        else if (['enquiry.withdrawn', 'enquiry.missed', 'enquiry.voicemail'].includes(m.type)) p.delete(m.enquiry.id);
      }
      return [...p].sort().reverse();
    };
    await until(() => JSON.stringify(panel()) === JSON.stringify(kept), 60000, 'the console\'s panel to be the enquiries still pending');
    assert.equal(box.closed, false, 'the console is still connected');
    const snapshots = box.messages.filter((m) => m.type === 'pending.resync');
    t.diagnostic(`${2 * N} panel changes reached the console as ${box.messages.length} messages, ${snapshots.length} of them snapshots`);
    assert.ok(snapshots.length > 0 && snapshots.every((m) => m.reason === 'burst' && m.staff_id === ids[0]), 'the burst came as panel snapshots');
    assert.ok(box.messages.length < 2 * N / 4, `${box.messages.length} messages for ${2 * N} panel changes`);
    assert.doesNotMatch(gatewayLog(), new RegExp(`"kind":"staff","id":"${ids[0]}","code":"1008"`));

    // GET /pending: the same panel, newest first, a page at a time
    const all = await api('GET', '/pending', undefined, token);
    assert.deepEqual(all.body.pending.map((p) => p.enquiry.id), kept);
    assert.equal(all.body.total, KEEP);
    assert.equal(all.body.more, false);
    const p1 = await api('GET', '/pending?limit=4', undefined, token);
    assert.deepEqual([p1.body.pending.map((p) => p.enquiry.id), p1.body.total, p1.body.more], [kept.slice(0, 4), KEEP, true]);
    const p2 = await api('GET', `/pending?limit=4&before=${kept[3]}`, undefined, token);
    assert.deepEqual([p2.body.pending.map((p) => p.enquiry.id), p2.body.more], [kept.slice(4, 8), true]);
    const p3 = await api('GET', `/pending?limit=4&before=${kept[7]}`, undefined, token);
    assert.deepEqual([p3.body.pending.map((p) => p.enquiry.id), p3.body.more], [kept.slice(8), false]);
    for (const [q, field] of [['limit=0', 'limit'], ['limit=201', 'limit'], ['limit=x', 'limit'], ['before=E1', 'before']]) {
      const bad = await api('GET', `/pending?${q}`, undefined, token);
      assert.deepEqual([bad.status, bad.body.error.field], [400, field], q);
    }
    box.ws.close();
  });
});

// The gateway's memory, on a stack of its own: AddressSanitizer holds every
// freed block back in a quarantine (256 MB by default) to catch uses after
// free, so RSS would show the quarantine, not the gateway. This stack runs
// without it (the other suites, and the tests above, keep it); plain builds
// run as they are. ThreadSanitizer keeps shadow and history memory for all
// the process ever touched and never returns it: under TSan the numbers are
// reported, and the bound is asserted by the ASan and plain runs.
describe('admission: memory of non-reading sockets', () => {
  let stack;

  before(async () => {
    stack = await startStack({
      CC_ADMIN_TOKEN: ADMIN, CC_DEMO: '0', CC_GATEWAY_REPLICAS: '1',
      CC_HTTP_MAX_CONN: '64', CC_HTTP_PER_IP_MAX: '20', CC_WS_PER_VISITOR_MAX: '2', CC_WS_QUEUE_MAX_BYTES: String(256 * 1024),
      ASAN_OPTIONS: [process.env.ASAN_OPTIONS, 'quarantine_size_mb=0:thread_local_quarantine_size_kb=0:allocator_release_to_os_interval_ms=100']
        .filter(Boolean).join(':'),
    });
  });
  after(async () => {
    const res = await stack?.stop();
    assert.equal(res?.code, 0);
    assert.deepEqual(res.sanitizer, []);
  });

  test('16 sockets that read nothing are sent 77 MB: cut off while the gateway\'s RSS stays under 32 MB more, and it comes back within 8 MB once they close', async (t) => {
    const api = apiClient(stack);
    const wsUrl = stack.url.replace('http:', 'ws:') + '/api/v1/ws';
    const pid = stack.pidOf('gateway-1');
    const rssKb = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
    const tsan = readFileSync(`/proc/${pid}/maps`, 'utf8').includes('libtsan');
    const count = (re) => (stack.log('gateway-1').match(re) ?? []).length;
    const { channel } = await makeTeam(api, ADMIN, 1, {}, 'rss');
    const vs = [];
    for (let i = 0; i < 8; i++) {
      const r = await api('POST', '/enquiries', { channel_id: channel, kind: 'chat', caller: `V${i}` });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      vs.push({ id: r.body.enquiry.id, token: r.body.visitor_token });
    }
    const socks = [];
    for (const v of vs) for (let k = 0; k < 2; k++) socks.push(await connect(`${wsUrl}?enquiry=${v.id}`, v.token, { localAddress: '127.0.0.10' }));
    for (const b of socks) b.ws._socket.pause(); // they read nothing from now on
    await sleep(1500); // the hub's first service of them, and a malloc_trim
    const rss0 = rssKb();
    let peak = rss0;
    const sampler = setInterval(() => { peak = Math.max(peak, rssKb()); }, 20);
    // 60 KB chat messages, as the queue publishes them (notifications: not
    // stored), 80 per visitor: 4.8 MB to each of the 16 sockets
    const text = 'y'.repeat(60000);
    const cut = (v) => count(new RegExp(`"kind":"visitor","id":"${v.id}","code":"1008","reason":"slow consumer"`, 'g'));
    try {
      for (let round = 0; round < 80; round++) {
        await natsPublishAll(stack.ports.CC_NATS_PORT, vs.map((v) => ['cc.note.enquiry.message', Buffer.concat([
          encodeEvent({ id: uuid7(), tsMs: Date.now(), type: 'enquiry.message', enquiryId: v.id }),
          pb.msg(22, Buffer.concat([pb.str(1, uuid7()), pb.str(2, v.id), pb.str(3, 'staff:test'), pb.str(4, text)])),
        ])]));
      }
      await until(() => vs.every((v) => cut(v) === 2), 30000, 'every non-reading socket cut off');
    } finally {
      clearInterval(sampler);
    }
    for (const b of socks) b.ws._socket.resume();
    await until(() => socks.every((b) => b.closed), 20000, 'every socket closed');
    assert.ok(socks.every((b) => b.code === 1008 && b.reason === 'slow consumer'), 'each told why');
    const grew = (peak - rss0) / 1024;
    t.diagnostic(`RSS ${(rss0 / 1024).toFixed(1)} MB, +${grew.toFixed(1)} MB at most while 77 MB were offered to sockets that read nothing`);
    if (tsan) {
      await sleep(3000);
      t.diagnostic(`ThreadSanitizer build: not asserted; ${((rssKb() - rss0) / 1024).toFixed(1)} MB above the start after the sockets closed`);
      return;
    }
    // 16 x CC_WS_QUEUE_MAX_BYTES is 4 MB; the rest is messages in flight and
    // the allocator's slack. Without the cap all 77 MB stayed queued.
    assert.ok(grew < 32, `RSS grew ${grew.toFixed(1)} MB`);
    await until(() => rssKb() - rss0 < 8 * 1024, 30000, `RSS back within 8 MB of ${(rss0 / 1024).toFixed(1)} MB (now ${(rssKb() / 1024).toFixed(1)})`);
  });
});
