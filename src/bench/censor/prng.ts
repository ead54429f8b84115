import { createHash } from 'node:crypto';

/**
 * A small deterministic PRNG (xoshiro128**), seeded per flow from SHA-256(seed ‖ key) so that a
 * rerun with the same seed makes the same probabilistic decisions for the same flows, whatever
 * order the flows arrive in. Not for cryptography: it only stands in for a censor's coin flips.
 */
export class Prng {
  readonly #s = new Uint32Array(4);

  constructor(seed: string | number, key: string | number) {
    const d = createHash('sha256').update(`${seed}\u0000${key}`).digest();
    for (let i = 0; i < 4; i++) this.#s[i] = d.readUInt32LE(i * 4);
    // An all-zero state would be a fixed point; SHA-256 makes that practically impossible, but
    // the guard costs nothing.
    if (this.#s.every((w) => w === 0)) this.#s[0] = 1;
  }

  /** The next 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.#s;
    const [s0, s1, s2, s3] = [s[0] ?? 0, s[1] ?? 0, s[2] ?? 0, s[3] ?? 0];
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    const n2 = (s2 ^ s0) >>> 0;
    const n3 = (s3 ^ s1) >>> 0;
    s[1] = s1 ^ n2;
    s[0] = s0 ^ n3;
    s[2] = n2 ^ t;
    s[3] = rotl(n3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 bits of precision. */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** `n` pseudo-random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const w = this.nextU32();
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (w >>> (8 * j)) & 0xff;
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
