// Issue 9 (supporting part): SIP trunks in the directory and the SIP digest
// HA1 of staff phones. The admin API (docs/api.md, "Trunks"), the Redis
// mirror ingress reads (services/presence/README.md, "SIP digest": the
// contract), ccctl apply, the audit trail. Real stack, real servers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { apiClient, binDir, run, startStack, until } from './lib/stack.mjs';

const md5 = (s) => createHash('md5').update(s).digest('hex');
const REALM = 'trunks.test';

describe('trunks and SIP credentials', () => {
  let stack;
  let api;
  const token = 'integration-admin-token-0123456789';

  before(async () => {
    stack = await startStack({ CC_ADMIN_TOKEN: token, CC_SIP_REALM: REALM });
    api = apiClient(stack, token);
  });
  after(async () => {
    const res = await stack?.stop();
    assert.equal(res?.code, 0);
    assert.deepEqual(res.sanitizer, []);
  });
  const redis = async (...args) => (await stack.redisCli(...args)).stdout.trim();
  const hash = async (key) => { // (an empty value is an empty line: no trim)
    const lines = (await stack.redisCli('HGETALL', key)).stdout.replace(/\n$/, '').split('\n');
    const o = {};
    for (let i = 0; i + 1 < lines.length; i += 2) o[lines[i]] = lines[i + 1];
    return o;
  };
  const sql = async (q) => (await run('psql', ['-h', '127.0.0.1', '-p', String(stack.ports.CC_PG_PORT),
    '-U', 'cc', '-d', 'cc', '-qtAX', '-c', q])).stdout.trim();

  test('the demo trunk is loaded: the loopback carrier, by address', async () => {
    const r = await api('GET', '/trunks');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { trunks: [{ id: 'demo-carrier', name: 'Demo carrier (sipp on loopback)',
      addresses: ['127.0.0.1'], username: '', realm: '', outbound_uri: '' }] });
    assert.deepEqual(await hash('cc:dir:trunk:demo-carrier'), { name: 'Demo carrier (sipp on loopback)',
      addresses: '127.0.0.1', username: '', ha1: '', realm: REALM, outbound_uri: '' });
    assert.equal(await redis('SMEMBERS', 'cc:dir:trunks'), 'demo-carrier');
  });

  test('create, read, replace and delete a trunk; the password is never returned; the mirror follows', async () => {
    let r = await api('POST', '/trunks', { id: 'acme', name: 'Acme Telecom', addresses: ['192.0.2.10', '198.51.100.0/24', '2001:db8::/32'],
      username: 'acme-in', password: 'acme-secret-1' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body, { id: 'acme', name: 'Acme Telecom', addresses: ['192.0.2.10', '198.51.100.0/24', '2001:db8::/32'],
      username: 'acme-in', realm: '', outbound_uri: '' });
    assert.equal((await api('POST', '/trunks', { id: 'acme', name: 'Again', addresses: ['192.0.2.1'] })).status, 409);
    r = await api('GET', '/trunks/acme');
    assert.equal(r.status, 200);
    assert.equal(r.body.password, undefined, 'never returned');
    assert.deepEqual((await api('GET', '/trunks')).body.trunks.map((t) => t.id), ['acme', 'demo-carrier']);
    for (const t of (await api('GET', '/trunks')).body.trunks) assert.equal(t.password, undefined);

    // the mirror: the contract ingress reads
    assert.deepEqual(await hash('cc:dir:trunk:acme'), { name: 'Acme Telecom', addresses: '192.0.2.10,198.51.100.0/24,2001:db8::/32',
      username: 'acme-in', ha1: md5(`acme-in:${REALM}:acme-secret-1`), realm: REALM, outbound_uri: '' });
    assert.deepEqual((await redis('SMEMBERS', 'cc:dir:trunks')).split('\n').sort(), ['acme', 'demo-carrier']);
    // only the HA1 is stored, never the password
    assert.equal(await sql("select count(*) from dir_trunks where row_to_json(dir_trunks)::text like '%acme-secret-1%'"), '0');

    // a replace without the password keeps the HA1 (same username and realm)
    r = await api('PUT', '/trunks/acme', { name: 'Acme Telecom HK', addresses: ['192.0.2.10'], username: 'acme-in' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { id: 'acme', name: 'Acme Telecom HK', addresses: ['192.0.2.10'], username: 'acme-in', realm: '', outbound_uri: '' });
    assert.equal((await hash('cc:dir:trunk:acme')).ha1, md5(`acme-in:${REALM}:acme-secret-1`));
    // ... but another username or realm needs it again (the HA1 is of all three)
    r = await api('PUT', '/trunks/acme', { name: 'Acme', addresses: ['192.0.2.10'], username: 'acme-2' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'password');
    r = await api('PUT', '/trunks/acme', { name: 'Acme', addresses: ['192.0.2.10'], username: 'acme-in', realm: 'acme.example' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'password');
    // its own realm
    r = await api('PUT', '/trunks/acme', { name: 'Acme', addresses: [], username: 'acme-in', password: 'acme-secret-2', realm: 'acme.example' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { id: 'acme', name: 'Acme', addresses: [], username: 'acme-in', realm: 'acme.example', outbound_uri: '' });
    assert.deepEqual(await hash('cc:dir:trunk:acme'), { name: 'Acme', addresses: '', username: 'acme-in',
      ha1: md5('acme-in:acme.example:acme-secret-2'), realm: 'acme.example', outbound_uri: '' });
    // addresses only: the digest goes
    r = await api('PUT', '/trunks/acme', { name: 'Acme', addresses: ['203.0.113.5'] });
    assert.equal(r.status, 200);
    assert.deepEqual(await hash('cc:dir:trunk:acme'), { name: 'Acme', addresses: '203.0.113.5', username: '', ha1: '', realm: REALM, outbound_uri: '' });


    assert.equal((await api('DELETE', '/trunks/acme')).status, 204);
    assert.equal((await api('DELETE', '/trunks/acme')).status, 404);
    assert.equal((await api('GET', '/trunks/acme')).status, 404);
    assert.equal(await redis('EXISTS', 'cc:dir:trunk:acme'), '0');
    assert.equal(await redis('SISMEMBER', 'cc:dir:trunks', 'acme'), '0');
    assert.equal(await redis('SISMEMBER', 'cc:dir:trunks', 'demo-carrier'), '1');
  });

  test('every trunk change is an audit fact of kind trunk', async () => {
    assert.equal((await api('PUT', '/trunks/audited', { name: 'Audited', addresses: ['192.0.2.77'] })).status, 201);
    assert.equal((await api('DELETE', '/trunks/audited')).status, 204);
    const mine = await until(async () => {
      const r = await api('GET', '/audit?limit=1000');
      const m = r.body.audit.filter((e) => e.key === 'audited');
      return m.length === 2 ? m : null;
    }, 20000, 'the two trunk changes in the audit trail');
    assert.deepEqual(mine.map((e) => [e.actor, e.op, e.kind, e.key, e.created]), [
      ['bootstrap', 'delete', 'trunk', 'audited', false],
      ['bootstrap', 'put', 'trunk', 'audited', true],
    ]);
  });

  test('bad input: 400 naming the field; nothing changes', async () => {
    const before = JSON.stringify((await api('GET', '/trunks')).body);
    const keys = await redis('SMEMBERS', 'cc:dir:trunks');
    const cases = [
      [{ id: 't1', name: 'T', addresses: ['10.0.0.0/33'] }, 'addresses'],
      [{ id: 't1', name: 'T', addresses: ['192.0.2.300'] }, 'addresses'],
      [{ id: 't1', name: 'T', addresses: ['carrier.example'] }, 'addresses'],
      [{ id: 't1', name: 'T', addresses: ['192.0.2.1 192.0.2.2'] }, 'addresses'],
      [{ id: 't1', name: 'T', addresses: ['192.0.2.1,192.0.2.2'] }, 'addresses'],
      [{ id: 't1', name: 'T', addresses: [''] }, 'addresses'],
      [{ id: 't1', name: 'T', addresses: Array.from({ length: 65 }, (_, i) => `192.0.2.${i}`) }, 'addresses'],
      [{ id: 't1', name: 'T', addresses: '192.0.2.1' }, 'addresses'],
      [{ id: 't1', name: 'T' }, 'addresses'],
      [{ id: 't1', name: 'T', addresses: [] }, 'addresses'],
      [{ id: 't1', name: 'T', password: 'long-enough-1' }, 'username'],
      [{ id: 't1', name: 'T', username: 'carrier' }, 'password'],
      [{ id: 't1', name: 'T', username: 'carrier', password: 'short' }, 'password'],
      [{ id: 't1', name: 'T', username: 'car:rier', password: 'long-enough-1' }, 'username'],
      [{ id: 't1', name: 'T', username: 'car rier', password: 'long-enough-1' }, 'username'],
      [{ id: 't1', name: 'T', username: 'carrier', password: 'long-enough-1', realm: 'a"b' }, 'realm'],
      [{ id: 't1', name: 'T', username: 'carrier', password: 'long-enough-1', realm: 'x'.repeat(129) }, 'realm'],
      [{ id: 't1', name: '', addresses: ['192.0.2.1'] }, 'name'],
      [{ id: 'Bad Id', name: 'T', addresses: ['192.0.2.1'] }, 'id'],
      [{ id: 't1', name: 'T', addresses: ['192.0.2.1'], port: 5060 }, 'port'],
    ];
    for (const [body, field] of cases) {
      const r = await api('POST', '/trunks', body);
      assert.equal(r.status, 400, `${JSON.stringify(body)} -> ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.field, field, JSON.stringify(body));
      assert.ok(r.body.error.message.length > 0);
    }
    const r = await api('PUT', '/trunks/t1', { id: 't2', name: 'T', addresses: ['192.0.2.1'] });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'id');
    assert.equal(JSON.stringify((await api('GET', '/trunks')).body), before, 'no failed request changed anything');
    assert.equal(await redis('SMEMBERS', 'cc:dir:trunks'), keys);
  });

  test('ccctl apply loads trunks, idempotently, and reports a refused one', async () => {
    const f = path.join(stack.runDir, 'trunks.json');
    writeFileSync(f, JSON.stringify({ trunks: [
      { id: 'by-file', name: 'From a file', addresses: ['192.0.2.0/28'], username: 'file-user', password: 'file-secret-1' },
      { id: 'broken', name: 'Broken', addresses: ['300.1.1.1'] },
    ] }));
    let res = await run(path.join(binDir, 'ccctl'), ['apply', f], { env: stack.serviceEnv });
    assert.equal(res.code, 1, res.stdout + res.stderr);
    assert.match(res.stdout, /^trunk\s+by-file\s+created$/m);
    assert.match(res.stderr, /trunk broken refused: .*\(field addresses\)/);
    assert.deepEqual(await hash('cc:dir:trunk:by-file'), { name: 'From a file', addresses: '192.0.2.0/28', username: 'file-user',
      ha1: md5(`file-user:${REALM}:file-secret-1`), realm: REALM, outbound_uri: '' });
    writeFileSync(f, JSON.stringify({ trunks: [
      { id: 'by-file', name: 'From a file', addresses: ['192.0.2.0/28'], username: 'file-user', password: 'file-secret-1' }] }));
    res = await run(path.join(binDir, 'ccctl'), ['apply', f], { env: stack.serviceEnv });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^trunk\s+by-file\s+updated$/m);
    assert.equal((await api('DELETE', '/trunks/by-file')).status, 204);
  });

  test('a staff member\'s phone: sip_ha1 = MD5(staff id:realm:password), cc:dir:sipuser, never returned; a new password, a new HA1', async () => {
    let r = await api('PUT', '/staff/sipper', { name: 'Sip Per', email: 'sipper@x.example', role: 'staff', password: 'sipper-pass-1' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body).sort(), ['email', 'group_ids', 'id', 'name', 'role']);
    assert.equal((await hash('cc:dir:staff:sipper')).sip_ha1, md5(`sipper:${REALM}:sipper-pass-1`));
    assert.equal(await redis('GET', 'cc:dir:sipuser:sipper'), 'sipper');
    // the demo staff got theirs when ccctl apply set their passwords
    assert.equal((await hash('cc:dir:staff:bob')).sip_ha1, md5(`bob:${REALM}:bob-demo-1`));
    assert.equal(await redis('GET', 'cc:dir:sipuser:bob'), 'bob');
    // a replace without a password keeps it
    r = await api('PUT', '/staff/sipper', { name: 'Sip Per', email: 'sipper@x.example', role: 'staff' });
    assert.equal(r.status, 200);
    assert.equal((await hash('cc:dir:staff:sipper')).sip_ha1, md5(`sipper:${REALM}:sipper-pass-1`));
    // a new password, a new HA1
    r = await api('PUT', '/staff/sipper', { name: 'Sip Per', email: 'sipper@x.example', role: 'staff', password: 'sipper-pass-2' });
    assert.equal(r.status, 200);
    assert.equal((await hash('cc:dir:staff:sipper')).sip_ha1, md5(`sipper:${REALM}:sipper-pass-2`));
    assert.equal(await sql("select sip_ha1 || ' ' || sip_realm from dir_staff where id = 'sipper'"),
      `${md5(`sipper:${REALM}:sipper-pass-2`)} ${REALM}`);
    for (const s of (await api('GET', '/staff')).body.staff) assert.deepEqual(Object.keys(s).sort(), ['email', 'group_ids', 'id', 'name', 'role']);

    // an account from before (no HA1 stored): its first login stores it
    await sql("update dir_staff set sip_ha1 = '', sip_realm = '' where id = 'sipper'");
    r = await api('PUT', '/staff/sipper', { name: 'Sip Per', email: 'sipper@x.example', role: 'staff' }); // rewrites the mirror
    assert.equal((await hash('cc:dir:staff:sipper')).sip_ha1, '');
    assert.equal(await redis('EXISTS', 'cc:dir:sipuser:sipper'), '0', 'no HA1: no SIP user');
    r = await api('POST', '/login', { email: 'sipper@x.example', password: 'sipper-pass-2' }, null);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await hash('cc:dir:staff:sipper')).sip_ha1, md5(`sipper:${REALM}:sipper-pass-2`));
    assert.equal(await redis('GET', 'cc:dir:sipuser:sipper'), 'sipper');
    // an HA1 of another realm (CC_SIP_REALM changed) is not mirrored
    await sql(`update dir_staff set sip_realm = 'old.realm' where id = 'sipper'`);
    await api('PUT', '/staff/sipper', { name: 'Sip Per', email: 'sipper@x.example', role: 'staff' });
    assert.equal((await hash('cc:dir:staff:sipper')).sip_ha1, '');
    assert.equal(await redis('EXISTS', 'cc:dir:sipuser:sipper'), '0');

    assert.equal((await api('DELETE', '/staff/sipper')).status, 204);
    assert.equal(await redis('EXISTS', 'cc:dir:staff:sipper', 'cc:dir:sipuser:sipper'), '0');
  });
});
