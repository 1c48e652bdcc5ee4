// Issue 9, R7.2: outbound calls. POST /api/v1/calls by a staff member rings
// their registered phone first (sipp as the phone, a UAS), then dials the
// number through the trunk's outbound_uri (sipp as the carrier, a UAS on
// another loopback address, echoing RTP); the two legs are bridged in media;
// while it lasts the staff member's activity is "making an outbound call",
// set and cleared by the system.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { natsRequest } from './lib/nats.mjs';
import { decodeReply } from './lib/media.mjs';
import { sipStack } from './lib/sip.mjs';
import { freePort, until } from './lib/stack.mjs';
import { makeTeam } from './lib/team.mjs';

const ADMIN = 'outbound-admin-token-0123456789abcdef';

describe('outbound calls', () => {
  let suite;
  let stack;
  let http;
  let tools;
  let line;
  let carrier; // {ip, port} of the trunk's outbound_uri

  before(async () => {
    carrier = { ip: '127.0.0.2', port: await freePort() };
    suite = await sipStack({ admin: ADMIN, prefix: 'ob', trunk: { name: 'Test carrier', addresses: ['127.0.0.0/24'],
      outbound_uri: `sip:${carrier.ip}:${carrier.port}` } });
    ({ stack, http, tools, line } = suite);
    assert.equal(suite.trunk.outbound_uri, `sip:${carrier.ip}:${carrier.port}`);
  });
  after(async () => {
    const res = await suite?.close();
    assert.equal(res?.code, 0);
    assert.deepEqual(res.sanitizer, []);
  });

  // A UAS (phone or carrier) that is listening before the call starts.
  const uas = (scenario, who, service = 'uas') => tools.answerOn(service, who, scenario);
  const register = (sid, ph) => tools.register(sid, ph, { expires: 120 });
  const mediaLegs = async () => decodeReply(await natsRequest(stack.ports.CC_NATS_PORT, 'cc.media.list', Buffer.alloc(0))).legs;
  const me = async (token) => (await http('GET', '/me', undefined, token)).body;
  const post = async (token, body, key) => {
    const headers = { authorization: `Bearer ${token}` };
    if (key) headers['Idempotency-Key'] = key;
    const res = await fetch(`${stack.url}/api/v1/calls`, { method: 'POST', headers, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };

  // A staff member with a registered phone ready to answer the outbound
  // ring, and the carrier playing scenario: {number, team, sid, token,
  // staffPhone, callee} (the two sipp runs).
  async function ready(scenario) {
    const { number, team } = await line(1);
    const [sid] = team.ids;
    const ph = await tools.phone();
    assert.equal((await register(sid, ph)).code, 0);
    const staffPhone = uas('phone_outbound', ph, sid);
    const callee = uas(scenario, { ...carrier, mport: await freePort() });
    await staffPhone.ready;
    await callee.ready;
    return { number, team, sid, token: team.staff[sid], staffPhone, callee };
  }

  test('the phone rings and answers, the carrier is dialled with the right Request-URI and From, 200: bridged; outbound activity meanwhile; a retried POST dials once; DELETE ends both and clears it', async () => {
    const { number, team, sid, token, staffPhone, callee } = await ready('carrier_answer');
    const key = randomUUID();
    const body = { to: '+852-6123-4567', from_number: number };
    const r = await post(token, body, key);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.state, 'calling_staff');
    assert.equal(r.body.to, '+85261234567');
    assert.equal(r.body.from_number, number);
    assert.equal(r.body.channel_id, team.channel);
    assert.equal(r.body.staff_id, sid);
    assert.equal(r.body.outbound, true);
    const id = r.body.id;
    // retried: the same call, nothing dialled again
    const again = await post(token, body, key);
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.equal(again.body.id, id);
    // the same key with another body: 422
    assert.equal((await post(token, { ...body, to: '+85261234568' }, key)).status, 422);
    const m = await me(token);
    assert.equal(m.activity.outbound_call, true);
    await until(async () => (await http('GET', `/calls/${id}`, undefined, token)).body.state === 'answered', 30000, 'the call answered');
    const leg = await until(async () => (await mediaLegs()).find((l) => l.leg_id === `dial-${id}` && l.rx.packets > 20 && l.tx.packets > 20),
      30000, 'audio both ways on the carrier leg (the phone plays, the carrier echoes)');
    assert.match(leg.peer_leg_id, /^ring-/);
    console.log(`# carrier leg: ${leg.rx.packets} packets in, ${leg.tx.packets} out`);
    // R7.2: making an outbound call does not hold back offers
    const during = await me(token);
    assert.equal(during.activity.outbound_call, true);
    assert.equal(during.call_available, true);
    // another staff member may not see or end it
    const other = await makeTeam(http, ADMIN, 1, {}, 'ob');
    assert.equal((await http('GET', `/calls/${id}`, undefined, other.staff[other.ids[0]])).status, 403);
    // the console cannot clear the system's activity
    assert.equal((await http('PUT', '/me/activity', { outbound_call: false }, token)).status, 409);
    assert.equal((await http('PUT', '/me/activity', { outbound_call: true, call_id: id }, token)).status, 400);
    const d = await http('DELETE', `/calls/${id}`, undefined, token);
    assert.equal(d.status, 200, JSON.stringify(d.body));
    assert.equal(d.body.state, 'ended');
    assert.equal(d.body.end_reason, 'staff_hung_up');
    const c = await callee;
    assert.equal(c.code, 0, c.out);
    assert.equal([...c.log.matchAll(/^INVITE sip:/gm)].length, 1, 'the carrier got one INVITE');
    assert.match(c.log, new RegExp(`^INVITE sip:\\+85261234567@${carrier.ip}:${carrier.port} SIP/2.0`, 'm'));
    assert.match(c.log, new RegExp(`^From: <sip:\\${number}@127\\.0\\.0\\.1:${stack.ports.CC_SIP_PORT}>;tag=`, 'm'));
    assert.match(c.log, /^BYE sip:/m);
    const s = await staffPhone;
    assert.equal(s.code, 0, s.out);
    assert.match(s.log, /^From: "\+85261234567" <sip:\+85261234567@/m, 'the phone shows the number dialled');
    assert.match(s.log, /^BYE sip:/m, 'the phone got BYE');
    await until(async () => (await me(token)).activity.outbound_call === false, 10000, 'the activity cleared');
    await until(async () => !(await mediaLegs()).some((l) => l.leg_id === `dial-${id}` || l.leg_id === leg.peer_leg_id),
      10000, 'both legs released');
  });

  test('the carrier answers 486: the call ends (busy), the phone gets BYE, the activity is cleared', async () => {
    const { number, token, staffPhone, callee } = await ready('carrier_busy');
    const r = await post(token, { to: '+85261230000', from_number: number });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const c = await callee;
    assert.equal(c.code, 0, c.out);
    const s = await staffPhone;
    assert.equal(s.code, 0, s.out);
    assert.match(s.log, /^BYE sip:/m);
    const g = await until(async () => {
      const x = await http('GET', `/calls/${r.body.id}`, undefined, token);
      return x.body.state === 'ended' && x.body;
    }, 10000, 'the call ended');
    assert.equal(g.end_reason, 'busy');
    await until(async () => (await me(token)).activity.outbound_call === false, 10000, 'the activity cleared');
  });

  test('the carrier challenges the INVITE (401): it goes again with the trunk\'s digest credentials (checked by the carrier), then answered and bridged', async () => {
    const trunk = { name: 'Test carrier', addresses: ['127.0.0.0/24'], outbound_uri: `sip:${carrier.ip}:${carrier.port}` };
    const put = await http('PUT', '/trunks/carrier', { ...trunk, username: 'trunk-user', password: 'trunk-secret-1', realm: 'carrier.test' }, ADMIN);
    assert.equal(put.status, 200, JSON.stringify(put.body));
    try {
      const { number, token, staffPhone, callee } = await ready('carrier_challenge');
      const r = await post(token, { to: '+85261239999', from_number: number });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const id = r.body.id;
      await until(async () => (await http('GET', `/calls/${id}`, undefined, token)).body.state === 'answered', 30000, 'the call answered');
      await until(async () => (await mediaLegs()).find((l) => l.leg_id === `dial-${id}` && l.rx.packets > 20),
        30000, 'audio from the carrier on its leg');
      assert.equal((await http('DELETE', `/calls/${id}`, undefined, token)).status, 200);
      const c = await callee;
      assert.equal(c.code, 0, `the carrier accepted the credentials: ${c.out}`);
      const invites = [...c.log.matchAll(/^INVITE sip:.*$/gm)];
      assert.equal(invites.length, 2, 'the INVITE, then the INVITE again with credentials');
      const auth = c.log.match(/^Authorization: Digest (.*)$/m)?.[1];
      assert.ok(auth, 'the second INVITE carries Authorization');
      assert.match(auth, /username="trunk-user"/);
      assert.match(auth, /realm="carrier\.test"/);
      assert.doesNotMatch(c.log, /trunk-secret-1/, 'the password itself never goes on the wire');
      assert.equal((await staffPhone).code, 0);
    } finally {
      assert.equal((await http('PUT', '/trunks/carrier', trunk, ADMIN)).status, 200);
    }
  });

  test('refusals: no registered phone 409, bad numbers 400 naming the field, unknown from_number 404, no token 401', async () => {
    const { number, team } = await line(1);
    const token = team.staff[team.ids[0]];
    const no = await post(token, { to: '+85261234567', from_number: number });
    assert.equal(no.status, 409, JSON.stringify(no.body));
    assert.match(no.body.error.message, /no registered phone/);
    assert.equal((await me(token)).activity.outbound_call, false);
    const bad = await post(token, { to: 'abc', from_number: number });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'to');
    assert.equal((await post(token, { to: '+85261234567' })).body.error.field, 'from_number');
    assert.equal((await post(token, { to: '+85261234567', from_number: '12x' })).body.error.field, 'from_number');
    assert.equal((await post(token, { to: '+85261234567', from_number: number, x: 1 })).body.error.field, 'x');
    const unknown = await post(token, { to: '+85261234567', from_number: '+85200000000' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.field, 'from_number');
    assert.equal((await http('POST', '/calls', { to: '+85261234567', from_number: number })).status, 401);
    assert.equal((await http('GET', '/calls/nosuchcall', undefined, token)).status, 404);
  });
});
