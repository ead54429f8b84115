import { randomFillSync } from 'node:crypto';
import sodium from 'sodium-native';

/**
 * Where a component gets its random bytes. Injected so that handshakes can replay known-answer
 * vectors byte for byte in tests; production code uses the OS CSPRNG.
 */
export interface RandomSource {
  fill(out: Uint8Array): void;
}

/** Below this size libsodium's getrandom() path is cheaper; above it, OpenSSL's generator. */
const SMALL_FILL = 256;

/**
 * The OS CSPRNG. Handshakes draw many small values (key seeds, lengths) and two large paddings;
 * node's randomFillSync costs ~5 µs per call whatever the size, libsodium's randombytes_buf
 * ~1.6 µs for 32 bytes but grows with the size, so each serves the sizes it is fastest at.
 */
export const systemRandom: RandomSource = {
  fill(out: Uint8Array): void {
    if (out.length <= SMALL_FILL) sodium.randombytes_buf(out);
    else randomFillSync(out);
  },
};

export function randomBytes(n: number, rng: RandomSource = systemRandom): Uint8Array {
  const out = new Uint8Array(n);
  rng.fill(out);
  return out;
}

/** Uniform integer in the closed range [min, max] (obfs4's csrand.IntRange), without modulo bias. */
export function randomIntRange(min: number, max: number, rng: RandomSource = systemRandom): number {
  if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
    throw new RangeError(`invalid range [${min}, ${max}]`);
  }
  const span = max - min + 1;
  if (span > 2 ** 32) throw new RangeError('range wider than 2^32');
  const limit = Math.floor(2 ** 32 / span) * span;
  const buf = new Uint8Array(4);
  const view = new DataView(buf.buffer);
  for (;;) {
    rng.fill(buf);
    const v = view.getUint32(0);
    if (v < limit) return min + (v % span);
  }
}
