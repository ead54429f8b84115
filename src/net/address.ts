/**
 * Host/port strings as tor and the managed-proxy protocol write them: `1.2.3.4:5678`,
 * `[2001:db8::1]:5678`, and (for SOCKS targets and proxies named by host) `example.com:443`.
 * Parsing follows Go's net.SplitHostPort, which goptlib and obfs4proxy use, so that steppe
 * accepts and rejects the same strings.
 */
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { InvalidArgsError } from '../errors.js';

/** A TCP endpoint. `host` is an IP literal (IPv6 without brackets) or a DNS name. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface ParseHostPortOptions {
  /** Reject DNS names: the host must be an IPv4 or IPv6 literal (goptlib's resolveAddr). */
  readonly requireIp?: boolean;
  /**
   * Accept `2001:db8::1:443`, an IPv6 address without brackets followed by a port, the way tor
   * wrote addresses before bug 7011 was fixed (goptlib keeps this workaround).
   */
  readonly allowUnbracketedIpv6?: boolean;
  /** Accept port 0 ("any port"); listeners want it, destinations do not. */
  readonly allowPortZero?: boolean;
}

/**
 * Splits `host:port` / `[v6]:port`.
 * @throws InvalidArgsError naming what is wrong with the string (not fatal to the caller).
 */
export function parseHostPort(s: string, opts: ParseHostPortOptions = {}): HostPort {
  let host: string;
  let portStr: string;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) throw new InvalidArgsError(`${JSON.stringify(s)}: missing "]" in address`);
    host = s.slice(1, close);
    const rest = s.slice(close + 1);
    if (!rest.startsWith(':')) {
      throw new InvalidArgsError(`${JSON.stringify(s)}: missing port after "]"`);
    }
    portStr = rest.slice(1);
    if (!isIPv6(host)) {
      throw new InvalidArgsError(
        `${JSON.stringify(s)}: ${JSON.stringify(host)} is not an IPv6 address`,
      );
    }
  } else {
    const last = s.lastIndexOf(':');
    if (last < 0)
      throw new InvalidArgsError(`${JSON.stringify(s)}: missing port (expected host:port)`);
    host = s.slice(0, last);
    portStr = s.slice(last + 1);
    if (host.includes(':')) {
      // Several colons without brackets: only the pre-#7011 tor form is acceptable.
      if (!(opts.allowUnbracketedIpv6 === true && isIPv6(host))) {
        throw new InvalidArgsError(
          `${JSON.stringify(s)}: too many colons; write IPv6 addresses as [address]:port`,
        );
      }
    }
  }
  if (host === '') throw new InvalidArgsError(`${JSON.stringify(s)}: missing host`);
  if (opts.requireIp === true && isIP(host) === 0) {
    throw new InvalidArgsError(`not an IP string: ${JSON.stringify(host)}`);
  }
  if (isIP(host) === 0 && !isHostname(host)) {
    throw new InvalidArgsError(`${JSON.stringify(host)} is neither an IP address nor a host name`);
  }
  return { host, port: parsePort(portStr, s, opts.allowPortZero === true) };
}

function parsePort(portStr: string, whole: string, allowZero: boolean): number {
  if (portStr === '') throw new InvalidArgsError(`${JSON.stringify(whole)}: missing port`);
  if (!/^[0-9]{1,5}$/.test(portStr)) {
    throw new InvalidArgsError(
      `${JSON.stringify(whole)}: port ${JSON.stringify(portStr)} is not a number`,
    );
  }
  const port = Number(portStr);
  if (port > 65535)
    throw new InvalidArgsError(`${JSON.stringify(whole)}: port ${port} is above 65535`);
  if (port === 0 && !allowZero)
    throw new InvalidArgsError(`${JSON.stringify(whole)}: port 0 is not a destination`);
  return port;
}

/** A DNS name as SOCKS and HTTP CONNECT carry it: 1–255 printable ASCII bytes, no spaces or colons. */
export function isHostname(host: string): boolean {
  return host.length > 0 && host.length <= 255 && /^[A-Za-z0-9._~!$&'()*+,;=%-]+$/.test(host);
}

/**
 * `1.2.3.4:80`, `[::1]:80`, `example.com:80`: the inverse of parseHostPort. Brackets go around
 * any host with a colon, as Go's net.JoinHostPort does: no IPv4 address or DNS name has one, and
 * Node's isIPv6 is a regular expression whose compiled code alone is ~135 KiB of a process's
 * memory (it ran for every CMETHOD line).
 */
export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

/**
 * True for 127.0.0.0/8, ::1 and IPv4-mapped loopback. pt-spec: outbound bind addresses MUST be
 * ignored for loopback destinations.
 */
export function isLoopback(host: string): boolean {
  if (isIPv4(host)) return host.startsWith('127.');
  if (!isIPv6(host)) return host === 'localhost';
  const h = host.toLowerCase();
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  return mapped?.[1] !== undefined && mapped[1].startsWith('127.');
}
