/**
 * ScrambleSuit's message layer, sans-IO. Every message on the wire is
 *
 *   HMAC-SHA256-128(mac key, C) ‖ C,   C = AES-256-CTR(total length BE16 ‖ payload length BE16 ‖
 *                                                     flags ‖ payload ‖ zero padding)
 *
 * with total = payload + padding ≤ 1427 (encrypt-then-MAC, one CTR stream per direction). A
 * write becomes a burst: payload messages of up to 1427 bytes, then padding messages that make
 * the burst's last 1448-byte segment as long as a sample of the length distribution, with
 * obfs4proxy's padBurst arithmetic (which obfs4proxy and the Python server both accept).
 */
import { aes256CtrPrefixed, type CtrStream } from '../../crypto/aes-ctr.js';
import { ctEqual, readU16BE, writeU16BE } from '../../crypto/bytes.js';
import { HmacSha256 } from '../../crypto/hmac.js';
import { FramingError } from '../../errors.js';
import type { ByteQueue } from '../byte-queue.js';
import {
  FLAG_PAYLOAD,
  MAC_LENGTH,
  MAX_MESSAGE_BODY,
  MAX_SEGMENT_LENGTH,
  MESSAGE_OVERHEAD,
  PAD_SPLIT_LENGTH,
} from './constants.js';
import type { DirectionKeys } from './keys.js';

const HEADER_LENGTH = MESSAGE_OVERHEAD - MAC_LENGTH; // 5

/** Wire length of the payload messages carrying `total` application bytes. */
export function payloadMessagesLength(total: number): number {
  return total + Math.ceil(total / MAX_MESSAGE_BODY) * MESSAGE_OVERHEAD;
}

/**
 * The padding lengths (message bodies, each its own message) obfs4proxy's padBurst appends to a
 * burst of `burstLength` wire bytes so that its last segment is `sample` bytes long: none when
 * it already is; one message when the gap holds a header; otherwise a segment more, split as
 * 700 + the rest because one message cannot carry more than 1427 bytes.
 */
export function paddingPlan(burstLength: number, sample: number): number[] {
  const dataLen = burstLength % MAX_SEGMENT_LENGTH;
  let padLen = sample >= dataLen ? sample - dataLen : MAX_SEGMENT_LENGTH - dataLen + sample;
  if (padLen === 0) return [];
  if (padLen < MESSAGE_OVERHEAD) padLen += MAX_SEGMENT_LENGTH;
  if (padLen > MAX_SEGMENT_LENGTH) {
    // obfs4proxy subtracts a second header here (padLen − (700 + 2·21)) and so ends 21 bytes
    // short of the sample; any receiver takes either, and this one lands on the sample.
    return [PAD_SPLIT_LENGTH - MESSAGE_OVERHEAD, padLen - PAD_SPLIT_LENGTH - MESSAGE_OVERHEAD];
  }
  return [padLen - MESSAGE_OVERHEAD];
}

export class MessageEncoder {
  readonly #ctr: CtrStream;
  /** Prepared once: every message is MACed with it. */
  readonly #mac: HmacSha256;

  constructor(keys: DirectionKeys) {
    this.#ctr = aes256CtrPrefixed(keys.aesKey, keys.ivPrefix);
    this.#mac = new HmacSha256(keys.macKey);
  }

  /** Writes one message into `out` at `off`; returns the offset after it. */
  encodeInto(
    out: Uint8Array,
    off: number,
    flags: number,
    payload: Uint8Array,
    padLength: number,
  ): number {
    const total = payload.length + padLength;
    if (total > MAX_MESSAGE_BODY || padLength < 0) {
      throw new RangeError(
        `BUG: message body ${payload.length} + ${padLength} > ${MAX_MESSAGE_BODY}`,
      );
    }
    const start = off + MAC_LENGTH;
    const end = start + HEADER_LENGTH + total;
    writeU16BE(out, start, total);
    writeU16BE(out, start + 2, payload.length);
    out[start + 4] = flags;
    out.set(payload, start + HEADER_LENGTH);
    out.fill(0, start + HEADER_LENGTH + payload.length, end);
    const ct = this.#ctr.update(out.subarray(start, end));
    out.set(ct, start);
    out.set(this.#mac.mac([ct]).subarray(0, MAC_LENGTH), off);
    return end;
  }

  /** One message as its own array. */
  message(flags: number, payload: Uint8Array, padLength = 0): Uint8Array {
    const out = new Uint8Array(MESSAGE_OVERHEAD + payload.length + padLength);
    this.encodeInto(out, 0, flags, payload, padLength);
    return out;
  }

  /**
   * A whole burst: `bufs` (`total` bytes of application data, possibly none) as payload
   * messages, then the padding for a last segment of `sample` bytes.
   */
  burst(bufs: readonly Uint8Array[], total: number, sample: number): Uint8Array {
    const dataLength = payloadMessagesLength(total);
    const pads = paddingPlan(dataLength, sample);
    let length = dataLength;
    for (const p of pads) length += MESSAGE_OVERHEAD + p;
    const out = new Uint8Array(length);
    let off = 0;
    // Payload messages are cut across the caller's chunks without concatenating them first.
    let bi = 0;
    let bo = 0;
    let left = total;
    const chunk = new Uint8Array(Math.min(total, MAX_MESSAGE_BODY));
    while (left > 0) {
      const n = Math.min(left, MAX_MESSAGE_BODY);
      let filled = 0;
      while (filled < n) {
        const b = bufs[bi]!;
        const take = Math.min(b.length - bo, n - filled);
        chunk.set(b.subarray(bo, bo + take), filled);
        filled += take;
        bo += take;
        if (bo === b.length) {
          bi++;
          bo = 0;
        }
      }
      off = this.encodeInto(out, off, FLAG_PAYLOAD, chunk.subarray(0, n), 0);
      left -= n;
    }
    for (const p of pads) off = this.encodeInto(out, off, FLAG_PAYLOAD, new Uint8Array(0), p);
    return out;
  }
}

/** A received, authenticated message. */
export interface Message {
  readonly flags: number;
  readonly payload: Uint8Array;
}

interface PendingHeader {
  mac: Uint8Array;
  header: Uint8Array;
  totalLength: number;
  payloadLength: number;
  flags: number;
}

export class MessageDecoder {
  readonly #ctr: CtrStream;
  /** Prepared once: every message is MACed with it. */
  readonly #mac: HmacSha256;
  /** A message whose header was decrypted (the CTR stream has moved past it) but whose body has not all arrived. */
  #pending: PendingHeader | null = null;

  constructor(keys: DirectionKeys) {
    this.#ctr = aes256CtrPrefixed(keys.aesKey, keys.ivPrefix);
    this.#mac = new HmacSha256(keys.macKey);
  }

  /**
   * The next complete message from `queue`, or null until one has arrived.
   * @throws FramingError for an impossible header or a wrong MAC: the stream cannot go on.
   */
  decode(queue: ByteQueue): Message | null {
    if (this.#pending === null) {
      if (queue.length < MESSAGE_OVERHEAD) return null;
      const mac = queue.read(MAC_LENGTH).slice();
      const header = queue.read(HEADER_LENGTH).slice();
      const plain = this.#ctr.update(header);
      const totalLength = readU16BE(plain, 0);
      const payloadLength = readU16BE(plain, 2);
      if (payloadLength > totalLength || totalLength > MAX_MESSAGE_BODY) {
        throw new FramingError(
          'ERR_FRAME_INVALID',
          `scramblesuit message header claims ${payloadLength} payload bytes of ${totalLength}`,
        );
      }
      this.#pending = { mac, header, totalLength, payloadLength, flags: plain[4]! };
    }
    const p = this.#pending;
    if (queue.length < p.totalLength) return null;
    const body = queue.read(p.totalLength);
    const expected = this.#mac.mac([p.header, body]).subarray(0, MAC_LENGTH);
    if (!ctEqual(expected, p.mac)) {
      throw new FramingError('ERR_FRAME_TAG', 'scramblesuit message failed authentication');
    }
    const plain = this.#ctr.update(body);
    this.#pending = null;
    return { flags: p.flags, payload: plain.subarray(0, p.payloadLength) };
  }
}
