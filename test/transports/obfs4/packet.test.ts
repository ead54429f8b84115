import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteQueue } from '../../../src/transports/byte-queue.js';
import {
  MAX_FRAME_PAYLOAD_LENGTH,
  MAX_PACKET_PAYLOAD_LENGTH,
  MAX_SEGMENT_LENGTH,
} from '../../../src/transports/obfs4/constants.js';
import { FrameDecoder, FrameEncoder } from '../../../src/transports/obfs4/framing.js';
import {
  PacketWriter,
  dataFramesLength,
  paddingLength,
  paddingPlan,
  parsePacket,
} from '../../../src/transports/obfs4/packet.js';
import { PtError } from '../../../src/errors.js';

const KM = Uint8Array.from({ length: 72 }, (_, i) => 255 - i);

function decodeAll(wire: Uint8Array): { payload: Uint8Array; frames: number[] } {
  const dec = new FrameDecoder(KM);
  const q = new ByteQueue();
  q.push(wire);
  const out = new Uint8Array(MAX_FRAME_PAYLOAD_LENGTH);
  const parts: Uint8Array[] = [];
  const frames: number[] = [];
  for (let n; (n = dec.decodeInto(q, out)) >= 0;) {
    frames.push(n + 18);
    parts.push(parsePacket(out.subarray(0, n)).payload.slice());
  }
  assert.equal(q.length, 0);
  return { payload: Buffer.concat(parts), frames };
}

test('padBurst lands every burst on the sampled target, with the reference 21-byte overshoot', () => {
  for (const burst of [0, 1, 21, 22, 1447, 1448, 1449, 3000, 2 * 1448 + 5]) {
    for (let target = 0; target <= MAX_SEGMENT_LENGTH; target++) {
      const plan = paddingPlan(burst, target);
      const total = burst + paddingLength(plan);
      const tail = total % MAX_SEGMENT_LENGTH;
      const pad = paddingLength(plan);
      if (pad === 0) {
        assert.equal(burst % MAX_SEGMENT_LENGTH, target);
      } else if (plan.length === 1) {
        assert.equal(tail, target % MAX_SEGMENT_LENGTH, `burst ${burst} target ${target}`);
      } else {
        // gap of 1..21 bytes: a full padding frame, then one of `gap` padding bytes (+21 header)
        assert.equal(plan[0], MAX_PACKET_PAYLOAD_LENGTH);
        assert.ok(plan[1]! >= 1 && plan[1]! <= 21);
        assert.equal(
          (tail + MAX_SEGMENT_LENGTH - 21) % MAX_SEGMENT_LENGTH,
          target % MAX_SEGMENT_LENGTH,
        );
      }
    }
  }
});

test('bursts re-cut any chunking into maximum-size packets and decode back', () => {
  const data = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 31) & 0xff);
  for (const cuts of [[10_000], [1, 1426, 1, 8572], [1427, 1427, 7146], [5000, 0, 5000]]) {
    const chunks: Uint8Array[] = [];
    let at = 0;
    for (const c of cuts) {
      chunks.push(data.subarray(at, at + c));
      at += c;
    }
    const plan = paddingPlan(dataFramesLength(data.length), 700);
    const wire = new PacketWriter(new FrameEncoder(KM)).burst(chunks, data.length, plan);
    assert.equal(wire.length % MAX_SEGMENT_LENGTH, 700);
    const { payload, frames } = decodeAll(wire);
    assert.deepEqual(payload, Buffer.from(data));
    // all data frames but the last are full segments
    assert.deepEqual(frames.slice(0, 7), Array(7).fill(MAX_SEGMENT_LENGTH));
  }
});

test('packet parser rejects short packets and overlong payload lengths', () => {
  const isInvalid = (e: unknown): boolean =>
    e instanceof PtError && e.code === 'ERR_PACKET_INVALID';
  assert.throws(() => parsePacket(Uint8Array.of(0, 0)), isInvalid);
  assert.throws(() => parsePacket(Uint8Array.of(0, 0, 2, 9)), isInvalid);
  assert.deepEqual(parsePacket(Uint8Array.of(7, 0, 1, 9, 0, 0)), {
    type: 7,
    payload: Uint8Array.of(9),
  });
});
