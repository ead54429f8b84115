/**
 * Sans-IO Extended ORPort messages (ext-orport-spec; proposals 196 and 217): the SAFE_COOKIE
 * authentication exchange and the command framing. Parsers return null for "need more bytes"
 * and throw PtError('ERR_EXTORPORT') on input that ends the exchange.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { PtError } from '../errors.js';

/** Auth type 1, the only one defined. */
export const AUTH_SAFE_COOKIE = 1;
export const NONCE_LENGTH = 32;
export const HASH_LENGTH = 32;

export const ExtOrCommand = {
  done: 0x0000,
  userAddr: 0x0001,
  transport: 0x0002,
  okay: 0x1000,
  deny: 0x1001,
  control: 0x1002,
} as const;

const SERVER_HASH_LABEL = 'ExtORPort authentication server-to-client hash';
const CLIENT_HASH_LABEL = 'ExtORPort authentication client-to-server hash';

function hmac(
  cookie: Uint8Array,
  label: string,
  clientNonce: Uint8Array,
  serverNonce: Uint8Array,
): Uint8Array {
  if (clientNonce.length !== NONCE_LENGTH || serverNonce.length !== NONCE_LENGTH) {
    throw new RangeError('ExtORPort nonces are 32 bytes');
  }
  return new Uint8Array(
    createHmac('sha256', cookie).update(label).update(clientNonce).update(serverNonce).digest(),
  );
}

/** HMAC-SHA256(cookie, "...server-to-client hash" | ClientNonce | ServerNonce). */
export function computeServerHash(
  cookie: Uint8Array,
  clientNonce: Uint8Array,
  serverNonce: Uint8Array,
): Uint8Array {
  return hmac(cookie, SERVER_HASH_LABEL, clientNonce, serverNonce);
}

/** HMAC-SHA256(cookie, "...client-to-server hash" | ClientNonce | ServerNonce). */
export function computeClientHash(
  cookie: Uint8Array,
  clientNonce: Uint8Array,
  serverNonce: Uint8Array,
): Uint8Array {
  return hmac(cookie, CLIENT_HASH_LABEL, clientNonce, serverNonce);
}

/** Constant-time check of the server's hash. @throws PtError on mismatch (fatal). */
export function verifyServerHash(
  cookie: Uint8Array,
  clientNonce: Uint8Array,
  serverNonce: Uint8Array,
  serverHash: Uint8Array,
): void {
  const expected = computeServerHash(cookie, clientNonce, serverNonce);
  if (serverHash.length !== expected.length || !timingSafeEqual(serverHash, expected)) {
    throw new PtError(
      'ERR_EXTORPORT',
      'mismatch in the ExtORPort server hash: TOR_PT_AUTH_COOKIE_FILE does not hold the cookie of the tor we talk to',
    );
  }
}

/**
 * The server's offered auth types, terminated by 0x00. Like goptlib, at most 255 types are read
 * before the terminator must appear.
 */
export function parseAuthTypes(buf: Uint8Array): { value: Set<number>; consumed: number } | null {
  const limit = Math.min(buf.length, 256);
  for (let i = 0; i < limit; i++) {
    if (buf[i] === 0) return { value: new Set(buf.subarray(0, i)), consumed: i + 1 };
  }
  if (buf.length >= 256)
    throw new PtError('ERR_EXTORPORT', 'read 256 ExtORPort auth types without the 0x00 terminator');
  return null;
}

export interface ServerHashNonce {
  readonly serverHash: Uint8Array;
  readonly serverNonce: Uint8Array;
}

export function parseServerHashNonce(
  buf: Uint8Array,
): { value: ServerHashNonce; consumed: number } | null {
  if (buf.length < HASH_LENGTH + NONCE_LENGTH) return null;
  return {
    value: {
      serverHash: new Uint8Array(buf.subarray(0, HASH_LENGTH)),
      serverNonce: new Uint8Array(buf.subarray(HASH_LENGTH, HASH_LENGTH + NONCE_LENGTH)),
    },
    consumed: HASH_LENGTH + NONCE_LENGTH,
  };
}

/** The one-byte auth result. @throws PtError when tor rejected our client hash. */
export function parseAuthStatus(buf: Uint8Array): { value: true; consumed: number } | null {
  if (buf.length < 1) return null;
  if (buf[0] !== 1) {
    throw new PtError(
      'ERR_EXTORPORT',
      'tor rejected the ExtORPort authentication (status 0): check TOR_PT_AUTH_COOKIE_FILE',
    );
  }
  return { value: true, consumed: 1 };
}

export interface ExtOrMessage {
  readonly command: number;
  readonly body: Uint8Array;
}

/** `COMMAND BE16 | BODYLEN BE16 | BODY`. */
export function encodeCommand(command: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (!Number.isInteger(command) || command < 0 || command > 0xffff)
    throw new RangeError('command is 16 bits');
  if (body.length > 0xffff)
    throw new RangeError(`ExtORPort body of ${body.length} bytes exceeds 65535`);
  const out = new Uint8Array(4 + body.length);
  out[0] = command >> 8;
  out[1] = command & 0xff;
  out[2] = body.length >> 8;
  out[3] = body.length & 0xff;
  out.set(body, 4);
  return out;
}

export function parseCommand(buf: Uint8Array): { value: ExtOrMessage; consumed: number } | null {
  if (buf.length < 4) return null;
  const command = ((buf[0] ?? 0) << 8) | (buf[1] ?? 0);
  const len = ((buf[2] ?? 0) << 8) | (buf[3] ?? 0);
  if (buf.length < 4 + len) return null;
  return { value: { command, body: new Uint8Array(buf.subarray(4, 4 + len)) }, consumed: 4 + len };
}

/** The metadata commands a PT sends after authenticating: USERADDR, TRANSPORT, DONE. */
export function encodeMetadata(
  userAddr: string | undefined,
  transport: string | undefined,
): Uint8Array {
  const parts: Uint8Array[] = [];
  const text = (s: string, what: string): Uint8Array => {
    const b = Buffer.from(s, 'utf8');
    if (b.includes(0)) throw new RangeError(`${what} must not contain NUL`);
    return b;
  };
  if (userAddr !== undefined && userAddr !== '')
    parts.push(encodeCommand(ExtOrCommand.userAddr, text(userAddr, 'USERADDR')));
  if (transport !== undefined && transport !== '')
    parts.push(encodeCommand(ExtOrCommand.transport, text(transport, 'TRANSPORT')));
  parts.push(encodeCommand(ExtOrCommand.done));
  return Buffer.concat(parts);
}
