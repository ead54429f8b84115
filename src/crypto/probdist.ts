// obfs4's WeightedDist (common/probdist/weighted_dist.go; protocols.md §2.10): a distribution
// over [min, max] derived from a 24-byte seed, sampled with Vose's alias method. Frame-length
// padding and inter-arrival delays are drawn from it. Tables must be bit-identical to Go's for
// the same seed, so the construction replays Go's math/rand over HashDrbg (gorand.ts) and does
// the floating-point operations in Go's order. Sampling itself uses OS randomness, as Go's
// csrand does; only the tables come from the seed.
import { readU32BE } from './bytes.js';
import { HashDrbg } from './drbg.js';
import { GoRand } from './gorand.js';
import { systemRandom, type RandomSource } from './random.js';

const MIN_VALUES = 1;
const MAX_VALUES = 100;

/**
 * Buffered uniform draws from a RandomSource (one fill per 16 draws, not one per draw). 64 bytes
 * stay on V8's heap; a larger buffer would be an ArrayBuffer of its own per distribution, ~1 µs
 * (see crypto/sodium.ts), and a client builds one per connection.
 */
class UniformStream {
  private readonly buf = new Uint8Array(64);
  private pos = this.buf.length;

  constructor(private readonly rng: RandomSource) {}

  u32(): number {
    if (this.pos + 4 > this.buf.length) {
      this.rng.fill(this.buf);
      this.pos = 0;
    }
    // Not a DataView: one over `buf.buffer` would move the array off V8's heap after all.
    const v = readU32BE(this.buf, this.pos);
    this.pos += 4;
    return v;
  }

  /** Uniform integer in [0, n), n ≤ 2^32, without modulo bias. */
  below(n: number): number {
    const limit = Math.floor(2 ** 32 / n) * n;
    for (;;) {
      const v = this.u32();
      if (v < limit) return v % n;
    }
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  float(): number {
    return ((this.u32() >>> 5) * 67108864 + (this.u32() >>> 6)) / 9007199254740992;
  }
}

/** A seeded weighted distribution over the integers [min, max]. */
export class WeightedDist {
  readonly min: number;
  readonly max: number;
  readonly biased: boolean;
  private _values: number[] = [];
  private _weights: number[] = [];
  private _prob: number[] = [];
  private _alias: number[] = [];
  private readonly uniform: UniformStream;

  /**
   * @param seed 24-byte HashDrbg seed, or null for a table drawn at random (see randomize)
   * @param min smallest value (inclusive)
   * @param max largest value (inclusive), > min
   * @param biased ScrambleSuit-style biased weights (obfs4proxy's -obfs4-distBias)
   * @param rng randomness for sample() only (default: OS CSPRNG)
   */
  constructor(
    seed: Uint8Array | null,
    min: number,
    max: number,
    biased: boolean,
    rng: RandomSource = systemRandom,
  ) {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max <= min) {
      throw new RangeError(`WeightedDist: need integers min < max, got (${min}, ${max})`);
    }
    this.min = min;
    this.max = max;
    this.biased = biased;
    this.uniform = new UniformStream(rng);
    if (seed === null) this.randomize();
    else this.reset(seed);
  }

  /** The offsets (added to min) that can be drawn, in table order. */
  get values(): number[] {
    return this._values;
  }
  /** The raw weights, one per value. */
  get weights(): number[] {
    return this._weights;
  }
  /** Vose alias-method acceptance probabilities. */
  get prob(): number[] {
    return this._prob;
  }
  /** Vose alias-method alias indices. */
  get alias(): number[] {
    return this._alias;
  }

  /** Rebuilds the tables from a new seed, keeping min, max and bias (Go `Reset`). */
  reset(seed: Uint8Array): void {
    const rng = new GoRand(new HashDrbg(seed));

    // genValues: a full permutation, then a random-length prefix of it.
    let n = this.max + 1 - this.min;
    const values = rng.perm(n);
    n = Math.min(Math.max(n, MIN_VALUES), MAX_VALUES);
    n = rng.intn(n) + 1;
    this._values = values.slice(0, n);

    const weights = new Array<number>(n);
    if (this.biased) {
      let culm = 0;
      for (let i = 0; i < n; i++) {
        const p = (1 - culm) * rng.float64();
        weights[i] = p;
        culm += p;
      }
    } else {
      for (let i = 0; i < n; i++) weights[i] = rng.float64();
    }
    this._weights = weights;
    this.genTables();
  }

  /**
   * A table distributed exactly like `reset(randomSeed)`'s, built from OS randomness without the
   * seed: a uniform count n in [1, 100], n distinct values uniform over the range (what the first
   * n entries of a uniform permutation are), uniform weights. obfs4 clients use a table from a
   * random seed that never leaves the process until the server's seed arrives; rebuilding it
   * Go's way costs a ~1450-draw permutation over the DRBG per connection, this costs ~100 draws.
   */
  private randomize(): void {
    const range = this.max + 1 - this.min;
    const n = this.uniform.below(Math.min(Math.max(range, MIN_VALUES), MAX_VALUES)) + 1;
    const chosen = new Set<number>();
    const values: number[] = [];
    // Bounded: n ≤ 100 distinct values out of `range`; rejection needs more than a few hundred
    // draws only for tiny ranges, where the cap below still suffices by a wide margin.
    for (let draws = 0; values.length < n && draws < 100_000; draws++) {
      const v = this.uniform.below(range);
      if (!chosen.has(v)) {
        chosen.add(v);
        values.push(v);
      }
    }
    if (values.length < n) throw new Error('BUG: WeightedDist.randomize found too few values');
    const weights = new Array<number>(n);
    let culm = 0;
    for (let i = 0; i < n; i++) {
      const f = this.uniform.float();
      const w = this.biased ? (1 - culm) * f : f;
      weights[i] = w;
      culm += w;
    }
    this._values = values;
    this._weights = weights;
    this.genTables();
  }

  /** Vose's alias method, operation for operation as in Go's genTables. */
  private genTables(): void {
    const w = this._weights;
    const n = w.length;
    let sum = 0;
    for (const x of w) sum += x;

    const alias = new Array<number>(n).fill(0);
    const prob = new Array<number>(n).fill(0);
    const scaled = new Array<number>(n);
    // FIFO work lists (Go uses container/list PushBack / Front).
    const small: number[] = [];
    const large: number[] = [];
    let sHead = 0;
    let lHead = 0;
    for (let i = 0; i < n; i++) {
      const p = (w[i]! * n) / sum;
      scaled[i] = p;
      if (p < 1) small.push(i);
      else large.push(i);
    }
    while (sHead < small.length && lHead < large.length) {
      const l = small[sHead++]!;
      const g = large[lHead++]!;
      prob[l] = scaled[l]!;
      alias[l] = g;
      // (p_g + p_l) - 1, in that order (JS + and - associate left, like Go's parenthesised form).
      const pg = scaled[g]! + scaled[l]! - 1;
      scaled[g] = pg;
      if (pg < 1) small.push(g);
      else large.push(g);
    }
    while (lHead < large.length) prob[large[lHead++]!] = 1;
    // Only reachable through rounding error.
    while (sHead < small.length) prob[small[sHead++]!] = 1;

    this._prob = prob;
    this._alias = alias;
  }

  /** Draws a value in [min, max] (Go `Sample`): fair die over the table, then a biased coin. */
  sample(): number {
    const i = this.uniform.below(this._values.length);
    const idx = this.uniform.float() <= this._prob[i]! ? i : this._alias[i]!;
    return this.min + this._values[idx]!;
  }
}

/**
 * The per-bridge delay (seconds, in [0, 60)) before obfs4 closes a failed handshake:
 * `rand.New(HashDrbg(drbgSeed)).Intn(60)`, the first draw of a fresh generator.
 */
export function closeDelaySeconds(drbgSeed: Uint8Array): number {
  return new GoRand(new HashDrbg(drbgSeed)).intn(60);
}
