// Micro-benchmark of the crypto primitives on the obfs4 paths that are not in libsodium:
// the per-frame length mask (HashDrbg.nextU16 / nextBlock), session keypair generation and
// representative decoding (per handshake), plus the replay filter and WeightedDist.sample.
// Run: npx tsc -p . && node dist/bench/crypto-micro.js [seconds-per-case]
import { HashDrbg } from '../src/crypto/drbg.js';
import { generateSessionKeypair, representativeToPublicKey } from '../src/crypto/elligator2.js';
import { WeightedDist } from '../src/crypto/probdist.js';
import { ReplayFilter } from '../src/crypto/replay-filter.js';
import { randomBytes } from '../src/crypto/random.js';

const seconds = Number(process.argv[2] ?? '1');

function bench(name: string, fn: () => void): void {
  for (let i = 0; i < 200; i++) fn(); // warm up the JIT
  let n = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    elapsed = process.hrtime.bigint() - start;
  }
  const perSec = (n * 1e9) / Number(elapsed);
  const usPer = Number(elapsed) / n / 1000;
  console.log(`${name.padEnd(32)} ${perSec.toFixed(0).padStart(12)} /s  ${usPer.toFixed(3)} µs/op`);
}

const drbg = new HashDrbg(randomBytes(24));
bench('HashDrbg.nextBlock', () => drbg.nextBlock());
bench('HashDrbg.nextU16', () => drbg.nextU16());
bench('generateSessionKeypair', () => generateSessionKeypair());
const reprs = Array.from({ length: 64 }, () => generateSessionKeypair().representative);
let k = 0;
bench('representativeToPublicKey', () => representativeToPublicKey(reprs[k++ & 63]!));
const filter = new ReplayFilter();
let t = 0;
bench('ReplayFilter.testAndSet (16 B)', () => filter.testAndSet(t++, randomBytes(16)));
const dist = new WeightedDist(randomBytes(24), 0, 1448, false);
bench('WeightedDist.sample', () => dist.sample());
bench('WeightedDist construction', () => new WeightedDist(randomBytes(24), 0, 1448, false));
