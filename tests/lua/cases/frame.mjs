// The frame of every request step (services/common/lua/00_frame.lua): the
// request record and its replay, the fingerprint, the deadline, the outbox
// cap; and exactly-once: one winner of an answer race, a deadline fired
// once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readEvents } from '../lib/expect.mjs';
import { OUTBOX, REQ_TTL_S } from '../lib/world.mjs';

// Each request script with a starting state in which it changes something
// and appends events, and the call (o: the frame options).
const REQUESTS = [
  ['create', null, (w, o) => w.create('E1', {}, o), ['ok', 'E1', 'v-E1']],
  ['answer', (w) => w.pendingEnq('E1'), (w, o) => w.answer('E1', 's1', o), ['won']],
  ['end', (w) => w.activeEnq('E1', 's1'), (w, o) => w.end('E1', 'staff:s1', 5000, o), ['ended', 's1']],
  ['close', (w) => w.endedEnq('E1', 's1'), (w, o) => w.close('E1', 's1', o), ['closed']],
  ['transfer', (w) => w.activeEnq('E1', 's1'), (w, o) => w.transfer('E1', 's1', { staff: 's2' }, o), ['ok']],
  ['transfer_cancel', async (w) => {
    await w.activeEnq('E1', 's1');
    await w.must(w.transfer('E1', 's1', { staff: 's2', mode: 'consult' }), ['ok']);
  }, (w, o) => w.xcancel('E1', 's1', o), ['returned']],
  ['chat', (w) => w.activeEnq('E1', 's1', { kind: 'chat' }), (w, o) => w.chat('E1', 'hello', o), ['ok']],
];

// Everything a step could touch, to compare before and after.
async function state(w) {
  const req = {};
  for (const k of (await w.call('KEYS', 'cc:req:*')).sort()) req[k] = await w.call('HGETALL', k);
  return { keys: await w.dump(), req, outbox: await w.call('XLEN', OUTBOX) };
}

async function unchanged(w, fn) {
  const before = await state(w);
  const reply = await fn();
  assert.deepEqual(await state(w), before, 'the step changed nothing and appended nothing');
  return reply;
}

async function start(w, setup) {
  await w.reset();
  if (setup) await setup(w);
  w.now += 1000;
}

export function frameTests(world) {
  for (const [name, setup, run, want] of REQUESTS) {
    test(`${name}: the reply is recorded under the key; a retry gets the same reply and does nothing`, async () => {
      const w = world();
      await start(w, setup);
      const n = await w.call('XLEN', OUTBOX);
      assert.deepEqual(await run(w, { key: 'k1', fp: 'fpA' }), want);
      assert.ok(await w.call('XLEN', OUTBOX) > n, 'the first call appended its events');
      assert.deepEqual(await w.call('HGETALL', 'cc:req:queue:k1'), ['fp', 'fpA', 'reply', JSON.stringify(want)]);
      const ttl = await w.call('TTL', 'cc:req:queue:k1');
      assert.ok(ttl > REQ_TTL_S - 5 && ttl <= REQ_TTL_S, `the record expires after the request TTL (${ttl})`);
      w.now += 1000;
      assert.deepEqual(await unchanged(w, () => run(w, { key: 'k1', fp: 'fpA' })), want);
    });
    test(`${name}: the same key with another fingerprint -> idem_mismatch, nothing changes`, async () => {
      const w = world();
      await start(w, setup);
      assert.deepEqual(await run(w, { key: 'k1', fp: 'fpA' }), want);
      assert.deepEqual(await unchanged(w, () => run(w, { key: 'k1', fp: 'fpB' })), ['idem_mismatch']);
    });
    test(`${name}: past its deadline -> expired, nothing changes, nothing recorded; at it, done`, async () => {
      const w = world();
      await start(w, setup);
      assert.deepEqual(await unchanged(w, () => run(w, { key: 'k1', fp: 'fpA', deadline: w.now - 1 })), ['expired']);
      assert.deepEqual(await run(w, { key: 'k1', fp: 'fpA', deadline: w.now }), want);
    });
    test(`${name}: an outbox at its maximum length -> busy, nothing changes, nothing recorded; below it, done`, async () => {
      const w = world();
      await start(w, setup);
      if (await w.call('XLEN', OUTBOX) === 0) await w.call('XADD', OUTBOX, '*', 'id', 'filler');
      const n = await w.call('XLEN', OUTBOX);
      assert.deepEqual(await unchanged(w, () => run(w, { key: 'k1', fp: 'fpA', max: n })), ['busy']);
      assert.deepEqual(await run(w, { key: 'k1', fp: 'fpA', max: n + 1 }), want);
    });
  }

  test('a retry gets its recorded reply even past its deadline and with the outbox full', async () => {
    const w = world();
    await start(w, (x) => x.pendingEnq('E1'));
    assert.deepEqual(await w.answer('E1', 's1', { key: 'k1', fp: 'fpA' }), ['won']);
    w.now += 1000;
    const n = await w.call('XLEN', OUTBOX);
    assert.deepEqual(await unchanged(w, () => w.answer('E1', 's1', { key: 'k1', fp: 'fpA', deadline: w.now - 1, max: n })),
      ['won']);
  });

  test('a recorded refusal is a reply like any other: not_found replayed after the enquiry exists', async () => {
    const w = world();
    await start(w, null);
    assert.deepEqual(await w.answer('E1', 's1', { key: 'k1', fp: 'fpA' }), ['not_found']);
    await w.pendingEnq('E1');
    assert.deepEqual(await unchanged(w, () => w.answer('E1', 's1', { key: 'k1', fp: 'fpA' })), ['not_found']);
  });

  test('without a key nothing is recorded', async () => {
    const w = world();
    await start(w, (x) => x.pendingEnq('E1'));
    assert.deepEqual(await w.answer('E1', 's1'), ['won']);
    assert.deepEqual(await w.call('KEYS', 'cc:req:*'), []);
  });

  test('a timer step is not refused by a full outbox (it has no request to refuse)', async () => {
    const w = world();
    await start(w, (x) => x.pendingEnq('E1'));
    w.now += 3_600_000;
    const n = await w.call('XLEN', OUTBOX);
    assert.equal(await w.expire(100, { max: n }), 1);
    assert.equal(await w.call('XLEN', OUTBOX), n + 1);
  });
}

export function onceTests(world) {
  test('two offered staff answer at once on two connections: one wins, the other gets taken; one answered fact', async () => {
    const w = world();
    await start(w, (x) => x.pendingEnq('E1'));
    const last = await w.lastOutboxId();
    const c1 = await w.connect();
    const c2 = await w.connect();
    try {
      const replies = await Promise.all([w.answer('E1', 's1', { conn: c1 }), w.answer('E1', 's2', { conn: c2 })]);
      const won = replies.findIndex((r) => r[0] === 'won');
      const winner = ['s1', 's2'][won];
      assert.ok(won >= 0, JSON.stringify(replies));
      assert.deepEqual(replies[1 - won], ['taken', winner, 'active']);
      assert.equal(await w.call('HGET', 'cc:enq:E1', 'answered_by'), winner);
      assert.deepEqual(await w.call('SMEMBERS', 'cc:staff:s1:holds'), winner === 's1' ? ['E1'] : []);
      assert.deepEqual(await w.call('SMEMBERS', 'cc:staff:s2:holds'), winner === 's2' ? ['E1'] : []);
      const types = (await w.outbox(last)).map((e) => e.f.type);
      assert.deepEqual(types, ['enquiry.answered']);
    } finally {
      c1.close();
      c2.close();
    }
  });

  test('answer then a second answer in turn: won, then taken by the first', async () => {
    const w = world();
    await start(w, (x) => x.pendingEnq('E1'));
    assert.deepEqual(await w.answer('E1', 's1'), ['won']);
    const last = await w.lastOutboxId();
    assert.deepEqual(await unchanged(w, () => w.answer('E1', 's2')), ['taken', 's1', 'active']);
    assert.deepEqual(await w.outbox(last), []);
  });

  test('expire run twice fires a deadline once: one missed fact', async () => {
    const w = world();
    await start(w, (x) => x.pendingEnq('E1'));
    w.now = Number(await w.call('HGET', 'cc:enq:E1', 'deadline_ms'));
    const last = await w.lastOutboxId();
    assert.equal(await w.expire(), 1);
    const first = await readEvents(w, await w.outbox(last), w.lastBase);
    assert.deepEqual(first.map((e) => [e.type, e.state]), [['enquiry.missed', 'missed']]);
    assert.equal(await unchanged(w, () => w.expire()), 0);
    assert.equal((await w.outbox(last)).length, 1);
  });

  test('expire on two connections at once (two replicas\' timers): the deadline fires once', async () => {
    const w = world();
    await start(w, async (x) => {
      await x.pendingEnq('E1');
      await x.pendingEnq('E2');
    });
    w.now += 3_600_000;
    const last = await w.lastOutboxId();
    const c1 = await w.connect();
    const c2 = await w.connect();
    try {
      const n = await Promise.all([w.expire(100, { conn: c1 }), w.expire(100, { conn: c2 })]);
      assert.equal(n[0] + n[1], 2);
      const types = (await w.outbox(last)).map((e) => `${e.f.type} ${JSON.parse(e.f.enquiry).id}`).sort();
      assert.deepEqual(types, ['enquiry.missed E1', 'enquiry.missed E2']);
    } finally {
      c1.close();
      c2.close();
    }
  });

  test('expire with a limit handles that many, earliest deadline first, the rest on the next run', async () => {
    const w = world();
    await start(w, async (x) => {
      await x.pendingEnq('E1');
      x.now += 10;
      await x.pendingEnq('E2');
    });
    w.now += 3_600_000;
    assert.equal(await w.expire(1), 1);
    assert.equal(await w.call('HGET', 'cc:enq:E1', 'state'), 'missed');
    assert.equal(await w.call('HGET', 'cc:enq:E2', 'state'), 'pending');
    assert.equal(await w.expire(1), 1);
    assert.equal(await w.call('HGET', 'cc:enq:E2', 'state'), 'missed');
    assert.equal(await w.expire(1), 0);
  });
}
