import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, hexToBytes } from '../../src/crypto/bytes.js';
import { hmacSha256, sha256, sha512 } from '../../src/crypto/hmac.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

test('HMAC-SHA256: RFC 4231 test cases 1 and 2', () => {
  assert.equal(
    bytesToHex(hmacSha256(hexToBytes('0b'.repeat(20)), ascii('Hi There'))),
    'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
  );
  assert.equal(
    bytesToHex(hmacSha256(ascii('Jefe'), ascii('what do ya want '), ascii('for nothing?'))),
    '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  );
});

test('SHA-256 / SHA-512 of "abc" (FIPS 180-2 examples), SHA-256 split across parts', () => {
  assert.equal(
    bytesToHex(sha256(ascii('a'), ascii('bc'))),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  );
  assert.equal(
    bytesToHex(sha512(ascii('abc'))),
    'ddaf35a193617abacc417349ae204131' +
      '12e6fa4e89a97ea20a9eeee64b55d39a' +
      '2192992a274fc1a836ba3c23a3feebbd' +
      '454d4423643ce80e2a9ac94fa54ca49f',
  );
});

test('outputs are plain Uint8Arrays of the right length', () => {
  const h = hmacSha256(new Uint8Array(32));
  assert.equal(Object.getPrototypeOf(h), Uint8Array.prototype);
  assert.equal(h.length, 32);
  assert.equal(sha256().length, 32);
  assert.equal(sha512(new Uint8Array(0)).length, 64);
});
