// The starting states of the Lua step tests and the calls of the steps, in
// the frame the queue calls them in (services/queue/step.c): KEYS[1] the
// outbox, KEYS[2] the request record or '', ARGV event id base, now,
// fingerprint, deadline, record ttl, outbox max, then the script's own
// arguments, the first always the heartbeat cutoff.
//
// Time is the world's own clock (w.now), so every written time is known.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

export const OUTBOX = 'cc:outbox:queue';
export const T0 = 1_700_000_000_000;
export const HEARTBEAT_MS = 600_000; // fresh: seen after now - HEARTBEAT_MS
export const FOLLOWUP_MS = 5000;
export const IDLE_MS = 120_000;
export const TTL_S = 3600;
export const REQ_TTL_S = 86400;

// The directory of every case: g1 = s1 s2 s3, g2 = s4 s5, s6 in no group;
// channels cb (broadcast g1: waits 20/40/50 s), cv (the same, voicemail), cd
// (direct to s1), cn (broadcast to g9, which has nobody), cx (g1 with no
// waits set: the defaults).
const GROUPS = { g1: ['s1', 's2', 's3'], g2: ['s4', 's5'], g9: [] };
export const STAFF = ['s1', 's2', 's3', 's4', 's5', 's6'];
const WAITS = { max_wait_broadcast_s: '20', max_wait_direct_s: '40', max_wait_chat_s: '50' };
const CHANNELS = {
  cb: { group_id: 'g1', staff_id: '', voicemail: '0', ...WAITS },
  cv: { group_id: 'g1', staff_id: '', voicemail: '1', ...WAITS },
  cd: { group_id: '', staff_id: 's1', voicemail: '0', ...WAITS },
  cn: { group_id: 'g9', staff_id: '', voicemail: '0', ...WAITS },
  cx: { group_id: 'g1', staff_id: '', voicemail: '0' },
};
export const WAIT = { broadcast: 20_000, direct: 40_000, chat: 50_000 };

// The maximum wait, ms, of an enquiry of kind on channel in mode (R3: the
// channel's, else 30 / 90 / 60 s).
export function waitMs(channel, kind, mode) {
  const c = CHANNELS[channel];
  if (kind === 'chat') return 1000 * Number(c.max_wait_chat_s ?? 60);
  if (mode === 'broadcast') return 1000 * Number(c.max_wait_broadcast_s ?? 30);
  return 1000 * Number(c.max_wait_direct_s ?? 90);
}

// The hash create.lua writes at t for enquiry id (state pending, blocked or
// voicemail).
export function createdHash(id, t, { kind = 'call', channel = 'cb', state = 'pending' } = {}) {
  const c = CHANNELS[channel];
  const mode = c.group_id !== '' ? 'broadcast' : 'direct';
  const h = {
    id, kind, mode, state, channel_id: channel, group_id: c.group_id, staff_id: c.staff_id,
    caller: 'Visitor', created_ms: String(t), deadline_ms: String(t + waitMs(channel, kind, mode)),
    visitor: `hash-of-v-${id}`, ttl_s: String(TTL_S),
  };
  if (state === 'pending') h.wait_set = mode === 'broadcast' ? `cc:group:${c.group_id}:waiting` : `cc:staff:${c.staff_id}:direct`;
  else Object.assign(h, { ended_ms: String(t), end_reason: 'no_staff_available' });
  return h;
}

// A staff member's activity -> their cc:presence hash (at time now).
export function activity(kind, now) {
  const fresh = { status: 'online', last_seen_ms: String(now), call: '0', chats: '0' };
  switch (kind) {
    case 'idle': return fresh;
    case 'busy': return { ...fresh, status: 'busy' };
    case 'offline': return { ...fresh, status: 'offline' };
    case 'stale': return { ...fresh, last_seen_ms: String(now - HEARTBEAT_MS - 1) };
    case 'call': return { ...fresh, call: '1' };
    case 'followup': return { ...fresh, followup_until_ms: String(now + 60_000), followup_enquiry: 'old' };
    case 'chats': return { ...fresh, chats: '2' };
    case 'outbound': return { ...fresh, outbound: '1' }; // making an outbound call (R7.2)
    case 'none': return null;
    default: throw new Error(`no activity ${kind}`);
  }
}

const flat = (o) => Object.entries(o).flat();
const pairs = (a) => Object.fromEntries(Array.from({ length: a.length / 2 }, (_, i) => [a[2 * i], a[2 * i + 1]]));

export function makeWorld(redis, sha) {
  const w = {
    now: T0,
    call: redis.call, // as the administrator (default): set-up and inspection
    port: redis.port,
    connect: redis.connectService, // another connection of the services' user cc
    eventIds: new Set(), // every event id of the suite: never one twice
    steps: 0, // steps called so far, and the event id base and script of the last
    lastBase: null,
    lastScript: null,
    covered: new Set(), // "script word": a reply the table asserted

    async reset(presence = {}) {
      await redis.call('FLUSHALL');
      w.now = T0;
      for (const [g, members] of Object.entries(GROUPS)) {
        await redis.call('HSET', `cc:dir:group:${g}`, 'name', `Group ${g}`);
        if (members.length) await redis.call('SADD', `cc:dir:group:${g}:members`, ...members);
        for (const s of members) await redis.call('SADD', `cc:dir:staff:${s}:groups`, g);
      }
      for (const s of STAFF) await redis.call('HSET', `cc:dir:staff:${s}`, 'name', `Staff ${s}`, 'email', `${s}@example.org`, 'role', 'agent');
      for (const [c, h] of Object.entries(CHANNELS)) {
        await redis.call('HSET', `cc:dir:channel:${c}`, 'name', `Channel ${c}`, 'type', 'web', ...flat(h));
      }
      for (const s of STAFF) await w.presence(s, presence[s] ?? 'idle');
    },

    async presence(sid, kind) {
      await redis.call('DEL', `cc:presence:${sid}`);
      const h = activity(kind, w.now);
      if (h) await redis.call('HSET', `cc:presence:${sid}`, ...flat(h));
    },

    // One step, run as the services' Redis user cc: opts.key (request key),
    // fp, deadline, max, base, conn (a connection of its own, from
    // w.connect()). Returns the reply; the events it appended are read with
    // outbox().
    async step(name, args, opts = {}) {
      const base = opts.base ?? randomUUID();
      w.steps += 1;
      w.lastBase = base;
      w.lastScript = name;
      const key = opts.key ? `cc:req:queue:${opts.key}` : '';
      return (opts.conn ?? redis.service).call('EVALSHA', sha[name], 2, OUTBOX, key, base, String(w.now),
        opts.fp ?? '', String(opts.deadline ?? 0), String(REQ_TTL_S), String(opts.max ?? 0),
        String(w.now - HEARTBEAT_MS), ...args.map(String));
    },

    create: (id, { kind = 'call', channel = 'cb' } = {}, o) =>
      w.step('create', [id, kind, channel, 'Visitor', `v-${id}`, `hash-of-v-${id}`, TTL_S], o),
    answer: (id, sid, o) => w.step('answer', [id, sid, `room-${id}`, IDLE_MS], o),
    end: (id, actor, followup = FOLLOWUP_MS, o) => w.step('end', [id, actor, followup], o),
    close: (id, sid, o) => w.step('close', [id, sid], o),
    recording: (id, path, o) => w.step('recording', [id, path], o),
    transfer: (id, from, { staff = '', group = '', mode = 'blind' }, o) =>
      w.step('transfer', [id, from, staff, group, mode], o),
    xcancel: (id, sid, o) => w.step('transfer_cancel', [id, sid], o),
    chat: (id, msg, o) => w.step('chat', [id, msg, TTL_S, IDLE_MS], o),
    expire: (limit = 100, o) => w.step('expire', [limit], o),
    followups: (limit = 100) => w.step('followups', [limit]),
    idle: (limit = 100) => w.step('idle', [limit]),
    reconcile: (sid) => w.step('reconcile', [sid]),
    holds: (sid) => w.step('holds', [sid]),
    pending: (sid, limit = 0, before = '') => w.step('pending', [sid, limit, before]),

    // Setup steps that must work: the starting states.
    async must(p, want) {
      assert.deepEqual(await p, want);
    },
    async pendingEnq(id, opts = {}) { await w.must(w.create(id, opts), ['ok', id, `v-${id}`]); },
    async activeEnq(id, sid = 's1', opts = {}) {
      await w.pendingEnq(id, opts);
      await w.must(w.answer(id, sid), ['won']);
    },
    async endedEnq(id, sid = 's1', opts = {}) {
      await w.activeEnq(id, sid, opts);
      await w.must(w.end(id, `staff:${sid}`), ['ended', sid]);
    },
    async closedEnq(id, sid = 's1', opts = {}) {
      await w.endedEnq(id, sid, opts);
      await w.must(w.close(id, sid), ['closed']);
    },
    async missedEnq(id, opts = {}) {
      await w.pendingEnq(id, opts);
      const t = w.now;
      w.now = Number(await redis.call('HGET', `cc:enq:${id}`, 'deadline_ms'));
      await w.expire();
      w.now = t;
      assert.ok(['missed', 'voicemail'].includes(await redis.call('HGET', `cc:enq:${id}`, 'state')));
    },
    async cancelledEnq(id, opts = {}) {
      await w.pendingEnq(id, opts);
      await w.must(w.end(id, 'visitor'), ['cancelled']);
    },

    // Every key but the outbox and the request records, as plain values
    // (hash: object with "transfers" parsed; set: sorted; zset: member ->
    // score; list; string).
    async dump() {
      const keys = (await redis.call('KEYS', '*')).filter((k) => k !== OUTBOX && !k.startsWith('cc:req:')).sort();
      // one round trip for all the types, one for all the contents
      const types = await Promise.all(keys.map((k) => redis.call('TYPE', k)));
      const values = await Promise.all(keys.map((k, i) => {
        switch (types[i]) {
          case 'hash': return redis.call('HGETALL', k);
          case 'set': return redis.call('SMEMBERS', k);
          case 'zset': return redis.call('ZRANGE', k, 0, -1, 'WITHSCORES');
          case 'list': return redis.call('LRANGE', k, 0, -1);
          case 'string': return redis.call('GET', k);
          default: throw new Error(`unexpected ${types[i]} key ${k}`);
        }
      }));
      const out = {};
      keys.forEach((k, i) => {
        const type = types[i];
        let v = values[i];
        if (type === 'hash') {
          v = pairs(v);
          if (v.transfers !== undefined) v.transfers = JSON.parse(v.transfers);
        } else if (type === 'set') v = v.sort();
        else if (type === 'zset') v = Object.fromEntries(Object.entries(pairs(v)).map(([m, sc]) => [m, Number(sc)]));
        out[k] = { type, v };
      });
      return out;
    },

    async lastOutboxId() {
      const r = await redis.call('XREVRANGE', OUTBOX, '+', '-', 'COUNT', 1);
      return r.length ? r[0][0] : null;
    },
    // The outbox entries after stream id `after` (null: all), as
    // { fields: [names in order], f: {name: value} }.
    async outbox(after) {
      const r = await redis.call('XRANGE', OUTBOX, after ? `(${after}` : '-', '+');
      return r.map(([, f]) => ({ fields: f.filter((_, i) => i % 2 === 0), f: pairs(f) }));
    },
  };
  return w;
}

// What a step changed: key -> hash: {field: new value | null}; set: {add,
// del}; zset: {member: new score | null}; list / string: the new value or
// null. Unchanged keys are left out.
export function diff(before, after) {
  const out = {};
  for (const k of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const a = before[k];
    const b = after[k];
    const type = (a ?? b).type;
    if (a && b && a.type !== b.type) throw new Error(`${k} changed type`);
    let d;
    if (type === 'hash' || type === 'zset') {
      const x = a?.v ?? {};
      const y = b?.v ?? {};
      d = {};
      for (const f of new Set([...Object.keys(x), ...Object.keys(y)])) {
        if (JSON.stringify(x[f]) !== JSON.stringify(y[f])) d[f] = y[f] ?? null;
      }
      if (!Object.keys(d).length) d = undefined;
    } else if (type === 'set') {
      const x = a?.v ?? [];
      const y = b?.v ?? [];
      const add = y.filter((m) => !x.includes(m));
      const del = x.filter((m) => !y.includes(m));
      d = add.length || del.length ? { ...(add.length ? { add } : {}), ...(del.length ? { del } : {}) } : undefined;
    } else if (JSON.stringify(a?.v) !== JSON.stringify(b?.v)) {
      d = b?.v ?? null;
    }
    if (d !== undefined) out[k] = d;
  }
  return out;
}
