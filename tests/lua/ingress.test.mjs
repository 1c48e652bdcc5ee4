// ingress's Lua steps (services/ingress/lua: call_new, call_set, out_new,
// reg, ring_set, trunks), joined exactly as the build joins them
// (tools/dev/embed-lua: services/common/lua sorted, then the script; ingress
// has no lua/lib), loaded and run as the Redis user cc on a redis-server of
// this file's own, in the frame ingress calls them in
// (services/common/cc_step.c; services/ingress/callstore.c, phones.c,
// outbound.c). Each case checks the reply, the exact change to every key,
// the exact change to every key's expiry, and that no step appends to the
// outbox (ingress's steps have no events). Then the frame (the request
// record of out_new, the refusals of every request step) and, last, that
// every reply word of every script's header was the reply of some case.
// Needs no service binaries: `node --test tests/lua/`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { repo } from '../integration/lib/stack.mjs';
import { startRedis } from './lib/redis.mjs';
import { loadServiceScripts } from './lib/scripts.mjs';
import { diff } from './lib/world.mjs';

const OUTBOX = 'cc:outbox:ingress';
const SCRIPTS = 'services/ingress/lua';
const BASE = '019abf00-0000-7000-8000-000000000000';
const REQ_TTL_S = 86400;
// services/ingress/callstore.h and contact.h
const CALL_TTL_S = 43200;
const CALL_ENDED_TTL_S = 600;
const CONTACTS_PER_STAFF = 10;
const OLD_TTL_S = 5000; // the expiry set-up gives keys, so that a refresh shows

const loaded = loadServiceScripts('ingress');
const sha = {};
const covered = new Set(); // "script word": a reply some case asserted
let redis;
// The steps' clock (ARGV now): the wall clock at the start of a case, so
// that an absolute expiry (reg.lua's PEXPIREAT) lies ahead of Redis's clock.
let now = 0;

before(async () => {
  redis = await startRedis();
  for (const [name, text] of Object.entries(loaded.scripts)) sha[name] = await redis.service.call('SCRIPT', 'LOAD', text);
});
after(async () => {
  await redis?.stop();
});

const pairs = (a) => Object.fromEntries(Array.from({ length: a.length / 2 }, (_, i) => [a[2 * i], a[2 * i + 1]]));

// A request step as the Redis user cc, in the frame: o.key (request
// record), o.fp, o.deadline, o.max (outbox cap).
async function step(name, args, o = {}) {
  const key = o.key ? `cc:req:ingress:${o.key}` : '';
  const reply = await redis.service.call('EVALSHA', sha[name], 2, OUTBOX, key, BASE, String(now), o.fp ?? '',
    String(o.deadline ?? 0), String(REQ_TTL_S), String(o.max ?? 0), ...args.map(String));
  if (Array.isArray(reply) && typeof reply[0] === 'string') covered.add(`${name} ${reply[0]}`);
  return reply;
}
// The calls as callstore.c / phones.c / outbound.c make them.
const callNew = (id, sipId, fields = {}, ttl = CALL_TTL_S, o) =>
  step('call_new', [id, sipId, ttl, ...Object.entries(fields).flat()], o);
const callSet = (id, from, to, fields = {}, { bump = false, ttl } = {}, o) =>
  step('call_set', [id, from, to, ttl ?? (to === 'ended' ? CALL_ENDED_TTL_S : CALL_TTL_S), bump ? '1' : '0',
    ...Object.entries(fields).flat()], o);
const ringSet = (id, from, to, fields = {}, { bump = false, ttl } = {}, o) =>
  step('ring_set', [id, from, to, ttl ?? (to === 'ended' ? CALL_ENDED_TTL_S : CALL_TTL_S), bump ? '1' : '0',
    ...Object.entries(fields).flat()], o);
// reg: bindings [[contact, seconds], ...]
const reg = (sid, bindings = [], { max = CONTACTS_PER_STAFF, clear = false } = {}, o) =>
  step('reg', [sid, max, clear ? '1' : '0', ...bindings.flat()], o);
const outNew = (id, sipId, fields = {}, o) => step('out_new', [id, sipId, CALL_TTL_S, ...Object.entries(fields).flat()], o);

// Every key but the outbox and the request records: { type, v, exp } with
// exp its PEXPIRETIME (absolute ms, -1 none); v as world.mjs's dump.
async function dump() {
  const keys = (await redis.call('KEYS', '*')).filter((k) => k !== OUTBOX && !k.startsWith('cc:req:')).sort();
  const out = {};
  for (const k of keys) {
    const type = await redis.call('TYPE', k);
    let v;
    if (type === 'hash') v = pairs(await redis.call('HGETALL', k));
    else if (type === 'set') v = (await redis.call('SMEMBERS', k)).sort();
    else if (type === 'zset') v = Object.fromEntries(Object.entries(pairs(await redis.call('ZRANGE', k, 0, -1, 'WITHSCORES'))).map(([m, s]) => [m, Number(s)]));
    else if (type === 'string') v = await redis.call('GET', k);
    else throw new Error(`unexpected ${type} key ${k}`);
    out[k] = { type, v, exp: await redis.call('PEXPIRETIME', k) };
  }
  return out;
}

// A call as set-up (call_new's keys, with the set-up expiry) in state, with
// fields.
async function givenCall(id, sipId, state = 'new', fields = {}) {
  assert.deepEqual(await callNew(id, sipId, {}, OLD_TTL_S), ['new', id]);
  if (state !== 'new' || Object.keys(fields).length) {
    const r = await callSet(id, 'new', state, fields, { ttl: OLD_TTL_S });
    assert.equal(r[0], 'ok');
  }
}
async function givenRing(id, state = 'ringing', fields = {}) {
  const f = { call: 'C1', staff: 's1', contact: 'sip:s1@10.0.0.5', sip_call_id: `ring-${id}@cc-ingress`, ...fields };
  assert.equal((await ringSet(id, 'none', 'ringing', f, { ttl: OLD_TTL_S }))[0], 'ok');
  if (state !== 'ringing') assert.equal((await ringSet(id, '*', state, {}, { ttl: OLD_TTL_S }))[0], 'ok');
}

// One case: { name, setup(), run() -> reply, reply: value | (reply, t) =>
// assertions, changes: diff | (t) => diff (world.mjs's diff), expiry: {key:
// {ttl: s} | {at: ms}} | (t) => ... (every key whose expiry the step set,
// and nothing else), check(t) }. The step runs at t = the set-up's time +
// 1000 (now). Nothing is ever appended to the outbox, and every key of a
// call, a ring or a registration is left with an expiry.
async function runCase(c) {
  await redis.call('FLUSHALL');
  now = Date.now();
  if (c.setup) await c.setup();
  now += 1000;
  const t = now;
  const beforeKeys = await dump();
  const t0 = Date.now();
  const reply = await c.run();
  const t1 = Date.now();
  if (typeof c.reply === 'function') await c.reply(reply, t);
  else assert.deepEqual(reply, c.reply);
  const afterKeys = await dump();
  const changes = typeof c.changes === 'function' ? c.changes(t) : c.changes;
  assert.deepEqual(diff(beforeKeys, afterKeys), changes ?? {}, 'the changes to the keys');
  const expiry = (typeof c.expiry === 'function' ? c.expiry(t) : c.expiry) ?? {};
  const moved = Object.keys(afterKeys).filter((k) => afterKeys[k].exp !== (beforeKeys[k]?.exp ?? -1)).sort();
  assert.deepEqual(moved, Object.keys(expiry).sort(), 'the keys whose expiry the step set');
  for (const [k, e] of Object.entries(expiry)) {
    const exp = afterKeys[k].exp;
    if (e.at !== undefined) assert.equal(exp, e.at, `${k} expires at ${e.at}`);
    else {
      assert.ok(exp >= t0 + e.ttl * 1000 && exp <= t1 + e.ttl * 1000,
        `${k} expires ${e.ttl} s after the step (${exp - t0} ms after it began)`);
    }
  }
  assert.equal(await redis.call('XLEN', OUTBOX), 0, 'no step of ingress appends to the outbox');
  for (const k of Object.keys(afterKeys)) {
    // the two indexes of calls are kept short by their users instead:
    // creating trimmed by call_new, offering swept by ingress's resync
    if (k === 'cc:call:creating' || k === 'cc:call:offering' || k.startsWith('cc:dir:')) continue;
    assert.ok(afterKeys[k].exp > 0, `${k} has an expiry`);
  }
  if (c.check) await c.check(t);
}

// The reply of a state step: 'ok', the previous state, then the record as
// it is now (the hash after the step).
const okWith = (previous, key) => async (reply) => {
  assert.equal(reply[0], 'ok');
  assert.equal(reply[1], previous);
  assert.deepEqual(pairs(reply.slice(2)), pairs(await redis.call('HGETALL', key)), 'the record as the step left it');
};

const CALL_NEW = [
  {
    name: 'a new INVITE: the call in state new with its fields, indexed by its Call-ID, listed as creating',
    run: () => callNew('C1', 'abc@trunk', { trunk: 't1', from_uri: 'sip:+4420@trunk', to_uri: 'sip:100@cc' }),
    reply: ['new', 'C1'],
    changes: (t) => ({
      'cc:call:C1': { id: 'C1', sip_call_id: 'abc@trunk', state: 'new', created_ms: String(t), local_cseq: '0',
        trunk: 't1', from_uri: 'sip:+4420@trunk', to_uri: 'sip:100@cc' },
      'cc:call:creating': { C1: t },
      'cc:call:sip:abc@trunk': 'C1',
    }),
    expiry: { 'cc:call:C1': { ttl: CALL_TTL_S }, 'cc:call:sip:abc@trunk': { ttl: CALL_TTL_S } },
  },
  {
    name: 'the INVITE retried (same Call-ID, another id): the first call, nothing made',
    setup: () => givenCall('C1', 'abc@trunk'),
    run: () => callNew('C2', 'abc@trunk', { trunk: 't1' }),
    reply: ['exists', 'C1', 'new'],
  },
  {
    name: 'the INVITE retried after the call moved on: the first call and its state',
    setup: () => givenCall('C1', 'abc@trunk', 'ringing'),
    run: () => callNew('C2', 'abc@trunk'),
    reply: ['exists', 'C1', 'ringing'],
  },
  {
    name: 'a Call-ID whose call has expired: a new call, the index bound to it',
    setup: async () => {
      await givenCall('C1', 'abc@trunk');
      await redis.call('DEL', 'cc:call:C1');
    },
    run: () => callNew('C2', 'abc@trunk'),
    reply: ['new', 'C2'],
    changes: (t) => ({
      'cc:call:C2': { id: 'C2', sip_call_id: 'abc@trunk', state: 'new', created_ms: String(t), local_cseq: '0' },
      'cc:call:creating': { C2: t },
      'cc:call:sip:abc@trunk': 'C2',
    }),
    expiry: { 'cc:call:C2': { ttl: CALL_TTL_S }, 'cc:call:sip:abc@trunk': { ttl: CALL_TTL_S } },
  },
  {
    name: 'creating keeps the last 60 s only: older entries are dropped',
    setup: () => redis.call('ZADD', 'cc:call:creating', now + 1000 - 60_000, 'old', now + 1000 - 59_999, 'recent'),
    run: () => callNew('C1', 'abc@trunk'),
    reply: ['new', 'C1'],
    changes: (t) => ({
      'cc:call:C1': { id: 'C1', sip_call_id: 'abc@trunk', state: 'new', created_ms: String(t), local_cseq: '0' },
      'cc:call:creating': { old: null, C1: t },
      'cc:call:sip:abc@trunk': 'C1',
    }),
    expiry: { 'cc:call:C1': { ttl: CALL_TTL_S }, 'cc:call:sip:abc@trunk': { ttl: CALL_TTL_S } },
  },
];

const CALL_SET = [
  {
    name: 'no such call: not_found, nothing changes',
    run: () => callSet('C9', '*', 'ringing'),
    reply: ['not_found'],
  },
  {
    name: 'from a state not allowed: the current state, nothing changes',
    setup: () => givenCall('C1', 'abc@trunk'),
    run: () => callSet('C1', 'ringing,answered', 'ended', { end_reason: 'cancelled' }),
    reply: ['state', 'new'],
  },
  {
    name: 'a state is matched whole, not as part of another (answer is not answered)',
    setup: () => givenCall('C1', 'abc@trunk', 'answered'),
    run: () => callSet('C1', 'answer,ended', 'ended'),
    reply: ['state', 'answered'],
  },
  {
    name: 'leaving new with its enquiry: set, indexed by the enquiry, out of creating, expiries renewed',
    setup: () => givenCall('C1', 'abc@trunk'),
    run: () => callSet('C1', 'new', 'ringing', { enquiry_id: 'E1', caller: 'Visitor' }),
    reply: okWith('new', 'cc:call:C1'),
    changes: (t) => ({
      'cc:call:C1': { state: 'ringing', updated_ms: String(t), enquiry_id: 'E1', caller: 'Visitor' },
      'cc:call:creating': { C1: null },
      'cc:call:enq:E1': 'C1',
    }),
    expiry: { 'cc:call:C1': { ttl: CALL_TTL_S }, 'cc:call:sip:abc@trunk': { ttl: CALL_TTL_S },
      'cc:call:enq:E1': { ttl: CALL_TTL_S } },
  },
  {
    name: 'new to new (a field while the enquiry is created): stays in creating',
    setup: () => givenCall('C1', 'abc@trunk'),
    run: () => callSet('C1', 'new', 'new', { node: 'm1' }),
    reply: okWith('new', 'cc:call:C1'),
    changes: (t) => ({ 'cc:call:C1': { updated_ms: String(t), node: 'm1' } }),
    expiry: { 'cc:call:C1': { ttl: CALL_TTL_S }, 'cc:call:sip:abc@trunk': { ttl: CALL_TTL_S } },
  },
  {
    name: 'an empty enquiry_id is set but indexes nothing',
    setup: () => givenCall('C1', 'abc@trunk'),
    run: () => callSet('C1', 'new', 'ringing', { enquiry_id: '' }),
    reply: okWith('new', 'cc:call:C1'),
    changes: (t) => ({
      'cc:call:C1': { state: 'ringing', updated_ms: String(t), enquiry_id: '' },
      'cc:call:creating': { C1: null },
    }),
    expiry: { 'cc:call:C1': { ttl: CALL_TTL_S }, 'cc:call:sip:abc@trunk': { ttl: CALL_TTL_S } },
  },
  {
    name: 'to offering: indexed in cc:call:offering (scored by when), so the resync finds the waiting calls',
    setup: () => givenCall('C1', 'abc@trunk'),
    run: () => callSet('C1', 'new', 'offering', { enquiry_id: 'E1' }),
    reply: okWith('new', 'cc:call:C1'),
    changes: (t) => ({
      'cc:call:C1': { state: 'offering', updated_ms: String(t), enquiry_id: 'E1' },
      'cc:call:creating': { C1: null },
      'cc:call:enq:E1': 'C1',
      'cc:call:offering': { C1: t },
    }),
    expiry: { 'cc:call:C1': { ttl: CALL_TTL_S }, 'cc:call:sip:abc@trunk': { ttl: CALL_TTL_S },
      'cc:call:enq:E1': { ttl: CALL_TTL_S } },
  },
  {
    name: 'leaving offering: out of cc:call:offering',
    setup: () => givenCall('C1', 'abc@trunk', 'offering'),
    run: () => callSet('C1', 'offering', 'answered'),
    reply: okWith('offering', 'cc:call:C1'),
    changes: (t) => ({
      'cc:call:C1': { state: 'answered', updated_ms: String(t) },
      'cc:call:offering': { C1: null },
    }),
    expiry: { 'cc:call:C1': { ttl: CALL_TTL_S }, 'cc:call:sip:abc@trunk': { ttl: CALL_TTL_S } },
  },
  {
    name: "from '*': any state; bump adds one to local_cseq",
    setup: () => givenCall('C1', 'abc@trunk', 'answered', { enquiry_id: 'E1' }),
    run: () => callSet('C1', '*', 'answered', { remote_target: 'sip:p@h' }, { bump: true }),
    reply: okWith('answered', 'cc:call:C1'),
    changes: (t) => ({ 'cc:call:C1': { updated_ms: String(t), remote_target: 'sip:p@h', local_cseq: '1' } }),
    expiry: { 'cc:call:C1': { ttl: CALL_TTL_S }, 'cc:call:sip:abc@trunk': { ttl: CALL_TTL_S },
      'cc:call:enq:E1': { ttl: CALL_TTL_S } },
  },
  {
    name: 'ending: ended_ms, and the call and its indexes kept CALL_ENDED_TTL_S more',
    setup: () => givenCall('C1', 'abc@trunk', 'answered', { enquiry_id: 'E1' }),
    run: () => callSet('C1', 'ringing,answered', 'ended', { end_reason: 'hangup' }),
    reply: okWith('answered', 'cc:call:C1'),
    changes: (t) => ({ 'cc:call:C1': { state: 'ended', updated_ms: String(t), ended_ms: String(t), end_reason: 'hangup' } }),
    expiry: { 'cc:call:C1': { ttl: CALL_ENDED_TTL_S }, 'cc:call:sip:abc@trunk': { ttl: CALL_ENDED_TTL_S },
      'cc:call:enq:E1': { ttl: CALL_ENDED_TTL_S } },
  },
  {
    name: 'ended again (a late BYE): ended_ms stays the first',
    setup: async () => {
      await givenCall('C1', 'abc@trunk', 'answered');
      assert.equal((await callSet('C1', 'answered', 'ended', {}, { ttl: OLD_TTL_S }))[0], 'ok');
    },
    run: () => callSet('C1', '*', 'ended'),
    reply: okWith('ended', 'cc:call:C1'),
    changes: (t) => ({ 'cc:call:C1': { updated_ms: String(t) } }),
    expiry: { 'cc:call:C1': { ttl: CALL_ENDED_TTL_S }, 'cc:call:sip:abc@trunk': { ttl: CALL_ENDED_TTL_S } },
    check: async (t) => assert.equal(await redis.call('HGET', 'cc:call:C1', 'ended_ms'), String(t - 1000)),
  },
];

const RING = { call: 'C1', staff: 's1', contact: 'sip:s1@10.0.0.5', sip_call_id: 'ring-G1@cc-ingress', node: 'm1' };
const RING_SET = [
  {
    name: 'no such ring: not_found',
    run: () => ringSet('G9', 'ringing', 'cancelled'),
    reply: ['not_found'],
  },
  {
    name: 'creating without call, staff and contact: not_found, nothing made',
    run: () => ringSet('G1', 'none', 'ringing', { call: 'C1', staff: 's1' }),
    reply: ['not_found'],
  },
  {
    name: 'created (from none): the ring, its index per phone of the call, its Call-ID index',
    run: () => ringSet('G1', 'none', 'ringing', RING),
    reply: okWith('none', 'cc:ring:G1'),
    changes: (t) => ({
      'cc:call:C1:rings': { 's1 sip:s1@10.0.0.5': 'G1' },
      'cc:call:ring:ring-G1@cc-ingress': 'G1',
      'cc:ring:G1': { id: 'G1', created_ms: String(t), local_cseq: '0', state: 'ringing', updated_ms: String(t), ...RING },
    }),
    expiry: { 'cc:call:C1:rings': { ttl: CALL_TTL_S }, 'cc:call:ring:ring-G1@cc-ingress': { ttl: CALL_TTL_S },
      'cc:ring:G1': { ttl: CALL_TTL_S } },
  },
  {
    name: 'a second offer of the call to the same phone: that ring exists, nothing made',
    setup: () => givenRing('G1'),
    run: () => ringSet('G2', 'none', 'ringing', { ...RING, sip_call_id: 'ring-G2@cc-ingress' }),
    reply: ['state', 'exists'],
  },
  {
    name: 'another phone of the same staff member: a ring of its own, beside the first in the index',
    setup: () => givenRing('G1'),
    run: () => ringSet('G2', 'none', 'ringing', { call: 'C1', staff: 's1', contact: 'sip:s1@10.0.0.6' }),
    reply: okWith('none', 'cc:ring:G2'),
    changes: (t) => ({
      'cc:call:C1:rings': { 's1 sip:s1@10.0.0.6': 'G2' },
      'cc:ring:G2': { id: 'G2', created_ms: String(t), local_cseq: '0', state: 'ringing', updated_ms: String(t),
        call: 'C1', staff: 's1', contact: 'sip:s1@10.0.0.6' },
    }),
    expiry: { 'cc:call:C1:rings': { ttl: CALL_TTL_S }, 'cc:ring:G2': { ttl: CALL_TTL_S } },
  },
  {
    name: 'the id of an existing ring with from none: its state, nothing changes',
    setup: () => givenRing('G1'),
    run: () => ringSet('G1', 'none', 'ringing', RING),
    reply: ['state', 'ringing'],
  },
  {
    name: 'answered by the phone while being cancelled: the current state, nothing changes',
    setup: () => givenRing('G1', 'cancelled'),
    run: () => ringSet('G1', 'ringing', 'answering', { remote: '<sip:s1@10.0.0.5>;tag=x' }),
    reply: ['state', 'cancelled'],
  },
  {
    name: 'ringing to answering with the dialog: set, expiries renewed',
    setup: () => givenRing('G1'),
    run: () => ringSet('G1', 'ringing', 'answering', { remote: '<sip:s1@10.0.0.5>;tag=x', target: 'sip:s1@10.0.0.5:5070' }),
    reply: okWith('ringing', 'cc:ring:G1'),
    changes: (t) => ({ 'cc:ring:G1': { state: 'answering', updated_ms: String(t), remote: '<sip:s1@10.0.0.5>;tag=x',
      target: 'sip:s1@10.0.0.5:5070' } }),
    expiry: { 'cc:ring:G1': { ttl: CALL_TTL_S }, 'cc:call:ring:ring-G1@cc-ingress': { ttl: CALL_TTL_S } },
  },
  {
    name: 'ended with a BYE (bump): local_cseq up one, the ring and its Call-ID kept CALL_ENDED_TTL_S',
    setup: () => givenRing('G1', 'answered'),
    run: () => ringSet('G1', '*', 'ended', { end_reason: 'hangup' }, { bump: true }),
    reply: okWith('answered', 'cc:ring:G1'),
    changes: (t) => ({ 'cc:ring:G1': { state: 'ended', updated_ms: String(t), end_reason: 'hangup', local_cseq: '1' } }),
    expiry: { 'cc:ring:G1': { ttl: CALL_ENDED_TTL_S }, 'cc:call:ring:ring-G1@cc-ingress': { ttl: CALL_ENDED_TTL_S } },
  },
];

const A = 'sip:s1@10.0.0.5:5070';
const B = 'sip:s1@10.0.0.6';
const C = 'sip:s1@[2001:db8::1]';
// the set-up's bindings: A until 100 s and B until 50.5 s after the step
const givenBindings = () => redis.call('HSET', 'cc:reg:s1', A, now + 1000 + 100_000, B, now + 1000 + 50_500)
  .then(() => redis.call('PEXPIREAT', 'cc:reg:s1', now + 1000 + 100_000));
const REG = [
  {
    name: 'a read with no bindings: ok, nothing',
    run: () => reg('s1'),
    reply: ['ok'],
  },
  {
    name: 'a read: each binding and its seconds left (rounded up); nothing changes',
    setup: givenBindings,
    run: () => reg('s1'),
    reply: ['ok', A, '100', B, '51'],
  },
  {
    name: 'a new binding: its Expires honoured, the key expiring with it',
    run: () => reg('s1', [[A, 3600]]),
    reply: ['ok', A, '3600'],
    changes: (t) => ({ 'cc:reg:s1': { [A]: String(t + 3_600_000) } }),
    expiry: (t) => ({ 'cc:reg:s1': { at: t + 3_600_000 } }),
  },
  {
    name: 'a binding refreshed with another beside it: the key expires with the last binding',
    setup: givenBindings,
    run: () => reg('s1', [[B, 300]]),
    reply: ['ok', A, '100', B, '300'],
    changes: (t) => ({ 'cc:reg:s1': { [B]: String(t + 300_000) } }),
    expiry: (t) => ({ 'cc:reg:s1': { at: t + 300_000 } }),
  },
  {
    name: 'several contacts in one REGISTER, listed in order',
    run: () => reg('s1', [[C, 60], [A, 120]]),
    reply: ['ok', A, '120', C, '60'],
    changes: (t) => ({ 'cc:reg:s1': { [A]: String(t + 120_000), [C]: String(t + 60_000) } }),
    expiry: (t) => ({ 'cc:reg:s1': { at: t + 120_000 } }),
  },
  {
    name: 'Expires 0 removes that binding; the key now expires with the one left',
    setup: givenBindings,
    run: () => reg('s1', [[A, 0]]),
    reply: ['ok', B, '51'],
    changes: { 'cc:reg:s1': { [A]: null } },
    expiry: (t) => ({ 'cc:reg:s1': { at: t + 50_500 } }),
  },
  {
    name: 'Expires 0 on the last binding: the key goes',
    run: () => reg('s1', [[A, 0]]),
    setup: () => redis.call('HSET', 'cc:reg:s1', A, now + 1000 + 9000).then(() => redis.call('PEXPIREAT', 'cc:reg:s1', now + 1000 + 9000)),
    reply: ['ok'],
    changes: { 'cc:reg:s1': { [A]: null } }, // a hash with no field left: the key is gone
    check: async () => assert.equal(await redis.call('EXISTS', 'cc:reg:s1'), 0),
  },
  {
    name: 'Contact: * with Expires 0 (clear): every binding goes',
    setup: givenBindings,
    run: () => reg('s1', [], { clear: true }),
    reply: ['ok'],
    changes: { 'cc:reg:s1': { [A]: null, [B]: null } },
    check: async () => assert.equal(await redis.call('EXISTS', 'cc:reg:s1'), 0),
  },
  {
    name: 'an expired binding is dropped (and not counted), the live ones kept',
    setup: () => redis.call('HSET', 'cc:reg:s1', A, now + 1000, B, now + 1000 + 20_000, C, now - 5000)
      .then(() => redis.call('PEXPIREAT', 'cc:reg:s1', now + 1000 + 20_000)),
    run: () => reg('s1'),
    reply: ['ok', B, '20'],
    changes: { 'cc:reg:s1': { [A]: null, [C]: null } },
  },
  {
    name: 'one binding more than a staff member may hold: full (with the count), nothing changes',
    setup: givenBindings,
    run: () => reg('s1', [[C, 60]], { max: 2 }),
    reply: ['full', 3],
  },
  {
    name: 'at the limit a binding is still refreshed, and expired ones leave room',
    setup: () => redis.call('HSET', 'cc:reg:s1', A, now + 1000 + 100_000, B, now + 1000 - 1)
      .then(() => redis.call('PEXPIREAT', 'cc:reg:s1', now + 1000 + 100_000)),
    run: () => reg('s1', [[A, 60], [C, 60]], { max: 2 }),
    reply: ['ok', A, '60', C, '60'],
    changes: (t) => ({ 'cc:reg:s1': { [A]: String(t + 60_000), [B]: null, [C]: String(t + 60_000) } }),
    expiry: (t) => ({ 'cc:reg:s1': { at: t + 60_000 } }),
  },
  {
    name: "another staff member's bindings are not touched",
    setup: givenBindings,
    run: () => reg('s2', [[A, 60]]),
    reply: ['ok', A, '60'],
    changes: (t) => ({ 'cc:reg:s2': { [A]: String(t + 60_000) } }),
    expiry: (t) => ({ 'cc:reg:s2': { at: t + 60_000 } }),
  },
];

const OUT_NEW = [
  {
    name: 'an outbound call: state new, outbound, local_cseq 1, indexed by its carrier Call-ID, not creating',
    run: () => outNew('O1', 'out-O1@cc', { trunk: 't1', to_uri: 'sip:+4420@carrier', staff_id: 's1' }, { key: 'k1', fp: 'fpA' }),
    reply: ['new', 'O1'],
    changes: (t) => ({
      'cc:call:O1': { id: 'O1', sip_call_id: 'out-O1@cc', state: 'new', outbound: '1', created_ms: String(t),
        updated_ms: String(t), local_cseq: '1', trunk: 't1', to_uri: 'sip:+4420@carrier', staff_id: 's1' },
      'cc:call:sip:out-O1@cc': 'O1',
    }),
    expiry: { 'cc:call:O1': { ttl: CALL_TTL_S }, 'cc:call:sip:out-O1@cc': { ttl: CALL_TTL_S } },
    check: async () => {
      assert.deepEqual(await redis.call('HGETALL', 'cc:req:ingress:k1'), ['fp', 'fpA', 'reply', '["new","O1"]']);
      const ttl = await redis.call('TTL', 'cc:req:ingress:k1');
      assert.ok(ttl > REQ_TTL_S - 5 && ttl <= REQ_TTL_S, `the request record kept the request TTL (${ttl})`);
    },
  },
  {
    name: 'the POST retried with its Idempotency-Key: the first call back, nothing made',
    setup: () => outNew('O1', 'out-O1@cc', { trunk: 't1' }, { key: 'k1', fp: 'fpA' }),
    run: () => outNew('O2', 'out-O2@cc', { trunk: 't1' }, { key: 'k1', fp: 'fpA' }),
    reply: ['new', 'O1'],
  },
];

const TRUNKS = [
  {
    name: 'no trunks: an empty list',
    run: () => redis.service.call('EVALSHA', sha.trunks, 0),
    reply: [],
  },
  {
    name: 'every trunk in id order, missing fields empty; a member without its hash left out',
    setup: async () => {
      await redis.call('SADD', 'cc:dir:trunks', 'tb', 'ta', 'gone');
      await redis.call('HSET', 'cc:dir:trunk:ta', 'name', 'A', 'addresses', '192.0.2.1', 'username', 'u', 'ha1', 'h',
        'realm', 'r', 'outbound_uri', 'sip:out@a');
      await redis.call('HSET', 'cc:dir:trunk:tb', 'name', 'B', 'addresses', '192.0.2.2,192.0.2.3');
    },
    run: () => redis.service.call('EVALSHA', sha.trunks, 0),
    reply: ['ta', 'A', '192.0.2.1', 'u', 'h', 'r', 'sip:out@a', 'tb', 'B', '192.0.2.2,192.0.2.3', '', '', '', ''],
  },
];

describe('the scripts are the ones the build embeds', () => {
  test('tools/dev/embed-lua gives one script per services/ingress/lua/*.lua', () => {
    const files = readdirSync(path.join(repo, SCRIPTS)).filter((f) => f.endsWith('.lua')).map((f) => f.slice(0, -4));
    assert.deepEqual(Object.keys(loaded.scripts).sort(), files.sort());
    assert.ok(files.length >= 6);
  });
  test('each is common/lua sorted, then the script (ingress has no lua/lib)', () => {
    for (const name of Object.keys(loaded.scripts)) assert.equal(loaded.scripts[name], loaded.byRule[name], name);
    assert.match(loaded.scripts.reg, /^-- services\/common\/lua\/00_frame\.lua\n[^]*\n-- services\/common\/lua\/10_outbox\.lua\n[^]*\n-- services\/ingress\/lua\/reg\.lua\n/);
  });
  test('the same text as build/*/gen/lua_ingress.c (when that is up to date)', (t) => {
    for (const g of loaded.generated) {
      if (g.same) continue;
      if (g.fresh) assert.fail(`${g.file} differs from what tools/dev/embed-lua makes of the sources`);
      t.diagnostic(`${g.file} is older than the sources (not rebuilt yet): not compared`);
    }
  });
});

for (const [group, cases] of Object.entries({ call_new: CALL_NEW, call_set: CALL_SET, ring_set: RING_SET, reg: REG,
  out_new: OUT_NEW, trunks: TRUNKS })) {
  describe(group, () => {
    for (const c of cases) test(c.name, () => runCase(c));
  });
}

// Every request step with a call that would change something (after
// setup), for the frame's refusals.
const REQUESTS = [
  ['call_new', null, (o) => callNew('C1', 'abc@trunk', {}, CALL_TTL_S, o), ['new', 'C1']],
  ['call_set', () => givenCall('C1', 'abc@trunk'), (o) => callSet('C1', 'new', 'ringing', {}, {}, o), null],
  ['ring_set', null, (o) => ringSet('G1', 'none', 'ringing', RING, {}, o), null],
  ['reg', null, (o) => reg('s1', [[A, 60]], {}, o), ['ok', A, '60']],
  ['out_new', null, (o) => outNew('O1', 'out-O1@cc', {}, o), ['new', 'O1']],
];

async function everything() {
  const req = {};
  for (const k of (await redis.call('KEYS', 'cc:req:*')).sort()) req[k] = await redis.call('HGETALL', k);
  return { keys: await dump(), req, outbox: await redis.call('XLEN', OUTBOX) };
}
async function unchanged(fn) {
  const before = await everything();
  const reply = await fn();
  assert.deepEqual(await everything(), before, 'the step changed nothing and recorded nothing');
  return reply;
}
async function start(setup) {
  await redis.call('FLUSHALL');
  now = Date.now();
  if (setup) await setup();
  now += 1000;
}
const done = (reply, want) => (want ? assert.deepEqual(reply, want) : assert.equal(reply[0], 'ok'));

describe('the frame of a request step', () => {
  for (const [name, setup, run, want] of REQUESTS) {
    test(`${name}: the event stream full -> busy, nothing changes; once it is not, done`, async () => {
      await start(setup);
      await redis.call('SET', 'cc:events:full', 'ingress');
      assert.deepEqual(await unchanged(() => run({})), ['busy']);
      await redis.call('DEL', 'cc:events:full');
      done(await run({}), want);
    });
    test(`${name}: an outbox at its maximum length -> busy, nothing changes; below it, done`, async () => {
      await start(setup);
      await redis.call('XADD', OUTBOX, '*', 'id', 'filler');
      assert.deepEqual(await unchanged(() => run({ max: 1 })), ['busy']);
      done(await run({ max: 2 }), want);
    });
    test(`${name}: past its deadline -> expired, nothing changes; at it, done`, async () => {
      await start(setup);
      assert.deepEqual(await unchanged(() => run({ deadline: now - 1 })), ['expired']);
      done(await run({ deadline: now }), want);
    });
  }

  test('out_new: the same Idempotency-Key with another body -> idem_mismatch, nothing changes', async () => {
    await start(null);
    assert.deepEqual(await outNew('O1', 'out-O1@cc', {}, { key: 'k1', fp: 'fpA' }), ['new', 'O1']);
    assert.deepEqual(await unchanged(() => outNew('O2', 'out-O2@cc', {}, { key: 'k1', fp: 'fpB' })), ['idem_mismatch']);
  });
  test('out_new: a retry gets its reply even past its deadline and with the outbox full', async () => {
    await start(null);
    assert.deepEqual(await outNew('O1', 'out-O1@cc', {}, { key: 'k1', fp: 'fpA' }), ['new', 'O1']);
    await redis.call('XADD', OUTBOX, '*', 'id', 'filler');
    now += 1000;
    assert.deepEqual(await unchanged(() => outNew('O2', 'out-O2@cc', {}, { key: 'k1', fp: 'fpA', deadline: now - 1, max: 1 })),
      ['new', 'O1']);
  });
  test('without a key (every step but out_new) nothing is recorded', async () => {
    await start(null);
    assert.deepEqual(await callNew('C1', 'abc@trunk'), ['new', 'C1']);
    assert.equal((await callSet('C1', 'new', 'ringing'))[0], 'ok');
    assert.deepEqual(await reg('s1', [[A, 60]]), ['ok', A, '60']);
    assert.deepEqual(await redis.call('KEYS', 'cc:req:*'), []);
  });
});

// Runs after the tables: each script's reply words (its header's "-> {...}
// | ..." lines, the same as the words it returns) were each the reply of
// some case above.
describe('coverage', () => {
  for (const name of Object.keys(loaded.scripts).sort()) {
    test(`${name}: every reply word it can return is a case`, () => {
      const lines = readFileSync(path.join(repo, SCRIPTS, `${name}.lua`), 'utf8').split('\n');
      // the header's reply lines: from "-- -> ..." to the end of the comment
      const from = lines.findIndex((l) => /^-- +->/.test(l));
      const header = [];
      for (let i = from; from >= 0 && i < lines.length && lines[i].startsWith('--'); i++) header.push(lines[i]);
      const words = [...new Set([...header.join(' ').matchAll(/\{'(\w+)'/g)].map((m) => m[1]))].sort();
      const text = lines.join('\n');
      const returned = [...new Set([...text.matchAll(/(?:finish\(|local out = )\{'(\w+)'/g)].map((m) => m[1]))].sort();
      assert.deepEqual(words, returned, 'the header lists what the script returns');
      for (const word of words) assert.ok(covered.has(`${name} ${word}`), `no case where ${name} replies ${word}`);
    });
  }
});
