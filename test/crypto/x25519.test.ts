import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, hexToBytes } from '../../src/crypto/bytes.js';
import { sha512 } from '../../src/crypto/hmac.js';
import type { RandomSource } from '../../src/crypto/random.js';
import {
  identityFromPrivate,
  newIdentityKeypair,
  x25519,
  x25519Base,
} from '../../src/crypto/x25519.js';

// RFC 7748 §6.1.
const alicePriv = hexToBytes('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
const alicePub = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';
const bobPriv = hexToBytes('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
const bobPub = 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f';
const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';

test('RFC 7748 §6.1 Diffie-Hellman', () => {
  assert.equal(bytesToHex(x25519Base(alicePriv)), alicePub);
  assert.equal(bytesToHex(x25519Base(bobPriv)), bobPub);
  assert.equal(bytesToHex(x25519(alicePriv, hexToBytes(bobPub))!), shared);
  assert.equal(bytesToHex(x25519(bobPriv, hexToBytes(alicePub))!), shared);
});

test('low-order peer points give null, not an all-zero secret', () => {
  const zero = new Uint8Array(32);
  const one = new Uint8Array(32);
  one[0] = 1;
  assert.equal(x25519(alicePriv, zero), null);
  assert.equal(x25519(alicePriv, one), null);
});

test('lengths are checked', () => {
  assert.throws(() => x25519(new Uint8Array(31), new Uint8Array(32)), RangeError);
  assert.throws(() => x25519(new Uint8Array(32), new Uint8Array(33)), RangeError);
  assert.throws(() => x25519Base(new Uint8Array(0)), RangeError);
  assert.throws(() => identityFromPrivate(new Uint8Array(16)), RangeError);
});

test('identity keypair: b = SHA-512(rand32)[0:32], B = X25519(b, 9) (obfs4 NewKeypair(false))', () => {
  const raw = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);
  const rng: RandomSource = { fill: (out) => out.set(raw.subarray(0, out.length)) };
  const kp = newIdentityKeypair(rng);
  assert.deepEqual(kp.privateKey, sha512(raw).slice(0, 32));
  assert.deepEqual(kp.publicKey, x25519Base(kp.privateKey));
  const again = identityFromPrivate(kp.privateKey);
  assert.deepEqual(again.publicKey, kp.publicKey);
  assert.notEqual(again.privateKey, kp.privateKey, 'private key is copied');
});

test('random identity keypairs agree with each other', () => {
  const a = newIdentityKeypair();
  const b = newIdentityKeypair();
  assert.deepEqual(x25519(a.privateKey, b.publicKey), x25519(b.privateKey, a.publicKey));
});
