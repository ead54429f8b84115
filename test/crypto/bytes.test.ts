import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ascii,
  bytesToHex,
  concatBytes,
  ctEqual,
  hexToBytes,
  indexOfBytes,
  readU16BE,
  readU32BE,
  readU32LE,
  readU64BE,
  writeU16BE,
  writeU32LE,
  writeU64BE,
} from '../../src/crypto/bytes.js';

test('ascii: the bytes of a label, a fresh array each call', () => {
  assert.deepEqual([...ascii('Server')], [0x53, 0x65, 0x72, 0x76, 0x65, 0x72]);
  assert.deepEqual([...ascii('493204')], [0x34, 0x39, 0x33, 0x32, 0x30, 0x34]);
  const a = ascii('x');
  a[0] = 0;
  assert.equal(ascii('x')[0], 0x78);
  assert.equal(ascii('').length, 0);
  // Anything past ASCII is still encoded as UTF-8, not truncated to a byte per character.
  assert.deepEqual([...ascii('é€')], [...new TextEncoder().encode('é€')]);
  assert.deepEqual([...ascii('a'.repeat(100))], Array(100).fill(0x61));
});

test('hex round trip, either case', () => {
  const b = hexToBytes('00ff10AbCd');
  assert.deepEqual(b, new Uint8Array([0x00, 0xff, 0x10, 0xab, 0xcd]));
  assert.equal(bytesToHex(b), '00ff10abcd');
  assert.deepEqual(hexToBytes(''), new Uint8Array(0));
  // The result owns its buffer (not a view into Buffer's pool).
  assert.equal(b.buffer.byteLength, 5);
});

test('hexToBytes rejects odd length and non-hex', () => {
  assert.throws(() => hexToBytes('abc'), TypeError);
  assert.throws(() => hexToBytes('zz'), TypeError);
  assert.throws(() => hexToBytes('0x00'), TypeError);
});

test('bytesToHex respects subarray views', () => {
  const b = new Uint8Array([1, 2, 3, 4]);
  assert.equal(bytesToHex(b.subarray(1, 3)), '0203');
});

test('bytesToHex: the table path (≤ 64 bytes) and the Buffer path agree with Buffer', () => {
  for (const n of [0, 1, 24, 64, 65, 300]) {
    const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff);
    assert.equal(bytesToHex(b), Buffer.from(b).toString('hex'), `${n} bytes`);
  }
});

test('concatBytes copies', () => {
  const a = new Uint8Array([1, 2]);
  const c = concatBytes(a, new Uint8Array(0), new Uint8Array([3]));
  assert.deepEqual(c, new Uint8Array([1, 2, 3]));
  c[0] = 9;
  assert.equal(a[0], 1);
  assert.deepEqual(concatBytes(), new Uint8Array(0));
});

test('indexOfBytes searches hay[from:to] only, relative to the view it is given', () => {
  const backing = new Uint8Array([9, 1, 2, 3, 1, 2, 3, 4]);
  const hay = backing.subarray(1); // 1 2 3 1 2 3 4
  const needle = new Uint8Array([1, 2, 3]);
  assert.equal(indexOfBytes(hay, needle, 0, hay.length), 0);
  assert.equal(indexOfBytes(hay, needle, 1, hay.length), 3);
  assert.equal(indexOfBytes(hay, needle, 1, 5), -1, 'a match running past `to` is not found');
  assert.equal(indexOfBytes(hay, needle, 1, 6), 3);
  assert.equal(indexOfBytes(hay, needle, 5, hay.length), -1);
  assert.equal(indexOfBytes(hay, needle, 8, hay.length), -1, '`from` past the window');
});

test('ctEqual', () => {
  assert.equal(ctEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true);
  assert.equal(ctEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])), false);
  assert.equal(ctEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3])), false);
  assert.equal(ctEqual(new Uint8Array(0), new Uint8Array(0)), true);
});

test('ctEqual finds a difference in any position, short (JavaScript) and long (OpenSSL)', () => {
  for (const n of [16, 32, 64, 65, 200]) {
    const a = Uint8Array.from({ length: n }, (_, i) => i);
    assert.equal(ctEqual(a, a.slice()), true, `${n} equal`);
    for (const at of [0, n >> 1, n - 1]) {
      const b = a.slice();
      b[at]! ^= 0x80;
      assert.equal(ctEqual(a, b), false, `${n} bytes, differing at ${at}`);
    }
  }
});

test('u32 little- and big-endian', () => {
  const b = new Uint8Array(6);
  writeU32LE(b, 1, 0xdeadbeef);
  assert.deepEqual([...b], [0, 0xef, 0xbe, 0xad, 0xde, 0]);
  assert.equal(readU32LE(b, 1), 0xdeadbeef);
  assert.equal(readU32BE(b, 1), 0xefbeadde);
  writeU32LE(b, 0, -1);
  assert.equal(readU32LE(b, 0), 0xffffffff, 'the low 32 bits of the value');
  assert.throws(() => writeU32LE(b, 3, 0), RangeError);
  assert.throws(() => readU32LE(b, 3), RangeError);
  assert.throws(() => readU32BE(b, -1), RangeError);
});

test('u16 big-endian', () => {
  const b = new Uint8Array(4);
  writeU16BE(b, 1, 0xabcd);
  assert.deepEqual(b, new Uint8Array([0, 0xab, 0xcd, 0]));
  assert.equal(readU16BE(b, 1), 0xabcd);
  assert.throws(() => writeU16BE(b, 3, 1), RangeError);
  assert.throws(() => writeU16BE(b, 0, 0x10000), RangeError);
  assert.throws(() => writeU16BE(b, 0, -1), RangeError);
  assert.throws(() => readU16BE(b, 3), RangeError);
});

test('u64 big-endian from number and bigint', () => {
  const b = new Uint8Array(8);
  writeU64BE(b, 0, 1);
  assert.equal(bytesToHex(b), '0000000000000001');
  writeU64BE(b, 0, Number.MAX_SAFE_INTEGER);
  assert.equal(bytesToHex(b), '001fffffffffffff');
  writeU64BE(b, 0, 0x0102030405060708n);
  assert.equal(bytesToHex(b), '0102030405060708');
  assert.equal(readU64BE(b, 0), 0x0102030405060708n);
  writeU64BE(b, 0, (1n << 64n) - 1n);
  assert.equal(bytesToHex(b), 'ffffffffffffffff');
  assert.equal(readU64BE(b, 0), (1n << 64n) - 1n);
  assert.throws(() => writeU64BE(b, 0, 1n << 64n), RangeError);
  assert.throws(() => writeU64BE(b, 0, -1), RangeError);
  assert.throws(() => writeU64BE(b, 0, 2 ** 53), RangeError);
  assert.throws(() => writeU64BE(b, 1, 0), RangeError);
});
