// Media relay benchmark (tools/bench/media/run): --calls N concurrent calls
// (default 100), each two fake phones sending 172-byte PCMU RTP every 20 ms
// to each other through the relay, for --seconds N (default 10) after a
// 1 s warm-up; three runs on the same traffic:
//   floor      the phones send straight to each other (what Node and the
//              loopback cost with no relay)
//   media      through our media service (a release build, CC_MEDIA_THREADS
//              default), set up over NATS as ingress would
//   rtpengine  through rtpengine (--table=-1: userspace forwarding, no
//              kernel module), set up with ng offer/answer
// Each packet carries its send time; the receiver measures the one-way
// time. Printed: packets relayed, loss, relayed packets per CPU-second of the
// relay process (/proc/<pid>/stat), and one-way latency p50/p99/max, with
// what the relay adds over the floor.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { natsRequest } from '../../../tests/integration/lib/nats.mjs';
import { decodeReply, enc, CODEC } from '../../../tests/integration/lib/media.mjs';
import { freePort, sleep, startStack, until } from '../../../tests/integration/lib/stack.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const CALLS = opt('calls', 100);
const SECONDS = opt('seconds', 10);
const WITH_RTPENGINE = !args.includes('--no-rtpengine');
const CLK_TCK = 100;

function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK; // utime + stime
}

async function socket() {
  const s = dgram.createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  s.setRecvBufferSize?.(1 << 20);
  return s;
}

// 2 phones per call; each knows where to send (set by the run).
async function makePhones() {
  const calls = [];
  for (let i = 0; i < CALLS; i++) calls.push({ a: await socket(), b: await socket() });
  return calls;
}

// Streams for warm-up + SECONDS; returns {sent, received, lat[] (ms) of the measured part}.
async function stream(calls, onMeasureStart, onMeasureEnd) {
  const lat = [];
  let measuring = false;
  let sent = 0;
  let received = 0;
  const payload = Buffer.alloc(160, 0xff);
  const onMsg = (msg) => {
    if (!measuring || msg.length < 12 + 8) return;
    received++;
    const t = msg.readBigUInt64BE(12);
    lat.push(Number(process.hrtime.bigint() - t) / 1e6);
  };
  const streams = [];
  for (const c of calls) {
    c.a.on('message', onMsg);
    c.b.on('message', onMsg);
    streams.push({ s: c.a, to: c.aTo, seq: 0, ssrc: (Math.random() * 2 ** 32) >>> 0, ts: 0 });
    streams.push({ s: c.b, to: c.bTo, seq: 0, ssrc: (Math.random() * 2 ** 32) >>> 0, ts: 0 });
  }
  const tick = () => {
    for (const st of streams) {
      const pkt = Buffer.alloc(172);
      pkt[0] = 0x80;
      pkt[1] = 0;
      pkt.writeUInt16BE(st.seq++ & 0xffff, 2);
      pkt.writeUInt32BE(st.ts >>> 0, 4);
      pkt.writeUInt32BE(st.ssrc, 8);
      payload.copy(pkt, 12);
      pkt.writeBigUInt64BE(process.hrtime.bigint(), 12);
      st.ts += 160;
      st.s.send(pkt, st.to, '127.0.0.1');
      if (measuring) sent++;
    }
  };
  // paced by wall time: a late timer sends what is due, as a phone would not,
  // but so that the offered rate holds on a busy machine
  const start = Date.now();
  let ticks = 0;
  const timer = setInterval(() => {
    const due = Math.floor((Date.now() - start) / 20);
    while (ticks < due) {
      tick();
      ticks++;
    }
  }, 5);
  await sleep(1000);
  measuring = true;
  await onMeasureStart();
  await sleep(SECONDS * 1000);
  await onMeasureEnd();
  measuring = false;
  clearInterval(timer);
  await sleep(300);
  for (const c of calls) {
    c.a.removeAllListeners('message');
    c.b.removeAllListeners('message');
  }
  return { sent, received, lat };
}

function pct(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

async function runFloor(calls) {
  for (const c of calls) {
    c.aTo = c.b.address().port;
    c.bTo = c.a.address().port;
  }
  const r = await stream(calls, async () => {}, async () => {});
  return { ...r, cpu: NaN };
}

async function runMedia(calls) {
  const stack = await startStack({ CC_SERVICES: 'media', CC_LOG_LEVEL: 'warn', CC_MEDIA_PORT_MIN: '40000', CC_MEDIA_PORT_MAX: '44999' });
  try {
    const port = stack.ports.CC_NATS_PORT;
    const inst = decodeReply(await natsRequest(port, 'cc.media.list', Buffer.alloc(0))).instance;
    const req = async (verb, body) => {
      const r = decodeReply(await natsRequest(port, `cc.media.${inst}.${verb}`, body, 5000));
      if (r.error) throw new Error(`${verb}: ${r.error.message}`);
      return r;
    };
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i];
      const a = (await req('allocate', enc.allocate({ leg_id: `b${i}-a` }))).leg;
      const b = (await req('allocate', enc.allocate({ leg_id: `b${i}-b` }))).leg;
      await req('remote', enc.remote({ leg_id: a.leg_id, ip: '127.0.0.1', port: c.a.address().port, codec: CODEC.PCMU }));
      await req('remote', enc.remote({ leg_id: b.leg_id, ip: '127.0.0.1', port: c.b.address().port, codec: CODEC.PCMU }));
      await req('bridge', enc.bridge({ caller: a.leg_id, staff: b.leg_id }));
      c.aTo = a.port;
      c.bTo = b.port;
    }
    const pid = stack.pidOf('media-1');
    let cpu0 = 0;
    let cpu = 0;
    const r = await stream(calls, async () => { cpu0 = cpuSeconds(pid); }, async () => { cpu = cpuSeconds(pid) - cpu0; });
    return { ...r, cpu };
  } finally {
    await stack.stop();
  }
}

// --- rtpengine over ng (bencode over UDP) -----------------------------------
function bencode(v) {
  if (typeof v === 'number') return Buffer.from(`i${v}e`);
  if (typeof v === 'string' || Buffer.isBuffer(v)) {
    const b = Buffer.from(v);
    return Buffer.concat([Buffer.from(`${b.length}:`), b]);
  }
  if (Array.isArray(v)) return Buffer.concat([Buffer.from('l'), ...v.map(bencode), Buffer.from('e')]);
  const keys = Object.keys(v).sort();
  return Buffer.concat([Buffer.from('d'), ...keys.flatMap((k) => [bencode(k), bencode(v[k])]), Buffer.from('e')]);
}
function bdecode(b) {
  let i = 0;
  const parse = () => {
    const c = String.fromCharCode(b[i]);
    if (c === 'i') {
      const e = b.indexOf(0x65, i);
      const n = Number(b.subarray(i + 1, e).toString());
      i = e + 1;
      return n;
    }
    if (c === 'l') {
      i++;
      const out = [];
      while (b[i] !== 0x65) out.push(parse());
      i++;
      return out;
    }
    if (c === 'd') {
      i++;
      const out = {};
      while (b[i] !== 0x65) {
        const k = parse();
        out[k] = parse();
      }
      i++;
      return out;
    }
    const colon = b.indexOf(0x3a, i);
    const n = Number(b.subarray(i, colon).toString());
    const s = b.subarray(colon + 1, colon + 1 + n).toString();
    i = colon + 1 + n;
    return s;
  };
  return parse();
}

function sdp(port) {
  return ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', ''].join('\r\n');
}

async function runRtpengine(calls) {
  const ng = await freePort();
  const proc = spawn('rtpengine', ['--foreground', '--log-stderr', '--log-level=4', '--interface=127.0.0.1',
    `--listen-ng=127.0.0.1:${ng}`, '--port-min=45000', '--port-max=49999', '--table=-1', '--no-redis-required'],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => (log += d));
  const ctl = await socket();
  let n = 0;
  const pending = new Map();
  ctl.on('message', (m) => {
    const sp = m.indexOf(0x20);
    const cookie = m.subarray(0, sp).toString();
    pending.get(cookie)?.(bdecode(m.subarray(sp + 1)));
    pending.delete(cookie);
  });
  const cmd = (body) => new Promise((resolve, reject) => {
    const cookie = `c${n++}`;
    const t = setTimeout(() => reject(new Error(`rtpengine did not answer ${body.command}: ${log.slice(-500)}`)), 3000);
    pending.set(cookie, (r) => {
      clearTimeout(t);
      if (r.result !== 'ok' && r.result !== 'pong') reject(new Error(`${body.command}: ${JSON.stringify(r)}`));
      else resolve(r);
    });
    ctl.send(Buffer.concat([Buffer.from(`${cookie} `), bencode(body)]), ng, '127.0.0.1');
  });
  try {
    await until(async () => (await cmd({ command: 'ping' }).catch(() => null)) !== null, 10000, 'rtpengine to answer ping');
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i];
      const callId = `bench-${i}`;
      const offer = await cmd({ command: 'offer', 'call-id': callId, 'from-tag': 'a', sdp: sdp(c.a.address().port) });
      const answer = await cmd({ command: 'answer', 'call-id': callId, 'from-tag': 'a', 'to-tag': 'b', sdp: sdp(c.b.address().port) });
      c.bTo = Number(/m=audio (\d+)/.exec(offer.sdp)[1]); // where B sends: the port offered to B
      c.aTo = Number(/m=audio (\d+)/.exec(answer.sdp)[1]); // where A sends
    }
    let cpu0 = 0;
    let cpu = 0;
    const r = await stream(calls, async () => { cpu0 = cpuSeconds(proc.pid); }, async () => { cpu = cpuSeconds(proc.pid) - cpu0; });
    for (let i = 0; i < calls.length; i++) await cmd({ command: 'delete', 'call-id': `bench-${i}`, 'from-tag': 'a' }).catch(() => {});
    return { ...r, cpu };
  } finally {
    proc.kill('SIGTERM');
    ctl.close();
  }
}

function row(name, r, floor) {
  const lat = Float64Array.from(r.lat).sort();
  const p50 = pct(lat, 50);
  const p99 = pct(lat, 99);
  // packets in flight at the edges of the window: a few either way
  const loss = r.sent ? Math.max(0, (100 * (r.sent - r.received)) / r.sent) : 0;
  const perCpu = r.cpu > 0 ? Math.round(r.received / r.cpu) : NaN;
  const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
  const add = floor ? ` (${signed(p50 - floor.p50)} / ${signed(p99 - floor.p99)})` : '';
  console.log(`| ${name} | ${r.received} | ${loss.toFixed(2)}% | ${Number.isNaN(perCpu) ? '-' : perCpu.toLocaleString('en')} | ${p50.toFixed(3)} / ${p99.toFixed(3)} / ${lat[lat.length - 1]?.toFixed(3)}${add} |`);
  return { p50, p99 };
}

const calls = await makePhones();
console.log(`media bench: ${CALLS} calls, ${CALLS * 100} packets/s offered (50/s each direction), ${SECONDS} s measured, one machine (${(await import('node:os')).cpus().length} CPUs)`);
const floorRes = await runFloor(calls);
const mediaRes = await runMedia(calls);
const rtpRes = WITH_RTPENGINE ? await runRtpengine(calls) : null;
console.log('\n| relay | packets relayed | loss | packets per CPU-second | one-way ms p50 / p99 / max (added over the floor) |');
console.log('|---|---|---|---|---|');
const floor = row('floor (no relay)', floorRes, null);
row('media (ours)', mediaRes, floor);
if (rtpRes) row('rtpengine (userspace)', rtpRes, floor);
for (const c of calls) {
  c.a.close();
  c.b.close();
}
