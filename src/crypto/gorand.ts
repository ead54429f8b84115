// The subset of Go's math/rand (as of go1.19, which built Debian's obfs4proxy 0.0.14) that obfs4
// runs over its HashDrbg: Int63, Int31, Int31n, Int63n, Intn, Float64 and Perm, with the same
// draws in the same order. A bridge's length distribution and close delay are functions of its
// drbg-seed through exactly this code, so every rejection loop and redraw must be reproduced
// (protocols.md §2.10). Go 1.20+ changed none of these methods for a user-supplied Source.

/** Go's rand.Source: only Int63 is used (HashDrbg does not implement Source64). */
export interface Int63Source {
  /** A uniform value in [0, 2^63). */
  int63(): bigint;
}

const INT31_MAX = 0x7fffffff;
const TWO_63 = 2 ** 63;

/** Go's *rand.Rand over an Int63Source. */
export class GoRand {
  constructor(private readonly src: Int63Source) {}

  /** Go `Int63`: [0, 2^63). */
  int63(): bigint {
    return this.src.int63();
  }

  /** Go `Int31`: the top 31 bits of Int63. */
  int31(): number {
    return Number(this.src.int63() >> 32n);
  }

  /** Go `Int31n`: [0, n) for 0 < n ≤ 2^31-1, by masking (powers of two) or rejection. */
  int31n(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > INT31_MAX) {
      throw new RangeError(`int31n: invalid argument ${n}`);
    }
    if ((n & (n - 1)) === 0) return this.int31() & (n - 1);
    const max = INT31_MAX - (2 ** 31 % n);
    let v = this.int31();
    while (v > max) v = this.int31();
    return v % n;
  }

  /** Go `Int63n`: [0, n) for 0 < n < 2^63. */
  int63n(n: bigint): bigint {
    if (n <= 0n || n >= 1n << 63n) throw new RangeError(`int63n: invalid argument ${n}`);
    if ((n & (n - 1n)) === 0n) return this.src.int63() & (n - 1n);
    const max = (1n << 63n) - 1n - ((1n << 63n) % n);
    let v = this.src.int63();
    while (v > max) v = this.src.int63();
    return v % n;
  }

  /** Go `Intn`: Int31n when n fits in 31 bits, else Int63n. n must be a positive safe integer. */
  intn(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`intn: invalid argument ${n}`);
    if (n <= INT31_MAX) return this.int31n(n);
    return Number(this.int63n(BigInt(n)));
  }

  /**
   * Go `Float64`: float64(Int63()) / 2^63, redrawn if that rounds to exactly 1.0.
   * Number(bigint) rounds to nearest, ties to even, as Go's int64→float64 conversion does, and
   * dividing by a power of two is exact, so the results are bit-identical.
   */
  float64(): number {
    for (;;) {
      const f = Number(this.src.int63()) / TWO_63;
      if (f !== 1) return f;
    }
  }

  /** Go `Perm`: a permutation of [0, n). The i = 0 iteration also consumes a draw, as in Go. */
  perm(n: number): number[] {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`perm: invalid argument ${n}`);
    const m = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const j = this.intn(i + 1);
      m[i] = m[j]!;
      m[j] = i;
    }
    return m;
  }
}
