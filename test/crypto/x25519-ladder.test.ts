import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import fc from 'fast-check';
import { bytesToHex, hexToBytes } from '../../src/crypto/bytes.js';
import { scalarmultBase } from '../../src/crypto/sodium.js';
import { x25519BaseLadder } from '../../src/crypto/x25519-ladder.js';

// RFC 7748 §6.1: Alice's and Bob's private keys and the public keys they give.
const RFC_6_1 = [
  [
    '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
    '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
  ],
  [
    '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb',
    'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
  ],
] as const;

// RFC 7748 §5.2, the iterated test after one iteration: k = u = 9, so X25519(9, 9).
const NINE = new Uint8Array(32);
NINE[0] = 9;
const RFC_5_2_ONE_ITERATION = '422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079';

/** OpenSSL's X25519 public key for a raw private key (RFC 8410 PKCS#8 wrapping). */
function opensslBase(scalar: Uint8Array): string {
  const der = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), scalar]);
  const pub = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
  const spki = pub.export({ format: 'der', type: 'spki' });
  return bytesToHex(spki.subarray(spki.length - 32));
}

function sodiumBase(scalar: Uint8Array): string {
  const out = new Uint8Array(32);
  scalarmultBase(out, scalar);
  return bytesToHex(out);
}

test('RFC 7748 known answers', () => {
  for (const [priv, pub] of RFC_6_1)
    assert.equal(bytesToHex(x25519BaseLadder(hexToBytes(priv))), pub);
  assert.equal(bytesToHex(x25519BaseLadder(NINE)), RFC_5_2_ONE_ITERATION);
});

test('scalars at the edges of the encoding agree with OpenSSL and libsodium', () => {
  const edges = [
    new Uint8Array(32),
    new Uint8Array(32).fill(0xff),
    Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? 0x80 : 0)),
    Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 7 : 0)),
    Uint8Array.from({ length: 32 }, (_, i) => (i % 2 === 0 ? 0xff : 0)),
  ];
  for (const k of edges) {
    const got = bytesToHex(x25519BaseLadder(k));
    assert.equal(got, opensslBase(k), bytesToHex(k));
    assert.equal(got, sodiumBase(k), bytesToHex(k));
  }
});

test('random scalars agree with OpenSSL and libsodium', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (k) => {
      const got = bytesToHex(x25519BaseLadder(k));
      return got === opensslBase(k) && got === sodiumBase(k);
    }),
    { numRuns: 300 },
  );
});

test('the scalar is not modified', () => {
  const k = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
  const copy = Uint8Array.from(k);
  x25519BaseLadder(k);
  assert.deepEqual(k, copy);
});
