/**
 * A minimal SOCKS5 client (RFC 1928 CONNECT + RFC 1929 username/password), the way tor talks to a
 * managed client PT: the per-connection transport args ride in the username, and the password is
 * a single NUL byte when they fit in 255 bytes (pt-spec §3.5). Messages are not pipelined, as tor
 * does not pipeline them either, so setup latency includes every round trip a real client pays.
 */
import { connect, type Socket } from 'node:net';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** Escapes `\`, `=` and `;` in a value and joins k=v pairs with `;` (pt-spec §3.5). */
export function encodeClientArgs(args: Record<string, string | number>): string {
  const esc = (s: string): string => s.replace(/[\\=;]/g, (c) => `\\${c}`);
  return Object.entries(args)
    .map(([k, v]) => `${esc(k)}=${esc(String(v))}`)
    .join(';');
}

function readExact(sock: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      sock.removeListener('readable', tryRead);
      sock.removeListener('end', onEnd);
      sock.removeListener('error', onError);
      sock.removeListener('close', onEnd);
    };
    const tryRead = (): void => {
      const b = sock.read(n) as Buffer | null;
      if (b !== null) {
        cleanup();
        resolve(b);
      }
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error('socks: connection closed during negotiation'));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    sock.on('readable', tryRead);
    sock.once('end', onEnd);
    sock.once('close', onEnd);
    sock.once('error', onError);
    tryRead();
  });
}

/**
 * Connects through the SOCKS5 proxy `socks` to the IPv4 `dest`, authenticating with `args`.
 * Resolves with the socket paused and positioned at the first byte of the tunnelled stream (the
 * PT answers CONNECT only after its obfs4 handshake). Rejects after `timeoutMs`.
 */
export function socksDial(
  socks: Endpoint,
  dest: Endpoint,
  args: string,
  timeoutMs = 15_000,
): Promise<Socket> {
  const sock = connect({ host: socks.host, port: socks.port, noDelay: true });
  const timer = setTimeout(() => sock.destroy(new Error('socks: timed out')), timeoutMs);
  const run = async (): Promise<Socket> => {
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    // No args (obfs3): "no authentication", as tor asks; RFC 1929 has no empty username.
    const wanted = args === '' ? 0 : 2;
    sock.write(Buffer.from([5, 1, wanted]));
    const method = await readExact(sock, 2);
    if (method[0] !== 5 || method[1] !== wanted)
      throw new Error(`socks: server refused method ${wanted}`);
    if (wanted === 2) {
      const raw = Buffer.from(args, 'utf8');
      let user = raw;
      let pass = Buffer.from([0]);
      if (raw.length > 255) {
        // Longer strings are split across UNAME and PASSWD, which the PT concatenates.
        user = raw.subarray(0, 255);
        pass = raw.subarray(255);
        if (pass.length > 255) throw new Error('socks: transport args exceed 510 bytes');
      }
      sock.write(
        Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([pass.length]), pass]),
      );
      const auth = await readExact(sock, 2);
      if (auth[1] !== 0) throw new Error(`socks: authentication refused (${auth[1]})`);
    }
    const req = Buffer.alloc(10);
    req.set([5, 1, 0, 1]);
    const octets = dest.host.split('.').map(Number);
    if (octets.length !== 4) throw new Error(`socks: ${dest.host} is not an IPv4 address`);
    req.set(octets, 4);
    req.writeUInt16BE(dest.port, 8);
    sock.write(req);
    const head = await readExact(sock, 4);
    if (head[1] !== 0) throw new Error(`socks: CONNECT failed with reply ${head[1]}`);
    const atyp = head[3];
    const rest = atyp === 1 ? 6 : atyp === 4 ? 18 : -1;
    if (rest < 0) throw new Error(`socks: unexpected reply address type ${atyp}`);
    await readExact(sock, rest);
    return sock;
  };
  return run().then(
    (s) => {
      clearTimeout(timer);
      return s;
    },
    (err: unknown) => {
      clearTimeout(timer);
      sock.destroy();
      throw err;
    },
  );
}
