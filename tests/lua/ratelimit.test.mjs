// The gateway's rate-limit step (services/gateway/lua/ratelimit.lua, joined
// as the build joins it) on a redis-server of this file's own: a bucket's
// burst, all-or-none over several buckets, which bucket a refusal names and
// how long it says to wait, refill, expiry, and arguments it refuses.
// Needs no service binaries: `node --test tests/lua/`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repo, sleep } from '../integration/lib/stack.mjs';
import { RedisError, startRedis } from './lib/redis.mjs';

// tools/dev/embed-lua as the Makefile runs it for the gateway, read back out
// of the C it writes: the script exactly as the gateway sends it.
function embedded() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cc-lua-gw-'));
  try {
    const scripts = readdirSync(path.join(repo, 'services/gateway/lua')).filter((f) => f.endsWith('.lua')).sort()
      .map((f) => `services/gateway/lua/${f}`);
    execFileSync(path.join(repo, 'tools/dev/embed-lua'), ['gateway_lua', path.join(tmp, 'g.c'), path.join(tmp, 'g.h'),
      'services/common/lua', 'services/gateway/lua/lib', '--', ...scripts], { cwd: repo });
    const c = readFileSync(path.join(tmp, 'g.c'), 'utf8');
    const m = /const char \*const gateway_lua_ratelimit =\n([^]*?)\n {4};/.exec(c);
    assert.ok(m, 'gateway_lua_ratelimit in the generated C');
    return m[1].split('\n').map((l) => /^ {4}"(.*)"$/.exec(l)[1]
      .replace(/\\(.)/g, (_, ch) => ({ n: '\n', '"': '"', '\\': '\\' })[ch])).join('');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

describe('ratelimit.lua', () => {
  let redis;
  let sha;
  let n = 0;
  const key = () => `cc:rate:test:${++n}`;
  // take(keys, [[burst, period_ms], ...]) -> the script's reply
  const take = (keys, sizes) => redis.call('EVALSHA', sha, keys.length, ...keys, ...sizes.flat().map(String));

  before(async () => {
    redis = await startRedis();
    sha = await redis.call('SCRIPT', 'LOAD', embedded());
  });
  after(async () => {
    await redis?.stop();
  });

  test('the build joins it after services/common/lua', () => {
    const text = embedded();
    assert.match(text, /^-- services\/common\/lua\/00_frame\.lua\n/);
    assert.match(text, /\n-- services\/gateway\/lua\/ratelimit\.lua\n/);
  });

  test('a bucket gives its burst, then refuses with the wait for one token, and changes nothing when it refuses', async () => {
    const k = key();
    for (let i = 0; i < 3; i++) assert.deepEqual(await take([k], [[3, 3000]]), [0]);
    const before = await redis.call('GET', k);
    const r = await take([k], [[3, 3000]]);
    assert.equal(r[0], 1);
    assert.ok(r[1] > 0 && r[1] <= 1000, `wait ${r[1]} ms: one token of three per 3 s`);
    assert.equal(r[2], 1);
    assert.equal(await redis.call('GET', k), before);
    // the key lives until its bucket would be full again, no longer
    const ttl = await redis.call('PTTL', k);
    assert.ok(ttl > 0 && ttl <= 3000, `PTTL ${ttl}`);
  });

  test('all or none: a request refused by one bucket takes nothing from the others', async () => {
    const a = key();
    const b = key();
    assert.deepEqual(await take([a, b], [[1, 60000], [3, 60000]]), [0]);
    const r = await take([a, b], [[1, 60000], [3, 60000]]);
    assert.equal(r[0], 1);
    assert.equal(r[2], 1, 'the first bucket refused');
    // b gave one token: two are left
    assert.deepEqual(await take([b], [[3, 60000]]), [0]);
    assert.deepEqual(await take([b], [[3, 60000]]), [0]);
    assert.equal((await take([b], [[3, 60000]]))[0], 1);
  });

  test('a refusal names the bucket that refills last, and its wait', async () => {
    const a = key();
    const b = key();
    assert.deepEqual(await take([a, b], [[1, 2000], [1, 50000]]), [0]);
    const r = await take([a, b], [[1, 2000], [1, 50000]]);
    assert.equal(r[0], 1);
    assert.equal(r[2], 2);
    assert.ok(r[1] > 2000 && r[1] <= 50000, `wait ${r[1]}`);
  });

  test('after the wait it says, the bucket gives again; once its key expires it is full', async () => {
    const k = key();
    assert.deepEqual(await take([k], [[2, 600]]), [0]);
    assert.deepEqual(await take([k], [[2, 600]]), [0]);
    const r = await take([k], [[2, 600]]);
    assert.equal(r[0], 1);
    await sleep(r[1] + 20);
    assert.deepEqual(await take([k], [[2, 600]]), [0]);
    assert.equal((await take([k], [[2, 600]]))[0], 1);
    await sleep((await redis.call('PTTL', k)) + 20);
    assert.equal(await redis.call('EXISTS', k), 0);
    assert.deepEqual(await take([k], [[2, 600]]), [0]);
    assert.deepEqual(await take([k], [[2, 600]]), [0]);
  });

  test('no keys: nothing to take', async () => {
    assert.deepEqual(await take([], []), [0]);
  });

  test('a missing or bad size is an error, and nothing is written', async () => {
    const k = key();
    for (const sizes of [[[0, 1000]], [[1, 0]], [['x', 1000]], [[]]]) {
      await assert.rejects(take([k], sizes), RedisError);
      assert.equal(await redis.call('EXISTS', k), 0);
    }
    const other = key();
    // the second bucket's size is bad: the first is not taken either
    await assert.rejects(take([k, other], [[5, 1000], [0, 1000]]), RedisError);
    assert.equal(await redis.call('EXISTS', k), 0);
  });
});
