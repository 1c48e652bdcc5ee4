// Routing benchmark (issue 3): N logged-in staff with a console WebSocket
// each, enquiries created over HTTP at a fixed rate, each broadcast to a
// group; measures how many enquiries per second are routed and how long from
// the POST /enquiries to the "enquiry.offered" arriving on each console.
//
// Side by side, in the same run on the same stack: the transport floor, i.e.
// the same fan-out of the same events published straight onto NATS (what the
// gateway and the WebSockets cost with no routing at all). No contact-centre
// ACD to compare against is packaged for Debian 12 (Asterisk and FreeSWITCH
// are not), so the floor is the peer figure: the difference is what routing
// (HTTP, NATS request, the Redis Lua step, JetStream) costs.
//
//   tools/bench/routing/run [--staff 1000] [--groups 50] [--rate 100] [--seconds 20]
//                           [--queue-replicas 1] [--gateway-replicas 1]
//
// A third phase runs whole lifecycles (create, offer, answer, end, close) at
// half the rate and reports the CPU-seconds per 1,000 of them, summed over
// every service process (and, apart, over nats-server, redis-server and
// PostgreSQL) from /proc: a figure that holds however loaded the box is.
//
// --gateway-replicas N runs N gateway processes on the one HTTP port
// (CC_GATEWAY_REPLICAS; SO_REUSEPORT): consoles and requests are spread over
// them by the kernel, and every gateway pushes the events of its own sockets.
import { performance } from 'node:perf_hooks';
import net from 'node:net';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { apiClient, repo, run, startStack, sleep } from '../../../tests/integration/lib/stack.mjs';
import { connect } from '../../../tests/integration/lib/ws.mjs';
import { encodeEvent, uuid7 } from '../../../tests/integration/lib/proto.mjs';
import { connectTo } from '../../../tests/integration/lib/nats.mjs';

const opt = { staff: 1000, groups: 50, rate: 100, seconds: 20, 'queue-replicas': 1, 'gateway-replicas': 1 };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in opt) || !/^\d+$/.test(process.argv[i + 1] ?? '')) {
    console.error(`usage: run [--staff N] [--groups N] [--rate N/s] [--seconds N] [--queue-replicas N] [--gateway-replicas N] (bad: ${process.argv[i]})`);
    process.exit(2);
  }
  opt[k] = Number(process.argv[i + 1]);
}
if (opt.staff % opt.groups !== 0) {
  console.error('--staff must be a multiple of --groups');
  process.exit(2);
}
const perGroup = opt.staff / opt.groups;
const LIFE_STAFF = 200;
const ADMIN = 'bench-admin-token-0123456789abcdef';
const log = (...a) => console.log(`[${(performance.now() / 1000).toFixed(1)}s]`, ...a);

// CPU-seconds (user + system) used so far by the processes of a run
// directory: {services, servers, postgres}. Services are the pids of
// pids/<service>-<n>.pid; PostgreSQL is the postmaster and its backends.
const TICKS = 100; // USER_HZ
function cpuOf(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS; // utime, stime
  } catch {
    return 0; // gone
  }
}
function cpuSeconds(runDir) {
  const pidsDir = path.join(runDir, 'pids');
  const read = (f) => Number(readFileSync(path.join(pidsDir, f), 'utf8').trim());
  const out = { services: 0, servers: 0, postgres: 0 };
  for (const f of readdirSync(pidsDir)) {
    if (/^[a-z]+-\d+\.pid$/.test(f)) out.services += cpuOf(read(f));
    else if (f === 'nats.pid' || f === 'redis.pid') out.servers += cpuOf(read(f));
  }
  const pm = path.join(runDir, 'pg', 'data', 'postmaster.pid');
  if (existsSync(pm)) {
    const master = Number(readFileSync(pm, 'utf8').split('\n')[0]);
    out.postgres += cpuOf(master);
    for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
      try {
        if (Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1]) === master) out.postgres += cpuOf(d);
      } catch { /* gone */ }
    }
  }
  return out;
}

// Runs f over items with at most `width` at a time.
async function pool(items, width, f) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      await f(items[i], i);
    }
  }));
}

function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// A persistent NATS publisher (plain protocol), for the transport floor. It
// publishes events as they would come from the services, so it logs in as
// the stack's NATS user admin (lib/nats.mjs: the test stack registers it).
function natsPublisher(to) {
  const { port, line } = connectTo(to);
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.setNoDelay(true);
    sock.on('error', reject);
    sock.once('data', () => {
      sock.write(line);
      sock.on('data', (d) => { if (d.toString().includes('PING')) sock.write('PONG\r\n'); });
      resolve({
        // one write for a batch of [subject, payload], as a client library would flush
        pub(batch) {
          sock.write(Buffer.concat(batch.flatMap(([subject, payload]) => [Buffer.from(`PUB ${subject} ${payload.length}\r\n`), payload, Buffer.from('\r\n')])));
        },
        close: () => sock.end(),
      });
    });
  });
}

// Fires fire(k) at k / rate seconds from now for `seconds`; returns the count.
async function paced(rate, seconds, fire) {
  const total = Math.round(rate * seconds);
  const t0 = performance.now();
  const inflight = [];
  for (let k = 0; k < total; k++) {
    const due = t0 + (k * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    inflight.push(fire(k));
  }
  await Promise.all(inflight);
  return total;
}

async function main() {
  log(`starting the stack (release build): ${opt['queue-replicas']} queue, ${opt['gateway-replicas']} gateway`);
  // startStack gives the stack admission limits far above what one client
  // here sends (tests/integration/lib/stack.mjs: CC_RATE_*); the product's
  // defaults would refuse this bench's 300 enquiries/s from one address and
  // its 1,200 logins.
  const stack = await startStack({
    CC_ADMIN_TOKEN: ADMIN,
    CC_DEMO: '0',
    CC_LOG_LEVEL: 'warn',
    CC_REPLICAS_queue: String(opt['queue-replicas']),
    // all on the one port (SO_REUSEPORT): the kernel spreads the consoles and
    // the POSTs over them
    CC_GATEWAY_REPLICAS: String(opt['gateway-replicas']),
    CC_HEARTBEAT_TIMEOUT_S: '120',
    // every console and request of the bench comes from 127.0.0.1: one
    // address, no per-address limit (docs/api.md, "Limits")
    CC_HTTP_PER_IP_MAX: '0',
    CC_HTTP_MAX_CONN: String(Math.max(4096, 2 * opt.staff + 512)),
  });
  // the stack waits for every process it starts; check what really runs (the
  // status is the gateways' last ping round, about a second old)
  let running = [];
  const wanted = [`${opt['queue-replicas']} queue`, `${opt['gateway-replicas']} gateway`];
  for (let i = 0; i < 20 && !wanted.every((w) => running.includes(w)); i++) {
    if (i > 0) await sleep(500);
    running = (await (await fetch(`${stack.url}/api/v1/status`)).json()).services
      .filter((s) => s.name === 'queue' || s.name === 'gateway')
      .map((s) => `${s.instances.filter((x) => x.ready).length} ${s.name}`);
  }
  log(`running: ${running.join(', ')}`);
  if (!wanted.every((w) => running.includes(w))) {
    await stack.stop();
    throw new Error(`asked for ${wanted.join(', ')}; running: ${running.join(', ')}`);
  }
  const http = apiClient(stack);
  const wsUrl = stack.url.replace('http:', 'ws:') + '/api/v1/ws';
  const lat = { route: [], floor: [] }; // ms from send to an offer on a socket
  const got = { route: new Map(), floor: new Map() }; // caller -> offers delivered
  try {
    // the directory: groups of staff, a channel per group, in one ccctl apply
    const dir = { staff: [], groups: [], channels: [] };
    for (let g = 0; g < opt.groups; g++) {
      const members = [];
      for (let i = 0; i < perGroup; i++) {
        const id = `b${g}-s${i}`;
        members.push(id);
        dir.staff.push({ id, name: id, email: `${id}@bench.example`, role: 'staff', password: `pw-${id}` });
      }
      dir.groups.push({ id: `b${g}`, name: `bench ${g}`, member_ids: members });
      dir.channels.push({ id: `b${g}`, name: `bench ${g}`, type: 'widget', group_id: `b${g}`, max_wait_broadcast_s: 600 });
    }
    // the lifecycle phase has staff and direct channels of its own, so that
    // the enquiries the routing phase left waiting are not in its panels
    for (let i = 0; i < LIFE_STAFF; i++) {
      const id = `l${i}`;
      dir.staff.push({ id, name: id, email: `${id}@bench.example`, role: 'staff', password: `pw-life-${id}` });
      dir.channels.push({ id, name: `life ${i}`, type: 'link', staff_id: id });
    }
    const file = path.join(stack.runDir, 'bench-directory.json');
    writeFileSync(file, JSON.stringify(dir));
    let t = performance.now();
    const ap = await run(path.join(stack.env.CC_BIN_DIR, 'ccctl'), ['apply', file], { env: stack.serviceEnv });
    if (ap.code !== 0) throw new Error(`ccctl apply failed: ${ap.stdout}${ap.stderr}`);
    log(`directory: ${opt.staff} staff in ${opt.groups} groups of ${perGroup}, applied in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // log everybody in and open their consoles
    t = performance.now();
    const tokens = {};
    await pool(dir.staff, 16, async (s) => {
      const r = await http('POST', '/login', { email: s.email, password: s.password });
      if (r.status !== 200) throw new Error(`login ${s.id}: ${r.status} ${JSON.stringify(r.body)}`);
      tokens[s.id] = r.body.token;
    });
    log(`${opt.staff} staff logged in in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    // caller -> performance.now() of the send: the offer carries the caller,
    // so an offer that reaches a socket before the POST's reply still counts
    const sentAt = new Map();
    const consoles = [];
    await pool(dir.staff.filter((s) => !s.id.startsWith('l')), 50, async (s) => {
      const box = await connect(wsUrl, tokens[s.id]);
      box.ws.removeAllListeners('message'); // keep no messages: measure instead
      box.ws.on('message', (d) => {
        const now = performance.now();
        const m = JSON.parse(d.toString());
        if (m.type !== 'enquiry.offered') return;
        const kind = m.reason === 'bench-floor' ? 'floor' : 'route';
        const t0 = sentAt.get(m.enquiry.caller);
        if (t0 === undefined) return;
        lat[kind].push(now - t0);
        got[kind].set(m.enquiry.caller, (got[kind].get(m.enquiry.caller) ?? 0) + 1);
      });
      consoles.push(box);
    });
    log(`${consoles.length} console WebSockets open in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    await sleep(1000);

    // 1. routing: POST /enquiries at the fixed rate, round-robin over the channels
    const createMs = [];
    let errors = 0;
    log(`routing: ${opt.rate} enquiries/s for ${opt.seconds} s, each offered to ${perGroup} staff`);
    const r0 = performance.now();
    const sent = await paced(opt.rate, opt.seconds, async (k) => {
      const t1 = performance.now();
      sentAt.set(`bench ${k}`, t1);
      const res = await fetch(`${stack.url}/api/v1/enquiries`, {
        method: 'POST',
        body: JSON.stringify({ channel_id: `b${k % opt.groups}`, kind: 'call', caller: `bench ${k}` }),
      });
      const body = await res.json();
      createMs.push(performance.now() - t1);
      if (res.status !== 201 || body.enquiry.state !== 'pending') {
        errors++;
        return;
      }
    });
    const routeDone = await drain(got.route, sent - errors, perGroup, 15000);
    const routeSecs = (routeDone - r0) / 1000;

    await settle();

    // 2. the transport floor: the same fan-out of enquiry.offered events straight onto NATS
    const nats = await natsPublisher(stack.ports.CC_NATS_PORT);
    log(`transport floor: ${opt.rate} events/s x ${perGroup} staff straight onto NATS for ${opt.seconds} s`);
    const f0 = performance.now();
    await paced(opt.rate, opt.seconds, async (k) => {
      const id = uuid7();
      const g = k % opt.groups;
      const now = Date.now();
      sentAt.set(`floor ${k}`, performance.now());
      const batch = [];
      for (let i = 0; i < perGroup; i++) {
        batch.push(['cc.evt.enquiry.offered', encodeEvent({
          id: uuid7(), tsMs: now, type: 'enquiry.offered', source: 'bench', instance: 'bench-1',
          enquiry: { id, channelId: `b${g}`, groupId: `b${g}`, caller: `floor ${k}`, createdMs: now, deadlineMs: now + 600000 },
          staffId: `b${g}-s${i}`, reason: 'bench-floor',
        })]);
      }
      nats.pub(batch);
    });
    const floorDone = await drain(got.floor, Math.round(opt.rate * opt.seconds), perGroup, 15000);
    const floorSecs = (floorDone - f0) / 1000;
    nats.close();

    await settle();

    // 3. whole lifecycles: create, offer, answer, end, close, at half the
    // rate; CPU-seconds of every process over the phase, per 1,000
    const lifeRate = Math.max(1, Math.round(opt.rate / 2));
    log(`lifecycles: ${lifeRate}/s for ${opt.seconds} s (create, offer, answer, end, close)`);
    const before = cpuSeconds(stack.runDir);
    let lifeDone = 0;
    let lifeErrors = 0;
    const l0 = performance.now();
    await paced(lifeRate, opt.seconds, async (k) => {
      const sid = `l${k % LIFE_STAFF}`;
      const auth = { authorization: `Bearer ${tokens[sid]}` };
      const post = (p, body, headers = {}) => fetch(`${stack.url}/api/v1${p}`, {
        method: 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: await r.json().catch(() => null) }));
      const c = await post('/enquiries', { channel_id: sid, kind: 'call', caller: `life ${k}` });
      if (c.status !== 201) return void lifeErrors++;
      const id = c.body.enquiry.id;
      for (const step of ['answer', 'end', 'close']) {
        const r = await post(`/enquiries/${id}/${step}`, undefined, auth);
        if (r.status !== 200) return void lifeErrors++;
      }
      lifeDone++;
    });
    const lifeSecs = (performance.now() - l0) / 1000;
    await settle();
    const after = cpuSeconds(stack.runDir);
    const per1000 = (x) => (1000 * x) / Math.max(1, lifeDone);
    const cpu = {
      services: per1000(after.services - before.services),
      servers: per1000(after.servers - before.servers),
      postgres: per1000(after.postgres - before.postgres),
    };

    for (const box of consoles) box.ws.close();
    report({ sent, errors, routeSecs, floorSecs, createMs });
    console.log('');
    console.log(`lifecycles (create, offer, answer, end, close; ${LIFE_STAFF} staff of their own on direct channels): ${lifeDone} done, ${lifeErrors} failed, ` +
      `${(lifeDone / lifeSecs).toFixed(1)}/s`);
    console.log(`  CPU-seconds per 1,000 enquiries: services ${cpu.services.toFixed(2)}, nats-server + redis-server ` +
      `${cpu.servers.toFixed(2)}, PostgreSQL (call log) ${cpu.postgres.toFixed(2)}; total ${(cpu.services + cpu.servers + cpu.postgres).toFixed(2)}`);
  } finally {
    const res = await stack.stop();
    if (res.code !== 0) console.error(`stack stopped with ${res.code}`);
  }

  // Waits until the call-log writer has stored every event so far, so that
  // one phase does not pay for the backlog of the one before.
  async function settle() {
    const t = performance.now();
    for (let i = 0; i < 600; i++) {
      const res = await fetch(`http://127.0.0.1:${stack.ports.CC_NATS_MONITOR_PORT}/jsz?consumers=true`);
      const jsz = await res.json();
      const cons = (jsz.account_details ?? []).flatMap((a) => a.stream_detail ?? []).flatMap((st) => st.consumer_detail ?? []);
      const backlog = cons.reduce((n, c) => n + (c.num_pending ?? 0) + (c.num_ack_pending ?? 0), 0);
      if (cons.length > 0 && backlog === 0) break;
      await sleep(500);
    }
    log(`call log caught up in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }

  // Waits until `want` ids each got `each` deliveries (or timeoutMs passes).
  async function drain(map, want, each, timeoutMs) {
    const end = performance.now() + timeoutMs;
    for (;;) {
      let complete = 0;
      for (const v of map.values()) if (v >= each) complete++;
      if (complete >= want || performance.now() > end) return performance.now();
      await sleep(20);
    }
  }

  function report({ sent, errors, routeSecs, floorSecs, createMs }) {
    const row = (name, a, b) => console.log(`  ${name.padEnd(34)}${String(a).padStart(14)}${String(b).padStart(22)}`);
    const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
    const r = [...lat.route].sort((a, b) => a - b);
    const fl = [...lat.floor].sort((a, b) => a - b);
    const c = [...createMs].sort((a, b) => a - b);
    const routed = [...got.route.values()].filter((v) => v >= perGroup).length;
    const floored = [...got.floor.values()].filter((v) => v >= perGroup).length;
    console.log('');
    console.log(`routing benchmark: ${opt.staff} staff on WebSockets, ${opt.groups} groups of ${perGroup}, ` +
      `${opt.rate}/s offered for ${opt.seconds} s; ${opt['queue-replicas']} queue, ${opt['gateway-replicas']} gateway; one 2-core machine`);
    row('', 'routing', 'transport floor');
    row('enquiries sent', sent, Math.round(opt.rate * opt.seconds));
    row('  rejected (not pending)', errors, '-');
    row('  fully offered', routed, floored);
    row('enquiries/s sustained', f(routed / routeSecs), f(floored / floorSecs));
    row('offers delivered', r.length, fl.length);
    row('create-to-offer p50 (ms)', f(pct(r, 50)), f(pct(fl, 50)));
    row('create-to-offer p99 (ms)', f(pct(r, 99)), f(pct(fl, 99)));
    row('create-to-offer max (ms)', f(r[r.length - 1]), f(fl[fl.length - 1]));
    row('POST /enquiries reply p50 (ms)', f(pct(c, 50)), '-');
    row('POST /enquiries reply p99 (ms)', f(pct(c, 99)), '-');
    console.log('');
    console.log('transport floor: the same enquiry.offered events published straight onto NATS (no HTTP, no');
    console.log('queue, no Redis, no JetStream); no contact-centre ACD to compare with is packaged for Debian 12.');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
