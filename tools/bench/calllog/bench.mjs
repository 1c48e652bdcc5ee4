// Call-log writer benchmark: M realistic enquiry events (protobuf cc.Event,
// unique ids, Nats-Msg-Id set as the outbox relay sets it) published into
// the JetStream stream CC_EVENTS as fast as JetStream acknowledges them (or
// at --rate per second), on a stack where calllog is the only service.
// Measures, from PostgreSQL:
//   - the sustained insert rate: rows counted every 500 ms; the rate between
//     10% and 90% of the events stored;
//   - publish-to-stored lag of every event: received_at (now() of the
//     INSERT's transaction) minus the event's ts_ms, set as it is sent;
//   - publish-to-queryable lag of every --sample-th event: its id polled
//     every 20 ms until a SELECT sees the committed row.
// Side by side, in the same run, on a fresh stack each: the batched writer
// (CC_CALLLOG_BATCH=--batch rows per INSERT) and the one-row-per-round-trip
// writer it replaced (CC_CALLLOG_BATCH=1), and PostgreSQL's own ceiling for
// the same rows: one COPY of them into a copy of the table (same keys and
// indexes).
//
//   tools/bench/calllog/run [--events 200000] [--batch 256] [--rate 0]
//                           [--window 2000] [--sample 1000] [--writers batched,single]
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { connectTo, natsRequest } from '../../../tests/integration/lib/nats.mjs';
import { encodeEvent, uuid7 } from '../../../tests/integration/lib/proto.mjs';
import { run, sleep, startStack, timeout, until } from '../../../tests/integration/lib/stack.mjs';

const opt = { events: 200000, batch: 256, rate: 0, window: 2000, sample: 1000, writers: 'batched,single' };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  const v = process.argv[i + 1] ?? '';
  const ok = k === 'writers' ? /^(batched|single)(,(batched|single))*$/.test(v) : k in opt && /^\d+$/.test(v);
  if (!ok) {
    console.error('usage: run [--events N] [--batch N] [--rate N/s, 0 = as fast as JetStream acks] ' +
      `[--window N] [--sample N] [--writers batched,single] (bad: ${process.argv[i]})`);
    process.exit(2);
  }
  opt[k] = k === 'writers' ? v : Number(v);
}
if (opt.batch < 1 || opt.batch > 1000 || opt.events < 10 || opt.window < 1 || opt.sample < 1) {
  console.error('--batch is 1 to 1000, --events at least 10, --window and --sample at least 1');
  process.exit(2);
}
const log = (...a) => console.log(`[${(performance.now() / 1000).toFixed(1)}s]`, ...a);
const pgBin = path.join('/usr/lib/postgresql',
  readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))[0], 'bin');

function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// --- protobuf: the fields encodeEvent does not write -------------------------
function varint(n) {
  const out = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
const strField = (field, s) => {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([varint((field << 3) | 2), varint(b.length), b]);
};

// The k-th event of a realistic stream: enquiries of 4 stored events each
// (created and offered to a group of 20, answered by one of them, ended,
// closed), as queue publishes them through its outbox.
const GROUPS = 50;
const PER_GROUP = 20;
function makeEvent(k, tsMs) {
  const n = Math.floor(k / 4);
  const g = n % GROUPS;
  const staff = Array.from({ length: PER_GROUP }, (_, i) => `b${g}-s${i}`);
  const winner = staff[n % PER_GROUP];
  const enquiryId = enquiryIds.get(n) ?? uuid7();
  enquiryIds.set(n, enquiryId);
  const enquiry = {
    id: enquiryId, channelId: `b${g}`, groupId: `b${g}`, caller: `+4420794600${String(n % 100).padStart(2, '0')}`,
    createdMs: tsMs, deadlineMs: tsMs + 30000,
  };
  const id = uuid7();
  const base = { id, tsMs, source: 'queue', instance: 'queue-bench-1', enquiry };
  let buf;
  let type;
  switch (k % 4) {
  case 0:
    type = 'enquiry.created';
    buf = Buffer.concat([encodeEvent({ ...base, type }), ...staff.map((s) => strField(23, s))]);
    break;
  case 1:
    type = 'enquiry.answered';
    buf = Buffer.concat([encodeEvent({ ...base, type, staffId: winner }),
      ...staff.filter((s) => s !== winner).map((s) => strField(24, s))]);
    break;
  case 2:
    type = 'enquiry.ended';
    buf = encodeEvent({ ...base, type, staffId: winner, reason: 'hangup' });
    break;
  default:
    type = 'enquiry.closed';
    buf = encodeEvent({ ...base, type, staffId: winner });
    enquiryIds.delete(n);
  }
  return { id, type, buf };
}
const enquiryIds = new Map();

// The whole HPUB of an event (Nats-Msg-Id = its id, a reply inbox for the
// PubAck), built before the clock starts so the publisher only writes.
// tsAt: where the 6-byte varint of ts_ms sits in it (after field 1, the
// 36-character id), to be set as the frame is sent.
function frameOf(k, ev) {
  const hdr = Buffer.from(`NATS/1.0\r\nNats-Msg-Id: ${ev.id}\r\n\r\n`);
  const head = Buffer.from(`HPUB cc.evt.${ev.type} _INBOX.bench.${k} ${hdr.length} ${hdr.length + ev.buf.length}\r\n`);
  if (ev.buf[0] !== 0x0a || ev.buf[1] !== 36 || ev.buf[38] !== 0x10) throw new Error('unexpected event layout');
  return { id: ev.id, frame: Buffer.concat([head, hdr, ev.buf, Buffer.from('\r\n')]), tsAt: head.length + hdr.length + 39 };
}

// ts_ms as the 6-byte varint every ms of 1971-2109 takes (2^35 <= ms < 2^42).
function setTs(frame, at, ms) {
  let v = ms;
  for (let i = 0; i < 6; i++) {
    const b = v % 128;
    v = Math.floor(v / 128);
    frame[at + i] = i < 5 ? b | 128 : b;
  }
}

// --- a JetStream publisher over the plain protocol ---------------------------
// HPUB with Nats-Msg-Id and a reply inbox per message; JetStream answers each
// with a PubAck. At most `window` unacknowledged at a time.
// It logs in as the stack's NATS user admin (lib/nats.mjs), whose inboxes
// are anywhere: _INBOX.bench.* is its own.
function jsPublisher(to) {
  const { port, line } = connectTo(to, { headers: true });
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.setNoDelay(true);
    let buf = Buffer.alloc(0);
    let inflight = 0;
    let acked = 0;
    let errors = 0;
    let lastError = null;
    let wake = null;
    let closed = false;
    sock.on('error', reject);
    sock.once('data', () => {
      sock.write(`${line}SUB _INBOX.bench.* 1\r\n`);
      sock.on('data', (d) => {
        buf = buf.length ? Buffer.concat([buf, d]) : d;
        for (;;) {
          const eol = buf.indexOf('\r\n');
          if (eol < 0) break;
          const line = buf.subarray(0, eol).toString();
          if (line.startsWith('MSG ')) {
            const size = Number(line.slice(line.lastIndexOf(' ') + 1));
            if (buf.length < eol + 2 + size + 2) break;
            const body = buf.subarray(eol + 2, eol + 2 + size);
            if (body.includes('"error"')) {
              errors++;
              lastError = body.toString();
            }
            acked++;
            inflight--;
            buf = buf.subarray(eol + 2 + size + 2);
            if (wake) wake();
            continue;
          }
          if (line === 'PING') sock.write('PONG\r\n');
          else if (line.startsWith('-ERR')) lastError = line;
          buf = buf.subarray(eol + 2);
        }
      });
      // the server closes the connection after a protocol error: stop waiting
      sock.on('close', () => {
        closed = true;
        if (wake) wake();
      });
      const check = () => {
        if (closed) throw new Error(`NATS closed the publisher's connection: ${lastError ?? 'no error given'}`);
      };
      resolve({
        // frame: an HPUB built by frameOf, reply subject _INBOX.bench.<anything>
        async publish(frame, window) {
          while (inflight >= window) {
            check();
            await new Promise((r) => (wake = r));
          }
          check();
          inflight++;
          if (!sock.write(frame)) await new Promise((r) => sock.once('drain', r));
        },
        async done() {
          while (inflight > 0) {
            check();
            await new Promise((r) => (wake = r));
          }
        },
        stats: () => ({ acked, errors, lastError }),
        close: () => {
          closed = true;
          sock.end();
        },
      });
    });
  });
}

// --- one psql session: queries one at a time, no process per query -----------
function psqlSession(port) {
  const p = spawn(path.join(pgBin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'cc', '-d', 'cc',
    '-qtAX', '-v', 'ON_ERROR_STOP=0'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let waiting = null;
  let chain = Promise.resolve();
  p.stdout.on('data', (d) => {
    out += d;
    const end = out.indexOf('__END__\n');
    if (end >= 0 && waiting) {
      const res = out.slice(0, end).trim();
      out = out.slice(end + 8);
      const w = waiting;
      waiting = null;
      w(res);
    }
  });
  p.stderr.on('data', (d) => (err += d));
  return {
    query(q) {
      const r = chain.then(() => new Promise((resolve, reject) => {
        waiting = (res) => (err ? reject(new Error(`${q}: ${err}`)) : resolve(res));
        err = '';
        p.stdin.write(`${q};\n\\echo __END__\n`);
      }));
      chain = r.catch(() => {});
      return r;
    },
    close: () => p.stdin.end(),
  };
}

// --- one writer: a fresh stack with calllog alone ----------------------------
async function measure(name, batch) {
  log(`${name}: starting a stack with calllog alone (CC_CALLLOG_BATCH=${batch})`);
  const stack = await startStack({
    CC_SERVICES: 'calllog', CC_DEMO: '0', CC_LOG_LEVEL: 'warn', CC_CALLLOG_BATCH: String(batch),
  });
  const natsPort = stack.ports.CC_NATS_PORT;
  const res = { name, batch };
  let db;
  try {
    await until(async () => !JSON.parse((await natsRequest(natsPort, '$JS.API.CONSUMER.INFO.CC_EVENTS.calllog')).toString()).error,
      60000, 'calllog\'s durable consumer');
    db = psqlSession(stack.ports.CC_PG_PORT);
    await until(async () => (await db.query("select to_regclass('events') is not null")) === 't', 30000, 'the events table');

    const counts = []; // [ms since first publish, rows]
    const samples = new Map(); // id -> { sent, seen }
    let t0 = 0;
    let publishing = true;
    // the pollers: rows every 500 ms, sampled ids every 20 ms, until all are in
    const countPoll = (async () => {
      while (publishing || counts.length === 0 || counts[counts.length - 1][1] < opt.events) {
        const n = Number(await db.query('select count(*) from events'));
        if (t0) counts.push([performance.now() - t0, n]);
        await sleep(500);
      }
    })();
    const samplePoll = (async () => {
      while (publishing || [...samples.values()].some((s) => s.seen === undefined)) {
        const open = [...samples.entries()].filter(([, s]) => s.seen === undefined).map(([id]) => id);
        if (open.length > 0) {
          const seen = await db.query(`select id from events where id in (${open.map((i) => `'${i}'`).join(',')})`);
          const now = performance.now();
          for (const id of seen.split('\n').filter(Boolean)) samples.get(id).seen = now;
        }
        await sleep(20);
      }
    })();

    const frames = Array.from({ length: opt.events }, (_, k) => frameOf(k, makeEvent(k, Date.now())));
    const pub = await jsPublisher(natsPort);
    log(`${name}: publishing ${opt.events} events ${opt.rate ? `at ${opt.rate}/s` : 'as fast as JetStream acknowledges them'}`);
    t0 = performance.now();
    for (let k = 0; k < opt.events; k++) {
      if (opt.rate) {
        const wait = t0 + (k * 1000) / opt.rate - performance.now();
        if (wait > 1) await sleep(wait);
      }
      const f = frames[k];
      setTs(f.frame, f.tsAt, Date.now());
      if (k % opt.sample === 0) samples.set(f.id, { sent: performance.now() });
      await pub.publish(f.frame, opt.window);
      frames[k] = null;
    }
    await pub.done();
    res.publishSecs = (performance.now() - t0) / 1000;
    res.pub = pub.stats();
    pub.close();
    publishing = false;
    log(`${name}: published in ${res.publishSecs.toFixed(1)} s (${res.pub.errors} refused${res.pub.lastError ? `: ${res.pub.lastError}` : ''})`);
    if (res.pub.errors > 0) throw new Error('JetStream refused events; the figures would not be comparable');
    const info = JSON.parse((await natsRequest(natsPort, '$JS.API.STREAM.INFO.CC_EVENTS')).toString());
    res.streamBytes = info.state.bytes;

    await Promise.race([Promise.all([countPoll, samplePoll]), timeout(30 * 60 * 1000)]);
    const all = counts.find(([, n]) => n >= opt.events);
    res.allSecs = all ? all[0] / 1000 : NaN;
    const at = (f) => counts.find(([, n]) => n >= f * opt.events);
    const [a, b] = [at(0.1), at(0.9)];
    res.rate = a && b && b[0] > a[0] ? (b[1] - a[1]) / ((b[0] - a[0]) / 1000) : NaN;
    res.rows = Number(await db.query("select count(*) from events where source = 'queue'"));
    const lag = (await db.query(
      'select percentile_disc(array[0.5, 0.99]) within group (order by l), max(l) from' +
      ' (select extract(epoch from received_at - ts) * 1000 as l from events) x')).split('|');
    const p = lag[0].replace(/[{}]/g, '').split(',').map(Number);
    res.lag = { p50: p[0], p99: p[1], max: Number(lag[1]) };
    const vis = [...samples.values()].map((s) => s.seen - s.sent).sort((x, y) => x - y);
    res.visible = { n: vis.length, p50: pct(vis, 50), p99: pct(vis, 99), max: vis[vis.length - 1] };
    log(`${name}: ${res.rows} rows, all stored ${res.allSecs.toFixed(1)} s after the first publish`);

    if (name === 'batched') {
      // PostgreSQL's own ceiling for the same rows: one COPY into a copy of the table
      const file = path.join(stack.runDir, 'events.copy');
      const psql = (c) => run(path.join(pgBin, 'psql'), ['-h', '127.0.0.1', '-p', String(stack.ports.CC_PG_PORT),
        '-U', 'cc', '-d', 'cc', '-qtAX', '-v', 'ON_ERROR_STOP=1', '-c', c]);
      let r = await psql(`\\copy events to '${file}'`);
      if (r.code !== 0) throw new Error(r.stderr);
      await db.query('create table events_ceiling (like events including all)');
      r = await run(path.join(pgBin, 'psql'), ['-h', '127.0.0.1', '-p', String(stack.ports.CC_PG_PORT),
        '-U', 'postgres', '-d', 'cc', '-qtAX', '-c', 'checkpoint']); // start from a clean slate
      if (r.code !== 0) throw new Error(r.stderr);
      const t = performance.now();
      r = await psql(`\\copy events_ceiling from '${file}'`);
      res.copySecs = (performance.now() - t) / 1000;
      if (r.code !== 0) throw new Error(r.stderr);
      res.copyRows = Number(await db.query('select count(*) from events_ceiling'));
    }
  } finally {
    db?.close();
    const st = await stack.stop();
    if (st.code !== 0) console.error(`stack stopped with ${st.code}`);
  }
  return res;
}

function report(results) {
  const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const n = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en') : 'n/a');
  const cols = results.map((r) => (r.batch === 1 ? 'one row per round trip' : `batched (${r.batch} per INSERT)`));
  const row = (label, vals) => console.log(`  ${label.padEnd(46)}${vals.map((v) => String(v).padStart(26)).join('')}`);
  console.log('');
  console.log(`calllog benchmark: ${opt.events.toLocaleString('en')} enquiry events (created, answered, ended, closed; ` +
    `~${Math.round(results[0].streamBytes / opt.events)} bytes each in the stream) published into CC_EVENTS ` +
    `${opt.rate ? `at ${opt.rate}/s` : 'as fast as JetStream acknowledged them'} (window ${opt.window}); ` +
    'calllog alone on the stack; one 2-core machine');
  row('', cols);
  row('published (events/s, acknowledged)', results.map((r) => n(opt.events / r.publishSecs)));
  row('stored, sustained (events/s, 10%-90%)', results.map((r) => n(r.rate)));
  row('all stored after first publish (s)', results.map((r) => f(r.allSecs)));
  row('rows (each event once)', results.map((r) => n(r.rows)));
  row('publish-to-stored p50 / p99 / max (ms)', results.map((r) => `${f(r.lag.p50, 0)} / ${f(r.lag.p99, 0)} / ${f(r.lag.max, 0)}`));
  row(`publish-to-queryable p50/p99/max (ms, ${results[0].visible.n})`,
    results.map((r) => `${f(r.visible.p50, 0)} / ${f(r.visible.p99, 0)} / ${f(r.visible.max, 0)}`));
  const c = results.find((r) => r.copySecs !== undefined);
  console.log('');
  if (c) {
    console.log(`  PostgreSQL's ceiling: one COPY of the same ${n(c.copyRows)} rows into a copy of the table ` +
      `(same keys and indexes): ${f(c.copySecs, 2)} s = ${n(c.copyRows / c.copySecs)} rows/s`);
  }
  console.log('  stored: from SELECT count(*) every 500 ms; publish-to-stored: received_at (the INSERT\'s now()) minus the');
  console.log(`  event's ts_ms, every event; publish-to-queryable: every ${opt.sample}th event's id polled every 20 ms.`);
}

async function main() {
  const results = [];
  for (const w of opt.writers.split(',')) results.push(await measure(w, w === 'single' ? 1 : opt.batch));
  report(results);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
