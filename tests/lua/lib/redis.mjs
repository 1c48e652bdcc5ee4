// A private redis-server for one test file (loopback, a free port, a
// throwaway directory, no persistence) and a tiny RESP2 client over
// node:net: commands go out as arrays of bulk strings, replies come back as
// strings, integers, arrays and null; an error reply rejects with RedisError.
//
// The server has the users of production (deploy/gen-secrets renders
// deploy/redis/users.acl.in with fresh passwords): the steps run as the
// services' user cc, whose ACL they must live within (its keys, its
// commands); the suite sets up and inspects state as the administrator,
// Redis's default user.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, repo, sleep } from '../../integration/lib/stack.mjs';

export class RedisError extends Error {}

// One complete reply at buf[at..], as [value, next offset], or null when the
// buffer does not hold all of it yet.
function parse(buf, at) {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return null;
  const head = buf.toString('utf8', at + 1, eol);
  const next = eol + 2;
  switch (String.fromCharCode(buf[at])) {
    case '+': return [head, next];
    case '-': return [new RedisError(head), next];
    case ':': return [Number(head), next];
    case '$': {
      const n = Number(head);
      if (n < 0) return [null, next];
      if (buf.length < next + n + 2) return null;
      return [buf.toString('utf8', next, next + n), next + n + 2];
    }
    case '*': {
      const n = Number(head);
      if (n < 0) return [null, next];
      const out = [];
      let pos = next;
      for (let i = 0; i < n; i++) {
        const r = parse(buf, pos);
        if (r === null) return null;
        out.push(r[0]);
        pos = r[1];
      }
      return [out, pos];
    }
    default:
      throw new Error(`not RESP at byte ${at}: ${buf.toString('utf8', at, at + 40)}`);
  }
}

function encode(args) {
  const parts = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

// A connection, logged in as auth ({user, pass}) when given; replies arrive
// in the order the commands were sent.
export async function connect(port, auth = null) {
  const sock = net.connect({ host: '127.0.0.1', port });
  await new Promise((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  const waiting = [];
  let buf = Buffer.alloc(0);
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const r = parse(buf, 0);
      if (r === null) break;
      buf = buf.subarray(r[1]);
      const w = waiting.shift();
      if (r[0] instanceof RedisError) w.reject(r[0]);
      else w.resolve(r[0]);
    }
  });
  sock.on('error', (e) => { while (waiting.length) waiting.shift().reject(e); });
  const c = {
    call: (...args) => new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      sock.write(encode(args));
    }),
    close: () => sock.end(),
  };
  if (auth) {
    try {
      await c.call('AUTH', auth.user, auth.pass);
    } catch (e) {
      c.close();
      throw e;
    }
  }
  return c;
}

// Fresh users and passwords: {acl: the ACL file's text, cc, admin: {user, pass}}.
function makeUsers() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cc-lua-secrets-'));
  try {
    execFileSync(path.join(repo, 'deploy/gen-secrets'), [dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    const pass = (u) => readFileSync(path.join(dir, `redis-${u}`), 'utf8').trim();
    return {
      aclFile: readFileSync(path.join(dir, 'redis-users.acl'), 'utf8'),
      cc: { user: 'cc', pass: pass('cc') },
      admin: { user: 'default', pass: pass('default') },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Starts redis-server; returns { port, call, service, connectService, stop }:
// call is the admin's connection, service a connection of the user cc and
// connectService() opens another. A port taken between choosing it and
// binding it is simply tried again with another.
export async function startRedis() {
  let out = '';
  const users = makeUsers();
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    // its own directory, though with no persistence it writes nothing there:
    // removed once the server runs, so nothing is left whatever happens next
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cc-lua-redis-'));
    const aclFile = path.join(dir, 'users.acl');
    writeFileSync(aclFile, users.aclFile);
    // setpriv --pdeathsig: the server dies with this process however it
    // ends (killed by the test runner, its output pipe closed, ...)
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', 'redis-server', '--bind', '127.0.0.1',
      '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no', '--aclfile', aclFile],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    let exited = false;
    child.on('exit', () => { exited = true; });
    for (const s of [child.stdout, child.stderr]) s.on('data', (d) => { out = (out + d).slice(-4000); });
    for (let i = 0; i < 100 && !exited; i++) {
      let c;
      let svc;
      try {
        c = await connect(port, users.admin);
        await c.call('PING');
        svc = await connect(port, users.cc);
        rmSync(dir, { recursive: true, force: true });
        return {
          port,
          call: c.call,
          service: svc,
          connectService: () => connect(port, users.cc),
          stop: async () => {
            c.close();
            svc.close();
            if (!exited) {
              const gone = new Promise((r) => child.once('exit', r));
              child.kill('SIGTERM');
              await gone;
            }
          },
        };
      } catch {
        c?.close();
        svc?.close();
        await sleep(50);
      }
    }
    if (!exited) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  throw new Error(`redis-server did not start:\n${out}`);
}
