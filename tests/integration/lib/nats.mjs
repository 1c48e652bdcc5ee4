// The smallest NATS client a test needs: publish raw bytes (optionally with
// headers) on a subject, over the plain text protocol. Used to send what a
// real client library would refuse to build (malformed protobuf).
import net from 'node:net';

export function natsPublish(port, subject, payload, headers = null) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    sock.on('error', reject);
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('INFO ') && !sock.sentAll) {
        sock.sentAll = true;
        const body = Buffer.from(payload);
        const parts = [Buffer.from('CONNECT {"verbose":false,"headers":true}\r\n')];
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
