// Hash and MAC wrappers over native code (OpenSSL through node:crypto, libsodium). Variadic parts
// let callers MAC a concatenation (X' ‖ P_C ‖ M_C ‖ E) without building the concatenation first.
import { nodeCrypto } from './node-crypto.js';
import { hashSha512 } from './sodium.js';

function digestOf(h: { digest(): Buffer }): Uint8Array {
  const d = h.digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** HMAC-SHA256(key, parts[0] ‖ parts[1] ‖ …), 32 bytes. */
export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = nodeCrypto().createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return digestOf(h);
}

/** SHA-256 of the concatenation of `parts`, 32 bytes. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = nodeCrypto().createHash('sha256');
  for (const p of parts) h.update(p);
  return digestOf(h);
}

/**
 * SHA-512 of `data`, 64 bytes. libsodium's one-shot call costs ~0.5 µs against ~3-7 µs for a
 * node:crypto Hash object; every Elligator2 keygen try hashes its seed.
 */
export function sha512(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(64);
  hashSha512(out, data);
  return out;
}

/**
 * HKDF-Expand (RFC 5869 §2.3) with HMAC-SHA256: `length` bytes from the pseudorandom key `prk`,
 * T(i) = HMAC(prk, T(i−1) ‖ info ‖ i). node:crypto's hkdfSync always runs Extract first, so
 * protocols that expand a key directly (ScrambleSuit's master key) need this half on its own.
 */
export function hkdfExpandSha256(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 255 * 32) {
    throw new RangeError(`HKDF-Expand length ${length} outside [0, 8160]`);
  }
  const out = new Uint8Array(length);
  let prev: Uint8Array = new Uint8Array(0);
  for (let i = 1, filled = 0; filled < length; i++) {
    prev = hmacSha256(prk, prev, info, Uint8Array.of(i));
    const take = Math.min(prev.length, length - filled);
    out.set(prev.subarray(0, take), filled);
    filled += take;
  }
  return out;
}
