// Issue 9, call controls: the staff member in a call answered on their SIP
// phone holds, resumes, mutes, unmutes, sends DTMF and records it through
// POST /api/v1/enquiries/{id}/call/{action} (gateway -> ingress -> media),
// and a call whose RTP stops for CC_MEDIA_TIMEOUT_S ends with end_reason
// media_timeout, BYE to both sides. sipp is the carrier (tests/sip/
// invite_controls.xml plays g711a.pcap; invite_silent.xml sends nothing) and
// the phone (phone_answer.xml with -rtp_echo); what flows is read from
// media's counters (cc.media.list).
// make test: also under ThreadSanitizer
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { natsRequest } from './lib/nats.mjs';
import { decodeReply } from './lib/media.mjs';
import { sipStack } from './lib/sip.mjs';
import { getJson, sleep, until } from './lib/stack.mjs';

const ADMIN = 'controls-admin-token-0123456789abcdef';
const TIMEOUT_S = 5;

describe('call controls', () => {
  let suite;
  let stack;
  let http;
  let tools;
  let line;

  before(async () => {
    suite = await sipStack({ admin: ADMIN, prefix: 'ctl', env: { CC_MEDIA_TIMEOUT_S: String(TIMEOUT_S) },
      trunk: { name: 'Test carrier', addresses: ['127.0.0.1/32'] } });
    ({ stack, http, tools, line } = suite);
  });
  after(async () => {
    const res = await suite?.close();
    assert.equal(res?.code, 0);
    assert.deepEqual(res.sanitizer, []);
  });
  const enquiryOf = async (team) => {
    const keys = (await stack.redisCli('--scan', '--pattern', 'cc:call:enq:*')).stdout.trim().split('\n').filter(Boolean);
    for (const k of keys) {
      const id = k.slice('cc:call:enq:'.length);
      if ((await stack.redisCli('HGET', `cc:enq:${id}`, 'channel_id')).stdout.trim() === team.channel) return id;
    }
    return null;
  };
  const mediaLegs = async () => decodeReply(await natsRequest(stack.ports.CC_NATS_PORT, 'cc.media.list', Buffer.alloc(0))).legs;
  // The call's two legs with their counters: caller (sip-*) and staff (ring-*).
  const legs = async (callerLegId) => {
    const all = await mediaLegs();
    const caller = all.find((l) => l.leg_id === callerLegId);
    return { caller, staff: caller && all.find((l) => l.leg_id === caller.peer_leg_id) };
  };
  // How many packets a counter gains in ms.
  const gain = async (callerLegId, pick, ms = 1000) => {
    const a = pick(await legs(callerLegId));
    await sleep(ms);
    return pick(await legs(callerLegId)) - a;
  };

  // A call from sipp answered on sid's phone; resolves when audio flows both ways.
  async function answeredCall(scenario, { number, team }, sid, phoneScenario = 'phone_answer') {
    const ph = await tools.phone();
    assert.equal((await tools.register(sid, ph)).code, 0);
    const staff = tools.answerOn(sid, ph, phoneScenario);
    await staff.ready;
    const caller = tools.sipp(scenario, { service: number, timeoutS: 120 });
    const id = await until(() => enquiryOf(team), 20000, 'the call\'s enquiry');
    const callId = (await stack.redisCli('GET', `cc:call:enq:${id}`)).stdout.trim();
    return { id, callerLeg: `sip-${callId}`, staff, caller };
  }

  test('hold, resume, mute, unmute, dtmf and record on a call answered on a phone; others are refused', async () => {
    const { number, team } = await line(2);
    const [sid, other] = team.ids;
    const call = await answeredCall('invite_controls', { number, team }, sid);
    const token = team.staff[sid];
    const ctl = (action, body, tok = token, headers) => http('POST', `/enquiries/${call.id}/call/${action}`, body, tok, headers);
    await until(async () => {
      const l = await legs(call.callerLeg);
      return l.staff && l.caller.tx.packets > 20 && l.staff.tx.packets > 20;
    }, 30000, 'audio both ways through the bridge');

    // hold: nothing relayed either way; the phone (an echo) has nothing to send
    let r = await ctl('hold');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { held: true, muted: false, recording: false, record_path: '' });
    await sleep(300);
    assert.equal(await gain(call.callerLeg, (l) => l.staff.tx.packets), 0, 'caller to staff stops while held');
    assert.equal(await gain(call.callerLeg, (l) => l.staff.rx.packets), 0, 'nothing from the staff side while held');
    assert.ok((await legs(call.callerLeg)).caller.held);
    r = await ctl('resume', {});
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.held, false);
    await sleep(300);
    assert.ok(await gain(call.callerLeg, (l) => l.staff.tx.packets) > 20, 'caller to staff again');
    assert.ok(await gain(call.callerLeg, (l) => l.caller.tx.packets) > 20, 'staff to caller again');

    // mute: staff-to-caller stops, caller-to-staff goes on (R9.1)
    r = await ctl('mute');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { held: false, muted: true, recording: false, record_path: '' });
    await sleep(300);
    assert.equal(await gain(call.callerLeg, (l) => l.caller.tx.packets), 0, 'staff to caller stops while muted');
    assert.ok(await gain(call.callerLeg, (l) => l.staff.tx.packets) > 20, 'caller to staff goes on while muted');
    assert.ok((await legs(call.callerLeg)).staff.muted);

    // dtmf while muted: what the caller gets now are the RFC 4733 events only
    const before = (await legs(call.callerLeg)).caller.tx.packets;
    r = await ctl('dtmf', { digits: '12#' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await sleep(1500);
    const sent = (await legs(call.callerLeg)).caller.tx.packets - before;
    // 100 ms each: an update every 20 ms and the end three times, per digit
    assert.ok(sent >= 3 * 7 && sent <= 3 * 12, `telephone-event packets to the caller: ${sent}`);
    assert.equal(await gain(call.callerLeg, (l) => l.caller.tx.packets), 0, 'nothing more once the digits are sent');
    r = await ctl('unmute');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.muted, false);
    await sleep(300);
    assert.ok(await gain(call.callerLeg, (l) => l.caller.tx.packets) > 20, 'staff to caller again');

    // bad input, and nobody else may control the call
    r = await ctl('dtmf', { digits: '12x' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'digits');
    r = await ctl('dtmf', {});
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'digits');
    r = await ctl('record', { on: 'yes' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'on');
    r = await ctl('hold', { loud: true });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'loud');
    r = await ctl('hold', undefined, team.staff[other]);
    assert.equal(r.status, 403, JSON.stringify(r.body));
    r = await ctl('hold', undefined, 'v-not-a-staff-token');
    assert.equal(r.status, 403, JSON.stringify(r.body));
    r = await http('POST', '/enquiries/0190d4a0-0000-7000-8000-000000000000/call/hold', undefined, token);
    assert.equal(r.status, 404, JSON.stringify(r.body));
    r = await http('POST', `/enquiries/${call.id}/call/explode`, undefined, token);
    assert.equal(r.status, 404, JSON.stringify(r.body));

    // record on / off: one stereo WAV as long as the time recorded; its path on the enquiry
    const t0 = Date.now();
    r = await ctl('record', { on: true });
    const t1 = Date.now();
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.recording, true);
    assert.match(r.body.record_path, /\.wav$/);
    const file = r.body.record_path;
    const again = await ctl('record', { on: true });
    assert.deepEqual(again.body, r.body, 'recording already: the same state');
    await sleep(2000);
    const s0 = Date.now();
    r = await ctl('record', { on: false });
    const s1 = Date.now();
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { held: false, muted: false, recording: false, record_path: file });
    const wav = await until(() => {
      const b = readFileSync(file);
      const dataLen = b.readUInt32LE(40);
      return dataLen > 0 && b.length === 44 + dataLen && b;
    }, 10000, 'the WAV finalised');
    assert.equal(wav.readUInt16LE(22), 2, 'two channels: caller left, staff right');
    assert.equal(wav.readUInt32LE(24), 8000);
    const seconds = wav.readUInt32LE(40) / 4 / 8000;
    const wall = ((s0 + s1) / 2 - (t0 + t1) / 2) / 1000;
    assert.ok(Math.abs(seconds - wall) <= 0.5, `file ${seconds.toFixed(3)} s, recorded ${wall.toFixed(3)} s`);
    const e = await http('GET', `/enquiries/${call.id}`, undefined, token);
    assert.equal(e.status, 200, JSON.stringify(e.body));
    assert.deepEqual(e.body.enquiry.recordings, [file]);

    // the staff member ends the call: the caller and the phone get BYE
    r = await http('POST', `/enquiries/${call.id}/end`, undefined, token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const c = await call.caller;
    assert.equal(c.code, 0, c.out);
    const s = await call.staff;
    assert.equal(s.code, 0, s.out);
    r = await ctl('hold');
    assert.equal(r.status, 409, 'an ended call');
  });

  // The call's two legs once flag(leg) holds, then what each direction
  // gains over 800 ms: {toCaller, toPhone}.
  const flows = async (callerLeg, what, flag) => {
    await until(async () => flag(await legs(callerLeg)), 15000, what);
    const a = await legs(callerLeg);
    await sleep(800);
    const b = await legs(callerLeg);
    assert.ok(flag(b), `${what}: still so after the measurement`);
    return { toCaller: b.caller.tx.packets - a.caller.tx.packets, toPhone: b.staff.tx.packets - a.staff.tx.packets };
  };

  test('the carrier holds (re-INVITE a=sendonly, answered a=recvonly): nothing goes to the caller, its audio still reaches the phone; resume restores both ways', async () => {
    const { number, team } = await line(1);
    const [sid] = team.ids;
    const call = await answeredCall('invite_hold', { number, team }, sid);
    const both = await flows(call.callerLeg, 'audio both ways', (l) => l.staff && l.caller.tx.packets > 20 && l.staff.tx.packets > 20 && !l.caller.peer_hold);
    assert.ok(both.toCaller > 20 && both.toPhone > 20, JSON.stringify(both));
    const held = await flows(call.callerLeg, 'the caller leg held by its carrier', (l) => l.caller?.peer_hold === true);
    assert.equal(held.toCaller, 0, 'nothing sent to a carrier that holds');
    assert.ok(held.toPhone > 20, `the caller's audio (music on hold) still reaches the phone: ${held.toPhone}`);
    const back = await flows(call.callerLeg, 'resumed', (l) => l.caller?.peer_hold === false);
    assert.ok(back.toCaller > 20 && back.toPhone > 20, `both ways again: ${JSON.stringify(back)}`);
    assert.equal((await http('POST', `/enquiries/${call.id}/end`, undefined, team.staff[sid])).status, 200);
    const c = await call.caller;
    assert.equal(c.code, 0, c.out);
    // the answers: the same o= session, the version one up each time
    const answers = [...c.log.matchAll(/^o=cc-ingress (\d+) (\d+) /gm)].map((m) => [m[1], Number(m[2])]);
    assert.deepEqual(answers.map((a) => a[1]), [1, 2, 3], c.log);
    assert.equal(new Set(answers.map((a) => a[0])).size, 1, 'one session id');
    assert.equal((await call.staff).code, 0);
  });

  test('the staff phone holds from its own keys (re-INVITE a=inactive): nothing goes to it, its silence past CC_MEDIA_TIMEOUT_S does not end the call; resume restores', async () => {
    const { number, team } = await line(1);
    const [sid] = team.ids;
    const call = await answeredCall('invite_controls', { number, team }, sid, 'phone_hold');
    const held = await flows(call.callerLeg, 'the phone leg held by the phone', (l) => l.staff?.peer_hold === true);
    assert.equal(held.toPhone, 0, 'nothing sent to a phone that holds');
    assert.equal(held.toCaller, 0, 'the echo phone has nothing to send back');
    // the phone resumes after 7 s (> CC_MEDIA_TIMEOUT_S): the call was not ended meanwhile
    const back = await flows(call.callerLeg, 'resumed by the phone', (l) => l.staff?.peer_hold === false && l.staff.tx.packets > 0);
    assert.ok(back.toCaller > 20 && back.toPhone > 20, `both ways again: ${JSON.stringify(back)}`);
    assert.equal((await stack.redisCli('HGET', `cc:enq:${call.id}`, 'state')).stdout.trim(), 'active', 'the call went on through the hold');
    assert.equal((await http('POST', `/enquiries/${call.id}/end`, undefined, team.staff[sid])).status, 200);
    const s = await call.staff;
    assert.equal(s.code, 0, s.out);
    assert.match(s.log, /^SIP\/2\.0 200 OK[\s\S]*a=inactive/m, 'the hold answered a=inactive');
    assert.equal((await call.caller).code, 0);
  });

  test(`a caller silent for CC_MEDIA_TIMEOUT_S: the call ends with media_timeout, BYE to both sides`, async () => {
    const { number, team } = await line(1);
    const [sid] = team.ids;
    const call = await answeredCall('invite_silent', { number, team }, sid);
    const c = await call.caller;
    assert.equal(c.code, 0, c.out);
    assert.match(c.log, /^BYE sip:/m, 'the caller got BYE');
    const s = await call.staff;
    assert.equal(s.code, 0, s.out);
    assert.match(s.log, /^BYE sip:/m, 'the phone got BYE');
    await until(async () => (await stack.redisCli('HGET', `cc:enq:${call.id}`, 'state')).stdout.trim() === 'ended', 10000, 'the enquiry ended');
    assert.equal((await stack.redisCli('HGET', `cc:enq:${call.id}`, 'end_reason')).stdout.trim(), 'media_timeout');
    const e = await http('GET', `/enquiries/${call.id}`, undefined, team.staff[sid]);
    assert.equal(e.body.enquiry.end_reason, 'media_timeout');
    await until(async () => !(await mediaLegs()).some((l) => l.leg_id === call.callerLeg || l.leg_id.startsWith('ring-')),
      10000, 'both legs released');
  });

  test('ingress killed during a call: the audio goes on, and the restarted ingress still ends the call', async () => {
    const { number, team } = await line(1);
    const [sid] = team.ids;
    const call = await answeredCall('invite_controls', { number, team }, sid);
    await until(async () => {
      const l = await legs(call.callerLeg);
      return l.staff && l.caller.tx.packets > 20 && l.staff.tx.packets > 20;
    }, 30000, 'audio both ways through the bridge');
    const pid = stack.pidOf('ingress-1');
    process.kill(pid, 'SIGKILL');
    // the packets are media's: they flow both ways while no ingress runs
    await until(async () => !existsSync(`/proc/${pid}`) || /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')), 10000, 'ingress gone');
    assert.ok(await gain(call.callerLeg, (l) => l.staff.tx.packets) > 20, 'caller to staff with ingress down');
    assert.ok(await gain(call.callerLeg, (l) => l.caller.tx.packets) > 20, 'staff to caller with ingress down');
    // the supervisor starts ingress again; the call is in Redis, not in the
    // process, so the new one ends it (BYE to both sides from the stored dialog)
    await until(async () => {
      const p = stack.pidOf('ingress-1');
      return p !== pid && (await getJson(`${stack.url}/api/v1/status`)).body.services
        .find((x) => x.name === 'ingress').instances.some((i) => i.pid === p && i.ready);
    }, 60000, 'ingress restarted and ready');
    assert.ok(await gain(call.callerLeg, (l) => l.caller.tx.packets) > 20, 'the call goes on after the restart');
    const r = await http('POST', `/enquiries/${call.id}/end`, undefined, team.staff[sid]);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const c = await call.caller;
    assert.equal(c.code, 0, c.out);
    assert.match(c.log, /^BYE sip:/m, 'the caller got BYE');
    const st = await call.staff;
    assert.equal(st.code, 0, st.out);
    assert.match(st.log, /^BYE sip:/m, 'the phone got BYE');
    await until(async () => !(await mediaLegs()).some((l) => l.leg_id === call.callerLeg), 10000, 'the legs released');
  });
});
