// Issue 7: nothing lost, stuck or done twice. Idempotency-Key on every POST
// (a retry returns the first result and does not act twice), request
// deadlines (a request answered 503 is not carried out later), what a staff
// member holds in GET /me, ccctl enquiries / end, idle chats ending, facts
// stored once, and the outbox relay taking over what a dead relay left.
// Real stack: two queue and two presence replicas.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { binDir, run, sleep, startStack, until } from './lib/stack.mjs';
import { makeTeam } from './lib/team.mjs';
import { natsRequest } from './lib/nats.mjs';

const ADMIN = 'reliability-admin-token-0123456789';

describe('reliability', () => {
  let stack;
  // (method, path, body, token, headers) -> {status, body}
  const http = async (method, p, body, token, headers = {}) => {
    const res = await fetch(`${stack.url}/api/v1${p}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const team = (size, channel = {}) => makeTeam(http, ADMIN, size, channel, 'r');
  const pending = async (token) => (await http('GET', '/pending', undefined, token)).body.pending.map((p) => p.enquiry.id);
  const redis = (...args) => stack.redisCli(...args);
  const psql = async (q) =>
    (await run('psql', ['-h', '127.0.0.1', '-p', String(stack.ports.CC_PG_PORT), '-U', 'cc', '-d', 'cc', '-qtAX', '-c', q])).stdout.trim();
  const ccctl = (...args) => run(path.join(binDir, 'ccctl'), args, { env: stack.serviceEnv });
  const signalQueues = (sig) => ['queue-1', 'queue-2'].forEach((q) => process.kill(stack.pidOf(q), sig));


  before(async () => {
    stack = await startStack({
      CC_ADMIN_TOKEN: ADMIN, CC_DEMO: '0', CC_FOLLOWUP_S: '0', CC_CHAT_IDLE_S: '5',
      CC_REQUEST_TIMEOUT_MS: '1500', CC_REPLICAS_queue: '2', CC_REPLICAS_presence: '2',
    });
  });
  after(async () => {
    const res = await stack?.stop();
    assert.equal(res?.code, 0);
    assert.deepEqual(res.sanitizer, []);
  });

  test('Idempotency-Key: a retried create returns the first enquiry and token and creates nothing more', async () => {
    const { channel, ids, staff } = await team(1);
    const key = { 'idempotency-key': `create-${channel}` };
    const a = await http('POST', '/enquiries', { channel_id: channel, kind: 'call', caller: 'Ann' }, null, key);
    const b = await http('POST', '/enquiries', { channel_id: channel, kind: 'call', caller: 'Ann' }, null, key);
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal(b.status, 201, JSON.stringify(b.body));
    assert.equal(b.body.enquiry.id, a.body.enquiry.id);
    assert.equal(b.body.visitor_token, a.body.visitor_token);
    assert.deepEqual(await pending(staff[ids[0]]), [a.body.enquiry.id]);
    // the same key with another body is refused, and does nothing
    const c = await http('POST', '/enquiries', { channel_id: channel, kind: 'chat', caller: 'Ann' }, null, key);
    assert.equal(c.status, 422, JSON.stringify(c.body));
    assert.equal(c.body.error.code, 'idempotency_key_reused');
    assert.deepEqual(await pending(staff[ids[0]]), [a.body.enquiry.id]);
    // without a key two creates are two enquiries
    await http('POST', '/enquiries', { channel_id: channel, kind: 'call', caller: 'Ann' });
    assert.equal((await pending(staff[ids[0]])).length, 2);
    // a malformed key is a 400 naming it
    const bad = await http('POST', '/enquiries', { channel_id: channel, kind: 'call' }, null, { 'idempotency-key': 'x'.repeat(256) });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'Idempotency-Key');
  });

  test('Idempotency-Key: the winner retrying an answer is told it won, not "taken"; an end retried is not "already ended"', async () => {
    const { channel, ids, staff } = await team(2);
    const id = (await http('POST', '/enquiries', { channel_id: channel, kind: 'call' })).body.enquiry.id;
    const key = { 'idempotency-key': `answer-${id}` };
    const a = await http('POST', `/enquiries/${id}/answer`, undefined, staff[ids[0]], key);
    const again = await http('POST', `/enquiries/${id}/answer`, undefined, staff[ids[0]], key);
    assert.equal(a.status, 200);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.enquiry.answered_by, ids[0]);
    // the other staff member's key is theirs: same key, other actor, acts (and loses)
    const other = await http('POST', `/enquiries/${id}/answer`, undefined, staff[ids[1]], key);
    assert.equal(other.status, 409);
    const endKey = { 'idempotency-key': `end-${id}` };
    assert.equal((await http('POST', `/enquiries/${id}/end`, undefined, staff[ids[0]], endKey)).status, 200);
    const end2 = await http('POST', `/enquiries/${id}/end`, undefined, staff[ids[0]], endKey);
    assert.equal(end2.status, 200, JSON.stringify(end2.body));
    assert.equal(end2.body.enquiry.state, 'ended');
    // without the key the same end is a conflict: the key is what makes it safe
    assert.equal((await http('POST', `/enquiries/${id}/end`, undefined, staff[ids[0]])).status, 409);
  });

  test('a create answered 503 while the queue was stalled is not carried out afterwards; its retry with the key creates it once', async () => {
    const { channel, ids, staff } = await team(1);
    const key = { 'idempotency-key': `stalled-${channel}` };
    signalQueues('SIGSTOP');
    let first;
    try {
      first = await http('POST', '/enquiries', { channel_id: channel, kind: 'call', caller: 'Stalled' }, null, key);
    } finally {
      signalQueues('SIGCONT');
    }
    assert.equal(first.status, 503, JSON.stringify(first.body));
    await sleep(1500); // the queues now see the request, past its deadline
    assert.deepEqual(await pending(staff[ids[0]]), [], 'the request answered 503 was not carried out');
    const retry = await http('POST', '/enquiries', { channel_id: channel, kind: 'call', caller: 'Stalled' }, null, key);
    assert.equal(retry.status, 201, JSON.stringify(retry.body));
    assert.deepEqual(await pending(staff[ids[0]]), [retry.body.enquiry.id]);
  });

  test('GET /me lists what the staff member holds; ccctl enquiries shows it; ccctl end frees them', async () => {
    const { channel, ids, staff } = await team(1);
    const id = (await http('POST', '/enquiries', { channel_id: channel, kind: 'call', caller: 'Held' })).body.enquiry.id;
    assert.equal((await http('POST', `/enquiries/${id}/answer`, undefined, staff[ids[0]])).status, 200);
    const me = await http('GET', '/me', undefined, staff[ids[0]]);
    assert.equal(me.status, 200);
    assert.deepEqual(me.body.holds.active.map((e) => e.id), [id]);
    assert.equal(me.body.holds.active[0].state, 'active');
    const list = await ccctl('enquiries', '--json');
    assert.equal(list.code, 0, list.stderr);
    const row = JSON.parse(list.stdout).find((e) => e.id === id);
    assert.equal(row?.answered_by, ids[0]);
    const table = await ccctl('enquiries');
    assert.match(table.stdout, new RegExp(`${id}\\s+call\\s+${ids[0]}\\s`));
    const end = await ccctl('end', id);
    assert.equal(end.code, 0, end.stderr);
    assert.match(end.stdout, /ENQUIRY_STATE_ENDED \(ended_by_admin\)/);
    assert.deepEqual((await http('GET', '/me', undefined, staff[ids[0]])).body.holds.active, []);
    // free again: the next call is offered to them
    const next = (await http('POST', '/enquiries', { channel_id: channel, kind: 'call' })).body.enquiry.id;
    assert.deepEqual(await pending(staff[ids[0]]), [next]);
    const unknown = await ccctl('end', '00000000-0000-7000-8000-000000000000');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no such enquiry/);
  });

  test('an active chat with no message for CC_CHAT_IDLE_S ends "idle" and frees its holder', async () => {
    const { channel, ids, staff } = await team(1);
    const c = await http('POST', '/enquiries', { channel_id: channel, kind: 'chat', caller: 'Quiet' });
    const id = c.body.enquiry.id;
    assert.equal((await http('POST', `/enquiries/${id}/answer`, undefined, staff[ids[0]])).status, 200);
    await sleep(3000);
    // a message restarts the idle clock
    assert.equal((await http('POST', `/enquiries/${id}/messages`, { text: 'still there?' }, c.body.visitor_token)).status, 201);
    await sleep(3000);
    assert.equal((await http('GET', `/enquiries/${id}`, undefined, staff[ids[0]])).body.enquiry.state, 'active');
    const done = await until(async () => {
      const e = (await http('GET', `/enquiries/${id}`, undefined, staff[ids[0]])).body.enquiry;
      return e.state === 'ended' ? e : null;
    }, 10000, 'the idle chat to end');
    assert.equal(done.end_reason, 'idle');
    const me = (await http('GET', '/me', undefined, staff[ids[0]])).body;
    assert.deepEqual(me.holds.active, []);
    assert.equal(me.activity.chats ?? 0, 0);
  });

  test('facts are stored once; what a dead relay left in the outbox is taken over by another', async () => {
    const { channel, ids, staff } = await team(2);
    const id = (await http('POST', '/enquiries', { channel_id: channel, kind: 'call' })).body.enquiry.id;
    // both relays die (SIGKILL of the queue processes; their supervisors
    // restart them); meanwhile a step's entry is read by a relay "ghost"
    // that dies at once: it never acknowledges it
    await until(async () => (await redis('XLEN', 'cc:outbox:queue')).stdout.trim() === '0', 5000, 'an empty outbox');
    const pids = ['queue-1', 'queue-2'].map((q) => stack.pidOf(q));
    pids.forEach((pid) => process.kill(pid, 'SIGKILL'));
    const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
    await until(() => pids.every((pid) => !alive(pid)), 5000, 'the queues to die');
    const snap = JSON.stringify({ id, state: 'pending', kind: 'call', channel_id: channel });
    await redis('XADD', 'cc:outbox:queue', '*', 'id', '01900000-0000-7000-8000-00000000beef', 'type', 'enquiry.created',
      'ts', String(Date.now()), 'note', '0', 'enquiry', snap, 'staff', '', 'reason', 'relay-takeover-test',
      'offered', '[]', 'withdrawn', '[]');
    const read = await redis('XREADGROUP', 'GROUP', 'relay', 'ghost', 'COUNT', '10', 'STREAMS', 'cc:outbox:queue', '>');
    assert.match(read.stdout, /relay-takeover-test/);
    const got = await until(async () => {
      const r = await psql(`select count(*) from events where id = '01900000-0000-7000-8000-00000000beef'`);
      return r === '1' ? r : null;
    }, 30000, 'the entry left by the dead relay to be stored');
    assert.equal(got, '1');
    await until(async () => (await redis('XLEN', 'cc:outbox:queue')).stdout.trim() === '0', 10000, 'the outbox to empty');
    // and the enquiry's own facts are stored once each
    await http('POST', `/enquiries/${id}/answer`, undefined, staff[ids[0]]);
    await until(async () => (await psql(`select count(*) from events where enquiry_id = '${id}' and type = 'enquiry.answered'`)) === '1', 10000, 'answered stored');
    assert.equal(await psql(`select count(*) from events where enquiry_id = '${id}' and type = 'enquiry.created'`), '2',
      'the real created fact and the one the dead relay left');
    assert.equal(await psql(`select count(*) from events where enquiry_id = '${id}' and type in ('enquiry.offered', 'enquiry.withdrawn')`), '0');
  });

  test('a full event stream is 503 at the edge, never a silent loss; with room again everything is stored once', async () => {
    const { channel } = await team(1);
    const js = async (subject, body = '') => JSON.parse((await natsRequest(stack.ports.CC_NATS_PORT, subject, body)).toString());
    const info = await js('$JS.API.STREAM.INFO.CC_EVENTS');
    const config = info.config;
    // room for about one more event
    const tight = await js('$JS.API.STREAM.UPDATE.CC_EVENTS', JSON.stringify({ ...config, max_bytes: info.state.bytes + 300, discard: 'new' }));
    assert.equal(tight.error, undefined, JSON.stringify(tight.error));
    const created = [];
    let refused = null;
    try {
      for (let i = 0; i < 40 && !refused; i++) {
        const r = await http('POST', '/enquiries', { channel_id: channel, kind: 'chat', caller: `full-${i}` });
        if (r.status === 201) created.push(r.body.enquiry.id);
        else if (r.status === 503) refused = r;
        else assert.fail(`unexpected ${r.status} ${JSON.stringify(r.body)}`);
        await sleep(100);
      }
      assert.ok(refused, 'a create was refused while the stream was full');
    } finally {
      const back = await js('$JS.API.STREAM.UPDATE.CC_EVENTS', JSON.stringify(config));
      assert.equal(back.error, undefined, JSON.stringify(back.error));
    }
    // with room again: requests work, and what waited in the outbox is stored, once
    const again = await until(async () => {
      const r = await http('POST', '/enquiries', { channel_id: channel, kind: 'chat', caller: 'after' });
      return r.status === 201 ? r : null;
    }, 15000, 'creates to work again');
    created.push(again.body.enquiry.id);
    await until(async () => (await redis('XLEN', 'cc:outbox:queue')).stdout.trim() === '0', 15000, 'the outbox to empty');
    const list = created.map((id) => `'${id}'`).join(',');
    await until(async () => (await psql(`select count(*) from events where type = 'enquiry.created' and enquiry_id in (${list})`)) === String(created.length),
      15000, 'every created fact stored');
    assert.equal(await psql(`select count(*) from (select enquiry_id from events where type = 'enquiry.created' and enquiry_id in (${list}) group by enquiry_id having count(*) > 1) d`), '0');
  });
});

