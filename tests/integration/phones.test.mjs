// Issue 9, staff phones: a staff member's SIP phone registers with ingress
// (digest against the staff credentials) and rings whenever the console would
// be offered a call; answering on it goes through the same atomic answer as
// the console, the other phones get CANCEL, the legs are bridged in media,
// and BYE from either side ends both. sipp plays the phones (tests/sip/
// register*.xml, phone_*.xml, each on a loopback address of its own) and the
// carrier (invite_*.xml) against the real stack.
// make test: also under ThreadSanitizer
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { natsRequest } from './lib/nats.mjs';
import { decodeReply } from './lib/media.mjs';
import { finals, sipStack } from './lib/sip.mjs';
import { sleep, until } from './lib/stack.mjs';

const ADMIN = 'phones-admin-token-0123456789abcdef';

describe('ingress: staff phones', () => {
  let suite;
  let stack;
  let http;
  let line;
  let phone, sipp, register, answerOn;

  before(async () => {
    suite = await sipStack({ admin: ADMIN, prefix: 'ph', trunk: { name: 'Test carrier', addresses: ['127.0.0.1/32'] } });
    ({ stack, http, line } = suite);
    ({ phone, sipp, register, answerOn } = suite.tools);
  });
  after(async () => {
    const res = await suite?.close();
    assert.equal(res?.code, 0);
    assert.deepEqual(res.sanitizer, []);
  });

  const bindings = async (sid) => {
    const out = (await stack.redisCli('HKEYS', `cc:reg:${sid}`)).stdout.trim();
    return out === '' ? [] : out.split('\n');
  };
  const enquiry = async (id) => {
    const [state, by, why] = (await stack.redisCli('HMGET', `cc:enq:${id}`, 'state', 'answered_by', 'end_reason')).stdout.split('\n');
    return { state, answered_by: by, end_reason: why };
  };
  const enquiryOfNumber = async (team) => {
    const out = (await stack.redisCli('--scan', '--pattern', 'cc:call:enq:*')).stdout.trim().split('\n').filter(Boolean);
    for (const k of out) {
      const id = k.slice('cc:call:enq:'.length);
      if ((await stack.redisCli('HGET', `cc:enq:${id}`, 'channel_id')).stdout.trim() === team.channel) return id;
    }
    return null;
  };
  const mediaLegs = async () => decodeReply(await natsRequest(stack.ports.CC_NATS_PORT, 'cc.media.list', Buffer.alloc(0))).legs;
  // When (ms since the epoch) a trace_msg log sent or received the first
  // message matching re.
  const when = (log, re) => {
    for (const block of log.split(/^-{20,} /m)) {
      const m = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d+)/.exec(block);
      if (m && re.test(block)) return Date.parse(`${m[1]}Z`) + Number(`0.${m[2]}`) * 1000;
    }
    return null;
  };

  test('a staff phone registers with digest and is listed; a wrong password gets 403; Expires: 0 removes it', async () => {
    const { team } = await line(1);
    const [sid] = team.ids;
    const ph = await phone();
    const r = await register(sid, ph);
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(finals(r.log), [401, 200], r.log);
    assert.match(r.log, /^WWW-Authenticate: Digest realm="[^"]+", nonce="[0-9a-f]{32}", algorithm=MD5, qop="auth"/m);
    const contact = `sip:${sid}@${ph.ip}:${ph.port}`;
    assert.match(r.log, new RegExp(`^Contact: <${contact}>;expires=(60|59)`, 'm'));
    assert.deepEqual(await bindings(sid), [contact]);
    // a REGISTER without Contact lists the bindings
    const q = await sipp('register_query', { service: sid, ip: ph.ip, extra: ['-au', sid, '-ap', 'password-1'] });
    assert.equal(q.code, 0, q.out);
    assert.match(q.log, new RegExp(`^Contact: <${contact}>;expires=\\d+`, 'm'));
    // a second phone: both listed
    const ph2 = await phone();
    assert.equal((await register(sid, ph2)).code, 0);
    assert.equal((await bindings(sid)).length, 2);
    // wrong password, unknown user: 403 after the challenge, nothing stored
    const bad = await register(sid, await phone(), { password: 'wrong-password', scenario: 'register_refused' });
    assert.equal(bad.code, 0, bad.out);
    assert.deepEqual(finals(bad.log), [401, 403], bad.log);
    const nobody = await register('nobody', await phone(), { scenario: 'register_refused' });
    assert.equal(nobody.code, 0, nobody.out);
    assert.equal((await bindings(sid)).length, 2);
    // Expires: 0 removes that binding only
    const off = await register(sid, ph, { expires: 0 });
    assert.equal(off.code, 0, off.out);
    assert.deepEqual(await bindings(sid), [`sip:${sid}@${ph2.ip}:${ph2.port}`]);
  });

  test('Expires is honoured (a short one is gone afterwards) and capped at 3600', async () => {
    const { team } = await line(1);
    const [sid] = team.ids;
    const ph = await phone();
    const long = await register(sid, ph, { expires: 7200 });
    assert.equal(long.code, 0, long.out);
    assert.match(long.log, /;expires=(3600|3599)/);
    const short = await register(sid, ph, { expires: 2 });
    assert.equal(short.code, 0, short.out);
    assert.match(short.log, /;expires=[12]\b/);
    await until(async () => (await bindings(sid)).length === 0, 10000, 'the binding expired');
    const q = await sipp('register_query', { service: sid, ip: ph.ip, extra: ['-au', sid, '-ap', 'password-1'] });
    assert.equal(q.code, 0, q.out);
    assert.doesNotMatch(q.log.split(/SIP\/2\.0 200/)[1] ?? '', /^Contact:/m, 'no binding listed');
  });

  test('answered on the phone: audio both ways through the bridge; the caller\'s BYE ends the enquiry and BYEs the phone', async () => {
    const { number, team } = await line(1);
    const [sid] = team.ids;
    const ph = await phone();
    assert.equal((await register(sid, ph)).code, 0);
    const staff = answerOn(sid, ph, 'phone_answer');
    await staff.ready;
    const call = sipp('invite_answered_bye', { service: number });
    // the phone's echo of the caller's audio comes back to the caller:
    // media's counter of what it sent the caller's leg
    const leg = await until(async () => (await mediaLegs()).find((l) => l.leg_id.startsWith('sip-') && l.tx.packets > 20 && l.peer_leg_id.startsWith('ring-')),
      30000, 'RTP echoed back to the caller through the bridge');
    console.log(`# caller leg: ${leg.rx.packets} packets in, ${leg.tx.packets} out (the phone's echo)`);
    const r = await call;
    assert.equal(r.code, 0, r.out);
    assert.match(r.log, /^SIP\/2\.0 200 OK[\s\S]*m=audio \d+ RTP\/AVP 8 101/m);
    const s = await staff;
    assert.equal(s.code, 0, s.out);
    assert.match(s.log, /^INVITE sip:/m);
    assert.match(s.log, /m=audio \d+ RTP\/AVP 0 8 101/);
    assert.match(s.log, /^BYE sip:/m, 'the phone got BYE');
    const id = await enquiryOfNumber(team);
    await endedByCaller(id, sid, leg);
  });

  test('three phones ring: one answers, the other two get CANCEL (delay printed); its BYE ends the call and BYEs the caller', async () => {
    const { number, team } = await line(3);
    const phones = [];
    for (const sid of team.ids) {
      const ph = await phone();
      assert.equal((await register(sid, ph)).code, 0);
      phones.push(ph);
    }
    const [a, b, c] = team.ids;
    const winner = answerOn(a, phones[0], 'phone_answer_bye');
    const losers = [answerOn(b, phones[1], 'phone_ring'), answerOn(c, phones[2], 'phone_ring')];
    await Promise.all([winner.ready, ...losers.map((l) => l.ready)]);
    const call = sipp('invite_answered', { service: number });
    const w = await winner;
    assert.equal(w.code, 0, w.out);
    const answeredAt = when(w.log, /sent[\s\S]*SIP\/2\.0 200 OK[\s\S]*CSeq: \d+ INVITE/);
    assert.ok(answeredAt, w.log);
    for (const l of losers) {
      const r = await l;
      assert.equal(r.code, 0, r.out);
      assert.ok(finals(r.log).includes(487), r.log);
      const cancelledAt = when(r.log, /received[\s\S]*^CANCEL sip:/m);
      assert.ok(cancelledAt, r.log);
      console.log(`# CANCEL ${(cancelledAt - answeredAt).toFixed(1)} ms after the winning phone's 200 OK`);
    }
    const r = await call;
    assert.equal(r.code, 0, r.out);
    assert.match(r.log, /^BYE sip:/m, 'the caller got BYE');
    const id = await enquiryOfNumber(team);
    await until(async () => (await enquiry(id)).state === 'ended', 10000, 'the enquiry ended');
    assert.equal((await enquiry(id)).answered_by, a);
  });

  test('a phone that rejects (486) stops ringing alone: another answers and the call goes on', async () => {
    const { number, team } = await line(2);
    const [a, b] = team.ids;
    const pa = await phone();
    const pb = await phone();
    assert.equal((await register(a, pa)).code, 0);
    assert.equal((await register(b, pb)).code, 0);
    const busy = answerOn(a, pa, 'phone_reject');
    const taker = answerOn(b, pb, 'phone_answer');
    await Promise.all([busy.ready, taker.ready]);
    const call = sipp('invite_answered_bye', { service: number });
    const nb = await busy;
    assert.equal(nb.code, 0, nb.out);
    const r = await call;
    assert.equal(r.code, 0, r.out);
    assert.ok(finals(r.log).includes(200), r.log);
    const t = await taker;
    assert.equal(t.code, 0, t.out);
    const id = await enquiryOfNumber(team);
    await until(async () => (await enquiry(id)).state === 'ended', 10000, 'the enquiry ended');
    assert.equal((await enquiry(id)).answered_by, b);
  });

  test('answered from the console while the phone rings: the phone gets CANCEL, the caller 200 (no bridge: a console has no media leg yet)', async () => {
    const { number, team } = await line(1);
    const [sid] = team.ids;
    const { run: ringing } = await phoneOf(sid, 'phone_ring');
    const { call, id } = await waitingFor(team, sid, number);
    await until(async () => (await stack.redisCli('HLEN', `cc:call:${(await stack.redisCli('GET', `cc:call:enq:${id}`)).stdout.trim()}:rings`)).stdout.trim() === '1',
      10000, 'the phone rung');
    const ans = await http('POST', `/enquiries/${id}/answer`, undefined, team.staff[sid]);
    assert.equal(ans.status, 200, JSON.stringify(ans.body));
    const p = await ringing;
    assert.equal(p.code, 0, p.out);
    assert.ok(finals(p.log).includes(487), p.log);
    assert.match(p.log, /^CANCEL sip:/m);
    const end = await http('POST', `/enquiries/${id}/end`, undefined, team.staff[sid]);
    assert.equal(end.status, 200, JSON.stringify(end.body));
    const r = await call;
    assert.equal(r.code, 0, r.out);
    assert.match(r.log, /^BYE sip:/m);
    assert.equal((await enquiry(id)).answered_by, sid);
    await until(async () => !(await mediaLegs()).some((l) => l.leg_id.startsWith('ring-')), 10000, 'the phone\'s leg released');
  });
  // Offers after the call started come as cc.note.enquiry.offered /
  // .withdrawn (core NATS, one per staff member): the replica holding the
  // INVITE rings or cancels that staff member's phones.
  const setStatus = async (team, sid, status) => {
    const r = await http('PUT', '/me/status', { status }, team.staff[sid]);
    assert.equal(r.status, 200, JSON.stringify(r.body));
  };
  const pendingOf = async (team, sid) => (await http('GET', '/pending', undefined, team.staff[sid])).body.pending.map((p) => p.enquiry.id);
  const ringsOf = async (id, sid) => {
    const call = (await stack.redisCli('GET', `cc:call:enq:${id}`)).stdout.trim();
    const out = (await stack.redisCli('HKEYS', `cc:call:${call}:rings`)).stdout.trim();
    return out === '' ? [] : out.split('\n').filter((k) => k.startsWith(`${sid} `));
  };
  // The caller hung up a call answered by sid on a phone: the enquiry ends
  // caller_hung_up as sid's, and both legs of the bridge (leg: the
  // caller's, as media listed it) are released.
  async function endedByCaller(id, sid, leg) {
    await until(async () => (await enquiry(id)).state === 'ended', 10000, 'the enquiry ended');
    const e = await enquiry(id);
    assert.equal(e.answered_by, sid);
    assert.equal(e.end_reason, 'caller_hung_up');
    await until(async () => !(await mediaLegs()).some((l) => l.leg_id === leg.leg_id || l.leg_id === leg.peer_leg_id),
      10000, 'both legs released');
  }

  // sid's phone, registered and listening with scenario: {ph, run}.
  async function phoneOf(sid, scenario) {
    const ph = await phone();
    assert.equal((await register(sid, ph)).code, 0);
    const run = answerOn(sid, ph, scenario);
    await run.ready;
    return { ph, run };
  }
  // A call from sipp (scenario) to number, once it waits in who's panel: {call, id}.
  async function waitingFor(team, who, number, scenario = 'invite_answered') {
    const call = sipp(scenario, { service: number });
    const [id] = await until(async () => {
      const p = await pendingOf(team, who);
      return p.length === 1 && p;
    }, 20000, `the call in ${who}'s panel`);
    return { call, id };
  }

  test('a staff member who becomes available while a call waits: their phone rings, answers, and the legs are bridged', async () => {
    const { number, team } = await line(2);
    const [a, b] = team.ids; // a keeps the call waiting (no phone); b is busy at first
    await setStatus(team, b, 'busy');
    const { run: staff } = await phoneOf(b, 'phone_answer');
    const { call, id } = await waitingFor(team, a, number, 'invite_answered_bye');
    assert.deepEqual(await pendingOf(team, b), [], 'not offered to b while busy');
    assert.deepEqual(await ringsOf(id, b), [], 'b\'s phone not rung while busy');
    await setStatus(team, b, 'online');
    const leg = await until(async () => (await mediaLegs()).find((l) => l.leg_id.startsWith('sip-') && l.tx.packets > 20 && l.peer_leg_id.startsWith('ring-')),
      30000, 'the caller bridged to b\'s phone (RTP echoed back)');
    const r = await call;
    assert.equal(r.code, 0, r.out);
    assert.match(r.log, /^SIP\/2\.0 200 OK[\s\S]*m=audio \d+ RTP\/AVP 8 101/m);
    const s = await staff;
    assert.equal(s.code, 0, s.out);
    assert.match(s.log, /^INVITE sip:/m);
    assert.match(s.log, /^BYE sip:/m, 'the phone got BYE');
    await endedByCaller(id, b, leg);
  });

  test('a staff member who stops being available while their phone rings: it gets CANCEL; available again, it rings anew and answers', async () => {
    const { number, team } = await line(2);
    const [a, b] = team.ids;
    const { ph, run: ringing } = await phoneOf(b, 'phone_ring');
    const { call, id } = await waitingFor(team, a, number);
    await until(async () => (await ringsOf(id, b)).length === 1, 10000, 'b\'s phone rung');
    await setStatus(team, b, 'busy');
    const p = await ringing;
    assert.equal(p.code, 0, p.out);
    assert.match(p.log, /^CANCEL sip:/m);
    assert.ok(finals(p.log).includes(487), p.log);
    assert.deepEqual(await pendingOf(team, a), [id], 'still waiting for a');
    // online again: the same phone rings anew (a ring of its own) and answers
    const staff = answerOn(b, ph, 'phone_answer');
    await staff.ready;
    await setStatus(team, b, 'online');
    await until(async () => (await enquiry(id)).state === 'active', 30000, 'answered on b\'s phone');
    assert.equal((await enquiry(id)).answered_by, b);
    await until(async () => (await mediaLegs()).some((l) => l.leg_id.startsWith('sip-') && l.peer_leg_id.startsWith('ring-')),
      10000, 'the caller bridged to b\'s phone');
    const end = await http('POST', `/enquiries/${id}/end`, undefined, team.staff[b]);
    assert.equal(end.status, 200, JSON.stringify(end.body));
    const r = await call;
    assert.equal(r.code, 0, r.out);
    assert.match(r.log, /^BYE sip:/m);
    const s = await staff;
    assert.equal(s.code, 0, s.out);
    assert.match(s.log, /^BYE sip:/m, 'the phone got BYE');
  });

  test('transfers follow on the phones: consult to a colleague answered on their phone moves the caller there (the sender\'s phone gets BYE); blind hangs the sender\'s phone up at once and rings the target\'s', async () => {
    const { number, team } = await line(3);
    const [a, b, c] = team.ids;
    const { run: onA } = await phoneOf(a, 'phone_answer');
    const call = sipp('invite_controls', { service: number, timeoutS: 120 });
    const id = await until(() => enquiryOfNumber(team), 20000, 'the call\'s enquiry');
    await until(async () => (await enquiry(id)).answered_by === a, 30000, 'answered on a\'s phone');
    const callId = (await stack.redisCli('GET', `cc:call:enq:${id}`)).stdout.trim();
    const callerLeg = `sip-${callId}`;
    // the caller's leg bridged to a phone (ring-*) of staff sid, audio both ways
    const bridgedTo = async (sid, what) => {
      const ring = await until(async () => {
        const r = (await stack.redisCli('HGET', `cc:call:${callId}`, 'ring')).stdout.trim();
        return r && (await stack.redisCli('HGET', `cc:ring:${r}`, 'staff')).stdout.trim() === sid && r;
      }, 30000, `${what}: the call's phone is ${sid}'s`);
      const legs = await mediaLegs();
      const start = legs.find((l) => l.leg_id === callerLeg);
      await until(async () => {
        const l = (await mediaLegs()).find((x) => x.leg_id === callerLeg);
        return l && l.peer_leg_id === `ring-${ring}` && l.tx.packets > (start?.tx.packets ?? 0) + 20;
      }, 30000, `${what}: the caller bridged to ${sid}'s phone and hearing it`);
    };
    await bridgedTo(a, 'answered');

    // consult to b, answered on b's phone
    const { run: onB } = await phoneOf(b, 'phone_answer');
    let r = await http('POST', `/enquiries/${id}/transfer`, { to_staff_id: b, mode: 'consult' }, team.staff[a]);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await bridgedTo(b, 'consult taken on b\'s phone');
    const sa = await onA;
    assert.equal(sa.code, 0, sa.out);
    assert.match(sa.log, /^BYE sip:/m, 'the sender\'s phone got BYE');
    assert.equal((await enquiry(id)).answered_by, b);

    // blind to c: b's phone hangs up at once, c's rings and answers
    const { run: onC } = await phoneOf(c, 'phone_answer');
    r = await http('POST', `/enquiries/${id}/transfer`, { to_staff_id: c, mode: 'blind' }, team.staff[b]);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const sb = await onB;
    assert.equal(sb.code, 0, sb.out);
    assert.match(sb.log, /^BYE sip:/m, 'the blind sender\'s phone got BYE');
    await bridgedTo(c, 'blind transfer taken on c\'s phone');
    assert.equal((await enquiry(id)).answered_by, c);
    // the call controls are c's now
    const held = await http('POST', `/enquiries/${id}/call/hold`, undefined, team.staff[c]);
    assert.equal(held.status, 200, JSON.stringify(held.body));
    assert.equal((await http('POST', `/enquiries/${id}/call/resume`, undefined, team.staff[b])).status, 403);

    const end = await http('POST', `/enquiries/${id}/end`, undefined, team.staff[c]);
    assert.equal(end.status, 200, JSON.stringify(end.body));
    const caller = await call;
    assert.equal(caller.code, 0, caller.out);
    assert.match(caller.log, /^BYE sip:/m);
    const sc = await onC;
    assert.equal(sc.code, 0, sc.out);
    assert.match(sc.log, /^BYE sip:/m, 'the last phone got BYE');
    await until(async () => !(await mediaLegs()).some((l) => l.leg_id === callerLeg), 10000, 'the legs released');
  });

  test('a blind transfer nobody takes: the caller waits on hold audio, the target\'s phone stops ringing, the sender\'s rings again; not taken either, the caller gets BYE (max_wait)', async () => {
    const { number, team } = await line(2, { max_wait_direct_s: 2 });
    const [a, b] = team.ids;
    const { ph: phA, run: onA } = await phoneOf(a, 'phone_answer');
    const call = sipp('invite_controls', { service: number, timeoutS: 120 });
    const id = await until(() => enquiryOfNumber(team), 20000, 'the call\'s enquiry');
    await until(async () => (await enquiry(id)).answered_by === a, 30000, 'answered on a\'s phone');
    const { run: ringB } = await phoneOf(b, 'phone_ring');
    const r = await http('POST', `/enquiries/${id}/transfer`, { to_staff_id: b, mode: 'blind' }, team.staff[a]);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const sa = await onA;
    assert.equal(sa.code, 0, sa.out);
    assert.match(sa.log, /^BYE sip:/m, 'the sender\'s phone hung up at once');
    // the caller, alone, hears hold audio while the transfer rings
    const callId = (await stack.redisCli('GET', `cc:call:enq:${id}`)).stdout.trim();
    const alone = async () => (await mediaLegs()).find((l) => l.leg_id === `sip-${callId}`);
    const l0 = await until(async () => {
      const l = await alone();
      return l && l.peer_leg_id === '' && l.held && l;
    }, 5000, 'the caller alone, on hold');
    await sleep(600);
    const l1 = await alone();
    assert.ok(l1.tx.packets - l0.tx.packets >= 20, `hold audio to the caller: ${l1.tx.packets - l0.tx.packets} packets in 600 ms`);
    // a's phone listens again before the transfer returns to a (2 s)
    const ringA = answerOn(a, phA, 'phone_ring');
    await ringA.ready;
    const pb = await ringB;
    assert.equal(pb.code, 0, pb.out);
    assert.match(pb.log, /^CANCEL sip:/m, 'the target\'s phone stopped ringing');
    const pa = await ringA;
    assert.equal(pa.code, 0, pa.out);
    assert.match(pa.log, /^INVITE sip:/m, 'offered back: the sender\'s phone rang');
    assert.match(pa.log, /^CANCEL sip:/m);
    const caller = await call;
    assert.equal(caller.code, 0, caller.out);
    assert.match(caller.log, /^BYE sip:/m, 'the caller got BYE once nobody took it');
    await until(async () => (await enquiry(id)).state === 'missed', 10000, 'the enquiry missed');
  });

  test('offers stored but never notified (a lost notification) are caught up: the phone rings within the resync period; withdrawn the same way, it gets CANCEL', async () => {
    const { number, team } = await line(2);
    const [a, b] = team.ids; // a takes it from the console; b is busy, so not offered
    await setStatus(team, b, 'busy');
    const { run: ringing } = await phoneOf(b, 'phone_ring');
    const { call, id } = await waitingFor(team, a, number);
    assert.deepEqual(await ringsOf(id, b), [], 'b is not offered: no ring');
    // the queue's stored offers say b, and no notification comes
    await stack.redisCli('SADD', `cc:enq:${id}:offered`, b);
    await until(async () => (await ringsOf(id, b)).length === 1, 15000, 'b\'s phone rung by the resync');
    await stack.redisCli('SREM', `cc:enq:${id}:offered`, b);
    const p = await ringing;
    assert.equal(p.code, 0, p.out);
    assert.match(p.log, /^CANCEL sip:/m, 'no longer offered: CANCEL');
    assert.equal((await http('POST', `/enquiries/${id}/answer`, undefined, team.staff[a])).status, 200);
    assert.equal((await http('POST', `/enquiries/${id}/end`, undefined, team.staff[a])).status, 200);
    const r = await call;
    assert.equal(r.code, 0, r.out);
  });
});
