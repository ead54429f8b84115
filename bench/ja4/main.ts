/**
 * `npm run bench:ja4`: the ClientHello of steppe's webtunnel client and of Debian's chromium,
 * captured by one raw TCP listener on 127.0.0.1 (no TLS is answered: the first record is read
 * and the connection closed), printed as JA4 strings and a field-by-field diff. Chromium's
 * resolver maps the bridge's name to the listener and every other name to NOTFOUND, so it
 * reaches nothing else. The measured output is in src/transports/webtunnel/ja4.md.
 *
 * Environment: STEPPE_CHROMIUM (default /usr/bin/chromium).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HS_CLIENT_HELLO, TlsDirectionParser } from '../../src/bench/censor/tls/records.js';
import {
  isGrease,
  parseClientHello,
  type ClientHelloInfo,
} from '../../src/bench/censor/tls/hello.js';
import { hex4, ja4 } from '../../src/bench/censor/tls/ja4.js';
import { webtunnel } from '../../src/transports/webtunnel/index.js';

const CHROMIUM = process.env['STEPPE_CHROMIUM'] ?? '/usr/bin/chromium';
const NAME = 'bridge.example.org';
const CAPTURE_TIMEOUT_MS = 30_000;
const MAX_HELLO_BYTES = 64 * 1024;

/** IANA names of the extensions either client sends, for a readable diff. */
const EXT_NAMES = new Map<number, string>([
  [0x0000, 'server_name'],
  [0x0005, 'status_request'],
  [0x000a, 'supported_groups'],
  [0x000b, 'ec_point_formats'],
  [0x000d, 'signature_algorithms'],
  [0x0010, 'alpn'],
  [0x0012, 'signed_certificate_timestamp'],
  [0x0015, 'padding'],
  [0x0016, 'encrypt_then_mac'],
  [0x0017, 'extended_master_secret'],
  [0x001b, 'compress_certificate'],
  [0x0023, 'session_ticket'],
  [0x002b, 'supported_versions'],
  [0x002d, 'psk_key_exchange_modes'],
  [0x0031, 'post_handshake_auth'],
  [0x0033, 'key_share'],
  [0x44cd, 'application_settings (ALPS, new)'],
  [0x4469, 'application_settings (ALPS)'],
  [0xfe0d, 'encrypted_client_hello'],
  [0xff01, 'renegotiation_info'],
]);

const GROUP_NAMES = new Map<number, string>([
  [0x001d, 'x25519'],
  [0x0017, 'secp256r1'],
  [0x0018, 'secp384r1'],
  [0x0019, 'secp521r1'],
  [0x001e, 'x448'],
  [0x0100, 'ffdhe2048'],
  [0x0101, 'ffdhe3072'],
  [0x11ec, 'X25519MLKEM768'],
  [0x6399, 'X25519Kyber768Draft00'],
]);

/** Accepts connections and resolves each waiter with the next ClientHello seen. */
class HelloCatcher {
  readonly #server: Server;
  readonly #waiters: Array<(h: ClientHelloInfo) => void> = [];
  readonly #sockets = new Set<Socket>();

  constructor() {
    this.#server = createServer((s) => this.#onSocket(s));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const a = this.#server.address();
    if (a === null || typeof a === 'string') throw new Error('no port');
    return a.port;
  }

  next(what: string): Promise<ClientHelloInfo> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`no ClientHello from ${what} in ${CAPTURE_TIMEOUT_MS} ms`)),
        CAPTURE_TIMEOUT_MS,
      );
      this.#waiters.push((h) => {
        clearTimeout(t);
        resolve(h);
      });
    });
  }

  #onSocket(s: Socket): void {
    this.#sockets.add(s);
    s.on('close', () => this.#sockets.delete(s));
    s.on('error', () => {});
    const parser = new TlsDirectionParser();
    let seen = 0;
    s.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      const hs = parser.push(chunk).handshakes.find((h) => h.msgType === HS_CLIENT_HELLO);
      const hello = hs === undefined ? undefined : parseClientHello(hs.body);
      if (hello !== undefined) {
        s.destroy();
        this.#waiters.shift()?.(hello);
      } else if (parser.notTls || seen > MAX_HELLO_BYTES) {
        s.destroy();
      }
    });
  }

  close(): void {
    for (const s of this.#sockets) s.destroy();
    this.#server.close();
  }
}

async function steppeHello(catcher: HelloCatcher, port: number): Promise<ClientHelloInfo> {
  const hello = catcher.next('steppe');
  // The listener closes after the hello, so the dial fails; only its first flight matters.
  await webtunnel
    .dial({ url: `https://${NAME}/secret`, addr: `127.0.0.1:${port}`, allowPrivate: true })
    .then((s) => s.destroy())
    .catch(() => {});
  return hello;
}

async function chromiumHello(catcher: HelloCatcher, port: number): Promise<ClientHelloInfo> {
  const profile = mkdtempSync(join(tmpdir(), 'steppe-ja4-chromium-'));
  const hello = catcher.next('chromium');
  const child = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      `--user-data-dir=${profile}`,
      `--host-resolver-rules=MAP ${NAME} 127.0.0.1:${port}, MAP * ~NOTFOUND`,
      '--dump-dom',
      `https://${NAME}/`,
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  try {
    return await hello;
  } finally {
    if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    rmSync(profile, { recursive: true, force: true });
  }
}

function named(list: readonly number[], names: ReadonlyMap<number, string>): string {
  return list
    .map((v) => (isGrease(v) ? 'GREASE' : `${hex4(v)}${names.has(v) ? ` ${names.get(v)}` : ''}`))
    .join(', ');
}

function alpn(h: ClientHelloInfo): string {
  return h.alpn.map((p) => Buffer.from(p).toString('latin1')).join(',');
}

function diffLine(what: string, a: readonly number[], b: readonly number[]): string[] {
  const fa = a.filter((v) => !isGrease(v));
  const fb = b.filter((v) => !isGrease(v));
  const only = (x: number[], y: number[]): string =>
    x
      .filter((v) => !y.includes(v))
      .map(hex4)
      .join(',') || '-';
  // The order of the values both send, so that an extra value does not read as a reordering.
  const common = fa.filter((v) => fb.includes(v));
  const commonB = fb.filter((v) => fa.includes(v));
  const sameOrder = common.every((v, i) => v === commonB[i]);
  return [
    `  ${what}: steppe ${fa.length}, chromium ${fb.length}` +
      `; only steppe: ${only(fa, fb)}; only chromium: ${only(fb, fa)}; ` +
      (sameOrder ? 'common ones in the same order' : 'common ones in another order') +
      `; GREASE: steppe ${a.some(isGrease) ? 'yes' : 'no'}, chromium ${b.some(isGrease) ? 'yes' : 'no'}`,
  ];
}

function describe(who: string, h: ClientHelloInfo): string[] {
  const f = ja4(h);
  return [
    `${who}:`,
    `  JA4    ${f.ja4}`,
    `  JA4_o  ${f.ja4_o}`,
    `  JA4_r  ${f.ja4_r}`,
    `  ciphers     ${h.cipherSuites.map((c) => (isGrease(c) ? 'GREASE' : hex4(c))).join(',')}`,
    `  extensions  ${named(h.extensions, EXT_NAMES)}`,
    `  groups      ${named(h.groups, GROUP_NAMES)}`,
    `  key_share   ${named(h.keyShares, GROUP_NAMES)}`,
    `  sigalgs     ${h.signatureAlgorithms.map((s) => (isGrease(s) ? 'GREASE' : hex4(s))).join(',')}`,
    `  versions    ${h.supportedVersions.map((v) => (isGrease(v) ? 'GREASE' : hex4(v))).join(',')}`,
    `  alpn        ${alpn(h)}`,
    `  sni         ${h.sni ?? '(none)'}`,
  ];
}

async function main(): Promise<void> {
  const catcher = new HelloCatcher();
  try {
    const port = await catcher.listen();
    const s = await steppeHello(catcher, port);
    const c = await chromiumHello(catcher, port);
    const lines = [
      `# ClientHello: steppe ${process.version} (OpenSSL ${process.versions.openssl}) vs ${CHROMIUM}`,
      ...describe('steppe webtunnel client', s),
      ...describe('chromium', c),
      'diff (GREASE removed):',
      ...diffLine('ciphers', s.cipherSuites, c.cipherSuites),
      ...diffLine('extensions', s.extensions, c.extensions),
      ...diffLine('groups', s.groups, c.groups),
      ...diffLine('key_share', s.keyShares, c.keyShares),
      ...diffLine('sigalgs', s.signatureAlgorithms, c.signatureAlgorithms),
      `  alpn: steppe ${alpn(s)}, chromium ${alpn(c)}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    catcher.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:ja4: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
