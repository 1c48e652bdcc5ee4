// recording.lua: a call's recording path on its enquiry (ingress, when a
// staff member starts recording), once per path.
import { fact } from '../lib/expect.mjs';

const PATH = '/var/lib/cc/recordings/E1-caller-20261126T000000Z-1.wav';
// as Redis's cjson writes a list (it escapes '/': the same JSON)
const list = (...p) => JSON.stringify(p).replaceAll('/', '\\/');

export const cases = [
  {
    name: 'recording: an unknown enquiry -> not_found',
    run: (w) => w.recording('E9', PATH),
    reply: ['not_found'],
  },
  {
    name: 'recording: a chat -> not_call, nothing changes',
    setup: (w) => w.activeEnq('E1', 's1', { kind: 'chat' }),
    run: (w) => w.recording('E1', PATH),
    reply: ['not_call'],
  },
  {
    name: 'recording: an answered call -> recorded, the path on the enquiry and the fact enquiry.recorded',
    setup: (w) => w.activeEnq('E1', 's1'),
    run: (w) => w.recording('E1', PATH),
    reply: ['recorded'],
    changes: { 'cc:enq:E1': { recordings: list(PATH) } },
    events: [fact('recorded', 'E1', 'active', { staff: 's1', reason: PATH })],
  },
  {
    name: 'recording: a second recording is added after the first',
    setup: async (w) => {
      await w.activeEnq('E1', 's1');
      await w.must(w.recording('E1', PATH), ['recorded']);
    },
    run: (w) => w.recording('E1', `${PATH}.2`),
    reply: ['recorded'],
    changes: { 'cc:enq:E1': { recordings: list(PATH, `${PATH}.2`) } },
    events: [fact('recorded', 'E1', 'active', { staff: 's1', reason: `${PATH}.2` })],
  },
  {
    name: 'recording: the same path again -> already, nothing changes, no fact',
    setup: async (w) => {
      await w.activeEnq('E1', 's1');
      await w.must(w.recording('E1', PATH), ['recorded']);
    },
    run: (w) => w.recording('E1', PATH),
    reply: ['already'],
  },
];
