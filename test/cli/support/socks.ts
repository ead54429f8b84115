// A plain SOCKS5 client ("no authentication", CONNECT) as applications use a SOCKS front:
// IPv4, IPv6 and host-name targets. Resolves with the connected socket, rejects with the reply.
import { connect, isIPv4, isIPv6, type Socket } from 'node:net';

function readExactly(s: Socket, n: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(
      () => finish(new Error(`socks: no ${n}-byte answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
    const finish = (err: Error | null, out?: Buffer): void => {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('close', onClose);
      s.off('error', onError);
      s.pause();
      if (err !== null) reject(err);
      else resolve(out ?? Buffer.alloc(0));
    };
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= n) {
        finish(null, buf.subarray(0, n));
        // after finish(): no data listener and paused, so unshift does not re-enter
        if (buf.length > n) s.unshift(buf.subarray(n));
      }
    };
    const onClose = (): void =>
      finish(new Error(`socks: closed after ${buf.length} of ${n} bytes`));
    const onError = (e: Error): void => finish(e);
    s.on('data', onData);
    s.once('close', onClose);
    s.once('error', onError);
    s.resume();
  });
}

function encodeTarget(host: string, port: number): Buffer {
  const p = Buffer.of(port >> 8, port & 0xff);
  if (isIPv4(host))
    return Buffer.concat([Buffer.of(1), Buffer.from(host.split('.').map(Number)), p]);
  if (isIPv6(host)) {
    const url = new URL(`http://[${host}]/`).hostname.slice(1, -1);
    const halves = url.split('::');
    const words = (s: string): number[] =>
      s === '' ? [] : s.split(':').map((w) => parseInt(w, 16));
    const head = words(halves[0] ?? '');
    const tail = words(halves[1] ?? '');
    const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
    const b = Buffer.alloc(16);
    all.forEach((w, i) => b.writeUInt16BE(w, 2 * i));
    return Buffer.concat([Buffer.of(4), b, p]);
  }
  const name = Buffer.from(host);
  return Buffer.concat([Buffer.of(3, name.length), name, p]);
}

export async function socks5(
  proxyPort: number,
  host: string,
  port: number,
  timeoutMs = 30_000,
): Promise<Socket> {
  const s = connect({ port: proxyPort, host: '127.0.0.1', allowHalfOpen: true });
  await new Promise<void>((r, j) => s.once('connect', r).once('error', j));
  try {
    s.write(Buffer.of(5, 1, 0));
    const m = await readExactly(s, 2, timeoutMs);
    if (m[1] !== 0) throw new Error(`socks: proxy chose method ${m[1]}`);
    s.write(Buffer.concat([Buffer.of(5, 1, 0), encodeTarget(host, port)]));
    const head = await readExactly(s, 4, timeoutMs);
    if (head[1] !== 0)
      throw Object.assign(new Error(`socks: reply code ${head[1]}`), { reply: head[1] });
    const atyp = head[3];
    const rest = atyp === 1 ? 6 : atyp === 4 ? 18 : (await readExactly(s, 1, timeoutMs))[0]! + 2;
    await readExactly(s, rest, timeoutMs);
    return s;
  } catch (e) {
    s.destroy();
    throw e;
  }
}
