// transfer.lua (blind / consult, to a staff member / a group) and
// transfer_cancel.lua over the enquiry states and the targets' activities.
import { fact, note } from '../lib/expect.mjs';
import { T0, WAIT } from '../lib/world.mjs';

const add = (...m) => ({ add: m });
const del = (...m) => ({ del: m });
const panel = (sid) => `cc:staff:${sid}:pending`;
const holds = (sid) => `cc:staff:${sid}:holds`;
const presence = (sid) => `cc:presence:${sid}`;
const history = (t, o) => [{ from_staff_id: 's1', to_staff_id: '', to_group_id: '', consult: false, at_ms: String(t),
  outcome: 'pending', accepted_by: '', ...o }];

const consult = (to) => async (w) => {
  await w.activeEnq('E1', 's1');
  await w.must(w.transfer('E1', 's1', { ...to, mode: 'consult' }), ['ok']);
};

const refusals = [
  ['an unknown enquiry', null, (w) => w.transfer('E9', 's1', { staff: 's2' }), ['not_found']],
  ['by a staff member not holding it', (w) => w.activeEnq('E1', 's1'),
    (w) => w.transfer('E1', 's2', { staff: 's3' }), ['not_yours']],
  ['a pending enquiry', (w) => w.pendingEnq('E1'), (w) => w.transfer('E1', 's1', { staff: 's2' }), ['not_yours']],
  ['an enquiry its holder ended', (w) => w.endedEnq('E1', 's1'),
    (w) => w.transfer('E1', 's1', { staff: 's2' }), ['not_active', 'ended']],
  ['while a consult transfer waits', consult({ staff: 's2' }),
    (w) => w.transfer('E1', 's1', { group: 'g2' }), ['in_progress']],
  ['to an unknown group', (w) => w.activeEnq('E1', 's1'), (w) => w.transfer('E1', 's1', { group: 'g7' }), ['no_group']],
  ['to an unknown staff member', (w) => w.activeEnq('E1', 's1'),
    (w) => w.transfer('E1', 's1', { staff: 's8' }), ['no_staff']],
  ['to oneself', (w) => w.activeEnq('E1', 's1'), (w) => w.transfer('E1', 's1', { staff: 's1' }), ['self']],
].map(([what, setup, run, reply]) => ({ name: `transfer: ${what} -> ${reply.join(' ')}`, setup, run, reply }));

// Targets who cannot take the call now -> nobody, nothing changes.
const nobody = [
  ['a staff member on a call', { s2: 'call' }, { staff: 's2' }, 'blind'],
  ['a staff member following up', { s2: 'followup' }, { staff: 's2' }, 'consult'],
  ['a busy staff member', { s2: 'busy' }, { staff: 's2' }, 'blind'],
  ['an offline staff member', { s2: 'offline' }, { staff: 's2' }, 'consult'],
  ['a staff member with a stale heartbeat', { s2: 'stale' }, { staff: 's2' }, 'blind'],
  ['a staff member never seen (no presence at all)', { s2: 'none' }, { staff: 's2' }, 'blind'],
  ['a group all offline or stale', { s4: 'offline', s5: 'stale' }, { group: 'g2' }, 'consult'],
  ['the sender\'s own group where the others are on calls', { s2: 'call', s3: 'call' }, { group: 'g1' }, 'blind'],
].map(([what, p, to, mode]) => ({
  name: `transfer: ${mode} of a call to ${what} -> nobody, nothing changes`,
  async setup(w) {
    await w.activeEnq('E1', 's1');
    for (const [s, a] of Object.entries(p)) await w.presence(s, a);
  },
  run: (w) => w.transfer('E1', 's1', { ...to, mode }),
  reply: ['nobody'],
}));

const done = [
  {
    name: 'transfer: blind of a call to a staff member: pending for them, the sender free at once and offered the waiting call',
    async setup(w) {
      await w.activeEnq('E1', 's1');
      await w.pendingEnq('E2');
    },
    run: (w) => w.transfer('E1', 's1', { staff: 's2' }),
    reply: ['ok'],
    changes: (t) => ({
      'cc:enq:E1': {
        state: 'pending', mode: 'direct', group_id: '', staff_id: 's2', answered_by: '', xfer: 'blind', xfer_from: 's1',
        wait_set: 'cc:staff:s2:direct', deadline_ms: String(t + WAIT.direct), transfers: history(t, { to_staff_id: 's2' }),
      },
      'cc:enq:E1:offered': del('s1', 's3'),
      'cc:enq:E2:offered': add('s1'),
      'cc:enq:active': { E1: null },
      'cc:enq:deadlines': { E1: t + WAIT.direct },
      'cc:staff:s2:direct': add('E1'),
      [holds('s1')]: del('E1'),
      [panel('s1')]: add('E2'),
      [panel('s2')]: add('E1'),
      [presence('s1')]: { call: '0' },
    }),
    events: [
      fact('transfer', 'E1', 'pending', { staff: 's1', reason: 'blind', offered: ['s2'] }),
      note('offered', 'E2', 'pending', 's1', 'staff_available'),
    ],
  },
  {
    name: 'transfer: blind of a chat to the sender\'s own group: offered to the others who can take it, the sender one chat fewer',
    presence: { s1: 'chats', s3: 'offline' },
    setup: (w) => w.activeEnq('E1', 's1', { kind: 'chat' }),
    run: (w) => w.transfer('E1', 's1', { group: 'g1' }),
    reply: ['ok'],
    changes: (t) => ({
      'cc:enq:E1': {
        state: 'pending', answered_by: '', xfer: 'blind', xfer_from: 's1', wait_set: 'cc:group:g1:waiting',
        deadline_ms: String(t + WAIT.chat), transfers: history(t, { to_group_id: 'g1' }),
      },
      'cc:enq:E1:offered': del('s1'),
      'cc:enq:active': { E1: null },
      'cc:enq:deadlines': { E1: t + WAIT.chat },
      'cc:enq:idle': { E1: null },
      'cc:group:g1:waiting': add('E1'),
      [holds('s1')]: del('E1'),
      [panel('s2')]: add('E1'),
      [presence('s1')]: { chats: '2' },
    }),
    events: [fact('transfer', 'E1', 'pending', { staff: 's1', reason: 'blind', offered: ['s2'] })],
  },
  {
    name: 'transfer: consult of a call to a staff member: the sender keeps it until they accept',
    setup: (w) => w.activeEnq('E1', 's1'),
    run: (w) => w.transfer('E1', 's1', { staff: 's2', mode: 'consult' }),
    reply: ['ok'],
    changes: (t) => ({
      'cc:enq:E1': {
        xfer: 'consult', xfer_from: 's1', wait_set: 'cc:staff:s2:direct', deadline_ms: String(t + WAIT.direct),
        transfers: history(t, { to_staff_id: 's2', consult: true }),
      },
      'cc:enq:E1:offered': del('s1', 's3'),
      'cc:enq:deadlines': { E1: t + WAIT.direct },
      'cc:staff:s2:direct': add('E1'),
      [panel('s2')]: add('E1'),
    }),
    events: [fact('transfer', 'E1', 'active', { staff: 's1', reason: 'consult', offered: ['s2'] })],
  },
  {
    name: 'transfer: consult of a call to a group: offered to its members free for a call (idle, with chats)',
    presence: { s5: 'chats' },
    setup: (w) => w.activeEnq('E1', 's1'),
    run: (w) => w.transfer('E1', 's1', { group: 'g2', mode: 'consult' }),
    reply: ['ok'],
    changes: (t) => ({
      'cc:enq:E1': {
        xfer: 'consult', xfer_from: 's1', wait_set: 'cc:group:g2:waiting', deadline_ms: String(t + WAIT.broadcast),
        transfers: history(t, { to_group_id: 'g2', consult: true }),
      },
      'cc:enq:E1:offered': { add: ['s4', 's5'], del: ['s1', 's2', 's3'] },
      'cc:enq:deadlines': { E1: t + WAIT.broadcast },
      'cc:group:g2:waiting': add('E1'),
      [panel('s4')]: add('E1'),
      [panel('s5')]: add('E1'),
    }),
    events: [fact('transfer', 'E1', 'active', { staff: 's1', reason: 'consult', offered: ['s4', 's5'] })],
  },
  {
    name: 'transfer: consult of a chat to a staff member on a call (chats whatever the activity)',
    presence: { s2: 'call' },
    setup: (w) => w.activeEnq('E1', 's1', { kind: 'chat' }),
    run: (w) => w.transfer('E1', 's1', { staff: 's2', mode: 'consult' }),
    reply: ['ok'],
    changes: (t) => ({
      'cc:enq:E1': {
        xfer: 'consult', xfer_from: 's1', wait_set: 'cc:staff:s2:direct', deadline_ms: String(t + WAIT.chat),
        transfers: history(t, { to_staff_id: 's2', consult: true }),
      },
      'cc:enq:E1:offered': del('s1', 's3'),
      'cc:enq:deadlines': { E1: t + WAIT.chat },
      'cc:staff:s2:direct': add('E1'),
      [panel('s2')]: add('E1'),
    }),
    events: [fact('transfer', 'E1', 'active', { staff: 's1', reason: 'consult', offered: ['s2'] })],
  },
  {
    name: 'transfer: to a staff member on a channel without waits: the default direct wait, 90 s',
    setup: (w) => w.activeEnq('E1', 's1', { channel: 'cx' }),
    run: (w) => w.transfer('E1', 's1', { staff: 's2' }),
    reply: ['ok'],
    changes: (t) => ({
      'cc:enq:E1': {
        state: 'pending', mode: 'direct', group_id: '', staff_id: 's2', answered_by: '', xfer: 'blind', xfer_from: 's1',
        wait_set: 'cc:staff:s2:direct', deadline_ms: String(t + 90_000), transfers: history(t, { to_staff_id: 's2' }),
      },
      'cc:enq:E1:offered': del('s1', 's3'),
      'cc:enq:active': { E1: null },
      'cc:enq:deadlines': { E1: t + 90_000 },
      'cc:staff:s2:direct': add('E1'),
      [holds('s1')]: del('E1'),
      [panel('s2')]: add('E1'),
      [presence('s1')]: { call: '0' },
    }),
    events: [fact('transfer', 'E1', 'pending', { staff: 's1', reason: 'blind', offered: ['s2'] })],
  },
];

const cancelCases = [
  ...[
    ['an unknown enquiry', null, 's1', ['not_found']],
    ['by a staff member not the sender', consult({ staff: 's2' }), 's2', ['not_yours']],
    ['a blind transfer (the sender no longer holds it)', async (w) => {
      await w.activeEnq('E1', 's1');
      await w.must(w.transfer('E1', 's1', { staff: 's2' }), ['ok']);
    }, 's1', ['not_yours']],
    ['an active enquiry with no transfer', (w) => w.activeEnq('E1', 's1'), 's1', ['no_transfer']],
    ['an ended enquiry', (w) => w.endedEnq('E1', 's1'), 's1', ['no_transfer']],
  ].map(([what, setup, sid, reply]) => ({
    name: `transfer_cancel: ${what} -> ${reply.join(' ')}`,
    setup,
    run: (w) => w.xcancel(setup ? 'E1' : 'E9', sid),
    reply,
  })),
  {
    name: 'transfer_cancel: a consult transfer waiting: the targets lose it, the sender keeps it (transfer_returned, cancelled)',
    setup: consult({ group: 'g2' }),
    run: (w) => w.xcancel('E1', 's1'),
    reply: ['returned'],
    changes: () => ({
      'cc:enq:E1': {
        xfer: '', xfer_from: '', wait_set: null,
        transfers: history(T0, { to_group_id: 'g2', consult: true, outcome: 'cancelled' }),
      },
      'cc:enq:E1:offered': del('s4', 's5'),
      'cc:enq:deadlines': { E1: null },
      'cc:group:g2:waiting': del('E1'),
      [panel('s4')]: del('E1'),
      [panel('s5')]: del('E1'),
    }),
    events: [fact('transfer_returned', 'E1', 'active', { staff: 's1', reason: 'cancelled', withdrawn: ['s4', 's5'] })],
  },
];

export const cases = [...refusals, ...nobody, ...done, ...cancelCases];
