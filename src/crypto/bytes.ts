// Small byte helpers shared by the crypto layer and the transports. Everything works on plain
// Uint8Array so that callers can pass Buffers or subarrays without copying.
import { nodeCrypto } from './node-crypto.js';

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

/** Made on first non-ASCII use: a TextEncoder at import weighs on a bridge's start RSS. */
let encoder: InstanceType<typeof TextEncoder> | undefined;

/**
 * The UTF-8 (for protocol labels: ASCII) bytes of `s`. ASCII is copied by hand: `encode` gives
 * every result an ArrayBuffer of its own (~1 µs, see allocation notes in bench/perf/README.md),
 * and obfs4 encodes its epoch hour four times a handshake.
 */
export function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return (encoder ??= new TextEncoder()).encode(s);
    out[i] = c;
  }
  return out;
}

/**
 * Decodes a hex string (either case, even length, no prefix or separators).
 * @throws TypeError if the string is not valid hex.
 */
export function hexToBytes(hex: string): Uint8Array {
  if (typeof hex !== 'string' || !HEX_RE.test(hex)) {
    throw new TypeError('hexToBytes: expected an even-length hex string');
  }
  // Buffer.from(…, 'hex') silently stops at the first bad digit; the regex above rules that out.
  // Copy out of Buffer's shared allocation pool so `.buffer` of the result is ours alone.
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/**
 * Encodes bytes as lowercase hex. A short input (a key, a seed) is first copied into a pooled
 * Buffer: wrapping its own `.buffer` would move a small array off V8's heap (see sodium.ts). A
 * JavaScript digit table was tried instead and cost a started bridge 0.5 MiB of RSS (measured;
 * likely its concatenated strings, which V8 keeps as ropes).
 */
export function bytesToHex(b: Uint8Array): string {
  if (b.length <= 64) return Buffer.from(b).toString('hex');
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Concatenates byte arrays into a new Uint8Array (never aliases an input). */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Index of `needle` in `hay[from:to]`, or -1. Buffer's indexOf searches natively: the
 * handshakes scan kilobytes of padding for a 16-byte mark, ≈ 1 µs per KiB as a JavaScript loop.
 */
export function indexOfBytes(
  hay: Uint8Array,
  needle: Uint8Array,
  from: number,
  to: number,
): number {
  return Buffer.from(hay.buffer, hay.byteOffset, to).indexOf(needle, from);
}

/**
 * Constant-time equality for secrets (MACs, AUTH values). Arrays of different lengths compare
 * unequal; the length itself is not treated as secret.
 */
export function ctEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (a.length > 64) return nodeCrypto().timingSafeEqual(a, b);
  // MACs and AUTH values are 16-32 bytes: OR of the XORs, no early exit (as libsodium's
  // crypto_verify). node:crypto's timingSafeEqual would move both off V8's heap (see sodium.ts).
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function checkOffset(buf: Uint8Array, off: number, width: number): void {
  if (!Number.isInteger(off) || off < 0 || off + width > buf.length) {
    throw new RangeError(`offset ${off} out of range for a ${width}-byte field`);
  }
}

/** Writes `v` (0..65535) big-endian at `buf[off]`. */
export function writeU16BE(buf: Uint8Array, off: number, v: number): void {
  checkOffset(buf, off, 2);
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`not a uint16: ${v}`);
  buf[off] = v >>> 8;
  buf[off + 1] = v & 0xff;
}

/** Reads a big-endian uint16 at `buf[off]`. */
export function readU16BE(buf: Uint8Array, off: number): number {
  checkOffset(buf, off, 2);
  return (buf[off]! << 8) | buf[off + 1]!;
}

/** Writes the low 32 bits of `v` little-endian at `buf[off]`. */
export function writeU32LE(buf: Uint8Array, off: number, v: number): void {
  checkOffset(buf, off, 4);
  buf[off] = v & 0xff;
  buf[off + 1] = (v >>> 8) & 0xff;
  buf[off + 2] = (v >>> 16) & 0xff;
  buf[off + 3] = (v >>> 24) & 0xff;
}

/** Reads a little-endian uint32 at `buf[off]`. */
export function readU32LE(buf: Uint8Array, off: number): number {
  checkOffset(buf, off, 4);
  return (buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16) | (buf[off + 3]! << 24)) >>> 0;
}

/** Reads a big-endian uint32 at `buf[off]`. */
export function readU32BE(buf: Uint8Array, off: number): number {
  checkOffset(buf, off, 4);
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

const U64_MAX = (1n << 64n) - 1n;

/**
 * Writes an unsigned 64-bit value big-endian at `buf[off]`. Accepts a bigint, or a number that
 * is a non-negative safe integer (frame counters stay far below 2^53).
 */
export function writeU64BE(buf: Uint8Array, off: number, v: bigint | number): void {
  checkOffset(buf, off, 8);
  let hi: number;
  let lo: number;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`not a uint64: ${v}`);
    hi = Math.floor(v / 0x100000000);
    lo = v >>> 0;
  } else {
    if (v < 0n || v > U64_MAX) throw new RangeError(`not a uint64: ${v}`);
    hi = Number(v >> 32n);
    lo = Number(v & 0xffffffffn);
  }
  buf[off] = hi >>> 24;
  buf[off + 1] = (hi >>> 16) & 0xff;
  buf[off + 2] = (hi >>> 8) & 0xff;
  buf[off + 3] = hi & 0xff;
  buf[off + 4] = lo >>> 24;
  buf[off + 5] = (lo >>> 16) & 0xff;
  buf[off + 6] = (lo >>> 8) & 0xff;
  buf[off + 7] = lo & 0xff;
}

/** Reads a big-endian uint64 at `buf[off]` as a bigint. */
export function readU64BE(buf: Uint8Array, off: number): bigint {
  checkOffset(buf, off, 8);
  const hi =
    ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
  const lo =
    ((buf[off + 4]! << 24) | (buf[off + 5]! << 16) | (buf[off + 6]! << 8) | buf[off + 7]!) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}
