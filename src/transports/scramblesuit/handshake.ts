/**
 * ScrambleSuit's two handshakes, sans-IO (protocols.md §3.3).
 *
 * UniformDH, client then server:   K(192) ‖ P ‖ M ‖ MAC,  M = HMAC-SHA256-128(k_B, K),
 *                                  MAC = HMAC-SHA256-128(k_B, K ‖ P ‖ M ‖ E)
 * Session ticket, client only:     T(112) ‖ P ‖ M ‖ MAC,  with the client→server HMAC key of the
 *                                  ticket's master key in place of k_B; the server does not answer
 *                                  it (both sides already hold the keys).
 *
 * E is the Unix time in hours, as decimal text. The server accepts the client's E if it is within
 * one hour of its own (E−1, E, E+1) and echoes the client's E in its reply, which is what the
 * client checks. Padding is uniform in [0, 1308] (UniformDH) or [0, 1388] (ticket), so neither
 * message exceeds 1532 bytes; the receiver finds the end by searching for M.
 */
import { sha256, hmacSha256 } from '../../crypto/hmac.js';
import { ascii, concatBytes, ctEqual, indexOfBytes } from '../../crypto/bytes.js';
import { randomBytes, randomIntRange, type RandomSource } from '../../crypto/random.js';
import { uniformDhSharedSecret, type UniformDhKeypair } from '../../crypto/uniformdh.js';
import { HandshakeError } from '../../errors.js';
import {
  DH_MAX_PAD_LENGTH,
  EPOCH_HOUR_MS,
  MAC_LENGTH,
  MAX_HANDSHAKE_LENGTH,
  PUBLIC_KEY_LENGTH,
  TICKET_LENGTH,
  TICKET_MAX_PAD_LENGTH,
} from './constants.js';
import { deriveSessionKeys } from './keys.js';
import { openTicket, type OpenedTicket, type TicketKeys } from './ticket.js';

/** HMAC-SHA256 truncated to 128 bits, ScrambleSuit's MAC for marks, handshakes and messages. */
export function hmac128(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  return hmacSha256(key, ...parts).subarray(0, MAC_LENGTH);
}

/** E: the hours since the Unix epoch, as the decimal string that goes into handshake MACs. */
export function epochHour(nowMs: number): string {
  return String(Math.floor(nowMs / EPOCH_HOUR_MS));
}

/**
 * Builds `head ‖ P ‖ M ‖ MAC(head ‖ P ‖ M ‖ E)` with M = MAC(head): the shape of all three
 * handshake messages.
 */
export function handshakeMessage(
  key: Uint8Array,
  head: Uint8Array,
  padding: Uint8Array,
  epoch: string,
): Uint8Array {
  const mark = hmac128(key, head);
  const mac = hmac128(key, head, padding, mark, ascii(epoch));
  return concatBytes(head, padding, mark, mac);
}

/** Where a message starting with `headLength` bytes of key/ticket ends, per its mark and MAC. */
interface Located {
  /** Offset of the mark. */
  markAt: number;
  /** Offset just past the MAC. */
  end: number;
}

/**
 * Looks for `mark` after the first `headLength` bytes, only where a message of at most 1532
 * bytes could have it, and for the MAC after it. 'more' = not yet (but still possible).
 */
function locate(buf: Uint8Array, headLength: number, mark: Uint8Array): Located | 'more' | 'none' {
  const searchEnd = Math.min(buf.length, MAX_HANDSHAKE_LENGTH - MAC_LENGTH);
  const markAt = indexOfBytes(buf, mark, headLength, searchEnd);
  if (markAt < 0) return buf.length >= MAX_HANDSHAKE_LENGTH ? 'none' : 'more';
  const end = markAt + 2 * MAC_LENGTH;
  return buf.length < end ? 'more' : { markAt, end };
}

// ------------------------------------------------------------------ client

export interface ClientDhParams {
  /** k_B, the bridge's 20-byte shared secret. */
  readonly secret: Uint8Array;
  readonly keypair: UniformDhKeypair;
  readonly rng?: RandomSource;
  readonly now?: () => number;
}

export interface ClientDhResult {
  readonly masterKey: Uint8Array;
  /** Bytes of the input that belonged to the server's handshake; what follows are messages. */
  readonly consumed: number;
}

export class ClientDhHandshake {
  readonly #p: ClientDhParams;
  #epoch = '';
  #serverMark: Uint8Array | null = null;

  constructor(p: ClientDhParams) {
    this.#p = p;
  }

  generate(): Uint8Array {
    const padding = randomBytes(randomIntRange(0, DH_MAX_PAD_LENGTH, this.#p.rng), this.#p.rng);
    this.#epoch = epochHour((this.#p.now ?? Date.now)());
    return handshakeMessage(this.#p.secret, this.#p.keypair.publicKey, padding, this.#epoch);
  }

  /**
   * Everything received so far. Null while the server's mark and MAC have not arrived.
   * @throws HandshakeError when no valid reply fits in 1532 bytes, or its MAC or key is wrong.
   */
  parseServer(buf: Uint8Array): ClientDhResult | null {
    if (buf.length < PUBLIC_KEY_LENGTH + 2 * MAC_LENGTH) return null;
    const y = buf.subarray(0, PUBLIC_KEY_LENGTH);
    this.#serverMark ??= hmac128(this.#p.secret, y);
    const at = locate(buf, PUBLIC_KEY_LENGTH, this.#serverMark);
    if (at === 'more') return null;
    if (at === 'none') {
      throw new HandshakeError(
        'ERR_HANDSHAKE_TOO_LONG',
        'no scramblesuit server handshake within 1532 bytes (is the password right?)',
      );
    }
    const mac = hmac128(
      this.#p.secret,
      buf.subarray(0, at.markAt + MAC_LENGTH),
      ascii(this.#epoch),
    );
    if (!ctEqual(mac, buf.subarray(at.markAt + MAC_LENGTH, at.end))) {
      throw new HandshakeError(
        'ERR_HANDSHAKE_AUTH',
        'the scramblesuit server handshake MAC is wrong',
      );
    }
    const shared = uniformDhSharedSecret(this.#p.keypair.privateKey, y);
    if (shared === null) {
      throw new HandshakeError(
        'ERR_HANDSHAKE_INVALID',
        'the scramblesuit server sent an invalid public key',
      );
    }
    return { masterKey: sha256(shared), consumed: at.end };
  }
}

/** The client's ticket redemption: T ‖ P ‖ M ‖ MAC, keyed with the ticket's client→server HMAC key. */
export function ticketHandshake(
  ticket: Uint8Array,
  masterKey: Uint8Array,
  nowMs: number,
  rng?: RandomSource,
): Uint8Array {
  const macKey = deriveSessionKeys(masterKey).upstream.macKey;
  const padding = randomBytes(randomIntRange(0, TICKET_MAX_PAD_LENGTH, rng), rng);
  return handshakeMessage(macKey, ticket, padding, epochHour(nowMs));
}

// ------------------------------------------------------------------ server

/** ReplayFilter's contract: true if `buf` was seen within the TTL; records it either way. */
export interface SeenSet {
  testAndSet(nowMs: number, buf: Uint8Array): boolean;
}

export interface ServerHandshakeParams {
  readonly secret: Uint8Array;
  /** The ticket keys a ticket may be sealed with: current first, then the previous ones. */
  readonly ticketKeys: readonly TicketKeys[];
  /** MACs of accepted handshakes of both kinds. */
  readonly replay: SeenSet;
  /** Tickets already redeemed: each is good for one connection. */
  readonly redeemed: SeenSet;
  /** The server's UniformDH session key, made before the connection's first byte was read. */
  readonly keypair: UniformDhKeypair;
  readonly rng?: RandomSource;
  readonly now: () => number;
}

export interface ServerResult {
  readonly kind: 'uniformdh' | 'ticket';
  readonly masterKey: Uint8Array;
  readonly consumed: number;
  /** UniformDH: the server's reply, to send before anything else. Ticket: null. */
  readonly reply: Uint8Array | null;
}

export class ServerHandshake {
  readonly #p: ServerHandshakeParams;
  /** undefined: not looked at yet; null: the first 112 bytes are not a live ticket of ours. */
  #ticket: (OpenedTicket & { macKey: Uint8Array; mark: Uint8Array }) | null | undefined;
  #dhMark: Uint8Array | null = null;

  constructor(p: ServerHandshakeParams) {
    this.#p = p;
  }

  /**
   * Everything received so far. Null while neither handshake is complete and 1532 bytes have
   * not arrived. Throws HandshakeError otherwise; the caller must then answer nothing.
   */
  parseClient(buf: Uint8Array): ServerResult | null {
    const nowMs = this.#p.now();
    const ticket = this.#tryTicket(buf, nowMs);
    if (ticket !== null) return ticket;
    const dh = this.#tryUniformDh(buf, nowMs);
    if (dh !== null) return dh;
    if (buf.length >= MAX_HANDSHAKE_LENGTH) {
      throw new HandshakeError(
        'ERR_HANDSHAKE_TOO_LONG',
        'no scramblesuit client handshake within 1532 bytes',
      );
    }
    return null;
  }

  /** Which of E−1, E, E+1 authenticates `mac` over `signed`, or null. */
  #epochOf(key: Uint8Array, signed: Uint8Array, mac: Uint8Array, nowMs: number): string | null {
    const e = Math.floor(nowMs / EPOCH_HOUR_MS);
    for (const cand of [e, e - 1, e + 1]) {
      if (ctEqual(hmac128(key, signed, ascii(String(cand))), mac)) return String(cand);
    }
    return null;
  }

  #tryTicket(buf: Uint8Array, nowMs: number): ServerResult | null {
    if (buf.length < TICKET_LENGTH + 2 * MAC_LENGTH) return null;
    if (this.#ticket === undefined) {
      const t = buf.subarray(0, TICKET_LENGTH);
      const opened = openTicket(this.#p.ticketKeys, t, Math.floor(nowMs / 1000));
      if (opened === null) {
        this.#ticket = null;
      } else {
        const macKey = deriveSessionKeys(opened.masterKey).upstream.macKey;
        this.#ticket = { ...opened, macKey, mark: hmac128(macKey, t) };
      }
    }
    const t = this.#ticket;
    if (t === null) return null;
    const at = locate(buf, TICKET_LENGTH, t.mark);
    if (at === 'more' || at === 'none') return null;
    const mac = buf.subarray(at.markAt + MAC_LENGTH, at.end);
    if (this.#epochOf(t.macKey, buf.subarray(0, at.markAt + MAC_LENGTH), mac, nowMs) === null) {
      throw new HandshakeError('ERR_HANDSHAKE_AUTH', 'scramblesuit ticket handshake MAC is wrong');
    }
    if (this.#p.replay.testAndSet(nowMs, mac)) {
      throw new HandshakeError('ERR_HANDSHAKE_REPLAY', 'replayed scramblesuit ticket handshake');
    }
    if (this.#p.redeemed.testAndSet(nowMs, buf.subarray(0, TICKET_LENGTH))) {
      throw new HandshakeError('ERR_HANDSHAKE_REPLAY', 'scramblesuit ticket redeemed twice');
    }
    return { kind: 'ticket', masterKey: t.masterKey, consumed: at.end, reply: null };
  }

  #tryUniformDh(buf: Uint8Array, nowMs: number): ServerResult | null {
    if (buf.length < PUBLIC_KEY_LENGTH + 2 * MAC_LENGTH) return null;
    const x = buf.subarray(0, PUBLIC_KEY_LENGTH);
    this.#dhMark ??= hmac128(this.#p.secret, x);
    const at = locate(buf, PUBLIC_KEY_LENGTH, this.#dhMark);
    if (at === 'more' || at === 'none') return null;
    const mac = buf.subarray(at.markAt + MAC_LENGTH, at.end);
    const epoch = this.#epochOf(
      this.#p.secret,
      buf.subarray(0, at.markAt + MAC_LENGTH),
      mac,
      nowMs,
    );
    if (epoch === null) {
      throw new HandshakeError(
        'ERR_HANDSHAKE_AUTH',
        'scramblesuit UniformDH handshake MAC is wrong (clock more than an hour off?)',
      );
    }
    if (this.#p.replay.testAndSet(nowMs, mac)) {
      throw new HandshakeError('ERR_HANDSHAKE_REPLAY', 'replayed scramblesuit UniformDH handshake');
    }
    const shared = uniformDhSharedSecret(this.#p.keypair.privateKey, x);
    if (shared === null) {
      throw new HandshakeError(
        'ERR_HANDSHAKE_INVALID',
        'invalid UniformDH public key from the client',
      );
    }
    const padding = randomBytes(randomIntRange(0, DH_MAX_PAD_LENGTH, this.#p.rng), this.#p.rng);
    const reply = handshakeMessage(this.#p.secret, this.#p.keypair.publicKey, padding, epoch);
    return { kind: 'uniformdh', masterKey: sha256(shared), consumed: at.end, reply };
  }
}
