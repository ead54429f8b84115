import { connect, type Socket } from 'node:net';

/**
 * Reads exactly n bytes with the 'readable'/read(n) pattern. Unlike pause() in flowing mode, it
 * leaves the socket in its default state afterwards, so a later 'data' listener or pipe starts
 * the flow as usual and nothing after the reply is lost.
 */
function readExactly(s: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      s.off('readable', tryRead);
      s.off('error', onError);
      s.off('close', onClose);
    };
    const tryRead = (): void => {
      const b = s.read(n) as Buffer | null;
      if (b !== null) {
        cleanup();
        resolve(b);
      }
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error(`socks: closed before ${n} bytes arrived`));
    };
    s.on('readable', tryRead);
    s.once('error', onError);
    s.once('close', onClose);
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
  // Without args tor offers "no authentication" only (RFC 1929 has no empty username).
  const wanted = args === '' ? 0 : 2;
  s.write(Uint8Array.of(5, 1, wanted));
  const method = await readExactly(s, 2);
  if (method[1] !== wanted) throw new Error(`socks: proxy chose method ${method[1]}`);
  if (wanted === 2) {
    // pt-spec 3.5: args longer than 255 bytes spill into the password field
    const raw = Buffer.from(args);
    const user = raw.subarray(0, Math.min(255, raw.length));
    const pass = raw.length > 255 ? raw.subarray(255) : Buffer.from([0]);
    s.write(Buffer.concat([Buffer.of(1, user.length), user, Buffer.of(pass.length), pass]));
    const auth = await readExactly(s, 2);
    if (auth[1] !== 0) throw new Error(`socks: auth rejected (${auth[1]})`);
  }
  const ip = target.host.split('.').map(Number);
  s.write(Buffer.of(5, 1, 0, 1, ...ip, target.port >> 8, target.port & 0xff));
  const reply = await readExactly(s, 10);
  if (reply[1] !== 0) {
    s.destroy();
    throw Object.assign(new Error(`socks: reply code ${reply[1]}`), { socksReply: reply[1] });
  }
  return s;
}
