// The queue's Lua steps (services/queue/lua, joined with services/common/lua
// and services/queue/lua/lib exactly as the build joins them) run against a
// real redis-server of this file's own, over a table of starting states:
// every reply word of every script, and for each case the exact change to
// every key and the outbox entries the step appended. Then the frame every
// request step runs in (idempotency, deadline, outbox cap) and exactly-once.
// Needs no service binaries: `node --test tests/lua/`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { repo } from '../integration/lib/stack.mjs';
import { runCase } from './lib/expect.mjs';
import { startRedis } from './lib/redis.mjs';
import { loadScripts, SCRIPTS } from './lib/scripts.mjs';
import { makeWorld } from './lib/world.mjs';
import { cases as createAnswer } from './cases/create_answer.mjs';
import { cases as endClose } from './cases/end_close.mjs';
import { cases as transfer } from './cases/transfer.mjs';
import { cases as timers } from './cases/timers.mjs';
import { cases as reads } from './cases/reads.mjs';
import { cases as recording } from './cases/recording.mjs';
import { frameTests, onceTests } from './cases/frame.mjs';

const loaded = loadScripts();
const sha = {};
let redis;
let world;
const w = () => world; // the cases are made before the world is

before(async () => {
  redis = await startRedis();
  // loaded as the services load them: as the Redis user cc
  for (const [name, text] of Object.entries(loaded.scripts)) sha[name] = await redis.service.call('SCRIPT', 'LOAD', text);
  world = makeWorld(redis, sha);
});
after(async () => {
  await redis?.stop();
});

describe('the scripts are the ones the build embeds', () => {
  test('tools/dev/embed-lua gives one script per services/queue/lua/*.lua', () => {
    const files = readdirSync(path.join(repo, SCRIPTS)).filter((f) => f.endsWith('.lua')).map((f) => f.slice(0, -4));
    assert.deepEqual(Object.keys(loaded.scripts).sort(), files.sort());
    assert.ok(files.length >= 13);
  });
  test('each is common/lua sorted, then queue/lua/lib sorted, then the script', () => {
    for (const name of Object.keys(loaded.scripts)) assert.equal(loaded.scripts[name], loaded.byRule[name], name);
    assert.match(loaded.scripts.answer, /^-- services\/common\/lua\/00_frame\.lua\n[^]*\n-- services\/common\/lua\/10_outbox\.lua\n[^]*\n-- services\/queue\/lua\/lib\/20_enquiry\.lua\n[^]*\n-- services\/queue\/lua\/answer\.lua\n/);
  });
  test('the same text as build/*/gen/lua_queue.c (when that is up to date)', (t) => {
    for (const g of loaded.generated) {
      if (g.same) continue;
      if (g.fresh) assert.fail(`${g.file} differs from what tools/dev/embed-lua makes of the sources`);
      t.diagnostic(`${g.file} is older than the sources (not rebuilt yet): not compared`);
    }
  });
});

for (const [group, cases] of Object.entries({ 'create and answer': createAnswer, 'end and close': endClose,
  transfer, 'timers and reconcile': timers, 'chat, holds, pending': reads, 'recordings': recording })) {
  describe(group, () => {
    for (const c of cases) test(c.name, () => runCase(w(), c));
  });
}

describe('the frame of a request step', () => frameTests(w));
describe('exactly once', () => onceTests(w));

// Runs after the tables: each script's reply words (its header's "-> {'word'
// ...} | ..." lines, the same as the words it returns) were each the reply
// of some case above.
describe('coverage', () => {
  for (const name of Object.keys(loaded.scripts).sort()) {
    test(`${name}: every reply word it can return is a case`, () => {
      const text = readFileSync(path.join(repo, SCRIPTS, `${name}.lua`), 'utf8');
      const header = text.split('\n').filter((l) => /^-- +(->|\|)/.test(l)).join(' ');
      const words = [...header.matchAll(/\{'(\w+)'/g)].map((m) => m[1]).sort();
      const returned = [...new Set([...text.matchAll(/finish\(\{'(\w+)'/g)].map((m) => m[1]))].sort();
      assert.deepEqual(words, returned, 'the header lists what the script returns');
      for (const word of words) assert.ok(world.covered.has(`${name} ${word}`), `no case where ${name} replies ${word}`);
    });
  }
});
