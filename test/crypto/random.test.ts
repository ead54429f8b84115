import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  POOL_MAX_DRAW,
  randomBytes,
  randomIntRange,
  systemRandom,
} from '../../src/crypto/random.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('systemRandom: every draw is fresh, across pool refills and at every size', () => {
  // 64 KiB pool: these sizes cross many refills and include the direct path (> POOL_MAX_DRAW).
  const seen = new Set<string>();
  const sizes = [1, 4, 16, 32, 100, 255, 256, 511, 4096, 8128, POOL_MAX_DRAW, POOL_MAX_DRAW + 1];
  for (let round = 0; round < 40; round++) {
    for (const n of sizes) {
      const b = randomBytes(n);
      assert.equal(b.length, n);
      if (n >= 16) {
        const h = hex(b);
        assert.ok(!seen.has(h), `a ${n}-byte draw repeated`);
        seen.add(h);
      }
    }
  }
});

test('systemRandom: pooled draws are not all zero (the pool is zeroed as bytes leave it)', () => {
  let zeroDraws = 0;
  for (let i = 0; i < 2000; i++) {
    const b = new Uint8Array(32);
    systemRandom.fill(b);
    if (b.every((v) => v === 0)) zeroDraws++;
  }
  assert.equal(zeroDraws, 0);
});

test('systemRandom: pad-sized pooled draws are random in every position', () => {
  // A slicing mistake would hand out zeroed (already used) pool bytes: count zeros per draw.
  // Expected 8128 / 256 ≈ 32 zero bytes, sd ≈ 5.6.
  for (let i = 0; i < 200; i++) {
    const b = randomBytes(8128);
    let zeros = 0;
    for (const v of b) if (v === 0) zeros++;
    assert.ok(zeros < 100, `draw ${i} has ${zeros} zero bytes`);
  }
});

test('systemRandom: byte values are roughly uniform over 1 MiB of small draws', () => {
  const counts = new Array<number>(256).fill(0);
  const b = new Uint8Array(64);
  const draws = (1 << 20) / b.length;
  for (let i = 0; i < draws; i++) {
    systemRandom.fill(b);
    for (const v of b) counts[v]!++;
  }
  // Expected 4096 per value, sd 64: 8 sd either way fails only for a broken generator.
  for (const c of counts) assert.ok(c > 4096 - 512 && c < 4096 + 512, `count ${c}`);
});

test('randomIntRange stays in range and reaches both ends', () => {
  const hit = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const v = randomIntRange(3, 9);
    assert.ok(v >= 3 && v <= 9);
    hit.add(v);
  }
  assert.deepEqual([...hit].sort(), [3, 4, 5, 6, 7, 8, 9]);
  assert.throws(() => randomIntRange(5, 4), RangeError);
});
