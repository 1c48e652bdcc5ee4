// SIP benchmark (issue 9; tools/bench/sip/run): sipp plays a carrier trunk
// and drives calls at rising rates until more than 0.1 % of a step's calls
// fail; beside it, on the same sipp load, Kamailio as a stateful relay (tm,
// t_relay, record-routed) to a sipp callee, as the SIP-processing reference.
//
//   tools/bench/sip/run [--rates 10,20,50,100,200] [--seconds 10]
//                       [--groups 40] [--per-group 5] [--children 4]
//                       [--no-kamailio] [--no-ours]
//
// Ours: a release stack (tools/dev/stack via tests/integration/lib), a
// directory like the demo's: a trunk for 127.0.0.1, --groups numbers, each
// on a channel of its own group of --per-group staff, every staff member
// logged in with a console WebSocket (Node, as tools/bench/routing does).
// The first console offered a call answers it at once (POST .../answer);
// the caller (tools/bench/sip/uac.xml) takes the 200 OK, ACKs and hangs up
// at once (BYE), which ends the enquiry and frees the staff member
// (CC_FOLLOWUP_S 0, the default).
//
// Kamailio: tools/bench/sip/kamailio.cfg (--children UDP workers) relays
// the same caller's calls to sipp running uas.xml (180, 1 ms, 200 OK).
//
// Each step is one sipp run at -r RATE for --seconds; from sipp's log
// (microsecond times of the INVITE, the 180 and the 200, uac.xml) and its
// statistics file:
//   calls/s to 180     calls that got a 180 / (last 180 - first INVITE)
//   calls/s to answer  calls that got the 200 OK, the same way
//   INVITE-to-180      p50 / p99 (ms)
//   INVITE-to-200      p50 / p99 (ms): for ours this includes the console's
//                      answer (the offer over the WebSocket, the POST)
//   failed             calls sipp did not complete (an error response, a
//                      timeout, an unexpected message), with the reasons
//   CPU ms per call    CPU time (/proc) of what answers the calls, over the
//                      step, per call sipp made: ours the six services plus
//                      nats-server, redis-server and PostgreSQL; Kamailio
//                      all its processes. Neither counts the sipp processes
//                      nor the Node consoles.
// A side stops at the first step where more than 0.1 % of the calls failed.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, repo, run, sleep, startStack, until } from '../../../tests/integration/lib/stack.mjs';
import { connect } from '../../../tests/integration/lib/ws.mjs';

const opt = { rates: '10,20,50,100,200', seconds: 10, groups: 40, 'per-group': 5, children: 4 };
const flags = new Set();
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--no-kamailio' || a === '--no-ours') {
    flags.add(a.slice(2));
    continue;
  }
  const k = a.replace(/^--/, '');
  const v = process.argv[++i] ?? '';
  const ok = k === 'rates' ? /^\d+(,\d+)*$/.test(v) : k in opt && /^[1-9]\d*$/.test(v);
  if (!ok) {
    console.error('usage: run [--rates 10,20,50,100,200] [--seconds N] [--groups N] [--per-group N] [--children N] [--no-kamailio] [--no-ours]' +
      ` (bad: ${a} ${v})`);
    process.exit(2);
  }
  opt[k] = k === 'rates' ? v : Number(v);
}
const RATES = opt.rates.split(',').map(Number);
const FAIL_LIMIT = 0.1; // percent
const ADMIN = 'bench-admin-token-0123456789abcdef';
const HERE = path.join(repo, 'tools/bench/sip');
const work = mkdtempSync(path.join(os.tmpdir(), 'cc-sipbench-'));
const log = (...a) => console.log(`[${(performance.now() / 1000).toFixed(1)}s]`, ...a);
const started = new Set(); // child processes of ours, killed on the way out

// --- CPU time from /proc ----------------------------------------------------
const TICKS = 100; // USER_HZ
function cpuOf(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / TICKS; // utime + stime
  } catch {
    return 0; // gone
  }
}
function childrenOf(ppid) {
  const out = [];
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const f = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(f.slice(f.lastIndexOf(')') + 2).split(' ')[1]) === ppid) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}
// Ours: every service process, nats-server, redis-server and PostgreSQL
// (the postmaster and its backends) of the stack's run directory.
// By process: {ingress: s, queue: s, ..., nats, redis, postgres}.
function stackCpuBy(runDir) {
  const pidsDir = path.join(runDir, 'pids');
  const by = {};
  for (const f of readdirSync(pidsDir)) {
    const m = /^([a-z]+)(-\d+)?\.pid$/.exec(f);
    if (!m || (!m[2] && m[1] !== 'nats' && m[1] !== 'redis')) continue;
    by[m[1]] = (by[m[1]] ?? 0) + cpuOf(Number(readFileSync(path.join(pidsDir, f), 'utf8').trim()));
  }
  const pm = path.join(runDir, 'pg', 'data', 'postmaster.pid');
  if (existsSync(pm)) {
    const master = Number(readFileSync(pm, 'utf8').split('\n')[0]);
    by.postgres = cpuOf(master) + childrenOf(master).reduce((n, p) => n + cpuOf(p), 0);
  }
  return by;
}
const kamailioCpu = (pid) => cpuOf(pid) + childrenOf(pid).reduce((n, p) => n + cpuOf(p), 0);

// --- sipp -------------------------------------------------------------------
function spawnTracked(cmd, args, opts = {}) {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  started.add(p);
  let out = '';
  p.stdout?.on('data', (d) => (out = (out + d).slice(-4000)));
  p.stderr?.on('data', (d) => (out = (out + d).slice(-4000)));
  p.done = new Promise((r) => p.on('exit', (code, sig) => {
    started.delete(p);
    r({ code, sig, out });
  }));
  return p;
}

// The numbers file sipp takes the Request-URI user from, a call each in turn.
function numbersFile(numbers) {
  const f = path.join(work, 'numbers.csv');
  writeFileSync(f, `SEQUENTIAL\n${numbers.join('\n')}\n`);
  return f;
}

// One step: sipp calls target at rate for opt.seconds (or just `calls`
// calls); returns its figures.
async function step(name, target, rate, numbers, cpu, calls = rate * opt.seconds) {
  const tag = `${name}-${rate}`;
  const files = {
    log: path.join(work, `${tag}.log`),
    stat: path.join(work, `${tag}.csv`),
    err: path.join(work, `${tag}.err`),
  };
  const args = [`127.0.0.1:${target}`, '-sf', path.join(HERE, 'uac.xml'), '-inf', numbers,
    '-i', '127.0.0.1', '-p', String(await freePort()), '-mi', '127.0.0.1', '-mp', String(await freePort()),
    '-r', String(rate), '-m', String(calls), '-l', String(Math.max(1000, rate * 60)),
    // a reply later than 10 s fails the call; the whole step at most
    // its sending time plus a minute
    // a late 180 (after the 200, reordered by a multi-process relay) must
    // not fail a call: unexpected messages are logged and ignored, so an
    // error response fails its call at the receive timeout
    '-default_behaviors', 'all,-abortunexp',
    '-recv_timeout', '10000', '-timeout', `${opt.seconds + 60}s`, '-timeout_error',
    '-trace_logs', '-log_file', files.log, '-trace_stat', '-stf', files.stat, '-fd', '1',
    '-trace_err', '-error_file', files.err, '-nostdin'];
  const cpu0 = cpu();
  const res = await spawnTracked('sipp', args, { cwd: work }).done;
  const cpuS = cpu() - cpu0;
  if (!existsSync(files.stat)) throw new Error(`sipp wrote no statistics (exit ${res.code}): ${res.out}`);
  const stat = lastStat(files.stat);
  const created = stat.TotalCallCreated;
  const ok = stat['SuccessfulCall(C)'];
  const t = (s, us) => Number(s) + Number(us) / 1e6;
  const ring = [];
  const answer = [];
  let late = 0;
  for (const line of existsSync(files.log) ? readFileSync(files.log, 'utf8').split('\n') : []) {
    const w = line.trim().split(/\s+/);
    if (w[0] === 'ring' || w[0] === 'late') {
      ring.push({ sent: t(w[1], w[2]), at: t(w[3], w[4]) });
      if (w[0] === 'late') late++;
    } else if (w[0] === 'answer') {
      answer.push({ sent: t(w[1], w[2]), at: t(w[3], w[4]) });
    }
  }
  return {
    rate, created, ok, failed: created - ok, late,
    reasons: reasons(files.err, created - ok),
    to180: sustained(ring, rate), toAnswer: sustained(answer, rate),
    ring: percentiles(ring), answer: percentiles(answer),
    cpuMsPerCall: created > 0 ? (1000 * cpuS) / created : NaN,
  };
}

// The last row of sipp's statistics file, by column name.
function lastStat(file) {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const head = lines[0].split(';');
  const row = lines[lines.length - 1].split(';');
  return Object.fromEntries(head.map((h, i) => [h, Number(row[i])]));
}

// Why calls failed, from sipp's error file: "480 x12, other x3" (other:
// timeouts, retransmissions given up, ...; see the error file).
function reasons(file, failed) {
  if (failed <= 0) return '';
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const counts = new Map();
  const byCall = new Map(); // Call-ID -> the error response it got
  for (const m of text.matchAll(/(?:Aborting|Continuing) call on unexpected message for Call-Id '([^']*)'.*?received '(?:SIP\/2\.0 (\d{3})|(\S+))/g)) {
    if (m[2] && m[2] < '200') continue; // a late 100 or 180: harmless
    byCall.set(m[1], m[2] ?? `unexpected ${m[3]}`);
  }
  for (const k of byCall.values()) counts.set(k, (counts.get(k) ?? 0) + 1);
  const known = [...counts.values()].reduce((a, b) => a + b, 0);
  if (failed > known) counts.set('other', failed - known);
  return [...counts].map(([k, n]) => `${k} x${n}`).join(', ');
}

// Calls per second from the first INVITE to the last reply, counting the
// last call's sending interval (1/rate), so that no delay at all gives rate.
function sustained(list, rate) {
  if (list.length === 0) return 0;
  const first = Math.min(...list.map((x) => x.sent));
  const last = Math.max(...list.map((x) => x.at));
  return list.length / (last - first + 1 / rate);
}
function percentiles(list) {
  const ms = list.map((x) => (x.at - x.sent) * 1000).sort((a, b) => a - b);
  const pct = (p) => (ms.length ? ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))] : NaN);
  return { p50: pct(50), p99: pct(99), n: ms.length };
}

// Steps up the rates until a step fails more than FAIL_LIMIT %.
async function ladder(name, target, numbers, cpu, between = async () => {}) {
  const rows = [];
  for (const rate of RATES) {
    log(`${name}: ${rate} calls/s for ${opt.seconds} s`);
    const r = await step(name, target, rate, numbers, cpu);
    rows.push(r);
    log(`${name}: ${r.ok}/${r.created} completed, to 180 ${r.to180.toFixed(1)}/s, to answer ${r.toAnswer.toFixed(1)}/s, ` +
      `INVITE-to-180 p50 ${r.ring.p50.toFixed(2)} p99 ${r.ring.p99.toFixed(2)} ms${r.reasons ? `; failed: ${r.reasons}` : ''}`);
    if (r.created === 0 || (100 * r.failed) / r.created > FAIL_LIMIT) break;
    await between();
  }
  return rows;
}

// --- ours -------------------------------------------------------------------
async function ours() {
  log(`starting the stack (release build): ${opt.groups} numbers, ${opt.groups} groups of ${opt['per-group']} staff`);
  const stack = await startStack({
    CC_ADMIN_TOKEN: ADMIN,
    CC_DEMO: '0',
    CC_LOG_LEVEL: 'warn',
    CC_HEARTBEAT_TIMEOUT_S: '120',
    CC_HTTP_PER_IP_MAX: '0',
    CC_HTTP_MAX_CONN: '4096',
    // a leg per call in flight; 2,500 legs
    CC_MEDIA_PORT_MIN: '40000',
    CC_MEDIA_PORT_MAX: '44999',
  });
  const consoles = [];
  const answers = { ok: 0, failed: 0, statuses: new Map() };
  try {
    const dir = { staff: [], groups: [], channels: [], numbers: [], trunks: [] };
    const numbers = [];
    for (let g = 0; g < opt.groups; g++) {
      const members = [];
      for (let i = 0; i < opt['per-group']; i++) {
        const id = `p${g}-s${i}`;
        members.push(id);
        dir.staff.push({ id, name: id, email: `${id}@bench.example`, role: 'staff', password: `pw-${id}` });
      }
      dir.groups.push({ id: `p${g}`, name: `phone ${g}`, member_ids: members });
      dir.channels.push({ id: `p${g}`, name: `hotline ${g}`, type: 'number', group_id: `p${g}` });
      const e164 = `+8528100${String(g).padStart(4, '0')}`;
      dir.numbers.push({ e164, kind: 'local', channel_id: `p${g}` });
      numbers.push(e164);
    }
    dir.trunks.push({ id: 'bench-carrier', name: 'Bench carrier (sipp on loopback)', addresses: ['127.0.0.1'] });
    const file = path.join(stack.runDir, 'bench-directory.json');
    writeFileSync(file, JSON.stringify(dir));
    const ap = await run(path.join(stack.env.CC_BIN_DIR, 'ccctl'), ['apply', file], { env: stack.serviceEnv });
    if (ap.code !== 0) throw new Error(`ccctl apply failed: ${ap.stdout}${ap.stderr}`);

    // every staff member logged in, a console each. A call offered to a
    // group is answered by the first of its offered consoles whose staff
    // member is not on a call (one answer per call, as a team would); an
    // answer refused (the offer withdrawn meanwhile) passes it to the next.
    const offers = new Map(); // enquiry id -> {to: [staff ids], tried: Set, busy: bool, done: bool}
    const busy = new Set(); // staff on a call (answered, not yet ended)
    const tokens = {};
    const inFlight = new Set();
    const tryAnswer = (id) => {
      const o = offers.get(id);
      if (!o || o.done || o.busy) return;
      const sid = o.to.find((x) => !busy.has(x) && !o.tried.has(x));
      if (sid === undefined) return; // everyone offered is on a call: the first to end takes it
      o.tried.add(sid);
      o.busy = true;
      busy.add(sid);
      const p = fetch(`${stack.url}/api/v1/enquiries/${id}/answer`, {
        method: 'POST', headers: { authorization: `Bearer ${tokens[sid]}` },
      }).then(async (res) => {
        await res.arrayBuffer();
        o.busy = false;
        if (res.status === 200) {
          answers.ok++;
          o.done = true;
          return;
        }
        answers.failed++;
        answers.statuses.set(res.status, (answers.statuses.get(res.status) ?? 0) + 1);
        busy.delete(sid);
        tryAnswer(id);
      }).catch(() => {
        answers.failed++;
        o.busy = false;
        busy.delete(sid);
      }).finally(() => inFlight.delete(p));
      inFlight.add(p);
    };
    for (const s of dir.staff) {
      const r = await fetch(`${stack.url}/api/v1/login`, { method: 'POST', body: JSON.stringify({ email: s.email, password: s.password }) });
      const body = await r.json();
      if (r.status !== 200) throw new Error(`login ${s.id}: ${r.status} ${JSON.stringify(body)}`);
      tokens[s.id] = body.token;
      const box = await connect(stack.url.replace('http:', 'ws:') + '/api/v1/ws', body.token);
      box.ws.removeAllListeners('message'); // keep nothing: answer instead
      box.ws.on('message', (d) => {
        const m = JSON.parse(d.toString());
        const id = m.enquiry?.id;
        if (m.type === 'enquiry.offered') {
          if (!offers.has(id)) offers.set(id, { to: [], tried: new Set(), busy: false, done: false });
          offers.get(id).to.push(s.id);
          tryAnswer(id);
        } else if (['enquiry.ended', 'enquiry.cancelled', 'enquiry.missed', 'enquiry.withdrawn'].includes(m.type)) {
          if (m.type === 'enquiry.ended') {
            busy.delete(s.id); // the call they answered ended
            // calls offered to them while they were on this one
            for (const [oid, o] of offers) if (!o.done && o.to.includes(s.id)) tryAnswer(oid);
          }
          if (m.type !== 'enquiry.withdrawn') offers.delete(id);
        }
      });
      consoles.push(box);
    }
    log(`${consoles.length} staff online with a console each`);
    // the trunk and numbers are in the Redis mirror once a probe call is
    // answered: one call, not counted
    const probe = await step('warm-up', stack.ports.CC_SIP_PORT, 1, numbersFile(numbers), () => 0, 1);
    if (probe.ok !== 1) throw new Error(`the warm-up call failed: ${probe.reasons || 'no reason logged'} (see ${work})`);
    const snaps = []; // stackCpuBy before and after each step
    const cpu = () => {
      const by = stackCpuBy(stack.runDir);
      snaps.push(by);
      return Object.values(by).reduce((a, b) => a + b, 0);
    };
    const rows = await ladder('ours', stack.ports.CC_SIP_PORT, numbersFile(numbers), cpu, async () => {
      // the next step starts with no call of this one left anywhere
      await until(async () => (await stack.redisCli('ZCARD', 'cc:call:creating')).stdout.trim() === '0' && inFlight.size === 0,
        30000, 'the calls of the step to settle');
      await sleep(1000);
    });
    rows.forEach((r, i) => {
      const [a, b] = [snaps[2 * i], snaps[2 * i + 1]];
      const parts = Object.keys(b).map((k) => `${k} ${((1000 * (b[k] - (a[k] ?? 0))) / Math.max(1, r.created)).toFixed(2)}`);
      log(`ours at ${r.rate}/s, CPU ms per call: ${parts.join(', ')}`);
    });
    log(`consoles answered ${answers.ok}, ${answers.failed} answers refused` +
      (answers.statuses.size ? ` (${[...answers.statuses].map(([s, n]) => `${s} x${n}`).join(', ')})` : ''));
    return rows;
  } finally {
    for (const box of consoles) box.ws.close();
    const res = await stack.stop();
    if (res.code !== 0) console.error(`stack stopped with ${res.code}`);
  }
}

// --- Kamailio ---------------------------------------------------------------
async function kamailio() {
  const port = await freePort();
  const uasPort = await freePort();
  const cfg = path.join(work, 'kamailio.cfg');
  writeFileSync(cfg, readFileSync(path.join(HERE, 'kamailio.cfg'), 'utf8')
    .replaceAll('@PORT@', String(port)).replaceAll('@UAS@', String(uasPort)).replaceAll('@CHILDREN@', String(opt.children)));
  const uas = spawnTracked('sipp', ['-sf', path.join(HERE, 'uas.xml'), '-i', '127.0.0.1', '-p', String(uasPort),
    '-mi', '127.0.0.1', '-mp', String(await freePort()), '-nostdin', '-trace_err', '-error_file', path.join(work, 'uas.err')], { cwd: work });
  // -DD: no daemon, its worker processes still forked; 512 MB of shared
  // memory: the default 64 runs out of transactions above ~300 calls/s
  const kam = spawnTracked('kamailio', ['-f', cfg, '-DD', '-E', '-m', '512', '-M', '16',
    '-P', path.join(work, 'kamailio.pid'), '-Y', work], { cwd: work });
  try {
    await until(() => childrenOf(kam.pid).length >= opt.children, 10000, 'Kamailio to start its workers');
    await sleep(500);
    const numbers = numbersFile(Array.from({ length: opt.groups }, (_, g) => `+8528100${String(g).padStart(4, '0')}`));
    const probe = await step('kamailio-warm-up', port, 1, numbers, () => 0, 1);
    if (probe.ok !== 1) throw new Error(`the warm-up call through Kamailio failed: ${probe.reasons || 'no reason logged'} (see ${work})`);
    return await ladder('kamailio', port, numbers, () => kamailioCpu(kam.pid), async () => sleep(1000));
  } finally {
    kam.kill('SIGTERM');
    uas.kill('SIGTERM');
    await Promise.all([kam.done, uas.done]);
  }
}

// --- the table ----------------------------------------------------------------
function table(oursRows, kamRows) {
  const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  const cell = (r) => (r
    ? [`${f(r.to180)} / ${f(r.toAnswer)}`, `${f(r.ring.p50, 2)} / ${f(r.ring.p99, 2)}`, `${f(r.answer.p50, 2)} / ${f(r.answer.p99, 2)}`,
      `${r.failed} (${f((100 * r.failed) / Math.max(1, r.created), 2)} %)`, f(r.cpuMsPerCall, 2)]
    : ['-', '-', '-', '-', '-']);
  console.log('');
  console.log(`SIP bench: sipp UAC -> ${oursRows ? 'ingress (the whole stack, consoles answering)' : ''}` +
    `${oursRows && kamRows ? ' | ' : ''}${kamRows ? `Kamailio ${opt.children} UDP workers (tm, t_relay) -> sipp UAS` : ''}; ` +
    `${opt.seconds} s a step; ${os.cpus().length} CPUs, shared; stops above ${FAIL_LIMIT} % failed`);
  const head = ['calls/s to 180 / to answer', 'INVITE-to-180 p50 / p99 (ms)', 'INVITE-to-200 p50 / p99 (ms)', 'failed', 'CPU ms per call'];
  const sides = [oursRows && 'ours', kamRows && 'Kamailio'].filter(Boolean);
  console.log(`| offered calls/s | ${sides.flatMap((s) => head.map((h) => `${s}: ${h}`)).join(' | ')} |`);
  console.log(`|---|${sides.flatMap(() => head.map(() => '---')).join('|')}|`);
  for (const rate of RATES) {
    const o = oursRows?.find((r) => r.rate === rate);
    const k = kamRows?.find((r) => r.rate === rate);
    if (!o && !k) continue;
    const cells = [...(oursRows ? cell(o) : []), ...(kamRows ? cell(k) : [])];
    console.log(`| ${rate} | ${cells.join(' | ')} |`);
  }
  const notes = [...(oursRows ?? []).map((r) => ['ours', r]), ...(kamRows ?? []).map((r) => ['Kamailio', r])]
    .filter(([, r]) => r.reasons || r.late);
  for (const [side, r] of notes) {
    console.log(`  ${side} at ${r.rate}/s:${r.reasons ? ` failed calls: ${r.reasons};` : ''}${r.late ? ` ${r.late} 180s arrived after the 200 OK;` : ''}` +
      ` ${r.created - r.ring.n} calls saw no 180`);
  }
}

async function main() {
  const oursRows = flags.has('no-ours') ? null : await ours();
  const kamRows = flags.has('no-kamailio') ? null : await kamailio();
  table(oursRows, kamRows);
}

const cleanup = () => {
  for (const p of started) p.kill('SIGKILL');
};
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
main().then(() => rmSync(work, { recursive: true, force: true })).catch((e) => {
  cleanup();
  console.error(e);
  console.error(`sipp's files are in ${work}`);
  process.exit(1);
});
