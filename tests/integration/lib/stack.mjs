// Starts the real local stack (tools/dev/stack: nats-server -js, redis-server,
// PostgreSQL and the six services) on free loopback ports in a temporary run
// directory, for one test file. Nothing here mocks a server.
//
// The bus is authenticated (deploy/gen-secrets, in the run directory's
// secrets/): the tests' own NATS clients (lib/nats.mjs) log in as the NATS
// user admin, which may publish and subscribe anything, to inject and observe
// bus traffic; stack.redisCli is redis-cli as Redis's default user, the
// administrator; ccctl
// runs as the NATS user ccctl (stack.serviceEnv) and an extra service process
// as its own user (stack.envFor(service)).
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setNatsAuth } from './nats.mjs';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const binDir = process.env.CC_BIN_DIR
  ? path.resolve(repo, process.env.CC_BIN_DIR)
  : path.join(repo, 'build/asan/bin');
export const SERVICES = ['gateway', 'ingress', 'queue', 'presence', 'media', 'calllog'];

// A free loopback port below the kernel's ephemeral range. A port from
// listen(0) lies inside that range, where, once its server is killed for a
// restart, an outgoing connection (a service reconnecting, a client) may be
// given it as its own local port and the restarted server cannot bind.
const [EPHEMERAL_LOW] = (() => {
  try {
    return readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  } catch {
    return [32768];
  }
})();
const PORT_LOW = 10000;
const PORT_HIGH = Math.max(PORT_LOW + 1000, Math.min(EPHEMERAL_LOW, 65536)); // exclusive
const handedOut = new Set(); // never the same port twice from one process
const tryListen = (port) => new Promise((resolve) => {
  const srv = net.createServer();
  srv.unref();
  srv.on('error', () => resolve(false));
  srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
});
export async function freePort() {
  for (let i = 0; i < 200; i++) {
    const port = PORT_LOW + Math.floor(Math.random() * (PORT_HIGH - PORT_LOW));
    if (handedOut.has(port) || !(await tryListen(port)) || (await listening(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free loopback port in ${PORT_LOW}..${PORT_HIGH - 1}`);
}

// Whether something accepts TCP connections on 127.0.0.1:port.
export function listening(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port }, () => {
      sock.destroy();
      resolve(true);
    });
    sock.on('error', () => resolve(false));
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Resolves to value after ms without keeping the process alive (for races).
export const timeout = (ms, value = null) =>
  new Promise((r) => setTimeout(() => r(value), ms).unref());

// Polls fn until it returns a truthy value or timeoutMs passes.
export async function until(fn, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})`);
}

export async function startStack(extraEnv = {}) {
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'cc-it-'));
  chmodSync(runDir, 0o755); // PostgreSQL runs as the postgres user and must reach it
  const ports = {
    CC_NATS_PORT: await freePort(),
    CC_NATS_MONITOR_PORT: await freePort(),
    CC_REDIS_PORT: await freePort(),
    CC_PG_PORT: await freePort(),
    CC_HTTP_PORT: await freePort(),
    CC_SIP_PORT: await freePort(), // UDP and TCP (ingress)
  };
  const env = {
    ...process.env,
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    CC_RUN_DIR: runDir,
    CC_BIN_DIR: binDir,
    CC_RESTART_DELAY_MS: '3000',
    CC_CONNECT_TIMEOUT_MS: '20000',
    // The gateway's admission limits (README.md, Configuration) are sized
    // for real clients: 30 enquiries a minute from one address, 10 logins
    // per account in 5 minutes. The suites are one client on 127.0.0.1
    // doing far more on purpose (faults.test.mjs creates 50 enquiries/s for
    // 24 s and retries them; race.test.mjs 200 rounds; the routing bench in
    // tools/bench/routing 300/s and 1,200 logins), so every stack here gets
    // buckets they fit in: still checked in Redis on every request, never
    // reached. ratelimit.test.mjs sets its own small ones.
    CC_RATE_ENQUIRY_ADDRESS: '1000000/60',
    CC_RATE_ENQUIRY_CHANNEL: '1000000/60',
    CC_RATE_CHAT_VISITOR: '1000000/60',
    CC_RATE_CHAT_ADDRESS: '1000000/60',
    CC_RATE_LOGIN_ACCOUNT: '1000000/60',
    CC_RATE_LOGIN_ADDRESS: '1000000/60',
    ...extraEnv,
  };
  const proc = spawn(path.join(repo, 'tools/dev/stack'), ['up'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const exited = new Promise((r) => proc.on('exit', (code, sig) => r({ code, sig })));

  const url = await Promise.race([
    until(() => /READY (http:\S+)/.exec(out)?.[1], 180000, 'the stack to print READY'),
    exited.then(({ code }) => {
      throw new Error(`stack exited (${code}) before READY:\n${out}`);
    }),
  ]);

  // Kills the server whose pid is in pids/NAME.pid with signal, waits until
  // it is gone and its ports are closed (a killed process's other threads
  // may hold its sockets a while after its leader is a zombie), then starts
  // cmd in a session of its own, logging to log/NAME.log, until ready()
  // says it serves. A start that exits at once (its port not yet free) is
  // retried; after 60 s the error quotes the end of the log.
  async function restart(name, signal, portsOf, cmd, args, ready) {
    const pidFile = path.join(runDir, 'pids', `${name}.pid`);
    const logFile = path.join(runDir, 'log', `${name}.log`);
    const old = Number(readFileSync(pidFile, 'utf8').trim());
    if (!(old > 0)) throw new Error(`no ${name} pid`); // never pid 0: our own group
    try {
      process.kill(old, signal);
    } catch (e) {
      if (e.code !== 'ESRCH') throw e;
    }
    const gone = async () => {
      if (existsSync(`/proc/${old}`) && !/\) Z /.test(readFileSync(`/proc/${old}/stat`, 'utf8'))) return false;
      for (const p of portsOf) if (await listening(p)) return false;
      return true;
    };
    await until(gone, 60000, `${cmd} ${old} to exit after ${signal} and close its ports`);
    const end = Date.now() + 60000;
    for (let attempt = 1; ; attempt++) {
      const log = openSync(logFile, 'a');
      const child = spawn(cmd, args, { detached: true, stdio: ['ignore', log, log] }); // detached: its own session
      closeSync(log);
      child.unref();
      let exited = null;
      child.on('exit', (code, sig) => (exited = { code, sig }));
      writeFileSync(pidFile, `${child.pid}\n`);
      while (Date.now() < end && exited === null) {
        if (await ready().catch(() => false)) return child.pid;
        await sleep(100);
      }
      if (exited === null || Date.now() >= end) {
        const tail = readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
        throw new Error(`the restarted ${cmd} did not serve within 60 s (${attempt} starts); end of ${logFile}:\n${tail}`);
      }
      await sleep(250); // it exited (its port still taken?): start it again
    }
  }

  const secretsDir = path.join(runDir, 'secrets');
  const secret = (name) => readFileSync(path.join(secretsDir, name), 'utf8').trim();
  setNatsAuth(ports.CC_NATS_PORT, { user: 'admin', pass: secret('nats-admin') });
  const redisAdminEnv = { ...process.env, REDISCLI_AUTH: secret('redis-default') };
  const redisCli = (...args) => run('redis-cli', ['-p', String(ports.CC_REDIS_PORT), ...args], { env: redisAdminEnv });
  const baseEnv = {
    ...env,
    CC_NATS_URL: `nats://127.0.0.1:${ports.CC_NATS_PORT}`,
    CC_REDIS_URL: `redis://127.0.0.1:${ports.CC_REDIS_PORT}/0`,
    CC_PG_URL: `postgresql://cc@127.0.0.1:${ports.CC_PG_PORT}/cc`,
    CC_NATS_PASSWORD: '',
    CC_REDIS_USER: 'cc',
    CC_REDIS_PASSWORD: '',
    CC_REDIS_PASSWORD_FILE: path.join(secretsDir, 'redis-cc'),
  };
  // The environment of a process logging in as NATS user `user` (a service
  // name, or ccctl).
  const envAs = (user) => ({
    ...baseEnv,
    CC_NATS_USER: user,
    CC_NATS_PASSWORD_FILE: path.join(secretsDir, `nats-${user}`),
  });

  const stack = {
    url,
    runDir,
    env,
    ports,
    output: () => out,
    natsUrl: `nats://127.0.0.1:${ports.CC_NATS_PORT}`,
    // The bus's passwords (deploy/gen-secrets): secret('nats-gateway'), ...
    secretsDir,
    secret,
    // redis-cli as Redis's default user, the administrator (the password in
    // its environment).
    redisCli,
    pidOf: (inst) => Number(readFileSync(path.join(runDir, 'pids', `${inst}.pid`), 'utf8').trim()),
    log: (inst) => readFileSync(path.join(runDir, 'log', `${inst}.log`), 'utf8'),
    // Sends redis-server signal (SIGKILL: a crash; SIGTERM: a clean stop,
    // its AOF flushed), waits until it is gone and starts it again as
    // tools/dev/stack does (same flags, directory and log; keep in step with
    // start_redis there), plus extraArgs. Resolves when the new server
    // answers at all: it may still be LOADING its data. Its pid replaces the
    // old one in the run directory, so stop() stops it.
    async restartRedis({ signal = 'SIGKILL', extraArgs = [] } = {}) {
      const port = String(ports.CC_REDIS_PORT);
      return restart('redis', signal, [ports.CC_REDIS_PORT], 'redis-server',
        ['--bind', '127.0.0.1', '--port', port, '--dir', path.join(runDir, 'redis'),
          '--appendonly', 'yes', '--save', '', '--daemonize', 'no',
          '--aclfile', path.join(secretsDir, 'redis-users.acl'), ...extraArgs],
        async () => /PONG|LOADING/.test((await redisCli('PING')).stdout));
    },
    // The same for nats-server (keep in step with start_nats in
    // tools/dev/stack): resolves when the new server's JetStream is up.
    async restartNats({ signal = 'SIGKILL' } = {}) {
      const health = `http://127.0.0.1:${ports.CC_NATS_MONITOR_PORT}/healthz?js-enabled-only=true`;
      return restart('nats', signal, [ports.CC_NATS_PORT, ports.CC_NATS_MONITOR_PORT], 'nats-server',
        ['-c', path.join(secretsDir, 'nats.conf'), '-js', '-a', '127.0.0.1', '-p', String(ports.CC_NATS_PORT),
          '-m', String(ports.CC_NATS_MONITOR_PORT), '-sd', path.join(runDir, 'nats')],
        async () => (await fetch(health, { signal: AbortSignal.timeout(2000) }).catch(() => null))?.ok);
    },
    // The servers' URLs and the credentials of ccctl (NATS user ccctl) and
    // of the services' Redis user: for ccctl.
    serviceEnv: envAs('ccctl'),
    // The same for an extra process of service svc: its own NATS user.
    envFor: (svc) => envAs(svc),
    // Stops the stack; resolves {code, sig, sanitizer, stopped}: sanitizer
    // lists every ASan/LSan/UBSan/TSan report in the logs (then the logs are
    // kept, and the list ends with where), stopped the instances whose log
    // ends with a clean "stopped".
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const res = await Promise.race([exited, timeout(60000)]);
      if (res === null) proc.kill('SIGKILL');
      const sanitizer = sanitizerReports(path.join(runDir, 'log'));
      const stopped = readdirSync(path.join(runDir, 'log'))
        .filter((f) => /-\d+\.log$/.test(f))
        .filter((f) => readFileSync(path.join(runDir, 'log', f), 'utf8').trimEnd().endsWith('"msg":"stopped"}'))
        .map((f) => f.replace(/\.log$/, ''));
      if (process.env.CC_KEEP_RUN) {
        // CC_KEEP_RUN=1: the whole run directory stays, to read every log
      } else if (sanitizer.length === 0) {
        rmSync(runDir, { recursive: true, force: true });
      } else {
        // The first lines say what failed; the stacks are in the logs, kept
        // (and named in the list) for whoever reads the failure.
        for (const f of readdirSync(runDir).filter((n) => n !== 'log')) {
          rmSync(path.join(runDir, f), { recursive: true, force: true });
        }
        sanitizer.push(`full reports in ${path.join(runDir, 'log')}`);
      }
      return { ...(res ?? { code: 'timeout' }), sanitizer, stopped };
    },
  };
  return stack;
}

// The first line of a sanitizer report: ASan, LSan and UBSan print
// "ERROR: ...Sanitizer" (UBSan also "runtime error:"); ThreadSanitizer prints
// "WARNING: ThreadSanitizer: data race ..." (or lock-order-inversion, ...)
// and keeps running, so its reports are found only here.
export const SANITIZER_REPORT =
  /ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|(WARNING|ERROR|FATAL): ThreadSanitizer/;

// Lines of sanitizer reports (with their file) in every *.log of dir.
export function sanitizerReports(dir) {
  const found = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.log'))) {
    for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      if (SANITIZER_REPORT.test(line)) found.push(`${f}: ${line}`);
    }
  }
  return found;
}

// Runs a program to completion; resolves {code, signal, stdout, stderr}.
export function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

// A JSON client of the stack's /api/v1: (method, path, body, token) ->
// {status, body}. A string body is sent as it is (to send broken JSON).
export function apiClient(stack, defaultToken = null) {
  return async (method, p, body, token = defaultToken) => {
    const res = await fetch(`${stack.url}/api/v1${p}`, {
      method,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}

export async function getJson(url) {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}
