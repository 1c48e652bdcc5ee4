// create.lua and answer.lua over the staff activities and enquiry states.
import assert from 'node:assert/strict';
import { fact, note } from '../lib/expect.mjs';
import { createdHash, IDLE_MS, T0, TTL_S, WAIT } from '../lib/world.mjs';

const add = (...m) => ({ add: m });
const del = (...m) => ({ del: m });
const panel = (sid) => `cc:staff:${sid}:pending`;
const holds = (sid) => `cc:staff:${sid}:holds`;
const presence = (sid) => `cc:presence:${sid}`;

const createCases = [
  {
    name: 'create: a call on a broadcast channel is offered to the group staff free for a call (idle, with chats, on an outbound call), not one on a call',
    presence: { s1: 'outbound', s2: 'chats', s3: 'call' },
    run: (w) => w.create('E1'),
    reply: ['ok', 'E1', 'v-E1'],
    changes: (t) => ({
      'cc:enq:E1': createdHash('E1', t),
      'cc:enq:E1:offered': add('s1', 's2'),
      'cc:enq:deadlines': { E1: t + WAIT.broadcast },
      'cc:group:g1:waiting': add('E1'),
      [panel('s1')]: add('E1'),
      [panel('s2')]: add('E1'),
    }),
    events: [fact('created', 'E1', 'pending', { offered: ['s1', 's2'] })],
    async check(w) {
      for (const k of ['cc:enq:E1', 'cc:enq:E1:offered']) {
        const ttl = await w.call('TTL', k);
        assert.ok(ttl > TTL_S - 5 && ttl <= TTL_S, `${k} expires after the enquiry TTL (${ttl})`);
      }
    },
  },
  {
    name: 'create: a chat is offered whatever the activity (on a call, following up, with chats), with the chat wait',
    presence: { s1: 'call', s2: 'followup', s3: 'chats' },
    run: (w) => w.create('E1', { kind: 'chat' }),
    reply: ['ok', 'E1', 'v-E1'],
    changes: (t) => ({
      'cc:enq:E1': createdHash('E1', t, { kind: 'chat' }),
      'cc:enq:E1:offered': add('s1', 's2', 's3'),
      'cc:enq:deadlines': { E1: t + WAIT.chat },
      'cc:group:g1:waiting': add('E1'),
      [panel('s1')]: add('E1'),
      [panel('s2')]: add('E1'),
      [panel('s3')]: add('E1'),
    }),
    events: [fact('created', 'E1', 'pending', { offered: ['s1', 's2', 's3'] })],
  },
  {
    name: 'create: a call nobody can take now (busy, offline, stale heartbeat) is blocked',
    presence: { s1: 'busy', s2: 'offline', s3: 'stale' },
    run: (w) => w.create('E1'),
    reply: ['ok', 'E1', 'v-E1'],
    changes: (t) => ({ 'cc:enq:E1': createdHash('E1', t, { state: 'blocked' }) }),
    events: [fact('created', 'E1', 'blocked'), fact('blocked', 'E1', 'blocked', { reason: 'no_staff_available' })],
  },
  {
    name: 'create: a call nobody can take (on a call, following up, offline) on a voicemail channel goes to voicemail',
    presence: { s1: 'call', s2: 'followup', s3: 'offline' },
    run: (w) => w.create('E1', { channel: 'cv' }),
    reply: ['ok', 'E1', 'v-E1'],
    changes: (t) => ({ 'cc:enq:E1': createdHash('E1', t, { channel: 'cv', state: 'voicemail' }) }),
    events: [fact('created', 'E1', 'voicemail'), fact('voicemail', 'E1', 'voicemail', { reason: 'no_staff_available' })],
  },
  {
    name: 'create: a channel whose group has nobody blocks',
    run: (w) => w.create('E1', { channel: 'cn' }),
    reply: ['ok', 'E1', 'v-E1'],
    changes: (t) => ({ 'cc:enq:E1': createdHash('E1', t, { channel: 'cn', state: 'blocked' }) }),
    events: [fact('created', 'E1', 'blocked'), fact('blocked', 'E1', 'blocked', { reason: 'no_staff_available' })],
  },
  {
    name: 'create: a direct channel offers to its staff member only, with the direct wait',
    run: (w) => w.create('E1', { channel: 'cd' }),
    reply: ['ok', 'E1', 'v-E1'],
    changes: (t) => ({
      'cc:enq:E1': createdHash('E1', t, { channel: 'cd' }),
      'cc:enq:E1:offered': add('s1'),
      'cc:enq:deadlines': { E1: t + WAIT.direct },
      'cc:staff:s1:direct': add('E1'),
      [panel('s1')]: add('E1'),
    }),
    events: [fact('created', 'E1', 'pending', { offered: ['s1'] })],
  },
  {
    name: 'create: a direct call whose staff member is on a call is blocked',
    presence: { s1: 'call' },
    run: (w) => w.create('E1', { channel: 'cd' }),
    reply: ['ok', 'E1', 'v-E1'],
    changes: (t) => ({ 'cc:enq:E1': createdHash('E1', t, { channel: 'cd', state: 'blocked' }) }),
    events: [fact('created', 'E1', 'blocked'), fact('blocked', 'E1', 'blocked', { reason: 'no_staff_available' })],
  },
  ...[['call', 30_000], ['chat', 60_000]].map(([kind, ms]) => ({
    name: `create: a ${kind} on a channel without waits set waits the default ${ms / 1000} s`,
    presence: { s2: 'offline', s3: 'offline' },
    run: (w) => w.create('E1', { kind, channel: 'cx' }),
    reply: ['ok', 'E1', 'v-E1'],
    changes: (t) => ({
      'cc:enq:E1': { ...createdHash('E1', t, { kind, channel: 'cx' }), deadline_ms: String(t + ms) },
      'cc:enq:E1:offered': add('s1'),
      'cc:enq:deadlines': { E1: t + ms },
      'cc:group:g1:waiting': add('E1'),
      [panel('s1')]: add('E1'),
    }),
    events: [fact('created', 'E1', 'pending', { offered: ['s1'] })],
  })),
  {
    name: 'create: an unknown channel -> no_channel, nothing written',
    run: (w) => w.create('E1', { channel: 'nope' }),
    reply: ['no_channel'],
  },
];

// A pending call E1 and a pending call E2 offered to s1 s2 s3, and a pending
// chat E3: the state of most answer cases.
async function threePending(w) {
  await w.pendingEnq('E1');
  await w.pendingEnq('E2');
  await w.pendingEnq('E3', { kind: 'chat' });
}

const answerCases = [
  {
    name: 'answer: the first of three offered staff wins a call; the others lose it, the winner loses other calls but not chats',
    setup: threePending,
    run: (w) => w.answer('E1', 's1'),
    reply: ['won'],
    changes: (t) => ({
      'cc:enq:E1': { state: 'active', answered_by: 's1', answered_ms: String(t), room_id: 'room-E1', wait_set: null },
      'cc:enq:E2:offered': del('s1'),
      'cc:enq:active': { E1: t },
      'cc:enq:deadlines': { E1: null },
      'cc:group:g1:waiting': del('E1'),
      [holds('s1')]: add('E1'),
      [panel('s1')]: del('E1', 'E2'),
      [panel('s2')]: del('E1'),
      [panel('s3')]: del('E1'),
      [presence('s1')]: { call: '1' },
    }),
    events: [
      fact('answered', 'E1', 'active', { staff: 's1', withdrawn: ['s2', 's3'] }),
      note('withdrawn', 'E2', 'pending', 's1', 'staff_unavailable'),
    ],
  },
  {
    name: 'answer: a chat by a staff member with chats: one more chat, the idle clock starts, their call offers stay',
    presence: { s1: 'chats' },
    setup: threePending,
    run: (w) => w.answer('E3', 's1'),
    reply: ['won'],
    changes: (t) => ({
      'cc:enq:E3': { state: 'active', answered_by: 's1', answered_ms: String(t), room_id: 'room-E3', wait_set: null },
      'cc:enq:active': { E3: t },
      'cc:enq:deadlines': { E3: null },
      'cc:enq:idle': { E3: t + IDLE_MS },
      'cc:group:g1:waiting': del('E3'),
      [holds('s1')]: add('E3'),
      [panel('s1')]: del('E3'),
      [panel('s2')]: del('E3'),
      [panel('s3')]: del('E3'),
      [presence('s1')]: { chats: '3' },
    }),
    events: [fact('answered', 'E3', 'active', { staff: 's1', withdrawn: ['s2', 's3'] })],
  },
  {
    name: 'answer: a call by a staff member who was on a call when it came (never offered) -> not_offered',
    presence: { s2: 'call' },
    setup: (w) => w.pendingEnq('E1'),
    run: (w) => w.answer('E1', 's2'),
    reply: ['not_offered'],
  },
  {
    name: 'answer: by a staff member of another group -> not_offered',
    setup: (w) => w.pendingEnq('E1'),
    run: (w) => w.answer('E1', 's4'),
    reply: ['not_offered'],
  },
  {
    name: 'answer: an unknown enquiry -> not_found',
    run: (w) => w.answer('E9', 's1'),
    reply: ['not_found'],
  },
  ...[
    ['active', (w) => w.activeEnq('E1', 's1'), ['taken', 's1', 'active']],
    ['ended', (w) => w.endedEnq('E1', 's1'), ['taken', 's1', 'ended']],
    ['closed', (w) => w.closedEnq('E1', 's1'), ['taken', 's1', 'closed']],
    ['missed', (w) => w.missedEnq('E1'), ['taken', '', 'missed']],
    ['cancelled', (w) => w.cancelledEnq('E1'), ['taken', '', 'cancelled']],
    ['voicemail (max wait)', (w) => w.missedEnq('E1', { channel: 'cv' }), ['taken', '', 'voicemail']],
    ['blocked', async (w) => {
      await w.presence('s1', 'offline'); await w.presence('s2', 'busy'); await w.presence('s3', 'stale');
      await w.pendingEnq('E1');
    }, ['taken', '', 'blocked']],
  ].map(([state, setup, reply]) => ({
    name: `answer: an enquiry ${state} -> ${reply.join(' ')}`,
    setup,
    run: (w) => w.answer('E1', 's2'),
    reply,
  })),
  {
    name: 'answer: a blind transfer by a target: answered (reason transfer) and the sender told (transferred)',
    async setup(w) {
      await w.activeEnq('E1', 's1');
      await w.must(w.transfer('E1', 's1', { group: 'g2' }), ['ok']);
    },
    run: (w) => w.answer('E1', 's4'),
    reply: ['won'],
    changes: (t) => ({
      'cc:enq:E1': {
        state: 'active', answered_by: 's4', wait_set: null, xfer: '', xfer_from: '',
        transfers: [{ from_staff_id: 's1', to_staff_id: '', to_group_id: 'g2', consult: false, at_ms: String(T0),
          outcome: 'accepted', accepted_by: 's4' }],
      },
      'cc:enq:active': { E1: t },
      'cc:enq:deadlines': { E1: null },
      'cc:group:g2:waiting': del('E1'),
      [holds('s4')]: add('E1'),
      [panel('s4')]: del('E1'),
      [panel('s5')]: del('E1'),
      [presence('s4')]: { call: '1' },
    }),
    events: [
      fact('answered', 'E1', 'active', { staff: 's4', reason: 'transfer', withdrawn: ['s5'] }),
      fact('transferred', 'E1', 'active', { staff: 's1', reason: 'blind' }),
    ],
  },
  {
    name: 'answer: a consult transfer accepted: the sender is free and offered the waiting call, the target loses it',
    async setup(w) {
      await w.activeEnq('E1', 's1');
      await w.pendingEnq('E2'); // s1 is on a call: offered to s2 s3
      await w.must(w.transfer('E1', 's1', { staff: 's2', mode: 'consult' }), ['ok']);
    },
    run: (w) => w.answer('E1', 's2'),
    reply: ['won'],
    changes: (t) => ({
      'cc:enq:E1': {
        answered_by: 's2', wait_set: null, xfer: '', xfer_from: '',
        transfers: [{ from_staff_id: 's1', to_staff_id: 's2', to_group_id: '', consult: true, at_ms: String(T0),
          outcome: 'accepted', accepted_by: 's2' }],
      },
      'cc:enq:E2:offered': { add: ['s1'], del: ['s2'] },
      'cc:enq:active': { E1: t },
      'cc:enq:deadlines': { E1: null },
      'cc:staff:s2:direct': del('E1'),
      [holds('s1')]: del('E1'),
      [holds('s2')]: add('E1'),
      [panel('s1')]: add('E2'),
      [panel('s2')]: del('E1', 'E2'),
      [presence('s1')]: { call: '0' },
      [presence('s2')]: { call: '1' },
    }),
    events: [
      fact('answered', 'E1', 'active', { staff: 's2', reason: 'transfer' }),
      fact('transferred', 'E1', 'active', { staff: 's1', reason: 'consult' }),
      note('withdrawn', 'E2', 'pending', 's2', 'staff_unavailable'),
      note('offered', 'E2', 'pending', 's1', 'staff_available'),
    ],
  },
  {
    name: 'answer: a consult transfer of a chat accepted: one chat fewer for the sender, one more for the target',
    presence: { s1: 'chats' },
    async setup(w) {
      await w.activeEnq('E1', 's1', { kind: 'chat' });
      await w.must(w.transfer('E1', 's1', { staff: 's2', mode: 'consult' }), ['ok']);
    },
    run: (w) => w.answer('E1', 's2'),
    reply: ['won'],
    changes: (t) => ({
      'cc:enq:E1': {
        answered_by: 's2', wait_set: null, xfer: '', xfer_from: '',
        transfers: [{ from_staff_id: 's1', to_staff_id: 's2', to_group_id: '', consult: true, at_ms: String(T0),
          outcome: 'accepted', accepted_by: 's2' }],
      },
      'cc:enq:active': { E1: t },
      'cc:enq:deadlines': { E1: null },
      'cc:enq:idle': { E1: t + IDLE_MS },
      'cc:staff:s2:direct': del('E1'),
      [holds('s1')]: del('E1'),
      [holds('s2')]: add('E1'),
      [panel('s2')]: del('E1'),
      [presence('s1')]: { chats: '2' },
      [presence('s2')]: { chats: '1' },
    }),
    events: [
      fact('answered', 'E1', 'active', { staff: 's2', reason: 'transfer' }),
      fact('transferred', 'E1', 'active', { staff: 's1', reason: 'consult' }),
    ],
  },
  {
    name: 'answer: the sender of a consult transfer is never offered it -> not_offered',
    async setup(w) {
      await w.activeEnq('E1', 's1', { kind: 'chat' });
      await w.must(w.transfer('E1', 's1', { group: 'g1', mode: 'consult' }), ['ok']);
    },
    run: (w) => w.answer('E1', 's1'),
    reply: ['not_offered'],
  },
];

export const cases = [...createCases, ...answerCases];
