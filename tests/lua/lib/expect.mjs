// One table case of the Lua step tests: a starting state, one step, and
// everything that step must do: its reply, the exact change to every key
// (see world.mjs diff), and the outbox entries it appended.
//
// A case: { name, presence: {sid: activity}, setup(w), run(w) -> reply,
//   reply: value | async (reply, t, w) => assertions, changes: diff | (t) => diff,
//   events: [fact(...) | note(...)] | (t) => [...], unordered: true when the
//   step emits notifications in an order Redis does not define (set
//   members), check(w, t) for anything else }. The step runs one second
//   after setup, at t, unless setup sets w.stepAt.
import assert from 'node:assert/strict';
import { diff } from './world.mjs';

// A fact (note '0', stored once) or a notification (note '1', pushed only)
// as the tests expect it: the enquiry's id and state from its snapshot.
export const fact = (type, enquiry, state, o = {}) => ({
  type: `enquiry.${type}`, note: '0', enquiry, state, staff: '', reason: '', offered: [], withdrawn: [], ...o,
});
export const note = (type, enquiry, state, staff, reason) => ({
  type: `enquiry.${type}`, note: '1', enquiry, state, staff, reason, offered: [], withdrawn: [],
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// the order cc_outbox.c reads them in: its own four, then the queue's
const FIELDS = ['id', 'type', 'ts', 'note', 'enquiry', 'staff', 'reason', 'offered', 'withdrawn'];
const order = (a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1;

const pairs = (a) => Object.fromEntries(Array.from({ length: a.length / 2 }, (_, i) => [a[2 * i], a[2 * i + 1]]));

// The entries of one step (its event id base): ids, time, field names and
// snapshots checked here; returns them in the form fact()/note() give.
export async function readEvents(w, entries, base) {
  const got = [];
  for (const [i, e] of entries.entries()) {
    const f = e.f;
    assert.match(f.id, UUID, 'event id is UUID-shaped');
    assert.equal(f.id, base.slice(0, 32) + (i + 1).toString(16).padStart(4, '0'),
      'event n of a step: the base with its last four hex digits n');
    assert.ok(!w.eventIds.has(f.id), `event id ${f.id} used once`);
    w.eventIds.add(f.id);
    assert.equal(f.ts, String(w.now));
    assert.deepEqual(e.fields, f.message !== undefined ? [...FIELDS, 'message'] : FIELDS);
    const snap = JSON.parse(f.enquiry);
    assert.equal(snap.visitor, undefined, 'the visitor token hash never leaves Redis');
    const h = pairs(await w.call('HGETALL', `cc:enq:${snap.id}`));
    assert.ok(h.visitor, 'the enquiry has a visitor hash (so its absence above means something)');
    delete h.visitor;
    assert.deepEqual(snap, h, `the ${f.type} snapshot is the enquiry as the step left it`);
    got.push({
      type: f.type, note: f.note, enquiry: snap.id, state: snap.state, staff: f.staff, reason: f.reason,
      offered: JSON.parse(f.offered), withdrawn: JSON.parse(f.withdrawn).sort(),
      ...(f.message !== undefined ? { message: f.message } : {}),
    });
  }
  return got;
}

export async function runCase(w, c) {
  await w.reset(c.presence ?? {});
  w.stepAt = undefined;
  if (c.setup) await c.setup(w);
  w.now = w.stepAt ?? w.now + 1000;
  const t = w.now;
  const before = await w.dump();
  const last = await w.lastOutboxId();
  const steps = w.steps;
  const reply = await c.run(w);
  assert.equal(w.steps, steps + 1, 'a case runs exactly one step');
  if (typeof c.reply === 'function') await c.reply(reply, t, w);
  else assert.deepEqual(reply, c.reply);
  if (Array.isArray(reply) && typeof reply[0] === 'string') w.covered.add(`${w.lastScript} ${reply[0]}`);
  const changes = typeof c.changes === 'function' ? c.changes(t) : c.changes;
  assert.deepEqual(diff(before, await w.dump()), changes ?? {});
  let want = typeof c.events === 'function' ? c.events(t) : c.events ?? [];
  want = want.map((e) => ({ ...e, withdrawn: [...e.withdrawn].sort() }));
  let got = await readEvents(w, await w.outbox(last), w.lastBase);
  if (c.unordered) {
    got = got.sort(order);
    want = want.sort(order);
  }
  assert.deepEqual(got, want);
  await everyEnquiryKeyExpires(w);
  if (c.check) await c.check(w, t);
}

// The keys of an enquiry (its hash, offers, chat) go when the enquiry does
// (CC_ENQUIRY_TTL_S): none is left without an expiry, except while it is
// held (answered and not ended: active, or pending again in a blind
// transfer), when its hash and offers must not expire.
const SHARED = new Set(['cc:enq:active', 'cc:enq:idle', 'cc:enq:deadlines']);
export async function everyEnquiryKeyExpires(w) {
  for (const k of await w.call('KEYS', 'cc:enq:*')) {
    if (SHARED.has(k)) continue;
    const id = k.split(':')[2];
    const [state, answered] = await w.call('HMGET', `cc:enq:${id}`, 'state', 'answered_ms');
    const held = answered !== null && (state === 'active' || state === 'pending');
    if (held && !k.endsWith(':chat')) assert.equal(await w.call('TTL', k), -1, `${k} of a held enquiry does not expire`);
    else assert.ok(await w.call('TTL', k) > 0, `${k} has an expiry`);
  }
}
