// A WebSocket client for tests: opens a socket and collects its JSON messages.
// The token travels as a subprotocol, "bearer.<token>" beside "cc.v1", as a
// browser sends it (docs/api.md): never in the URL.
import WebSocket from 'ws';

// opts: options of the ws package (localAddress, origin, headers, ...).
export function connect(url, token = null, opts = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, token ? ['cc.v1', `bearer.${token}`] : ['cc.v1'], opts);
    const box = { ws, messages: [], closed: false, code: null, reason: null };
    ws.on('message', (d) => box.messages.push(JSON.parse(d.toString())));
    ws.on('close', (code, reason) => {
      box.closed = true;
      box.code = code;
      box.reason = reason.toString();
    });
    ws.on('open', () => resolve(box));
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode} ${body}`),
        { status: res.statusCode, body: body ? JSON.parse(body) : null })));
    });
    ws.on('error', reject);
  });
}

// The first message of a type (and matching pred) the socket got, if any.
export const find = (box, type, pred = () => true) => box.messages.find((m) => m.type === type && pred(m));
