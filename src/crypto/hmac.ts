// Hash and MAC wrappers. Variadic parts let callers MAC a concatenation (X' ‖ P_C ‖ M_C ‖ E)
// without building the concatenation first. Short messages are hashed in JavaScript (sha256.ts:
// no per-call OpenSSL context), long ones by OpenSSL through node:crypto; SHA-512 by libsodium.
import { nodeCrypto } from './node-crypto.js';
import { HmacSha256Key, hkdfExpandSha256Js } from './sha256.js';
import { hashSha512 } from './sodium.js';

/**
 * Up to this many message bytes the JavaScript HMAC is the cheaper one. Measured here (AMD EPYC,
 * warm loops): 32 bytes 1.5 µs with the key's pads computed per call against node:crypto's 2.7;
 * at 4 KiB node:crypto takes 5 µs and JavaScript 20 (OpenSSL uses the CPU's SHA extensions).
 */
const JS_HMAC_MAX_MESSAGE = 512;

function digestOf(h: { digest(): Buffer }): Uint8Array {
  const d = h.digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** HMAC-SHA256(key, parts[0] ‖ parts[1] ‖ …), 32 bytes. */
export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  if (length <= JS_HMAC_MAX_MESSAGE) return new HmacSha256Key(key).mac(parts);
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
 * HKDF-Expand (RFC 5869 §2.3) with HMAC-SHA256: `length` bytes from the pseudorandom key `prk`.
 * node:crypto's hkdfSync always runs Extract first, so protocols that expand a key directly
 * (ScrambleSuit's master key) need this half on its own.
 */
export function hkdfExpandSha256(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return hkdfExpandSha256Js(new HmacSha256Key(prk), info, length);
}
