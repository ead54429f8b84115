/**
 * SOCKS5 client messages (RFC 1928, RFC 1929) for reaching the target through an upstream
 * proxy named by TOR_PT_PROXY=socks5://... Sans-IO: encoders return bytes, parsers take the
 * bytes buffered so far and return null when they need more.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { PtError } from '../errors.js';
import type { HostPort } from './address.js';
import { ipv4ToBytes, ipv6ToBytes, bytesToIpv4, bytesToIpv6 } from './ip-bytes.js';

/** An upstream proxy refused or failed a request; `socksReply` is the RFC 1928 code to relay. */
export class UpstreamProxyError extends PtError {
  readonly socksReply: number;
  constructor(message: string, socksReply: number, options?: { cause?: unknown }) {
    super('ERR_PROXY', message, options);
    this.socksReply = socksReply;
  }
}

const REPLY_TEXT: Readonly<Record<number, string>> = {
  1: 'general SOCKS server failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
};

/** Human text for an RFC 1928 reply code. */
export function socks5ReplyText(code: number): string {
  return REPLY_TEXT[code] ?? `unassigned reply code ${code}`;
}

/** Version/method selection: offers "no auth", plus username/password when we have credentials. */
export function encodeGreeting(withCredentials: boolean): Uint8Array {
  return withCredentials ? Uint8Array.of(5, 2, 0x00, 0x02) : Uint8Array.of(5, 1, 0x00);
}

/** The server's method choice: 0x00 none, 0x02 username/password. */
export function parseMethodChoice(buf: Uint8Array): { value: number; consumed: number } | null {
  if (buf.length < 2) return null;
  if (buf[0] !== 5) {
    throw new UpstreamProxyError(
      `the upstream proxy is not a SOCKS5 server (it answered version ${buf[0]})`,
      1,
    );
  }
  const method = buf[1] ?? 0xff;
  if (method === 0xff) {
    throw new UpstreamProxyError(
      'the upstream SOCKS5 proxy accepts none of our authentication methods (check the user name and password in TOR_PT_PROXY)',
      1,
    );
  }
  return { value: method, consumed: 2 };
}

/** RFC 1929 username/password request. Lengths were validated by parseProxyUri (1–255 bytes). */
export function encodeUserPass(username: string, password: string): Uint8Array {
  const u = Buffer.from(username, 'utf8');
  const p = Buffer.from(password, 'utf8');
  if (u.length < 1 || u.length > 255 || p.length < 1 || p.length > 255) {
    throw new RangeError('SOCKS5 username and password must each be 1 to 255 bytes');
  }
  return Buffer.concat([Uint8Array.of(1, u.length), u, Uint8Array.of(p.length), p]);
}

/** RFC 1929 status: 0 is success. */
export function parseUserPassReply(buf: Uint8Array): { value: true; consumed: number } | null {
  if (buf.length < 2) return null;
  if (buf[1] !== 0) {
    throw new UpstreamProxyError(
      'the upstream SOCKS5 proxy rejected the user name and password in TOR_PT_PROXY',
      1,
    );
  }
  return { value: true, consumed: 2 };
}

/** CONNECT request; IP literals go as IPv4/IPv6, anything else as a domain name. */
export function encodeConnect(target: HostPort): Uint8Array {
  const port = Uint8Array.of(target.port >> 8, target.port & 0xff);
  if (isIPv4(target.host)) {
    return Buffer.concat([Uint8Array.of(5, 1, 0, 1), ipv4ToBytes(target.host), port]);
  }
  if (isIPv6(target.host)) {
    return Buffer.concat([Uint8Array.of(5, 1, 0, 4), ipv6ToBytes(target.host), port]);
  }
  const name = Buffer.from(target.host, 'utf8');
  if (name.length < 1 || name.length > 255) {
    throw new RangeError('SOCKS5 domain names must be 1 to 255 bytes');
  }
  return Buffer.concat([Uint8Array.of(5, 1, 0, 3, name.length), name, port]);
}

/** The bound address a SOCKS5 server reports; informational only. */
export interface Socks5Bound {
  readonly host: string;
  readonly port: number;
}

/**
 * The reply to CONNECT. A non-zero reply code throws UpstreamProxyError carrying that code, so
 * our own SOCKS server can answer tor with the same failure.
 */
export function parseConnectReply(
  buf: Uint8Array,
): { value: Socks5Bound; consumed: number } | null {
  if (buf.length < 4) return null;
  if (buf[0] !== 5) {
    throw new UpstreamProxyError(`the upstream proxy answered CONNECT with version ${buf[0]}`, 1);
  }
  const rep = buf[1] ?? 1;
  if (rep !== 0) {
    throw new UpstreamProxyError(
      `the upstream SOCKS5 proxy could not connect: ${socks5ReplyText(rep)}`,
      rep >= 1 && rep <= 8 ? rep : 1,
    );
  }
  const atyp = buf[3];
  let addrLen: number;
  let start = 4;
  if (atyp === 1) addrLen = 4;
  else if (atyp === 4) addrLen = 16;
  else if (atyp === 3) {
    if (buf.length < 5) return null;
    addrLen = buf[4] ?? 0;
    start = 5;
  } else {
    throw new UpstreamProxyError(`the upstream SOCKS5 proxy sent address type ${atyp}`, 1);
  }
  const total = start + addrLen + 2;
  if (buf.length < total) return null;
  const addr = buf.subarray(start, start + addrLen);
  const host =
    atyp === 1
      ? bytesToIpv4(addr)
      : atyp === 4
        ? bytesToIpv6(addr)
        : Buffer.from(addr).toString('latin1');
  const port = ((buf[start + addrLen] ?? 0) << 8) | (buf[start + addrLen + 1] ?? 0);
  return { value: { host, port }, consumed: total };
}
