import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { randomBytes } from '../../src/crypto/random.js';
import { bytesToHex, concatBytes, hexToBytes } from '../../src/crypto/bytes.js';
import { aes128Ctr, aes256CtrPrefixed } from '../../src/crypto/aes-ctr.js';

// NIST SP 800-38A F.5.1 / F.5.5 (CTR-AES128.Encrypt, CTR-AES256.Encrypt), four blocks each.
const NIST_PLAINTEXT =
  '6bc1bee22e409f96e93d7e117393172a' +
  'ae2d8a571e03ac9c9eb76fac45af8e51' +
  '30c81c46a35ce411e5fbc1191a0a52ef' +
  'f69f2445df4f9b17ad2b417be66c3710';
const NIST_COUNTER = 'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff';

/** The keystream block by block from AES-ECB, an independent route to what CTR must produce. */
function ecbKeystream(alg: 'aes-128-ecb' | 'aes-256-ecb', key: Uint8Array, blocks: Uint8Array[]) {
  const c = createCipheriv(alg, key, null).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(concatBytes(...blocks)), c.final()]));
}

const xor = (a: Uint8Array, b: Uint8Array): Uint8Array => a.map((x, i) => x ^ b[i]!);

test('AES-128-CTR: NIST SP 800-38A F.5.1, whole and split into odd chunks', () => {
  const key = hexToBytes('2b7e151628aed2a6abf7158809cf4f3c');
  const expected =
    '874d6191b620e3261bef6864990db6ce' +
    '9806f66b7970fdff8617187bb9fffdff' +
    '5ae4df3edbd5d35e5b4f09020db03eab' +
    '1e031dda2fbe03d1792170a0f3009cee';
  const pt = hexToBytes(NIST_PLAINTEXT);
  assert.equal(bytesToHex(aes128Ctr(key, hexToBytes(NIST_COUNTER)).update(pt)), expected);
  const split = aes128Ctr(key, hexToBytes(NIST_COUNTER));
  const parts = [pt.subarray(0, 1), pt.subarray(1, 17), pt.subarray(17, 40), pt.subarray(40)];
  assert.equal(bytesToHex(concatBytes(...parts.map((p) => split.update(p)))), expected);
});

test('AES-128-CTR: the 128-bit counter wraps from ff..ff to 00..00', () => {
  const key = randomBytes(16);
  const top = new Uint8Array(16).fill(0xff);
  const ks = ecbKeystream('aes-128-ecb', key, [top, new Uint8Array(16)]);
  assert.deepEqual(aes128Ctr(key, top).update(new Uint8Array(32)), ks);
  // A carry crosses byte boundaries: 00..00 ff ff → 00..01 00 00.
  const low = hexToBytes('0000000000000000000000000000ffff');
  const next = hexToBytes('00000000000000000000000000010000');
  assert.deepEqual(
    aes128Ctr(key, low).update(new Uint8Array(32)),
    ecbKeystream('aes-128-ecb', key, [low, next]),
  );
});

test('AES-256-CTR: NIST SP 800-38A F.5.5', () => {
  // aes256CtrPrefixed always starts the low half at 1, so check the NIST vector through ECB and
  // the prefixed stream against ECB below.
  const key = hexToBytes('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4');
  const ctr = [0xfeff, 0xff00, 0xff01, 0xff02].map((low) => {
    const b = hexToBytes(NIST_COUNTER);
    b[14] = low >> 8;
    b[15] = low & 0xff;
    return b;
  });
  assert.equal(
    bytesToHex(xor(hexToBytes(NIST_PLAINTEXT), ecbKeystream('aes-256-ecb', key, ctr))),
    '601ec313775789a5b7a7f504bbf3d228' +
      'f443e3ca4d62b59aca84e990cacaf5c5' +
      '2b0930daa23de94ce87017ba2d84988d' +
      'dfc9c58db67aada613c2dd08457941a6',
  );
});

test('AES-256-CTR (ScrambleSuit): blocks are prefix ‖ BE64(1), prefix ‖ BE64(2), …', () => {
  const key = randomBytes(32);
  const prefix = hexToBytes('0102030405060708');
  const blocks = [1, 2, 3].map((n) => {
    const b = new Uint8Array(16);
    b.set(prefix);
    b[15] = n;
    return b;
  });
  const data = randomBytes(40);
  const s = aes256CtrPrefixed(key, prefix);
  const out = concatBytes(s.update(data.subarray(0, 7)), s.update(data.subarray(7)));
  assert.deepEqual(out, xor(data, ecbKeystream('aes-256-ecb', key, blocks).subarray(0, 40)));
});

test('AES-CTR: wrong key or counter lengths are refused', () => {
  assert.throws(() => aes128Ctr(new Uint8Array(32), new Uint8Array(16)), RangeError);
  assert.throws(() => aes128Ctr(new Uint8Array(16), new Uint8Array(8)), RangeError);
  assert.throws(() => aes256CtrPrefixed(new Uint8Array(16), new Uint8Array(8)), RangeError);
  assert.throws(() => aes256CtrPrefixed(new Uint8Array(32), new Uint8Array(16)), RangeError);
});
