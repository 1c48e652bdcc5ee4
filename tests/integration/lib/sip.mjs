// sipp helpers shared by the SIP suites (sip, phones, controls, outbound):
// sipp as the carrier or as a staff phone against a stack's ingress.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apiClient, freePort, repo, startStack, until } from './stack.mjs';
import { makeTeam } from './team.mjs';

// Tools bound to one SIP port (ingress's) and a work directory for sipp's
// logs; every sipp started is in `running` until it exits (kill them in
// after()).
export function sipTools(sipPort, work) {
  const running = new Set();
  let addrN = 10;

  // A phone: a loopback address of its own and a SIP and a media port.
  async function phone() {
    return { ip: `127.0.0.${++addrN}`, port: await freePort(), mport: await freePort() };
  }

  // Runs sipp; resolves {code, log, out} (log: every message it sent and
  // received). service: the Request-URI user; transport 'u1' | 't1';
  // ip/port: sipp's own; keys: -key pairs, sets: -set pairs (the
  // scenarios' pauses); extra: more arguments.
  function sipp(scenario, { service = 'probe', transport = 'u1', ip = '127.0.0.1', port, mport, keys = {}, sets = {}, extra = [], timeoutS = 90 } = {}) {
    const name = `${scenario}-${Date.now()}-${Math.random().toString(16).slice(2, 8)}`;
    const msgFile = path.join(work, `${name}.msg`);
    const errFile = path.join(work, `${name}.err`);
    const start = async () => {
      const args = [`127.0.0.1:${sipPort}`, '-sf', path.join(repo, 'tests/sip', `${scenario}.xml`),
        '-s', service, '-m', '1', '-t', transport, '-i', ip, '-p', String(port ?? await freePort()),
        '-mi', ip, '-mp', String(mport ?? await freePort()), '-trace_msg', '-message_file', msgFile,
        '-trace_err', '-error_file', errFile, '-timeout', `${timeoutS}s`, '-timeout_error', '-nostdin', ...extra];
      for (const [k, v] of Object.entries(keys)) args.push('-key', k, String(v));
      for (const [k, v] of Object.entries(sets)) args.push('-set', k, String(v));
      const p = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: work });
      running.add(p);
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (out += d));
      const code = await new Promise((r) => p.on('exit', (c) => r(c)));
      running.delete(p);
      const log = existsSync(msgFile) ? readFileSync(msgFile, 'utf8') : '';
      const err = existsSync(errFile) ? readFileSync(errFile, 'utf8') : '';
      return { code, log, out: out.slice(-2000) + err };
    };
    return start();
  }

  const register = (sid, ph, { expires = 60, password = 'password-1', scenario = 'register', user = sid } = {}) =>
    sipp(scenario, { service: sid, ip: ph.ip, port: ph.port, keys: { expires }, extra: ['-au', user, '-ap', password] });

  // Whether a socket is bound to UDP ip:port, read from /proc/net/udp
  // (looking, not binding: a probe bind could take the port from sipp).
  const udpTaken = (ip, port) => {
    const hexIp = ip.split('.').reverse().map((b) => Number(b).toString(16).padStart(2, '0')).join('').toUpperCase();
    const want = `${hexIp}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    return readFileSync('/proc/net/udp', 'utf8').split('\n').some((l) => l.trim().split(/\s+/)[1] === want);
  };

  // A phone scenario waiting for its INVITE (UAS): started before the call,
  // which waits for .ready (its SIP port bound): a phone that is not
  // listening yet when another answers would get its INVITE cancelled
  // before it ever saw it.
  const answerOn = (sid, ph, scenario, sets = {}) => {
    const run = sipp(scenario, { service: sid, ip: ph.ip, port: ph.port, mport: ph.mport, sets, extra: ['-rtp_echo'] });
    run.ready = until(() => udpTaken(ph.ip, ph.port), 20000, `the phone on ${ph.ip}:${ph.port} to listen`);
    return run;
  };

  return { running, phone, sipp, register, answerOn, udpTaken };
}

// The status codes of the responses in a trace_msg log, in order.
export const finals = (log) => [...log.matchAll(/^SIP\/2\.0 (\d{3})/gm)].map((m) => Number(m[1]));

// The stack a SIP suite runs against: the whole platform (startStack with
// env), its HTTP client, sipp tools in a work directory of its own and the
// trunk "carrier" (trunk: its body, as the admin API takes it). line(size,
// channel): a new team of size on a channel of its own (channel: more of
// its fields) with a number: {number, team}. close() kills the sipp still
// running, removes the work directory and stops the stack: what
// stack.stop() returned.
export async function sipStack({ admin, trunk, prefix, env = {} }) {
  const stack = await startStack({ CC_ADMIN_TOKEN: admin, CC_DEMO: '0', CC_LOG_LEVEL: process.env.CC_LOG_LEVEL ?? 'info', ...env });
  const http = apiClient(stack);
  const work = mkdtempSync(path.join(os.tmpdir(), `cc-${prefix}-`));
  const tools = sipTools(stack.ports.CC_SIP_PORT, work);
  const close = async () => {
    for (const p of tools.running) p.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
    return stack.stop();
  };
  const t = await http('PUT', '/trunks/carrier', trunk, admin);
  if (t.status !== 201) {
    await close();
    assert.fail(`the trunk: ${t.status} ${JSON.stringify(t.body)}`);
  }
  let numbers = 0;
  async function line(size = 1, channel = {}) {
    const team = await makeTeam(http, admin, size, channel, prefix);
    const number = `+8529${String(7000000 + ++numbers)}`;
    const r = await http('PUT', `/numbers/${number}`, { kind: 'local', channel_id: team.channel }, admin);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return { number, team };
  }
  return { stack, http, tools, work, trunk: t.body, line, close };
}
