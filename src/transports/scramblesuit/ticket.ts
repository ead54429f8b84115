/**
 * Session tickets, the server side (the Python obfsproxy's ticket.py layout, which obfs4proxy's
 * client treats as opaque 112 bytes):
 *
 *   ticket = IV(16) ‖ AES-128-CBC(ticket AES key, IV, state) ‖ HMAC-SHA256(ticket HMAC key, IV ‖ enc)
 *   state  = issue date (LE32 Unix seconds) ‖ "ScrambleSuitTicket" ‖ master key(32) ‖ 10 zero bytes
 *
 * (Python packs the date with struct 'I', native order: little-endian on every platform it ran
 * on.) Only the issuing server can open a ticket; it carries the master key of the client's next
 * session, which the client received beside it in a NEW_TICKET message.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { ascii, ctEqual } from '../../crypto/bytes.js';
import { hmacSha256 } from '../../crypto/hmac.js';
import { randomBytes, type RandomSource } from '../../crypto/random.js';
import {
  MASTER_KEY_LENGTH,
  TICKET_AES_KEY_LENGTH,
  TICKET_HMAC_KEY_LENGTH,
  TICKET_IDENTIFIER,
  TICKET_IV_LENGTH,
  TICKET_LENGTH,
  TICKET_LIFETIME_S,
  TICKET_STATE_LENGTH,
} from './constants.js';

const IDENTIFIER = ascii(TICKET_IDENTIFIER);
const SEALED_LENGTH = TICKET_IV_LENGTH + TICKET_STATE_LENGTH; // 80: what the HMAC covers

/** The server's keys for sealing tickets. */
export interface TicketKeys {
  readonly aesKey: Uint8Array;
  readonly hmacKey: Uint8Array;
}

export interface OpenedTicket {
  readonly masterKey: Uint8Array;
  /** Unix seconds. */
  readonly issuedAt: number;
}

export function newTicketKeys(rng?: RandomSource): TicketKeys {
  return {
    aesKey: randomBytes(TICKET_AES_KEY_LENGTH, rng),
    hmacKey: randomBytes(TICKET_HMAC_KEY_LENGTH, rng),
  };
}

function cbc(encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const c = encrypt
    ? createCipheriv('aes-128-cbc', key, iv)
    : createDecipheriv('aes-128-cbc', key, iv);
  // The state is exactly four blocks: no padding on either side.
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

/** Seals `masterKey` issued at `issuedAt` (Unix seconds) into a 112-byte ticket. */
export function sealTicket(
  keys: TicketKeys,
  masterKey: Uint8Array,
  issuedAt: number,
  rng?: RandomSource,
): Uint8Array {
  if (masterKey.length !== MASTER_KEY_LENGTH) throw new RangeError('master key must be 32 bytes');
  const state = new Uint8Array(TICKET_STATE_LENGTH);
  new DataView(state.buffer).setUint32(0, issuedAt >>> 0, true);
  state.set(IDENTIFIER, 4);
  state.set(masterKey, 4 + IDENTIFIER.length);
  const iv = randomBytes(TICKET_IV_LENGTH, rng);
  const ticket = new Uint8Array(TICKET_LENGTH);
  ticket.set(iv, 0);
  ticket.set(cbc(true, keys.aesKey, iv, state), TICKET_IV_LENGTH);
  ticket.set(hmacSha256(keys.hmacKey, ticket.subarray(0, SEALED_LENGTH)), SEALED_LENGTH);
  return ticket;
}

/**
 * Opens a ticket sealed with any of `keySets` (current keys first, then the rotated-out ones).
 * Returns null for anything that is not a live ticket of this server: wrong length, foreign
 * or forged HMAC, a missing identifier, or an issue date more than the 7-day lifetime ago.
 */
export function openTicket(
  keySets: readonly TicketKeys[],
  ticket: Uint8Array,
  nowSeconds: number,
): OpenedTicket | null {
  if (ticket.length !== TICKET_LENGTH) return null;
  const sealed = ticket.subarray(0, SEALED_LENGTH);
  const tag = ticket.subarray(SEALED_LENGTH);
  const keys = keySets.find((k) => ctEqual(hmacSha256(k.hmacKey, sealed), tag));
  if (keys === undefined) return null;
  const state = cbc(
    false,
    keys.aesKey,
    ticket.subarray(0, TICKET_IV_LENGTH),
    ticket.subarray(TICKET_IV_LENGTH, SEALED_LENGTH),
  );
  if (!ctEqual(state.subarray(4, 4 + IDENTIFIER.length), IDENTIFIER)) return null;
  const issuedAt = new DataView(state.buffer, state.byteOffset).getUint32(0, true);
  if (nowSeconds - issuedAt > TICKET_LIFETIME_S) return null;
  const off = 4 + IDENTIFIER.length;
  return { masterKey: state.slice(off, off + MASTER_KEY_LENGTH), issuedAt };
}
