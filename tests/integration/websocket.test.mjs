// Issue 3, the WebSocket: staff consoles get offers, withdrawals and their
// presence pushed as they happen (R4.2, R5.3); visitors get the outcome of
// their enquiry; an open console keeps its staff member online and losing
// it takes them offline (R7.1). Real stack, real sockets (npm "ws").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, startStack, until } from './lib/stack.mjs';
import WebSocket from 'ws';
import { connect, find } from './lib/ws.mjs';

const ADMIN = 'websocket-admin-token-0123456789';

describe('websocket', () => {
  let stack;
  let http;
  let wsUrl;
  let n = 0;

  before(async () => {
    stack = await startStack({ CC_ADMIN_TOKEN: ADMIN, CC_DEMO: '0', CC_HEARTBEAT_TIMEOUT_S: '3', CC_REPLICAS_queue: '2', CC_REPLICAS_presence: '2',
      CC_WS_ORIGINS: 'https://shop.example.com' });
    http = apiClient(stack);
    wsUrl = stack.url.replace('http:', 'ws:') + '/api/v1/ws';
  });
  after(async () => {
    const res = await stack?.stop();
    assert.equal(res?.code, 0);
    assert.deepEqual(res.sanitizer, []);
  });

  async function team(size, channel = {}) {
    const t = `w${++n}`;
    const ids = Array.from({ length: size }, (_, i) => `${t}-s${i}`);
    for (const id of ids) {
      assert.equal((await http('PUT', `/staff/${id}`, { name: id, email: `${id}@x.example`, role: 'staff', password: 'password-1' }, ADMIN)).status, 201);
    }
    await http('PUT', `/groups/${t}`, { name: t, member_ids: ids }, ADMIN);
    await http('PUT', `/channels/${t}`, { name: `${t} line`, type: 'widget', group_id: t, ...channel }, ADMIN);
    const staff = {};
    for (const id of ids) staff[id] = (await http('POST', '/login', { email: `${id}@x.example`, password: 'password-1' })).body.token;
    return { channel: t, ids, staff };
  }

  test('R4.2 + R5.3: consoles get the offer at once, and the losers get it withdrawn', async () => {
    const { channel, ids, staff } = await team(2);
    const consoles = await Promise.all(ids.map((s) => connect(wsUrl, staff[s])));
    const c = await http('POST', '/enquiries', { channel_id: channel, kind: 'call', caller: 'Ann' });
    const id = c.body.enquiry.id;
    for (const box of consoles) {
      await until(() => find(box, 'enquiry.offered', (m) => m.enquiry.id === id), 3000, 'the offer');
      assert.equal(find(box, 'enquiry.offered').enquiry.channel_id, channel);
    }
    assert.equal((await http('POST', `/enquiries/${id}/answer`, undefined, staff[ids[0]])).status, 200);
    await until(() => find(consoles[0], 'enquiry.answered', (m) => m.enquiry.id === id), 3000, 'answered, to the winner');
    const w = await until(() => find(consoles[1], 'enquiry.withdrawn', (m) => m.enquiry.id === id), 3000, 'withdrawn, to the other');
    assert.equal(w.reason, 'answered_by_other');
    assert.equal(find(consoles[1], 'enquiry.answered'), undefined, 'the loser is told withdrawn, not answered');
    for (const box of consoles) box.ws.close();
  });

  test('R3.1: an enquiry that waits too long is pushed as missed to every panel it leaves, once to the visitor; a hang-up withdraws it', async () => {
    const { channel, ids, staff } = await team(2, { max_wait_broadcast_s: 1 });
    const consoles = await Promise.all(ids.map((s) => connect(wsUrl, staff[s])));
    const c = (await http('POST', '/enquiries', { channel_id: channel, kind: 'call', caller: 'Ann' })).body;
    const visitor = await connect(`${wsUrl}?enquiry=${c.enquiry.id}`, c.visitor_token);
    for (const [i, box] of consoles.entries()) {
      const m = await until(() => find(box, 'enquiry.missed', (x) => x.enquiry.id === c.enquiry.id), 5000, 'missed, to each panel');
      assert.equal(m.staff_id, ids[i]);
      assert.equal(m.reason, 'max_wait');
    }
    await until(() => find(visitor, 'enquiry.missed'), 3000, 'missed, to the visitor');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(visitor.messages.filter((m) => m.type === 'enquiry.missed').length, 1, 'the visitor is told once');

    const d = (await http('POST', '/enquiries', { channel_id: channel, kind: 'call', caller: 'Ben' })).body;
    assert.equal((await http('POST', `/enquiries/${d.enquiry.id}/end`, undefined, d.visitor_token)).status, 200);
    for (const box of consoles) {
      const w = await until(() => find(box, 'enquiry.withdrawn', (x) => x.enquiry.id === d.enquiry.id), 3000, 'withdrawn after the hang-up');
      assert.equal(w.reason, 'caller_hung_up');
    }
    for (const box of [...consoles, visitor]) box.ws.close();
  });

  test('a visitor gets the outcome of their own enquiry only', async () => {
    const { channel, ids, staff } = await team(1);
    const a = (await http('POST', '/enquiries', { channel_id: channel, kind: 'chat', caller: 'Ann' })).body;
    const b = (await http('POST', '/enquiries', { channel_id: channel, kind: 'chat', caller: 'Ben' })).body;
    const visitor = await connect(`${wsUrl}?enquiry=${a.enquiry.id}`, a.visitor_token);
    await http('POST', `/enquiries/${b.enquiry.id}/answer`, undefined, staff[ids[0]]);
    await http('POST', `/enquiries/${a.enquiry.id}/answer`, undefined, staff[ids[0]]);
    await until(() => find(visitor, 'enquiry.answered'), 3000, 'the answer');
    await http('POST', `/enquiries/${a.enquiry.id}/end`, undefined, staff[ids[0]]);
    await until(() => find(visitor, 'enquiry.ended'), 3000, 'the end');
    assert.ok(visitor.messages.every((m) => m.enquiry.id === a.enquiry.id), 'nothing about Ben');
    assert.equal(find(visitor, 'enquiry.offered'), undefined, 'visitors do not see offers');
    visitor.ws.close();
    await assert.rejects(connect(`${wsUrl}?enquiry=${b.enquiry.id}`, a.visitor_token), (e) => e.status === 403);
  });

  test('R2.2: chat in the enquiry room, stored and pushed to the other side', async () => {
    const { channel, ids, staff } = await team(2);
    const e = (await http('POST', '/enquiries', { channel_id: channel, kind: 'chat', caller: 'Ann' })).body;
    const id = e.enquiry.id;
    const early = await http('POST', `/enquiries/${id}/messages`, { text: 'hello?' }, e.visitor_token);
    assert.equal(early.status, 409, 'no room before it is answered');
    assert.equal((await http('POST', `/enquiries/${id}/answer`, undefined, staff[ids[0]])).status, 200);
    const visitor = await connect(`${wsUrl}?enquiry=${id}`, e.visitor_token);
    const agent = await connect(wsUrl, staff[ids[0]]);
    const s1 = await http('POST', `/enquiries/${id}/messages`, { text: 'Hello Ann, how can I help?' }, staff[ids[0]]);
    assert.equal(s1.status, 201, JSON.stringify(s1.body));
    assert.equal(s1.body.author, `staff:${ids[0]}`);
    const got = await until(() => find(visitor, 'enquiry.message'), 3000, 'the push to the visitor');
    assert.equal(got.message.text, 'Hello Ann, how can I help?');
    const v1 = await http('POST', `/enquiries/${id}/messages`, { text: 'My order 42 is late' }, e.visitor_token);
    assert.equal(v1.status, 201);
    await until(() => find(agent, 'enquiry.message', (m) => m.message.author === 'visitor'), 3000, 'the push to staff');
    const list = await http('GET', `/enquiries/${id}/messages`, undefined, e.visitor_token);
    assert.deepEqual(list.body.messages.map((m) => m.text), ['Hello Ann, how can I help?', 'My order 42 is late']);
    assert.equal((await http('GET', `/enquiries/${id}/messages`, undefined, staff[ids[1]])).status, 403, 'not the other staff member');
    assert.equal((await http('POST', `/enquiries/${id}/messages`, { text: '' }, e.visitor_token)).body.error.field, 'text');
    assert.equal((await http('POST', `/enquiries/${id}/messages`, { text: 'x'.repeat(4001) }, e.visitor_token)).status, 400);
    visitor.ws.close();
    agent.ws.close();
  });

  test('bad handshakes: no token 401, wrong token 401, not a WebSocket 400', async () => {
    await assert.rejects(connect(wsUrl), (e) => e.status === 401);
    await assert.rejects(connect(wsUrl, 'a'.repeat(64)), (e) => e.status === 401);
    const plain = await fetch(wsUrl.replace('ws:', 'http:'));
    assert.equal(plain.status, 400);
  });

  // Raw handshake: resolves the HTTP status, or 101 and the protocol chosen.
  const handshake = (url, protocols, opts = {}) => new Promise((resolve) => {
    const ws = new WebSocket(url, protocols, opts);
    ws.on('open', () => { resolve({ status: 101, protocol: ws.protocol }); ws.close(); });
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(body) }));
    });
    ws.on('error', (e) => resolve({ status: 0, error: e.message }));
  });

  test('the token travels as the subprotocol bearer.<token> beside cc.v1, never in the URL', async () => {
    const { ids, staff } = await team(1);
    const token = staff[ids[0]];
    const ok = await handshake(wsUrl, ['cc.v1', `bearer.${token}`]);
    assert.deepEqual(ok, { status: 101, protocol: 'cc.v1' }, 'the server answers cc.v1, never the token');
    const inUrl = await handshake(`${wsUrl}?token=${token}`, ['cc.v1']);
    assert.equal(inUrl.status, 400);
    assert.equal(inUrl.body.error.field, 'token');
    const noProtocol = await handshake(wsUrl, [`bearer.${token}`]);
    assert.equal(noProtocol.status, 400, 'cc.v1 must be offered');
    assert.equal(noProtocol.body.error.field, 'Sec-WebSocket-Protocol');
    const twoTokens = await handshake(wsUrl, ['cc.v1', `bearer.${token}`, 'bearer.other']);
    assert.equal(twoTokens.status, 400);
    // a client that can set headers may send Authorization instead (no subprotocol then)
    const header = await handshake(wsUrl, [], { headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual(header, { status: 101, protocol: '' });
  });

  test('the Origin of a browser page: this site or CC_WS_ORIGINS, else 403', async () => {
    const { ids, staff } = await team(1);
    const p = ['cc.v1', `bearer.${staff[ids[0]]}`];
    const host = new URL(stack.url).host;
    assert.equal((await handshake(wsUrl, p, { origin: `http://${host}` })).status, 101, 'same origin');
    assert.equal((await handshake(wsUrl, p, { origin: 'https://shop.example.com' })).status, 101, 'listed');
    const other = await handshake(wsUrl, p, { origin: 'https://evil.example' });
    assert.equal(other.status, 403);
    assert.equal(other.body.error.field, 'Origin');
    assert.equal((await handshake(wsUrl, p, { origin: 'https://shop.example.com:8443' })).status, 403, 'another port is another origin');
    assert.equal((await handshake(wsUrl, p, { origin: 'null' })).status, 403, 'an opaque origin');
    assert.equal((await handshake(wsUrl, p)).status, 101, 'no Origin: not a browser page');
  });

  test('R7.1: an open console keeps its staff member online; losing it takes them offline', async () => {
    const { ids, staff } = await team(1);
    const token = staff[ids[0]];
    const console1 = await connect(wsUrl, token);
    await new Promise((r) => setTimeout(r, 5000)); // > CC_HEARTBEAT_TIMEOUT_S, no REST heartbeat
    assert.equal((await http('GET', '/me', undefined, token)).body.status, 'online');
    console1.ws.terminate(); // the network goes, no close frame
    await until(async () => (await http('GET', '/me', undefined, token)).body.status === 'offline', 8000, 'offline');
    assert.ok(console1.messages.length === 0 || console1.messages.every((m) => m.type));
  });

  test('presence changes are pushed to the staff member\'s own console', async () => {
    const { ids, staff } = await team(1);
    const box = await connect(wsUrl, staff[ids[0]]);
    await http('PUT', '/me/status', { status: 'busy' }, staff[ids[0]]);
    const m = await until(() => find(box, 'presence.changed', (x) => x.presence.status === 'busy'), 3000, 'the push');
    assert.equal(m.presence.staff_id, ids[0]);
    box.ws.close();
  });
});
