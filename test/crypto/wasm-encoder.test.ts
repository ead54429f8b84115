import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Code, encodeModule, I64, Op, sleb, uleb } from '../../src/crypto/wasm-encoder.js';

declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
};

/** Reference LEB128 decoders (spec §5.2.2), independent of the encoder. */
function decodeU(b: number[]): bigint {
  let r = 0n;
  b.forEach((x, i) => (r |= BigInt(x & 0x7f) << BigInt(7 * i)));
  return r;
}
function decodeS(b: number[]): bigint {
  const r = decodeU(b);
  const bits = BigInt(7 * b.length);
  return (b[b.length - 1]! & 0x40) !== 0 ? r - (1n << bits) : r;
}

test('LEB128: known encodings from the spec and the usual examples', () => {
  assert.deepEqual(uleb(0), [0]);
  assert.deepEqual(uleb(127), [0x7f]);
  assert.deepEqual(uleb(128), [0x80, 0x01]);
  assert.deepEqual(uleb(624485), [0xe5, 0x8e, 0x26]);
  assert.deepEqual(sleb(0), [0]);
  assert.deepEqual(sleb(-1), [0x7f]);
  assert.deepEqual(sleb(63), [0x3f]);
  assert.deepEqual(sleb(64), [0xc0, 0x00]);
  assert.deepEqual(sleb(-64), [0x40]);
  assert.deepEqual(sleb(-123456), [0xc0, 0xbb, 0x78]);
  assert.throws(() => uleb(-1), RangeError);
});

test('LEB128: round trips over safe integers; every byte but the last has the high bit', () => {
  fc.assert(
    fc.property(fc.maxSafeInteger(), fc.maxSafeInteger(), (u, s) => {
      const ub = uleb(Math.abs(u));
      const sb = sleb(s);
      assert.equal(decodeU(ub), BigInt(Math.abs(u)));
      assert.equal(decodeS(sb), BigInt(s));
      for (const b of [ub, sb]) {
        b.slice(0, -1).forEach((x) => assert.ok(x & 0x80));
        assert.equal(b[b.length - 1]! & 0x80, 0);
      }
    }),
    { numRuns: 500 },
  );
});

test('encodeModule: a valid module whose function runs (i64 store of a computed value)', () => {
  // f(addr): mem[addr] = (-7 * 6) >> 1 (arithmetic), i.e. -21.
  const body = new Code().get(0).i64(-7).i64(6).emit(Op.i64Mul).i64(1).emit(Op.i64ShrS);
  body.store64(0);
  const bytes = encodeModule([{ params: [0x7f], locals: [I64, I64], body, exportAs: 'f' }], 1);
  assert.equal(WebAssembly.validate(bytes), true);
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const memory = exports.memory as { buffer: ArrayBuffer };
  (exports.f as (a: number) => void)(16);
  assert.equal(new BigInt64Array(memory.buffer, 16, 1)[0], -21n);
});
