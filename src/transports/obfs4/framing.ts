/**
 * obfs4 frames (framing/framing.go), sans-IO.
 *
 *   frame = BE16(len(box) XOR mask) ‖ box
 *   box   = crypto_secretbox_xsalsa20poly1305(packet, nonce, key) = tag(16) ‖ ciphertext
 *   nonce = prefix(16) ‖ BE64(counter), counter from 1, +1 per frame; a wrap to 0 is fatal
 *   mask  = the first two bytes of the next HashDrbg block (SipHash-2-4, cumulative "OFB")
 *
 * Each direction has its own 72 bytes of key material (see KEY_MATERIAL_LENGTH).
 */
import { HashDrbg } from '../../crypto/drbg.js';
import { randomIntRange } from '../../crypto/random.js';
import {
  SECRETBOX_KEY_LENGTH,
  SECRETBOX_NONCE_LENGTH,
  secretboxEasy,
  secretboxOpenEasy,
} from '../../crypto/sodium.js';
import { FramingError } from '../../errors.js';
import type { ByteQueue } from '../byte-queue.js';
import {
  FRAME_OVERHEAD,
  KEY_MATERIAL_LENGTH,
  MAX_FRAME_LENGTH,
  MAX_FRAME_PAYLOAD_LENGTH,
  MIN_FRAME_LENGTH,
} from './constants.js';

const TAG_LENGTH = 16;
const NONCE_PREFIX_LENGTH = 16;
const COUNTER_LIMIT = 2n ** 64n;

/** The per-direction nonce: a fixed 16-byte prefix and a 64-bit big-endian counter. */
class NonceSequence {
  readonly #nonce: Uint8Array;
  readonly #view: DataView;
  #counter = 1n;

  /** @param nonce 24 bytes of an ArrayBuffer of the caller's (see directionSecrets) */
  constructor(nonce: Uint8Array, prefix: Uint8Array) {
    this.#nonce = nonce;
    this.#view = new DataView(nonce.buffer, nonce.byteOffset, nonce.byteLength);
    nonce.set(prefix);
  }

  /** The nonce for the next frame. Throws once the counter would wrap (obfs4: fatal). */
  current(): Uint8Array {
    if (this.#counter >= COUNTER_LIMIT) {
      throw new FramingError('ERR_NONCE_EXHAUSTED', 'obfs4 frame nonce counter wrapped');
    }
    this.#view.setBigUint64(16, this.#counter);
    return this.#nonce;
  }

  advance(): void {
    this.#counter += 1n;
  }
}

/**
 * One direction's secretbox key and nonce sequence, and its length-mask DRBG seed, from its half
 * of the key material. The key and the nonce share one ArrayBuffer made for them: they reach
 * libsodium with every frame, and 32- or 24-byte arrays of their own would live on V8's heap,
 * which N-API moves off it at their first call (an allocation each, see crypto/sodium.ts).
 */
function directionSecrets(km: Uint8Array): {
  key: Uint8Array;
  nonce: NonceSequence;
  drbgSeed: Uint8Array;
} {
  if (km.length !== KEY_MATERIAL_LENGTH) {
    throw new RangeError(
      `obfs4 key material must be ${KEY_MATERIAL_LENGTH} bytes, got ${km.length}`,
    );
  }
  const secrets = new Uint8Array(new ArrayBuffer(SECRETBOX_KEY_LENGTH + SECRETBOX_NONCE_LENGTH));
  const key = secrets.subarray(0, SECRETBOX_KEY_LENGTH);
  key.set(km.subarray(0, SECRETBOX_KEY_LENGTH));
  return {
    key,
    nonce: new NonceSequence(
      secrets.subarray(SECRETBOX_KEY_LENGTH),
      km.subarray(SECRETBOX_KEY_LENGTH, SECRETBOX_KEY_LENGTH + NONCE_PREFIX_LENGTH),
    ),
    drbgSeed: km.slice(48, 72),
  };
}

export class FrameEncoder {
  readonly #key: Uint8Array;
  readonly #nonce: NonceSequence;
  readonly #drbg: HashDrbg;

  constructor(keyMaterial: Uint8Array) {
    const { key, nonce, drbgSeed } = directionSecrets(keyMaterial);
    this.#key = key;
    this.#nonce = nonce;
    this.#drbg = new HashDrbg(drbgSeed);
  }

  /** The encoded size of a frame carrying `payloadLength` plaintext bytes. */
  static frameLength(payloadLength: number): number {
    return payloadLength + FRAME_OVERHEAD;
  }

  /**
   * Seals `payload` (a packet) into `out` at `offset` and returns the frame length. `out` must
   * have room for payload.length + FRAME_OVERHEAD bytes. Writing into the caller's buffer lets a
   * whole burst of frames go to the socket in one write.
   */
  encodeInto(out: Uint8Array, offset: number, payload: Uint8Array): number {
    if (payload.length > MAX_FRAME_PAYLOAD_LENGTH) {
      throw new RangeError(
        `frame payload of ${payload.length} bytes exceeds ${MAX_FRAME_PAYLOAD_LENGTH}`,
      );
    }
    const boxLength = payload.length + TAG_LENGTH;
    const box = out.subarray(offset + 2, offset + 2 + boxLength);
    secretboxEasy(box, payload, this.#nonce.current(), this.#key);
    this.#nonce.advance();
    const obfuscated = boxLength ^ this.#drbg.nextU16();
    out[offset] = obfuscated >>> 8;
    out[offset + 1] = obfuscated & 0xff;
    return boxLength + 2;
  }

  encode(payload: Uint8Array): Uint8Array {
    const out = new Uint8Array(payload.length + FRAME_OVERHEAD);
    this.encodeInto(out, 0, payload);
    return out;
  }
}

export class FrameDecoder {
  readonly #key: Uint8Array;
  readonly #nonce: NonceSequence;
  readonly #drbg: HashDrbg;
  /** Length of the box being waited for; 0 while the next length field is unread. */
  #nextLength = 0;
  #nextLengthInvalid = false;
  #nextNonce: Uint8Array | null = null;

  constructor(keyMaterial: Uint8Array) {
    const { key, nonce, drbgSeed } = directionSecrets(keyMaterial);
    this.#key = key;
    this.#nonce = nonce;
    this.#drbg = new HashDrbg(drbgSeed);
  }

  /**
   * Decodes the next frame from `queue` into `out` (at least MAX_FRAME_PAYLOAD_LENGTH bytes) and
   * returns the plaintext length, or -1 when more bytes are needed. Any error is fatal: the
   * stream cannot be resynchronised.
   */
  decodeInto(queue: ByteQueue, out: Uint8Array): number {
    if (this.#nextLength === 0) {
      if (queue.length < 2) return -1;
      const obfuscated = queue.read(2);
      this.#nextNonce = this.#nonce.current();
      let length = ((obfuscated[0]! << 8) | obfuscated[1]!) ^ this.#drbg.nextU16();
      if (length < MIN_FRAME_LENGTH || length > MAX_FRAME_LENGTH) {
        // As the reference does (after Albrecht, Paterson and Watson's attacks on SSH framing):
        // an out-of-range length is replaced by a random valid one and the frame then fails
        // authentication, so the failure point leaks nothing about the length field.
        this.#nextLengthInvalid = true;
        length = randomIntRange(MIN_FRAME_LENGTH, MAX_FRAME_LENGTH);
      }
      this.#nextLength = length;
    }
    if (queue.length < this.#nextLength) return -1;
    const box = queue.read(this.#nextLength);
    const plainLength = box.length - TAG_LENGTH;
    const ok =
      !this.#nextLengthInvalid &&
      secretboxOpenEasy(out.subarray(0, plainLength), box, this.#nextNonce!, this.#key);
    if (!ok) {
      throw new FramingError('ERR_FRAME_TAG', 'obfs4 frame failed authentication');
    }
    this.#nextLength = 0;
    this.#nonce.advance();
    return plainLength;
  }
}
