import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import sodium from 'sodium-native';
import { bytesToHex, hexToBytes } from '../../src/crypto/bytes.js';
import { SipHash24, siphash24 } from '../../src/crypto/siphash.js';
import { loadVectors } from './vectors.js';

interface SipVectors {
  key: string;
  outputs: string[];
}
const V = loadVectors<SipVectors>('siphash24.json');
const key = hexToBytes(V.key);
const message = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i);

test('SipHash-2-4 reference vectors (64 lengths), one-shot', () => {
  assert.equal(V.outputs.length, 64);
  V.outputs.forEach((expected, n) => {
    assert.equal(bytesToHex(siphash24(key, message(n))), expected, `length ${n}`);
  });
});

test('incremental writes in every split give the same digests', () => {
  for (let n = 0; n < 64; n++) {
    const m = message(n);
    for (let cut = 0; cut <= n; cut++) {
      const h = new SipHash24(key);
      h.write(m.subarray(0, cut));
      h.write(new Uint8Array(0));
      h.write(m.subarray(cut));
      assert.equal(bytesToHex(h.sum()), V.outputs[n], `length ${n} cut ${cut}`);
    }
    // Byte at a time.
    const h = new SipHash24(key);
    for (const byte of m) h.write(Uint8Array.of(byte));
    assert.equal(bytesToHex(h.sum()), V.outputs[n]);
  }
});

test('sum() is non-destructive: later sums cover everything written so far', () => {
  const h = new SipHash24(key);
  for (let n = 0; n < 64; n++) {
    assert.equal(bytesToHex(h.sum()), V.outputs[n], `prefix ${n}`);
    assert.equal(bytesToHex(h.sum()), V.outputs[n], `prefix ${n}, twice`);
    h.write(Uint8Array.of(n));
  }
});

test('sumInto writes at an offset and checks bounds', () => {
  const h = new SipHash24(key);
  const out = new Uint8Array(10);
  h.sumInto(out, 2);
  assert.equal(bytesToHex(out.subarray(2)), V.outputs[0]);
  assert.throws(() => h.sumInto(out, 3), RangeError);
});

test('matches libsodium crypto_shorthash (SipHash-2-4) on random inputs', () => {
  const out = new Uint8Array(8);
  for (let i = 0; i < 2000; i++) {
    const k = new Uint8Array(randomBytes(16));
    const m = new Uint8Array(randomBytes(i % 300));
    sodium.crypto_shorthash(out, m, k);
    assert.equal(bytesToHex(siphash24(k, m)), bytesToHex(out));
  }
  // Long message: the length byte wraps mod 256.
  const k = new Uint8Array(randomBytes(16));
  const m = new Uint8Array(randomBytes(100_003));
  sodium.crypto_shorthash(out, m, k);
  assert.equal(bytesToHex(siphash24(k, m)), bytesToHex(out));
});

test('key length is checked', () => {
  assert.throws(() => new SipHash24(new Uint8Array(15)), RangeError);
  assert.throws(() => siphash24(new Uint8Array(17), new Uint8Array(0)), RangeError);
});
