// SHA-256 (FIPS 180-4), HMAC-SHA256 (RFC 2104) and HKDF-SHA256 (RFC 5869) in JavaScript, for the
// short inputs of a handshake: obfs4's marks, ntor's three HMACs and its 144-byte HKDF.
//
// Why not node:crypto for these: every `createHmac` builds a JavaScript Transform and an OpenSSL
// context (OpenSSL 3 looks the digest up on each init), and `hkdfSync` also wraps the key in a
// KeyObject. Warm, in a loop, that is 2.7 µs per 32-byte HMAC and 12 µs per HKDF here; inside a
// busy PT, where the caches hold everything else a connection touches, a `--cpu-prof` of the
// obfs4 server put `hkdfSync` alone at ≈ 45 µs per connection. This code keeps the key's two
// padded blocks compressed once (`HmacSha256Key`), allocates nothing per block and makes no call
// into native code. Long inputs (the obfs4 handshake MACs over up to 8 KiB of padding) have their
// inner hash done by OpenSSL, whose SHA extensions are several times faster per byte (hmac.ts).

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const IV = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

const BLOCK = 64;
export const SHA256_LENGTH = 32;

/** The message schedule, shared: compress() runs to completion before anything else can. */
const W = new Int32Array(64);

/** One compression of the 64-byte block at `block[off…]` into the chaining value `h`. */
function compress(h: Int32Array, block: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++, off += 4) {
    W[i] = (block[off]! << 24) | (block[off + 1]! << 16) | (block[off + 2]! << 8) | block[off + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const x = W[i - 15]!;
    const y = W[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = h[0]!;
  let b = h[1]!;
  let c = h[2]!;
  let d = h[3]!;
  let e = h[4]!;
  let f = h[5]!;
  let g = h[6]!;
  let hh = h[7]!;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (hh + s1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    hh = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + b) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0;
  h[5] = (h[5]! + f) | 0;
  h[6] = (h[6]! + g) | 0;
  h[7] = (h[7]! + hh) | 0;
}

/**
 * One running hash, reused by every call in this module (they are synchronous and never nest
 * while it is in use).
 */
class Sha256State {
  readonly h = new Int32Array(8);
  readonly #buf = new Uint8Array(BLOCK);
  #buffered = 0;
  #length = 0;

  /** Starts from `from` (IV, or a key's padded block already compressed: `absorbed` bytes). */
  reset(from: Int32Array, absorbed: number): this {
    this.h.set(from);
    this.#buffered = 0;
    this.#length = absorbed;
    return this;
  }

  update(data: Uint8Array): this {
    const n = data.length;
    let i = 0;
    this.#length += n;
    if (this.#buffered > 0) {
      const take = Math.min(BLOCK - this.#buffered, n);
      for (let j = 0; j < take; j++) this.#buf[this.#buffered + j] = data[j]!;
      this.#buffered += take;
      i = take;
      if (this.#buffered < BLOCK) return this;
      compress(this.h, this.#buf, 0);
      this.#buffered = 0;
    }
    for (; i + BLOCK <= n; i += BLOCK) compress(this.h, data, i);
    this.#buffered = n - i;
    for (let j = 0; i < n; i++, j++) this.#buf[j] = data[i]!;
    return this;
  }

  /** Pads, compresses the last block(s) and writes the 32-byte digest to `out[at…]`. */
  finish(out: Uint8Array, at = 0): Uint8Array {
    const buf = this.#buf;
    let n = this.#buffered;
    buf[n++] = 0x80;
    if (n > BLOCK - 8) {
      buf.fill(0, n);
      compress(this.h, buf, 0);
      n = 0;
    }
    buf.fill(0, n, BLOCK - 8);
    const bits = this.#length * 8;
    const high = Math.floor(bits / 0x1_0000_0000);
    writeU32(buf, BLOCK - 8, high);
    writeU32(buf, BLOCK - 4, bits >>> 0);
    compress(this.h, buf, 0);
    for (let i = 0; i < 8; i++) writeU32(out, at + 4 * i, this.h[i]!);
    return out;
  }
}

function writeU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = v >>> 16;
  out[at + 2] = v >>> 8;
  out[at + 3] = v;
}

const state = new Sha256State();

/** SHA-256 of the concatenation of `parts`. */
export function sha256Js(
  parts: readonly Uint8Array[],
  out = new Uint8Array(SHA256_LENGTH),
): Uint8Array {
  state.reset(IV, 0);
  for (const p of parts) state.update(p);
  return state.finish(out);
}

/**
 * RFC 2104's K0: the key as one 64-byte block (hashed first if longer, zero-padded). HMAC with
 * K0 as its key is HMAC with the original key, so K0 can be handed on without hashing twice.
 */
export function hmacKeyBlock(key: Uint8Array): Uint8Array {
  const block = new Uint8Array(BLOCK);
  if (key.length > BLOCK) sha256Js([key], block);
  else block.set(key);
  return block;
}

/** An HMAC-SHA256 key with its inner and outer padded blocks already compressed. */
export class HmacSha256Key {
  readonly #inner = new Int32Array(8);
  readonly #outer = new Int32Array(8);

  constructor(key: Uint8Array) {
    const padded = hmacKeyBlock(key);
    for (let i = 0; i < BLOCK; i++) padded[i]! ^= 0x36;
    this.#inner.set(IV);
    compress(this.#inner, padded, 0);
    for (let i = 0; i < BLOCK; i++) padded[i]! ^= 0x36 ^ 0x5c;
    this.#outer.set(IV);
    compress(this.#outer, padded, 0);
  }

  /** HMAC-SHA256(key, parts[0] ‖ parts[1] ‖ …) into `out[at…]` (32 bytes). */
  mac(parts: readonly Uint8Array[], out = new Uint8Array(SHA256_LENGTH), at = 0): Uint8Array {
    state.reset(this.#inner, BLOCK);
    for (const p of parts) state.update(p);
    return this.outer(state.finish(innerDigest), out, at);
  }

  /** The outer half: SHA-256(opad-block ‖ `inner`), `inner` being a finished inner hash. */
  outer(inner: Uint8Array, out = new Uint8Array(SHA256_LENGTH), at = 0): Uint8Array {
    state.reset(this.#outer, BLOCK).update(inner);
    return state.finish(out, at);
  }
}

const innerDigest = new Uint8Array(SHA256_LENGTH);

/** RFC 5869's limit for HKDF-SHA256: 255 blocks of 32 bytes. */
export const HKDF_SHA256_MAX_LENGTH = 255 * SHA256_LENGTH;

/**
 * HKDF-Expand with HMAC-SHA256: `length` bytes from the pseudorandom key, T(i) =
 * HMAC(prk, T(i−1) ‖ info ‖ i).
 */
export function hkdfExpandSha256Js(
  prk: HmacSha256Key,
  info: Uint8Array,
  length: number,
): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > HKDF_SHA256_MAX_LENGTH) {
    throw new RangeError(`HKDF-Expand length ${length} outside [0, ${HKDF_SHA256_MAX_LENGTH}]`);
  }
  const out = new Uint8Array(length);
  const block = new Uint8Array(SHA256_LENGTH);
  const counter = new Uint8Array(1);
  const first: readonly Uint8Array[] = [info, counter];
  const next: readonly Uint8Array[] = [block, info, counter];
  for (let i = 1, filled = 0; filled < length; i++, filled += SHA256_LENGTH) {
    counter[0] = i;
    prk.mac(i === 1 ? first : next, block);
    // A byte loop for the last, partial block: `block.subarray` would move the 32-byte array
    // off V8's heap (see sodium.ts).
    const n = Math.min(SHA256_LENGTH, length - filled);
    for (let j = 0; j < n; j++) out[filled + j] = block[j]!;
  }
  return out;
}

/** HKDF-SHA256 (Extract, then Expand) with the salt's key prepared once by the caller. */
export function hkdfSha256Js(
  ikm: Uint8Array,
  salt: HmacSha256Key,
  info: Uint8Array,
  length: number,
): Uint8Array {
  return hkdfExpandSha256Js(new HmacSha256Key(salt.mac([ikm])), info, length);
}
