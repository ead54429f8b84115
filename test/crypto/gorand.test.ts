// GoRand against Go math/rand's algorithms (go1.19 rand.go, as summarised in protocols.md
// §2.10), driven by scripted Int63 sources so every draw is accounted for. Known answers over
// the real HashDrbg are in probdist.test.ts (tables and closeDelay confirmed against Go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HashDrbg } from '../../src/crypto/drbg.js';
import { GoRand, type Int63Source } from '../../src/crypto/gorand.js';

class Script implements Int63Source {
  calls = 0;
  constructor(private readonly values: bigint[]) {}
  int63(): bigint {
    const v = this.values[this.calls++];
    if (v === undefined) throw new Error('script exhausted');
    return v;
  }
}

/** An Int63 whose Int31 (top 31 bits) is v. */
const fromInt31 = (v: number): bigint => BigInt(v) << 32n;

test('int31 is the top 31 bits of int63', () => {
  const r = new GoRand(
    new Script([(0x7fffffffn << 32n) | 0xffffffffn, 0x1_0000_0000n, 0xffffffffn]),
  );
  assert.equal(r.int31(), 0x7fffffff);
  assert.equal(r.int31(), 1);
  assert.equal(r.int31(), 0);
});

test('int31n masks for powers of two (one draw)', () => {
  const s = new Script([fromInt31(0x12345677)]);
  assert.equal(new GoRand(s).int31n(8), 0x7);
  assert.equal(s.calls, 1);
});

test('int31n rejects v > 2^31-1 - (2^31 mod n), then takes v mod n', () => {
  // n = 60: 2^31 mod 60 = 8, so max = 2^31 - 9 = 2147483639.
  const max = 2147483639;
  const s = new Script([fromInt31(max + 1), fromInt31(0x7fffffff), fromInt31(max)]);
  assert.equal(new GoRand(s).int31n(60), max % 60);
  assert.equal(s.calls, 3);
  assert.throws(() => new GoRand(s).int31n(0), RangeError);
  assert.throws(() => new GoRand(s).int31n(2 ** 31), RangeError);
});

test('intn: int31n below 2^31, int63n above', () => {
  const small = new Script([fromInt31(100)]);
  assert.equal(new GoRand(small).intn(7), 100 % 7);
  // n = 3·2^31 takes the Int63n path: max = 2^63-1 - (2^63 mod n).
  const n = 3 * 2 ** 31;
  const N = BigInt(n);
  const max = (1n << 63n) - 1n - ((1n << 63n) % N);
  const big = new Script([max + 1n, 12345678901234n]);
  assert.equal(new GoRand(big).intn(n), Number(12345678901234n % N));
  assert.equal(big.calls, 2);
  const pow2 = new Script([(1n << 62n) | 5n]);
  assert.equal(new GoRand(pow2).int63n(1n << 40n), 5n);
});

test('float64 = int63 / 2^63 with round-to-nearest-even, redrawn at 1.0', () => {
  // 2^63 - 512 is halfway between 2^63 - 1024 and 2^63; ties-to-even gives 2^63, i.e. 1.0.
  const s = new Script([(1n << 63n) - 1n, (1n << 63n) - 512n, (1n << 63n) - 513n]);
  const r = new GoRand(s);
  assert.equal(r.float64(), 1 - 2 ** -53);
  assert.equal(s.calls, 3);
  assert.equal(new GoRand(new Script([1n << 62n])).float64(), 0.5);
  assert.equal(new GoRand(new Script([0n])).float64(), 0);
  // Exact ties-to-even at the 2^53 boundary, as Go's float64(int64) conversion.
  assert.equal(Number((1n << 53n) + 1n), 2 ** 53);
  assert.equal(Number((1n << 53n) + 3n), 2 ** 53 + 4);
});

test('perm draws intn(i+1) for every i, including i = 0', () => {
  // Draw sequence for n = 4: intn(1), intn(2), intn(3), intn(4); all via int31n.
  // intn(1) and intn(2), intn(4) are powers of two (mask); intn(3) uses v % 3.
  const s = new Script([fromInt31(0), fromInt31(1), fromInt31(2), fromInt31(1)]);
  // i=0: j=0 → m=[0]; i=1: j=1 → m=[0,1]; i=2: j=2 → [0,1,2]; i=3: j=1 → m[3]=m[1]=1, m[1]=3.
  assert.deepEqual(new GoRand(s).perm(4), [0, 3, 2, 1]);
  assert.equal(s.calls, 4);
  assert.deepEqual(new GoRand(new Script([])).perm(0), []);
});

test('perm over HashDrbg is a permutation', () => {
  const r = new GoRand(new HashDrbg(new Uint8Array(24)));
  const p = r.perm(1449);
  assert.deepEqual(
    [...p].sort((a, b) => a - b),
    Array.from({ length: 1449 }, (_, i) => i),
  );
});
