// Hash and MAC wrappers. Variadic parts let callers MAC a concatenation (X' ‖ P_C ‖ M_C ‖ E)
// without building the concatenation first. Short messages are hashed in JavaScript (sha256.ts:
// no per-call OpenSSL context); long ones have their inner hash done by OpenSSL in one call;
// SHA-512 by libsodium.
import { nodeCrypto } from './node-crypto.js';
import { HmacSha256Key, hkdfExpandSha256Js, hmacKeyBlock } from './sha256.js';
import { hashSha512 } from './sodium.js';

/**
 * Up to this many message bytes the JavaScript HMAC is the cheaper one. Measured here (AMD EPYC,
 * warm loops): 32 bytes 1.5 µs with the key's pads computed per call against node:crypto's 2.7;
 * at 4 KiB node:crypto takes 5 µs and JavaScript 20 (OpenSSL uses the CPU's SHA extensions).
 */
const JS_HMAC_MAX_MESSAGE = 512;

/**
 * A digest handed over as a 'binary' (latin1) string, one character per byte, and copied into
 * a small array. Asking for a Buffer makes Node allocate an ArrayBuffer per digest: 1.47 µs per
 * `crypto.hash` of 100 bytes against 0.37 µs this way (measured, warm).
 */
function bytesOfLatin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function digestOf(h: { digest(encoding: 'binary'): string }): Uint8Array {
  return bytesOfLatin1(h.digest('binary'));
}

/** SHA-256 of `data` in one OpenSSL call: `crypto.hash` (Node ≥ 20.12) builds no Hash object. */
function sha256OneShot(data: Uint8Array): Uint8Array {
  const c = nodeCrypto();
  // `hash` is missing before Node 20.12 although the typings always declare it.
  if (c.hash !== undefined) return bytesOfLatin1(c.hash('sha256', data, 'binary'));
  return digestOf(c.createHash('sha256').update(data));
}

const EMPTY = new Uint8Array(0);

/**
 * The inner hash's input for macSuffixes, shared: it is filled and hashed within one call. An
 * obfs4 handshake body is up to 8 KiB, a fresh ArrayBuffer per MAC call; grown on demand.
 */
let macBlock = new Uint8Array(0);
function macScratch(length: number): Uint8Array {
  if (macBlock.length < length) macBlock = new Uint8Array(Math.max(length, 2 * macBlock.length));
  return macBlock;
}

/**
 * An HMAC-SHA256 key prepared once for many MACs: its two padded blocks compressed for short
 * messages (hashed in JavaScript), its inner padded block kept for long ones (inner hash by
 * OpenSSL). Preparing costs two SHA-256 compressions and two allocations, which a caller that
 * MACs repeatedly with one key pays once: an obfs4 handshake MACs four times with the bridge's
 * key, ScrambleSuit every frame with the connection's.
 */
export class HmacSha256 {
  readonly #key: HmacSha256Key;
  /** K0 ⊕ ipad, the first block of every inner hash. */
  readonly #innerBlock: Uint8Array;

  constructor(key: Uint8Array) {
    const k0 = hmacKeyBlock(key);
    this.#key = new HmacSha256Key(k0);
    for (let i = 0; i < k0.length; i++) k0[i]! ^= 0x36;
    this.#innerBlock = k0;
  }

  /** HMAC-SHA256(key, parts[0] ‖ parts[1] ‖ …), 32 bytes. */
  mac(parts: readonly Uint8Array[]): Uint8Array {
    let length = 0;
    for (const p of parts) length += p.length;
    if (length <= JS_HMAC_MAX_MESSAGE) return this.#key.mac(parts);
    return this.macSuffixes(parts, [EMPTY])[0]!;
  }

  /**
   * HMAC-SHA256(key, body[0] ‖ body[1] ‖ … ‖ suffix) for each of `suffixes`, for long bodies.
   * The inner hashes go to OpenSSL, one call each over ipad-block ‖ body ‖ suffix with the body
   * copied once; the outer hashes (one block each) stay in JavaScript. A `createHmac` per MAC
   * built a Transform and an OpenSSL context and looked the digest up every time: ≈ 1.2 % of an
   * obfs4 server's busy time per MAC in a profile.
   */
  macSuffixes(body: readonly Uint8Array[], suffixes: readonly Uint8Array[]): Uint8Array[] {
    const head = this.#innerBlock.length;
    let bodyLength = 0;
    for (const p of body) bodyLength += p.length;
    let suffixMax = 0;
    for (const x of suffixes) suffixMax = Math.max(suffixMax, x.length);
    const block = macScratch(head + bodyLength + suffixMax);
    block.set(this.#innerBlock);
    let at = head;
    for (const p of body) {
      block.set(p, at);
      at += p.length;
    }
    return suffixes.map((x) => {
      block.set(x, at);
      return this.#key.outer(sha256OneShot(block.subarray(0, at + x.length)));
    });
  }
}

/** HMAC-SHA256(key, parts[0] ‖ parts[1] ‖ …), 32 bytes, with a key used once. */
export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  return new HmacSha256(key).mac(parts);
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
