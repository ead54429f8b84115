/**
 * obfs4 packets (packet.go), the plaintext inside each frame, and the burst writer that turns
 * application bytes into frames plus padding, sans-IO.
 *
 *   packet = type(1) ‖ BE16(payload length) ‖ payload ‖ zero padding
 *
 * Type 0 carries application data (length 0 = pure padding); type 1 carries the server's 24-byte
 * PRNG seed; other types are authenticated and ignored.
 */
import { FramingError } from '../../errors.js';
import {
  FRAME_OVERHEAD,
  MAX_PACKET_PAYLOAD_LENGTH,
  MAX_SEGMENT_LENGTH,
  PACKET_HEADER_ON_WIRE,
  PACKET_OVERHEAD,
  PACKET_TYPE_PAYLOAD,
} from './constants.js';
import type { FrameEncoder } from './framing.js';

export interface Packet {
  type: number;
  payload: Uint8Array;
}

/** Parses a decrypted frame. A packet shorter than its header or its declared payload is fatal. */
export function parsePacket(plain: Uint8Array): Packet {
  if (plain.length < PACKET_OVERHEAD) {
    throw new FramingError(
      'ERR_PACKET_INVALID',
      `obfs4 packet of ${plain.length} bytes is too short`,
    );
  }
  const payloadLength = (plain[1]! << 8) | plain[2]!;
  if (payloadLength > plain.length - PACKET_OVERHEAD) {
    throw new FramingError(
      'ERR_PACKET_INVALID',
      `obfs4 packet declares ${payloadLength} payload bytes but carries ${plain.length - PACKET_OVERHEAD}`,
    );
  }
  return {
    type: plain[0]!,
    payload: plain.subarray(PACKET_OVERHEAD, PACKET_OVERHEAD + payloadLength),
  };
}

/** Wire length of the frames that carry `n` application bytes in maximum-size packets. */
export function dataFramesLength(n: number): number {
  const full = Math.floor(n / MAX_PACKET_PAYLOAD_LENGTH);
  const rest = n % MAX_PACKET_PAYLOAD_LENGTH;
  return full * MAX_SEGMENT_LENGTH + (rest > 0 ? rest + PACKET_HEADER_ON_WIRE : 0);
}

/**
 * obfs4's padBurst: the padding packets (as padding-byte counts, one per packet) that bring a
 * burst of `burstLength` wire bytes to `target` bytes past its last MSS boundary. When the gap is
 * too small for one packet header the reference sends a full-size padding packet and then one
 * with `pad` padding bytes, overshooting the target by 21 bytes; that shape is kept on purpose so
 * steppe's traffic is indistinguishable from obfs4proxy's.
 */
export function paddingPlan(burstLength: number, target: number): number[] {
  const tail = burstLength % MAX_SEGMENT_LENGTH;
  const pad = target >= tail ? target - tail : MAX_SEGMENT_LENGTH - tail + target;
  if (pad > PACKET_HEADER_ON_WIRE) return [pad - PACKET_HEADER_ON_WIRE];
  if (pad > 0) return [MAX_PACKET_PAYLOAD_LENGTH, pad];
  return [];
}

/** Wire length of the padding packets in a plan. */
export function paddingLength(plan: readonly number[]): number {
  let n = 0;
  for (const p of plan) n += p + PACKET_HEADER_ON_WIRE;
  return n;
}

// Scratch for a packet's plaintext and for the application bytes a burst re-cuts, shared by all
// writers: both are filled and consumed within one synchronous call, and a buffer of this size
// made per connection (or per burst) is an ArrayBuffer of its own, ~1 µs each to allocate and
// sweep (see the allocation notes in bench/perf/README.md).
const packetScratch = new Uint8Array(MAX_PACKET_PAYLOAD_LENGTH + PACKET_OVERHEAD);
const burstCarry = new Uint8Array(MAX_PACKET_PAYLOAD_LENGTH);
const NO_PAYLOAD = new Uint8Array(0);

/** Writes packets into frames; building a burst allocates only its output. */
export class PacketWriter {
  readonly #encoder: FrameEncoder;

  constructor(encoder: FrameEncoder) {
    this.#encoder = encoder;
  }

  /** Encodes one packet into `out` at `offset`; returns the frame length. */
  writePacket(
    out: Uint8Array,
    offset: number,
    type: number,
    payload: Uint8Array,
    padLength: number,
  ): number {
    if (payload.length + padLength > MAX_PACKET_PAYLOAD_LENGTH) {
      throw new RangeError(
        `packet of ${payload.length}+${padLength} bytes exceeds ${MAX_PACKET_PAYLOAD_LENGTH}`,
      );
    }
    const s = packetScratch;
    s[0] = type;
    s[1] = payload.length >>> 8;
    s[2] = payload.length & 0xff;
    s.set(payload, PACKET_OVERHEAD);
    const end = PACKET_OVERHEAD + payload.length + padLength;
    s.fill(0, PACKET_OVERHEAD + payload.length, end);
    return this.#encoder.encodeInto(out, offset, s.subarray(0, end));
  }

  /** One packet as a standalone frame (used for the server's PRNG-seed frame). */
  packet(type: number, payload: Uint8Array, padLength = 0): Uint8Array {
    // Fully written by writePacket; pooled, and off V8's heap for the sealing call.
    const out = Buffer.allocUnsafe(payload.length + padLength + PACKET_OVERHEAD + FRAME_OVERHEAD);
    this.writePacket(out, 0, type, payload, padLength);
    return out;
  }

  /**
   * Encodes `chunks` of application data as maximum-size payload packets followed by the
   * padding of `plan` (see paddingPlan), all into one buffer ready for a single socket write.
   */
  burst(chunks: readonly Uint8Array[], totalLength: number, plan: readonly number[]): Uint8Array {
    const out = Buffer.allocUnsafe(dataFramesLength(totalLength) + paddingLength(plan));
    let offset = 0;
    // Chunks are re-cut into packets of MAX_PACKET_PAYLOAD_LENGTH regardless of chunk
    // boundaries, as Go's Write does over its single input buffer.
    const carry = burstCarry;
    let carried = 0;
    for (const chunk of chunks) {
      let pos = 0;
      if (carried > 0) {
        const take = Math.min(MAX_PACKET_PAYLOAD_LENGTH - carried, chunk.length);
        carry.set(chunk.subarray(0, take), carried);
        carried += take;
        pos = take;
        if (carried === MAX_PACKET_PAYLOAD_LENGTH) {
          offset += this.writePacket(out, offset, PACKET_TYPE_PAYLOAD, carry, 0);
          carried = 0;
        }
      }
      while (chunk.length - pos >= MAX_PACKET_PAYLOAD_LENGTH) {
        const p = chunk.subarray(pos, pos + MAX_PACKET_PAYLOAD_LENGTH);
        offset += this.writePacket(out, offset, PACKET_TYPE_PAYLOAD, p, 0);
        pos += MAX_PACKET_PAYLOAD_LENGTH;
      }
      if (pos < chunk.length) {
        carry.set(chunk.subarray(pos), carried);
        carried += chunk.length - pos;
      }
    }
    if (carried > 0) {
      offset += this.writePacket(out, offset, PACKET_TYPE_PAYLOAD, carry.subarray(0, carried), 0);
    }
    for (const pad of plan) {
      offset += this.writePacket(out, offset, PACKET_TYPE_PAYLOAD, NO_PAYLOAD, pad);
    }
    if (offset !== out.length) throw new Error(`BUG: burst wrote ${offset} of ${out.length} bytes`);
    return out;
  }
}
