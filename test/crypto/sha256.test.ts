import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { bytesToHex, hexToBytes } from '../../src/crypto/bytes.js';
import { HmacSha256, hmacSha256 } from '../../src/crypto/hmac.js';
import {
  HKDF_SHA256_MAX_LENGTH,
  HmacSha256Key,
  hkdfExpandSha256Js,
  hkdfSha256Js,
  sha256Js,
} from '../../src/crypto/sha256.js';
import { cutsArb, split } from '../fuzz/support.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

test('SHA-256: FIPS 180-2 examples (one block, two blocks, one million "a")', () => {
  assert.equal(
    bytesToHex(sha256Js([ascii('abc')])),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  );
  assert.equal(
    bytesToHex(sha256Js([ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')])),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  );
  assert.equal(
    bytesToHex(sha256Js([new Uint8Array(1_000_000).fill(0x61)])),
    'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
  );
  assert.equal(
    bytesToHex(sha256Js([])),
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  );
});

test('HMAC-SHA256: RFC 4231 test cases 1, 2 and 6 (a key longer than a block)', () => {
  assert.equal(
    bytesToHex(new HmacSha256Key(hexToBytes('0b'.repeat(20))).mac([ascii('Hi There')])),
    'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
  );
  assert.equal(
    bytesToHex(new HmacSha256Key(ascii('Jefe')).mac([ascii('what do ya want for nothing?')])),
    '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  );
  assert.equal(
    bytesToHex(
      new HmacSha256Key(hexToBytes('aa'.repeat(131))).mac([
        ascii('Test Using Larger Than Block-Size Key - Hash Key First'),
      ]),
    ),
    '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  );
});

test('HKDF-SHA256: RFC 5869 test case 1 (PRK and OKM)', () => {
  const ikm = hexToBytes('0b'.repeat(22));
  const salt = new HmacSha256Key(hexToBytes('000102030405060708090a0b0c'));
  const info = hexToBytes('f0f1f2f3f4f5f6f7f8f9');
  assert.equal(
    bytesToHex(salt.mac([ikm])),
    '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5',
  );
  assert.equal(
    bytesToHex(hkdfSha256Js(ikm, salt, info, 42)),
    '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  );
});

test('SHA-256 and HMAC-SHA256 agree with OpenSSL for any length and any split into parts', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 1200 }),
      cutsArb,
      (key, message, cuts) => {
        const parts = split(message, cuts);
        assert.equal(
          bytesToHex(sha256Js(parts)),
          createHash('sha256').update(message).digest('hex'),
        );
        const expected = createHmac('sha256', key).update(message).digest('hex');
        assert.equal(bytesToHex(new HmacSha256Key(key).mac(parts)), expected);
        // hmac.ts picks JavaScript or OpenSSL by length; both sides of its threshold must agree.
        assert.equal(bytesToHex(hmacSha256(key, ...parts)), expected);
      },
    ),
    { numRuns: 400 },
  );
});

test('a prepared HmacSha256 key gives the one-shot MAC every time, short and long messages interleaved', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 200 }),
      fc.array(fc.uint8Array({ maxLength: 2000 }), { minLength: 1, maxLength: 6 }),
      cutsArb,
      (key, messages, cuts) => {
        const prepared = new HmacSha256(key);
        for (const m of messages) {
          const expected = createHmac('sha256', key).update(m).digest('hex');
          assert.equal(bytesToHex(prepared.mac(split(m, cuts))), expected);
          assert.equal(
            bytesToHex(prepared.macSuffixes([m], [m])[0]!),
            bytesToHex(hmacSha256(key, m, m)),
          );
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('long-message HMACs (one body, several suffixes) agree with OpenSSL, with and without crypto.hash', () => {
  const property = fc.property(
    fc.uint8Array({ maxLength: 200 }),
    fc.uint8Array({ minLength: 400, maxLength: 9000 }),
    cutsArb,
    fc.array(fc.uint8Array({ maxLength: 12 }), { minLength: 1, maxLength: 4 }),
    (key, body, cuts, suffixes) => {
      const got = new HmacSha256(key).macSuffixes(split(body, cuts), suffixes).map(bytesToHex);
      const expected = suffixes.map((x) =>
        createHmac('sha256', key).update(body).update(x).digest('hex'),
      );
      assert.deepEqual(got, expected);
    },
  );
  // The same module object hmac.ts loads (node-crypto.ts requires it), so both paths can be
  // watched: crypto.hash where Node has it, a Hash object where it does not (before 20.12).
  const shared = createRequire(import.meta.url)('node:crypto') as {
    hash?: (...a: unknown[]) => unknown;
  };
  const original = shared.hash;
  let oneShots = 0;
  try {
    shared.hash = (...a: unknown[]): unknown => {
      oneShots++;
      return original!(...a);
    };
    fc.assert(property, { numRuns: 150 });
    assert.ok(oneShots > 0, 'the long path went through crypto.hash');
    shared.hash = undefined;
    fc.assert(property, { numRuns: 30 });
  } finally {
    shared.hash = original;
  }
});

test('HKDF-SHA256 agrees with OpenSSL (hkdfSync) for every output length up to 600 bytes', () => {
  const ikm = ascii('input keying material');
  const info = ascii('context');
  const saltBytes = ascii('salt');
  const salt = new HmacSha256Key(saltBytes);
  for (let length = 1; length <= 600; length++) {
    assert.equal(
      bytesToHex(hkdfSha256Js(ikm, salt, info, length)),
      Buffer.from(hkdfSync('sha256', ikm, saltBytes, info, length)).toString('hex'),
      `length ${length}`,
    );
  }
});

test('MACs written at an offset; one key reused gives the same answer every time', () => {
  const key = new HmacSha256Key(ascii('key'));
  const out = new Uint8Array(40).fill(0xee);
  key.mac([ascii('message')], out, 4);
  const alone = key.mac([ascii('message')]);
  assert.deepEqual(out.subarray(4, 36), alone);
  assert.deepEqual(out.subarray(0, 4), new Uint8Array(4).fill(0xee));
  assert.deepEqual(out.subarray(36), new Uint8Array(4).fill(0xee));
  assert.deepEqual(key.mac([ascii('message')]), alone);
});

test('HKDF-Expand: lengths outside RFC 5869 are refused; 0 bytes is an empty key', () => {
  const prk = new HmacSha256Key(new Uint8Array(32));
  assert.throws(
    () => hkdfExpandSha256Js(prk, new Uint8Array(0), HKDF_SHA256_MAX_LENGTH + 1),
    RangeError,
  );
  assert.throws(() => hkdfExpandSha256Js(prk, new Uint8Array(0), -1), RangeError);
  assert.throws(() => hkdfExpandSha256Js(prk, new Uint8Array(0), 1.5), RangeError);
  assert.equal(hkdfExpandSha256Js(prk, new Uint8Array(0), 0).length, 0);
  assert.equal(hkdfExpandSha256Js(prk, new Uint8Array(0), HKDF_SHA256_MAX_LENGTH).length, 8160);
});
