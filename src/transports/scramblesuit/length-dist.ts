/**
 * The burst length distribution: obfs4proxy's probdist over [21, 1448] with biased weights,
 * seeded from the first 24 bytes of the server's 32-byte PRNG seed (Go's drbg.SeedFromBytes
 * truncates). The server samples it from the start; a client uses a random table until the
 * PRNG_SEED message arrives. Tables cost a ~1400-element permutation, so they are cached by
 * seed; sampling keeps no per-connection state, which makes sharing them safe.
 */
import { bytesToHex } from '../../crypto/bytes.js';
import { DRBG_SEED_LENGTH } from '../../crypto/drbg.js';
import { WeightedDist } from '../../crypto/probdist.js';
import { BoundedCache } from '../bounded-cache.js';
import { MAX_LEN_DIST, MIN_LEN_DIST } from './constants.js';

const BIASED = true;
const cache = new BoundedCache<string, WeightedDist>(64);

export function seededLengthDist(prngSeed: Uint8Array): WeightedDist {
  const seed = prngSeed.subarray(0, DRBG_SEED_LENGTH);
  const key = bytesToHex(seed);
  return (
    cache.get(key) ?? cache.set(key, new WeightedDist(seed, MIN_LEN_DIST, MAX_LEN_DIST, BIASED))
  );
}

/** A client's table before the server's seed: distributed like a seeded one, never sent. */
export function randomLengthDist(): WeightedDist {
  return new WeightedDist(null, MIN_LEN_DIST, MAX_LEN_DIST, BIASED);
}
