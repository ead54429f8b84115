import { connect, type Socket } from 'node:net';

/** Reads exactly n bytes from a socket (test helper, bounded by the socket's own lifetime). */
function readExactly(s: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= n) {
        s.off('data', onData);
        s.off('error', reject);
        s.off('close', onClose);
        s.pause();
        if (buf.length > n) s.unshift(buf.subarray(n));
        resolve(buf.subarray(0, n));
      }
    };
    const onClose = (): void => reject(new Error(`socks: closed after ${buf.length} of ${n} bytes`));
    s.on('data', onData);
    s.once('error', reject);
    s.once('close', onClose);
    s.resume();
  });
}

/**
 * A minimal SOCKS5 client (RFC 1928 CONNECT to an IPv4 target, RFC 1929 auth carrying pt-spec
 * per-connection args), as tor uses it towards a PT's client listener. Resolves with the socket
 * once the proxy replied success; rejects with the reply code otherwise.
 */
export async function socks5Connect(
  proxyPort: number,
  target: { host: string; port: number },
  args: string,
): Promise<Socket> {
  const s = connect(proxyPort, '127.0.0.1');
  await new Promise<void>((r, j) => s.once('connect', r).once('error', j));
  s.write(Uint8Array.of(5, 1, 2));
  const method = await readExactly(s, 2);
  if (method[1] !== 2) throw new Error(`socks: proxy chose method ${method[1]}`);
  // pt-spec 3.5: args longer than 255 bytes spill into the password field
  const raw = Buffer.from(args);
  const user = raw.subarray(0, Math.min(255, raw.length));
  const pass = raw.length > 255 ? raw.subarray(255) : Buffer.from([0]);
  s.write(Buffer.concat([Buffer.of(1, user.length), user, Buffer.of(pass.length), pass]));
  const auth = await readExactly(s, 2);
  if (auth[1] !== 0) throw new Error(`socks: auth rejected (${auth[1]})`);
  const ip = target.host.split('.').map(Number);
  s.write(Buffer.of(5, 1, 0, 1, ...ip, target.port >> 8, target.port & 0xff));
  const reply = await readExactly(s, 10);
  if (reply[1] !== 0) {
    s.destroy();
    throw Object.assign(new Error(`socks: reply code ${reply[1]}`), { socksReply: reply[1] });
  }
  return s;
}
