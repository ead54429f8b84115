/**
 * JA4, FoxIO's TLS client fingerprint (github.com/FoxIO-LLC/ja4, technical_details/JA4.md,
 * BSD-3-Clause), from a parsed ClientHello: `a_b_c` where
 *
 * - a = protocol (t: TLS over TCP), version (highest supported_versions entry, else the legacy
 *   version), d/i (SNI present or not), cipher count, extension count (both two digits, capped at
 *   99), first and last character of the first ALPN value ("00" without one);
 * - b = the first 12 hex digits of SHA-256 of the cipher suites, sorted, as 4-digit hex joined
 *   by ",";
 * - c = the same over the sorted extensions without SNI (0000) and ALPN (0010), then "_" and
 *   the signature algorithms in the client's order.
 *
 * GREASE values are dropped everywhere. The `_o` forms keep the client's order (SNI and ALPN
 * included): they are the ones that tell a Chrome that permutes its extensions from one that
 * does not. The `_r` forms are the lists before hashing, for diffs.
 */
import { createHash } from 'node:crypto';
import { isGrease, type ClientHelloInfo } from './hello.js';

export interface Ja4 {
  readonly ja4: string;
  /** The sorted lists themselves instead of their hashes. */
  readonly ja4_r: string;
  /** Hashed over the lists in wire order, SNI and ALPN included. */
  readonly ja4_o: string;
  readonly ja4_ro: string;
}

const EXT_SNI = 0x0000;
const EXT_ALPN = 0x0010;

const VERSIONS = new Map<number, string>([
  [0x0304, '13'],
  [0x0303, '12'],
  [0x0302, '11'],
  [0x0301, '10'],
  [0x0300, 's3'],
  [0x0002, 's2'],
  [0xfeff, 'd1'],
  [0xfefd, 'd2'],
  [0xfefc, 'd3'],
]);

export function hex4(v: number): string {
  return v.toString(16).padStart(4, '0');
}

function count(n: number): string {
  return String(Math.min(n, 99)).padStart(2, '0');
}

function alnum(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

/** First and last character of the first ALPN value; its hex digits when either is not alphanumeric. */
function alpnChars(alpn: readonly Uint8Array[]): string {
  const first = alpn[0];
  if (first === undefined || first.length === 0) return '00';
  const a = first[0]!;
  const z = first[first.length - 1]!;
  if (alnum(a) && alnum(z)) return String.fromCharCode(a, z);
  const h = Buffer.from(first).toString('hex');
  return `${h[0]}${h[h.length - 1]}`;
}

function hash12(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 12);
}

/** The `c` part's input: extensions, then "_" and the signature algorithms if there are any. */
function extString(exts: readonly number[], sigalgs: readonly number[]): string {
  const e = exts.map(hex4).join(',');
  return sigalgs.length === 0 ? e : `${e}_${sigalgs.map(hex4).join(',')}`;
}

export function ja4(hello: ClientHelloInfo, protocol: 't' | 'q' | 'd' = 't'): Ja4 {
  const ciphers = hello.cipherSuites.filter((c) => !isGrease(c));
  const exts = hello.extensions.filter((e) => !isGrease(e));
  const sigalgs = hello.signatureAlgorithms.filter((s) => !isGrease(s));
  const versions = hello.supportedVersions.filter((v) => !isGrease(v));
  const version = versions.length > 0 ? Math.max(...versions) : hello.legacyVersion;
  const a =
    protocol +
    (VERSIONS.get(version) ?? '00') +
    (exts.includes(EXT_SNI) ? 'd' : 'i') +
    count(ciphers.length) +
    count(exts.length) +
    alpnChars(hello.alpn);
  const sortedCiphers = [...ciphers].sort((x, y) => x - y);
  const sortedExts = exts.filter((e) => e !== EXT_SNI && e !== EXT_ALPN).sort((x, y) => x - y);
  // An empty list is "000000000000", not the hash of nothing, so that it reads as empty.
  const b = (list: readonly number[]): string =>
    list.length === 0 ? '000000000000' : hash12(list.map(hex4).join(','));
  const c = (list: readonly number[]): string =>
    list.length === 0 ? '000000000000' : hash12(extString(list, sigalgs));
  return {
    ja4: `${a}_${b(sortedCiphers)}_${c(sortedExts)}`,
    ja4_r: `${a}_${sortedCiphers.map(hex4).join(',')}_${extString(sortedExts, sigalgs)}`,
    ja4_o: `${a}_${b(ciphers)}_${c(exts)}`,
    ja4_ro: `${a}_${ciphers.map(hex4).join(',')}_${extString(exts, sigalgs)}`,
  };
}
