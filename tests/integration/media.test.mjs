// The media relay (services/media/README.md, docs/api.md "Media"): two fake
// phones on 127.0.0.1 (UDP sockets sending PCMU at 20 ms) and the NATS
// requests ingress will send, against the real media process on a real
// nats-server and redis-server.
// make test: also under ThreadSanitizer
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { natsRequest } from './lib/nats.mjs';
import { binDir, run, sleep, startStack, until } from './lib/stack.mjs';
import { CODEC, ERR, decodeEvent, decodeReply, mediaClient, natsCollector, phone, rtpPacket } from './lib/media.mjs';

const TIMEOUT_S = 3;
const SETUP_TIMEOUT_S = 8; // a leg not bridged: a caller waiting, a phone ringing
let stack;
let media;
let natsPort;
let events;
let stats;
const phones = [];

before(async () => {
  stack = await startStack({ CC_SERVICES: 'media', CC_MEDIA_TIMEOUT_S: String(TIMEOUT_S), CC_MEDIA_SETUP_TIMEOUT_S: String(SETUP_TIMEOUT_S), CC_MEDIA_THREADS: '2' });
  natsPort = stack.ports.CC_NATS_PORT;
  const list = decodeReply(await natsRequest(natsPort, 'cc.media.list', Buffer.alloc(0)));
  media = mediaClient(natsPort, list.instance);
  events = await natsCollector(natsPort, 'cc.evt.media.>');
  stats = await natsCollector(natsPort, 'cc.note.media.stats');
});

after(async () => {
  for (const p of phones) p.close();
  events?.close();
  stats?.close();
  if (stack) {
    const res = await stack.stop();
    assert.deepEqual(res.sanitizer, [], 'no sanitizer report');
    assert.ok(res.stopped.some((s) => s.startsWith('media')), 'media stopped cleanly');
  }
});

async function newPhone(hz) {
  const p = await phone(hz);
  phones.push(p);
  return p;
}

const ok = (r) => {
  assert.equal(r.error, null, `request failed: ${JSON.stringify(r.error)}`);
  return r;
};

// A caller and a staff leg with phones, announced and bridged; both phones
// stream a tone (caller 300 Hz, staff 1000 Hz). Legs land on different
// loops (allocated one after the other), so the bridge moves one.
async function call(name, { eventPt = 101, callerAnnounce } = {}) {
  const caller = await newPhone(300);
  const staff = await newPhone(1000);
  const c = ok(await media.call('allocate', { leg_id: `${name}-caller` })).leg;
  const s = ok(await media.call('allocate', { leg_id: `${name}-staff` })).leg;
  ok(await media.call('remote', { leg_id: c.leg_id, ip: '127.0.0.1', port: callerAnnounce ?? caller.port, codec: CODEC.PCMU, event_pt: eventPt }));
  ok(await media.call('remote', { leg_id: s.leg_id, ip: '127.0.0.1', port: staff.port, codec: CODEC.PCMU, event_pt: eventPt }));
  const b = ok(await media.call('bridge', { caller: c.leg_id, staff: s.leg_id }));
  assert.equal(b.leg.peer_leg_id, s.leg_id);
  caller.start(c.port);
  staff.start(s.port);
  return { caller, staff, c, s };
}

const isFrameOf = (p, pkt) => pkt.rtp && pkt.rtp.pt === 0 && pkt.rtp.payload.length === 160 &&
  // the tone phone p sends repeats every 8 (300 Hz: 40 ms) or 1 (1000 Hz) frames:
  [0, 1, 2, 3, 4, 5, 6, 7].some((k) => pkt.rtp.payload.equals(p.frameAt(k)));

function hangUp(...ps) {
  for (const p of ps) p.stop();
}

function assertContinuous(pkts, what) {
  const rtp = pkts.map((p) => p.rtp).filter(Boolean);
  assert.ok(rtp.length > 5, `${what}: packets received`);
  const ssrcs = new Set(rtp.map((r) => r.ssrc));
  assert.equal(ssrcs.size, 1, `${what}: one SSRC for the whole stream`);
  for (let i = 1; i < rtp.length; i++) {
    const d = (rtp[i].seq - rtp[i - 1].seq) & 0xffff;
    assert.ok(d >= 1 && d <= 3, `${what}: sequence numbers run on (${rtp[i - 1].seq} -> ${rtp[i].seq})`);
  }
}

test('relays both ways, latched to where the caller really sends from, with its own SSRC', async () => {
  const decoy = await newPhone(0); // the port the caller's SDP names: nothing must go there
  const { caller, staff, c, s } = await call('relay', { callerAnnounce: decoy.port });
  await sleep(1500);
  hangUp(caller, staff);
  await sleep(100);
  const atCaller = caller.received.filter((p) => p.rtp?.pt === 0);
  const atStaff = staff.received.filter((p) => p.rtp?.pt === 0);
  assert.ok(atCaller.length >= staff.sent * 0.8, `caller got ${atCaller.length} of ${staff.sent}`);
  assert.ok(atStaff.length >= caller.sent * 0.8, `staff got ${atStaff.length} of ${caller.sent}`);
  // what the staff phone said reaches the caller unchanged, and the other way
  assert.ok(atCaller.every((p) => p.from === c.port), 'from the caller leg port');
  assert.ok(atStaff.some((p) => p.rtp.payload.equals(caller.frameAt(0))) || atStaff.length > 0);
  assert.equal(decoy.received.length, 0, 'nothing went to the announced port the caller never sent from');
  assert.ok(atCaller.every((p) => p.rtp.ssrc !== staff.ssrc), 'SSRC rewritten');
  assertContinuous(atCaller, 'to the caller');
  assertContinuous(atStaff, 'to the staff');
  const list = ok(await media.call('list')).legs;
  const lc = list.find((l) => l.leg_id === c.leg_id);
  const ls = list.find((l) => l.leg_id === s.leg_id);
  assert.equal(lc.source_port, caller.port, 'latched to the real source port');
  assert.equal(lc.remote_port, decoy.port);
  assert.equal(lc.rx.packets, caller.sent);
  assert.equal(lc.rx.bytes, caller.sent * 160);
  assert.equal(lc.rx.lost, 0);
  assert.equal(ls.tx.packets, lc.rx.packets, 'every packet from the caller went to the staff');
  assert.equal(lc.role, 1);
  assert.equal(ls.role, 2);
  ok(await media.call('release', { leg_id: c.leg_id }));
  ok(await media.call('release', { leg_id: s.leg_id }));
});

test('hold: the caller hears hold audio and nothing of the staff; resume restores both ways', async () => {
  const { caller, staff, c, s } = await call('hold');
  await sleep(600);
  const h = ok(await media.call('hold', { leg_id: s.leg_id }));
  assert.equal(h.leg.held, true);
  const t0 = Date.now() + 100; // what was in flight has arrived
  await sleep(1200);
  const t1 = Date.now();
  const heldAtCaller = caller.received.filter((p) => p.at >= t0 && p.at < t1);
  const heldAtStaff = staff.received.filter((p) => p.at >= t0 && p.at < t1);
  assert.equal(heldAtStaff.length, 0, 'nothing of the caller reaches the staff while held');
  assert.ok(heldAtCaller.length >= 40, `hold audio at 20 ms pacing (${heldAtCaller.length} in 1.1 s)`);
  assert.ok(heldAtCaller.every((p) => !isFrameOf(staff, p)), 'none of it is the staff audio');
  ok(await media.call('unhold', { leg_id: c.leg_id }));
  await sleep(600);
  const t2 = Date.now();
  await sleep(500);
  assert.ok(caller.since(t2).some((p) => isFrameOf(staff, p)), 'the caller hears the staff again');
  assert.ok(staff.since(t2).some((p) => isFrameOf(caller, p)), 'the staff hears the caller again');
  hangUp(caller, staff);
  await sleep(100);
  assertContinuous(caller.received, 'to the caller across hold and resume');
  ok(await media.call('release', { leg_id: c.leg_id }));
  ok(await media.call('release', { leg_id: s.leg_id }));
});

test('mute: staff-to-caller stops, caller-to-staff continues', async () => {
  const { caller, staff, c, s } = await call('mute');
  await sleep(400);
  assert.equal(ok(await media.call('mute', { leg_id: s.leg_id })).leg.muted, true);
  const t0 = Date.now() + 100;
  await sleep(1000);
  assert.equal(caller.since(t0).length, 0, 'the caller hears nothing of a muted staff');
  assert.ok(staff.since(t0).filter((p) => isFrameOf(caller, p)).length >= 35, 'the staff still hears the caller');
  ok(await media.call('unmute', { leg_id: s.leg_id }));
  const t1 = Date.now() + 100;
  await sleep(600);
  assert.ok(caller.since(t1).filter((p) => isFrameOf(staff, p)).length >= 20, 'unmuted: heard again');
  hangUp(caller, staff);
  ok(await media.call('release', { leg_id: c.leg_id }));
  ok(await media.call('release', { leg_id: s.leg_id }));
});

test('DTMF from staff reaches the caller as RFC 4733 events with end flags', async () => {
  const { caller, staff, c, s } = await call('dtmf-out');
  await sleep(300);
  ok(await media.call('dtmf', { leg_id: c.leg_id, digits: '1#9', duration_ms: 120 }));
  await sleep(1500);
  hangUp(caller, staff);
  const ev = caller.received.filter((p) => p.rtp?.pt === 101).map((p) => p.rtp);
  const byTs = new Map();
  for (const r of ev) (byTs.get(r.ts) ?? byTs.set(r.ts, []).get(r.ts)).push(r);
  const digits = [...byTs.values()];
  assert.equal(digits.length, 3, 'three events');
  assert.deepEqual(digits.map((d) => d[0].payload[0]), [1, 11, 9], 'events 1, #, 9 in order');
  for (const d of digits) {
    assert.equal(d[0].marker, true, 'marker on the first packet of an event');
    const ends = d.filter((r) => r.payload[1] & 0x80);
    assert.equal(ends.length, 3, 'the end packet three times');
    assert.ok(d.slice(0, d.length - 3).every((r) => !(r.payload[1] & 0x80)), 'no end flag before the end');
    for (const e of ends) assert.equal(e.payload.readUInt16BE(2), 120 * 8, 'final duration');
    const durs = d.map((r) => r.payload.readUInt16BE(2));
    for (let i = 1; i < durs.length; i++) assert.ok(durs[i] >= durs[i - 1], 'duration grows');
  }
  assert.equal(new Set(caller.received.filter((p) => p.rtp).map((p) => p.rtp.ssrc)).size, 1, 'same SSRC as the audio');
  const bad = await media.call('dtmf', { leg_id: c.leg_id, digits: '12x' });
  assert.equal(bad.error.code, ERR.INVALID);
  assert.equal(bad.error.field, 'digits');
  ok(await media.call('release', { leg_id: c.leg_id }));
  ok(await media.call('release', { leg_id: s.leg_id }));
});

test('DTMF from the caller is published as events (and relayed to the staff)', async () => {
  const { caller, staff, c, s } = await call('dtmf-in');
  await sleep(300);
  const t0 = Date.now();
  await caller.sendEvent(5, 160);
  await caller.sendEvent(11, 100);
  const e5 = await events.wait((m) => m.subject === 'cc.evt.media.dtmf' && decodeEvent(m.payload).media.legs[0].leg_id === c.leg_id, 5000, 'dtmf event');
  await sleep(300);
  hangUp(caller, staff);
  const got = events.msgs.filter((m) => m.subject === 'cc.evt.media.dtmf').map((m) => decodeEvent(m.payload)).filter((e) => e.media.legs[0].leg_id === c.leg_id);
  assert.deepEqual(got.map((e) => e.media.digit), ['5', '#'], 'each digit once, in order');
  assert.equal(got[0].media.duration_ms, 160);
  assert.equal(got[0].type, 'media.dtmf');
  assert.equal(got[0].source, 'media');
  assert.ok(decodeEvent(e5.payload).ts_ms >= t0 - 1000);
  const relayed = staff.received.filter((p) => p.rtp?.pt === 101);
  assert.ok(relayed.some((p) => p.rtp.payload[0] === 5 && p.rtp.payload[1] & 0x80), 'the staff phone gets the events too');
  ok(await media.call('release', { leg_id: c.leg_id }));
  ok(await media.call('release', { leg_id: s.leg_id }));
});

function readWav(file) {
  const b = readFileSync(file);
  assert.equal(b.toString('latin1', 0, 4), 'RIFF');
  assert.equal(b.toString('latin1', 8, 12), 'WAVE');
  const channels = b.readUInt16LE(22);
  const rate = b.readUInt32LE(24);
  const bits = b.readUInt16LE(34);
  const dataLen = b.readUInt32LE(40);
  assert.equal(b.readUInt32LE(4), 36 + dataLen, 'RIFF size finalised');
  assert.equal(b.length, 44 + dataLen, 'data size finalised');
  const frames = dataLen / 4;
  const left = new Int16Array(frames);
  const right = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    left[i] = b.readInt16LE(44 + i * 4);
    right[i] = b.readInt16LE(46 + i * 4);
  }
  return { channels, rate, bits, frames, left, right };
}

// zero crossings per second and RMS of a slice
// Frequency (sign changes) and level of x[from..to). The frequency counts
// only the audio that arrived: a gap the recorder filled with silence (a run
// of 16 or more exact zeros: on a loaded machine a packet delayed past the
// re-anchoring threshold leaves one) is left out rather than read as a
// lower tone. Single zero samples are part of the tone (G.711 decodes its
// smallest code to 0) and carry no sign.
function measure(x, from, to) {
  let zc = 0;
  let e = 0;
  let gap = 0;
  let run = 0;
  let sign = 0;
  for (let i = from; i < to; i++) {
    e += x[i] * x[i];
    if (x[i] === 0) {
      run++;
      continue;
    }
    if (run >= 16) gap += run;
    run = 0;
    const sg = x[i] < 0 ? -1 : 1;
    if (sign !== 0 && sg !== sign) zc++;
    sign = sg;
  }
  if (run >= 16) gap += run;
  const heard = Math.max(to - from - gap, 1);
  return { hz: (zc / 2) / (heard / 8000), rms: Math.sqrt(e / (to - from)) };
}

test('recording: one stereo WAV, caller left, staff right, as long as the recorded time', async () => {
  const { caller, staff, c, s } = await call('rec');
  await sleep(300);
  const r0 = Date.now();
  const start = ok(await media.call('record_start', { leg_id: c.leg_id }));
  const r1 = Date.now();
  assert.match(start.record_path, /rec-caller-.*\.wav$/);
  assert.equal(start.leg.record_path, start.record_path);
  const again = await media.call('record_start', { leg_id: s.leg_id });
  assert.equal(again.error.code, ERR.CONFLICT, 'one recording per bridge at a time');
  await sleep(3000);
  const s0 = Date.now();
  const stop = ok(await media.call('record_stop', { leg_id: s.leg_id }));
  const s1 = Date.now();
  assert.equal(stop.record_path, start.record_path);
  const done = await events.wait((m) => m.subject === 'cc.evt.media.recorded' && decodeEvent(m.payload).media.record_path === start.record_path, 5000, 'recorded event');
  const ev = decodeEvent(done.payload);
  assert.deepEqual(ev.media.legs.map((l) => l.leg_id), [c.leg_id, s.leg_id]);
  hangUp(caller, staff);
  const wav = readWav(start.record_path);
  assert.equal(wav.channels, 2);
  assert.equal(wav.rate, 8000);
  assert.equal(wav.bits, 16);
  const seconds = wav.frames / 8000;
  const wall = ((s0 + s1) / 2 - (r0 + r1) / 2) / 1000;
  assert.ok(Math.abs(seconds - wall) <= 0.5, `file ${seconds.toFixed(3)} s, recorded ${wall.toFixed(3)} s`);
  assert.equal(ev.media.record_ms, Math.floor((wav.frames * 1000) / 8000));
  // the middle second: caller's 300 Hz on the left, staff's 1000 Hz on the right
  const l = measure(wav.left, 8000, 16000);
  const r = measure(wav.right, 8000, 16000);
  assert.ok(l.rms > 2000 && r.rms > 2000, `both channels have audio (rms ${l.rms.toFixed(0)} / ${r.rms.toFixed(0)})`);
  assert.ok(Math.abs(l.hz - 300) < 30, `left is the caller's tone (${l.hz.toFixed(0)} Hz)`);
  assert.ok(Math.abs(r.hz - 1000) < 60, `right is the staff's tone (${r.hz.toFixed(0)} Hz)`);
  const notRec = await media.call('record_stop', { leg_id: s.leg_id });
  assert.equal(notRec.error.code, ERR.CONFLICT);
  ok(await media.call('release', { leg_id: c.leg_id }));
  ok(await media.call('release', { leg_id: s.leg_id }));
});

test('a recording is finalised when a leg is released', async () => {
  const { caller, staff, c, s } = await call('rec-rel');
  await sleep(200);
  const start = ok(await media.call('record_start', { leg_id: c.leg_id }));
  await sleep(1000);
  const rel = ok(await media.call('release', { leg_id: c.leg_id }));
  assert.equal(rel.record_path, start.record_path);
  await events.wait((m) => m.subject === 'cc.evt.media.recorded' && decodeEvent(m.payload).media.record_path === start.record_path, 5000, 'recorded event');
  hangUp(caller, staff);
  const wav = readWav(start.record_path);
  assert.ok(Math.abs(wav.frames / 8000 - 1) < 0.5);
  const left = ok(await media.call('list')).legs.find((l) => l.leg_id === s.leg_id);
  assert.equal(left.peer_leg_id, '', 'the other leg is unbridged');
  ok(await media.call('release', { leg_id: s.leg_id }));
});

test(`a bridged leg with no RTP for CC_MEDIA_TIMEOUT_S ends with media_timeout, one not bridged after CC_MEDIA_SETUP_TIMEOUT_S; hold does not count`, async () => {
  const p = await newPhone(440);
  const leg = ok(await media.call('allocate', { leg_id: 'quiet-1' })).leg;
  ok(await media.call('remote', { leg_id: leg.leg_id, ip: '127.0.0.1', port: p.port, codec: CODEC.PCMA }));
  p.target = { port: leg.port };
  for (let i = 0; i < 5; i++) p.sendAudio();
  // a held bridge whose phones go quiet is not timed out
  const { caller, staff, c, s } = await call('held-quiet');
  await sleep(200);
  ok(await media.call('hold', { leg_id: c.leg_id }));
  hangUp(caller, staff);
  // quiet-1 is not bridged (a caller waiting in the queue sends nothing
  // before the answer): past CC_MEDIA_TIMEOUT_S it is still there
  const t0 = Date.now();
  await sleep((TIMEOUT_S + 2) * 1000);
  assert.ok(ok(await media.call('list')).legs.some((l) => l.leg_id === 'quiet-1'), 'a leg not bridged has the setup window');
  const ended = await events.wait((m) => m.subject === 'cc.evt.media.leg_ended' && decodeEvent(m.payload).media.legs[0].leg_id === 'quiet-1', (SETUP_TIMEOUT_S + 4) * 1000, 'leg_ended');
  assert.ok(Date.now() - t0 >= (SETUP_TIMEOUT_S - 1) * 1000, 'ended by the setup window');
  const e = decodeEvent(ended.payload);
  assert.equal(e.reason, 'media_timeout');
  assert.equal(e.type, 'media.leg_ended');
  assert.equal(e.media.legs[0].rx.packets, 5);
  await until(async () => !ok(await media.call('list')).legs.some((l) => l.leg_id === 'quiet-1'), 3000, 'the leg to leave the list');
  const gone = await media.call('release', { leg_id: 'quiet-1' });
  assert.equal(gone.error.code, ERR.NOT_FOUND);
  await sleep(TIMEOUT_S * 1000);
  const held = ok(await media.call('list')).legs.filter((l) => l.leg_id.startsWith('held-quiet'));
  assert.equal(held.length, 2, 'held legs stay however long they are quiet');
  ok(await media.call('unhold', { leg_id: c.leg_id }));
  await events.wait((m) => m.subject === 'cc.evt.media.leg_ended' && decodeEvent(m.payload).media.legs[0].leg_id === c.leg_id, (TIMEOUT_S + 4) * 1000, 'leg_ended after resume');
});

test('announce: a leg alone plays about a second of tones (one stream, the codec it speaks), then ends by itself with reason announced; a bridged leg is refused', async () => {
  const callerPhone = await newPhone(0);
  const a = ok(await media.call('allocate', { leg_id: 'announce-1' })).leg;
  ok(await media.call('remote', { leg_id: a.leg_id, ip: '127.0.0.1', port: callerPhone.port, codec: CODEC.PCMA, event_pt: 101 }));
  ok(await media.call('announce', { leg_id: a.leg_id }));
  const ended = await events.wait((m) => m.subject === 'cc.evt.media.leg_ended' && decodeEvent(m.payload).media.legs[0].leg_id === a.leg_id, 5000, 'leg_ended');
  const e = decodeEvent(ended.payload);
  assert.equal(e.reason, 'announced');
  await sleep(100);
  const rtp = callerPhone.received.filter((p) => p.rtp);
  assert.ok(rtp.length >= 45 && rtp.length <= 50, `${rtp.length} frames`);
  assert.ok(rtp.every((p) => p.rtp.pt === 8 && p.rtp.payload.length === 160), 'PCMA, as it speaks');
  assert.ok(rtp[0].rtp.marker, 'a new stream: the marker on its first packet');
  assertContinuous(callerPhone.received, 'the announcement');
  assert.equal(e.media.legs[0].tx.packets, rtp.length, 'its counters: what it sent');
  assert.ok(!ok(await media.call('list')).legs.some((l) => l.leg_id === a.leg_id), 'gone from the list');
  // bridged legs do not announce; the verb on an unknown leg is not_found
  const { caller, staff, c, s } = await call('announce2');
  const refused = await media.call('announce', { leg_id: c.leg_id });
  assert.equal(refused.error?.code, ERR.CONFLICT);
  assert.equal((await media.call('announce', { leg_id: 'no-such-leg' })).error?.code, ERR.NOT_FOUND);
  hangUp(caller, staff);
  ok(await media.call('release', { leg_id: c.leg_id }));
  ok(await media.call('release', { leg_id: s.leg_id }));
});

test('legs ended or moved while their packets pour in are never touched afterwards (release, a bridge moving a leg between loops, an announcement ending its leg)', async () => {
  const blaster = dgram.createSocket('udp4');
  await new Promise((r) => blaster.bind(0, '127.0.0.1', r));
  const sink = await newPhone(0);
  const pkt = rtpPacket({ pt: 0, seq: 1, ts: 0, ssrc: 7, payload: Buffer.alloc(160, 0xff) });
  try {
    for (let round = 0; round < 30; round++) {
      const a = ok(await media.call('allocate', { leg_id: `churn-${round}-a` })).leg;
      const b = ok(await media.call('allocate', { leg_id: `churn-${round}-b` })).leg;
      for (const l of [a, b]) ok(await media.call('remote', { leg_id: l.leg_id, ip: '127.0.0.1', port: sink.port, codec: CODEC.PCMU }));
      let on = true;
      const blast = (async () => {
        while (on) {
          for (let k = 0; k < 40; k++) for (const port of [a.port, a.port + 1, b.port, b.port + 1]) blaster.send(pkt, port, '127.0.0.1');
          await new Promise((r) => setImmediate(r));
        }
      })();
      await sleep(20);
      if (round % 3 === 0) {
        ok(await media.call('announce', { leg_id: a.leg_id })); // ends a by itself after about a second
        await sleep(1100);
      } else {
        ok(await media.call('bridge', { caller: a.leg_id, staff: b.leg_id })); // moves b to a's loop when they differ
      }
      for (const l of [a, b]) {
        const r = await media.call('release', { leg_id: l.leg_id });
        assert.ok(r.error === null || r.error.code === ERR.NOT_FOUND, JSON.stringify(r.error));
      }
      on = false;
      await blast;
    }
  } finally {
    blaster.close();
  }
  // the node is alive and serving (a use after free would have stopped it under ASan)
  const list = ok(await media.call('list')).legs;
  assert.ok(!list.some((l) => l.leg_id.startsWith('churn-')));
});

test('list and periodic stats carry per-leg counters; ccctl calls lists them', async () => {
  const { caller, staff, c, s } = await call('stats');
  await sleep(500);
  const note = await stats.wait((m) => decodeEvent(m.payload).media.legs.some((l) => l.leg_id === c.leg_id && l.rx.packets > 0), 8000, 'stats with the leg');
  const e = decodeEvent(note.payload);
  assert.equal(e.type, 'media.stats');
  const leg = e.media.legs.find((l) => l.leg_id === c.leg_id);
  assert.equal(leg.peer_leg_id, s.leg_id);
  const all = decodeReply(await natsRequest(natsPort, 'cc.media.list', Buffer.alloc(0)));
  assert.equal(all.instance, media.instance);
  assert.ok(all.legs.some((l) => l.leg_id === s.leg_id && l.tx.packets > 0));
  const out = await run(path.join(binDir, 'ccctl'), ['calls'], { env: stack.serviceEnv });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, new RegExp(`${c.leg_id}.*${s.leg_id}`), out.stdout);
  const json = await run(path.join(binDir, 'ccctl'), ['calls', '--json'], { env: stack.serviceEnv });
  const arr = JSON.parse(json.stdout);
  assert.ok(arr.some((l) => l.leg_id === c.leg_id && l.instance === media.instance && l.rx.packets > 0));
  hangUp(caller, staff);
  ok(await media.call('release', { leg_id: c.leg_id }));
  ok(await media.call('release', { leg_id: s.leg_id }));
});

test('bad requests get a clear error', async () => {
  const unknown = decodeReply(await natsRequest(natsPort, `cc.media.${media.instance}.explode`, Buffer.alloc(0)));
  assert.equal(unknown.error.code, ERR.NOT_FOUND);
  assert.match(unknown.error.message, /unknown media request/);
  const garbage = await media.raw('allocate', Buffer.from([0x0a, 0xff, 0x01]));
  assert.equal(garbage.error.code, ERR.PROTO);
  assert.match(garbage.error.message, /cc\.MediaAllocateRequest/);
  const noId = await media.call('allocate', { leg_id: 'bad/id' });
  assert.deepEqual([noId.error.code, noId.error.field], [ERR.INVALID, 'leg_id']);
  ok(await media.call('allocate', { leg_id: 'dup' }));
  const dup = await media.call('allocate', { leg_id: 'dup' });
  assert.equal(dup.error.code, ERR.CONFLICT);
  const ip = await media.call('remote', { leg_id: 'dup', ip: 'example.com', port: 4000, codec: CODEC.PCMU });
  assert.deepEqual([ip.error.code, ip.error.field], [ERR.INVALID, 'remote_ip']);
  const codec = await media.call('remote', { leg_id: 'dup', ip: '127.0.0.1', port: 4000, codec: 0 });
  assert.deepEqual([codec.error.code, codec.error.field], [ERR.INVALID, 'codec']);
  const nobody = await media.call('bridge', { caller: 'dup', staff: 'nobody' });
  assert.deepEqual([nobody.error.code, nobody.error.field], [ERR.NOT_FOUND, 'staff_leg_id']);
  const notBridged = await media.call('record_start', { leg_id: 'dup' });
  assert.equal(notBridged.error.code, ERR.CONFLICT);
  // a leg alone can be held (hold audio to it, a caller waiting for a transfer)
  assert.equal(ok(await media.call('hold', { leg_id: 'dup' })).leg.held, true);
  assert.equal(ok(await media.call('unhold', { leg_id: 'dup' })).leg.held, false);
  ok(await media.call('release', { leg_id: 'dup' }));
});

test('malformed packets are counted and dropped; the relay goes on', async () => {
  const { caller, staff, c, s } = await call('junk');
  await sleep(300);
  const junk = [
    Buffer.from([1, 2, 3]), // short
    Buffer.from([0x40, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]), // version 1
    Buffer.concat([Buffer.from([0x8f, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]), Buffer.alloc(8)]), // 15 CSRCs, 8 bytes
    Buffer.from([0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 9]), // padding longer than the payload
    Buffer.from([0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]), // extension past the end
    Buffer.from([0x80, 200, 0, 9, 0, 0, 0, 0]), // RTCP whose length runs past the end
  ];
  for (const j of junk) caller.send(j);
  const t0 = Date.now() + 100;
  await sleep(600);
  assert.ok(staff.since(t0).filter((p) => isFrameOf(caller, p)).length >= 15, 'still relayed');
  const lc = ok(await media.call('list')).legs.find((l) => l.leg_id === c.leg_id);
  assert.equal(lc.rx.malformed, junk.length);
  assert.equal(lc.source_port, caller.port);
  hangUp(caller, staff);
  ok(await media.call('release', { leg_id: c.leg_id }));
  ok(await media.call('release', { leg_id: s.leg_id }));
});
