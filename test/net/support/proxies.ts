// The project's own small upstream proxies for tests and the tor testnet runs: a SOCKS5/SOCKS4a
// proxy built from steppe's serveSocks + connectTcp, and a minimal HTTP CONNECT proxy. Both
// listen on 127.0.0.1 only and record every CONNECT target they served.
import type { Socket } from 'node:net';
import { connectTcp } from '../../../src/net/proxy.js';
import { formatHostPort, parseHostPort, type HostPort } from '../../../src/net/address.js';
import { relay } from '../../../src/net/relay.js';
import { serveSocks } from '../../../src/socks/server.js';
import { SocksError, SocksReply } from '../../../src/socks/reply.js';
import { listenLocal } from './loopback.js';

export interface TestProxy {
  readonly port: number;
  /** `host:port` of every target the proxy connected to. */
  readonly targets: string[];
  /** Bytes relayed in both directions over all finished connections. */
  bytes(): number;
  close(): Promise<void>;
}

/**
 * SOCKS5 (and SOCKS4a) proxy. With `auth`, only those RFC 1929 credentials are let through
 * (SOCKS5) or that USERID (SOCKS4a).
 */
export async function startSocksProxy(
  opts: { auth?: { username: string; password: string } } = {},
): Promise<TestProxy> {
  const targets: string[] = [];
  let total = 0;
  const l = await listenLocal((s: Socket) => {
    serveSocks(s, {
      args: 'raw',
      requireAuth: opts.auth !== undefined,
      onConnect: async (req) => {
        if (opts.auth !== undefined) {
          const u = Buffer.from(req.credentials?.username ?? []).toString();
          const p = Buffer.from(req.credentials?.password ?? []).toString();
          const ok =
            req.version === 5
              ? u === opts.auth.username && p === opts.auth.password
              : u === opts.auth.username;
          if (!ok) throw new SocksError('bad credentials', SocksReply.notAllowed);
        }
        targets.push(formatHostPort(req.target));
        return connectTcp(req.target, { timeoutMs: 10_000 });
      },
    }).then(
      (sess) => (total += sess.relay.aToB + sess.relay.bToA),
      () => undefined,
    );
  });
  return { port: l.port, targets, bytes: () => total, close: l.close };
}

/** HTTP CONNECT proxy; with `auth`, requires that Basic Proxy-Authorization (else 407). */
export async function startHttpConnectProxy(
  opts: { auth?: { username: string; password: string } } = {},
): Promise<TestProxy> {
  const targets: string[] = [];
  let total = 0;
  const l = await listenLocal((s: Socket) => {
    s.on('error', () => undefined);
    let head = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      head = Buffer.concat([head, c]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16384) s.destroy();
        return;
      }
      s.off('data', onData);
      s.pause();
      const rest = head.subarray(end + 4);
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      const m = /^CONNECT (\S+) HTTP\/1\.[01]$/.exec(lines[0] ?? '');
      if (m === null) {
        s.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
        return;
      }
      if (opts.auth !== undefined) {
        const want = `Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString('base64')}`;
        const got = lines
          .find((x) => x.toLowerCase().startsWith('proxy-authorization:'))
          ?.slice(20)
          .trim();
        if (got !== want) {
          s.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n');
          return;
        }
      }
      let target: HostPort;
      try {
        target = parseHostPort(m[1] ?? '');
      } catch {
        s.end('HTTP/1.1 400 Bad Request\r\n\r\n');
        return;
      }
      targets.push(formatHostPort(target));
      connectTcp(target, { timeoutMs: 10_000 }).then(
        (up) => {
          s.write('HTTP/1.1 200 Connection established\r\n\r\n');
          if (rest.length > 0) up.write(rest);
          void relay(s, up).then((r) => (total += r.aToB + r.bToA));
        },
        () => s.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'),
      );
    };
    s.on('data', onData);
  });
  return { port: l.port, targets, bytes: () => total, close: l.close };
}
