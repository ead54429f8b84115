import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from '../../../src/crypto/random.js';
import { FramingError } from '../../../src/errors.js';
import { ByteQueue } from '../../../src/transports/byte-queue.js';
import {
  FLAG_PAYLOAD,
  MAX_LEN_DIST,
  MAX_MESSAGE_BODY,
  MAX_SEGMENT_LENGTH,
  MESSAGE_OVERHEAD,
  MIN_LEN_DIST,
} from '../../../src/transports/scramblesuit/constants.js';
import { deriveSessionKeys } from '../../../src/transports/scramblesuit/keys.js';
import {
  MessageDecoder,
  MessageEncoder,
  paddingPlan,
  payloadMessagesLength,
} from '../../../src/transports/scramblesuit/message.js';
import { sweep } from '../../_support/sweep.js';

const keys = deriveSessionKeys(randomBytes(32)).upstream;

test('padding plan: the last segment has the sampled length, at every sample and burst length', () => {
  for (let sample = MIN_LEN_DIST; sample <= MAX_LEN_DIST; sample++) {
    for (const burst of [0, 1, 20, 21, 500, 1427, 1447, 1448, 1449, 2896, 5000]) {
      const pads = paddingPlan(burst, sample);
      let len = burst;
      for (const p of pads) {
        assert.ok(p >= 0 && p <= MAX_MESSAGE_BODY, `pad ${p}`);
        len += MESSAGE_OVERHEAD + p;
      }
      assert.equal(len % MAX_SEGMENT_LENGTH, sample % MAX_SEGMENT_LENGTH);
      assert.ok(pads.length <= 2);
    }
  }
});

test('bursts round-trip at every sampled length, across message boundaries', () => {
  const enc = new MessageEncoder(keys);
  const dec = new MessageDecoder(keys);
  const q = new ByteQueue();
  const sizes = [0, 1, 2, 20, 21, 100, 1426, 1427, 1428, 2000, 2854, 2855];
  for (const sample of sweep(MIN_LEN_DIST, MAX_LEN_DIST, 48)) {
    for (const size of sizes) {
      const data = randomBytes(size);
      // Split across two caller chunks to exercise the cut across buffers.
      const cut = Math.floor(size / 3);
      const burst = enc.burst([data.subarray(0, cut), data.subarray(cut)], size, sample);
      assert.equal(burst.length % MAX_SEGMENT_LENGTH, sample % MAX_SEGMENT_LENGTH);
      assert.ok(burst.length >= payloadMessagesLength(size));
      // Fed in odd pieces.
      const got: Uint8Array[] = [];
      for (let off = 0; off < burst.length; off += 613) {
        q.push(burst.subarray(off, Math.min(off + 613, burst.length)));
        for (let m = dec.decode(q); m !== null; m = dec.decode(q)) {
          assert.equal(m.flags, FLAG_PAYLOAD);
          got.push(m.payload);
        }
      }
      assert.equal(q.length, 0);
      assert.deepEqual(Buffer.concat(got), Buffer.from(data));
    }
  }
});

test('a flipped bit anywhere in a message fails authentication or the header check', () => {
  const wire = new MessageEncoder(keys).message(FLAG_PAYLOAD, randomBytes(40), 10);
  for (let i = 0; i < wire.length; i++) {
    const bad = wire.slice();
    bad[i]! ^= 0x10;
    const q = new ByteQueue();
    q.push(bad);
    assert.throws(
      () => {
        const dec = new MessageDecoder(keys);
        for (let k = 0; k < 2; k++) if (dec.decode(q) === null) throw new Error('stalled');
      },
      (e: unknown) => e instanceof FramingError || (e as Error).message === 'stalled',
    );
  }
});

test('a header claiming more than 1427 bytes or payload > total is refused at once', () => {
  const enc = new MessageEncoder(keys);
  assert.throws(() => enc.message(FLAG_PAYLOAD, randomBytes(MAX_MESSAGE_BODY), 1), RangeError);
});
