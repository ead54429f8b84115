/**
 * Shared pieces of the webtunnel tests: a test CA with server certificates made with
 * @peculiar/x509 (the bench's certs.ts), a webtunnel server whose tunnels echo, a cover
 * directory, and a raw-socket prober that records every byte an endpoint answers.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  caExtensions,
  DAY,
  issue,
  serverExtensions,
  YEAR,
  type KeyedCert,
} from '../../../src/bench/censor/certs.js';
import type { PtError } from '../../../src/errors.js';
import { forwardedPeer } from '../../../src/transports/forwarded-peer.js';
import {
  webtunnel,
  type WebtunnelCreateServerOptions,
} from '../../../src/transports/webtunnel/index.js';

export const HOST = 'bridge.steppe.test';
export const SECRET = '/s3cret-Path_0';
export const COVER_HTML =
  '<!doctype html><html><head><title>Steppe Tea Room</title></head><body><h1>Steppe Tea Room</h1><p>Open daily.</p></body></html>\n';

export interface TestPki {
  ca: KeyedCert;
  leaf: KeyedCert;
  expired: KeyedCert;
  wrongHost: KeyedCert;
  dir: string;
  /** Files: ca.pem, leaf.pem (leaf + nothing else), leaf.key, expired.*, wrong.*. */
  file(name: string): string;
  cleanup(): void;
}

export async function makePki(): Promise<TestPki> {
  const now = Date.now();
  const ca = await issue({
    subject: 'C=US, O=steppe tests, CN=steppe webtunnel test CA',
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + YEAR),
    extensions: caExtensions(0),
  });
  const leafFor = (names: string[], from: number, to: number): Promise<KeyedCert> =>
    issue({
      subject: `CN=${names[0]}`,
      issuer: ca,
      notBefore: new Date(from),
      notAfter: new Date(to),
      extensions: serverExtensions(names),
    });
  const leaf = await leafFor([HOST, 'localhost'], now - DAY, now + 90 * DAY);
  const expired = await leafFor([HOST], now - 90 * DAY, now - DAY);
  const wrongHost = await leafFor(['elsewhere.steppe.test'], now - DAY, now + 90 * DAY);
  const dir = mkdtempSync(join(tmpdir(), 'steppe-webtunnel-pki-'));
  const write = (n: string, s: string): void => writeFileSync(join(dir, n), s);
  write('ca.pem', ca.certPem);
  write('leaf.pem', leaf.certPem);
  write('leaf.key', leaf.keyPem);
  write('chain.pem', leaf.certPem + ca.certPem);
  write('expired.pem', expired.certPem);
  write('expired.key', expired.keyPem);
  write('wrong.pem', wrongHost.certPem);
  write('wrong.key', wrongHost.keyPem);
  return {
    ca,
    leaf,
    expired,
    wrongHost,
    dir,
    file: (n) => join(dir, n),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A directory with an index.html and a style sheet: the cover site. */
export function makeCoverDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'steppe-webtunnel-cover-'));
  writeFileSync(join(dir, 'index.html'), COVER_HTML);
  writeFileSync(join(dir, 'style.css'), 'body { font-family: serif; }\n');
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface EchoBridge {
  port: number;
  failures: PtError[];
  /** The X-Forwarded-For client of each tunnel, or undefined. */
  forwarded: Array<string | undefined>;
  tunnels: number;
  close(): Promise<void>;
}

/** A webtunnel server on 127.0.0.1 whose tunnels echo. */
export async function echoBridge(
  opts: Omit<WebtunnelCreateServerOptions, 'stateDir'>,
): Promise<EchoBridge> {
  const stateDir = mkdtempSync(join(tmpdir(), 'steppe-webtunnel-state-'));
  const factory = await webtunnel.createServer({
    stateDir,
    url: `https://${HOST}${SECRET}`,
    ...opts,
  });
  const sockets = new Set<Socket>();
  const result: EchoBridge = {
    port: 0,
    failures: [],
    forwarded: [],
    tunnels: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await factory.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
    factory.accept(sock).then(
      (stream) => {
        result.tunnels += 1;
        result.forwarded.push(forwardedPeer(stream));
        stream.on('error', () => stream.destroy());
        stream.pipe(stream);
      },
      (e: PtError) => result.failures.push(e),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  result.port = (server.address() as AddressInfo).port;
  return result;
}

export interface ProbeAnswer {
  bytes: Buffer;
  /** How the connection ended: the peer closed, or our own time limit. */
  ended: 'closed' | 'timeout';
}

/** Sends `chunks` (with `gapMs` between them) and collects the answer until close or `limitMs`. */
export function probe(
  port: number,
  chunks: Array<string | Uint8Array>,
  opts: { gapMs?: number; limitMs?: number; tls?: { ca: string; servername: string } } = {},
): Promise<ProbeAnswer> {
  return new Promise((resolve) => {
    const s: Socket = opts.tls
      ? tlsConnect({ host: '127.0.0.1', port, ca: opts.tls.ca, servername: opts.tls.servername })
      : connect({ host: '127.0.0.1', port });
    const got: Buffer[] = [];
    let done = false;
    const finish = (ended: ProbeAnswer['ended']): void => {
      if (done) return;
      done = true;
      clearTimeout(limit);
      s.destroy();
      resolve({ bytes: Buffer.concat(got), ended });
    };
    const limit = setTimeout(() => finish('timeout'), opts.limitMs ?? 5_000);
    s.on('data', (d: Buffer) => got.push(d));
    s.on('close', () => finish('closed'));
    s.on('error', () => finish('closed'));
    s.once(opts.tls ? 'secureConnect' : 'connect', () => {
      let i = 0;
      const next = (): void => {
        if (done || i >= chunks.length) return;
        s.write(chunks[i++]!);
        setTimeout(next, opts.gapMs ?? 0);
      };
      next();
    });
  });
}
