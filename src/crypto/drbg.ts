// obfs4's HashDrbg (common/drbg/hash_drbg.go): SipHash-2-4 "in OFB mode", as the code actually
// behaves rather than as the spec text says (protocols.md §2.8, §2.15 item 5).
//
// Go's NextBlock is `sip.Write(ofb); ofb = sip.Sum(nil)` on one siphash.Hash that is never reset,
// and dchest/siphash's Sum is non-destructive. So block n is SipHash(K, IV0 ‖ block1 ‖ … ‖
// block(n-1)): the hash is *cumulative* over everything absorbed so far. We keep the running
// SipHash state and finalize a copy each time, which is O(1) per block. The blocks are made
// DRBG_BATCH at a time in WebAssembly (drbg-wasm.ts; test/crypto/drbg.test.ts holds them to the
// incremental SipHash24 of siphash.ts).
import { readU32LE, readU64BE, writeU32LE } from './bytes.js';
import { DRBG_BATCH, DRBG_STATE_LENGTH, drbgBatch } from './drbg-wasm.js';

/** HashDrbg seed length: 16-byte SipHash key ‖ 8-byte initial OFB block. */
export const DRBG_SEED_LENGTH = 24;
/** HashDrbg output block length. */
export const DRBG_BLOCK_LENGTH = 8;

const INT63_MASK = (1n << 63n) - 1n;
/** Size of the first batch of blocks (8 blocks), then DRBG_BATCH at a time. */
const FIRST_BATCH_BYTES = 64;

/** Deterministic generator compatible bit-for-bit with obfs4's drbg.HashDrbg. */
export class HashDrbg {
  /** SipHash lanes v0..v3, the last block and the bytes absorbed: see drbg-wasm.ts. */
  private readonly state = new Uint8Array(DRBG_STATE_LENGTH);
  /**
   * Blocks made ahead; `pos` is the byte offset of the next unread one. The first batch is
   * small: a connection that only handshakes takes a handful of blocks per direction, and 64
   * bytes stay on V8's heap where a full batch (512) is an ArrayBuffer of its own (~1 µs).
   */
  private blocks = new Uint8Array(0);
  private pos = 0;

  /** @param seed 24 bytes: SipHash key (16) ‖ initial block (8). */
  constructor(seed: Uint8Array) {
    if (!(seed instanceof Uint8Array)) throw new TypeError('DRBG seed must be a Uint8Array');
    if (seed.length !== DRBG_SEED_LENGTH) {
      throw new RangeError(`DRBG seed must be ${DRBG_SEED_LENGTH} bytes, got ${seed.length}`);
    }
    // SipHash's initial lanes: k0, k1 (little-endian halves of the key) XOR the constants
    // "somepseudorandomlygeneratedbytes", each lane stored as two little-endian 32-bit words.
    // Byte arithmetic rather than DataViews: a view over a small array's `.buffer` would make V8
    // move that array off its heap (see sodium.ts), twice per DRBG and two DRBGs a connection.
    const k0l = readU32LE(seed, 0);
    const k0h = readU32LE(seed, 4);
    const k1l = readU32LE(seed, 8);
    const k1h = readU32LE(seed, 12);
    const st = this.state;
    setLane(st, 0, k0h ^ 0x736f6d65, k0l ^ 0x70736575);
    setLane(st, 1, k1h ^ 0x646f7261, k1l ^ 0x6e646f6d);
    setLane(st, 2, k0h ^ 0x6c796765, k0l ^ 0x6e657261);
    setLane(st, 3, k1h ^ 0x74656462, k1l ^ 0x79746573);
    for (let i = 16; i < DRBG_SEED_LENGTH; i++) st[32 + i - 16] = seed[i]!;
  }

  /** Byte offset in `blocks` of the next block, refilling the batch when it is used up. */
  private advance(): number {
    if (this.pos === this.blocks.length) {
      if (this.blocks.length < 8 * DRBG_BATCH) {
        this.blocks = new Uint8Array(this.blocks.length === 0 ? FIRST_BATCH_BYTES : 8 * DRBG_BATCH);
      }
      drbgBatch(this.state, this.blocks);
      this.pos = 0;
    }
    const at = this.pos;
    this.pos += DRBG_BLOCK_LENGTH;
    return at;
  }

  /** Returns the next 8-byte block (Go `NextBlock`), as a fresh array. */
  nextBlock(): Uint8Array {
    const at = this.advance();
    return this.blocks.slice(at, at + DRBG_BLOCK_LENGTH);
  }

  /**
   * Returns the big-endian uint16 formed by the first two bytes of the next block: the value
   * obfs4's framing XORs into each frame length. Same stream position as `nextBlock()`, without
   * allocating.
   */
  nextU16(): number {
    const at = this.advance();
    return (this.blocks[at]! << 8) | this.blocks[at + 1]!;
  }

  /** Go `Int63`: BE64(NextBlock()) with the top bit cleared, in [0, 2^63). */
  int63(): bigint {
    // advance() first: it may replace `blocks`.
    const at = this.advance();
    return readU64BE(this.blocks, at) & INT63_MASK;
  }
}

/**
 * Lane `i` of the SipHash state as two little-endian 32-bit words. A module function rather than
 * a closure in the constructor: a DRBG is made per connection, and a closure made per connection
 * is recompiled after every full GC (see net/resolvers.ts).
 */
function setLane(st: Uint8Array, i: number, hi: number, lo: number): void {
  writeU32LE(st, 8 * i, lo);
  writeU32LE(st, 8 * i + 4, hi);
}
