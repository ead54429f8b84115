// src/crypto/sodium.ts calls sodium-native's addon directly; the package's own index.js (with
// its asserts) is the reference it must agree with, call for call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import reference from 'sodium-native';
import {
  coreEd25519Add,
  hashSha512,
  scalarmult,
  scalarmultBase,
  scalarmultEd25519BaseNoclamp,
  secretboxEasy,
  secretboxOpenEasy,
} from '../../src/crypto/sodium.js';

const bytes = (n: number): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ minLength: n, maxLength: n });

test('secretbox agrees with sodium-native and round-trips; a flipped bit fails to open', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1500 }), bytes(24), bytes(32), (m, n, k) => {
      const box = new Uint8Array(m.length + 16);
      secretboxEasy(box, m, n, k);
      const ref = new Uint8Array(m.length + 16);
      reference.crypto_secretbox_easy(ref, m, n, k);
      assert.deepEqual(box, ref);
      const back = new Uint8Array(m.length);
      assert.equal(secretboxOpenEasy(back, box, n, k), true);
      assert.deepEqual(back, m);
      box[0]! ^= 1;
      assert.equal(secretboxOpenEasy(back, box, n, k), false);
    }),
    { numRuns: 50 },
  );
});

test('X25519, Ed25519 and SHA-512 agree with sodium-native', () => {
  fc.assert(
    fc.property(bytes(32), bytes(32), fc.uint8Array({ maxLength: 300 }), (s, p, data) => {
      const ours = new Uint8Array(32);
      const ref = new Uint8Array(32);
      let refOk = true;
      try {
        reference.crypto_scalarmult(ref, s, p);
      } catch {
        refOk = false;
      }
      assert.equal(scalarmult(ours, s, p), refOk);
      if (refOk) assert.deepEqual(ours, ref);
      scalarmultBase(ours, s);
      reference.crypto_scalarmult_base(ref, s);
      assert.deepEqual(ours, ref);
      const q = new Uint8Array(32);
      scalarmultEd25519BaseNoclamp(q, s);
      reference.crypto_scalarmult_ed25519_base_noclamp(ref, s);
      assert.deepEqual(q, ref);
      coreEd25519Add(ours, q, q);
      reference.crypto_core_ed25519_add(ref, q, q);
      assert.deepEqual(ours, ref);
      const h = new Uint8Array(64);
      const hr = new Uint8Array(64);
      hashSha512(h, data);
      reference.crypto_hash_sha512(hr, data);
      assert.deepEqual(h, hr);
    }),
    { numRuns: 30 },
  );
});

test('arguments staged off the V8 heap give the same results as views of large buffers', () => {
  // sodium.ts copies arguments of up to 64 bytes through a staging area: results must not depend
  // on whether an argument is a small array of its own or a view into a big one, nor on
  // aliasing between output and input.
  const big = new Uint8Array(4096);
  const view = (b: Uint8Array, at: number): Uint8Array => {
    const v = big.subarray(at, at + b.length);
    v.set(b);
    return v;
  };
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 100 }),
      bytes(24),
      bytes(32),
      bytes(32),
      (m, n, k, s) => {
        const small = new Uint8Array(m.length + 16);
        secretboxEasy(small, m, n, k);
        const inBig = big.subarray(3000, 3000 + m.length + 16);
        secretboxEasy(inBig, view(m, 0), view(n, 200), view(k, 300));
        assert.deepEqual(inBig, small);
        const back = new Uint8Array(m.length);
        assert.equal(secretboxOpenEasy(back, small, n, k), true);
        assert.deepEqual(back, m);
        // Output aliasing the scalar's bytes: the scalar is read before the result is written.
        const q = new Uint8Array(32);
        scalarmultBase(q, s);
        const alias = s.slice();
        scalarmultBase(alias, alias);
        assert.deepEqual(alias, q);
      },
    ),
    { numRuns: 40 },
  );
});

test('buffers of the wrong length never reach libsodium', () => {
  const k = new Uint8Array(32);
  const n = new Uint8Array(24);
  assert.throws(() => secretboxEasy(new Uint8Array(16), new Uint8Array(1), n, k), RangeError);
  assert.throws(
    () => secretboxEasy(new Uint8Array(17), new Uint8Array(1), n.subarray(1), k),
    RangeError,
  );
  assert.throws(() => secretboxOpenEasy(new Uint8Array(0), new Uint8Array(17), n, k), RangeError);
  assert.equal(secretboxOpenEasy(new Uint8Array(0), new Uint8Array(15), n, k), false);
  assert.throws(() => scalarmult(new Uint8Array(31), k, k), RangeError);
  assert.throws(() => scalarmultBase(k, new Uint8Array(33)), RangeError);
  assert.throws(() => coreEd25519Add(k, k, new Uint8Array(1)), RangeError);
  assert.throws(() => hashSha512(new Uint8Array(32), k), RangeError);
  // An invalid point (y = 2 is not on the curve) is an error, not garbage output.
  const bad = new Uint8Array(32);
  bad[0] = 2;
  assert.throws(() => coreEd25519Add(new Uint8Array(32), bad, bad), /not a valid point/);
});
