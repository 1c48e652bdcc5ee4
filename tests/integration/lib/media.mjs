// Test helpers for the media service: its protobuf messages
// (proto/media.proto, proto/event.proto), a NATS subscriber that keeps every
// message, and a fake phone (a UDP socket on 127.0.0.1 that sends G.711 RTP
// every 20 ms and keeps what it receives).
import dgram from 'node:dgram';
import net from 'node:net';
import { connectTo, natsRequest } from './nats.mjs';
import { pb } from './proto.mjs';

// --- protobuf decoding: {field: [values]} (varint BigInt, bytes Buffer) -----
export function decodeFields(buf) {
  const out = {};
  let i = 0;
  const varint = () => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++];
      v |= BigInt(b & 127) << shift;
      if (!(b & 128)) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    let val;
    if (wire === 0) val = varint();
    else if (wire === 2) {
      const n = Number(varint());
      val = buf.subarray(i, i + n);
      i += n;
    } else if (wire === 1) {
      val = buf.subarray(i, i + 8);
      i += 8;
    } else if (wire === 5) {
      val = buf.subarray(i, i + 4);
      i += 4;
    } else throw new Error(`wire type ${wire}`);
    (out[field] ??= []).push(val);
  }
  return out;
}
const S = (f, n) => (f[n] ? f[n][0].toString('utf8') : '');
const N = (f, n) => (f[n] ? Number(f[n][0]) : 0);
const B = (f, n) => (f[n] ? f[n][0] !== 0n : false);

function decodeCounters(b) {
  const f = decodeFields(b ?? Buffer.alloc(0));
  return { packets: N(f, 1), bytes: N(f, 2), lost: N(f, 3), jitter_ms: N(f, 4), rtcp_packets: N(f, 5), malformed: N(f, 6) };
}

export function decodeLeg(b) {
  const f = decodeFields(b);
  return {
    leg_id: S(f, 1), address: S(f, 2), port: N(f, 3), remote_ip: S(f, 4), remote_port: N(f, 5),
    source_ip: S(f, 6), source_port: N(f, 7), codec: N(f, 8), event_pt: N(f, 9), peer_leg_id: S(f, 10),
    role: N(f, 11), held: B(f, 12), muted: B(f, 13), record_path: S(f, 14),
    rx: decodeCounters(f[15]?.[0]), tx: decodeCounters(f[16]?.[0]), created_at_ms: N(f, 17), last_rx_ms: N(f, 18), peer_hold: B(f, 19),
  };
}

export function decodeReply(b) {
  const f = decodeFields(b);
  const e = f[1] ? decodeFields(f[1][0]) : null;
  return {
    error: e ? { code: N(e, 1), message: S(e, 2), field: S(e, 3) } : null,
    leg: f[2] ? decodeLeg(f[2][0]) : null,
    legs: (f[3] ?? []).map(decodeLeg),
    record_path: S(f, 4),
    instance: S(f, 5),
  };
}

export function decodeEvent(b) {
  const f = decodeFields(b);
  const m = f[14] ? decodeFields(f[14][0]) : null;
  return {
    id: S(f, 1), ts_ms: N(f, 2), type: S(f, 3), source: S(f, 4), instance: S(f, 5), reason: S(f, 21),
    media: m && {
      legs: (m[1] ?? []).map(decodeLeg), digit: S(m, 2), duration_ms: N(m, 3), record_path: S(m, 4), record_ms: N(m, 5),
    },
  };
}

// --- requests ----------------------------------------------------------------
export const CODEC = { PCMU: 1, PCMA: 2 };
export const ERR = { INVALID: 1, NOT_FOUND: 11, CONFLICT: 12, PROTO: 10, LIMIT: 14 };
const cat = (...parts) => Buffer.concat(parts.filter(Boolean));
export const enc = {
  allocate: ({ leg_id }) => pb.str(1, leg_id),
  remote: ({ leg_id, ip, port, codec, event_pt = 0, rtcp_mux = false, rtcp_port = 0 }) => cat(
    pb.str(1, leg_id), pb.str(2, ip), pb.int(3, port), pb.int(4, codec),
    event_pt ? pb.int(5, event_pt) : null, rtcp_mux ? pb.int(6, 1) : null, rtcp_port ? pb.int(7, rtcp_port) : null),
  bridge: ({ caller, staff }) => cat(pb.str(1, caller), pb.str(2, staff)),
  leg: ({ leg_id }) => pb.str(1, leg_id),
  dtmf: ({ leg_id, digits, duration_ms = 0 }) => cat(pb.str(1, leg_id), pb.str(2, digits), duration_ms ? pb.int(3, duration_ms) : null),
  list: () => pb.str(1, 'test'),
};

// A client of one media node: media.call('allocate', {leg_id}) -> decoded reply.
export function mediaClient(natsPort, instance) {
  return {
    instance,
    async raw(verb, payload) {
      return decodeReply(await natsRequest(natsPort, `cc.media.${instance}.${verb}`, payload, 5000));
    },
    async call(verb, args = {}) {
      const e = enc[verb] ?? enc.leg;
      return this.raw(verb, e(args));
    },
  };
}

// --- a NATS subscriber that keeps what arrives --------------------------------
export function natsCollector(to, subject) {
  const { port, line: connect } = connectTo(to, { headers: true });
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const msgs = [];
    const waiters = [];
    let buf = Buffer.alloc(0);
    let state = 'info';
    const check = () => {
      for (const w of [...waiters]) {
        const m = msgs.find(w.pred);
        if (m) {
          waiters.splice(waiters.indexOf(w), 1);
          clearTimeout(w.timer);
          w.resolve(m);
        }
      }
    };
    sock.on('error', (e) => (state === 'ready' ? null : reject(e)));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const eol = buf.indexOf('\r\n');
        if (eol < 0) return;
        const line = buf.subarray(0, eol).toString();
        if (line.startsWith('MSG ') || line.startsWith('HMSG ')) {
          const parts = line.split(' ');
          const size = Number(parts[parts.length - 1]);
          const hsize = line.startsWith('HMSG ') ? Number(parts[parts.length - 2]) : 0;
          if (buf.length < eol + 2 + size + 2) return;
          const payload = buf.subarray(eol + 2 + hsize, eol + 2 + size);
          buf = buf.subarray(eol + 2 + size + 2);
          msgs.push({ subject: parts[1], payload: Buffer.from(payload), at: Date.now() });
          check();
          continue;
        }
        buf = buf.subarray(eol + 2);
        if (line.startsWith('INFO ') && state === 'info') {
          state = 'sub';
          sock.write(`${connect}SUB ${subject} 1\r\nPING\r\n`);
        } else if (line === 'PONG' && state === 'sub') {
          state = 'ready';
          resolve({
            msgs,
            // resolves to the first message (kept or to come) for which pred holds
            wait(pred, timeoutMs, what) {
              const m = msgs.find(pred);
              if (m) return Promise.resolve(m);
              return new Promise((res, rej) => {
                const w = { pred, resolve: res };
                w.timer = setTimeout(() => {
                  waiters.splice(waiters.indexOf(w), 1);
                  rej(new Error(`no ${what} on ${subject} within ${timeoutMs} ms`));
                }, timeoutMs);
                waiters.push(w);
              });
            },
            close: () => sock.destroy(),
          });
        } else if (line === 'PING') {
          sock.write('PONG\r\n');
        }
      }
    });
  });
}

// --- G.711 and RTP -----------------------------------------------------------
export function ulawEncode(sample) {
  const BIAS = 0x84;
  let s = Math.max(-32635, Math.min(32635, sample));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  s += BIAS;
  let exp = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exp > 0; mask >>= 1) exp--;
  const mant = (s >> (exp + 3)) & 0x0f;
  return ~(sign | (exp << 4) | mant) & 0xff;
}

// 20 ms of a tone (hz) as PCMU, starting at sample n0
export function toneFrame(hz, n0, amp = 8000) {
  const b = Buffer.alloc(160);
  for (let i = 0; i < 160; i++) b[i] = ulawEncode(Math.round(amp * Math.sin((2 * Math.PI * hz * (n0 + i)) / 8000)));
  return b;
}

export function rtpPacket({ pt, seq, ts, ssrc, marker = false, payload }) {
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h[1] = (marker ? 0x80 : 0) | pt;
  h.writeUInt16BE(seq & 0xffff, 2);
  h.writeUInt32BE(ts >>> 0, 4);
  h.writeUInt32BE(ssrc >>> 0, 8);
  return Buffer.concat([h, payload]);
}

export function parseRtp(b) {
  if (b.length < 12 || b[0] >> 6 !== 2) return null;
  const cc = b[0] & 15;
  return {
    marker: (b[1] & 0x80) !== 0, pt: b[1] & 0x7f, seq: b.readUInt16BE(2), ts: b.readUInt32BE(4),
    ssrc: b.readUInt32BE(8), payload: b.subarray(12 + 4 * cc),
  };
}

// A phone: a UDP socket on 127.0.0.1 that can stream a tone as PCMU RTP
// every 20 ms to media and keeps every packet it receives (with its time).
export async function phone(hz) {
  const sock = dgram.createSocket('udp4');
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  const p = {
    sock,
    port: sock.address().port,
    received: [],
    ssrc: (Math.random() * 0xffffffff) >>> 0,
    seq: Math.floor(Math.random() * 30000),
    ts: Math.floor(Math.random() * 1e9),
    n: 0,
    sent: 0,
    timer: null,
    target: null,
    send(buf) {
      sock.send(buf, this.target.port, '127.0.0.1');
    },
    frame() {
      return toneFrame(hz, this.n * 160);
    },
    // the k-th frame of the tone (it repeats: 300 Hz every 8, 1000 Hz every frame)
    frameAt(k) {
      return toneFrame(hz, k * 160);
    },
    sendAudio() {
      this.send(rtpPacket({ pt: 0, seq: this.seq++, ts: this.ts, ssrc: this.ssrc, marker: this.sent === 0, payload: this.frame() }));
      this.ts += 160;
      this.n++;
      this.sent++;
    },
    start(port) {
      this.target = { port };
      this.stop();
      this.timer = setInterval(() => this.sendAudio(), 20);
    },
    stop() {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
    },
    // RFC 4733: one event (digit code) of durMs, sent as a phone sends it
    async sendEvent(event, durMs, pt = 101) {
      const was = this.timer !== null;
      this.stop();
      const ts = this.ts;
      let marker = true;
      for (let d = 160; d <= durMs * 8; d += 160) {
        const pl = Buffer.from([event, 10, (d >> 8) & 255, d & 255]);
        this.send(rtpPacket({ pt, seq: this.seq++, ts, ssrc: this.ssrc, marker, payload: pl }));
        marker = false;
        await new Promise((r) => setTimeout(r, 20));
      }
      const d = durMs * 8;
      for (let k = 0; k < 3; k++) {
        this.send(rtpPacket({ pt, seq: this.seq++, ts, ssrc: this.ssrc, payload: Buffer.from([event, 0x80 | 10, (d >> 8) & 255, d & 255]) }));
      }
      this.ts += d;
      if (was) this.start(this.target.port);
    },
    since(t) {
      return this.received.filter((r) => r.at >= t);
    },
    close() {
      this.stop();
      sock.close();
    },
  };
  sock.on('message', (msg, rinfo) => p.received.push({ at: Date.now(), from: rinfo.port, rtp: parseRtp(msg), raw: msg }));
  return p;
}
