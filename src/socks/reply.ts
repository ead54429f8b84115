/**
 * SOCKS5 reply codes (RFC 1928 §6) and the mapping from a failed connection attempt to the code
 * that tells the SOCKS client what really went wrong (obfs4proxy's ErrorToReplyCode, extended to
 * follow PtError causes and upstream proxy replies).
 */
import { PtError } from '../errors.js';

export const SocksReply = {
  succeeded: 0,
  generalFailure: 1,
  notAllowed: 2,
  networkUnreachable: 3,
  hostUnreachable: 4,
  connectionRefused: 5,
  ttlExpired: 6,
  commandNotSupported: 7,
  addressNotSupported: 8,
} as const;

export type SocksReplyCode = (typeof SocksReply)[keyof typeof SocksReply];

/** A SOCKS protocol failure; `reply` is the code sent to the client (when a reply is possible). */
export class SocksError extends PtError {
  readonly reply: SocksReplyCode;
  constructor(
    message: string,
    reply: SocksReplyCode = SocksReply.generalFailure,
    options?: { cause?: unknown },
  ) {
    super('ERR_SOCKS', message, options);
    this.reply = reply;
  }
}

const ERRNO_REPLY: Readonly<Record<string, SocksReplyCode>> = {
  ECONNREFUSED: SocksReply.connectionRefused,
  ECONNRESET: SocksReply.connectionRefused,
  ENETUNREACH: SocksReply.networkUnreachable,
  ENETDOWN: SocksReply.networkUnreachable,
  EHOSTUNREACH: SocksReply.hostUnreachable,
  EHOSTDOWN: SocksReply.hostUnreachable,
  ENOTFOUND: SocksReply.hostUnreachable,
  EAI_NONAME: SocksReply.hostUnreachable,
  EAI_AGAIN: SocksReply.hostUnreachable,
  ETIMEDOUT: SocksReply.ttlExpired,
  EADDRNOTAVAIL: SocksReply.addressNotSupported,
  EAFNOSUPPORT: SocksReply.addressNotSupported,
  EACCES: SocksReply.notAllowed,
  EPERM: SocksReply.notAllowed,
};

function isReplyCode(n: unknown): n is SocksReplyCode {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 8;
}

/**
 * The best reply code for a failed CONNECT. Walks the `cause` chain (at most 8 links) looking
 * for an explicit SOCKS reply (SocksError, an upstream proxy's answer) or a Node errno; anything
 * else, including transport handshake failures and bad args, is a general failure.
 */
export function errorToSocksReply(err: unknown): SocksReplyCode {
  let e: unknown = err;
  for (let depth = 0; depth < 8 && e !== undefined && e !== null; depth++) {
    if (e instanceof SocksError) return e.reply;
    if (typeof e === 'object') {
      const rec = e as { socksReply?: unknown; code?: unknown; cause?: unknown };
      if (isReplyCode(rec.socksReply)) return rec.socksReply;
      if (typeof rec.code === 'string') {
        const mapped = ERRNO_REPLY[rec.code];
        if (mapped !== undefined) return mapped;
      }
      e = rec.cause;
    } else {
      break;
    }
  }
  return SocksReply.generalFailure;
}
