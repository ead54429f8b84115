import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { hexToBytes } from '../../src/crypto/bytes.js';
import { closeDelaySeconds, WeightedDist } from '../../src/crypto/probdist.js';
import type { RandomSource } from '../../src/crypto/random.js';
import { loadVectors } from './vectors.js';

interface PdVectors {
  seed: string;
  lenDist: {
    min: number;
    max: number;
    n: number;
    values: number[];
    alias: number[];
    prob9: number;
    weight0: number;
  };
  lenDistBiased: { min: number; max: number; alias: number[] };
  iatRange: { min: number; max: number; n: number; valuesPrefix: number[] };
  closeDelay: { drbgSeed: string; seconds: number };
}
const V = loadVectors<PdVectors>('probdist.json');
const seed = hexToBytes(V.seed);

test('lenDist tables for seed 00..17 match Go', () => {
  const v = V.lenDist;
  const d = new WeightedDist(seed, v.min, v.max, false);
  assert.equal(d.values.length, v.n);
  assert.deepEqual(d.values, v.values);
  assert.deepEqual(d.alias, v.alias);
  assert.equal(d.prob[9], v.prob9);
  assert.equal(d.weights[0], v.weight0);
  assert.equal(d.weights.length, v.n);
  assert.equal(d.prob.length, v.n);
});

test('biased lenDist alias table matches Go', () => {
  const v = V.lenDistBiased;
  const d = new WeightedDist(seed, v.min, v.max, true);
  assert.deepEqual(d.alias, v.alias);
  // Biased weights: each is a fraction of what is left, so they sum to < 1.
  assert.ok(d.weights.reduce((a, b) => a + b, 0) < 1);
});

test('[0, 100] distribution for the same seed: n = 53, values prefix matches Go', () => {
  const v = V.iatRange;
  const d = new WeightedDist(seed, v.min, v.max, false);
  assert.equal(d.values.length, v.n);
  assert.deepEqual(d.values.slice(0, v.valuesPrefix.length), v.valuesPrefix);
});

test('closeDelay for the live bridge seed is 59 s (Go and the real binary)', () => {
  assert.equal(closeDelaySeconds(hexToBytes(V.closeDelay.drbgSeed)), V.closeDelay.seconds);
  for (let i = 0; i < 200; i++) {
    const s = closeDelaySeconds(new Uint8Array(randomBytes(24)));
    assert.ok(Number.isInteger(s) && s >= 0 && s < 60);
  }
});

test('alias tables encode exactly the normalised weights', () => {
  for (let t = 0; t < 30; t++) {
    const d = new WeightedDist(new Uint8Array(randomBytes(24)), 0, 1448, t % 2 === 1);
    const n = d.values.length;
    const sum = d.weights.reduce((a, b) => a + b, 0);
    const mass = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) {
      mass[i]! += d.prob[i]! / n;
      mass[d.alias[i]!]! += (1 - d.prob[i]!) / n;
    }
    for (let i = 0; i < n; i++) {
      assert.ok(Math.abs(mass[i]! - d.weights[i]! / sum) < 1e-9, `seed ${t} index ${i}`);
    }
    assert.equal(new Set(d.values).size, n, 'values are distinct');
  }
});

test('reset(seed) gives the same tables as a fresh instance', () => {
  const other = new Uint8Array(randomBytes(24));
  const d = new WeightedDist(other, 0, 1448, false);
  d.reset(seed);
  const fresh = new WeightedDist(seed, 0, 1448, false);
  assert.deepEqual(d.values, fresh.values);
  assert.deepEqual(d.weights, fresh.weights);
  assert.deepEqual(d.prob, fresh.prob);
  assert.deepEqual(d.alias, fresh.alias);
});

test('sample() stays in [min, max], uses only table values and follows the weights', () => {
  const min = 1000;
  const d = new WeightedDist(seed, min, min + 1448, false);
  const allowed = new Map(d.values.map((v, i) => [min + v, i]));
  const sum = d.weights.reduce((a, b) => a + b, 0);
  const counts = new Array<number>(d.values.length).fill(0);
  const N = 200_000;
  for (let i = 0; i < N; i++) {
    const s = d.sample();
    const idx = allowed.get(s);
    assert.ok(idx !== undefined, `sampled ${s}`);
    counts[idx]!++;
  }
  counts.forEach((c, i) => {
    assert.ok(Math.abs(c / N - d.weights[i]! / sum) < 0.01, `value index ${i}`);
  });
});

test('sample() is not seeded by the table seed: it uses the injected RandomSource', () => {
  let fills = 0;
  const zeros: RandomSource = {
    fill: (out) => {
      fills++;
      out.fill(0);
    },
  };
  const d = new WeightedDist(seed, 0, 1448, false, zeros);
  // All-zero randomness: die = 0, coin = 0.0 ≤ prob[0], so the first value every time.
  for (let i = 0; i < 10; i++) assert.equal(d.sample(), d.values[0]);
  // Three 32-bit draws per sample (die, two halves of the coin), sixteen per fill.
  assert.equal(fills, 2, 'randomness is buffered');
});

test('constructor validation', () => {
  assert.throws(() => new WeightedDist(seed, 5, 5, false), RangeError);
  assert.throws(() => new WeightedDist(seed, 6, 5, false), RangeError);
  assert.throws(() => new WeightedDist(new Uint8Array(10), 0, 5, false), RangeError);
});

test('a seedless random table has the shape of a random-seeded one', () => {
  // reset(randomSeed) picks n uniform in [1, 100] distinct values of the range with uniform
  // weights; randomize must produce the same kind of table (checked on aggregate statistics).
  const counts: number[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < 400; i++) {
    const d = new WeightedDist(null, 0, 1448, false);
    assert.ok(d.values.length >= 1 && d.values.length <= 100);
    assert.equal(new Set(d.values).size, d.values.length, 'values are distinct');
    for (const v of d.values) {
      assert.ok(v >= 0 && v <= 1448);
      seen.add(v);
    }
    for (const w of d.weights) assert.ok(w >= 0 && w < 1);
    counts.push(d.values.length);
    const s = d.sample();
    assert.ok(d.values.includes(s), 'samples come from the table');
  }
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  assert.ok(mean > 44 && mean < 57, `mean table size ${mean} (uniform 1..100 has mean 50.5)`);
  assert.ok(seen.size > 1200, 'values spread over the whole range');
});
