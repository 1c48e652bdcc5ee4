// The timer's steps (expire.lua, followups.lua, idle.lua) and reconcile.lua
// (presence changed) over the enquiry states and every staff activity.
import { fact, note } from '../lib/expect.mjs';
import { FOLLOWUP_MS, IDLE_MS, T0, WAIT } from '../lib/world.mjs';

const add = (...m) => ({ add: m });
const del = (...m) => ({ del: m });
const panel = (sid) => `cc:staff:${sid}:pending`;
const holds = (sid) => `cc:staff:${sid}:holds`;
const presence = (sid) => `cc:presence:${sid}`;
const history = (o) => [{ from_staff_id: 's1', to_staff_id: '', to_group_id: '', consult: false, at_ms: String(T0),
  outcome: 'returned', accepted_by: '', ...o }];

const blindToS2 = (senderThen) => async (w) => {
  await w.activeEnq('E1', 's1');
  await w.must(w.transfer('E1', 's1', { staff: 's2' }), ['ok']);
  if (senderThen) await w.presence('s1', senderThen);
  w.stepAt = T0 + WAIT.direct;
};
const missedAt = (channel, state, panels, waitSet, wait) => ({
  reply: 1,
  changes: (t) => ({
    'cc:enq:E1': { state, ended_ms: String(t), end_reason: 'max_wait', wait_set: null },
    'cc:enq:deadlines': { E1: null },
    [waitSet]: del('E1'),
    ...Object.fromEntries(panels.map((s) => [panel(s), del('E1')])),
  }),
  events: [fact(state, 'E1', state, { reason: 'max_wait', withdrawn: panels })],
  async setup(w) {
    await w.pendingEnq('E1', { channel });
    w.stepAt = T0 + wait;
  },
});

const expireCases = [
  {
    name: 'expire: a pending broadcast call at its maximum wait -> missed, out of every panel',
    run: (w) => w.expire(),
    ...missedAt('cb', 'missed', ['s1', 's2', 's3'], 'cc:group:g1:waiting', WAIT.broadcast),
  },
  {
    name: 'expire: on a voicemail channel -> voicemail',
    presence: { s3: 'call' },
    run: (w) => w.expire(),
    ...missedAt('cv', 'voicemail', ['s1', 's2'], 'cc:group:g1:waiting', WAIT.broadcast),
  },
  {
    name: 'expire: a pending direct call at its maximum wait -> missed',
    run: (w) => w.expire(),
    ...missedAt('cd', 'missed', ['s1'], 'cc:staff:s1:direct', WAIT.direct),
  },
  {
    name: 'expire: a millisecond before the deadline -> 0, nothing changes',
    async setup(w) {
      await w.pendingEnq('E1');
      w.stepAt = T0 + WAIT.broadcast - 1;
    },
    run: (w) => w.expire(),
    reply: 0,
  },
  {
    name: 'expire: a blind transfer nobody took goes back to its sender (idle): a direct offer to them again',
    setup: blindToS2(null),
    run: (w) => w.expire(),
    reply: 1,
    changes: (t) => ({
      'cc:enq:E1': {
        staff_id: 's1', deadline_ms: String(t + WAIT.direct), wait_set: 'cc:staff:s1:direct', xfer: '', xfer_from: '',
        transfers: history({ to_staff_id: 's2' }),
      },
      'cc:enq:E1:offered': { add: ['s1'], del: ['s2'] },
      'cc:enq:deadlines': { E1: t + WAIT.direct },
      'cc:staff:s1:direct': add('E1'),
      'cc:staff:s2:direct': del('E1'),
      [panel('s1')]: add('E1'),
      [panel('s2')]: del('E1'),
    }),
    events: [fact('transfer_returned', 'E1', 'pending', { staff: 's1', reason: 'not_answered', offered: ['s1'], withdrawn: ['s2'] })],
  },
  {
    name: 'expire: a blind transfer nobody took, its sender now on another call: waits for them, offered to nobody',
    setup: blindToS2('call'),
    run: (w) => w.expire(),
    reply: 1,
    changes: (t) => ({
      'cc:enq:E1': {
        staff_id: 's1', deadline_ms: String(t + WAIT.direct), wait_set: 'cc:staff:s1:direct', xfer: '', xfer_from: '',
        transfers: history({ to_staff_id: 's2' }),
      },
      'cc:enq:E1:offered': del('s2'),
      'cc:enq:deadlines': { E1: t + WAIT.direct },
      'cc:staff:s1:direct': add('E1'),
      'cc:staff:s2:direct': del('E1'),
      [panel('s2')]: del('E1'),
    }),
    events: [fact('transfer_returned', 'E1', 'pending', { staff: 's1', reason: 'not_answered', withdrawn: ['s2'] })],
  },
  {
    name: 'expire: a consult transfer nobody took: the targets lose it, the sender simply keeps it',
    async setup(w) {
      await w.activeEnq('E1', 's1');
      await w.must(w.transfer('E1', 's1', { group: 'g2', mode: 'consult' }), ['ok']);
      w.stepAt = T0 + WAIT.broadcast;
    },
    run: (w) => w.expire(),
    reply: 1,
    changes: () => ({
      'cc:enq:E1': { xfer: '', xfer_from: '', wait_set: null, transfers: history({ to_group_id: 'g2', consult: true }) },
      'cc:enq:E1:offered': del('s4', 's5'),
      'cc:enq:deadlines': { E1: null },
      'cc:group:g2:waiting': del('E1'),
      [panel('s4')]: del('E1'),
      [panel('s5')]: del('E1'),
    }),
    events: [fact('transfer_returned', 'E1', 'active', { staff: 's1', reason: 'not_answered', withdrawn: ['s4', 's5'] })],
  },
  {
    name: 'expire: a deadline left for an enquiry no longer pending is dropped, the enquiry untouched',
    async setup(w) {
      await w.activeEnq('E1', 's1');
      await w.call('ZADD', 'cc:enq:deadlines', T0, 'E1');
    },
    run: (w) => w.expire(),
    reply: 1,
    changes: { 'cc:enq:deadlines': { E1: null } },
  },
];

const followupCases = [
  {
    name: 'followups: a follow-up run out: the staff member is offered the waiting call (the chat they had already)',
    async setup(w) {
      await w.endedEnq('E1', 's1');
      await w.pendingEnq('E2');
      await w.pendingEnq('E3', { kind: 'chat' });
      w.stepAt = T0 + FOLLOWUP_MS;
    },
    run: (w) => w.followups(),
    reply: 1,
    changes: {
      'cc:enq:E2:offered': add('s1'),
      'cc:followups': { s1: null },
      [panel('s1')]: add('E2'),
    },
    events: [note('offered', 'E2', 'pending', 's1', 'staff_available')],
  },
  {
    name: 'followups: a millisecond before its end -> 0, nothing changes',
    async setup(w) {
      await w.endedEnq('E1', 's1');
      await w.pendingEnq('E2');
      w.stepAt = T0 + FOLLOWUP_MS - 1;
    },
    run: (w) => w.followups(),
    reply: 0,
  },
  {
    name: 'followups: run out while the staff member went offline: dropped, nothing offered',
    async setup(w) {
      await w.endedEnq('E1', 's1');
      await w.pendingEnq('E2');
      await w.presence('s1', 'offline');
      w.stepAt = T0 + FOLLOWUP_MS;
    },
    run: (w) => w.followups(),
    reply: 1,
    changes: { 'cc:followups': { s1: null } },
  },
];

const idleCases = [
  {
    name: 'idle: an active chat with no message for the idle time ends (idle); its holder one chat fewer',
    presence: { s1: 'chats' },
    async setup(w) {
      await w.activeEnq('E1', 's1', { kind: 'chat' });
      w.stepAt = T0 + IDLE_MS;
    },
    run: (w) => w.idle(),
    reply: 1,
    changes: (t) => ({
      'cc:enq:E1': { state: 'ended', ended_ms: String(t), end_reason: 'idle' },
      'cc:enq:active': { E1: null },
      'cc:enq:idle': { E1: null },
      [holds('s1')]: del('E1'),
      [presence('s1')]: { chats: '2' },
    }),
    events: [fact('ended', 'E1', 'ended', { staff: 's1', reason: 'idle' })],
  },
  {
    name: 'idle: a chat ending idle while a consult transfer waits: the targets lose it, the transfer cancelled',
    async setup(w) {
      await w.activeEnq('E1', 's1', { kind: 'chat' });
      await w.must(w.transfer('E1', 's1', { staff: 's2', mode: 'consult' }), ['ok']);
      w.stepAt = T0 + IDLE_MS;
    },
    run: (w) => w.idle(),
    reply: 1,
    changes: (t) => ({
      'cc:enq:E1': {
        state: 'ended', ended_ms: String(t), end_reason: 'idle', wait_set: null, xfer: '', xfer_from: '',
        transfers: history({ to_staff_id: 's2', consult: true, outcome: 'cancelled' }),
      },
      'cc:enq:active': { E1: null },
      'cc:enq:deadlines': { E1: null },
      'cc:enq:idle': { E1: null },
      'cc:staff:s2:direct': del('E1'),
      [holds('s1')]: del('E1'),
      [panel('s2')]: del('E1'),
      [presence('s1')]: { chats: '0' },
    }),
    events: [fact('ended', 'E1', 'ended', { staff: 's1', reason: 'idle', withdrawn: ['s2'] })],
  },
  {
    name: 'idle: a millisecond before -> 0, nothing changes',
    async setup(w) {
      await w.activeEnq('E1', 's1', { kind: 'chat' });
      w.stepAt = T0 + IDLE_MS - 1;
    },
    run: (w) => w.idle(),
    reply: 0,
  },
  {
    name: 'idle: an idle entry left for a chat no longer active is dropped, the enquiry untouched',
    async setup(w) {
      await w.endedEnq('E1', 's1', { kind: 'chat' });
      await w.call('ZADD', 'cc:enq:idle', T0, 'E1');
    },
    run: (w) => w.idle(),
    reply: 1,
    changes: { 'cc:enq:idle': { E1: null } },
  },
];

// Pending: call E1 and chat E2 on cb, direct call E3 on cd, all created
// while s1 was `then`; s1 becomes `now`; reconcile(s1) offers or withdraws.
const enquiries = { E1: ['call', 'cb'], E2: ['chat', 'cb'], E3: ['call', 'cd'] };
const reconcileTable = [
  ['idle', 'busy', [], ['E1', 'E2', 'E3']],
  ['idle', 'offline', [], ['E1', 'E2', 'E3']],
  ['idle', 'stale', [], ['E1', 'E2', 'E3']],
  ['idle', 'call', [], ['E1', 'E3']],
  ['idle', 'followup', [], ['E1', 'E3']],
  ['idle', 'chats', [], []],
  ['idle', 'outbound', [], []],
  ['stale', 'outbound', ['E1', 'E2'], []],
  ['offline', 'idle', ['E1', 'E2'], []], // E3 was blocked: nobody for it
  ['call', 'idle', ['E1'], []],
  ['followup', 'chats', ['E1'], []],
  ['busy', 'call', ['E2'], []],
].map(([then, now, offered, withdrawn]) => ({
  name: `reconcile: s1 ${then} -> ${now}: offered ${offered.join(' ') || 'nothing'}, withdrawn ${withdrawn.join(' ') || 'nothing'}`,
  presence: { s1: then },
  async setup(w) {
    for (const [id, [kind, channel]] of Object.entries(enquiries)) {
      await w.must(w.create(id, { kind, channel }), ['ok', id, `v-${id}`]);
    }
    await w.presence('s1', now);
  },
  run: (w) => w.reconcile('s1'),
  reply: offered.length + withdrawn.length,
  unordered: true,
  changes: {
    ...Object.fromEntries(offered.map((id) => [`cc:enq:${id}:offered`, add('s1')])),
    ...Object.fromEntries(withdrawn.map((id) => [`cc:enq:${id}:offered`, del('s1')])),
    ...(offered.length || withdrawn.length
      ? { [panel('s1')]: { ...(offered.length ? { add: offered } : {}), ...(withdrawn.length ? { del: withdrawn } : {}) } }
      : {}),
  },
  events: [
    ...offered.map((id) => note('offered', id, 'pending', 's1', 'staff_available')),
    ...withdrawn.map((id) => note('withdrawn', id, 'pending', 's1', 'staff_unavailable')),
  ],
}));

const reconcileCases = [
  ...reconcileTable,
  {
    name: 'reconcile: a blind transfer returned to its sender while on a call is offered to them once free',
    async setup(w) {
      await blindToS2('call')(w);
      w.now = w.stepAt;
      await w.must(w.expire(), 1);
      await w.presence('s1', 'idle');
      w.stepAt = undefined;
    },
    run: (w) => w.reconcile('s1'),
    reply: 1,
    changes: { 'cc:enq:E1:offered': add('s1'), [panel('s1')]: add('E1') },
    events: [note('offered', 'E1', 'pending', 's1', 'staff_available')],
  },
  {
    name: 'reconcile: an enquiry whose every offer was withdrawn is offered again, its offers expiring with it',
    async setup(w) {
      await w.pendingEnq('E1', { channel: 'cd' });
      await w.presence('s1', 'busy');
      await w.must(w.reconcile('s1'), 1); // the set of offers is now empty: gone
      await w.presence('s1', 'idle');
    },
    run: (w) => w.reconcile('s1'),
    reply: 1,
    changes: { 'cc:enq:E1:offered': add('s1'), [panel('s1')]: add('E1') },
    events: [note('offered', 'E1', 'pending', 's1', 'staff_available')],
  },
  {
    name: 'reconcile: the sender of a consult transfer of a chat is never offered it (though free for chats)',
    async setup(w) {
      await w.activeEnq('E1', 's1', { kind: 'chat' });
      await w.must(w.transfer('E1', 's1', { group: 'g1', mode: 'consult' }), ['ok']);
    },
    run: (w) => w.reconcile('s1'),
    reply: 0,
  },
  {
    name: 'reconcile: the sender of a blind transfer to their own group is never offered it back',
    async setup(w) {
      await w.activeEnq('E1', 's1', { kind: 'chat' });
      await w.must(w.transfer('E1', 's1', { group: 'g1' }), ['ok']);
    },
    run: (w) => w.reconcile('s1'),
    reply: 0,
  },
  {
    name: 'reconcile: a consult target going offline loses the offer',
    async setup(w) {
      await w.activeEnq('E1', 's1', { kind: 'chat' });
      await w.must(w.transfer('E1', 's1', { group: 'g1', mode: 'consult' }), ['ok']);
      await w.presence('s2', 'offline');
    },
    run: (w) => w.reconcile('s2'),
    reply: 1,
    changes: { 'cc:enq:E1:offered': del('s2'), [panel('s2')]: del('E1') },
    events: [note('withdrawn', 'E1', 'active', 's2', 'staff_unavailable')],
  },
  {
    name: 'reconcile: a staff member of another group, or of none, is offered nothing',
    setup: (w) => w.pendingEnq('E1'),
    run: (w) => w.reconcile('s6'),
    reply: 0,
  },
];

export const cases = [...expireCases, ...followupCases, ...idleCases, ...reconcileCases];
