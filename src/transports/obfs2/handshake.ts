/**
 * The obfs2 handshake, sans-IO. Each side sends SEED(16) ‖ E_padkey(BE32(MAGIC) ‖ BE32(PADLEN) ‖
 * random(PADLEN)) without waiting, then reads the peer's seed and 8-byte header and skips PADLEN
 * bytes. Input is consumed the way obfs4proxy reads it (exactly 16, then 8, then PADLEN bytes),
 * so when it refuses a header the caller knows whether the reference would have left bytes
 * unread, which decides FIN or RST on close.
 */
import { aes128Ctr } from '../../crypto/aes-ctr.js';
import { concatBytes } from '../../crypto/bytes.js';
import {
  randomBytes,
  randomIntRange,
  systemRandom,
  type RandomSource,
} from '../../crypto/random.js';
import { HandshakeError } from '../../errors.js';
import { HEADER_LENGTH, MAGIC_VALUE, MAX_PADDING, SEED_LENGTH } from './constants.js';
import { dataKeys, paddingKey, type Obfs2DataKeys, type SharedSecret } from './keys.js';

export interface Obfs2HandshakeParams {
  readonly initiator: boolean;
  readonly secret?: SharedSecret | undefined;
  readonly rng?: RandomSource | undefined;
  /** Test seams. */
  readonly seed?: Uint8Array;
  readonly padLength?: number;
}

export interface Obfs2HandshakeResult {
  readonly keys: Obfs2DataKeys;
  /** Bytes after the peer's padding. */
  readonly leftover: Uint8Array;
}

export class Obfs2Handshake {
  readonly #initiator: boolean;
  readonly #secret: SharedSecret | undefined;
  readonly #rng: RandomSource;
  readonly #seed: Uint8Array;
  readonly #padLength: number | undefined;
  #received: Uint8Array = new Uint8Array(0);
  #peerSeed: Uint8Array | null = null;
  #skip = 0;
  #unreadAtFailure = false;

  constructor(p: Obfs2HandshakeParams) {
    this.#initiator = p.initiator;
    this.#secret = p.secret;
    this.#rng = p.rng ?? systemRandom;
    this.#seed = p.seed ?? randomBytes(SEED_LENGTH, this.#rng);
    this.#padLength = p.padLength;
  }

  /** SEED ‖ E(BE32(MAGIC) ‖ BE32(PADLEN) ‖ WR(PADLEN)), PADLEN uniform in [0, 8192]. */
  hello(): Uint8Array {
    const pad = this.#padLength ?? randomIntRange(0, MAX_PADDING, this.#rng);
    const plain = new Uint8Array(HEADER_LENGTH + pad);
    const view = new DataView(plain.buffer);
    view.setUint32(0, MAGIC_VALUE);
    view.setUint32(4, pad);
    plain.set(randomBytes(pad, this.#rng), HEADER_LENGTH);
    const k = paddingKey(this.#initiator, this.#seed, this.#secret);
    return concatBytes(this.#seed, aes128Ctr(k.key, k.counter).update(plain));
  }

  /** Feeds received bytes; returns the data keys once the peer's padding is skipped, else null. */
  receive(chunk: Uint8Array): Obfs2HandshakeResult | null {
    this.#received = concatBytes(this.#received, chunk);
    if (this.#peerSeed === null) {
      if (this.#received.length < SEED_LENGTH + HEADER_LENGTH) return null;
      const peerSeed = this.#received.slice(0, SEED_LENGTH);
      const k = paddingKey(!this.#initiator, peerSeed, this.#secret);
      const header = aes128Ctr(k.key, k.counter).update(
        this.#received.subarray(SEED_LENGTH, SEED_LENGTH + HEADER_LENGTH),
      );
      const view = new DataView(header.buffer, header.byteOffset, HEADER_LENGTH);
      const magic = view.getUint32(0);
      const padLength = view.getUint32(4);
      this.#unreadAtFailure = this.#received.length > SEED_LENGTH + HEADER_LENGTH;
      if (magic !== MAGIC_VALUE) {
        throw new HandshakeError(
          'ERR_HANDSHAKE_INVALID',
          `obfs2: wrong magic value ${magic.toString(16).padStart(8, '0')} (a different shared secret, or not obfs2)`,
        );
      }
      if (padLength > MAX_PADDING) {
        throw new HandshakeError(
          'ERR_HANDSHAKE_TOO_LONG',
          `obfs2: padding length ${padLength} is over ${MAX_PADDING}`,
        );
      }
      this.#peerSeed = peerSeed;
      this.#skip = padLength;
      this.#received = this.#received.subarray(SEED_LENGTH + HEADER_LENGTH);
    }
    if (this.#received.length < this.#skip) return null;
    const leftover = this.#received.subarray(this.#skip);
    const [initSeed, respSeed] = this.#initiator
      ? [this.#seed, this.#peerSeed]
      : [this.#peerSeed, this.#seed];
    return { keys: dataKeys(initSeed, respSeed, this.#secret), leftover };
  }

  /** After receive() threw: whether obfs4proxy would have left bytes of the input unread. */
  get unreadAtFailure(): boolean {
    return this.#unreadAtFailure;
  }
}
