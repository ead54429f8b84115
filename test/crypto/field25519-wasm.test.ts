import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  FIRST_FREE_SLOT,
  invertWasm,
  pow22523Wasm,
  slotField25519,
} from '../../src/crypto/field25519-wasm.js';
import * as ref from './ed25519-ref.js';

const E_POW = (ref.p - 5n) / 8n;
const element = fc.bigInt({ min: 0n, max: ref.p - 1n });

test('WebAssembly exponentiations match square-and-multiply on random elements', () => {
  fc.assert(
    fc.property(element, (z) => {
      assert.equal(pow22523Wasm(z), ref.powMod(z, E_POW));
      assert.equal(invertWasm(z), ref.powMod(z, ref.p - 2n));
    }),
    { numRuns: 300 },
  );
});

test('WebAssembly exponentiations at the edges: 0, 1, p-1, limb boundaries, all-ones limbs', () => {
  const edges = [0n, 1n, 2n, 19n, ref.p - 1n, ref.p - 2n, (1n << 254n) - 1n, 1n << 254n];
  // Values whose limbs (radix 2^25.5) are all at their maximum or all just past a boundary.
  for (const bits of [25, 26, 51, 77, 102, 128, 153, 179, 204, 230]) {
    edges.push((1n << BigInt(bits)) - 1n, 1n << BigInt(bits), (1n << BigInt(bits)) + 1n);
  }
  for (const z of edges) {
    assert.equal(pow22523Wasm(z), ref.powMod(z, E_POW), `pow22523(${z})`);
    assert.equal(invertWasm(z), ref.powMod(z, ref.p - 2n), `invert(${z})`);
  }
});

test('WebAssembly results are canonical and repeatable (no state leaks between calls)', () => {
  const a = 0x1234567890abcdefn;
  const first = invertWasm(a);
  invertWasm(ref.p - 1n);
  pow22523Wasm(7n);
  assert.equal(invertWasm(a), first);
  assert.ok(first < ref.p);
  assert.equal((first * a) % ref.p, 1n);
});

const toLE = (x: bigint): Uint8Array => {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((x >> BigInt(8 * i)) & 0xffn);
  return out;
};
const fromLE = (b: Uint8Array): bigint => b.reduceRight((acc, v) => (acc << 8n) | BigInt(v), 0n);
/** Any 255-bit value, canonical or not (p .. 2^255 - 1 included). */
const raw255 = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 255n) - 1n }),
  fc.bigInt({ min: ref.p - 40n, max: (1n << 255n) - 1n }),
);

test('slot operations match BigInt: mul, sqr, add, sub, pow22523, bytes in and out', () => {
  const f = slotField25519();
  const [A, B, X, Y] = [
    FIRST_FREE_SLOT,
    FIRST_FREE_SLOT + 1,
    FIRST_FREE_SLOT + 2,
    FIRST_FREE_SLOT + 3,
  ];
  fc.assert(
    fc.property(raw255, raw255, (a, b) => {
      f.fromBytes(A, toLE(a), 0x7f);
      f.fromBytes(B, toLE(b), 0x7f);
      assert.equal(fromLE(f.toBytes(A)), a % ref.p);
      f.mul(X, A, B);
      assert.equal(fromLE(f.toBytes(X)), (a * b) % ref.p);
      f.sqr(X, A);
      assert.equal(fromLE(f.toBytes(X)), (a * a) % ref.p);
      f.add(X, A, B);
      assert.equal(fromLE(f.toBytes(X)), (a + b) % ref.p);
      f.sub(X, A, B);
      assert.equal(fromLE(f.toBytes(X)), ref.md(a - b));
      // Carried results fed back in: sub of sub, products of sums (the maps chain them so).
      f.sub(Y, X, B);
      f.sub(Y, Y, X);
      assert.equal(fromLE(f.toBytes(Y)), ref.md(-b));
      f.add(Y, X, X);
      f.mul(Y, Y, X);
      assert.equal(fromLE(f.toBytes(Y)), ref.md(2n * (a - b) * (a - b)));
      f.pow22523(Y, A);
      assert.equal(fromLE(f.toBytes(Y)), ref.powMod(a, E_POW));
      f.copy(Y, B);
      assert.equal(fromLE(f.toBytes(Y)), b % ref.p);
    }),
    { numRuns: 300 },
  );
  // Byte 31's mask drops bit 255 (and more when asked); small constants.
  f.fromBytes(A, new Uint8Array(32).fill(0xff), 0xff);
  assert.equal(fromLE(f.toBytes(A)), ((1n << 255n) - 1n) % ref.p);
  f.fromBytes(A, new Uint8Array(32).fill(0xff), 0x3f);
  assert.equal(fromLE(f.toBytes(A)), (1n << 254n) - 1n);
  f.setSmall(A, 486662);
  assert.equal(fromLE(f.toBytes(A)), 486662n);
  // p and 2p - 1 reduce; 0 - 0 is 0, not p.
  f.setSmall(B, 0);
  f.sub(X, B, B);
  assert.deepEqual(f.toBytes(X), new Uint8Array(32));
  f.fromBytes(A, toLE(ref.p), 0x7f);
  assert.deepEqual(f.toBytes(A), new Uint8Array(32));
  assert.throws(() => f.fromBytes(A, new Uint8Array(31), 0xff), RangeError);
});
