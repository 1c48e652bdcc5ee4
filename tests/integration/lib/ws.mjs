// A WebSocket client for tests: opens a socket and collects its JSON messages.
import WebSocket from 'ws';

export function connect(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const box = { ws, messages: [], closed: false };
    ws.on('message', (d) => box.messages.push(JSON.parse(d.toString())));
    ws.on('close', () => { box.closed = true; });
    ws.on('open', () => resolve(box));
    ws.on('unexpected-response', (req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.on('error', reject);
  });
}

// The first message of a type (and matching pred) the socket got, if any.
export const find = (box, type, pred = () => true) => box.messages.find((m) => m.type === type && pred(m));
