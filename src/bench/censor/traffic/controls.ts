import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import {
  createServer as createNetServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import { testServerChain } from '../certs.js';
import { connectTcp, readExactly, runAttempt } from './session.js';
import type { Endpoint, TrafficKind } from './types.js';

/**
 * Control traffic (censors.md §6.1): ordinary protocols through the same censors, so that the
 * matrix shows collateral damage next to what each censor catches.
 */

async function listen(server: Server | HttpServer): Promise<Endpoint> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { host: '127.0.0.1', port: (server.address() as AddressInfo).port };
}

function closer(server: Server | HttpServer, sockets: Set<Socket>): () => Promise<void> {
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  return async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
}

/** Reads an HTTP/1.1 response with Content-Length from a stream; checks status and size. */
async function readHttpResponse(stream: Duplex, signal: AbortSignal): Promise<number> {
  let head = Buffer.alloc(0);
  for (;;) {
    head = Buffer.concat([head, await readExactly(stream, 1, signal)]);
    if (head.length > 16384) throw new Error('response head too long');
    if (head.subarray(-4).toString('latin1') === '\r\n\r\n') break;
  }
  const text = head.toString('latin1');
  if (!/^HTTP\/1\.[01] 200 /.test(text)) throw new Error(`bad response: ${text.split('\r\n')[0]}`);
  const m = /\r\ncontent-length: *(\d+)/i.exec(text);
  const len = m ? Number(m[1]) : 0;
  await readExactly(stream, len, signal);
  return head.length + len;
}

function httpRequest(host: string, bytes: number): string {
  return `GET /bytes/${bytes} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: steppe-bench\r\nConnection: close\r\n\r\n`;
}

function handler(
  req: { url?: string },
  res: { setHeader(k: string, v: string): void; end(b: Buffer): void },
): void {
  const n = Math.min(Number(/^\/bytes\/(\d+)$/.exec(req.url ?? '')?.[1] ?? 0), 1 << 20);
  res.setHeader('content-type', 'application/octet-stream');
  res.end(randomBytes(n));
}

export interface HttpsControlOptions {
  readonly version: '1.2' | '1.3';
  /** The name the server's certificate carries and the client sends as SNI. */
  readonly sni?: string;
  /** The client also trusts the bench's national root (it "installed the security certificate"). */
  readonly trustNationalRoot?: boolean;
  readonly id?: string;
  readonly label?: string;
}

/** HTTPS control: a TLS 1.2 or 1.3 GET of `bytes` bytes from a server with a test-CA chain. */
export function httpsControl(o: HttpsControlOptions): TrafficKind {
  // .org: www.<letters>.com would match Tor's SNI pattern and be collateral in tor-tls-CH.
  const sni = o.sni ?? 'www.example.org';
  const v = o.version === '1.2' ? 'TLSv1.2' : 'TLSv1.3';
  return {
    id: o.id ?? `https${o.version.replace('.', '')}`,
    label: o.label ?? `control HTTPS TLS ${o.version}`,
    group: 'control',
    available: () => Promise.resolve(true),
    async start(env) {
      const chain = await testServerChain([sni]);
      // The server accepts 1.2 and 1.3 (a real site does); the client pins the version.
      const server = createHttpsServer(
        { key: chain.leaf.keyPem, cert: chain.leaf.certPem },
        handler,
      );
      server.on('tlsClientError', () => {});
      const close = closer(server, new Set());
      const target = await listen(server);
      const ca = [
        chain.ca.certPem,
        ...(o.trustNationalRoot && env?.nationalRootPem ? [env.nationalRootPem] : []),
      ];
      return {
        target,
        description: `SNI ${sni}${o.trustNationalRoot ? ', client trusts the national root' : ''}`,
        attempt: (via, a) =>
          runAttempt(a.timeoutMs, async ({ signal, stage, own, count }) => {
            const sock = await connectTcp(via, { signal, localAddress: a.localAddress });
            own(sock);
            stage('handshake');
            const tls = tlsConnect({
              socket: sock,
              servername: sni,
              ca,
              minVersion: v,
              maxVersion: v,
            });
            own(tls);
            await new Promise<void>((resolve, reject) => {
              tls.once('secureConnect', resolve);
              tls.once('error', reject);
              signal.addEventListener('abort', () => reject(new Error('TLS handshake stalled')), {
                once: true,
              });
            });
            stage('data');
            const req = httpRequest(sni, a.bytes ?? 32 * 1024);
            tls.write(req);
            count(req.length, await readHttpResponse(tls, signal));
          }),
        close,
      };
    },
  };
}

/** Plain HTTP control: GET of `bytes` bytes. */
export function httpControl(): TrafficKind {
  return {
    id: 'http',
    label: 'control HTTP',
    group: 'control',
    available: () => Promise.resolve(true),
    async start() {
      const server = createHttpServer(handler);
      const close = closer(server, new Set());
      const target = await listen(server);
      return {
        target,
        attempt: (via, a) =>
          runAttempt(a.timeoutMs, async ({ signal, stage, own, count }) => {
            const sock = await connectTcp(via, { signal, localAddress: a.localAddress });
            own(sock);
            stage('data');
            const req = httpRequest('www.example.com', a.bytes ?? 32 * 1024);
            sock.write(req);
            count(req.length, await readHttpResponse(sock, signal));
          }),
        close,
      };
    },
  };
}

export const SSH_SERVER_BANNER = 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n';
export const SSH_CLIENT_BANNER = 'SSH-2.0-OpenSSH_9.6p1 steppe-bench\r\n';

/** An SSH binary packet carrying a KEXINIT (message 20) with ordinary algorithm names. */
export function sshKexinit(): Buffer {
  const names = [
    'curve25519-sha256,ecdh-sha2-nistp256',
    'ssh-ed25519,rsa-sha2-512',
    'chacha20-poly1305@openssh.com,aes128-ctr',
    'chacha20-poly1305@openssh.com,aes128-ctr',
    'hmac-sha2-256-etm@openssh.com',
    'hmac-sha2-256-etm@openssh.com',
    'none',
    'none',
    '',
    '',
  ];
  const parts: Buffer[] = [Buffer.from([20]), randomBytes(16)];
  for (const n of names) {
    const b = Buffer.from(n, 'latin1');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    parts.push(len, b);
  }
  parts.push(Buffer.from([0, 0, 0, 0, 0]));
  const payload = Buffer.concat(parts);
  let pad = 8 - ((payload.length + 5) % 8);
  if (pad < 4) pad += 8;
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length + pad + 1);
  head[4] = pad;
  return Buffer.concat([head, payload, randomBytes(pad)]);
}

/** SSH control: the server's banner, the client's banner, the server's KEXINIT. */
export function sshControl(): TrafficKind {
  return {
    id: 'ssh',
    label: 'control SSH banner',
    group: 'control',
    available: () => Promise.resolve(true),
    async start() {
      const server = createNetServer((s) => {
        s.on('error', () => {});
        s.write(SSH_SERVER_BANNER);
        const ac = new AbortController();
        const t = setTimeout(() => ac.abort(), 30_000);
        readExactly(s, SSH_CLIENT_BANNER.length, ac.signal).then(
          (b) => {
            clearTimeout(t);
            if (b.toString('latin1').startsWith('SSH-2.0-')) s.end(sshKexinit());
            else s.destroy();
          },
          () => s.destroy(),
        );
      });
      const close = closer(server, new Set());
      const target = await listen(server);
      return {
        target,
        attempt: (via, a) =>
          runAttempt(a.timeoutMs, async ({ signal, stage, own, count }) => {
            const sock = await connectTcp(via, { signal, localAddress: a.localAddress });
            own(sock);
            stage('handshake');
            const banner = await readExactly(sock, SSH_SERVER_BANNER.length, signal);
            if (banner.toString('latin1') !== SSH_SERVER_BANNER)
              throw new Error('bad server banner');
            sock.write(SSH_CLIENT_BANNER);
            stage('data');
            const head = await readExactly(sock, 6, signal);
            if (head[5] !== 20) throw new Error('no KEXINIT');
            const rest = await readExactly(sock, head.readUInt32BE(0) - 2, signal);
            count(SSH_CLIENT_BANNER.length, banner.length + head.length + rest.length);
          }),
        close,
      };
    },
  };
}

/**
 * random200: 200 uniformly random bytes to a sink that never answers, the FET positive control
 * of the gfw-report artifact. Success = the sink received all 200 bytes.
 */
export function random200Control(): TrafficKind {
  return {
    id: 'random200',
    label: 'control random200',
    group: 'control',
    available: () => Promise.resolve(true),
    async start() {
      const waiting = new Map<string, () => void>();
      const server = createNetServer((s) => {
        s.on('error', () => {});
        let buf = Buffer.alloc(0);
        s.on('data', (d: Buffer) => {
          buf = Buffer.concat([buf, d]);
          if (buf.length >= 200) waiting.get(buf.subarray(0, 16).toString('hex'))?.();
        });
      });
      const close = closer(server, new Set());
      const target = await listen(server);
      return {
        target,
        attempt: (via, a) =>
          runAttempt(a.timeoutMs, async ({ signal, stage, own, count }) => {
            const sock = await connectTcp(via, { signal, localAddress: a.localAddress });
            own(sock);
            stage('data');
            const payload = randomBytes(200);
            const key = payload.subarray(0, 16).toString('hex');
            const arrived = new Promise<void>((resolve, reject) => {
              waiting.set(key, resolve);
              signal.addEventListener(
                'abort',
                () => reject(new Error('the sink never got the payload')),
                { once: true },
              );
            });
            sock.write(payload);
            try {
              await arrived;
            } finally {
              waiting.delete(key);
            }
            count(200, 0);
          }),
        close,
      };
    },
  };
}
