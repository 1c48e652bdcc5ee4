// calllog against the real stack: events published into the CC_EVENTS
// JetStream stream end up in PostgreSQL exactly once, malformed events are
// dropped without harm, events published while PostgreSQL is down are
// stored when it comes back, and events published while the stream itself is
// gone are resent until calllog has made it again (nothing lost).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { natsPublish, natsRequest } from './lib/nats.mjs';
import { encodeEvent, uuid7 } from './lib/proto.mjs';
import { apiClient, getJson, run, startStack, until } from './lib/stack.mjs';

const pgBin = path.join('/usr/lib/postgresql',
  readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))[0], 'bin');

describe('calllog', () => {
  let stack;
  const sql = async (q) => {
    const r = await run(path.join(pgBin, 'psql'), ['-h', '127.0.0.1', '-p', String(stack.ports.CC_PG_PORT),
      '-U', 'cc', '-d', 'cc', '-qtAX', '-c', q]);
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout.trim();
  };
  const pgCtl = (...args) => {
    const argv = [path.join(pgBin, 'pg_ctl'), '-D', path.join(stack.runDir, 'pg/data'), ...args];
    return process.getuid() === 0 ? run('runuser', ['-u', 'postgres', '--', ...argv]) : run(argv[0], argv.slice(1));
  };
  const publish = (ev, msgId) => natsPublish(stack.ports.CC_NATS_PORT, `cc.evt.${ev.type}`,
    encodeEvent(ev), msgId ? { 'Nats-Msg-Id': msgId } : null);

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    const res = await stack?.stop();
    assert.equal(res?.code, 0);
    assert.deepEqual(res.sanitizer, [], 'no sanitizer report in any service log');
  });

  test('an event published twice is stored once, with its enquiry id', async () => {
    const id = uuid7();
    const enquiryId = uuid7();
    const ev = { id, tsMs: Date.now(), type: 'enquiry.created', enquiryId };
    await publish(ev, id);
    await publish(ev); // no dedupe id: the stream keeps both, calllog must not double
    await until(async () => (await sql(`select count(*) from events where id='${id}'`)) === '1',
      10000, 'the event row');
    const row = await sql(`select type, source, instance, enquiry_id from events where id='${id}'`);
    assert.equal(row, `enquiry.created|test|test-1|${enquiryId}`);
    // give a redelivery time to show up, then check there is still one row
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await sql(`select count(*) from events where id='${id}'`), '1');
  });

  test('malformed events are logged and dropped; calllog keeps working', async () => {
    await natsPublish(stack.ports.CC_NATS_PORT, 'cc.evt.enquiry.created', Buffer.from([0xff, 0xff, 0x01]));
    await publish({ id: 'not-a-uuid', tsMs: Date.now(), type: 'enquiry.created' });
    await until(() => (stack.log('calllog-1').match(/"msg":"malformed event dropped"/g) || []).length >= 2,
      10000, 'two dropped events in the log');
    const id = uuid7();
    await publish({ id, tsMs: Date.now(), type: 'enquiry.ended' }, id);
    await until(async () => (await sql(`select count(*) from events where id='${id}'`)) === '1',
      10000, 'the next good event');
  });

  test('events published while PostgreSQL is down are stored when it returns', async () => {
    const stop = await pgCtl('-m', 'fast', '-w', 'stop');
    assert.equal(stop.code, 0, stop.stderr);
    const ids = [uuid7(), uuid7(), uuid7()];
    for (const id of ids) await publish({ id, tsMs: Date.now(), type: 'enquiry.missed' }, id);
    // the platform status reports it; the gateways stay ready (they do not need PostgreSQL)
    const clog = await until(async () => {
      const c = (await getJson(`${stack.url}/api/v1/status`)).body.services.find((x) => x.name === 'calllog').instances[0];
      return c && !c.ready ? c : null;
    }, 15000, 'the status to report PostgreSQL down');
    assert.match(clog.detail, /postgres unreachable/);
    assert.equal((await getJson(`${stack.url}/readyz`)).status, 200);

    const start = await pgCtl('-l', path.join(stack.runDir, 'log/postgres.log'), '-w', '-o',
      `-c listen_addresses=127.0.0.1 -p ${stack.ports.CC_PG_PORT} -k ${path.join(stack.runDir, 'pg/sock')}`, 'start');
    assert.equal(start.code, 0, start.stderr);
    const list = ids.map((i) => `'${i}'`).join(',');
    await until(async () => (await sql(`select count(*) from events where id in (${list})`)) === '3',
      30000, 'all three events after PostgreSQL returned');
    await until(async () => (await getJson(`${stack.url}/api/v1/status`)).body.ready === true, 15000,
      'every instance ready again');
  });

  test('the event stream deleted: calllog makes it again and the outbox relay resends, so the event is stored', async () => {
    const http = apiClient(stack);
    const login = await http('POST', '/login', { email: 'bob@demo.example', password: 'bob-demo-1' });
    assert.equal(login.status, 200);
    const count = async () => Number(await sql("select count(*) from events where type = 'presence.changed' and staff_id = 'bob'"));
    await until(async () => (await count()) >= 1, 10000, 'the login event');
    const before = await count();

    const del = JSON.parse((await natsRequest(stack.ports.CC_NATS_PORT, '$JS.API.STREAM.DELETE.CC_EVENTS')).toString());
    assert.equal(del.success, true, JSON.stringify(del));
    // published while there is no stream: nobody acknowledges it
    assert.equal((await http('PUT', '/me/status', { status: 'busy' }, login.body.token)).status, 200);
    await until(async () => (await count()) === before + 1, 30000, 'the busy event, stored after all');
    assert.match(stack.log('calllog-1'), /"msg":"the event stream or its consumer is gone; creating them again"/);
    assert.match(stack.log('presence-1'), /"msg":"event not acknowledged by JetStream, kept in the outbox","subject":"cc.evt.presence.changed"/);
    const info = JSON.parse((await natsRequest(stack.ports.CC_NATS_PORT, '$JS.API.STREAM.INFO.CC_EVENTS')).toString());
    assert.deepEqual(info.config.subjects, ['cc.evt.>']);
  });
});
