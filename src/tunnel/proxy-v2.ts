/**
 * PROXY protocol version 2 header (HAProxy's proxy-protocol.txt §2.2), sent by `steppe server
 * --proxy-protocol` as the first bytes to the forward target so that it sees the real client
 * address instead of steppe's. Only the TCP "PROXY" command is produced, with the address block
 * and no TLVs: 16 bytes of header plus 12 (IPv4) or 36 (IPv6) bytes of addresses.
 *
 *   signature  0D 0A 0D 0A 00 0D 0A 51 55 49 54 0A
 *   ver_cmd    0x21  (version 2, PROXY)   or 0x20 (version 2, LOCAL: no addresses)
 *   fam        0x11  (TCP over IPv4)      or 0x21 (TCP over IPv6)
 *   len        u16 big-endian: bytes that follow
 *   addresses  src addr, dst addr, src port (u16 BE), dst port (u16 BE)
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ipv4ToBytes, ipv6ToBytes } from '../net/ip-bytes.js';

export const PROXY_V2_SIGNATURE: Uint8Array = Uint8Array.of(
  0x0d,
  0x0a,
  0x0d,
  0x0a,
  0x00,
  0x0d,
  0x0a,
  0x51,
  0x55,
  0x49,
  0x54,
  0x0a,
);

const CMD_LOCAL = 0x20;
const CMD_PROXY = 0x21;
const FAM_TCP4 = 0x11;
const FAM_TCP6 = 0x21;
const FAM_UNSPEC = 0x00;

/** One end of the proxied connection: an IPv4 or IPv6 literal and a port. */
export interface ProxyEndpoint {
  readonly address: string;
  readonly port: number;
}

/** `::ffff:192.0.2.1` (what a dual-stack socket reports for IPv4 peers) → `192.0.2.1`. */
export function unmapIpv4(address: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return m?.[1] !== undefined && isIPv4(m[1]) ? m[1] : address;
}

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${what} port must be an integer from 0 to 65535, got ${port}`);
  }
}

function u16(n: number): Uint8Array {
  return Uint8Array.of(n >> 8, n & 0xff);
}

/** The LOCAL command: the connection was not proxied (health checks); no addresses follow. */
export function encodeProxyV2Local(): Uint8Array {
  return Buffer.concat([PROXY_V2_SIGNATURE, Uint8Array.of(CMD_LOCAL, FAM_UNSPEC), u16(0)]);
}

/**
 * The PROXY header for a TCP connection from `source` (the client) to `destination` (the address
 * the client connected to). IPv4-mapped IPv6 addresses are sent as IPv4; when the two ends are
 * of different families, the IPv4 one is mapped into IPv6 so both fit one address block.
 * @throws TypeError when an address is not an IP literal; RangeError for a bad port.
 */
export function encodeProxyV2(source: ProxyEndpoint, destination: ProxyEndpoint): Uint8Array {
  checkPort(source.port, 'source');
  checkPort(destination.port, 'destination');
  let src = unmapIpv4(source.address);
  let dst = unmapIpv4(destination.address);
  for (const [a, what] of [
    [src, 'source'],
    [dst, 'destination'],
  ] as const) {
    if (!isIPv4(a) && !isIPv6(a)) {
      throw new TypeError(`${what} address ${JSON.stringify(a)} is not an IP literal`);
    }
  }
  if (isIPv4(src) && isIPv4(dst)) {
    return Buffer.concat([
      PROXY_V2_SIGNATURE,
      Uint8Array.of(CMD_PROXY, FAM_TCP4),
      u16(12),
      ipv4ToBytes(src),
      ipv4ToBytes(dst),
      u16(source.port),
      u16(destination.port),
    ]);
  }
  if (isIPv4(src)) src = `::ffff:${src}`;
  if (isIPv4(dst)) dst = `::ffff:${dst}`;
  return Buffer.concat([
    PROXY_V2_SIGNATURE,
    Uint8Array.of(CMD_PROXY, FAM_TCP6),
    u16(36),
    ipv6ToBytes(src),
    ipv6ToBytes(dst),
    u16(source.port),
    u16(destination.port),
  ]);
}
