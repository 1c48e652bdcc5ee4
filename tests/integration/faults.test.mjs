// Issue 7, "how it is shown": load while the platform is hurt. Visitors create
// call enquiries at a steady rate and staff consoles answer and end them,
// every client retrying with the same Idempotency-Key after a 503 or a lost
// connection, while queue is SIGKILLed twice, presence and the gateway once,
// redis-server is stalled (SIGSTOP/SIGCONT) across deadlines and answers and
// then killed and restarted with a large AOF (LOADING seen), and nats-server
// is stalled and then killed and restarted. Afterwards: every enquiry reached
// a final state or is held by someone who sees it in GET /me; nobody is left
// unable to take calls; every fact is in PostgreSQL exactly once; no valid
// token or enquiry was answered 401 or 404; and no request answered with an
// error was carried out unless its retry returned that result.
// make test: also under ThreadSanitizer
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { run, sleep, startStack, until } from './lib/stack.mjs';
import { makeTeam } from './lib/team.mjs';

const ADMIN = 'faults-admin-token-0123456789';
const RATE = Number(process.env.FAULTS_RATE ?? 50); // enquiries per second
const SECONDS = Number(process.env.FAULTS_SECONDS ?? 24);
const STAFF = 8;

describe('faults under load', () => {
  let stack;
  const statuses = []; // every answer: {what, status}

  // One request; a lost connection is status 0.
  const raw = async (method, p, body, token, key) => {
    try {
      const res = await fetch(`${stack.url}/api/v1${p}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(key ? { 'idempotency-key': key } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10000),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    } catch {
      return { status: 0, body: null };
    }
  };
  // The same request (same key) until it gets a definite answer (not 503,
  // not a lost connection), for at most 60 s.
  const retried = async (what, method, p, body, token, key) => {
    const end = Date.now() + 60000;
    for (;;) {
      const r = await raw(method, p, body, token, key);
      statuses.push({ what, status: r.status });
      if ((r.status !== 503 && r.status !== 0) || Date.now() > end) return r;
      await sleep(200);
    }
  };
  const http = (method, p, body, token) => raw(method, p, body, token);
  const psql = async (q) =>
    (await run('psql', ['-h', '127.0.0.1', '-p', String(stack.ports.CC_PG_PORT), '-U', 'cc', '-d', 'cc', '-qtAX', '-c', q])).stdout.trim();
  const redisCli = (...a) => stack.redisCli(...a);

  // Never signal pid 0 (that is our own process group): a pid file being
  // rewritten by a supervisor reads empty.
  const kill = (pid, sig) => {
    if (!(pid > 0)) throw new Error(`no pid to send ${sig} to`);
    try {
      process.kill(pid, sig);
    } catch (e) {
      if (e.code !== 'ESRCH') throw e; // already gone: a supervisor restarts it
    }
  };
  const signal = (inst, sig) => kill(stack.pidOf(inst), sig);
  const redisPid = () => Number(readFileSync(path.join(stack.runDir, 'pids', 'redis.pid'), 'utf8').trim());
  const natsPid = () => Number(readFileSync(path.join(stack.runDir, 'pids', 'nats.pid'), 'utf8').trim());

  before(async () => {
    stack = await startStack({
      CC_ADMIN_TOKEN: ADMIN, CC_DEMO: '0', CC_FOLLOWUP_S: '0', CC_REQUEST_TIMEOUT_MS: '2000',
      CC_REPLICAS_queue: '2', CC_REPLICAS_presence: '2', CC_HEARTBEAT_TIMEOUT_S: '3600',
      CC_RESTART_DELAY_MS: '1000',
    });
  });
  after(async () => {
    const res = await stack?.stop();
    assert.deepEqual(res?.sanitizer, []);
  });

  test(`${RATE} enquiries/s for ${SECONDS} s through kills, stalls and restarts: nothing lost, stuck or done twice`, async () => {
    // a large AOF for the Redis restart: the stack's Redis again with DEBUG
    // allowed, filled, rewritten (as the redis-faults suite does)
    await stack.restartRedis({ signal: 'SIGTERM', extraArgs: ['--enable-debug-command', 'local'] });
    await until(async () => (await redisCli('PING')).stdout.trim() === 'PONG', 30000, 'Redis up');
    assert.equal((await redisCli('DEBUG', 'POPULATE', '2000000', 'cc:test:fill')).stdout.trim(), 'OK');
    await redisCli('BGREWRITEAOF');
    await until(async () => /aof_rewrite_in_progress:0\r?\n/.test((await redisCli('INFO', 'persistence')).stdout)
      && /aof_rewrite_scheduled:0/.test((await redisCli('INFO', 'persistence')).stdout), 120000, 'the AOF rewrite');
    // queue and presence reconnect to the restarted Redis before load starts
    await until(async () => (await http('GET', '/pending', undefined, 'x')).status === 401, 30000, 'the stack to serve');

    const { channel, ids, staff } = await makeTeam(http, ADMIN, STAFF, { max_wait_broadcast_s: 4 }, 'f');
    const created = new Map(); // key -> enquiry id (201)
    const visitorOf = new Map(); // enquiry id -> its visitor token
    const faults = [];
    let sawLoading = false;
    const gaveUp = [];
    let stop = false;

    // staff consoles: take what is offered, hold it briefly, end it
    const consoles = ids.map(async (sid, n) => {
      const token = staff[sid];
      let k = 0;
      while (!stop) {
        const p = await raw('GET', '/pending', undefined, token);
        statuses.push({ what: 'pending', status: p.status });
        const items = p.status === 200 ? p.body.pending : [];
        if (items.length > 0) {
          const id = items[(n + k) % items.length].enquiry.id;
          const a = await retried('answer', 'POST', `/enquiries/${id}/answer`, undefined, token, `${sid}-a-${id}`);
          if (a.status === 200) {
            await sleep(100);
            await retried('end', 'POST', `/enquiries/${id}/end`, undefined, token, `${sid}-e-${id}`);
          }
          k++;
        }
        await sleep(150);
      }
    });

    try {
      // visitors: a steady rate of creates, each retried with its own key
      const creates = [];
      const fired = new Set();
      const started = Date.now();
      for (let i = 0; i < RATE * SECONDS; i++) {
        const at = started + (i * 1000) / RATE;
        if (at > Date.now()) await sleep(at - Date.now());
        const key = `v-${i}-${Math.random().toString(36).slice(2)}`;
        creates.push(retried('create', 'POST', '/enquiries', { channel_id: channel, kind: 'call', caller: `load ${i}` }, null, key)
          .then((r) => {
            if (r.status !== 201) return gaveUp.push({ key, status: r.status });
            created.set(key, r.body.enquiry.id);
            visitorOf.set(r.body.enquiry.id, r.body.visitor_token);
            return null;
          }));
        // the faults, on a timeline through the load
        const t = (Date.now() - started) / 1000;
        const once = (name, at2, fn) => {
          if (t >= at2 && !fired.has(name)) {
            fired.add(name);
            fn();
          }
        };
        once('q1', 2, () => signal('queue-1', 'SIGKILL'));
        once('rstop', 4, () => kill(redisPid(), 'SIGSTOP'));
        once('rcont', 7, () => kill(redisPid(), 'SIGCONT'));
        once('p1', 8, () => signal('presence-1', 'SIGKILL'));
        once('g1', 9, () => signal('gateway-1', 'SIGKILL'));
        once('q2', 11, () => signal('queue-2', 'SIGKILL'));
        once('nstop', 13, () => kill(natsPid(), 'SIGSTOP'));
        once('ncont', 16, () => kill(natsPid(), 'SIGCONT'));
        once('rkill', 17, () => { faults.push(stack.restartRedis({ signal: 'SIGKILL' }).then(() => redisCli('PING')).then((r) => { sawLoading = /LOADING/.test(r.stdout); })); });
        once('nkill', 21, () => { faults.push(stack.restartNats({ signal: 'SIGKILL' })); });
      }
      await Promise.all(faults);
      await Promise.all(creates);
      // let the last offers time out or be answered, then the consoles stop
      await sleep(8000);
    } finally {
      stop = true; // also when a fault could not be made: no console loops on
    }
    await Promise.all(consoles);

    // No create gave up: each was retried to a definite answer.
    assert.deepEqual(gaveUp, []);
    assert.ok(sawLoading, 'Redis was seen LOADING after its restart');

    // No 401 for a valid token, no 404 for an enquiry that exists.
    const bad = statuses.filter((s) => s.status === 401 || s.status === 404);
    assert.deepEqual(bad, [], 'valid tokens and enquiries were never 401/404');
    assert.ok(statuses.some((s) => s.status === 503 || s.status === 0), 'the faults were felt (some 503s)');

    // Every enquiry reached a final state, or is held and visible in GET /me.
    const ended = new Set(['missed', 'ended', 'closed', 'cancelled', 'blocked', 'voicemail']);
    const holds = new Map();
    for (const sid of ids) {
      const me = await until(async () => {
        const r = await http('GET', '/me', undefined, staff[sid]);
        return r.status === 200 ? r.body : null;
      }, 30000, `GET /me of ${sid}`);
      for (const e of me.holds.active) holds.set(e.id, sid);
    }
    const stuck = [];
    for (const id of created.values()) {
      const e = await until(async () => {
        const r = await http('GET', `/enquiries/${id}`, undefined, visitorOf.get(id));
        statuses.push({ what: 'get', status: r.status });
        return r.status === 200 ? r.body.enquiry : null;
      }, 20000, `enquiry ${id}`);
      if (ended.has(e.state)) continue;
      // an active one is held by whoever answered it: read as them (a
      // visitor is not told who answered)
      const holder = holds.get(id);
      const held = e.state === 'active' && holder !== undefined ? await until(async () => {
        const r = await http('GET', `/enquiries/${id}`, undefined, staff[holder]);
        statuses.push({ what: 'get', status: r.status });
        return r.status === 200 ? r.body.enquiry : null;
      }, 20000, `enquiry ${id} as ${holder}`) : null;
      if (held?.answered_by !== holder || held?.state !== 'active') stuck.push(`${id}:${e.state}`);
    }
    assert.deepEqual(stuck, []);
    // Nobody is left unable to take calls: each ends what they hold, then is call-available.
    for (const [id, sid] of holds) await retried('end', 'POST', `/enquiries/${id}/end`, undefined, staff[sid], `final-${id}`);
    for (const sid of ids) {
      const me = (await http('GET', '/me', undefined, staff[sid])).body;
      assert.equal(me.activity.handling_call, false, `${sid} still on a call`);
      assert.equal(me.call_available, true, `${sid} cannot take calls`);
    }

    // Every fact exactly once; the number of enquiries is the number of keys
    // that succeeded (nothing carried out behind an error without its retry
    // returning it).
    const list = [...created.values()].map((id) => `'${id}'`).join(',');
    assert.equal(new Set(created.values()).size, created.size, 'two keys never got the same enquiry');
    await until(async () => (await redisCli('XLEN', 'cc:outbox:queue')).stdout.trim() === '0', 30000, 'the outbox to empty');
    await until(async () => Number(await psql(`select count(distinct enquiry_id) from events where type = 'enquiry.created' and enquiry_id in (${list})`)) === created.size,
      60000, 'every created fact stored');
    const doubles = await psql(`select count(*) from (select enquiry_id, type from events where enquiry_id in (${list})
      and type in ('enquiry.created','enquiry.answered','enquiry.ended','enquiry.missed','enquiry.cancelled') group by 1, 2 having count(*) > 1) d`);
    assert.equal(doubles, '0', 'a fact stored twice');
    const ofChannel = Number((await redisCli('EVAL', `local n = 0 for _, k in ipairs(redis.call('KEYS', 'cc:enq:*')) do
      if not string.find(k, ':', 8) and redis.call('HGET', k, 'channel_id') == ARGV[1] then n = n + 1 end end return n`, '0', channel)).stdout.trim());
    assert.equal(ofChannel, created.size, 'enquiries in Redis = creates that succeeded');
    console.log(`# faults: ${created.size} enquiries, ${statuses.filter((s) => s.status === 503).length} answers 503, ` +
      `${statuses.filter((s) => s.status === 0).length} lost connections, all retried`);
  });
});
