// Issue 3, transfer (R14): blind (the enquiry is pending again for the target;
// if nobody takes it, it returns to the sender with a notice) and consult (the
// sender stays on until the target accepts, then leaves), with the history kept
// on the enquiry. Real stack with 2 queue and 2 presence replicas; consoles and
// the visitor on real WebSockets.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, startStack, until } from './lib/stack.mjs';
import { connect, find } from './lib/ws.mjs';

const ADMIN = 'transfer-admin-token-0123456789';

describe('transfer', () => {
  let stack;
  let http;
  let wsUrl;
  let n = 0;
  const sockets = [];

  before(async () => {
    stack = await startStack({ CC_ADMIN_TOKEN: ADMIN, CC_DEMO: '0', CC_REPLICAS_queue: '2', CC_REPLICAS_presence: '2' });
    http = apiClient(stack);
    wsUrl = stack.url.replace('http:', 'ws:') + '/api/v1/ws';
  });
  after(async () => {
    for (const s of sockets) s.ws.close();
    const res = await stack?.stop();
    assert.equal(res?.code, 0);
    assert.deepEqual(res.sanitizer, []);
  });

  // A group of logged-in staff, each with an open console; a channel to it.
  async function team(size, channel = {}) {
    const t = `x${++n}`;
    const ids = Array.from({ length: size }, (_, i) => `${t}-s${i}`);
    for (const id of ids) {
      const r = await http('PUT', `/staff/${id}`, { name: id, email: `${id}@x.example`, role: 'staff', password: 'password-1' }, ADMIN);
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    assert.equal((await http('PUT', `/groups/${t}`, { name: t, member_ids: ids }, ADMIN)).status, 201);
    assert.equal((await http('PUT', `/channels/${t}`, { name: `${t} line`, type: 'widget', group_id: t, ...channel }, ADMIN)).status, 201);
    const staff = {};
    const console = {};
    for (const id of ids) {
      staff[id] = (await http('POST', '/login', { email: `${id}@x.example`, password: 'password-1' })).body.token;
      console[id] = await connect(wsUrl, staff[id]);
      sockets.push(console[id]);
    }
    return { group: t, channel: t, ids, staff, console };
  }
  // A visitor's enquiry, answered by `by`; the visitor's socket is open.
  async function answered(tm, by, kind = 'call') {
    const c = await http('POST', '/enquiries', { channel_id: tm.channel, kind, caller: 'Visitor' });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    const id = c.body.enquiry.id;
    const visitor = await connect(`${wsUrl}?enquiry=${id}`, c.body.visitor_token);
    sockets.push(visitor);
    const a = await http('POST', `/enquiries/${id}/answer`, undefined, tm.staff[by]);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    return { id, visitor, token: c.body.visitor_token };
  }
  const pending = async (token) => (await http('GET', '/pending', undefined, token)).body.pending.map((p) => p.enquiry.id);
  const me = async (token) => (await http('GET', '/me', undefined, token)).body;
  const transfer = (id, token, body) => http('POST', `/enquiries/${id}/transfer`, body, token);

  test('R14 blind: pending again for the target staff member, the sender free at once; the target answers; history kept', async () => {
    const tm = await team(3);
    const [s0, s1, s2] = tm.ids;
    const { id, visitor } = await answered(tm, s0);
    assert.equal((await me(tm.staff[s0])).activity.handling_call, true);

    const t = await transfer(id, tm.staff[s0], { to_staff_id: s1, mode: 'blind' });
    assert.equal(t.status, 200, JSON.stringify(t.body));
    assert.equal(t.body.enquiry.state, 'pending');
    assert.equal(t.body.enquiry.mode, 'direct');
    assert.equal(t.body.enquiry.staff_id, s1);
    assert.equal(t.body.enquiry.transfers.length, 1);
    assert.deepEqual(
      { from: t.body.enquiry.transfers[0].from_staff_id, to: t.body.enquiry.transfers[0].to_staff_id, outcome: t.body.enquiry.transfers[0].outcome },
      { from: s0, to: s1, outcome: 'pending' });

    // the sender left: free for calls, no longer in the enquiry
    const m0 = await me(tm.staff[s0]);
    assert.equal(m0.activity.handling_call, false);
    assert.equal(m0.call_available, true);
    assert.equal((await http('POST', `/enquiries/${id}/end`, undefined, tm.staff[s0])).status, 403);
    // a new direct offer to the target only, pushed to their console
    assert.deepEqual(await pending(tm.staff[s1]), [id]);
    assert.deepEqual(await pending(tm.staff[s2]), []);
    const offer = await until(() => find(tm.console[s1], 'enquiry.offered', (m) => m.enquiry.id === id && m.reason === 'transfer'), 3000, 'the transfer offer');
    assert.equal(offer.enquiry.transfers[0].from_staff_id, s0);
    assert.equal(find(tm.console[s2], 'enquiry.offered', (m) => m.enquiry.id === id && m.reason === 'transfer'), undefined);
    assert.equal((await http('POST', `/enquiries/${id}/answer`, undefined, tm.staff[s2])).status, 403, 'not offered to s2');

    const a = await http('POST', `/enquiries/${id}/answer`, undefined, tm.staff[s1]);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(a.body.enquiry.state, 'active');
    assert.equal(a.body.enquiry.answered_by, s1);
    assert.equal(a.body.enquiry.transfers[0].outcome, 'accepted');
    assert.equal(a.body.enquiry.transfers[0].accepted_by, s1);
    assert.equal(a.body.enquiry.transfers[0].consult ?? false, false);
    assert.equal((await me(tm.staff[s1])).activity.handling_call, true);
    // the sender's notice, and the visitor is told
    const note = await until(() => find(tm.console[s0], 'enquiry.transferred', (m) => m.enquiry.id === id), 3000, "the sender's notice");
    assert.equal(note.reason, 'blind');
    assert.equal(note.enquiry.answered_by, s1);
    await until(() => find(visitor, 'enquiry.transfer'), 3000, 'the visitor learns of the transfer');
    await until(() => find(visitor, 'enquiry.transferred'), 3000, 'the visitor learns who took it');
    assert.equal((await http('POST', `/enquiries/${id}/end`, undefined, tm.staff[s1])).status, 200);
  });

  test('R14 blind: to a group, never back to the sender; nobody takes it, so it returns to the sender with a notice', async () => {
    // the waits of a transfer are those of the enquiry's channel, here short
    const tm = await team(3, { max_wait_broadcast_s: 1, max_wait_direct_s: 3 });
    const [x0, x1, x2] = tm.ids;
    await http('PUT', '/me/status', { status: 'busy' }, tm.staff[x2]);
    const { id } = await answered(tm, x0);

    const t = await transfer(id, tm.staff[x0], { to_group_id: tm.group, mode: 'blind' });
    assert.equal(t.status, 200, JSON.stringify(t.body));
    assert.equal(t.body.enquiry.state, 'pending');
    assert.equal(t.body.enquiry.mode, 'broadcast');
    assert.equal(t.body.enquiry.group_id, tm.group);
    assert.equal(t.body.enquiry.deadline_ms - t.body.enquiry.transfers[0].at_ms, 1000);
    assert.deepEqual(await pending(tm.staff[x1]), [id]);
    assert.deepEqual(await pending(tm.staff[x2]), [], 'busy: not offered');
    assert.deepEqual(await pending(tm.staff[x0]), [], 'never offered back to its sender while it waits for the target');

    // nobody of the group answers within 1 s
    const back = await until(() => find(tm.console[x0], 'enquiry.transfer_returned', (m) => m.enquiry.id === id), 6000, 'the notice to the sender');
    assert.equal(back.reason, 'not_answered');
    const gone = await until(() => find(tm.console[x1], 'enquiry.withdrawn', (m) => m.enquiry.id === id && m.reason === 'transfer_not_answered'), 3000, 'withdrawn from the target');
    assert.equal(gone.staff_id, x1);
    const again = await until(() => find(tm.console[x0], 'enquiry.offered', (m) => m.enquiry.id === id && m.reason === 'transfer_returned'), 3000, 'offered to the sender again');
    assert.equal(again.enquiry.mode, 'direct');
    assert.equal(again.enquiry.staff_id, x0);
    assert.deepEqual(await pending(tm.staff[x1]), []);
    assert.deepEqual(await pending(tm.staff[x0]), [id]);
    const e = (await http('GET', `/enquiries/${id}`, undefined, tm.staff[x0])).body.enquiry;
    assert.equal(e.state, 'pending');
    assert.equal(e.transfers[0].outcome, 'returned');
    assert.ok(Math.abs(e.deadline_ms - back.ts_ms - 3000) < 500, `the direct wait again: ${e.deadline_ms - back.ts_ms} ms`);
    assert.equal((await http('POST', `/enquiries/${id}/answer`, undefined, tm.staff[x1])).status, 403, 'no longer offered to the target');
    const a = await http('POST', `/enquiries/${id}/answer`, undefined, tm.staff[x0]);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(a.body.enquiry.answered_by, x0);
  });

  test('R14 consult: the sender stays on until the target accepts, then leaves', async () => {
    const tm = await team(2);
    const [s0, s1] = tm.ids;
    const { id, visitor, token } = await answered(tm, s0);
    const t = await transfer(id, tm.staff[s0], { to_staff_id: s1, mode: 'consult' });
    assert.equal(t.status, 200, JSON.stringify(t.body));
    assert.equal(t.body.enquiry.state, 'active');
    assert.equal(t.body.enquiry.answered_by, s0);
    assert.equal(t.body.enquiry.transfers[0].consult, true);
    assert.equal(t.body.enquiry.transfers[0].outcome, 'pending');
    // still the sender's: on the call, in the room
    assert.equal((await me(tm.staff[s0])).activity.handling_call, true);
    const msg = await http('POST', `/enquiries/${id}/messages`, { text: 'one moment, a colleague is joining' }, tm.staff[s0]);
    assert.equal(msg.status, 201);
    assert.equal((await transfer(id, tm.staff[s0], { to_staff_id: s1, mode: 'blind' })).status, 409, 'one transfer at a time');
    const panel = (await http('GET', '/pending', undefined, tm.staff[s1])).body.pending;
    assert.deepEqual(panel.map((p) => p.enquiry.id), [id]);
    assert.equal(panel[0].enquiry.state, 'active');
    assert.equal(panel[0].enquiry.transfers.at(-1).outcome, 'pending');
    assert.ok(panel[0].seconds_left > 80 && panel[0].seconds_left <= 90, `seconds_left ${panel[0].seconds_left}`);
    await until(() => find(tm.console[s1], 'enquiry.offered', (m) => m.enquiry.id === id && m.reason === 'transfer'), 3000, 'the consult offer');

    const a = await http('POST', `/enquiries/${id}/answer`, undefined, tm.staff[s1]);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(a.body.enquiry.answered_by, s1);
    assert.equal(a.body.enquiry.transfers[0].outcome, 'accepted');
    assert.equal(a.body.enquiry.room_id, t.body.enquiry.room_id, 'the same room');
    // the sender has left
    const m0 = await me(tm.staff[s0]);
    assert.equal(m0.activity.handling_call, false);
    assert.equal(m0.call_available, true);
    assert.equal((await me(tm.staff[s1])).activity.handling_call, true);
    const note = await until(() => find(tm.console[s0], 'enquiry.transferred', (m) => m.enquiry.id === id), 3000, "the sender's notice");
    assert.equal(note.reason, 'consult');
    assert.equal((await http('POST', `/enquiries/${id}/end`, undefined, tm.staff[s0])).status, 403);
    await until(() => find(visitor, 'enquiry.transferred'), 3000, 'the visitor is told');
    // the room's history stays, and the target talks to the visitor now
    const list = await http('GET', `/enquiries/${id}/messages`, undefined, tm.staff[s1]);
    assert.equal(list.body.messages.length, 1);
    assert.equal((await http('POST', `/enquiries/${id}/messages`, { text: 'hello, I can help' }, tm.staff[s1])).status, 201);
    assert.equal((await http('POST', `/enquiries/${id}/messages`, { text: 'thanks' }, token)).status, 201);
    assert.equal((await http('POST', `/enquiries/${id}/end`, undefined, tm.staff[s1])).status, 200);
  });

  test('R14 consult: not accepted in time, or cancelled, the sender keeps the enquiry', async () => {
    const from = await team(1);
    const to = await team(2);
    const [x0] = from.ids;
    const [y0] = to.ids;
    // the target group's wait comes from the enquiry's channel: 1 s
    assert.equal((await http('PUT', `/channels/${from.channel}`, { name: 'line', type: 'widget', group_id: from.group, max_wait_broadcast_s: 1 }, ADMIN)).status, 200);
    const { id } = await answered(from, x0);
    assert.equal((await transfer(id, from.staff[x0], { to_group_id: to.group, mode: 'consult' })).status, 200);
    assert.deepEqual((await pending(to.staff[y0])), [id]);
    const back = await until(() => find(from.console[x0], 'enquiry.transfer_returned', (m) => m.enquiry.id === id), 6000, 'the notice');
    assert.equal(back.reason, 'not_answered');
    assert.deepEqual(await pending(to.staff[y0]), []);
    let e = (await http('GET', `/enquiries/${id}`, undefined, from.staff[x0])).body.enquiry;
    assert.equal(e.state, 'active');
    assert.equal(e.answered_by, x0);
    assert.equal(e.transfers[0].outcome, 'returned');
    assert.equal((await me(from.staff[x0])).activity.handling_call, true);
    assert.equal((await http('POST', `/enquiries/${id}/answer`, undefined, to.staff[y0])).status, 409, 'too late');

    // a second try, cancelled by the sender
    assert.equal((await transfer(id, from.staff[x0], { to_group_id: to.group, mode: 'consult' })).status, 200);
    assert.equal((await http('DELETE', `/enquiries/${id}/transfer`, undefined, to.staff[y0])).status, 403, "not the target's to cancel");
    const c = await http('DELETE', `/enquiries/${id}/transfer`, undefined, from.staff[x0]);
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assert.equal(c.body.enquiry.answered_by, x0);
    assert.deepEqual(c.body.enquiry.transfers.map((x) => x.outcome), ['returned', 'cancelled']);
    const w = await until(() => find(to.console[y0], 'enquiry.withdrawn', (m) => m.enquiry.id === id && m.reason === 'transfer_cancelled'), 3000, 'withdrawn from the target');
    assert.equal(w.staff_id, y0);
    assert.deepEqual(await pending(to.staff[y0]), []);
    assert.equal((await http('DELETE', `/enquiries/${id}/transfer`, undefined, from.staff[x0])).status, 409, 'nothing left to cancel');
    // ending the enquiry during a consult withdraws the offer too
    assert.equal((await transfer(id, from.staff[x0], { to_staff_id: y0, mode: 'consult' })).status, 200);
    assert.equal((await http('POST', `/enquiries/${id}/end`, undefined, from.staff[x0])).status, 200);
    await until(async () => (await pending(to.staff[y0])).length === 0, 3000, 'the consult offer to leave');
    e = (await http('GET', `/enquiries/${id}`, undefined, from.staff[x0])).body.enquiry;
    assert.deepEqual(e.transfers.map((x) => x.outcome), ['returned', 'cancelled', 'cancelled']);
  });

  test('R14: a chat enquiry moves with its count', async () => {
    const tm = await team(2);
    const [s0, s1] = tm.ids;
    const { id } = await answered(tm, s0, 'chat');
    assert.equal((await me(tm.staff[s0])).activity.chats, 1);
    assert.equal((await transfer(id, tm.staff[s0], { to_staff_id: s1, mode: 'consult' })).status, 200);
    assert.equal((await me(tm.staff[s0])).activity.chats, 1, 'consult: still with the sender');
    assert.equal((await http('POST', `/enquiries/${id}/answer`, undefined, tm.staff[s1])).status, 200);
    assert.equal((await me(tm.staff[s0])).activity.chats ?? 0, 0);
    assert.equal((await me(tm.staff[s1])).activity.chats, 1);
    assert.equal((await transfer(id, tm.staff[s1], { to_staff_id: s0, mode: 'blind' })).status, 200);
    assert.equal((await me(tm.staff[s1])).activity.chats ?? 0, 0, 'blind: released at once');
    assert.equal((await http('POST', `/enquiries/${id}/answer`, undefined, tm.staff[s0])).status, 200);
    const e = (await http('GET', `/enquiries/${id}`, undefined, tm.staff[s0])).body.enquiry;
    assert.deepEqual(e.transfers.map((x) => [x.from_staff_id, x.to_staff_id, x.outcome]), [[s0, s1, 'accepted'], [s1, s0, 'accepted']]);
  });

  test('R14 bad transfers: 400 naming the field, 401, 403, 404, 409; nothing changes', async () => {
    const tm = await team(3);
    const [s0, s1, s2] = tm.ids;
    const { id, token } = await answered(tm, s0);
    await http('PUT', '/me/status', { status: 'busy' }, tm.staff[s2]);
    const cases = [
      [tm.staff[s0], { to_staff_id: s1 }, 400, 'mode'],
      [tm.staff[s0], { mode: 'blind' }, 400, 'to_group_id'],
      [tm.staff[s0], { to_staff_id: s1, to_group_id: tm.group, mode: 'blind' }, 400, 'to_staff_id'],
      [tm.staff[s0], { to_staff_id: s1, mode: 'sideways' }, 400, 'mode'],
      [tm.staff[s0], { to_staff_id: s1, mode: 'blind', enquiry_id: id }, 400, 'enquiry_id'],
      [tm.staff[s0], { to_staff_id: s1, mode: 'blind', colour: 'red' }, 400, 'colour'],
      [tm.staff[s0], { to_staff_id: s0, mode: 'blind' }, 400, 'to_staff_id'],
      [tm.staff[s0], { to_staff_id: 'nobody-here', mode: 'blind' }, 404, 'to_staff_id'],
      [tm.staff[s0], { to_group_id: 'no-such-group', mode: 'consult' }, 404, 'to_group_id'],
      [tm.staff[s0], { to_staff_id: s2, mode: 'blind' }, 409, 'to_staff_id'],
      [tm.staff[s1], { to_staff_id: s2, mode: 'blind' }, 403, undefined],
      [token, { to_staff_id: s1, mode: 'blind' }, 401, undefined],
      [undefined, { to_staff_id: s1, mode: 'blind' }, 401, undefined],
    ];
    for (const [who, body, status, field] of cases) {
      const r = await transfer(id, who, body);
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      if (field) assert.equal(r.body.error.field, field, JSON.stringify(r.body));
    }
    const raw = await fetch(`${stack.url}/api/v1/enquiries/${id}/transfer`, { method: 'POST', headers: { authorization: `Bearer ${tm.staff[s0]}` }, body: '{"to_staff_id":' });
    assert.equal(raw.status, 400);
    assert.equal((await transfer('0190c0de-0000-7000-8000-000000000000', tm.staff[s0], { to_staff_id: s1, mode: 'blind' })).status, 404);
    // a pending enquiry is nobody's to transfer yet
    const p = await http('POST', '/enquiries', { channel_id: tm.channel, kind: 'chat', caller: 'Later' });
    assert.equal((await transfer(p.body.enquiry.id, tm.staff[s1], { to_staff_id: s0, mode: 'blind' })).status, 403);
    // nothing changed
    const e = (await http('GET', `/enquiries/${id}`, undefined, tm.staff[s0])).body.enquiry;
    assert.equal(e.state, 'active');
    assert.equal(e.answered_by, s0);
    assert.equal((e.transfers ?? []).length, 0);
    assert.deepEqual(await pending(tm.staff[s1]), [p.body.enquiry.id]);
    // once ended, no transfer
    assert.equal((await http('POST', `/enquiries/${id}/end`, undefined, tm.staff[s0])).status, 200);
    assert.equal((await transfer(id, tm.staff[s0], { to_staff_id: s1, mode: 'blind' })).status, 409);
  });
});
