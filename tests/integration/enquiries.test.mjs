// Issue 3, enquiries: pending panel, offers only to staff who can receive
// them (R4, R7, R8), exactly one winner (R5.3), maximum waits (R3), blocked
// and voicemail (R8.3), custom info (R6), visitor token isolation. Real stack;
// every test builds its own small directory through the admin API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, run, sleep, startStack, until } from './lib/stack.mjs';
import { makeTeam } from './lib/team.mjs';

const ADMIN = 'enquiries-admin-token-0123456789';

describe('enquiries', () => {
  let stack;
  let http;

  before(async () => {
    // two replicas of queue and presence: any of them may serve any request
    stack = await startStack({ CC_ADMIN_TOKEN: ADMIN, CC_DEMO: '0', CC_FOLLOWUP_S: '2', CC_REPLICAS_queue: '2', CC_REPLICAS_presence: '2' });
    http = apiClient(stack);
  });
  after(async () => {
    const res = await stack?.stop();
    assert.equal(res?.code, 0);
    assert.deepEqual(res.sanitizer, []);
  });

  const team = (size, channel = {}) => makeTeam(http, ADMIN, size, channel);
  const create = (channel, kind = 'call', caller = 'Visitor') =>
    http('POST', '/enquiries', { channel_id: channel, kind, caller });
  const pending = async (token) => (await http('GET', '/pending', undefined, token)).body.pending.map((p) => p.enquiry.id);

  test('R4: a new call appears at once in the panel of every eligible staff member of the group', async () => {
    const { channel, ids, staff } = await team(3, { custom_info: { brand: 'Acme', items: [{ key: 'Plan', value: 'Gold' }] } });
    const c = await create(channel);
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.equal(c.body.enquiry.state, 'pending');
    assert.equal(c.body.enquiry.mode, 'broadcast');
    assert.match(c.body.visitor_token, /^v-[0-9a-f]{64}$/);
    for (const id of ids) {
      const p = (await http('GET', '/pending', undefined, staff[id])).body.pending;
      assert.equal(p.length, 1);
      assert.equal(p[0].enquiry.id, c.body.enquiry.id);
      assert.equal(p[0].channel_name, `${channel} line`);
      assert.ok(p[0].seconds_left > 25 && p[0].seconds_left <= 30, `seconds_left ${p[0].seconds_left}`);
    }
  });

  test('R5.3 + R6: exactly one staff member answers; the others see it leave; the room shows the custom info', async () => {
    const { channel, ids, staff } = await team(3, { custom_info: { description: 'VIP', items: [{ key: 'Plan', value: 'Gold' }] } });
    const id = (await create(channel)).body.enquiry.id;
    const answers = await Promise.all(ids.map((s) => http('POST', `/enquiries/${id}/answer`, undefined, staff[s])));
    const won = answers.filter((a) => a.status === 200);
    assert.equal(won.length, 1, JSON.stringify(answers.map((a) => a.status)));
    for (const a of answers.filter((x) => x.status !== 200)) {
      assert.equal(a.status, 409);
      assert.equal(a.body.error.message, 'answered by another staff member');
    }
    const winner = won[0].body.enquiry.answered_by;
    assert.equal(won[0].body.enquiry.state, 'active');
    assert.match(won[0].body.enquiry.room_id, /^[0-9a-f-]{36}$/);
    for (const s of ids) assert.deepEqual(await pending(staff[s]), [], `${s}'s panel is empty`);
    const room = await http('GET', `/enquiries/${id}`, undefined, staff[winner]);
    assert.equal(room.status, 200);
    assert.equal(room.body.custom_info.description, 'VIP');
    assert.deepEqual(room.body.custom_info.items, [{ key: 'Plan', value: 'Gold' }]);
    const me = await http('GET', '/me', undefined, staff[winner]);
    assert.equal(me.body.activity.handling_call, true);
    assert.equal(me.body.call_available, false);
  });

  test('R3.1 + R3.2: an unanswered broadcast call leaves every panel at its (short) deadline and ends missed', async () => {
    const { channel, ids, staff } = await team(2, { max_wait_broadcast_s: 1 });
    const c = await create(channel);
    assert.equal(c.body.enquiry.deadline_ms - c.body.enquiry.created_at_ms, 1000);
    assert.equal((await pending(staff[ids[0]])).length, 1);
    await until(async () => (await pending(staff[ids[0]])).length === 0, 5000, 'the deadline');
    const e = await http('GET', `/enquiries/${c.body.enquiry.id}`, undefined, c.body.visitor_token);
    assert.equal(e.body.enquiry.state, 'missed');
    assert.equal(e.body.enquiry.end_reason, 'max_wait');
    assert.deepEqual(await pending(staff[ids[1]]), []);
  });

  test('R3.1: the real default broadcast wait is 30 s', async () => {
    const { channel, ids, staff } = await team(1);
    const t0 = Date.now();
    const c = await create(channel);
    assert.equal(c.body.enquiry.deadline_ms - c.body.enquiry.created_at_ms, 30000);
    // The console stays alive meanwhile, as a real one does: without
    // heartbeats the staff member would go offline (CC_HEARTBEAT_TIMEOUT_S,
    // also 30 s, counted from the login just before) and the call would
    // leave the panel for that reason, not for its deadline.
    while (Date.now() - t0 < 28000) {
      assert.equal((await http('POST', '/me/heartbeat', undefined, staff[ids[0]])).body.status, 'online');
      await new Promise((r) => setTimeout(r, Math.min(5000, 28000 - (Date.now() - t0))));
    }
    assert.equal((await pending(staff[ids[0]])).length, 1, 'still waiting at 28 s');
    await until(async () => (await pending(staff[ids[0]])).length === 0, 5000, 'the 30 s deadline');
    const waited = Date.now() - t0;
    assert.ok(waited >= 29500 && waited < 33000, `left the panel after ${waited} ms`);
    const e = await http('GET', `/enquiries/${c.body.enquiry.id}`, undefined, c.body.visitor_token);
    assert.equal(e.body.enquiry.state, 'missed');
  });

  test('R3.1: a direct call rings one staff member and has its own maximum wait', async () => {
    const { ids, staff } = await team(2);
    const direct = `direct-${ids[0]}`;
    assert.equal((await http('PUT', `/channels/${direct}`, { name: 'Direct', type: 'qr', staff_id: ids[1], max_wait_direct_s: 2 }, ADMIN)).status, 201);
    const c = await create(direct);
    assert.equal(c.body.enquiry.mode, 'direct');
    assert.equal(c.body.enquiry.deadline_ms - c.body.enquiry.created_at_ms, 2000);
    assert.deepEqual(await pending(staff[ids[0]]), [], 'only the one staff member is rung');
    assert.deepEqual(await pending(staff[ids[1]]), [c.body.enquiry.id]);
    await until(async () => (await pending(staff[ids[1]])).length === 0, 6000, 'the direct deadline');
  });

  test('R8.1 + R8.2: busy and offline staff get no offer; the others of the group do', async () => {
    const { channel, ids, staff } = await team(3);
    await http('PUT', '/me/status', { status: 'busy' }, staff[ids[0]]);
    await http('POST', '/logout', undefined, staff[ids[1]]);
    const c = await create(channel);
    assert.equal(c.body.enquiry.state, 'pending');
    assert.deepEqual(await pending(staff[ids[0]]), [], 'busy: not offered');
    assert.deepEqual(await pending(staff[ids[2]]), [c.body.enquiry.id], 'online: offered');
    const other = await http('POST', `/enquiries/${c.body.enquiry.id}/answer`, undefined, staff[ids[0]]);
    assert.equal(other.status, 403, 'one who was not offered it cannot answer');
  });

  test('R8.2: staff who become able to receive a waiting enquiry are offered it at once; those who go busy lose it', async () => {
    const { channel, ids, staff } = await team(2);
    await http('PUT', '/me/status', { status: 'busy' }, staff[ids[0]]);
    const c = await create(channel);
    const id = c.body.enquiry.id;
    assert.deepEqual(await pending(staff[ids[0]]), []);
    await http('PUT', '/me/status', { status: 'online' }, staff[ids[0]]);
    await until(async () => (await pending(staff[ids[0]])).includes(id), 3000, 'the offer after going online');
    await http('PUT', '/me/status', { status: 'busy' }, staff[ids[1]]);
    await until(async () => (await pending(staff[ids[1]])).length === 0, 3000, 'the withdrawal after going busy');
    assert.equal((await http('POST', `/enquiries/${id}/answer`, undefined, staff[ids[1]])).status, 403);
    assert.equal((await http('POST', `/enquiries/${id}/answer`, undefined, staff[ids[0]])).status, 200);
  });

  test('R8.2: a staff member who ends a call is offered the calls waiting for the group once follow-up ends', async () => {
    const { channel, ids, staff } = await team(2);
    const a = (await create(channel)).body.enquiry.id;
    assert.equal((await http('POST', `/enquiries/${a}/answer`, undefined, staff[ids[0]])).status, 200);
    const b = (await create(channel)).body.enquiry.id;
    assert.deepEqual(await pending(staff[ids[0]]), [], 'on a call: not offered');
    assert.deepEqual(await pending(staff[ids[1]]), [b]);
    assert.equal((await http('POST', `/enquiries/${a}/end`, undefined, staff[ids[0]])).status, 200);
    assert.deepEqual(await pending(staff[ids[0]]), [], 'following up (2 s): not yet');
    await until(async () => (await pending(staff[ids[0]])).includes(b), 5000, 'the offer after follow-up');
  });

  test('R8.3: nobody can receive it: blocked at once; with voicemail on, voicemail', async () => {
    const a = await team(2);
    for (const s of a.ids) await http('PUT', '/me/status', { status: 'busy' }, a.staff[s]);
    const c = await create(a.channel);
    assert.equal(c.status, 201);
    assert.equal(c.body.enquiry.state, 'blocked');
    assert.equal(c.body.enquiry.end_reason, 'no_staff_available');
    const b = await team(1, { voicemail: true });
    await http('POST', '/logout', undefined, b.staff[b.ids[0]]);
    const v = await create(b.channel);
    assert.equal(v.body.enquiry.state, 'voicemail');
  });

  test('R7.2: a call enquiry is not offered while handling or following up a call; chats always are', async () => {
    const { channel, ids, staff } = await team(1);
    const [s] = ids;
    const first = (await create(channel)).body.enquiry.id;
    assert.equal((await http('POST', `/enquiries/${first}/answer`, undefined, staff[s])).status, 200);
    // handling a call enquiry: call blocked, chat delivered
    assert.equal((await create(channel, 'call')).body.enquiry.state, 'blocked');
    const chat = await create(channel, 'chat');
    assert.equal(chat.body.enquiry.state, 'pending');
    assert.deepEqual(await pending(staff[s]), [chat.body.enquiry.id]);
    // following up the call (CC_FOLLOWUP_S=2): call blocked, chat delivered
    assert.equal((await http('POST', `/enquiries/${first}/end`, undefined, staff[s])).status, 200);
    const me = await http('GET', '/me', undefined, staff[s]);
    assert.equal(me.body.activity.following_up_call, true);
    assert.equal((await create(channel, 'call')).body.enquiry.state, 'blocked');
    assert.equal((await create(channel, 'chat')).body.enquiry.state, 'pending');
    // handling a chat enquiry: calls are delivered again once follow-up is over
    const chatId = chat.body.enquiry.id;
    assert.equal((await http('POST', `/enquiries/${chatId}/answer`, undefined, staff[s])).status, 200);
    await until(async () => (await http('GET', '/me', undefined, staff[s])).body.call_available, 5000, 'follow-up to end');
    assert.equal((await http('GET', '/me', undefined, staff[s])).body.activity.chats, 1);
    // handling a chat enquiry: calls and chats are both delivered
    assert.equal((await create(channel, 'chat')).body.enquiry.state, 'pending');
    assert.equal((await create(channel, 'call')).body.enquiry.state, 'pending');
  });

  test('R7.2: while making an outbound call, call and chat enquiries are both delivered', async () => {
    const { channel, ids, staff } = await team(1);
    const a = await http('PUT', '/me/activity', { outbound_call: true }, staff[ids[0]]);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(a.body.activity.outbound_call, true);
    assert.equal(a.body.call_available, true);
    const call = await create(channel, 'call');
    const chat = await create(channel, 'chat');
    assert.equal(call.body.enquiry.state, 'pending');
    assert.equal(chat.body.enquiry.state, 'pending');
    assert.deepEqual((await pending(staff[ids[0]])).sort(), [call.body.enquiry.id, chat.body.enquiry.id].sort());
    assert.equal((await http('PUT', '/me/activity', { outbound_call: 'yes' }, staff[ids[0]])).body.error.field, 'outbound_call');
  });

  test('close: the staff member who handled an ended enquiry closes it, which ends its follow-up at once', async () => {
    const { channel, ids, staff } = await team(2);
    const [s0, s1] = ids;
    const c = (await create(channel)).body;
    const id = c.enquiry.id;
    assert.equal((await http('POST', `/enquiries/${id}/answer`, undefined, staff[s0])).status, 200);
    assert.equal((await http('POST', `/enquiries/${id}/close`, undefined, staff[s0])).status, 409, 'not ended yet');
    assert.equal((await http('POST', `/enquiries/${id}/end`, undefined, staff[s0])).status, 200);
    assert.equal((await http('GET', '/me', undefined, staff[s0])).body.activity.following_up_call, true);
    const waiting = (await create(channel)).body.enquiry.id;
    assert.deepEqual(await pending(staff[s0]), [], 'following up: no call offered');
    assert.equal((await http('POST', `/enquiries/${id}/close`, undefined, c.visitor_token)).status, 403);
    assert.equal((await http('POST', `/enquiries/${id}/close`, undefined, staff[s1])).status, 403);
    const r = await http('POST', `/enquiries/${id}/close`, undefined, staff[s0]);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.enquiry.state, 'closed');
    assert.ok(r.body.enquiry.closed_at_ms >= r.body.enquiry.ended_at_ms);
    const me = (await http('GET', '/me', undefined, staff[s0])).body;
    assert.equal(me.activity.following_up_call, false);
    assert.equal(me.call_available, true);
    await until(async () => (await pending(staff[s0])).includes(waiting), 3000, 'the waiting call offered once closed');
    assert.equal((await http('POST', `/enquiries/${id}/close`, undefined, staff[s0])).status, 409, 'already closed');
    assert.equal((await http('GET', `/enquiries/${id}`, undefined, c.visitor_token)).body.enquiry.state, 'closed');
  });

  test('visitor token isolation: a visitor sees only their own enquiry; staff only what they were offered', async () => {
    const a = await team(1);
    const b = await team(1);
    const ea = (await create(a.channel, 'chat', 'Ann')).body;
    const eb = (await create(b.channel, 'chat', 'Ben')).body;
    assert.equal((await http('GET', `/enquiries/${ea.enquiry.id}`, undefined, ea.visitor_token)).status, 200);
    assert.equal((await http('GET', `/enquiries/${eb.enquiry.id}`, undefined, ea.visitor_token)).status, 403);
    assert.equal((await http('GET', `/enquiries/${eb.enquiry.id}`, undefined, `v-${'0'.repeat(64)}`)).status, 403);
    assert.equal((await http('GET', `/enquiries/${eb.enquiry.id}`, undefined, a.staff[a.ids[0]])).status, 403);
    assert.equal((await http('GET', `/enquiries/${eb.enquiry.id}`)).status, 401);
    assert.equal((await http('POST', `/enquiries/${eb.enquiry.id}/answer`, undefined, ea.visitor_token)).status, 401);
    assert.equal((await http('GET', '/enquiries/019ab8a0-1234-7abc-8def-0123456789ab', undefined, ea.visitor_token)).status, 404);
    // the visitor hangs up while pending: cancelled, gone from the panel
    const end = await http('POST', `/enquiries/${eb.enquiry.id}/end`, undefined, eb.visitor_token);
    assert.equal(end.status, 200);
    assert.equal(end.body.enquiry.state, 'cancelled');
    assert.deepEqual(await pending(b.staff[b.ids[0]]), []);
  });

  test('bad input: 400 naming the field; unknown channel 404', async () => {
    assert.equal((await http('POST', '/enquiries', { channel_id: 'nope', kind: 'call' })).status, 404);
    const cases = [[{ kind: 'call' }, 'channel_id'], [{ channel_id: 'x', kind: 'fax' }, 'kind'],
      [{ channel_id: 'x' }, 'kind'], [{ channel_id: 'x', kind: 'call', caller: 'c'.repeat(201) }, 'caller'],
      [{ channel_id: 'x', kind: 'call', leg_id: 'l' }, 'leg_id'], [{ channel_id: 'x', kind: 'call', colour: 1 }, 'colour']];
    for (const [body, field] of cases) {
      const r = await http('POST', '/enquiries', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.field, field);
    }
  });

  test('every fact is stored once; per-panel offers and withdrawals are pushed, not stored', async () => {
    const { channel, ids, staff } = await team(2);
    const id = (await create(channel)).body.enquiry.id;
    await http('POST', `/enquiries/${id}/answer`, undefined, staff[ids[0]]);
    await http('POST', `/enquiries/${id}/end`, undefined, staff[ids[0]]);
    const q = `select string_agg(type || ':' || coalesce(staff_id, ''), ',' order by ts, type, staff_id) from events where enquiry_id = '${id}'`;
    const psql = async () =>
      (await run('psql', ['-h', '127.0.0.1', '-p', String(stack.ports.CC_PG_PORT), '-U', 'cc', '-d', 'cc', '-qtAX', '-c', q])).stdout.trim();
    await until(async () => (await psql()).split(',').length >= 3, 10000, 'three events');
    await sleep(1000); // anything else would have arrived by now
    assert.deepEqual((await psql()).split(','),
      ['enquiry.created:', `enquiry.answered:${ids[0]}`, `enquiry.ended:${ids[0]}`]);
  });
});
