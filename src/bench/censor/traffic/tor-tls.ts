import { randomInt } from 'node:crypto';
import { createServer as createTlsServer, connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { DAY, issue, YEAR, type KeyedCert } from '../certs.js';
import { connectTcp, echoCheck, readExactly, runAttempt } from './session.js';
import type { Endpoint, RunningTraffic, TrafficKind } from './types.js';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** Tor's crypto_random_hostname(min, max, prefix, suffix): base32 letters between fixed ends. */
export function torRandomHostname(
  min: number,
  max: number,
  prefix: string,
  suffix: string,
): string {
  const n = randomInt(min, max + 1);
  let s = '';
  for (let i = 0; i < n; i++) s += BASE32[randomInt(32)];
  return `${prefix}${s}${suffix}`;
}

/** The SNI a Tor client sends: www.<4-25 base32>.com (tor_tls_new). */
export function torClientSni(): string {
  return torRandomHostname(4, 25, 'www.', '.com');
}

/**
 * A Tor relay's TLS certificates (tor_tls_context_init_certificates): a self-signed identity
 * certificate CN=www.<8-20 base32>.com and a link certificate CN=www.<8-20 base32>.net signed by
 * it, without extensions. The link certificate's start is picked like
 * tor_tls_pick_certificate_lifetime: between now and now + 2 days − lifetime, on a day boundary.
 * Tor's identity key is RSA-1024; 2048 is used here because OpenSSL's default security level
 * refuses 1024-bit keys in a chain, and no censor rule modelled here looks at key sizes.
 */
export async function torLinkCertificates(
  opts: { lifetimeMs?: number } = {},
): Promise<{ identity: KeyedCert; link: KeyedCert }> {
  const now = Date.now();
  const identityName = torRandomHostname(8, 20, 'www.', '.com');
  const linkName = torRandomHostname(8, 20, 'www.', '.net');
  const identity = await issue({
    subject: `CN=${identityName}`,
    notBefore: new Date(Math.floor((now - DAY) / DAY) * DAY),
    notAfter: new Date(Math.floor((now - DAY) / DAY) * DAY + YEAR),
  });
  const lifetime = opts.lifetimeMs ?? randomInt(5, 366) * DAY;
  const earliest = now + 2 * DAY - lifetime;
  const start = Math.floor((earliest + Math.random() * Math.max(0, now - earliest)) / DAY) * DAY;
  const link = await issue({
    subject: `CN=${linkName}`,
    issuer: identity,
    notBefore: new Date(start),
    notAfter: new Date(start + lifetime),
  });
  return { identity, link };
}

/** A Tor VERSIONS cell (variable-length, 2-byte circuit id): link protocols 3, 4, 5. */
export const VERSIONS_CELL = Buffer.from([
  0x00, 0x00, 0x07, 0x00, 0x06, 0x00, 0x03, 0x00, 0x04, 0x00, 0x05,
]);

/** Whether `b` starts with a VERSIONS cell. */
export function isVersionsCell(b: Uint8Array): boolean {
  return b.length >= 5 && b[0] === 0 && b[1] === 0 && b[2] === 7;
}

export interface TorTlsServer {
  readonly endpoint: Endpoint;
  readonly certs: { identity: KeyedCert; link: KeyedCert };
  close(): Promise<void>;
}

/**
 * A Tor relay's TLS face: Tor's certificate naming, answers a VERSIONS cell with its own, then
 * echoes (standing in for cells). Enough for TLS-level DPI and for a prober that tries a Tor link
 * handshake.
 */
export async function startTorTlsServer(version: '1.2' | '1.3'): Promise<TorTlsServer> {
  const certs = await torLinkCertificates();
  const tlsVersion = version === '1.2' ? 'TLSv1.2' : 'TLSv1.3';
  const server = createTlsServer({
    key: certs.link.keyPem,
    cert: certs.link.certPem + certs.identity.certPem,
    minVersion: tlsVersion,
    maxVersion: tlsVersion,
  });
  const live = new Set<TLSSocket>();
  server.on('secureConnection', (s: TLSSocket) => {
    live.add(s);
    s.once('close', () => live.delete(s));
    s.on('error', () => {});
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(), 30_000);
    readExactly(s, VERSIONS_CELL.length, ac.signal).then(
      (cell) => {
        clearTimeout(t);
        if (!isVersionsCell(cell)) return s.destroy();
        s.write(VERSIONS_CELL);
        s.pipe(s);
      },
      () => s.destroy(),
    );
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: { host: '127.0.0.1', port: (server.address() as AddressInfo).port },
    certs,
    async close() {
      for (const s of live) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A Tor client's link setup: TLS with a random Tor SNI, VERSIONS both ways, then echo. */
export function torTlsSession(
  via: Endpoint,
  version: '1.2' | '1.3',
  o: { localAddress?: string; timeoutMs: number; bytes?: number },
): ReturnType<RunningTraffic['attempt']> {
  const tlsVersion = version === '1.2' ? 'TLSv1.2' : 'TLSv1.3';
  return runAttempt(o.timeoutMs, async ({ signal, stage, own, count }) => {
    const sock = await connectTcp(via, { signal, localAddress: o.localAddress });
    own(sock);
    stage('handshake');
    const tls = tlsConnect({
      socket: sock,
      servername: torClientSni(),
      rejectUnauthorized: false,
      minVersion: tlsVersion,
      maxVersion: tlsVersion,
    });
    own(tls);
    await new Promise<void>((resolve, reject) => {
      tls.once('secureConnect', resolve);
      tls.once('error', reject);
      signal.addEventListener('abort', () => reject(new Error('TLS handshake stalled')), {
        once: true,
      });
    });
    tls.write(VERSIONS_CELL);
    const reply = await readExactly(tls, VERSIONS_CELL.length, signal);
    if (!isVersionsCell(reply)) throw new Error('no VERSIONS cell from the relay');
    stage('data');
    const r = await echoCheck(tls, o.bytes ?? 32 * 1024, signal);
    count(r.sent + VERSIONS_CELL.length, r.received + reply.length);
  });
}

/** Rows "Tor TLS 1.2" and "Tor TLS 1.3": the Tor-TLS emulator. */
export function torTlsEmulator(version: '1.2' | '1.3'): TrafficKind {
  return {
    id: `tor-tls${version.replace('.', '')}`,
    label: `Tor TLS ${version} (emulator)`,
    group: 'tor',
    available: () => Promise.resolve(true),
    async start() {
      const srv = await startTorTlsServer(version);
      return {
        target: srv.endpoint,
        description: `link ${srv.certs.link.cert.subject}, identity ${srv.certs.identity.cert.subject}`,
        attempt: (via, o) => torTlsSession(via, version, o),
        close: () => srv.close(),
      };
    },
  };
}
