// Issue 8, least privilege: what a visitor is shown (HTTP answers and every
// push to their socket, by allowlist of JSON keys), the admin role (a staff
// member with role admin uses the admin API with their own login, other
// roles get 403), the audit trail of the directory (every change an event
// naming who made it, stored by calllog, read through GET /api/v1/audit),
// and revocation: a staff member deleted or given another role is refused
// at once on every session, and their sockets are closed (4401
// "session_revoked") on every gateway: the stack's two replicas on one port,
// a third gateway on a port of its own, and a gateway that was cut from NATS
// while it happened (closed when it reconnects). Real stack, real servers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { apiClient, binDir, freePort, getJson, repo, run, startStack, timeout, until } from './lib/stack.mjs';
import { connect, find } from './lib/ws.mjs';

const ADMIN = 'privilege-admin-token-0123456789';

// What a visitor may see (docs/api.md, "What a visitor sees"): exactly these keys.
const ENQUIRY_KEYS = ['answered_at_ms', 'caller', 'channel_id', 'created_at_ms', 'deadline_ms', 'end_reason',
  'ended_at_ms', 'id', 'kind', 'mode', 'room_id', 'state'];
const MESSAGE_KEYS = ['author', 'enquiry_id', 'id', 'text', 'ts_ms'];
const PUSH_KEYS = ['enquiry', 'reason', 'ts_ms', 'type'];
const AUDIT_KEYS = ['actor', 'created', 'id', 'key', 'kind', 'op', 'revoked_staff_id', 'ts_ms'];
const keys = (o) => Object.keys(o).sort();

// A socket whose close code and reason are kept: box.closed resolves {code, reason}.
async function open(url, token) {
  const box = await connect(url, token);
  box.ended = new Promise((resolve) => box.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return box;
}

describe('privilege', () => {
  let stack;
  let http;
  let wsUrl;
  let n = 0;
  const sockets = [];
  const children = [];

  before(async () => {
    // the demo directory (alice is an admin, bob is not) and two gateways on one port
    stack = await startStack({ CC_ADMIN_TOKEN: ADMIN, CC_GATEWAY_REPLICAS: '2', CC_WS_PER_STAFF_MAX: '16' });
    http = apiClient(stack);
    wsUrl = stack.url.replace('http:', 'ws:') + '/api/v1/ws';
  });
  after(async () => {
    for (const s of sockets) s.ws.close();
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    const res = await stack?.stop();
    assert.equal(res?.code, 0);
    assert.deepEqual(res.sanitizer, []);
  });
  const sql = async (q) => (await run('psql', ['-h', '127.0.0.1', '-p', String(stack.ports.CC_PG_PORT),
    '-U', 'cc', '-d', 'cc', '-qtAX', '-c', q])).stdout.trim();
  const login = async (email, password = 'password-1') => {
    const r = await http('POST', '/login', { email, password });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.token;
  };

  // Staff (with the given role) in a group of their own and a channel to it
  // with custom info; the group's id is not the channel's, so neither can
  // hide behind the other in what a visitor gets.
  async function team(size, role = 'staff') {
    const t = `p${++n}`;
    const ids = Array.from({ length: size }, (_, i) => `${t}-s${i}`);
    for (const id of ids) {
      const r = await http('PUT', `/staff/${id}`, { name: id, email: `${id}@x.example`, role, password: 'password-1' }, ADMIN);
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    assert.equal((await http('PUT', `/groups/g-${t}`, { name: t, member_ids: ids }, ADMIN)).status, 201);
    const custom = { description: 'Gold customers only', brand: 'SecretBrand', items: [{ key: 'Tier', value: 'Platinum' }] };
    assert.equal((await http('PUT', `/channels/c-${t}`, { name: `${t} line`, type: 'widget', group_id: `g-${t}`, custom_info: custom }, ADMIN)).status, 201);
    const staff = {};
    for (const id of ids) staff[id] = await login(`${id}@x.example`);
    return { group: `g-${t}`, channel: `c-${t}`, ids, staff };
  }

  // A gateway process of its own on its own port (env overrides), for sockets
  // that are certainly on another replica than the request that changes things.
  async function extraGateway(name, env = {}) {
    const port = await freePort();
    const gw = spawn(path.join(binDir, 'gateway'), [], {
      env: {
        ...stack.envFor('gateway'), CC_INSTANCE: name, CC_HTTP_PORT: String(port), CC_HTTP_ADDR: '127.0.0.1',
        CC_WEB_ROOT: path.join(repo, 'services/gateway/web'), ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(gw);
    let err = '';
    gw.stderr.on('data', (d) => (err += d));
    const gone = new Promise((r) => gw.on('exit', (code, sig) => r({ code, sig })));
    const base = `http://127.0.0.1:${port}`;
    return {
      base,
      ws: `ws://127.0.0.1:${port}/api/v1/ws`,
      log: () => err,
      ready: () => until(async () => (await getJson(`${base}/readyz`).catch(() => ({}))).status === 200, 20000, `${name} ready`),
      async stop() {
        gw.kill('SIGTERM');
        const res = await Promise.race([gone, timeout(20000, { code: 'timeout' })]);
        assert.equal(res.code, 0, err);
        assert.doesNotMatch(err, /ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|ThreadSanitizer/);
      },
    };
  }

  test('a visitor sees only their enquiry: state, outcome and chat, by allowlist, over HTTP and in every push', async () => {
    const { group, channel, ids, staff } = await team(2);
    const seen = []; // every JSON text a visitor got
    const vhttp = async (method, p, body, token) => {
      const r = await http(method, p, body, token);
      seen.push(JSON.stringify(r.body));
      return r;
    };
    const c = await vhttp('POST', '/enquiries', { channel_id: channel, kind: 'chat', caller: 'Ann' });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.deepEqual(keys(c.body), ['enquiry', 'visitor_token']);
    assert.deepEqual(keys(c.body.enquiry), ENQUIRY_KEYS);
    assert.equal(c.body.enquiry.state, 'pending');
    const id = c.body.enquiry.id;
    const vt = c.body.visitor_token;
    const visitor = await open(`${wsUrl}?enquiry=${id}`, vt);
    sockets.push(visitor);

    // answered, a message each way, a blind transfer taken by a colleague, the visitor hangs up
    assert.equal((await http('POST', `/enquiries/${id}/answer`, undefined, staff[ids[0]])).status, 200);
    await until(() => find(visitor, 'enquiry.answered'), 5000, 'the answer pushed to the visitor');
    assert.equal((await http('POST', `/enquiries/${id}/messages`, { text: 'Hello Ann' }, staff[ids[0]])).status, 201);
    const pushed = await until(() => find(visitor, 'enquiry.message'), 5000, 'the message pushed to the visitor');
    assert.equal(pushed.message.author, 'staff', 'not which staff member');
    const mine = await vhttp('POST', `/enquiries/${id}/messages`, { text: 'My order is late' }, vt);
    assert.equal(mine.status, 201);
    assert.deepEqual(keys(mine.body), MESSAGE_KEYS);
    assert.equal(mine.body.author, 'visitor');
    const t = await http('POST', `/enquiries/${id}/transfer`, { to_staff_id: ids[1], mode: 'blind' }, staff[ids[0]]);
    assert.equal(t.status, 200, JSON.stringify(t.body));
    await until(() => find(visitor, 'enquiry.transfer'), 5000, 'the transfer pushed to the visitor');
    assert.equal((await http('POST', `/enquiries/${id}/answer`, undefined, staff[ids[1]])).status, 200);
    await until(() => find(visitor, 'enquiry.transferred'), 5000, 'the take-over pushed to the visitor');

    const got = await vhttp('GET', `/enquiries/${id}`, undefined, vt);
    assert.equal(got.status, 200);
    assert.deepEqual(keys(got.body), ['enquiry']);
    assert.deepEqual(keys(got.body.enquiry), ENQUIRY_KEYS);
    assert.equal(got.body.enquiry.state, 'active');
    const list = await vhttp('GET', `/enquiries/${id}/messages`, undefined, vt);
    assert.deepEqual(keys(list.body), ['messages']);
    for (const m of list.body.messages) assert.deepEqual(keys(m), MESSAGE_KEYS);
    assert.deepEqual(list.body.messages.map((m) => m.author), ['staff', 'visitor']);
    const end = await vhttp('POST', `/enquiries/${id}/end`, undefined, vt);
    assert.equal(end.status, 200);
    assert.deepEqual(keys(end.body), ['enquiry']);
    assert.deepEqual(keys(end.body.enquiry), ENQUIRY_KEYS);
    assert.equal(end.body.enquiry.state, 'ended');
    assert.equal(end.body.enquiry.end_reason, 'caller_hung_up');
    await until(() => find(visitor, 'enquiry.ended'), 5000, 'the end pushed to the visitor');

    // every push: the allowlisted keys only
    const types = visitor.messages.map((m) => m.type);
    for (const t of ['enquiry.answered', 'enquiry.message', 'enquiry.transfer', 'enquiry.transferred', 'enquiry.ended']) {
      assert.ok(types.includes(t), `${t} in ${types}`);
    }
    for (const m of visitor.messages) {
      seen.push(JSON.stringify(m));
      assert.deepEqual(keys(m), m.type === 'enquiry.message' ? [...PUSH_KEYS, 'message'].sort() : PUSH_KEYS, m.type);
      assert.deepEqual(keys(m.enquiry), ENQUIRY_KEYS, m.type);
      if (m.message) {
        assert.deepEqual(keys(m.message), MESSAGE_KEYS);
        assert.ok(['staff', 'visitor'].includes(m.message.author), m.message.author);
      }
    }
    // and no staff or group id, no custom info, no transfer history anywhere in it
    for (const text of seen) {
      for (const secret of [...ids, group, 'Gold customers', 'SecretBrand', 'Platinum', 'transfers', 'answered_by', 'custom_info']) {
        assert.ok(!text.includes(secret), `"${secret}" in what the visitor got: ${text}`);
      }
    }

    // the staff side is unchanged: custom info, who answered, the transfers
    const room = await http('GET', `/enquiries/${id}`, undefined, staff[ids[1]]);
    assert.equal(room.status, 200);
    assert.equal(room.body.custom_info.brand, 'SecretBrand');
    assert.equal(room.body.enquiry.answered_by, ids[1]);
    assert.equal(room.body.enquiry.transfers[0].from_staff_id, ids[0]);
    assert.equal(room.body.enquiry.transfers[0].to_staff_id, ids[1]);
    assert.equal(c.body.enquiry.group_id, undefined, 'the group it was offered to is not the visitor\'s');
    assert.equal((await http('GET', `/enquiries/${id}/messages`, undefined, staff[ids[1]])).body.messages[0].author, `staff:${ids[0]}`);
  });

  test('the admin API: a staff member with role admin with their own login; other roles 403; visitors and unknown tokens 401', async () => {
    const alice = await login('alice@demo.example', 'alice-demo-1'); // role admin in the demo directory
    const bob = await login('bob@demo.example', 'bob-demo-1'); // role staff
    const t = `adm${++n}`;
    let r = await http('PUT', `/groups/${t}`, { name: 'By Alice', member_ids: ['bob'] }, alice);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal((await http('GET', `/groups/${t}`, undefined, alice)).body.name, 'By Alice');
    assert.equal((await http('GET', '/staff', undefined, alice)).status, 200);

    for (const [method, p, body] of [['GET', '/groups'], ['GET', `/groups/${t}`], ['PUT', `/groups/${t}`, { name: 'By Bob' }],
      ['DELETE', `/groups/${t}`], ['POST', '/staff', { id: 'bob2', name: 'B', email: 'b2@x.example', role: 'admin', password: 'password-1' }],
      ['PUT', '/staff/bob', { name: 'Bob', email: 'bob@demo.example', role: 'admin' }], ['GET', '/audit']]) {
      r = await http(method, p, body, bob);
      assert.equal(r.status, 403, `${method} ${p} by a staff member: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'forbidden');
    }
    const v = await http('POST', '/enquiries', { channel_id: 'website', kind: 'call', caller: 'X' });
    assert.equal((await http('GET', '/groups', undefined, v.body.visitor_token)).status, 401, 'a visitor token');
    assert.equal((await http('GET', '/groups', undefined, 'f'.repeat(64))).status, 401, 'an unknown staff token');
    assert.equal((await http('GET', '/audit', undefined, null)).status, 401, 'no token');
    assert.equal((await http('GET', `/groups/${t}`, undefined, alice)).body.name, 'By Alice', 'nothing the refused requests asked for was done');
    assert.equal((await http('GET', '/staff/bob', undefined, ADMIN)).body.role, 'staff');
    assert.equal((await http('DELETE', `/groups/${t}`, undefined, alice)).status, 204);
  });

  test('every directory change is an audit event naming who made it: an admin staff member, bootstrap, ccctl', async () => {
    const alice = await login('alice@demo.example', 'alice-demo-1');
    const t = `aud${++n}`;
    assert.equal((await http('PUT', `/groups/${t}`, { name: 'Audited', member_ids: [] }, alice)).status, 201);
    assert.equal((await http('PUT', `/groups/${t}`, { name: 'Audited again', member_ids: ['carol'] }, ADMIN)).status, 200);
    assert.equal((await http('DELETE', `/groups/${t}`, undefined, alice)).status, 204);
    const mine = (audit) => audit.filter((e) => e.key === t);
    const audit = await until(async () => {
      const r = await http('GET', '/audit?limit=1000', undefined, alice);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return mine(r.body.audit).length === 3 ? r.body.audit : null;
    }, 20000, 'the three changes in the audit trail');
    for (const e of audit) assert.deepEqual(keys(e), AUDIT_KEYS);
    // newest first
    assert.deepEqual(mine(audit).map((e) => [e.actor, e.op, e.kind, e.key, e.created, e.revoked_staff_id]), [
      ['alice', 'delete', 'group', t, false, ''],
      ['bootstrap', 'put', 'group', t, false, ''],
      ['alice', 'put', 'group', t, true, ''],
    ]);
    for (let i = 1; i < audit.length; i++) assert.ok(audit[i - 1].ts_ms >= audit[i].ts_ms, 'newest first');
    // stored by calllog like every fact, the admin in the row's staff_id
    const row = await sql(`select type || ' ' || coalesce(staff_id, '-') from events where id = '${mine(audit)[0].id}'`);
    assert.equal(row, 'directory.changed alice');
    // the demo directory was loaded by ccctl apply, and says so
    assert.ok(audit.some((e) => e.actor === 'ccctl' && e.kind === 'staff' && e.key === 'alice' && e.op === 'put'),
      'the demo load is in the trail');
    const f = path.join(stack.runDir, 'one.json');
    writeFileSync(f, JSON.stringify({ groups: [{ id: `${t}-c`, name: 'By ccctl' }] }));
    const applied = await run(path.join(binDir, 'ccctl'), ['apply', f], { env: stack.serviceEnv });
    assert.equal(applied.code, 0, applied.stderr);
    await until(async () => (await http('GET', '/audit?limit=5', undefined, ADMIN)).body.audit
      .some((e) => e.key === `${t}-c` && e.actor === 'ccctl' && e.created), 20000, 'the ccctl change in the trail');

    // limit: 1 to 1000, a whole number
    const one = await http('GET', '/audit?limit=1', undefined, ADMIN);
    assert.equal(one.status, 200);
    assert.equal(one.body.audit.length, 1);
    for (const bad of ['0', '1001', 'ten', '-1', '1.5', '']) {
      const r = await http('GET', `/audit?limit=${bad}`, undefined, ADMIN);
      assert.equal(r.status, 400, `limit=${bad}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.field, 'limit');
    }
    // names of who changed things are not staff ids
    for (const id of ['bootstrap', 'ccctl']) {
      const r = await http('PUT', `/staff/${id}`, { name: 'X', email: `${id}@x.example`, role: 'admin', password: 'password-1' }, ADMIN);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.field, 'id');
    }
  });

  test('a staff member deleted is refused at once on every session, and every socket of theirs is closed on every gateway', async () => {
    const { ids, staff } = await team(2, 'admin');
    const [gone, stays] = ids;
    const second = await login(`${gone}@x.example`); // a second session (another device)
    const extra = await extraGateway('gateway-extra');
    await extra.ready();
    // sockets on the stack's two gateways (fresh connections are spread over them) and on the extra one
    const mineSockets = [];
    for (let i = 0; i < 6; i++) mineSockets.push(await open(wsUrl, i % 2 ? second : staff[gone]));
    mineSockets.push(await open(extra.ws, staff[gone]));
    const other = await open(extra.ws, staff[stays]);
    const otherShared = await open(wsUrl, staff[stays]);
    sockets.push(...mineSockets, other, otherShared);
    assert.equal((await http('GET', '/me', undefined, staff[gone])).status, 200);

    // deleted by an admin staff member (its own session goes on: the change is not about it)
    assert.equal((await http('DELETE', `/staff/${gone}`, undefined, staff[stays])).status, 204);
    for (const token of [staff[gone], second]) {
      assert.equal((await http('GET', '/me', undefined, token)).status, 401, 'refused at once');
      assert.equal((await http('GET', '/pending', undefined, token)).status, 401);
      assert.equal((await http('GET', '/groups', undefined, token)).status, 401);
    }
    const closed = await Promise.all(mineSockets.map((s) => Promise.race([s.ended, timeout(10000, 'still open')])));
    for (const c of closed) assert.deepEqual(c, { code: 4401, reason: 'session_revoked' });
    await until(() => /closing the sockets of a staff member/.test(extra.log()), 5000, 'the extra gateway to log that it closed it itself');
    // nobody else's
    assert.equal(other.closed, false);
    assert.equal(otherShared.closed, false);
    assert.equal((await http('GET', '/me', undefined, staff[stays])).status, 200);
    // a new socket with a revoked token is refused; the account is gone
    await assert.rejects(connect(wsUrl, staff[gone]), (e) => e.status === 401);
    assert.equal((await http('POST', '/login', { email: `${gone}@x.example`, password: 'password-1' })).status, 401);
    // the audit names who, and whose sessions went
    await until(async () => (await http('GET', '/audit?limit=20', undefined, ADMIN)).body.audit
      .some((e) => e.key === gone && e.op === 'delete' && e.actor === stays && e.revoked_staff_id === gone), 20000,
    'the deletion in the trail');
    other.ws.close();
    await extra.stop();
  });

  test('a staff member whose role changes is refused at once and closed everywhere; a new login has the new role', async () => {
    const { ids, staff } = await team(1, 'admin');
    const [who] = ids;
    const extra = await extraGateway('gateway-extra2');
    await extra.ready();
    const s1 = await open(wsUrl, staff[who]);
    const s2 = await open(extra.ws, staff[who]);
    sockets.push(s1, s2);
    assert.equal((await http('GET', '/groups', undefined, staff[who])).status, 200, 'an admin');

    // a change that keeps the role revokes nothing
    let r = await http('PUT', `/staff/${who}`, { name: 'Renamed', email: `${who}@x.example`, role: 'admin' }, ADMIN);
    assert.equal(r.status, 200);
    assert.equal((await http('GET', '/me', undefined, staff[who])).status, 200, 'the same role: the session stays');

    r = await http('PUT', `/staff/${who}`, { name: 'Renamed', email: `${who}@x.example`, role: 'staff' }, ADMIN);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await http('GET', '/groups', undefined, staff[who])).status, 401, 'the old token is refused');
    assert.equal((await http('GET', '/me', undefined, staff[who])).status, 401);
    for (const s of [s1, s2]) {
      assert.deepEqual(await Promise.race([s.ended, timeout(10000, 'still open')]), { code: 4401, reason: 'session_revoked' });
    }
    const again = await http('POST', '/login', { email: `${who}@x.example`, password: 'password-1' });
    assert.equal(again.status, 200);
    assert.equal(again.body.role, 'staff');
    assert.equal((await http('GET', '/groups', undefined, again.body.token)).status, 403, 'a staff member now');
    assert.equal((await http('GET', '/me', undefined, again.body.token)).status, 200);
    await until(async () => (await http('GET', '/audit?limit=20', undefined, ADMIN)).body.audit
      .some((e) => e.key === who && e.op === 'put' && e.actor === 'bootstrap' && e.revoked_staff_id === who), 20000,
    'the demotion in the trail');
    await extra.stop();
  });

  test('a gateway cut from NATS while a staff member was deleted closes their console when it reconnects; its visitor gets the visitor view again', async () => {
    // this gateway's NATS connection goes through a proxy the test can cut
    const proxyPort = await freePort();
    const links = new Set();
    let refusing = false;
    const proxy = net.createServer((down) => {
      if (refusing) {
        down.destroy();
        return;
      }
      const up = net.connect(stack.ports.CC_NATS_PORT, '127.0.0.1');
      links.add(down);
      links.add(up);
      down.pipe(up).pipe(down);
      const drop = () => { down.destroy(); up.destroy(); links.delete(down); links.delete(up); };
      down.on('error', drop).on('close', drop);
      up.on('error', drop).on('close', drop);
    });
    await new Promise((r) => proxy.listen(proxyPort, '127.0.0.1', r));
    const cut = await extraGateway('gateway-cut', { CC_NATS_URL: `nats://127.0.0.1:${proxyPort}` });
    try {
      await cut.ready();
      const { channel, ids, staff } = await team(2);
      const [gone, stays] = ids;
      const c = await http('POST', '/enquiries', { channel_id: channel, kind: 'chat', caller: 'Cy' });
      assert.equal((await http('POST', `/enquiries/${c.body.enquiry.id}/answer`, undefined, staff[stays])).status, 200);
      const goneConsole = await open(cut.ws, staff[gone]);
      const staysConsole = await open(cut.ws, staff[stays]);
      const visitor = await open(`${cut.ws}?enquiry=${c.body.enquiry.id}`, c.body.visitor_token);
      sockets.push(goneConsole, staysConsole, visitor);

      refusing = true;
      for (const l of links) l.destroy();
      // cut: it says so itself (its /readyz may lag: it is a cached check)
      await until(() => /disconnected from NATS/.test(cut.log()), 20000, 'the cut gateway to notice')
        .catch((e) => { throw new Error(`${e.message}\n${cut.log()}`); });
      assert.equal((await http('DELETE', `/staff/${gone}`, undefined, ADMIN)).status, 204);
      assert.equal(goneConsole.closed, false, 'the cut gateway cannot have heard of it');

      refusing = false;
      assert.deepEqual(await Promise.race([goneConsole.ended, timeout(20000, 'still open')]),
        { code: 4401, reason: 'session_revoked' }, 'closed once the gateway is back');
      const panel = await until(() => find(staysConsole, 'pending.resync'), 10000, 'the other console resynced');
      assert.equal(panel.staff_id, stays);
      assert.equal(staysConsole.closed, false);
      const again = await until(() => find(visitor, 'enquiry.resync'), 10000, 'the visitor resynced');
      assert.deepEqual(keys(again), ['enquiry', 'type']);
      assert.deepEqual(keys(again.enquiry), ENQUIRY_KEYS);
      assert.equal(again.enquiry.state, 'active');
      staysConsole.ws.close();
      visitor.ws.close();
    } finally {
      await cut.stop();
      proxy.close();
      for (const l of links) l.destroy();
    }
  });
});
