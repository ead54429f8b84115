// obfs4's HashDrbg (common/drbg/hash_drbg.go): SipHash-2-4 "in OFB mode", as the code actually
// behaves rather than as the spec text says (protocols.md §2.8, §2.15 item 5).
//
// Go's NextBlock is `sip.Write(ofb); ofb = sip.Sum(nil)` on one siphash.Hash that is never reset,
// and dchest/siphash's Sum is non-destructive. So block n is SipHash(K, IV0 ‖ block1 ‖ … ‖
// block(n-1)): the hash is *cumulative* over everything absorbed so far. We keep the running
// SipHash state and finalize a copy each time, which is O(1) per block.
import { readU64BE } from './bytes.js';
import { SipHash24 } from './siphash.js';

/** HashDrbg seed length: 16-byte SipHash key ‖ 8-byte initial OFB block. */
export const DRBG_SEED_LENGTH = 24;
/** HashDrbg output block length. */
export const DRBG_BLOCK_LENGTH = 8;

const INT63_MASK = (1n << 63n) - 1n;

/** Deterministic generator compatible bit-for-bit with obfs4's drbg.HashDrbg. */
export class HashDrbg {
  private readonly sip: SipHash24;
  /** The last output block (initially the IV from the seed); it is absorbed to make the next. */
  private readonly ofb = new Uint8Array(DRBG_BLOCK_LENGTH);

  /** @param seed 24 bytes: SipHash key (16) ‖ initial block (8). */
  constructor(seed: Uint8Array) {
    if (!(seed instanceof Uint8Array)) throw new TypeError('DRBG seed must be a Uint8Array');
    if (seed.length !== DRBG_SEED_LENGTH) {
      throw new RangeError(`DRBG seed must be ${DRBG_SEED_LENGTH} bytes, got ${seed.length}`);
    }
    this.sip = new SipHash24(seed.subarray(0, 16));
    this.ofb.set(seed.subarray(16, DRBG_SEED_LENGTH));
  }

  /** Advances the generator; the new block is left in `this.ofb`. */
  private advance(): void {
    this.sip.write(this.ofb);
    this.sip.sumInto(this.ofb, 0);
  }

  /** Returns the next 8-byte block (Go `NextBlock`), as a fresh array. */
  nextBlock(): Uint8Array {
    this.advance();
    return this.ofb.slice();
  }

  /**
   * Returns the big-endian uint16 formed by the first two bytes of the next block: the value
   * obfs4's framing XORs into each frame length. Same stream position as `nextBlock()`, without
   * allocating.
   */
  nextU16(): number {
    this.advance();
    return (this.ofb[0]! << 8) | this.ofb[1]!;
  }

  /** Go `Int63`: BE64(NextBlock()) with the top bit cleared, in [0, 2^63). */
  int63(): bigint {
    this.advance();
    return readU64BE(this.ofb, 0) & INT63_MASK;
  }
}
