import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as F from '../../src/crypto/field25519.js';
import * as ref from './ed25519-ref.js';

const randomElement = (): bigint => ref.leToBigint(new Uint8Array(randomBytes(32))) % F.P;

test('mul/sqr/add/sub/neg agree with plain BigInt arithmetic', () => {
  for (let i = 0; i < 200; i++) {
    const a = randomElement();
    const b = randomElement();
    assert.equal(F.mul(a, b), (a * b) % ref.p);
    assert.equal(F.sqr(a), (a * a) % ref.p);
    assert.equal(F.add(a, b), (a + b) % ref.p);
    assert.equal(F.sub(a, b), ref.md(a - b));
    assert.equal(F.neg(a), ref.md(-a));
    assert.equal(F.mod(a - 5n * ref.p), a);
  }
  const pm1 = ref.p - 1n;
  assert.equal(F.mul(pm1, pm1), 1n);
  assert.equal(F.neg(0n), 0n);
});

test('invert and pow22523 match square-and-multiply', () => {
  for (let i = 0; i < 20; i++) {
    const a = randomElement();
    assert.equal(F.invert(a), ref.powMod(a, ref.p - 2n));
    assert.equal(F.pow22523(a), ref.powMod(a, (ref.p - 5n) / 8n));
  }
  assert.equal(F.invert(0n), 0n);
});

test('SQRT_M1 squares to -1', () => {
  assert.equal(F.sqr(F.SQRT_M1), ref.p - 1n);
});

test('invSqrtAndInverse: square test, 1/sqrt(v) and 1/v', () => {
  let squares = 0;
  for (let i = 0; i < 200; i++) {
    const v = randomElement();
    const res = F.invSqrtAndInverse(v)!;
    assert.equal(res.inverse, ref.inv(v));
    const expectSquare = ref.powMod(v, (ref.p - 1n) / 2n) === 1n;
    assert.equal(res.isSquare, expectSquare);
    if (res.isSquare) {
      squares++;
      assert.equal(F.mul(F.sqr(res.invSqrt), v), 1n);
    }
  }
  assert.ok(squares > 60 && squares < 140);
  assert.equal(F.invSqrtAndInverse(0n), null);
  assert.equal(F.invSqrtAndInverse(1n)!.isSquare, true);
  assert.equal(F.invSqrtAndInverse(2n)!.isSquare, false);
});

test('byte conversion is little-endian and can mask the top byte', () => {
  const b = new Uint8Array(32);
  b[0] = 1;
  b[31] = 0xff;
  assert.equal(F.fromBytesLE(b), (0xffn << 248n) | 1n);
  assert.equal(F.fromBytesLE(b, 0x3f), (0x3fn << 248n) | 1n);
  assert.deepEqual(
    F.toBytesLE(F.fromBytesLE(b, 0x7f)),
    Uint8Array.from(b, (v, i) => (i === 31 ? 0x7f : v)),
  );
  assert.deepEqual(F.toBytesLE(0n), new Uint8Array(32));
});
