/**
 * The obfs4 handshake (handshake_ntor.go), sans-IO: the caller feeds received bytes and writes
 * what these classes return. Randomness and the clock are injected so that known-answer tests
 * can replay a handshake byte for byte.
 *
 *   client → server: X' ‖ P_C ‖ M_C ‖ MAC_C
 *   server → client: Y' ‖ AUTH ‖ P_S ‖ M_S ‖ MAC_S    (then the PRNG-seed frame)
 *
 *   K = B ‖ NODEID, M_x = HMAC-SHA256(K, repr)[:16],
 *   MAC_x = HMAC-SHA256(K, everything before it ‖ E)[:16], E = decimal hours since the epoch.
 */
import { ascii, ctEqual, indexOfBytes } from '../../crypto/bytes.js';
import { representativeToPublicKey, type SessionKeypair } from '../../crypto/elligator2.js';
import { HmacSha256 } from '../../crypto/hmac.js';
import { ntorClientHandshake, ntorServerHandshake } from '../../crypto/ntor.js';
import { randomIntRange, systemRandom, type RandomSource } from '../../crypto/random.js';
import { HandshakeError } from '../../errors.js';
import {
  AUTH_LENGTH,
  CLIENT_MAX_PAD_LENGTH,
  CLIENT_MIN_HANDSHAKE_LENGTH,
  CLIENT_MIN_PAD_LENGTH,
  MAC_LENGTH,
  MARK_LENGTH,
  MAX_HANDSHAKE_LENGTH,
  REPRESENTATIVE_LENGTH,
  SERVER_MAX_PAD_LENGTH,
  SERVER_MIN_HANDSHAKE_LENGTH,
  SERVER_MIN_PAD_LENGTH,
} from './constants.js';

/** What the server handshake needs of a replay filter (see crypto/replay-filter.ts). */
export interface ReplayCheck {
  /** True when `buf` was seen before (a replay); records it otherwise. */
  testAndSet(nowMs: number, buf: Uint8Array): boolean;
}

export interface HandshakeClock {
  readonly rng?: RandomSource;
  /** Milliseconds since the Unix epoch. */
  readonly now?: () => number;
}

export interface ServerIdentity {
  readonly nodeId: Uint8Array;
  readonly publicKey: Uint8Array;
}

export interface ServerIdentityKeys extends ServerIdentity {
  readonly privateKey: Uint8Array;
}

export function epochHour(nowMs: number, offset = 0): Uint8Array {
  return ascii(String(Math.floor(nowMs / 3_600_000) + offset));
}

/**
 * The MAC key B ‖ NODEID, prepared once per identity: a bridge serves every connection with one
 * identity object, a client's handshake MACs four times with its bridge's. Keyed by the object,
 * which is sound because nothing changes an identity's bytes in place (a new identity is a new
 * object).
 */
const macKeys = new WeakMap<ServerIdentity, HmacSha256>();

function macKey(identity: ServerIdentity): HmacSha256 {
  let key = macKeys.get(identity);
  if (key === undefined) {
    const k = new Uint8Array(identity.publicKey.length + identity.nodeId.length);
    k.set(identity.publicKey, 0);
    k.set(identity.nodeId, identity.publicKey.length);
    key = new HmacSha256(k);
    macKeys.set(identity, key);
  }
  return key;
}

// Truncations copy (`slice`) rather than view (`subarray`): a view needs the 32-byte digest's
// ArrayBuffer, which V8 then has to move off its heap (~1 µs; see crypto/sodium.ts).
function mark(key: HmacSha256, representative: Uint8Array): Uint8Array {
  return key.mac([representative]).slice(0, MARK_LENGTH);
}

function mac(key: HmacSha256, body: Uint8Array, epoch: Uint8Array): Uint8Array {
  return key.mac([body, epoch]).slice(0, MAC_LENGTH);
}

/** `mac` for each epoch hour, the body (up to 8 KiB) copied and hashed-in once per epoch. */
function macs(key: HmacSha256, body: Uint8Array, epochs: readonly Uint8Array[]): Uint8Array[] {
  return key.macSuffixes([body], epochs).map((m) => m.slice(0, MAC_LENGTH));
}

export interface HandshakeResult {
  /** Bytes of the input that belonged to the handshake; the rest are data-phase frames. */
  consumed: number;
  keySeed: Uint8Array;
}

export class ClientHandshake {
  readonly #identity: ServerIdentity;
  readonly #key: HmacSha256;
  readonly #session: SessionKeypair;
  readonly #rng: RandomSource;
  readonly #now: () => number;
  readonly #padLength: number | undefined;
  #epoch: Uint8Array | null = null;
  #serverMark: Uint8Array | null = null;

  constructor(
    p: {
      identity: ServerIdentity;
      sessionKey: SessionKeypair;
      padLength?: number;
    } & HandshakeClock,
  ) {
    this.#identity = p.identity;
    this.#key = macKey(p.identity);
    this.#session = p.sessionKey;
    this.#rng = p.rng ?? systemRandom;
    this.#now = p.now ?? Date.now;
    this.#padLength = p.padLength;
  }

  /** The client's single handshake message. */
  generate(): Uint8Array {
    const padLength =
      this.#padLength ?? randomIntRange(CLIENT_MIN_PAD_LENGTH, CLIENT_MAX_PAD_LENGTH, this.#rng);
    if (padLength < CLIENT_MIN_PAD_LENGTH || padLength > CLIENT_MAX_PAD_LENGTH) {
      throw new RangeError(
        `client pad length ${padLength} outside [${CLIENT_MIN_PAD_LENGTH}, ${CLIENT_MAX_PAD_LENGTH}]`,
      );
    }
    const repr = this.#session.representative;
    // Every byte is written below; a pooled Buffer spares the message an ArrayBuffer of its own.
    const out = Buffer.allocUnsafe(CLIENT_MIN_HANDSHAKE_LENGTH + padLength);
    out.set(repr, 0);
    this.#rng.fill(out.subarray(REPRESENTATIVE_LENGTH, REPRESENTATIVE_LENGTH + padLength));
    const markPos = REPRESENTATIVE_LENGTH + padLength;
    out.set(mark(this.#key, repr), markPos);
    this.#epoch = epochHour(this.#now());
    out.set(
      mac(this.#key, out.subarray(0, markPos + MARK_LENGTH), this.#epoch),
      markPos + MARK_LENGTH,
    );
    return out;
  }

  /**
   * Looks for a complete server response at the start of `buf` (everything received so far).
   * Returns null while more bytes are needed; throws HandshakeError when the response is bad.
   */
  parseServer(buf: Uint8Array): HandshakeResult | null {
    if (this.#epoch === null) throw new TypeError('generate() must be called before parseServer()');
    if (buf.length < SERVER_MIN_HANDSHAKE_LENGTH) return null;
    const repr = buf.subarray(0, REPRESENTATIVE_LENGTH);
    this.#serverMark ??= mark(this.#key, repr);
    // The server may send frames right behind its response, so the mark is searched for
    // anywhere in the window rather than at the tail.
    const start = REPRESENTATIVE_LENGTH + AUTH_LENGTH + SERVER_MIN_PAD_LENGTH;
    const end = Math.min(buf.length, MAX_HANDSHAKE_LENGTH);
    let pos = indexOfBytes(buf, this.#serverMark, start, end);
    if (pos !== -1 && pos + MARK_LENGTH + MAC_LENGTH > end) pos = -1;
    if (pos === -1) {
      if (buf.length >= MAX_HANDSHAKE_LENGTH) {
        throw new HandshakeError(
          'ERR_HANDSHAKE_INVALID',
          'obfs4 server response has no valid mark',
        );
      }
      return null;
    }
    const macEnd = pos + MARK_LENGTH + MAC_LENGTH;
    const expected = mac(this.#key, buf.subarray(0, pos + MARK_LENGTH), this.#epoch);
    if (!ctEqual(expected, buf.subarray(pos + MARK_LENGTH, macEnd))) {
      throw new HandshakeError(
        'ERR_HANDSHAKE_AUTH',
        "obfs4 server response MAC mismatch (is this machine's clock more than an hour off?)",
      );
    }
    const serverPublic = representativeToPublicKey(repr);
    const result = ntorClientHandshake(
      this.#session,
      serverPublic,
      this.#identity.publicKey,
      this.#identity.nodeId,
    );
    if (result === null) {
      throw new HandshakeError(
        'ERR_HANDSHAKE_AUTH',
        'obfs4 ntor failed: the server sent a degenerate key',
      );
    }
    if (
      !ctEqual(
        result.auth,
        buf.subarray(REPRESENTATIVE_LENGTH, REPRESENTATIVE_LENGTH + AUTH_LENGTH),
      )
    ) {
      throw new HandshakeError(
        'ERR_HANDSHAKE_AUTH',
        'obfs4 ntor AUTH mismatch: the cert in the bridge line does not belong to this server',
      );
    }
    return { consumed: macEnd, keySeed: result.keySeed };
  }
}

export class ServerHandshake {
  readonly #identity: ServerIdentityKeys;
  readonly #key: HmacSha256;
  readonly #session: SessionKeypair;
  readonly #replay: ReplayCheck;
  readonly #rng: RandomSource;
  readonly #now: () => number;
  readonly #padLength: number | undefined;
  #epoch: Uint8Array | null = null;
  #auth: Uint8Array | null = null;

  constructor(
    p: {
      identity: ServerIdentityKeys;
      sessionKey: SessionKeypair;
      replayFilter: ReplayCheck;
      padLength?: number;
    } & HandshakeClock,
  ) {
    this.#identity = p.identity;
    this.#key = macKey(p.identity);
    this.#session = p.sessionKey;
    this.#replay = p.replayFilter;
    this.#rng = p.rng ?? systemRandom;
    this.#now = p.now ?? Date.now;
    this.#padLength = p.padLength;
  }

  /**
   * Examines everything received so far. Returns null while more bytes are needed and throws
   * HandshakeError when the handshake is invalid. Mirrors the reference exactly, including what
   * it does not accept: the mark is only looked for at the tail of the buffer, trailing bytes
   * after MAC_C are invalid, and more than 8192 bytes without a mark are invalid. The caller
   * must feed at most 8192 new bytes between calls, as the reference reads.
   */
  parseClient(buf: Uint8Array): HandshakeResult | null {
    if (buf.length < CLIENT_MIN_HANDSHAKE_LENGTH) return null;
    const repr = buf.subarray(0, REPRESENTATIVE_LENGTH);
    const clientMark = mark(this.#key, repr);
    const start = REPRESENTATIVE_LENGTH + CLIENT_MIN_PAD_LENGTH;
    const end = Math.min(buf.length, MAX_HANDSHAKE_LENGTH);
    let pos = -1;
    if (buf.length >= start && end - start >= MARK_LENGTH + MAC_LENGTH) {
      // The client cannot send anything after MAC_C before it has the server's key, so only the
      // tail can hold the mark.
      const candidate = end - (MARK_LENGTH + MAC_LENGTH);
      if (ctEqual(buf.subarray(candidate, candidate + MARK_LENGTH), clientMark)) pos = candidate;
    }
    if (pos === -1) {
      if (buf.length >= MAX_HANDSHAKE_LENGTH) {
        throw new HandshakeError(
          'ERR_HANDSHAKE_TOO_LONG',
          'obfs4 client handshake: no mark in 8192 bytes',
        );
      }
      return null;
    }
    const macRx = buf.subarray(pos + MARK_LENGTH, pos + MARK_LENGTH + MAC_LENGTH);
    const body = buf.subarray(0, pos + MARK_LENGTH);
    const now = this.#now();
    let matched: Uint8Array | null = null;
    let replayed = false;
    // Epoch hour, then one hour either side (clock skew); all three are always computed so the
    // time taken does not say which matched.
    const epochs = [epochHour(now, 0), epochHour(now, -1), epochHour(now, 1)];
    const expected = macs(this.#key, body, epochs);
    for (let i = 0; i < epochs.length; i++) {
      if (ctEqual(expected[i]!, macRx)) {
        if (this.#replay.testAndSet(now, macRx)) replayed = true;
        matched = epochs[i]!;
      }
    }
    if (replayed)
      throw new HandshakeError('ERR_HANDSHAKE_REPLAY', 'obfs4 client handshake replayed');
    if (matched === null)
      throw new HandshakeError('ERR_HANDSHAKE_INVALID', 'obfs4 client handshake MAC mismatch');
    if (buf.length !== pos + MARK_LENGTH + MAC_LENGTH) {
      throw new HandshakeError(
        'ERR_HANDSHAKE_INVALID',
        'obfs4 client handshake has trailing bytes',
      );
    }
    const clientPublic = representativeToPublicKey(repr);
    const result = ntorServerHandshake(
      this.#session,
      clientPublic,
      this.#identity,
      this.#identity.nodeId,
    );
    if (result === null) {
      throw new HandshakeError(
        'ERR_HANDSHAKE_INVALID',
        'obfs4 ntor failed: the client sent a degenerate key',
      );
    }
    this.#epoch = matched;
    this.#auth = result.auth;
    return { consumed: buf.length, keySeed: result.keySeed };
  }

  /** The server's response (without the PRNG-seed frame). Only after parseClient succeeded. */
  generate(): Uint8Array {
    if (this.#epoch === null || this.#auth === null) {
      throw new TypeError('parseClient() must succeed before generate()');
    }
    const padLength =
      this.#padLength ?? randomIntRange(SERVER_MIN_PAD_LENGTH, SERVER_MAX_PAD_LENGTH, this.#rng);
    if (padLength < SERVER_MIN_PAD_LENGTH || padLength > SERVER_MAX_PAD_LENGTH) {
      throw new RangeError(
        `server pad length ${padLength} outside [${SERVER_MIN_PAD_LENGTH}, ${SERVER_MAX_PAD_LENGTH}]`,
      );
    }
    const repr = this.#session.representative;
    // Every byte is written below; a pooled Buffer spares the message an ArrayBuffer of its own.
    const out = Buffer.allocUnsafe(SERVER_MIN_HANDSHAKE_LENGTH + padLength);
    out.set(repr, 0);
    out.set(this.#auth, REPRESENTATIVE_LENGTH);
    const markPos = REPRESENTATIVE_LENGTH + AUTH_LENGTH + padLength;
    this.#rng.fill(out.subarray(REPRESENTATIVE_LENGTH + AUTH_LENGTH, markPos));
    out.set(mark(this.#key, repr), markPos);
    out.set(
      mac(this.#key, out.subarray(0, markPos + MARK_LENGTH), this.#epoch),
      markPos + MARK_LENGTH,
    );
    return out;
  }
}
