// Issue 9, ingress over SIP: the carrier trunk. sipp (tests/sip/*.xml) plays
// the carrier against the real stack: ingress's SIP port (UDP and TCP), a
// media node, queue, presence and the gateway, with a trunk for 127.0.0.1
// written into the directory's Redis mirror (docs/sip.md) and a number on a
// channel of a small team. Staff answer and end calls through the HTTP API,
// as a console does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { natsRequest } from './lib/nats.mjs';
import { decodeReply } from './lib/media.mjs';
import { finals, sipStack } from './lib/sip.mjs';
import { until } from './lib/stack.mjs';

const ADMIN = 'sip-admin-token-0123456789abcdef';

describe('ingress: SIP trunk', () => {
  let suite;
  let stack;
  let http;
  let sipPort;
  let sipp;
  let line;

  before(async () => {
    // the carrier: everything from 127.0.0.1 (sipp binds 127.0.0.2 to be someone else)
    suite = await sipStack({ admin: ADMIN, prefix: 'sip', trunk: { name: 'Test carrier', addresses: ['127.0.0.1/32'] } });
    ({ stack, http, line } = suite);
    ({ sipp } = suite.tools);
    sipPort = stack.ports.CC_SIP_PORT;
  });
  after(async () => {
    const res = await suite?.close();
    assert.equal(res?.code, 0);
    assert.deepEqual(res.sanitizer, []);
  });

  const pending = async (token) => (await http('GET', '/pending', undefined, token)).body.pending.map((p) => p.enquiry.id);
  const enquiry = async (id) => {
    const h = (await stack.redisCli('HGET', `cc:enq:${id}`, 'state')).stdout.trim();
    const why = (await stack.redisCli('HGET', `cc:enq:${id}`, 'end_reason')).stdout.trim();
    return { state: h, end_reason: why };
  };
  const mediaLegs = async () => decodeReply(await natsRequest(stack.ports.CC_NATS_PORT, 'cc.media.list', Buffer.alloc(0))).legs;

  test('OPTIONS gets 200 over UDP and over TCP', async () => {
    for (const transport of ['u1', 't1']) {
      const r = await sipp('options', { transport });
      assert.equal(r.code, 0, r.out);
      assert.ok(finals(r.log).includes(200), r.log);
    }
  });

  test('an INVITE from outside the trunks gets 403 and creates nothing', async () => {
    const { number, team } = await line(1);
    const calls = (await stack.redisCli('--scan', '--pattern', 'cc:call:*')).stdout;
    const r = await sipp('invite_refused', { service: number, ip: '127.0.0.2' });
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(finals(r.log).filter((s) => s >= 200), [403], r.log);
    assert.deepEqual(await pending(team.staff[team.ids[0]]), []);
    assert.equal((await stack.redisCli('--scan', '--pattern', 'cc:call:*')).stdout, calls, 'no call stored');
  });

  test('an unknown number gets 404; a Request-URI that is no number 484', async () => {
    let r = await sipp('invite_refused', { service: '+85299999999' });
    assert.deepEqual(finals(r.log).filter((s) => s >= 200), [404], r.log);
    r = await sipp('invite_refused', { service: 'sales' });
    assert.deepEqual(finals(r.log).filter((s) => s >= 200), [484], r.log);
  });

  test('answered by a console: 180 while offered, 200 OK with SDP, the caller\'s audio reaches its media leg; the staff ending it sends BYE', async () => {
    const { number, team } = await line(2);
    const [a] = team.ids;
    const call = sipp('invite_answered', { service: number });
    const [id] = await until(async () => {
      const p = await pending(team.staff[a]);
      return p.length === 1 && p;
    }, 20000, 'the call in the panel');
    const e = await http('GET', `/enquiries/${id}`, undefined, team.staff[a]);
    assert.equal(e.body.enquiry.kind, 'call');
    assert.equal(e.body.enquiry.caller, '+85291230000');
    const ans = await http('POST', `/enquiries/${id}/answer`, undefined, team.staff[a]);
    assert.equal(ans.status, 200, JSON.stringify(ans.body));
    // the caller's packets (g711a.pcap, PCMA) arrive at its media leg
    const leg = await until(async () => (await mediaLegs()).find((l) => l.leg_id.startsWith('sip-') && l.rx.packets > 20),
      20000, 'RTP from the caller counted by media');
    assert.equal(leg.codec, 2, 'PCMA, as offered');
    assert.equal(leg.event_pt, 101);
    const end = await http('POST', `/enquiries/${id}/end`, undefined, team.staff[a]);
    assert.equal(end.status, 200, JSON.stringify(end.body));
    const r = await call;
    assert.equal(r.code, 0, r.out);
    assert.ok(/^SIP\/2\.0 180/m.test(r.log), 'ringing while offered');
    assert.match(r.log, /Content-Type: application\/sdp/);
    assert.match(r.log, /m=audio \d+ RTP\/AVP 8 101/);
    assert.match(r.log, /^BYE sip:/m, 'BYE received');
    await until(async () => !(await mediaLegs()).some((l) => l.leg_id === leg.leg_id), 10000, 'the leg released');
    assert.equal((await enquiry(id)).state, 'ended');
  });

  test('the caller hangs up while offered (CANCEL): 487, the enquiry is cancelled and every offer withdrawn', async () => {
    const { number, team } = await line(2);
    const call = sipp('invite_cancel', { service: number });
    const [id] = await until(async () => {
      const p = await pending(team.staff[team.ids[0]]);
      return p.length === 1 && p;
    }, 20000, 'the call in the panel');
    assert.deepEqual(await pending(team.staff[team.ids[1]]), [id]);
    const r = await call;
    assert.equal(r.code, 0, r.out);
    assert.ok(finals(r.log).includes(487), r.log);
    await until(async () => (await enquiry(id)).state === 'cancelled', 10000, 'the enquiry cancelled');
    for (const s of team.ids) assert.deepEqual(await pending(team.staff[s]), [], `${s}'s panel`);
  });

  test('the maximum wait runs out: 480 with its Reason', async () => {
    const { number, team } = await line(1, { max_wait_broadcast_s: 1 });
    const r = await sipp('invite_refused', { service: number });
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(finals(r.log).filter((s) => s >= 200), [480], r.log);
    assert.match(r.log, /^Reason: Q\.850;cause=19;text="max wait reached"/m);
    assert.deepEqual(await pending(team.staff[team.ids[0]]), []);
  });

  test('blocked (nobody can take it, R8.3): told at once, an announcement as early media (183 with SDP), then 480 with a Reason', async () => {
    const { number, team } = await line(1);
    await http('PUT', '/me/status', { status: 'busy' }, team.staff[team.ids[0]]);
    // the caller's RTP port: what media plays to it, with when
    const rtp = dgram.createSocket('udp4');
    await new Promise((r) => rtp.bind(0, '127.0.0.1', r));
    const got = [];
    rtp.on('message', (m) => got.push({ at: Date.now(), pt: m[1] & 0x7f, payload: m.subarray(12) }));
    try {
      const r = await sipp('invite_blocked', { service: number, keys: { rtp_port: rtp.address().port } });
      const ended = Date.now();
      assert.equal(r.code, 0, r.out);
      assert.deepEqual(finals(r.log).filter((s) => s >= 180), [183, 480], r.log);
      assert.match(r.log, /^Reason: Q\.850;cause=17;text="no staff available"/m);
      assert.ok(!/^SIP\/2\.0 180/m.test(r.log), 'never rung');
      // about a second of tones (PCMA, as offered), not silence, before the 480
      assert.ok(got.length >= 40 && got.length <= 55, `${got.length} packets of announcement`);
      assert.ok(got.every((p) => p.pt === 8 && p.payload.length === 160));
      assert.ok(got.some((p) => p.payload.some((b) => b !== 0xd5 && b !== 0x55)), 'tones, not silence');
      assert.ok(got[got.length - 1].at <= ended, 'played before the 480');
      // the leg ended by itself after playing
      await until(async () => !(await mediaLegs()).some((l) => l.leg_id.startsWith('sip-') && l.remote_port === rtp.address().port),
        5000, 'the announcement\'s leg gone');
    } finally {
      rtp.close();
    }
  });

  test('re-INVITE to hold (sendonly -> recvonly), then the caller\'s BYE ends the enquiry (over TCP)', async () => {
    const { number, team } = await line(1);
    const [a] = team.ids;
    const call = sipp('invite_caller_bye', { service: number, transport: 't1' });
    let done = null;
    call.then((r) => (done = r));
    const [id] = await until(async () => {
      assert.equal(done, null, `sipp ended before the call was offered: ${JSON.stringify(done)}`);
      const p = await pending(team.staff[a]);
      return p.length === 1 && p;
    }, 20000, 'the call in the panel');
    assert.equal((await http('POST', `/enquiries/${id}/answer`, undefined, team.staff[a])).status, 200);
    const r = await call;
    assert.equal(r.code, 0, r.out);
    assert.match(r.log, /a=sendonly[\s\S]*SIP\/2\.0 200 OK[\s\S]*a=recvonly/, 'hold answered recvonly');
    assert.match(r.log, /^SIP\/2\.0 200 OK[\s\S]*CSeq: 3 BYE/m, 'BYE answered 200');
    await until(async () => (await enquiry(id)).state === 'ended', 10000, 'the enquiry ended');
    assert.equal((await enquiry(id)).end_reason, 'caller_hung_up');
  });

  test('malformed SIP gets 400, garbage is dropped, and OPTIONS is still answered', async () => {
    const sock = dgram.createSocket('udp4');
    await new Promise((r) => sock.bind(0, '127.0.0.1', r));
    const got = [];
    sock.on('message', (m) => got.push(m.toString('latin1')));
    const lport = sock.address().port;
    const bad = `INVITE sip:+85290000000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${lport};branch=z9hG4bK-bad1\r\n` +
      'From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\nCall-ID: bad-1\r\nCSeq: not-a-number INVITE\r\nContent-Length: 0\r\n\r\n';
    sock.send(bad, sipPort, '127.0.0.1');
    sock.send(Buffer.from([0, 1, 2, 0xff, 0xfe, 13, 10, 13, 10]), sipPort, '127.0.0.1');
    await until(() => got.some((m) => /^SIP\/2\.0 400/.test(m)), 5000, 'a 400');
    sock.close();
    const r = await sipp('options');
    assert.equal(r.code, 0, r.out);
  });
});
