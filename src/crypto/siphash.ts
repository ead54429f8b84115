// SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012).
//
// obfs4 uses it on the per-frame hot path (the HashDrbg length mask, §2.8 of the protocol notes)
// and needs it *incremental* with a non-destructive finalize, which no npm package offers. Each
// 64-bit lane is kept as a pair of uint32 halves in a Uint32Array: BigInt would allocate on every
// operation, and 64-bit add/rotate/xor on two 32-bit halves is exact and cheap.
//
// State layout: [v0hi, v0lo, v1hi, v1lo, v2hi, v2lo, v3hi, v3lo].

/** SipHash key length in bytes (k0 ‖ k1, each little-endian). */
export const SIPHASH_KEY_LENGTH = 16;
/** SipHash output length in bytes. */
export const SIPHASH_OUTPUT_LENGTH = 8;

const TWO_32 = 0x100000000;

/** Runs `n` SipRounds over the state in place. */
function sipRounds(s: Uint32Array, n: number): void {
  let v0h = s[0]!;
  let v0l = s[1]!;
  let v1h = s[2]!;
  let v1l = s[3]!;
  let v2h = s[4]!;
  let v2l = s[5]!;
  let v3h = s[6]!;
  let v3l = s[7]!;
  let lo: number;
  let th: number;
  for (let i = 0; i < n; i++) {
    // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
    lo = v0l + v1l;
    v0h = (v0h + v1h + (lo >= TWO_32 ? 1 : 0)) >>> 0;
    v0l = lo >>> 0;
    th = v1h;
    v1h = ((th << 13) | (v1l >>> 19)) >>> 0;
    v1l = ((v1l << 13) | (th >>> 19)) >>> 0;
    v1h = (v1h ^ v0h) >>> 0;
    v1l = (v1l ^ v0l) >>> 0;
    th = v0h;
    v0h = v0l;
    v0l = th;
    // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
    lo = v2l + v3l;
    v2h = (v2h + v3h + (lo >= TWO_32 ? 1 : 0)) >>> 0;
    v2l = lo >>> 0;
    th = v3h;
    v3h = ((th << 16) | (v3l >>> 16)) >>> 0;
    v3l = ((v3l << 16) | (th >>> 16)) >>> 0;
    v3h = (v3h ^ v2h) >>> 0;
    v3l = (v3l ^ v2l) >>> 0;
    // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
    lo = v0l + v3l;
    v0h = (v0h + v3h + (lo >= TWO_32 ? 1 : 0)) >>> 0;
    v0l = lo >>> 0;
    th = v3h;
    v3h = ((th << 21) | (v3l >>> 11)) >>> 0;
    v3l = ((v3l << 21) | (th >>> 11)) >>> 0;
    v3h = (v3h ^ v0h) >>> 0;
    v3l = (v3l ^ v0l) >>> 0;
    // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
    lo = v2l + v1l;
    v2h = (v2h + v1h + (lo >= TWO_32 ? 1 : 0)) >>> 0;
    v2l = lo >>> 0;
    th = v1h;
    v1h = ((th << 17) | (v1l >>> 15)) >>> 0;
    v1l = ((v1l << 17) | (th >>> 15)) >>> 0;
    v1h = (v1h ^ v2h) >>> 0;
    v1l = (v1l ^ v2l) >>> 0;
    th = v2h;
    v2h = v2l;
    v2l = th;
  }
  s[0] = v0h;
  s[1] = v0l;
  s[2] = v1h;
  s[3] = v1l;
  s[4] = v2h;
  s[5] = v2l;
  s[6] = v3h;
  s[7] = v3l;
}

/** Absorbs one message word m = (mh, ml): v3 ^= m; 2 rounds; v0 ^= m. */
function compressWord(s: Uint32Array, mh: number, ml: number): void {
  s[6] = s[6]! ^ mh;
  s[7] = s[7]! ^ ml;
  sipRounds(s, 2);
  s[0] = s[0]! ^ mh;
  s[1] = s[1]! ^ ml;
}

function readLE32(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array)) throw new TypeError('SipHash key must be a Uint8Array');
  if (key.length !== SIPHASH_KEY_LENGTH) {
    throw new RangeError(`SipHash key must be ${SIPHASH_KEY_LENGTH} bytes, got ${key.length}`);
  }
}

// Finalization works on a scratch copy so that sum() leaves the running state untouched. JS is
// single-threaded and finalize never calls out, so one module-level scratch array is safe.
const scratch = new Uint32Array(8);

/**
 * Incremental SipHash-2-4. `sum()` is non-destructive (like Go's dchest/siphash `Sum`): it
 * finalizes a copy of the state, so `write()` may continue afterwards and later sums cover
 * everything written so far. obfs4's HashDrbg depends on exactly that behaviour.
 */
export class SipHash24 {
  private readonly state = new Uint32Array(8);
  /** Bytes of a partial 8-byte word waiting for more input. */
  private readonly tail = new Uint8Array(8);
  private tailLen = 0;
  /** Total bytes written, mod 256 (only the low byte enters the final block). */
  private lenMod256 = 0;

  /** @param key 16 bytes; k0 = LE64(key[0:8]), k1 = LE64(key[8:16]). */
  constructor(key: Uint8Array) {
    checkKey(key);
    const k0l = readLE32(key, 0);
    const k0h = readLE32(key, 4);
    const k1l = readLE32(key, 8);
    const k1h = readLE32(key, 12);
    const s = this.state;
    // "somepseudorandomlygeneratedbytes"
    s[0] = (k0h ^ 0x736f6d65) >>> 0;
    s[1] = (k0l ^ 0x70736575) >>> 0;
    s[2] = (k1h ^ 0x646f7261) >>> 0;
    s[3] = (k1l ^ 0x6e646f6d) >>> 0;
    s[4] = (k0h ^ 0x6c796765) >>> 0;
    s[5] = (k0l ^ 0x6e657261) >>> 0;
    s[6] = (k1h ^ 0x74656462) >>> 0;
    s[7] = (k1l ^ 0x79746573) >>> 0;
  }

  /** Absorbs `data`. */
  write(data: Uint8Array): void {
    const s = this.state;
    let off = 0;
    const n = data.length;
    this.lenMod256 = (this.lenMod256 + n) & 0xff;
    if (this.tailLen > 0) {
      const take = Math.min(8 - this.tailLen, n);
      this.tail.set(data.subarray(0, take), this.tailLen);
      this.tailLen += take;
      off = take;
      if (this.tailLen < 8) return;
      compressWord(s, readLE32(this.tail, 4), readLE32(this.tail, 0));
      this.tailLen = 0;
    }
    for (; off + 8 <= n; off += 8) {
      compressWord(s, readLE32(data, off + 4), readLE32(data, off));
    }
    if (off < n) {
      this.tail.set(data.subarray(off), 0);
      this.tailLen = n - off;
    }
  }

  /**
   * Writes the 8-byte little-endian digest of everything written so far into `out[off..off+8]`
   * without disturbing the running state.
   */
  sumInto(out: Uint8Array, off = 0): void {
    if (!Number.isInteger(off) || off < 0 || off + SIPHASH_OUTPUT_LENGTH > out.length) {
      throw new RangeError('sumInto: output range out of bounds');
    }
    const s = scratch;
    s.set(this.state);
    // Final word: the pending tail bytes, little-endian, with the length byte on top.
    let bl = 0;
    let bh = (this.lenMod256 << 24) >>> 0;
    const t = this.tail;
    for (let i = this.tailLen - 1; i >= 0; i--) {
      if (i >= 4) bh = (bh | (t[i]! << ((i - 4) * 8))) >>> 0;
      else bl = (bl | (t[i]! << (i * 8))) >>> 0;
    }
    compressWord(s, bh, bl);
    s[5] = s[5]! ^ 0xff;
    sipRounds(s, 4);
    const h = (s[0]! ^ s[2]! ^ s[4]! ^ s[6]!) >>> 0;
    const l = (s[1]! ^ s[3]! ^ s[5] ^ s[7]!) >>> 0;
    out[off] = l & 0xff;
    out[off + 1] = (l >>> 8) & 0xff;
    out[off + 2] = (l >>> 16) & 0xff;
    out[off + 3] = l >>> 24;
    out[off + 4] = h & 0xff;
    out[off + 5] = (h >>> 8) & 0xff;
    out[off + 6] = (h >>> 16) & 0xff;
    out[off + 7] = h >>> 24;
  }

  /** Returns the 8-byte little-endian digest so far (non-destructive, see the class doc). */
  sum(): Uint8Array {
    const out = new Uint8Array(SIPHASH_OUTPUT_LENGTH);
    this.sumInto(out, 0);
    return out;
  }
}

/** One-shot SipHash-2-4 of `data` under a 16-byte `key`; 8 bytes, little-endian. */
export function siphash24(key: Uint8Array, data: Uint8Array): Uint8Array {
  const h = new SipHash24(key);
  h.write(data);
  return h.sum();
}
