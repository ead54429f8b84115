/**
 * The obfs3 key exchange, sans-IO: each side sends PUB(192) ‖ random(U[0, 4097]) without waiting
 * for the other, then reads the peer's 192-byte public key. What follows the key (the peer's
 * padding, magic and data) belongs to the data phase (see magic-scanner.ts), as in obfs4proxy,
 * whose handshake returns as soon as the key is in.
 */
import { concatBytes } from '../../crypto/bytes.js';
import {
  randomBytes,
  randomIntRange,
  systemRandom,
  type RandomSource,
} from '../../crypto/random.js';
import {
  generateUniformDhKeypair,
  uniformDhSharedSecret,
  UNIFORMDH_LENGTH,
  type UniformDhKeypair,
} from '../../crypto/uniformdh.js';
import { HandshakeError } from '../../errors.js';
import { MAX_SEND_PADDING } from './constants.js';
import { deriveObfs3Keys, type Obfs3Keys } from './keys.js';

export interface Obfs3HandshakeParams {
  /** The party that opened the connection (the client). */
  readonly initiator: boolean;
  /** Test seam; a fresh keypair otherwise. */
  readonly keypair?: UniformDhKeypair;
  readonly rng?: RandomSource;
  /** Test seam: the padding length after the public key. */
  readonly padLength?: number;
}

export interface Obfs3HandshakeResult {
  readonly keys: Obfs3Keys;
  /** Bytes that came after the peer's public key. */
  readonly leftover: Uint8Array;
}

export class Obfs3Handshake {
  readonly #initiator: boolean;
  readonly #keypair: UniformDhKeypair;
  readonly #rng: RandomSource;
  readonly #padLength: number | undefined;
  #received: Uint8Array = new Uint8Array(0);

  constructor(p: Obfs3HandshakeParams) {
    this.#initiator = p.initiator;
    this.#rng = p.rng ?? systemRandom;
    this.#keypair = p.keypair ?? generateUniformDhKeypair(this.#rng);
    this.#padLength = p.padLength;
  }

  /** PUB ‖ WR(PADLEN), PADLEN uniform in [0, 4097]. */
  hello(): Uint8Array {
    const pad = this.#padLength ?? randomIntRange(0, MAX_SEND_PADDING, this.#rng);
    return concatBytes(this.#keypair.publicKey, randomBytes(pad, this.#rng));
  }

  /**
   * Feeds received bytes; returns the keys once the peer's public key is complete, else null.
   * A value outside the group is refused by a client. A server treats it like any other garbage:
   * obfs4proxy's server computes a secret from whatever arrived and fails later, when no magic
   * comes, so a server continues with keys from a random secret and fails the same way.
   */
  receive(chunk: Uint8Array): Obfs3HandshakeResult | null {
    this.#received = concatBytes(this.#received, chunk);
    if (this.#received.length < UNIFORMDH_LENGTH) return null;
    const peer = this.#received.subarray(0, UNIFORMDH_LENGTH);
    let shared = uniformDhSharedSecret(this.#keypair.privateKey, peer);
    if (shared === null) {
      if (this.#initiator) {
        throw new HandshakeError(
          'ERR_HANDSHAKE_INVALID',
          'the obfs3 server sent a public key outside the UniformDH group',
        );
      }
      shared = randomBytes(UNIFORMDH_LENGTH, this.#rng);
    }
    return {
      keys: deriveObfs3Keys(shared),
      leftover: this.#received.subarray(UNIFORMDH_LENGTH),
    };
  }
}
