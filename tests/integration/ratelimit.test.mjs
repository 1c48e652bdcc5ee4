// Issue 8: admission limits, login timing and password hashes, on the real
// stack (two gateways on one port, the limits in Redis):
// - enquiry, chat and login floods get 429 rate_limited with Retry-After
//   while other addresses, other channels and staff keep working, and the
//   client is served again after Retry-After; exactly one burst gets
//   through however the kernel spreads the connections over the gateways;
// - X-Forwarded-For counts only from CC_TRUSTED_PROXIES;
// - a Redis that cannot answer is a 503, never a 429 and never a pass;
// - login takes as long for an unknown e-mail as for a known one (a paired
//   comparison of many timed logins, robust to a loaded machine) and
//   answers the same;
// - a PBKDF2 hash (the earlier format) logs in and is stored as Argon2id.
// Client addresses: every request goes out on a connection of its own from
// a loopback address of the test's choosing (127.0.0.0/8 is all local), so
// each test is its own set of clients.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { run, sleep, startStack, until } from './lib/stack.mjs';

const ADMIN = 'ratelimit-test-admin-token-0123456789';
const PROXY = '127.0.0.250';

// Small buckets with slow refills: a burst sent at once meets exactly the
// burst (the next token is seconds away even on a loaded machine), and a
// Retry-After is a few seconds.
const LIMITS = {
  CC_RATE_ENQUIRY_ADDRESS: '4/20', // a token every 5 s
  CC_RATE_ENQUIRY_CHANNEL: '6/60', // every 10 s
  CC_RATE_CHAT_VISITOR: '4/20',
  CC_RATE_CHAT_ADDRESS: '6/60',
  CC_RATE_LOGIN_ACCOUNT: '3/15',
  CC_RATE_LOGIN_ADDRESS: '6/60',
  CC_TRUSTED_PROXIES: `${PROXY}, 192.0.2.200`,
};

// One request on a connection of its own from address `from`; resolves
// {status, headers, body, ms}.
function call(base, method, p, body, { token, from = '127.0.0.1', headers = {} } = {}) {
  const url = new URL(`${base}/api/v1${p}`);
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method,
      localAddress: from,
      agent: false,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(data !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}),
        ...headers,
      },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({
        status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) : null, ms: performance.now() - t0,
      }));
    });
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

// A 429 as docs/api.md says: rate_limited, a message naming the limit,
// Retry-After in whole seconds, at least 1 and at most the bucket's period.
function assertLimited(r, what, maxSeconds) {
  assert.equal(r.status, 429, JSON.stringify(r.body));
  assert.equal(r.body.error.code, 'rate_limited');
  assert.match(r.body.error.message, what);
  assert.match(r.headers['retry-after'] ?? '', /^\d+$/);
  const s = Number(r.headers['retry-after']);
  assert.ok(s >= 1 && s <= maxSeconds, `Retry-After ${s}`);
  return s;
}

describe('rate limits, login timing, password hashes', () => {
  let stack;
  let base;
  let n = 0;
  let hostN = 0;
  // a client address no other test uses
  const fresh = () => `127.0.${100 + Math.floor(hostN / 250)}.${1 + (hostN++ % 250)}`;

  const admin = (method, p, body) => call(base, method, p, body, { token: ADMIN });
  const psql = async (q) => (await run('psql', ['-h', '127.0.0.1', '-p', String(stack.ports.CC_PG_PORT),
    '-U', 'cc', '-d', 'cc', '-qtAX', '-c', q])).stdout.trim();

  // staff (logged in, each from an address of its own) and a channel to them
  async function team(size) {
    const t = `rl${++n}`;
    const ids = Array.from({ length: size }, (_, i) => `${t}-s${i}`);
    const staff = {};
    for (const id of ids) {
      const r = await admin('PUT', `/staff/${id}`, { name: id, email: `${id}@x.example`, role: 'staff', password: 'password-1' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    assert.equal((await admin('PUT', `/groups/${t}`, { name: t, member_ids: ids })).status, 201);
    assert.equal((await admin('PUT', `/channels/${t}`, { name: `${t} line`, type: 'widget', group_id: t })).status, 201);
    for (const id of ids) {
      const r = await call(base, 'POST', '/login', { email: `${id}@x.example`, password: 'password-1' }, { from: fresh() });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      staff[id] = r.body.token;
    }
    return { channel: t, ids, staff };
  }
  const create = (channel, from, headers = {}) =>
    call(base, 'POST', '/enquiries', { channel_id: channel, kind: 'chat', caller: 'Visitor' }, { from, headers });

  before(async () => {
    stack = await startStack({ CC_ADMIN_TOKEN: ADMIN, CC_DEMO: '0', CC_GATEWAY_REPLICAS: '2', ...LIMITS });
    base = stack.url;
  });
  after(async () => {
    const res = await stack?.stop();
    assert.equal(res?.code, 0);
    assert.deepEqual(res.sanitizer, []);
  });

  test('an enquiry flood from one address: one burst gets through (across both gateways), then 429 + Retry-After; other addresses, channels and staff go on; served again after Retry-After', async () => {
    const a = await team(2);
    const b = await team(1);
    const flooder = fresh();
    const results = [];
    for (let i = 0; i < 12; i++) results.push(await create(a.channel, flooder));
    const made = results.filter((r) => r.status === 201);
    // each request on its own connection: the kernel spreads them over both
    // gateways, and still exactly the burst of 4 is created
    assert.deepEqual(results.map((r) => r.status), [201, 201, 201, 201, ...Array(8).fill(429)]);
    let wait = 0;
    for (const r of results.slice(4)) wait = assertLimited(r, /too many enquiries from this address/, 20);

    // only those 4 were offered to the staff
    const [s0, s1] = a.ids;
    const pending = await call(base, 'GET', '/pending', undefined, { token: a.staff[s0] });
    assert.deepEqual(pending.body.pending.map((p) => p.enquiry.id).sort(), made.map((r) => r.body.enquiry.id).sort());

    // another address on the same channel, and another channel, are served
    assert.equal((await create(a.channel, fresh())).status, 201);
    assert.equal((await create(b.channel, fresh())).status, 201);
    // and the staff work as usual
    const ans = await call(base, 'POST', `/enquiries/${made[0].body.enquiry.id}/answer`, undefined, { token: a.staff[s1] });
    assert.equal(ans.status, 200, JSON.stringify(ans.body));
    assert.equal((await call(base, 'GET', '/me', undefined, { token: a.staff[s0] })).status, 200);

    // after Retry-After the flooder is served again
    await sleep(wait * 1000);
    const again = await create(a.channel, flooder);
    assert.equal(again.status, 201, JSON.stringify(again.body));
  });

  test('a flood on one channel from many addresses: 429 once the channel\'s bucket is empty; other channels go on', async () => {
    const c = await team(1);
    const d = await team(1);
    const statuses = [];
    let last;
    for (let i = 0; i < 9; i++) {
      last = await create(c.channel, fresh()); // a new address every time
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [201, 201, 201, 201, 201, 201, 429, 429, 429]);
    assertLimited(last, /too many enquiries on this channel/, 60);
    assert.equal((await create(d.channel, fresh())).status, 201);
  });

  test('a chat flood by one visitor: 429 + Retry-After; the staff member keeps chatting; served again after Retry-After; then the address limit', async () => {
    const t = await team(1);
    const [sid] = t.ids;
    const from = fresh();
    const c = await create(t.channel, from);
    assert.equal(c.status, 201);
    const id = c.body.enquiry.id;
    const visitor = c.body.visitor_token;
    assert.equal((await call(base, 'POST', `/enquiries/${id}/answer`, undefined, { token: t.staff[sid] })).status, 200);

    const post = (token, text, addr = from) => call(base, 'POST', `/enquiries/${id}/messages`, { text }, { token, from: addr });
    const sent = [];
    for (let i = 0; i < 7; i++) sent.push(await post(visitor, `visitor ${i}`));
    assert.deepEqual(sent.map((r) => r.status), [201, 201, 201, 201, 429, 429, 429]);
    const wait = assertLimited(sent[6], /too many messages from this visitor/, 20);
    // the visitor's limit is theirs: from another address it is the same visitor
    assertLimited(await post(visitor, 'elsewhere', fresh()), /this visitor/, 20);
    // staff messages are not limited
    for (let i = 0; i < 6; i++) assert.equal((await post(t.staff[sid], `staff ${i}`)).status, 201);

    await sleep(wait * 1000);
    assert.equal((await post(visitor, 'after the wait')).status, 201);
    const list = await call(base, 'GET', `/enquiries/${id}/messages`, undefined, { token: visitor, from });
    const mine = list.body.messages.filter((m) => m.author === 'visitor').map((m) => m.text);
    assert.deepEqual(mine, ['visitor 0', 'visitor 1', 'visitor 2', 'visitor 3', 'after the wait']);

    // per address: two more visitors behind one address share its 6
    const shared = fresh();
    const vs = [];
    for (let i = 0; i < 2; i++) {
      const e = await create(t.channel, fresh());
      assert.equal(e.status, 201);
      const ok = await call(base, 'POST', `/enquiries/${e.body.enquiry.id}/answer`, undefined, { token: t.staff[sid] });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      vs.push(e.body);
    }
    const postAs = (v, text) => call(base, 'POST', `/enquiries/${v.enquiry.id}/messages`, { text }, { token: v.visitor_token, from: shared });
    const got = [];
    for (let i = 0; i < 4; i++) got.push((await postAs(vs[0], `a${i}`)).status);
    for (let i = 0; i < 2; i++) got.push((await postAs(vs[1], `b${i}`)).status);
    const over = await postAs(vs[1], 'b2');
    assert.deepEqual(got, [201, 201, 201, 201, 201, 201]);
    assertLimited(over, /too many messages from this address/, 60);
  });

  test('a login flood on one account: 429 from any address; other staff log in; the session keeps working; served again after Retry-After', async () => {
    const t = await team(2);
    const [victim, other] = t.ids;
    const email = `${victim}@x.example`;
    // 3 attempts per account: the team's login was one, two wrong ones follow
    const wrong = [];
    for (let i = 0; i < 2; i++) {
      wrong.push(await call(base, 'POST', '/login', { email, password: `wrong-${i}-password` }, { from: fresh() }));
    }
    assert.deepEqual(wrong.map((r) => r.status), [401, 401]);
    // the account's bucket is empty whatever the address and however the
    // e-mail is capitalised; the right password waits too
    const limited = await call(base, 'POST', '/login', { email: email.toUpperCase(), password: 'password-1' }, { from: fresh() });
    const wait = assertLimited(limited, /too many login attempts for this account/, 15);
    assertLimited(await call(base, 'POST', '/login', { email, password: 'password-1' }, { from: fresh() }), /account/, 15);

    // others log in; the victim's own session works
    const o = await call(base, 'POST', '/login', { email: `${other}@x.example`, password: 'password-1' }, { from: fresh() });
    assert.equal(o.status, 200);
    assert.equal((await call(base, 'GET', '/me', undefined, { token: t.staff[victim] })).status, 200);
    assert.equal((await call(base, 'POST', '/me/heartbeat', undefined, { token: t.staff[victim] })).status, 200);

    await sleep(wait * 1000);
    const back = await call(base, 'POST', '/login', { email, password: 'password-1' }, { from: fresh() });
    assert.equal(back.status, 200, JSON.stringify(back.body));
  });

  test('a login flood from one address: 429 after its burst, whatever the e-mails; other addresses log in', async () => {
    const t = await team(1);
    const from = fresh();
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await call(base, 'POST', '/login', { email: `nobody-${i}-${n}@x.example`, password: 'guess-guess' }, { from })).status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401]);
    const r = await call(base, 'POST', '/login', { email: `${t.ids[0]}@x.example`, password: 'password-1' }, { from });
    assertLimited(r, /too many login attempts from this address/, 60);
    assert.equal((await call(base, 'POST', '/login', { email: `${t.ids[0]}@x.example`, password: 'password-1' }, { from: fresh() })).status, 200);
  });

  test('X-Forwarded-For counts only from a trusted proxy: behind it each client has its own limit; from anyone else it is ignored', async () => {
    const t = await team(1);
    const u = await team(1);
    // through the proxy: the client is the rightmost address that is not a
    // trusted proxy (192.0.2.200 is one too)
    const viaProxy = (xff) => create(t.channel, PROXY, { 'x-forwarded-for': xff });
    const one = [];
    for (let i = 0; i < 5; i++) one.push((await viaProxy(`10.9.9.9, 198.51.100.7, 192.0.2.200`)).status);
    assert.deepEqual(one, [201, 201, 201, 201, 429]);
    // another client behind the same proxy is served
    assert.equal((await viaProxy('198.51.100.8')).status, 201);

    // a client that is not a proxy cannot pick its address with the header
    const spoofer = fresh();
    const spoofed = [];
    for (let i = 0; i < 5; i++) {
      spoofed.push(await create(u.channel, spoofer, { 'x-forwarded-for': `203.0.113.${i + 1}` }));
    }
    assert.deepEqual(spoofed.map((r) => r.status), [201, 201, 201, 201, 429]);
    assertLimited(spoofed[4], /from this address/, 20);
  });

  test('login time does not tell whether an e-mail exists, and the answer is the same', async () => {
    // 40 known accounts and 40 unknown e-mails, one wrong-password login
    // each, in pairs from an address of their own (no limit is met), the
    // order inside each pair random. Robust on a loaded machine: a pair's
    // two logins run back to back, so load hits both; the test is the sign
    // of each pair's difference (as often faster as slower when the two
    // cost the same; nearly always slower when only one of them hashes,
    // as before this change) and the ratio of the medians.
    const PAIRS = 40;
    const tag = `tm${++n}`;
    for (let i = 0; i < PAIRS; i++) {
      const r = await admin('PUT', `/staff/${tag}-${i}`, { name: `${tag} ${i}`, email: `${tag}-${i}@x.example`, role: 'staff', password: `right-password-${i}` });
      assert.equal(r.status, 201);
    }
    const login = (email) => call(base, 'POST', '/login', { email, password: 'not-the-password' }, { from: fresh() });
    // warm up: the first requests of a connection pool are slower
    for (let i = 0; i < 3; i++) await login(`warm-${i}-${tag}@x.example`);
    const known = [];
    const unknown = [];
    let slower = 0;
    for (let i = 0; i < PAIRS; i++) {
      const first = Math.random() < 0.5;
      const k = first ? await login(`${tag}-${i}@x.example`) : null;
      const u = await login(`${tag}-nobody-${i}@x.example`);
      const k2 = first ? k : await login(`${tag}-${i}@x.example`);
      for (const r of [k2, u]) {
        assert.equal(r.status, 401, JSON.stringify(r.body));
        assert.deepEqual(r.body, { error: { code: 'unauthorized', message: 'wrong email or password' } });
      }
      known.push(k2.ms);
      unknown.push(u.ms);
      if (k2.ms > u.ms) slower++;
    }
    const median = (xs) => {
      const s = [...xs].sort((x, y) => x - y);
      return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
    };
    const mk = median(known);
    const mu = median(unknown);
    const diffs = known.map((k, i) => k - unknown[i]);
    const report = `median known ${mk.toFixed(1)} ms, unknown ${mu.toFixed(1)} ms, median paired difference ${median(diffs).toFixed(1)} ms; known slower in ${slower} of ${PAIRS} pairs`;
    console.log(`login timing: ${report}`);
    // as often slower as faster: outside [8, 32] of 40 has a chance of 1 in
    // ten thousand when both cost the same
    assert.ok(slower >= PAIRS * 0.2 && slower <= PAIRS * 0.8, `known e-mails are systematically slower or faster: ${report}`);
    assert.ok(Math.max(mk, mu) / Math.min(mk, mu) < 2, `medians differ by more than 2x: ${report}`);
  });

  test('an old PBKDF2 hash logs in and is stored as Argon2id afterwards', async () => {
    const id = `legacy${++n}`;
    const email = `${id}@x.example`;
    assert.equal((await admin('PUT', `/staff/${id}`, { name: id, email, role: 'staff', password: 'set-by-admin-1' })).status, 201);
    // a hash as the earlier code wrote it: PBKDF2-HMAC-SHA256, 60,000 iterations
    const salt = randomBytes(16);
    const key = pbkdf2Sync('legacy-pass-1', salt, 60000, 32, 'sha256');
    const old = `pbkdf2-sha256$60000$${salt.toString('hex')}$${key.toString('hex')}`;
    await psql(`UPDATE dir_staff SET password_hash = '${old}' WHERE id = '${id}'`);
    assert.equal(await psql(`SELECT password_hash FROM dir_staff WHERE id = '${id}'`), old);

    assert.equal((await call(base, 'POST', '/login', { email, password: 'wrong-pass-1' }, { from: fresh() })).status, 401);
    assert.equal(await psql(`SELECT password_hash FROM dir_staff WHERE id = '${id}'`), old, 'a failed login changes nothing');
    const r = await call(base, 'POST', '/login', { email, password: 'legacy-pass-1' }, { from: fresh() });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const now = await psql(`SELECT password_hash FROM dir_staff WHERE id = '${id}'`);
    assert.match(now, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    // the new hash is of the same password (the account's third attempt:
    // its limit here is 3 per 15 s)
    assert.equal((await call(base, 'POST', '/login', { email, password: 'legacy-pass-1' }, { from: fresh() })).status, 200);
    assert.equal(await psql(`SELECT password_hash FROM dir_staff WHERE id = '${id}'`), now, 'upgraded once');
    // and a password set through the directory is Argon2id from the start
    assert.equal((await admin('PUT', `/staff/${id}`, { name: id, email, role: 'staff', password: 'brand-new-pass' })).status, 200);
    assert.match(await psql(`SELECT password_hash FROM dir_staff WHERE id = '${id}'`), /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  test('a Redis that cannot answer: 503 for the limited requests, never 429 and never let through; served after', async () => {
    const t = await team(1);
    const redisPid = Number(readFileSync(path.join(stack.runDir, 'pids', 'redis.pid'), 'utf8').trim());
    assert.ok(redisPid > 0);
    const from = fresh();
    process.kill(redisPid, 'SIGSTOP');
    let during;
    try {
      during = [
        await create(t.channel, from),
        await call(base, 'POST', '/login', { email: `${t.ids[0]}@x.example`, password: 'password-1' }, { from }),
      ];
    } finally {
      process.kill(redisPid, 'SIGCONT');
    }
    for (const r of during) {
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'unavailable');
      assert.equal(r.headers['retry-after'], undefined);
    }
    await until(async () => (await create(t.channel, fresh())).status === 201, 30000, 'creates served again');
    await until(async () => (await call(base, 'POST', '/login', { email: `${t.ids[0]}@x.example`, password: 'password-1' }, { from: fresh() })).status === 200,
      30000, 'logins served again');
  });
});
