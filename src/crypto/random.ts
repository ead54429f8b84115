import { readU32BE } from './bytes.js';
import { nodeCrypto } from './node-crypto.js';

/**
 * Where a component gets its random bytes. Injected so that handshakes can replay known-answer
 * vectors byte for byte in tests; production code uses the OS CSPRNG.
 */
export interface RandomSource {
  fill(out: Uint8Array): void;
}

/**
 * Draws up to this size are served from a pool. Every call into the generator costs ~4 µs warm
 * and 12-14 µs with cold caches whatever the size (Node builds a job object per call), while the
 * bytes themselves cost ~0.18 µs per KiB: 64 KiB in one call take ~15 µs. A handshake makes a
 * handful of small draws (key seeds, a pad length, the samplers' 512-byte blocks) and one pad of
 * up to 8 KiB (obfs4's largest is 8128 bytes), so one refill serves about fifteen connections
 * where a call per pad cost 2 % of a busy obfs4 side in a profile.
 */
export const POOL_MAX_DRAW = 8 * 1024;
const pool = new Uint8Array(64 * 1024);
let poolPos = pool.length;

/**
 * The OS CSPRNG (OpenSSL's generator, seeded by the kernel). Pool bytes are handed out once and
 * zeroed as they leave, so no two callers ever see the same bytes.
 */
export const systemRandom: RandomSource = {
  fill(out: Uint8Array): void {
    if (out.length > POOL_MAX_DRAW) {
      nodeCrypto().randomFillSync(out);
      return;
    }
    if (poolPos + out.length > pool.length) {
      nodeCrypto().randomFillSync(pool);
      poolPos = 0;
    }
    const end = poolPos + out.length;
    out.set(pool.subarray(poolPos, end));
    pool.fill(0, poolPos, end);
    poolPos = end;
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
  for (;;) {
    rng.fill(buf);
    const v = readU32BE(buf, 0);
    if (v < limit) return min + (v % span);
  }
}
