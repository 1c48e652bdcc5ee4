// calllog against the real stack: events published into the CC_EVENTS
// JetStream stream end up in PostgreSQL exactly once, malformed events are
// dropped without harm, a batch with a duplicate and malformed events in it
// stores its good events once, in one transaction, events published while
// PostgreSQL is down are stored when it comes back, and events published
// while the stream itself is gone are resent until calllog has made it again
// (nothing lost). The stream's limits: CC_EVENTS_MAX_BYTES with discard-new,
// applied to an existing stream, never by deleting what it holds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { natsPublish, natsRequest } from './lib/nats.mjs';
import { encodeEvent, uuid7 } from './lib/proto.mjs';
import { apiClient, getJson, run, sleep, startStack, until } from './lib/stack.mjs';

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

  const MAX_BYTES = 1 << 20; // the smallest CC_EVENTS_MAX_BYTES, so a test can fill it
  const streamInfo = async () => JSON.parse((await natsRequest(stack.ports.CC_NATS_PORT,
    '$JS.API.STREAM.INFO.CC_EVENTS')).toString());
  // Changes the stream as an operator would (the JetStream API), behind our back.
  const streamUpdate = async (change) => {
    const { config } = await streamInfo();
    const res = JSON.parse((await natsRequest(stack.ports.CC_NATS_PORT, '$JS.API.STREAM.UPDATE.CC_EVENTS',
      JSON.stringify({ ...config, ...change }))).toString());
    assert.equal(res.error, undefined, JSON.stringify(res.error));
    return res;
  };
  // A clean stop of calllog; its supervisor starts it again, and at start it
  // brings the stream to its settings (cc_events_ensure).
  const restartCalllog = async () => {
    const pid = stack.pidOf('calllog-1');
    process.kill(pid, 'SIGTERM');
    await until(() => stack.pidOf('calllog-1') !== pid, 30000, 'calllog to be started again');
  };
  const count = async (ids) => Number(await sql(
    `select count(*) from events where id in (${ids.map((i) => `'${i}'`).join(',')})`));

  before(async () => {
    stack = await startStack({ CC_EVENTS_MAX_BYTES: String(MAX_BYTES) });
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

  test('the stream keeps only what a consumer has still to read: stored events are purged', async () => {
    const ids = [uuid7(), uuid7(), uuid7()];
    for (const id of ids) await publish({ id, tsMs: Date.now(), type: 'enquiry.created', enquiryId: uuid7() }, id);
    await until(async () => (await sql(`select count(*) from events where id in ('${ids.join("','")}')`)) === '3',
      10000, 'the three rows');
    const last = (await streamInfo()).state.last_seq;
    // every consumer (calllog, and queue's filtered one for presence) has
    // acknowledged or skipped them: they leave the stream
    let consumers = '';
    const after = await until(async () => {
      const st = (await streamInfo()).state;
      const list = JSON.parse((await natsRequest(stack.ports.CC_NATS_PORT, '$JS.API.CONSUMER.LIST.CC_EVENTS', '{}')).toString());
      consumers = JSON.stringify(list.consumers.map((c) => [c.name, c.ack_floor, c.delivered, c.num_pending]));
      return st.first_seq > last ? st : null;
    }, 15000, 'the stored events purged from the stream').catch((e) => assert.fail(`${e.message}; consumers ${consumers}; last ${last}`));
    assert.equal(after.messages, 0);
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

  test('a batch with a duplicate and malformed events stores its good events once, in one transaction', async () => {
    const dropped = () => (stack.log('calllog-1').match(/"msg":"malformed event dropped"/g) || []).length;
    const before = dropped();
    // Stop calllog while the events go in, so that its next fetch takes them
    // all at once: its pull request of the moment expires (after 1 s) unanswered.
    const pid = stack.pidOf('calllog-1');
    process.kill(pid, 'SIGSTOP');
    const good = [uuid7(), uuid7(), uuid7()];
    try {
      await sleep(2000);
      await publish({ id: good[0], tsMs: Date.now(), type: 'enquiry.created', enquiryId: uuid7() }, good[0]);
      await publish({ id: good[1], tsMs: Date.now(), type: 'enquiry.answered', staffId: 'bob' }, good[1]);
      await publish({ id: good[0], tsMs: Date.now(), type: 'enquiry.created' }); // a resend, not deduplicated
      await natsPublish(stack.ports.CC_NATS_PORT, 'cc.evt.enquiry.created', Buffer.from([0x0a, 0xff])); // cut short
      await publish({ id: 'not-a-uuid', tsMs: Date.now(), type: 'enquiry.created' });
      const latin1 = encodeEvent({ id: uuid7(), tsMs: Date.now(), type: 'enquiry.ended', staffId: 'b~ob' });
      latin1[latin1.indexOf('b~ob') + 1] = 0xff; // a staff id that is not UTF-8
      await natsPublish(stack.ports.CC_NATS_PORT, 'cc.evt.enquiry.ended', latin1);
      await publish({ id: good[2], tsMs: Date.now(), type: 'enquiry.ended' }, good[2]);
      assert.equal(await count(good), 0, 'nothing stored while calllog is stopped');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await until(async () => (await count(good)) === 3, 15000, 'the three good events');
    await until(() => dropped() === before + 3, 10000, 'three malformed events dropped');
    await sleep(500); // a redelivery would show up by now
    assert.equal(await count(good), 3, 'each good event once');
    // one INSERT: the rows share their transaction's time
    assert.equal(await sql(`select count(distinct received_at) from events where id in (${good.map((i) => `'${i}'`).join(',')})`), '1');
    assert.equal(await sql(`select type from events where id = '${good[0]}'`), 'enquiry.created');
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
  test('the stream holds at most CC_EVENTS_MAX_BYTES and refuses new events when full (discard new)', async () => {
    const { config } = await streamInfo();
    assert.equal(config.max_bytes, MAX_BYTES);
    assert.equal(config.discard, 'new');
    assert.equal(config.max_age, 30 * 24 * 3600 * 1e9); // ns
    assert.equal(config.retention, 'limits');
  });

  test('an existing stream with other limits is brought to the settings', async () => {
    await streamUpdate({ max_bytes: -1, discard: 'old' });
    assert.equal((await streamInfo()).config.max_bytes, -1);
    await restartCalllog();
    await until(async () => {
      const { config } = await streamInfo();
      return config.max_bytes === MAX_BYTES && config.discard === 'new';
    }, 30000, 'the stream back at CC_EVENTS_MAX_BYTES, discard new');
  });

  test('a full stream refuses an event; the publisher keeps it, and it is stored once there is room', async () => {
    const { state } = await streamInfo();
    await streamUpdate({ max_bytes: state.bytes }); // full now
    const id = uuid7();
    const ev = encodeEvent({ id, tsMs: Date.now(), type: 'enquiry.created', enquiryId: uuid7() });
    const refused = JSON.parse((await natsRequest(stack.ports.CC_NATS_PORT, 'cc.evt.enquiry.created', ev)).toString());
    assert.equal(refused.error?.err_code, 10077, JSON.stringify(refused));
    assert.equal(refused.error?.description, 'maximum bytes exceeded');
    assert.equal((await streamInfo()).state.messages, state.messages, 'nothing deleted to make room');

    // a service's publish is refused too, and told apart from a missed ack (cc_bus_js_full)
    const http = apiClient(stack);
    const login = await http('POST', '/login', { email: 'carol@demo.example', password: 'carol-demo-1' });
    assert.equal(login.status, 200);
    await until(() => /"msg":"event stream full, event kept in the outbox","subject":"cc.evt.presence.changed","error":"maximum bytes exceeded"/
      .test(stack.log('presence-1')), 15000, 'presence to see the stream full');

    await restartCalllog(); // at start it brings the stream back to CC_EVENTS_MAX_BYTES
    await until(async () => (await streamInfo()).config.max_bytes === MAX_BYTES, 30000, 'room again');
    const ack = JSON.parse((await natsRequest(stack.ports.CC_NATS_PORT, 'cc.evt.enquiry.created', ev)).toString());
    assert.equal(ack.error, undefined, JSON.stringify(ack));
    await until(async () => (await count([id])) === 1, 15000, 'the refused event, sent again');
  });

  test('a CC_EVENTS_MAX_BYTES below what the stream holds is not applied: nothing is deleted to fit', async () => {
    await streamUpdate({ max_bytes: -1 });
    // 12 events of 100 kB: the stream now holds more than CC_EVENTS_MAX_BYTES
    const ids = Array.from({ length: 12 }, () => uuid7());
    for (const id of ids) {
      await publish({ id, tsMs: Date.now(), type: 'enquiry.ended', reason: 'x'.repeat(100000) }, id);
    }
    await until(async () => (await streamInfo()).state.bytes > MAX_BYTES, 10000, 'a stream past the limit');
    const before = (await streamInfo()).state;
    await restartCalllog();
    await until(() => /"msg":"CC_EVENTS_MAX_BYTES not applied: the event stream holds more, and shrinking it would delete its oldest events","requested":"1048576","kept":"-1"/
      .test(stack.log('calllog-1')), 30000, 'calllog to say it kept the limit');
    const after = await streamInfo();
    assert.equal(after.config.max_bytes, -1);
    assert.equal(after.state.first_seq, before.first_seq, 'no event deleted');
    await until(async () => (await count(ids)) === 12, 15000, 'the large events stored');
  });
});
