// end.lua (as the staff member, the visitor, an admin) and close.lua over the
// enquiry states and the activities they leave the staff member in.
import { fact, note } from '../lib/expect.mjs';
import { FOLLOWUP_MS, T0 } from '../lib/world.mjs';

const add = (...m) => ({ add: m });
const del = (...m) => ({ del: m });
const panel = (sid) => `cc:staff:${sid}:pending`;
const holds = (sid) => `cc:staff:${sid}:holds`;
const presence = (sid) => `cc:presence:${sid}`;

const blind = async (w) => {
  await w.activeEnq('E1', 's1');
  await w.must(w.transfer('E1', 's1', { staff: 's2' }), ['ok']);
};
const consultToG2 = async (w) => {
  await w.activeEnq('E1', 's1');
  await w.must(w.transfer('E1', 's1', { group: 'g2', mode: 'consult' }), ['ok']);
};
const blocked = async (w) => {
  for (const s of ['s1', 's2', 's3']) await w.presence(s, 'offline');
  await w.pendingEnq('E1');
};
const voicemail = async (w) => {
  for (const s of ['s1', 's2', 's3']) await w.presence(s, 'busy');
  await w.pendingEnq('E1', { channel: 'cv' });
};
const pendingCancelled = (why, withdrawn) => ({
  changes: (t) => ({
    'cc:enq:E1': { state: 'cancelled', ended_ms: String(t), end_reason: why, wait_set: null },
    'cc:enq:deadlines': { E1: null },
    'cc:group:g1:waiting': del('E1'),
    ...Object.fromEntries(withdrawn.map((s) => [panel(s), del('E1')])),
  }),
  events: [fact('cancelled', 'E1', 'cancelled', { reason: why, withdrawn })],
});

const endCases = [
  { name: 'end: an unknown enquiry -> not_found', run: (w) => w.end('E9', 'visitor'), reply: ['not_found'] },
  {
    name: 'end: by a staff member offered a pending enquiry -> not_yours',
    setup: (w) => w.pendingEnq('E1'),
    run: (w) => w.end('E1', 'staff:s1'),
    reply: ['not_yours'],
  },
  {
    name: 'end: by a staff member not holding the active enquiry -> not_yours',
    setup: (w) => w.activeEnq('E1', 's1'),
    run: (w) => w.end('E1', 'staff:s2'),
    reply: ['not_yours'],
  },
  {
    name: 'end: by the sender of a blind transfer still waiting (no longer theirs) -> not_yours',
    setup: blind,
    run: (w) => w.end('E1', 'staff:s1'),
    reply: ['not_yours'],
  },
  {
    name: 'end: the visitor hangs up while pending -> cancelled (caller_hung_up), out of every panel',
    setup: (w) => w.pendingEnq('E1'),
    run: (w) => w.end('E1', 'visitor'),
    reply: ['cancelled'],
    ...pendingCancelled('caller_hung_up', ['s1', 's2', 's3']),
  },
  {
    name: 'end: an admin ends a pending call offered to those free for it (s2 on a call) -> cancelled (ended_by_admin)',
    presence: { s2: 'call' },
    setup: (w) => w.pendingEnq('E1'),
    run: (w) => w.end('E1', 'admin'),
    reply: ['cancelled'],
    ...pendingCancelled('ended_by_admin', ['s1', 's3']),
  },
  {
    name: 'end: the visitor hangs up during a blind transfer -> cancelled, the transfer cancelled',
    setup: blind,
    run: (w) => w.end('E1', 'visitor'),
    reply: ['cancelled'],
    changes: (t) => ({
      'cc:enq:E1': {
        state: 'cancelled', ended_ms: String(t), end_reason: 'caller_hung_up', wait_set: null, xfer: '', xfer_from: '',
        transfers: [{ from_staff_id: 's1', to_staff_id: 's2', to_group_id: '', consult: false, at_ms: String(T0),
          outcome: 'cancelled', accepted_by: '' }],
      },
      'cc:enq:deadlines': { E1: null },
      'cc:staff:s2:direct': del('E1'),
      [panel('s2')]: del('E1'),
    }),
    events: [fact('cancelled', 'E1', 'cancelled', { reason: 'caller_hung_up', withdrawn: ['s2'] })],
  },
  {
    name: 'end: the staff member ends their call: follow-up starts, the waiting call is not offered to them yet',
    async setup(w) {
      await w.activeEnq('E1', 's1');
      await w.pendingEnq('E2');
    },
    run: (w) => w.end('E1', 'staff:s1'),
    reply: ['ended', 's1'],
    changes: (t) => ({
      'cc:enq:E1': { state: 'ended', ended_ms: String(t), end_reason: 'staff_ended' },
      'cc:enq:active': { E1: null },
      'cc:followups': { s1: t + FOLLOWUP_MS },
      [holds('s1')]: del('E1'),
      [presence('s1')]: { call: '0', followup_until_ms: String(t + FOLLOWUP_MS), followup_enquiry: 'E1' },
    }),
    events: [fact('ended', 'E1', 'ended', { staff: 's1', reason: 'staff_ended' })],
  },
  {
    name: 'end: the visitor hangs up a call with no follow-up: the staff member is offered the waiting call at once',
    async setup(w) {
      await w.activeEnq('E1', 's1');
      await w.pendingEnq('E2');
    },
    run: (w) => w.end('E1', 'visitor', 0),
    reply: ['ended', 's1'],
    changes: (t) => ({
      'cc:enq:E1': { state: 'ended', ended_ms: String(t), end_reason: 'caller_hung_up' },
      'cc:enq:E2:offered': add('s1'),
      'cc:enq:active': { E1: null },
      [holds('s1')]: del('E1'),
      [panel('s1')]: add('E2'),
      [presence('s1')]: { call: '0', followup_until_ms: String(t), followup_enquiry: 'E1' },
    }),
    events: [
      fact('ended', 'E1', 'ended', { staff: 's1', reason: 'caller_hung_up' }),
      note('offered', 'E2', 'pending', 's1', 'staff_available'),
    ],
  },
  {
    name: 'end: an admin ends an active chat of a staff member with chats: one chat fewer, no follow-up, idle clock gone',
    presence: { s1: 'chats' },
    setup: (w) => w.activeEnq('E1', 's1', { kind: 'chat' }),
    run: (w) => w.end('E1', 'admin'),
    reply: ['ended', 's1'],
    changes: (t) => ({
      'cc:enq:E1': { state: 'ended', ended_ms: String(t), end_reason: 'ended_by_admin' },
      'cc:enq:active': { E1: null },
      'cc:enq:idle': { E1: null },
      [holds('s1')]: del('E1'),
      [presence('s1')]: { chats: '2' },
    }),
    events: [fact('ended', 'E1', 'ended', { staff: 's1', reason: 'ended_by_admin' })],
  },
  {
    name: 'end: ending an enquiry with a consult transfer waiting: the targets lose it, the transfer is cancelled',
    setup: consultToG2,
    run: (w) => w.end('E1', 'staff:s1'),
    reply: ['ended', 's1'],
    changes: (t) => ({
      'cc:enq:E1': {
        state: 'ended', ended_ms: String(t), end_reason: 'staff_ended', wait_set: null, xfer: '', xfer_from: '',
        transfers: [{ from_staff_id: 's1', to_staff_id: '', to_group_id: 'g2', consult: true, at_ms: String(T0),
          outcome: 'cancelled', accepted_by: '' }],
      },
      'cc:enq:active': { E1: null },
      'cc:enq:deadlines': { E1: null },
      'cc:followups': { s1: t + FOLLOWUP_MS },
      'cc:group:g2:waiting': del('E1'),
      [holds('s1')]: del('E1'),
      [panel('s4')]: del('E1'),
      [panel('s5')]: del('E1'),
      [presence('s1')]: { call: '0', followup_until_ms: String(t + FOLLOWUP_MS), followup_enquiry: 'E1' },
    }),
    events: [fact('ended', 'E1', 'ended', { staff: 's1', reason: 'staff_ended', withdrawn: ['s4', 's5'] })],
  },
  ...[
    ['ended', 'staff:s1', (w) => w.endedEnq('E1', 's1')],
    ['ended', 'visitor', (w) => w.endedEnq('E1', 's1')],
    ['closed', 'admin', (w) => w.closedEnq('E1', 's1')],
    ['closed', 'staff:s1', (w) => w.closedEnq('E1', 's1')],
    ['missed', 'visitor', (w) => w.missedEnq('E1')],
    ['cancelled', 'admin', (w) => w.cancelledEnq('E1')],
    ['blocked', 'visitor', blocked],
    ['voicemail', 'admin', voicemail],
  ].map(([state, actor, setup]) => ({
    name: `end: ${actor} on an enquiry ${state} -> already ${state}`,
    setup,
    run: (w) => w.end('E1', actor),
    reply: ['already', state],
  })),
];

const closeCases = [
  { name: 'close: an unknown enquiry -> not_found', run: (w) => w.close('E9', 's1'), reply: ['not_found'] },
  ...[
    ['ended by s1, closed by s2', (w) => w.endedEnq('E1', 's1'), 's2', ['not_yours']],
    ['missed (answered by nobody)', (w) => w.missedEnq('E1'), 's1', ['not_yours']],
    ['pending', (w) => w.pendingEnq('E1'), 's1', ['not_yours']],
    ['active', (w) => w.activeEnq('E1', 's1'), 's1', ['not_ended', 'active']],
    ['closed', (w) => w.closedEnq('E1', 's1'), 's1', ['not_ended', 'closed']],
  ].map(([what, setup, sid, reply]) => ({
    name: `close: ${what} -> ${reply.join(' ')}`,
    setup,
    run: (w) => w.close('E1', sid),
    reply,
  })),
  {
    name: 'close: a call during its follow-up ends the follow-up: the waiting call is offered at once',
    async setup(w) {
      await w.endedEnq('E1', 's1');
      await w.pendingEnq('E2'); // s1 following up: offered to s2 s3
    },
    run: (w) => w.close('E1', 's1'),
    reply: ['closed'],
    changes: (t) => ({
      'cc:enq:E1': { state: 'closed', closed_ms: String(t) },
      'cc:enq:E2:offered': add('s1'),
      'cc:followups': { s1: null },
      [panel('s1')]: add('E2'),
      [presence('s1')]: { followup_until_ms: String(t) },
    }),
    events: [fact('closed', 'E1', 'closed', { staff: 's1' }), note('offered', 'E2', 'pending', 's1', 'staff_available')],
  },
  {
    name: 'close: a call after its follow-up ran out changes only the enquiry',
    async setup(w) {
      await w.endedEnq('E1', 's1');
      w.stepAt = w.now + FOLLOWUP_MS + 1;
    },
    run: (w) => w.close('E1', 's1'),
    reply: ['closed'],
    changes: (t) => ({ 'cc:enq:E1': { state: 'closed', closed_ms: String(t) } }),
    events: [fact('closed', 'E1', 'closed', { staff: 's1' })],
  },
  {
    name: 'close: a chat changes only the enquiry',
    setup: (w) => w.endedEnq('E1', 's1', { kind: 'chat' }),
    run: (w) => w.close('E1', 's1'),
    reply: ['closed'],
    changes: (t) => ({ 'cc:enq:E1': { state: 'closed', closed_ms: String(t) } }),
    events: [fact('closed', 'E1', 'closed', { staff: 's1' })],
  },
  {
    name: 'close: an older call while following up a later one leaves that follow-up alone',
    async setup(w) {
      await w.activeEnq('E1', 's1');
      await w.must(w.end('E1', 'staff:s1', 0), ['ended', 's1']);
      await w.activeEnq('E2', 's1');
      await w.must(w.end('E2', 'staff:s1'), ['ended', 's1']);
    },
    run: (w) => w.close('E1', 's1'),
    reply: ['closed'],
    changes: (t) => ({ 'cc:enq:E1': { state: 'closed', closed_ms: String(t) } }),
    events: [fact('closed', 'E1', 'closed', { staff: 's1' })],
  },
];

export const cases = [...endCases, ...closeCases];
