import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, hexToBytes } from '../../../src/crypto/bytes.js';
import { PtError } from '../../../src/errors.js';
import { ByteQueue } from '../../../src/transports/byte-queue.js';
import { MAX_FRAME_PAYLOAD_LENGTH } from '../../../src/transports/obfs4/constants.js';
import { FrameDecoder, FrameEncoder } from '../../../src/transports/obfs4/framing.js';

// protocols.md §4 "Extra vectors": frames produced with key material 00 01 .. 47 by code that
// interoperated with obfs4proxy 0.0.14 (see test/vectors/README.md).
const KEY_MATERIAL = Uint8Array.from({ length: 72 }, (_, i) => i);
const HELLO_PACKET = hexToBytes('000005' + Buffer.from('hello').toString('hex'));
const HELLO_FRAME = '03466b15c7b360f46eac7fbfe7544956e620f281dd229498a72a';
const SEED_PACKET = hexToBytes(
  '010018' + bytesToHex(Uint8Array.from({ length: 24 }, (_, i) => 0x64 + i)),
);
const SEED_FRAME =
  '265d1004398f0ef99c4c3b8e006886ccaa7552b43bfd22b635755d6f60bf3669484ddc2acf93c5d2fdabb351a9';

test('frame encoder reproduces the reference frames and length masks', () => {
  const enc = new FrameEncoder(KEY_MATERIAL);
  const f1 = enc.encode(HELLO_PACKET);
  const f2 = enc.encode(SEED_PACKET);
  assert.equal(bytesToHex(f1), HELLO_FRAME);
  assert.equal(bytesToHex(f2), SEED_FRAME);
  // The masks are the first two bytes of each DRBG block: wire length XOR box length.
  assert.equal(((f1[0]! << 8) | f1[1]!) ^ (f1.length - 2), 0x035e);
  assert.equal(((f2[0]! << 8) | f2[1]!) ^ (f2.length - 2), 0x2676);
});

test('frame decoder opens the reference frames, across every split point', () => {
  const wire = hexToBytes(HELLO_FRAME + SEED_FRAME);
  for (let split = 0; split <= wire.length; split++) {
    const dec = new FrameDecoder(KEY_MATERIAL);
    const q = new ByteQueue();
    const out = new Uint8Array(MAX_FRAME_PAYLOAD_LENGTH);
    const got: string[] = [];
    for (const part of [wire.subarray(0, split), wire.subarray(split)]) {
      q.push(part);
      for (let n; (n = dec.decodeInto(q, out)) >= 0;) got.push(bytesToHex(out.subarray(0, n)));
    }
    assert.deepEqual(got, [bytesToHex(HELLO_PACKET), bytesToHex(SEED_PACKET)], `split at ${split}`);
  }
});

test('round trip of every payload length 0..1430', () => {
  const enc = new FrameEncoder(KEY_MATERIAL);
  const dec = new FrameDecoder(KEY_MATERIAL);
  const q = new ByteQueue();
  const out = new Uint8Array(MAX_FRAME_PAYLOAD_LENGTH);
  for (let len = 0; len <= MAX_FRAME_PAYLOAD_LENGTH; len++) {
    const payload = Uint8Array.from({ length: len }, (_, i) => (i * 7 + len) & 0xff);
    q.push(enc.encode(payload));
    const n = dec.decodeInto(q, out);
    assert.equal(n, len);
    assert.deepEqual(out.subarray(0, n), payload);
  }
  assert.throws(() => enc.encode(new Uint8Array(MAX_FRAME_PAYLOAD_LENGTH + 1)), RangeError);
});

test('a tampered frame is a fatal tag error, and so is an out-of-range length', () => {
  const enc = new FrameEncoder(KEY_MATERIAL);
  const frame = enc.encode(HELLO_PACKET);
  frame[10]! ^= 1;
  const q = new ByteQueue();
  q.push(frame);
  assert.throws(
    () => new FrameDecoder(KEY_MATERIAL).decodeInto(q, new Uint8Array(MAX_FRAME_PAYLOAD_LENGTH)),
    (e: unknown) => e instanceof PtError && e.code === 'ERR_FRAME_TAG',
  );
  // Length field unmasking to 0xffff: the decoder waits for a random valid length and then fails,
  // never reporting the bad length itself.
  const bad = new ByteQueue();
  bad.push(Uint8Array.of(0xff ^ 0x03, 0xff ^ 0x5e));
  bad.push(new Uint8Array(1446));
  assert.throws(
    () => new FrameDecoder(KEY_MATERIAL).decodeInto(bad, new Uint8Array(MAX_FRAME_PAYLOAD_LENGTH)),
    (e: unknown) => e instanceof PtError && e.code === 'ERR_FRAME_TAG',
  );
});
