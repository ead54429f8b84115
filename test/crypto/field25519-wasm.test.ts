import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { invertWasm, pow22523Wasm } from '../../src/crypto/field25519-wasm.js';
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
