// The smallest NATS client a test needs: publish raw bytes (optionally with
// headers) on a subject, request/reply, and answer a subject, over the plain
// text protocol. Used to send what a real client library would refuse to
// build (malformed protobuf) and replies a real service never sends.
//
// The server requires a login: `port` is either a port number, and the
// client logs in with the credentials registered for that port
// (setNatsAuth: the test stack registers its NATS user admin), or
// {port, user, pass} to log in as someone else ({port} alone: anonymously).
import net from 'node:net';

const registered = new Map(); // port -> {user, pass}

// Registers the credentials the helpers use for a server's port.
export function setNatsAuth(port, creds) {
  registered.set(Number(port), creds);
}

// {port, creds} of a `port` argument.
function target(port) {
  if (typeof port === 'object' && port !== null) {
    return { port: port.port, creds: port.user ? { user: port.user, pass: port.pass } : null };
  }
  return { port, creds: registered.get(Number(port)) ?? null };
}

// The CONNECT line of a client logging in as creds (null: anonymously).
export function connectLine(creds, opts = {}) {
  const o = { verbose: false, pedantic: false, ...opts };
  if (creds) {
    o.user = creds.user;
    o.pass = creds.pass;
  }
  return `CONNECT ${JSON.stringify(o)}\r\n`;
}

// The CONNECT line for a `port` argument and its port.
export function connectTo(port, opts = {}) {
  const t = target(port);
  return { port: t.port, line: connectLine(t.creds, opts), user: t.creds?.user ?? null };
}

export function natsPublish(to, subject, payload, headers = null) {
  const { port, line } = connectTo(to, { headers: true });
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    sock.on('error', reject);
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('INFO ') && !sock.sentAll) {
        sock.sentAll = true;
        const body = Buffer.from(payload);
        const parts = [Buffer.from(line)];
        if (headers) {
          let h = 'NATS/1.0\r\n';
          for (const [k, v] of Object.entries(headers)) h += `${k}: ${v}\r\n`;
          h += '\r\n';
          const hb = Buffer.from(h);
          parts.push(Buffer.from(`HPUB ${subject} ${hb.length} ${hb.length + body.length}\r\n`), hb);
        } else {
          parts.push(Buffer.from(`PUB ${subject} ${body.length}\r\n`));
        }
        parts.push(body, Buffer.from('\r\nPING\r\n'));
        sock.write(Buffer.concat(parts));
      }
      if (buf.includes('PONG')) {
        sock.end();
        resolve();
      }
      if (buf.includes('-ERR')) {
        sock.destroy();
        reject(new Error(buf));
      }
    });
  });
}

// Publishes every [subject, payload] of messages, in order, on one
// connection; resolves once the server has them all (a PING/PONG after them).
export function natsPublishAll(to, messages) {
  const { port, line } = connectTo(to);
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    let sent = false;
    sock.on('error', reject);
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('INFO ') && !sent) {
        sent = true;
        sock.write(line);
        for (const [subject, payload] of messages) {
          const body = Buffer.from(payload);
          sock.write(Buffer.concat([Buffer.from(`PUB ${subject} ${body.length}\r\n`), body, Buffer.from('\r\n')]));
        }
        sock.write('PING\r\n');
      }
      if (buf.includes('PONG')) {
        sock.end();
        resolve();
      }
      if (buf.includes('-ERR')) {
        sock.destroy();
        reject(new Error(buf));
      }
    });
  });
}

// A request over the plain protocol: publishes payload on subject with a
// fresh reply inbox and resolves to the first reply's payload (a Buffer);
// rejects after timeoutMs. Enough for the JetStream API ($JS.API.*).
export function natsRequest(to, subject, payload = '', timeoutMs = 5000) {
  const { port, line, user } = connectTo(to);
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    // under the user's own inbox prefix, as the services' (cc_bus.c)
    const inbox = `_INBOX.${user ?? 'test'}.${Math.random().toString(36).slice(2)}`;
    let buf = Buffer.alloc(0);
    let sent = false;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no reply to ${subject} in ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!sent && buf.includes('INFO ')) {
        sent = true;
        const body = Buffer.from(payload);
        sock.write(Buffer.concat([
          Buffer.from(`${line}SUB ${inbox} 1\r\nPUB ${subject} ${inbox} ${body.length}\r\n`),
          body, Buffer.from('\r\n'),
        ]));
      }
      // MSG <subject> <sid> <size>\r\n<payload>\r\n
      const at = buf.indexOf(`MSG ${inbox} `);
      if (at < 0) return;
      const eol = buf.indexOf('\r\n', at);
      if (eol < 0) return;
      const size = Number(buf.subarray(at, eol).toString().split(' ').pop());
      if (buf.length < eol + 2 + size) return;
      clearTimeout(timer);
      sock.end();
      resolve(buf.subarray(eol + 2, eol + 2 + size));
    });
  });
}

// A responder over the plain protocol: subscribes to subject (optionally in
// a queue group) and answers every request with reply(payload, subject), a
// Buffer or a Promise of one (to answer late); null: no answer. Resolves once the server has the subscription (after a PING/PONG
// round), to {requests: [subjects seen], close()}. Used to answer a service
// subject from the test itself, with what the real service never sends.
export function natsResponder(to, subject, reply, queue = '') {
  const { port, line: connect } = connectTo(to);
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const requests = [];
    let buf = Buffer.alloc(0);
    let state = 'info';
    sock.on('error', (e) => (state === 'ready' ? null : reject(e)));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const eol = buf.indexOf('\r\n');
        if (eol < 0) return;
        const line = buf.subarray(0, eol).toString();
        if (line.startsWith('MSG ')) {
          // MSG <subject> <sid> [reply-to] <size>
          const parts = line.split(' ');
          const size = Number(parts[parts.length - 1]);
          if (buf.length < eol + 2 + size + 2) return;
          const payload = buf.subarray(eol + 2, eol + 2 + size);
          buf = buf.subarray(eol + 2 + size + 2);
          const replyTo = parts.length === 5 ? parts[3] : null;
          requests.push(parts[1]);
          if (replyTo) {
            Promise.resolve(reply(payload, parts[1])).then((b) => {
              if (b === null || b === undefined) return;
              const out = Buffer.from(b);
              if (!sock.destroyed) sock.write(Buffer.concat([Buffer.from(`PUB ${replyTo} ${out.length}\r\n`), out, Buffer.from('\r\n')]));
            });
          }
          continue;
        }
        buf = buf.subarray(eol + 2);
        if (line.startsWith('INFO ') && state === 'info') {
          state = 'sub';
          sock.write(`${connect}SUB ${subject}${queue ? ` ${queue}` : ''} 1\r\nPING\r\n`);
        } else if (line === 'PONG' && state === 'sub') {
          state = 'ready';
          resolve({ requests, close: () => sock.destroy() });
        } else if (line === 'PING') {
          sock.write('PONG\r\n');
        } else if (line.startsWith('-ERR')) {
          sock.destroy();
          if (state !== 'ready') reject(new Error(line));
        }
      }
    });
  });
}
