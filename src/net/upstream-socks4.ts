/**
 * SOCKS4a client messages for TOR_PT_PROXY=socks4a://[user@]ip:port. SOCKS4 carries an IPv4
 * address; the 4a extension sends a host name after the user id with the address 0.0.0.x.
 * There is no password field and no IPv6.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { HostPort } from './address.js';
import { ipv4ToBytes } from './ip-bytes.js';
import { UpstreamProxyError } from './upstream-socks5.js';

/**
 * CONNECT request. @throws UpstreamProxyError (reply 8, address type not supported) for IPv6
 * targets, which SOCKS4a cannot express.
 */
export function encodeSocks4aConnect(target: HostPort, userId = ''): Uint8Array {
  const user = Buffer.from(userId, 'utf8');
  if (user.includes(0)) throw new RangeError('SOCKS4 user id must not contain NUL');
  const port = Uint8Array.of(target.port >> 8, target.port & 0xff);
  if (isIPv6(target.host)) {
    throw new UpstreamProxyError(
      `a SOCKS4a proxy cannot connect to the IPv6 address ${target.host}; use a socks5:// or http:// proxy`,
      8,
    );
  }
  if (isIPv4(target.host)) {
    return Buffer.concat([
      Uint8Array.of(4, 1),
      port,
      ipv4ToBytes(target.host),
      user,
      Uint8Array.of(0),
    ]);
  }
  const name = Buffer.from(target.host, 'utf8');
  if (name.includes(0) || name.length === 0) throw new RangeError('bad SOCKS4a host name');
  return Buffer.concat([
    Uint8Array.of(4, 1),
    port,
    Uint8Array.of(0, 0, 0, 1),
    user,
    Uint8Array.of(0),
    name,
    Uint8Array.of(0),
  ]);
}

/** Maps the SOCKS4 result code to the closest SOCKS5 reply (RFC 1928) for our own client. */
function socks4Failure(code: number): UpstreamProxyError {
  const text =
    code === 0x5b
      ? 'request rejected or failed'
      : code === 0x5c
        ? 'rejected: the proxy could not reach our identd'
        : code === 0x5d
          ? 'rejected: identd reported a different user id'
          : `unknown result code 0x${code.toString(16)}`;
  return new UpstreamProxyError(
    `the upstream SOCKS4a proxy could not connect: ${text}`,
    code === 0x5b ? 5 : 1,
  );
}

/** The 8-byte reply; result 0x5a is "granted". */
export function parseSocks4Reply(buf: Uint8Array): { value: true; consumed: number } | null {
  if (buf.length < 8) return null;
  if (buf[0] !== 0) {
    throw new UpstreamProxyError(
      `the upstream proxy is not a SOCKS4a server (reply version ${buf[0]})`,
      1,
    );
  }
  const code = buf[1] ?? 0;
  if (code !== 0x5a) throw socks4Failure(code);
  return { value: true, consumed: 8 };
}
