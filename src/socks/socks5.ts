/**
 * Sans-IO SOCKS5 server messages (RFC 1928) with RFC 1929 username/password, the channel tor
 * uses for per-connection PT args. Only CONNECT is supported; targets may be IPv4, IPv6 or a
 * domain name. Every parser returns null when it needs more bytes and throws SocksError (with
 * the reply code to send) on malformed input, following obfs4proxy's common/socks5 checks.
 */
import { formatHostPort, type HostPort } from '../net/address.js';
import { bytesToIpv4, bytesToIpv6 } from '../net/ip-bytes.js';
import { SocksError, SocksReply, type SocksReplyCode } from './reply.js';

export const SOCKS5_VERSION = 5;
export const AUTH_NONE = 0x00;
export const AUTH_USERPASS = 0x02;
export const AUTH_NO_ACCEPTABLE = 0xff;
export const CMD_CONNECT = 1;

type Parsed<T> = { value: T; consumed: number } | null;

/** Version identifier/method selection: the offered auth methods. */
export function parseGreeting(buf: Uint8Array): Parsed<Uint8Array> {
  if (buf.length < 1) return null;
  if (buf[0] !== SOCKS5_VERSION) {
    throw new SocksError(`not a SOCKS5 greeting (version byte ${buf[0]})`);
  }
  if (buf.length < 2) return null;
  const n = buf[1] ?? 0;
  if (buf.length < 2 + n) return null;
  return { value: new Uint8Array(buf.subarray(2, 2 + n)), consumed: 2 + n };
}

/**
 * Picks the auth method. With `preferUserPass` (PT mode, as obfs4proxy does), username/password
 * wins when offered because it carries the args; otherwise "no auth" wins when offered.
 */
export function chooseMethod(methods: Uint8Array, preferUserPass: boolean): number {
  const hasUp = methods.includes(AUTH_USERPASS);
  const hasNone = methods.includes(AUTH_NONE);
  if (preferUserPass) return hasUp ? AUTH_USERPASS : hasNone ? AUTH_NONE : AUTH_NO_ACCEPTABLE;
  return hasNone ? AUTH_NONE : hasUp ? AUTH_USERPASS : AUTH_NO_ACCEPTABLE;
}

export function encodeMethodChoice(method: number): Uint8Array {
  return Uint8Array.of(SOCKS5_VERSION, method);
}

export interface UserPass {
  readonly username: Uint8Array;
  readonly password: Uint8Array;
}

/** RFC 1929 request. Empty fields are rejected, as in obfs4proxy. */
export function parseUserPass(buf: Uint8Array): Parsed<UserPass> {
  if (buf.length < 1) return null;
  if (buf[0] !== 1)
    throw new SocksError(`bad username/password auth version ${buf[0]} (expected 1)`);
  if (buf.length < 2) return null;
  const ulen = buf[1] ?? 0;
  if (ulen === 0) throw new SocksError('username/password auth with an empty username');
  if (buf.length < 2 + ulen + 1) return null;
  const plen = buf[2 + ulen] ?? 0;
  if (plen === 0) throw new SocksError('username/password auth with an empty password');
  const total = 3 + ulen + plen;
  if (buf.length < total) return null;
  return {
    value: {
      username: new Uint8Array(buf.subarray(2, 2 + ulen)),
      password: new Uint8Array(buf.subarray(3 + ulen, total)),
    },
    consumed: total,
  };
}

/** RFC 1929 status reply: 0 success, 1 failure. */
export function encodeUserPassStatus(ok: boolean): Uint8Array {
  return Uint8Array.of(1, ok ? 0 : 1);
}

/**
 * The PT args string carried in RFC 1929 (pt-spec §3.5): UNAME followed by PASSWD, unless
 * PASSWD is the single NUL tor sends when everything fits in UNAME.
 */
export function userPassToArgBytes(up: UserPass): Uint8Array {
  if (up.password.length === 1 && up.password[0] === 0) return up.username;
  return Buffer.concat([up.username, up.password]);
}

export interface Socks5Request {
  readonly command: number;
  readonly target: HostPort;
}

/** Printable ASCII without spaces: what a DNS name in a SOCKS request may contain. */
function domainFrom(bytes: Uint8Array): string {
  for (const b of bytes) {
    if (b <= 0x20 || b >= 0x7f) {
      throw new SocksError(
        'domain name in the SOCKS request has a non-printable byte',
        SocksReply.generalFailure,
      );
    }
  }
  return Buffer.from(bytes).toString('latin1');
}

/** The request details; throws SocksError carrying the reply to send on unsupported input. */
export function parseRequest(buf: Uint8Array): Parsed<Socks5Request> {
  if (buf.length < 1) return null;
  if (buf[0] !== SOCKS5_VERSION) throw new SocksError(`bad request version ${buf[0]} (expected 5)`);
  if (buf.length < 2) return null;
  const command = buf[1] ?? 0;
  if (command !== CMD_CONNECT) {
    throw new SocksError(
      `unsupported SOCKS command ${command} (only CONNECT)`,
      SocksReply.commandNotSupported,
    );
  }
  if (buf.length < 3) return null;
  if (buf[2] !== 0) throw new SocksError(`reserved byte is ${buf[2]} (expected 0)`);
  if (buf.length < 4) return null;
  const atyp = buf[3];
  let host: string;
  let at: number;
  if (atyp === 1) {
    if (buf.length < 4 + 4 + 2) return null;
    host = bytesToIpv4(buf.subarray(4, 8));
    at = 8;
  } else if (atyp === 4) {
    if (buf.length < 4 + 16 + 2) return null;
    host = bytesToIpv6(buf.subarray(4, 20));
    at = 20;
  } else if (atyp === 3) {
    if (buf.length < 5) return null;
    const len = buf[4] ?? 0;
    if (len === 0) throw new SocksError('domain name with 0 length');
    if (buf.length < 5 + len + 2) return null;
    host = domainFrom(buf.subarray(5, 5 + len));
    at = 5 + len;
  } else {
    throw new SocksError(`unsupported address type ${atyp}`, SocksReply.addressNotSupported);
  }
  const port = ((buf[at] ?? 0) << 8) | (buf[at + 1] ?? 0);
  return { value: { command, target: { host, port } }, consumed: at + 2 };
}

/** A reply; the bound address is always 0.0.0.0:0, as in obfs4proxy (clients ignore it). */
export function encodeReply(code: SocksReplyCode): Uint8Array {
  return Uint8Array.of(SOCKS5_VERSION, code, 0, 1, 0, 0, 0, 0, 0, 0);
}

/** For messages: the target as text. */
export function describeTarget(t: HostPort): string {
  return formatHostPort(t);
}
