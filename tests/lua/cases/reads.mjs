// chat.lua, and the read-only steps holds.lua and pending.lua (their replies:
// a header, then lists of hashes, each its length then its fields and values).
import assert from 'node:assert/strict';
import { fact } from '../lib/expect.mjs';
import { FOLLOWUP_MS, IDLE_MS, T0 } from '../lib/world.mjs';

// The hashes of ids as a read step lists them; extra(id) appended to each.
async function hashes(w, ids, extra = () => []) {
  const out = [];
  for (const id of ids) {
    const h = [...await w.call('HGETALL', `cc:enq:${id}`), ...extra(id)];
    out.push(h.length, ...h);
  }
  return out;
}

// s1 answers call E1 at T0, then chats E2..E5 one by one (10 ms apart);
// s2 answers E6 in between.
async function manyHolds(w) {
  await w.activeEnq('E1', 's1');
  for (const id of ['E2', 'E3', 'E4', 'E5']) {
    w.now += 10;
    await w.activeEnq(id, 's1', { kind: 'chat' });
    if (id === 'E3') {
      w.now += 10;
      await w.activeEnq('E6', 's2', { kind: 'chat' });
    }
  }
}

// The ids in a read step's list of hashes from element first on.
function idsOf(r, first) {
  const ids = [];
  for (let i = first; i < r.length; i += 1 + r[i]) {
    const kv = r.slice(i + 1, i + 1 + r[i]);
    ids.push(kv[kv.indexOf('id') + 1]);
  }
  return ids;
}

// A read step's reply: the ids in order first (a readable failure), then
// every field.
async function sameList(w, r, head, ids, extra) {
  assert.deepEqual(idsOf(r, head.length), ids, 'the enquiries, in order');
  assert.deepEqual(r, [...head, ...await hashes(w, ids, extra)]);
}

const chatCases = [
  { name: 'chat: an unknown enquiry -> not_found', run: (w) => w.chat('E9', 'hi'), reply: ['not_found'] },
  ...[
    ['pending', (w) => w.pendingEnq('E1', { kind: 'chat' })],
    ['ended', (w) => w.endedEnq('E1', 's1', { kind: 'chat' })],
    ['closed', (w) => w.closedEnq('E1', 's1', { kind: 'chat' })],
    ['cancelled', (w) => w.cancelledEnq('E1', { kind: 'chat' })],
  ].map(([state, setup]) => ({
    name: `chat: in an enquiry ${state} -> closed`,
    setup,
    run: (w) => w.chat('E1', 'hi'),
    reply: ['closed', state.split(' ')[0]],
  })),
  {
    name: 'chat: a chat pending again in a blind transfer keeps its room open for the visitor (no idle clock: nobody holds it)',
    setup: async (w) => {
      await w.activeEnq('E1', 's1', { kind: 'chat' });
      await w.must(w.transfer('E1', 's1', { staff: 's2' }), ['ok']);
    },
    run: (w) => w.chat('E1', 'still there?'),
    reply: ['ok'],
    changes: () => ({ 'cc:enq:E1:chat': ['still there?'] }),
    events: [fact('message', 'E1', 'pending', { staff: '', message: 'still there?' })],
  },
  {
    name: 'chat: a message in an active chat is kept and its idle clock starts again',
    setup: (w) => w.activeEnq('E1', 's1', { kind: 'chat' }),
    run: (w) => w.chat('E1', 'hello\u0000 world'),
    reply: ['ok'],
    changes: (t) => ({ 'cc:enq:E1:chat': ['hello\u0000 world'], 'cc:enq:idle': { E1: t + IDLE_MS } }),
    events: [fact('message', 'E1', 'active', { staff: 's1', message: 'hello\u0000 world' })],
  },
  {
    name: 'chat: a message on an active call (no idle clock for calls)',
    setup: (w) => w.activeEnq('E1', 's1'),
    run: (w) => w.chat('E1', 'note'),
    reply: ['ok'],
    changes: { 'cc:enq:E1:chat': ['note'] },
    events: [fact('message', 'E1', 'active', { staff: 's1', message: 'note' })],
  },
  {
    name: 'chat: while a consult transfer waits the room stays open',
    async setup(w) {
      await w.activeEnq('E1', 's1', { kind: 'chat' });
      await w.must(w.transfer('E1', 's1', { staff: 's2', mode: 'consult' }), ['ok']);
    },
    run: (w) => w.chat('E1', 'one moment'),
    reply: ['ok'],
    changes: (t) => ({ 'cc:enq:E1:chat': ['one moment'], 'cc:enq:idle': { E1: t + IDLE_MS } }),
    events: [fact('message', 'E1', 'active', { staff: 's1', message: 'one moment' })],
  },
  {
    name: 'chat: the room keeps the last 1000 messages',
    async setup(w) {
      await w.activeEnq('E1', 's1', { kind: 'chat' });
      await w.call('RPUSH', 'cc:enq:E1:chat', ...Array.from({ length: 1000 }, (_, i) => `m${i + 1}`));
    },
    run: (w) => w.chat('E1', 'new'),
    reply: ['ok'],
    changes: (t) => ({
      'cc:enq:E1:chat': [...Array.from({ length: 999 }, (_, i) => `m${i + 2}`), 'new'],
      'cc:enq:idle': { E1: t + IDLE_MS },
    }),
    events: [fact('message', 'E1', 'active', { staff: 's1', message: 'new' })],
  },
];

const readCases = [
  {
    name: 'holds: what a staff member holds, oldest first (as GET /me documents), no follow-up',
    setup: manyHolds,
    run: (w) => w.holds('s1'),
    reply: (r, t, w) => sameList(w, r, ['', '0'], ['E1', 'E2', 'E3', 'E4', 'E5']),
  },
  {
    name: 'holds: during a follow-up, the enquiry followed up and until when',
    async setup(w) {
      await w.activeEnq('E1', 's1');
      await w.activeEnq('E2', 's1', { kind: 'chat' });
      await w.must(w.end('E1', 'staff:s1'), ['ended', 's1']);
    },
    run: (w) => w.holds('s1'),
    reply: (r, t, w) => sameList(w, r, ['E1', String(T0 + FOLLOWUP_MS)], ['E2']),
  },
  {
    name: 'holds: once the follow-up ran out, none',
    async setup(w) {
      await w.activeEnq('E1', 's1');
      await w.activeEnq('E2', 's1', { kind: 'chat' });
      await w.must(w.end('E1', 'staff:s1'), ['ended', 's1']);
      w.stepAt = T0 + FOLLOWUP_MS;
    },
    run: (w) => w.holds('s1'),
    reply: (r, t, w) => sameList(w, r, ['', '0'], ['E2']),
  },
  {
    name: 'holds: every active enquiry for an operator (staff id \'\'), oldest first, the ended left out',
    async setup(w) {
      await manyHolds(w);
      await w.must(w.end('E4', 'staff:s1'), ['ended', 's1']);
    },
    run: (w) => w.holds(''),
    reply: (r, t, w) => sameList(w, r, ['', '0'], ['E1', 'E2', 'E3', 'E6', 'E5']),
  },
  { name: 'holds: a staff member holding nothing', run: (w) => w.holds('s1'), reply: ['', '0'] },
  ...[
    // [what, limit, before, expected ids, more]
    ['the whole panel, newest first, each with its channel\'s name', 0, '', ['E4', 'E3', 'E2', 'E1'], 0],
    ['a first page', 2, '', ['E4', 'E3'], 1],
    ['the page after E3', 2, 'E3', ['E2', 'E1'], 0],
    ['a page of one after E2', 1, 'E2', ['E1'], 0],
    ['a page past the end', 5, 'E1', [], 0],
    ['a limit as large as the panel', 4, '', ['E4', 'E3', 'E2', 'E1'], 0],
    ['a cursor no longer in the panel (E35)', 1, 'E35', ['E3'], 1],
  ].map(([what, limit, before, ids, more]) => ({
    name: `pending: ${what} (total 4)`,
    async setup(w) {
      await w.pendingEnq('E1');
      w.now += 10;
      await w.pendingEnq('E2', { channel: 'cd' });
      w.now += 10;
      await w.pendingEnq('E3', { kind: 'chat' });
      w.now += 10;
      await w.pendingEnq('E4', { kind: 'chat' });
      await w.activeEnq('E5', 's2');
    },
    run: (w) => w.pending('s1', limit, before),
    reply: (r, t, w) => sameList(w, r, [4, more], ids,
      (id) => ['channel_name', id === 'E2' ? 'Channel cd' : 'Channel cb']),
  })),
  { name: 'pending: an empty panel', run: (w) => w.pending('s1'), reply: [0, 0] },
  { name: 'pending: an empty panel, a page of it', run: (w) => w.pending('s1', 50, 'E9'), reply: [0, 0] },
];

export const cases = [...chatCases, ...readCases];
