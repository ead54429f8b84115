import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, hexToBytes } from '../../src/crypto/bytes.js';
import { DRBG_SEED_LENGTH, HashDrbg } from '../../src/crypto/drbg.js';
import { DRBG_BATCH, DRBG_STATE_LENGTH, drbgBatch } from '../../src/crypto/drbg-wasm.js';
import { SipHash24, siphash24 } from '../../src/crypto/siphash.js';
import fc from 'fast-check';
import { loadVectors } from './vectors.js';

interface DrbgVectors {
  int63: { seed: string; out: string[] }[];
  nextBlock: { seed: string; out: string[] }[];
}
const V = loadVectors<DrbgVectors>('drbg.json');

test('Int63 matches ptrs sample_compat_compare (Go-compatible) for all four seeds', () => {
  for (const c of V.int63) {
    const d = new HashDrbg(hexToBytes(c.seed));
    for (const expected of c.out) assert.equal(d.int63(), BigInt(expected), c.seed);
  }
});

test('NextBlock 1-4 for seed 00..17 (Go-confirmed, protocols.md §4)', () => {
  for (const c of V.nextBlock) {
    const d = new HashDrbg(hexToBytes(c.seed));
    for (const expected of c.out) assert.equal(bytesToHex(d.nextBlock()), expected);
  }
});

test('nextU16 is the big-endian first two bytes of the same block stream', () => {
  const seed = hexToBytes(V.nextBlock[0]!.seed);
  const a = new HashDrbg(seed);
  const b = new HashDrbg(seed);
  for (let i = 0; i < 100; i++) {
    const block = a.nextBlock();
    assert.equal(b.nextU16(), (block[0]! << 8) | block[1]!);
  }
});

test('semantics are cumulative: block n = SipHash(K, IV ‖ block1 ‖ … ‖ block(n-1))', () => {
  const seed = Uint8Array.from({ length: DRBG_SEED_LENGTH }, (_, i) => (i * 7 + 3) & 0xff);
  const key = seed.subarray(0, 16);
  const d = new HashDrbg(seed);
  let transcript = Uint8Array.from(seed.subarray(16));
  for (let n = 0; n < 20; n++) {
    const expected = siphash24(key, transcript);
    const got = d.nextBlock();
    assert.deepEqual(got, expected);
    const next = new Uint8Array(transcript.length + 8);
    next.set(transcript);
    next.set(got, transcript.length);
    transcript = next;
  }
});

test('nextBlock returns a fresh array each time', () => {
  const d = new HashDrbg(new Uint8Array(DRBG_SEED_LENGTH));
  const a = d.nextBlock();
  const copy = a.slice();
  d.nextBlock();
  assert.deepEqual(a, copy);
});

test('seed length is checked', () => {
  assert.throws(() => new HashDrbg(new Uint8Array(23)), RangeError);
  assert.throws(() => new HashDrbg(new Uint8Array(25)), RangeError);
});

test('the WebAssembly batches equal the cumulative SipHash24 construction across batch edges', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 24, maxLength: 24 }),
      fc.integer({ min: 1, max: 3 * DRBG_BATCH + 5 }),
      (seed, n) => {
        // Go's NextBlock: sip.Write(ofb); ofb = sip.Sum(nil), on one never-reset hash.
        const sip = new SipHash24(seed.subarray(0, 16));
        let ofb: Uint8Array = seed.slice(16);
        const d = new HashDrbg(seed);
        for (let i = 0; i < n; i++) {
          sip.write(ofb);
          ofb = sip.sum();
          // Mix the three readers: they share one stream position.
          if (i % 3 === 0) assert.deepEqual(d.nextBlock(), ofb);
          else if (i % 3 === 1) assert.equal(d.nextU16(), (ofb[0]! << 8) | ofb[1]!);
          else assert.equal(d.int63(), Buffer.from(ofb).readBigUInt64BE() & ((1n << 63n) - 1n));
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('drbgBatch makes as many blocks as its output holds, 1 to DRBG_BATCH', () => {
  // One batch of n blocks equals n batches of one from the same state.
  const seedState = (): Uint8Array => Uint8Array.from({ length: DRBG_STATE_LENGTH }, (_, i) => i);
  const whole = new Uint8Array(8 * 9);
  const a = seedState();
  drbgBatch(a, whole);
  const b = seedState();
  const one = new Uint8Array(8);
  for (let i = 0; i < 9; i++) {
    drbgBatch(b, one);
    assert.deepEqual(one, whole.subarray(8 * i, 8 * i + 8), `block ${i}`);
  }
  assert.deepEqual(b, a, 'the same state after the same number of blocks');
  for (const bad of [0, 7, 8 * DRBG_BATCH + 8]) {
    assert.throws(() => drbgBatch(seedState(), new Uint8Array(bad)), RangeError, `${bad} bytes`);
  }
});
