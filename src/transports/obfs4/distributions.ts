/**
 * The two per-connection distributions obfs4 samples from: write lengths over [0, 1448] and
 * inter-write delays over [0, 100] (× 100 µs, only when iat-mode ≠ 0). Both are built from a
 * 24-byte seed: the server's drbg-seed, which the server also sends to the client in its first
 * frame; the delays use SHA-256(seed)[0:24].
 *
 * Building a table costs a ~1500-element Go-style permutation, so tables are cached by seed:
 * every connection to (or of) one bridge shares them. Sampling uses fresh OS randomness and keeps
 * no per-connection state, which makes sharing safe.
 */
import { sha256 } from '../../crypto/hmac.js';
import { WeightedDist } from '../../crypto/probdist.js';
import { DRBG_SEED_LENGTH } from '../../crypto/drbg.js';
import { bytesToHex } from '../../crypto/bytes.js';
import { BoundedCache } from '../bounded-cache.js';
import { IAT_NONE, MAX_IAT_DELAY, MAX_SEGMENT_LENGTH, type IatMode } from './constants.js';

/** obfs4proxy's -obfs4-distBias defaults to off; steppe does not expose it yet. */
const BIASED = false;
const cache = new BoundedCache<string, WeightedDist>(256);

function cachedDist(seed: Uint8Array, max: number): WeightedDist {
  const key = `${max}:${bytesToHex(seed)}`;
  return cache.get(key) ?? cache.set(key, new WeightedDist(seed, 0, max, BIASED));
}

function iatSeed(seed: Uint8Array): Uint8Array {
  return sha256(seed).subarray(0, DRBG_SEED_LENGTH);
}

export class Distributions {
  #length: WeightedDist | null;
  #iat: WeightedDist | null;
  readonly #iatMode: IatMode;

  private constructor(seed: Uint8Array | null, iatMode: IatMode) {
    this.#iatMode = iatMode;
    this.#length = seed === null ? null : cachedDist(seed, MAX_SEGMENT_LENGTH);
    this.#iat =
      seed === null || iatMode === IAT_NONE ? null : cachedDist(iatSeed(seed), MAX_IAT_DELAY);
  }

  /** The server's: seeded by its drbg-seed. */
  static forServer(drbgSeed: Uint8Array, iatMode: IatMode): Distributions {
    return new Distributions(drbgSeed, iatMode);
  }

  /**
   * The client's: random tables until the server's PRNG-seed frame is adopted (on the first read
   * after the handshake, as obfs4proxy does). They are built lazily, only if the client writes
   * before that, and without a seed (WeightedDist's randomize), which is cheap.
   */
  static forClient(iatMode: IatMode): Distributions {
    return new Distributions(null, iatMode);
  }

  get length(): WeightedDist {
    this.#length ??= new WeightedDist(null, 0, MAX_SEGMENT_LENGTH, BIASED);
    return this.#length;
  }

  get iat(): WeightedDist | null {
    if (this.#iatMode !== IAT_NONE) this.#iat ??= new WeightedDist(null, 0, MAX_IAT_DELAY, BIASED);
    return this.#iat;
  }

  /** Client only: switch to the server's distributions (obfs4 PRNG_SEED packet). */
  adoptSeed(seed: Uint8Array): void {
    this.#length = cachedDist(seed, MAX_SEGMENT_LENGTH);
    if (this.#iatMode !== IAT_NONE) this.#iat = cachedDist(iatSeed(seed), MAX_IAT_DELAY);
  }
}
