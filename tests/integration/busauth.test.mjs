// Issue 8, part 4: an authenticated bus. NATS has a user per service with
// the permissions of deploy/nats/nats.conf.in, Redis the ACL users of
// deploy/redis/users.acl.in (tools/dev/stack runs both with the passwords
// deploy/gen-secrets made for this run directory). Real nats-server and
// redis-server: anonymous and wrong-password clients are refused, each
// service's user is refused the subjects of the others, the whole platform
// works within its permissions (no violation of its own in the server log),
// and no log line of the run holds a secret.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { apiClient, binDir, freePort, repo, run, startStack, until } from './lib/stack.mjs';
import { connectLine, natsRequest } from './lib/nats.mjs';
import { makeTeam } from './lib/team.mjs';

const ADMIN = 'busauth-admin-token-0123456789';
const WRONG = 'wrong-password-0f1e2d3c4b5a'; // must never be logged either

// A NATS session as creds (null: anonymous): sends ops after CONNECT, then
// PING; resolves to everything the server said up to its PONG, or up to the
// close when it refuses the login.
function natsSession(port, creds, ops = []) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    let sent = false;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no PONG and no close in 10 s; the server said: ${buf}`));
    }, 10000);
    sock.on('error', (e) => (buf ? null : reject(e)));
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(buf);
    });
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (!sent && buf.includes('INFO ')) {
        sent = true;
        sock.write(connectLine(creds) + ops.join('') + 'PING\r\n');
      }
      if (/\r\nPONG\r\n/.test(buf)) sock.destroy();
    });
  });
}

// Every "... Violation" line nats-server logged, as 'pub user subject' or
// 'sub user subject'.
function violations(log) {
  const out = [];
  for (const m of log.matchAll(/(Publish|Subscription) Violation - User "([^"]*)", Subject "([^"]*)"/g)) {
    out.push(`${m[1] === 'Publish' ? 'pub' : 'sub'} ${m[2]} ${m[3]}`);
  }
  return out;
}

// Whether NATS subject s is covered by pattern p (* one token, > the rest).
function covers(p, s) {
  const a = p.split('.');
  const b = s.split('.');
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '>') return b.length > i;
    if (i >= b.length || (a[i] !== '*' && a[i] !== b[i])) return false;
  }
  return a.length === b.length;
}

// The permission table of deploy/nats/nats.conf.in: {user: {pub: [], sub: [], responses}}.
function permissionTable() {
  const text = readFileSync(path.join(repo, 'deploy/nats/nats.conf.in'), 'utf8')
    .split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
  const table = {};
  for (const block of text.split(/\n\s*\{\s*\n\s*user:\s*/).slice(1)) {
    const user = /^([A-Za-z0-9_-]+)/.exec(block)[1];
    const list = (kind) => {
      const m = new RegExp(`${kind}:\\s*\\{allow:\\s*\\[([^\\]]*)\\]`).exec(block);
      return m ? [...m[1].matchAll(/"([^"]+)"/g)].map((x) => x[1]) : null;
    };
    table[user] = { pub: list('publish'), sub: list('subscribe'), responses: /allow_responses:\s*true/.test(block) };
  }
  return table;
}

describe('bus authentication and permissions', () => {
  let stack;
  let http;
  const provoked = new Set(); // violations this test causes on purpose
  const outputs = []; // what the processes this test starts printed

  before(async () => {
    stack = await startStack({ CC_ADMIN_TOKEN: ADMIN });
    http = apiClient(stack);
  });
  after(async () => {
    const res = await stack?.stop();
    assert.equal(res?.code, 0);
    assert.deepEqual(res.sanitizer, []);
  });

  const port = () => stack.ports.CC_NATS_PORT;
  const as = (user) => ({ user, pass: stack.secret(`nats-${user}`) });
  // Whether user may do op ('pub' or 'sub') on subject; a refusal is
  // remembered as provoked (the server logs it).
  async function may(user, op, subject) {
    const line = op === 'pub' ? `PUB ${subject} 1\r\nx\r\n` : `SUB ${subject} 1\r\nUNSUB 1\r\n`;
    const out = await natsSession(port(), as(user), [line]);
    assert.match(out, /PONG/, `${user} is logged in (${out})`);
    const refused = /-ERR 'Permissions Violation/.test(out);
    if (refused) provoked.add(`${op} ${user} ${subject}`);
    return !refused;
  }

  test('an anonymous NATS client is refused, and so is a wrong password', async () => {
    const anon = await natsSession(port(), null, ['SUB cc.> 1\r\n']);
    assert.match(anon, /-ERR 'Authorization Violation'/);
    assert.doesNotMatch(anon, /PONG/);
    const wrong = await natsSession(port(), { user: 'gateway', pass: WRONG });
    assert.match(wrong, /-ERR 'Authorization Violation'/);
    const nobody = await natsSession(port(), { user: 'nobody', pass: WRONG });
    assert.match(nobody, /-ERR 'Authorization Violation'/);
    // and the admin user is let in (the one the tests' own clients use)
    assert.match(await natsSession(port(), as('admin'), ['SUB > 1\r\n']), /PONG/);
    assert.doesNotMatch(await natsSession(port(), as('admin'), ['SUB > 1\r\n']), /Violation/);
  });

  test('each service user is refused the subjects of the others', async () => {
    // [user, op, subject]: all refused
    const refused = [
      ['gateway', 'sub', 'cc.presence.dir'], // answering directory writes is presence's
      ['gateway', 'sub', 'cc.presence.*'],
      ['gateway', 'sub', 'cc.queue.answer'],
      ['gateway', 'pub', 'cc.evt.enquiry.answered'], // facts are queue's and presence's
      ['gateway', 'pub', 'cc.evt.presence.changed'],
      ['gateway', 'pub', 'cc.note.enquiry.offered'],
      ['gateway', 'sub', '_INBOX.>'], // nobody reads the others' replies
      ['gateway', 'sub', '_INBOX.presence.>'],
      ['gateway', 'pub', '$JS.API.STREAM.INFO.CC_EVENTS'],
      ['queue', 'sub', 'cc.presence.login'], // the brief's example: queue cannot answer presence
      ['queue', 'sub', 'cc.presence.*'],
      ['queue', 'sub', 'cc.presence.dir'],
      ['queue', 'pub', 'cc.presence.dir'],
      ['queue', 'pub', 'cc.evt.presence.changed'],
      ['queue', 'pub', '$JS.API.STREAM.DELETE.CC_EVENTS'],
      ['queue', 'pub', '$JS.API.CONSUMER.MSG.NEXT.CC_EVENTS.calllog'],
      ['queue', 'sub', '_INBOX.gateway.>'],
      ['presence', 'sub', 'cc.queue.answer'],
      ['presence', 'pub', 'cc.queue.answer'],
      ['presence', 'pub', 'cc.evt.enquiry.answered'],
      ['presence', 'pub', '$JS.API.CONSUMER.MSG.NEXT.CC_EVENTS.queue-presence'],
      ['ingress', 'pub', 'cc.queue.transfer'], // it answers for staff phones (cc.queue.answer), never transfers
      ['ingress', 'pub', 'cc.presence.dir'],
      ['ingress', 'sub', 'cc.evt.>'],
      ['ingress', 'pub', 'cc.evt.enquiry.created'],
      ['ingress', 'pub', 'cc.note.enquiry.offered'], // it hears the queue's notes (its phones ring), never sends one
      ['ingress', 'sub', 'cc.note.media.stats'],
      ['media', 'pub', 'cc.queue.create'],
      ['media', 'sub', 'cc.queue.>'],
      ['media', 'pub', '$JS.API.INFO'],
      ['calllog', 'pub', 'cc.evt.enquiry.created'],
      ['calllog', 'sub', 'cc.queue.*'],
      ['calllog', 'pub', '$JS.API.STREAM.DELETE.CC_EVENTS'],
      ['ccctl', 'sub', 'cc.evt.>'],
      ['ccctl', 'sub', 'cc.presence.dir'],
      ['ccctl', 'pub', 'cc.queue.answer'],
      ['ccctl', 'pub', 'cc.evt.enquiry.created'],
    ];
    // and what the same users may do (no side effect: subscriptions, and
    // requests a service drops as malformed)
    const allowed = [
      ['gateway', 'pub', 'cc.presence.dir'],
      ['gateway', 'sub', 'cc.evt.enquiry.answered'],
      ['gateway', 'sub', '_INBOX.gateway.abc'],
      ['queue', 'sub', 'cc.queue.answer'],
      ['presence', 'sub', 'cc.presence.dir'],
      ['calllog', 'sub', 'cc.calllog.ping'],
      ['ccctl', 'sub', '_INBOX.ccctl.abc'],
    ];
    for (const [user, op, subject] of refused) {
      assert.equal(await may(user, op, subject), false, `${user} may ${op} ${subject}`);
    }
    for (const [user, op, subject] of allowed) {
      assert.equal(await may(user, op, subject), true, `${user} may not ${op} ${subject}`);
    }
  });

  test('a real client with another service\'s credentials is refused: ccctl as media cannot write the directory', async () => {
    const env = { ...stack.envFor('media'), CC_REQUEST_TIMEOUT_MS: '100' };
    const res = await run(path.join(binDir, 'ccctl'), ['apply', path.join(repo, 'deploy/demo/directory.json')], { env });
    outputs.push(res.stdout, res.stderr);
    assert.notEqual(res.code, 0, res.stdout + res.stderr);
    provoked.add('pub media cc.presence.dir');
    await until(() => violations(stack.log('nats')).includes('pub media cc.presence.dir'), 10000, 'the violation in the NATS log');
    // ccctl as itself may (the demo directory again: no change)
    const ok = await run(path.join(binDir, 'ccctl'), ['apply', path.join(repo, 'deploy/demo/directory.json')], { env: stack.serviceEnv });
    outputs.push(ok.stdout, ok.stderr);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  });

  test('a service started with another service\'s user cannot take its subjects, and its log says which', async () => {
    // ingress's binary logging in as media: its ping subscription is refused
    const p = spawn(path.join(binDir, 'ingress'), [], {
      env: { ...stack.envFor('media'), CC_INSTANCE: 'ingress-imposter' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    p.stdout.on('data', (d) => (log += d));
    p.stderr.on('data', (d) => (log += d));
    const exited = new Promise((r) => p.on('exit', r));
    try {
      await until(() => /Permissions Violation for Subscription to .{0,3}cc\.ingress\.ping/.test(log), 30000,
        `the refusal in the imposter's log (${log})`);
      provoked.add('sub media cc.ingress.ping');
      const status = await run(path.join(binDir, 'ccctl'), ['ping', 'ingress'], { env: stack.serviceEnv });
      assert.doesNotMatch(status.stdout, /ingress-imposter/);
    } finally {
      p.kill('SIGTERM');
      await exited;
      outputs.push(log);
    }
  });

  test('a service with a wrong or no NATS password, or a wrong or no Redis password, refuses to start (exit 2) and says why', async () => {
    const gw = await run(path.join(binDir, 'gateway'), [], {
      env: { ...stack.envFor('gateway'), CC_NATS_PASSWORD_FILE: '', CC_NATS_PASSWORD: WRONG,
        CC_HTTP_PORT: String(await freePort()), CC_CONNECT_TIMEOUT_MS: '2000' },
    });
    outputs.push(gw.stdout, gw.stderr);
    assert.equal(gw.code, 2, gw.stderr);
    assert.match(gw.stderr, /refused the credentials of user \\"gateway\\"/);

    const anon = await run(path.join(binDir, 'media'), [], {
      env: { ...stack.envFor('media'), CC_INSTANCE: 'media-anon', CC_NATS_USER: '', CC_NATS_PASSWORD_FILE: '',
        CC_CONNECT_TIMEOUT_MS: '2000' },
    });
    outputs.push(anon.stdout, anon.stderr);
    assert.equal(anon.code, 2, anon.stderr);
    assert.match(anon.stderr, /NATS at nats:\/\/127\.0\.0\.1:\d+ requires a login/);

    const q = await run(path.join(binDir, 'queue'), [], {
      env: { ...stack.envFor('queue'), CC_INSTANCE: 'queue-nopw', CC_REDIS_USER: '', CC_REDIS_PASSWORD_FILE: '',
        CC_CONNECT_TIMEOUT_MS: '2000' },
    });
    outputs.push(q.stdout, q.stderr);
    assert.equal(q.code, 2, q.stderr);
    assert.match(q.stderr, /Redis requires a password/);

    const r = await run(path.join(binDir, 'queue'), [], {
      env: { ...stack.envFor('queue'), CC_INSTANCE: 'queue-wrongpw', CC_REDIS_PASSWORD_FILE: '', CC_REDIS_PASSWORD: WRONG,
        CC_CONNECT_TIMEOUT_MS: '2000' },
    });
    outputs.push(r.stdout, r.stderr);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /Redis refused the credentials of user \\"cc\\": WRONGPASS/);
  });

  test('a URL carrying a password is logged redacted', async () => {
    const pw = stack.secret('nats-gateway');
    const dead = await freePort(); // nothing listens: the error quotes the URL
    const res = await run(path.join(binDir, 'gateway'), [], {
      env: { ...stack.envFor('gateway'), CC_NATS_USER: '', CC_NATS_PASSWORD_FILE: '',
        CC_NATS_URL: `nats://gateway:${pw}@127.0.0.1:${dead}`, CC_CONNECT_TIMEOUT_MS: '600' },
    });
    outputs.push(res.stdout, res.stderr);
    assert.equal(res.code, 3, res.stderr);
    assert.match(res.stderr, new RegExp(`"nats":"nats://gateway:\\*\\*\\*@127\\.0\\.0\\.1:${dead}"`));
    assert.match(res.stderr, new RegExp(`cannot connect to NATS at nats://gateway:\\*\\*\\*@127\\.0\\.0\\.1:${dead}`));
    assert.ok(!res.stderr.includes(pw));
    const bad = await run(path.join(binDir, 'queue'), [], {
      env: { ...stack.envFor('queue'), CC_REDIS_USER: '', CC_REDIS_PASSWORD_FILE: '',
        CC_REDIS_URL: `redis://cc:${stack.secret('redis-cc')}@127.0.0.1:99999/0` },
    });
    outputs.push(bad.stdout, bad.stderr);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /CC_REDIS_URL=\\"redis:\/\/cc:\*\*\*@127\.0\.0\.1:99999\/0\\" is invalid/);
  });

  test('Redis refuses a client without the password; the services\' user cc keeps to its keys and commands', async () => {
    const cli = (args, env = {}) => run('redis-cli', ['-p', String(stack.ports.CC_REDIS_PORT), ...args], { env: { ...process.env, ...env } });
    assert.match((await cli(['PING'])).stdout, /NOAUTH/);
    assert.match((await cli(['GET', 'cc:dir:staff:alice'])).stdout, /NOAUTH/);
    for (const user of ['cc', 'default', 'nobody']) {
      const w = await cli(['--user', user, 'PING'], { REDISCLI_AUTH: WRONG });
      assert.match(w.stdout + w.stderr, /WRONGPASS/, user);
      assert.doesNotMatch(w.stdout, /PONG/, user);
    }
    const cc = (...a) => cli(['--user', 'cc', ...a], { REDISCLI_AUTH: stack.secret('redis-cc') });
    assert.equal((await cc('PING')).stdout.trim(), 'PONG');
    assert.equal((await cc('EXISTS', 'cc:dir:staff:alice')).stdout.trim(), '1'); // the demo directory
    for (const args of [['SET', 'other', '1'], ['GET', 'session:x'], ['FLUSHALL'], ['CONFIG', 'GET', 'requirepass'],
      ['KEYS', '*'], ['ACL', 'LIST'], ['CLIENT', 'LIST'], ['BGREWRITEAOF'], ['SHUTDOWN', 'NOSAVE'], ['PUBLISH', 'x', 'y']]) {
      const out = await cc(...args);
      assert.match(out.stdout + out.stderr, /NOPERM/, `cc may ${args.join(' ')}: ${out.stdout}${out.stderr}`);
    }
    assert.equal((await stack.redisCli('PING')).stdout.trim(), 'PONG'); // the administrator may
    assert.match((await stack.redisCli('ACL', 'WHOAMI')).stdout, /default/);
  });

  test('the platform works within its permissions: a whole enquiry, events stored and consumed, no violation of its own', async () => {
    const { channel, ids, staff } = await makeTeam(http, ADMIN, 2, {}, 'ba');
    const c = await http('POST', '/enquiries', { channel_id: channel, kind: 'call', caller: 'Visitor' });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    const id = c.body.enquiry.id;
    const a = await http('POST', `/enquiries/${id}/answer`, undefined, staff[ids[0]]);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal((await http('POST', `/enquiries/${id}/end`, undefined, staff[ids[0]])).status, 200);
    assert.equal((await http('POST', `/enquiries/${id}/close`, undefined, staff[ids[0]])).status, 200);
    const status = await http('GET', '/status');
    assert.equal(status.status, 200, JSON.stringify(status.body));

    // the events reached JetStream (queue, presence) and both durable
    // consumers read and acknowledged them (calllog, queue-presence)
    const js = async (s) => JSON.parse((await natsRequest(port(), s)).toString());
    await until(async () => {
      const last = (await js('$JS.API.STREAM.INFO.CC_EVENTS')).state.last_seq;
      const cl = await js('$JS.API.CONSUMER.INFO.CC_EVENTS.calllog');
      return last > 0 && cl.num_ack_pending === 0 && cl.delivered.stream_seq === last && cl.ack_floor.stream_seq === last;
    }, 30000, 'calllog to acknowledge every event');
    await until(async () => (await js('$JS.API.CONSUMER.INFO.CC_EVENTS.queue-presence')).ack_floor.stream_seq > 0,
      30000, 'queue to acknowledge a presence change');

    // every violation in the server's log is one this test provoked
    const seen = violations(stack.log('nats'));
    const own = seen.filter((v) => !provoked.has(v));
    assert.deepEqual(own, [], 'permission violations by the platform itself');
    for (const v of provoked) assert.ok(seen.includes(v), `the refusal "${v}" is in the NATS log`);
  });

  test('no log line of the run and nothing the processes printed holds a secret', async () => {
    const secrets = readdirSync(stack.secretsDir)
      .filter((f) => /^(nats|redis)-/.test(f))
      .map((f) => [f, stack.secret(f)]);
    assert.ok(secrets.length >= 10, 'every password was generated');
    secrets.push(['the wrong password', WRONG]);
    const logDir = path.join(stack.runDir, 'log');
    const texts = readdirSync(logDir).map((f) => [f, readFileSync(path.join(logDir, f), 'utf8')]);
    texts.push(['the stack\'s output', stack.output()]);
    outputs.forEach((o, i) => texts.push([`process output ${i}`, o]));
    assert.ok(texts.some(([f]) => f === 'gateway-1.log') && texts.some(([f]) => f === 'nats.log'));
    for (const [where, text] of texts) {
      for (const [name, value] of secrets) {
        assert.ok(!text.includes(value), `${where} holds ${name}`);
      }
    }
  });

  test('every subject the code uses is in its user\'s permissions (deploy/nats/nats.conf.in)', () => {
    const table = permissionTable();
    const users = ['gateway', 'ingress', 'queue', 'presence', 'media', 'calllog', 'ccctl'];
    for (const u of users) assert.ok(table[u]?.pub && table[u]?.sub, `${u} has a user with permissions`);
    assert.equal(table.admin.pub, null, 'admin may do anything');
    const missing = [];
    const allows = (u, op, s) => table[u][op].some((p) => covers(p, s));
    const sources = (dir, ext) => readdirSync(path.join(repo, dir), { recursive: true })
      .filter((f) => f.endsWith(ext)).map((f) => readFileSync(path.join(repo, dir, f), 'utf8'));
    for (const u of users) {
      const dir = u === 'ccctl' ? 'tools/ccctl' : `services/${u}`;
      for (const text of sources(dir, '.c').concat(sources(dir, '.h'))) {
        for (const line of text.split('\n')) {
          for (const m of line.matchAll(/"(cc\.[a-z]+\.[a-z0-9_.>*]+)"/g)) {
            const s = m[1];
            const [, owner] = s.split('.');
            // a JetStream consumer's filter (cc_consumer_spec.filter): read
            // through its consumer (checked below), not a subscription of its own
            if (/js_\w*Subscribe|\.filter = /.test(line)) continue;
            // requests to another service are sent; its own subjects and
            // events are subscribed to (or, events, published)
            const ok = users.includes(owner) && owner !== u ? allows(u, 'pub', s)
              : allows(u, 'sub', s) || allows(u, 'pub', s);
            if (!ok) missing.push(`${u}: ${s}`);
          }
        }
        for (const m of text.matchAll(/#define \w*DURABLE "([^"]+)"/g)) {
          for (const api of [`$JS.API.CONSUMER.MSG.NEXT.CC_EVENTS.${m[1]}`, `$JS.ACK.CC_EVENTS.${m[1]}.x`]) {
            if (!allows(u, 'pub', api)) missing.push(`${u}: ${api}`);
          }
        }
      }
      // the events its Lua steps emit (the outbox relay publishes them)
      if (u !== 'ccctl') {
        for (const text of sources(dir, '.lua')) {
          for (const m of text.matchAll(/emit\('([a-z_.]+)'(\s*\.\.\s*\w+)?,\s*(true|false)/g)) {
            const s = `${m[3] === 'true' ? 'cc.note' : 'cc.evt'}.${m[1]}${m[2] ? 'x' : ''}`;
            if (!allows(u, 'pub', s)) missing.push(`${u}: ${s} (Lua)`);
          }
        }
      }
      // its own ping: answered, and sent by `ccctl probe` in its container
      if (u !== 'ccctl') {
        for (const op of ['pub', 'sub']) if (!allows(u, op, `cc.${u}.ping`)) missing.push(`${u}: ${op} cc.${u}.ping`);
        if (!table[u].responses) missing.push(`${u}: allow_responses`);
        if (!allows(u, 'sub', `_INBOX.${u}.x`)) missing.push(`${u}: sub _INBOX.${u}.>`);
      }
    }
    // the scatter-gather pings of the gateway (/readyz) and ccctl (status)
    for (const u of ['gateway', 'ccctl']) {
      for (const s of users.filter((x) => x !== 'ccctl')) if (!allows(u, 'pub', `cc.${s}.ping`)) missing.push(`${u}: pub cc.${s}.ping`);
    }
    assert.deepEqual(missing, []);
    // and no user but its owner may subscribe to a service's requests
    for (const u of users) {
      for (const other of users.filter((x) => x !== u && x !== 'ccctl')) {
        assert.ok(!allows(u, 'sub', `cc.${other}.anything`), `${u} may subscribe to cc.${other}.*`);
      }
    }
  });
});
