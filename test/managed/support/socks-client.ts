// A minimal SOCKS5 client for tests, sending PT args the way tor does (RFC 1929 username,
// NUL password when the args fit in 255 bytes).
import { connect, type Socket } from 'node:net';
import { isIPv6 } from 'node:net';
import { clientArgsToSocksAuth, encodeClientArgs } from '../../../src/pt/args.js';
import { ipv4ToBytes, ipv6ToBytes } from '../../../src/net/ip-bytes.js';
import { readN } from '../../net/support/loopback.js';

export class SocksReplyError extends Error {
  constructor(readonly reply: number) {
    super(`SOCKS reply ${reply}`);
  }
}

/** Resolves with the tunnelled socket after reply 0, or rejects with SocksReplyError. */
export async function socksConnect(
  socksPort: number,
  target: { host: string; port: number },
  args?: ReadonlyMap<string, readonly string[]>,
): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port: socksPort });
  s.on('error', () => undefined);
  await new Promise<void>((res, rej) => {
    s.once('connect', () => res());
    s.once('error', rej);
  });
  try {
    if (args !== undefined && encodeClientArgs(args).length > 0) {
      s.write(Uint8Array.of(5, 1, 2));
      const choice = await readN(s, 2);
      if (choice[1] !== 2) throw new Error(`server chose method ${choice[1]}`);
      const { username, password } = clientArgsToSocksAuth(args);
      s.write(
        Buffer.concat([
          Uint8Array.of(1, username.length),
          username,
          Uint8Array.of(password.length),
          password,
        ]),
      );
      const st = await readN(s, 2);
      if (st[1] !== 0) throw new SocksReplyError(-1);
    } else {
      s.write(Uint8Array.of(5, 1, 0));
      await readN(s, 2);
    }
    const port = Uint8Array.of(target.port >> 8, target.port & 0xff);
    s.write(
      isIPv6(target.host)
        ? Buffer.concat([Uint8Array.of(5, 1, 0, 4), ipv6ToBytes(target.host), port])
        : Buffer.concat([Uint8Array.of(5, 1, 0, 1), ipv4ToBytes(target.host), port]),
    );
    const reply = await readN(s, 10, 30_000);
    if (reply[1] !== 0) throw new SocksReplyError(reply[1] ?? -1);
    return s;
  } catch (e) {
    s.destroy();
    throw e;
  }
}
