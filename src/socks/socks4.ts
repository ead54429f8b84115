/**
 * Sans-IO SOCKS4 and SOCKS4a server messages. tor speaks SOCKS4 to a PT that announces
 * `CMETHOD <name> socks4` and puts the per-connection args in USERID; other clients use 4a to
 * send a host name. Only CONNECT is supported.
 */
import type { HostPort } from '../net/address.js';
import { bytesToIpv4 } from '../net/ip-bytes.js';
import { SocksError, SocksReply } from './reply.js';

export const SOCKS4_VERSION = 4;
/** Longest USERID we accept: tor's args for a bridge line are far shorter. */
export const MAX_SOCKS4_USERID = 2048;
const MAX_HOSTNAME = 255;

export interface Socks4Request {
  readonly command: number;
  readonly target: HostPort;
  readonly userId: Uint8Array;
}

/** Finds a NUL in buf[from, from+max]; -1: not yet; throws when the field is longer than max. */
function findNul(buf: Uint8Array, from: number, max: number, what: string): number {
  const end = Math.min(buf.length, from + max + 1);
  for (let i = from; i < end; i++) if (buf[i] === 0) return i;
  if (buf.length > from + max) throw new SocksError(`SOCKS4 ${what} is longer than ${max} bytes`);
  return -1;
}

/** The request; throws SocksError for a non-CONNECT command or an oversize field. */
export function parseSocks4Request(
  buf: Uint8Array,
): { value: Socks4Request; consumed: number } | null {
  if (buf.length < 1) return null;
  if (buf[0] !== SOCKS4_VERSION)
    throw new SocksError(`not a SOCKS4 request (version byte ${buf[0]})`);
  if (buf.length < 2) return null;
  const command = buf[1] ?? 0;
  if (command !== 1) {
    throw new SocksError(
      `unsupported SOCKS4 command ${command} (only CONNECT)`,
      SocksReply.commandNotSupported,
    );
  }
  if (buf.length < 8) return null;
  const port = ((buf[2] ?? 0) << 8) | (buf[3] ?? 0);
  const ip = buf.subarray(4, 8);
  const userEnd = findNul(buf, 8, MAX_SOCKS4_USERID, 'user id');
  if (userEnd < 0) return null;
  const userId = new Uint8Array(buf.subarray(8, userEnd));
  // SOCKS4a: 0.0.0.x with x != 0 means "a host name follows the user id".
  const is4a = ip[0] === 0 && ip[1] === 0 && ip[2] === 0 && ip[3] !== 0;
  if (!is4a) {
    return {
      value: { command, target: { host: bytesToIpv4(ip), port }, userId },
      consumed: userEnd + 1,
    };
  }
  const hostEnd = findNul(buf, userEnd + 1, MAX_HOSTNAME, 'host name');
  if (hostEnd < 0) return null;
  const name = buf.subarray(userEnd + 1, hostEnd);
  if (name.length === 0) throw new SocksError('SOCKS4a request with an empty host name');
  for (const b of name) {
    if (b <= 0x20 || b >= 0x7f) throw new SocksError('SOCKS4a host name has a non-printable byte');
  }
  return {
    value: { command, target: { host: Buffer.from(name).toString('latin1'), port }, userId },
    consumed: hostEnd + 1,
  };
}

/** 8-byte reply: 0x5a granted, 0x5b rejected or failed. */
export function encodeSocks4Reply(granted: boolean): Uint8Array {
  return Uint8Array.of(0, granted ? 0x5a : 0x5b, 0, 0, 0, 0, 0, 0);
}
