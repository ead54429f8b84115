// The two long exponentiations of GF(2^255 - 19), z^((p-5)/8) and z^(p-2), in WebAssembly.
//
// Why: each obfs4 handshake side runs two or three of them (one per Elligator2 keygen try, one
// per representative decode), and in BigInt each costs ~50 µs: ~265 multiplications whose
// reductions allocate. In WebAssembly with 64-bit integer limbs a multiplication is ~0.1 µs
// and allocates nothing.
//
// Representation (the ref10 one): ten signed 64-bit limbs in radix 2^25.5; limb i holds bits
// [⌈25.5·i⌉, ⌈25.5·(i+1)⌉), 26 bits for even i and 25 for odd i. Multiplication is schoolbook
// with 2^255 ≡ 19 folded in; a sequential carry brings every limb back under its width.
// Bounds: inputs with limbs < 2^26 give column sums < 2^59, far from the i64 limit.
//
// Side channels: the code is branch-free and every input takes the same instruction path, like
// the BigInt code it replaces (whose own timing varied with operand sizes).
import {
  Code,
  encodeModule,
  I32,
  I64,
  Op,
  type FunctionDef,
  type ValType,
} from './wasm-encoder.js';

// Node has the WebAssembly global; TypeScript declares it only in lib.dom, which a Node project
// must not pull in. The subset used here:
declare const WebAssembly:
  | {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object) => { exports: Record<string, unknown> };
    }
  | undefined;

if (typeof WebAssembly === 'undefined') {
  // Only `node --jitless` (or an embedder that strips it) lacks WebAssembly; say so plainly
  // instead of failing later with a ReferenceError.
  throw new Error(
    'steppe needs WebAssembly for its Curve25519 field arithmetic; it is unavailable in this Node process (was it started with --jitless?)',
  );
}

const LIMBS = 10;
/** Bit offset of limb i. */
const SHIFT = Array.from({ length: LIMBS }, (_, i) => Math.ceil(25.5 * i));
const width = (i: number): number => (i % 2 === 0 ? 26 : 25);
/** Bytes per field element in linear memory. */
const ELEM = LIMBS * 8;

// Function indices.
const F_MUL = 0;
const F_SQRN = 1;
const F_CHAIN = 2;
const F_SQR = 5;

// Memory slots (element indices); slot k lives at byte k·ELEM.
const S_IN = 0;
const S_OUT = 1;
const slot = (k: number): number => k * ELEM;

/**
 * Carries h0 → h1 → … → h9 (locals from H), folds h9's carry into h0 (×19), carries h0 → h1
 * once more, and stores the ten limbs at the address in local 0.
 */
function carryAndStore(c: Code, H: number, CARRY: number): void {
  // Carry h0 → h1 → … → h9, fold h9's carry into h0 (×19), then h0 → h1 once more. Arithmetic
  // shifts keep this right for the (never occurring here) negative limbs too.
  const carryInto = (from: number, to: number, factor: number): void => {
    const w = width(from);
    c.get(H + from)
      .i64(w)
      .emit(Op.i64ShrS)
      .set(CARRY);
    c.get(H + from)
      .i64(2 ** w - 1)
      .emit(Op.i64And)
      .set(H + from);
    c.get(H + to).get(CARRY);
    if (factor !== 1) c.i64(factor).emit(Op.i64Mul);
    c.emit(Op.i64Add).set(H + to);
  };
  for (let k = 0; k < LIMBS - 1; k++) carryInto(k, k + 1, 1);
  carryInto(LIMBS - 1, 0, 19);
  carryInto(0, 1, 1);
  for (let k = 0; k < LIMBS; k++)
    c.get(0)
      .get(H + k)
      .store64(k * 8);
}

/**
 * mul(dst, a, b): dst = a·b, carried. dst may alias a or b (all inputs are read first).
 * Locals: 0-2 params; f0..f9, g0..g9, h0..h9, then 2·f_odd and 19·g_j scratch.
 */
function mulFunction(): FunctionDef {
  const c = new Code();
  const F = 3;
  const G = F + LIMBS;
  const H = G + LIMBS;
  const F2 = H + LIMBS; // 2·f_i for odd i (indexed by i)
  const G19 = F2 + LIMBS; // 19·g_j for j ≥ 1
  const CARRY = G19 + LIMBS;
  for (let i = 0; i < LIMBS; i++) {
    c.get(1)
      .load64(i * 8)
      .set(F + i);
    c.get(2)
      .load64(i * 8)
      .set(G + i);
  }
  for (let i = 1; i < LIMBS; i += 2)
    c.get(F + i)
      .get(F + i)
      .emit(Op.i64Add)
      .set(F2 + i);
  for (let j = 1; j < LIMBS; j++)
    c.get(G + j)
      .i64(19)
      .emit(Op.i64Mul)
      .set(G19 + j);
  // h_k = Σ f_i·g_j over i + j ≡ k (mod 10): ×2 when i and j are both odd (the half bits of
  // the radix), ×19 when i + j ≥ 10 (2^255 ≡ 19).
  for (let k = 0; k < LIMBS; k++) {
    let first = true;
    for (let i = 0; i < LIMBS; i++) {
      const j = (k - i + LIMBS) % LIMBS;
      const wraps = i + j >= LIMBS;
      const doubled = i % 2 === 1 && j % 2 === 1;
      c.get(doubled ? F2 + i : F + i);
      c.get(wraps ? G19 + j : G + j);
      c.emit(Op.i64Mul);
      if (!first) c.emit(Op.i64Add);
      first = false;
    }
    c.set(H + k);
  }
  carryAndStore(c, H, CARRY);
  const locals: ValType[] = Array.from({ length: CARRY + 1 - 3 }, () => I64);
  return { params: [I32, I32, I32], locals, body: c };
}

/**
 * sqr(dst, a): dst = a², carried; dst may alias a. Each cross product f_i·f_j (i < j) is
 * computed once and doubled, 55 multiplications instead of mul's 100 (as ref10's fe_sq).
 * Bounds: limbs < 2^26 give products < 2^52, the largest factor is 76 = 2·2·19, and a column
 * has at most six terms: sums < 2^61.
 * Locals: 0-1 params; f0..f9, 2f, 19f, 38f, h0..h9, carry scratch.
 */
function sqrFunction(): FunctionDef {
  const c = new Code();
  const F = 2;
  const F2 = F + LIMBS;
  const F19 = F2 + LIMBS;
  const F38 = F19 + LIMBS;
  const H = F38 + LIMBS;
  const CARRY = H + LIMBS;
  for (let i = 0; i < LIMBS; i++) {
    c.get(1)
      .load64(i * 8)
      .set(F + i);
  }
  for (let i = 0; i < LIMBS; i++) {
    c.get(F + i)
      .get(F + i)
      .emit(Op.i64Add)
      .set(F2 + i);
    c.get(F + i)
      .i64(19)
      .emit(Op.i64Mul)
      .set(F19 + i);
    c.get(F19 + i)
      .get(F19 + i)
      .emit(Op.i64Add)
      .set(F38 + i);
  }
  for (let k = 0; k < LIMBS; k++) {
    let first = true;
    for (let i = 0; i < LIMBS; i++) {
      const j = (k - i + LIMBS) % LIMBS;
      if (j < i) continue;
      const wraps = i + j >= LIMBS;
      const oddOdd = i % 2 === 1 && j % 2 === 1;
      if (i === j) {
        // f_i² × (2 if odd) × (19 if it wraps)
        c.get(F + i);
        c.get(wraps ? (oddOdd ? F38 : F19) + i : (oddOdd ? F2 : F) + i);
      } else {
        // 2·f_i·f_j × (2 if both odd) × (19 if it wraps)
        c.get(oddOdd ? F2 + i : F + i);
        c.get((wraps ? F38 : F2) + j);
      }
      c.emit(Op.i64Mul);
      if (!first) c.emit(Op.i64Add);
      first = false;
    }
    c.set(H + k);
  }
  carryAndStore(c, H, CARRY);
  const locals: ValType[] = Array.from({ length: CARRY + 1 - 2 }, () => I64);
  return { params: [I32, I32], locals, body: c };
}

/** sqrn(dst, src, n): dst = src^(2^n) for n ≥ 1. */
function sqrnFunction(): FunctionDef {
  const c = new Code();
  c.get(0).get(1).call(F_SQR);
  c.block().loop();
  c.get(2).i32(1).emit(Op.i32Sub).tee(2).emit(Op.i32Eqz).brIf(1);
  c.get(0).get(0).call(F_SQR);
  c.br(0).end().end();
  return { params: [I32, I32, I32], locals: [], body: c };
}

/** 2p in the limb radix: the offset sub() adds so that a - b never goes negative. */
const TWO_P_LIMBS = Array.from({ length: LIMBS }, (_, i) =>
  i === 0 ? 2 * (2 ** 26 - 19) : 2 * (2 ** width(i) - 1),
);

/**
 * add(dst, a, b) = a + b and sub(dst, a, b) = a + 2p - b, carried; dst may alias a or b.
 * Inputs are carried elements (limb 0 < 2^26, limb 1 < 2^26, the others within their
 * widths), so every limb of 2p - b is non-negative and the sums stay far below 2^63.
 * Locals: 0-2 params; h0..h9, carry scratch.
 */
function addSubFunction(subtract: boolean): FunctionDef {
  const c = new Code();
  const H = 3;
  const CARRY = H + LIMBS;
  for (let i = 0; i < LIMBS; i++) {
    c.get(1).load64(i * 8);
    if (subtract) {
      c.i64(TWO_P_LIMBS[i]!).emit(Op.i64Add);
      c.get(2)
        .load64(i * 8)
        .emit(Op.i64Sub);
    } else {
      c.get(2)
        .load64(i * 8)
        .emit(Op.i64Add);
    }
    c.set(H + i);
  }
  carryAndStore(c, H, CARRY);
  const locals: ValType[] = Array.from({ length: CARRY + 1 - 3 }, () => I64);
  return { params: [I32, I32, I32], locals, body: c, exportAs: subtract ? 'sub' : 'add' };
}

/** Emits dst = a·b and dst = src^(2^n) on memory slots. */
function slotOps(c: Code): {
  mul: (dst: number, a: number, b: number) => void;
  sqrn: (dst: number, src: number, n: number) => void;
} {
  return {
    mul: (dst, a, b) => void c.i32(slot(dst)).i32(slot(a)).i32(slot(b)).call(F_MUL),
    sqrn: (dst, src, n) => void c.i32(slot(dst)).i32(slot(src)).i32(n).call(F_SQRN),
  };
}

// Slots the chain leaves for the two exported tails.
const S_Z11 = 4;
const S_Z50 = 8;
const S_Z250 = 10;
const S_TMP = 11;

/** The ref10 addition chain up to z^(2^250 - 1), shared by both exponents (as field25519.ts). */
function chainFunction(): FunctionDef {
  const c = new Code();
  const { mul, sqrn } = slotOps(c);
  sqrn(2, S_IN, 1); // z^2
  sqrn(3, 2, 2); // z^8
  mul(3, 3, S_IN); // z^9
  mul(S_Z11, 3, 2); // z^11
  sqrn(5, S_Z11, 1); // z^22
  mul(5, 5, 3); // z^(2^5 - 1)
  sqrn(6, 5, 5);
  mul(6, 6, 5); // 2^10 - 1
  sqrn(7, 6, 10);
  mul(7, 7, 6); // 2^20 - 1
  sqrn(S_Z50, 7, 20);
  mul(S_Z50, S_Z50, 7); // 2^40 - 1
  sqrn(S_Z50, S_Z50, 10);
  mul(S_Z50, S_Z50, 6); // 2^50 - 1
  sqrn(9, S_Z50, 50);
  mul(9, 9, S_Z50); // 2^100 - 1
  sqrn(S_Z250, 9, 100);
  mul(S_Z250, S_Z250, 9); // 2^200 - 1
  sqrn(S_Z250, S_Z250, 50);
  mul(S_Z250, S_Z250, S_Z50); // 2^250 - 1
  return { params: [], locals: [], body: c };
}

function tailFunction(exportAs: string, squarings: number, times: number): FunctionDef {
  const c = new Code();
  const { mul, sqrn } = slotOps(c);
  c.call(F_CHAIN);
  sqrn(S_TMP, S_Z250, squarings);
  mul(S_OUT, S_TMP, times);
  return { params: [], locals: [], body: c, exportAs };
}

interface FieldExports {
  memory: { buffer: ArrayBuffer };
  pow22523: () => void;
  invert: () => void;
  mul: (dst: number, a: number, b: number) => void;
  sqr: (dst: number, a: number) => void;
  add: (dst: number, a: number, b: number) => void;
  sub: (dst: number, a: number, b: number) => void;
}

/**
 * Compiled on first use, not at import: a managed process that has not yet seen a connection
 * should not carry the compiled module (about 1 MiB of RSS at start, measured).
 */
let instance: { exports: FieldExports; words: Uint32Array } | null = null;

function field(): { exports: FieldExports; words: Uint32Array } {
  if (instance !== null) return instance;
  const module = new WebAssembly!.Module(
    encodeModule(
      [
        { ...mulFunction(), exportAs: 'mul' },
        sqrnFunction(),
        chainFunction(),
        tailFunction('pow22523', 2, S_IN), // (2^250 - 1)·4 + 1 = 2^252 - 3
        tailFunction('invert', 5, S_Z11), // (2^250 - 1)·32 + 11 = 2^255 - 21
        { ...sqrFunction(), exportAs: 'sqr' },
        addSubFunction(false),
        addSubFunction(true),
      ],
      1,
    ),
  );
  const exports = new WebAssembly!.Instance(module).exports as unknown as FieldExports;
  // Limbs are non-negative and below 2^27 in and out, so each i64 is its low 32-bit word.
  instance = { exports, words: new Uint32Array(exports.memory.buffer) };
  return instance;
}
const MASKS = SHIFT.map((_, i) => (1n << BigInt(width(i))) - 1n);
const SHIFTS = SHIFT.map((s) => BigInt(s));
const P = (1n << 255n) - 19n;

function load(words: Uint32Array, z: bigint): void {
  const base = (slot(S_IN) / 4) | 0;
  for (let i = 0; i < LIMBS; i++) {
    words[base + 2 * i] = Number((z >> SHIFTS[i]!) & MASKS[i]!);
    words[base + 2 * i + 1] = 0;
  }
}

function result(words: Uint32Array): bigint {
  const base = (slot(S_OUT) / 4) | 0;
  let r = 0n;
  for (let i = LIMBS - 1; i >= 0; i--) r = (r << BigInt(width(i))) + BigInt(words[base + 2 * i]!);
  // Carried limbs represent a value below 2^255 + 2^39, so one subtraction makes it canonical.
  return r >= P ? r - P : r;
}

/** z^((p-5)/8) for a canonical z in [0, p). */
export function pow22523Wasm(z: bigint): bigint {
  const { exports, words } = field();
  load(words, z);
  exports.pow22523();
  return result(words);
}

/** z^(p-2) = 1/z (0 for z = 0) for a canonical z in [0, p). */
export function invertWasm(z: bigint): bigint {
  const { exports, words } = field();
  load(words, z);
  exports.invert();
  return result(words);
}

// ---------------------------------------------------------------------------------------------
// Whole computations on memory slots, for callers (the Elligator2 maps) that keep their values
// in the module from bytes in to bytes out, with no BigInt on the way.

/** First slot free for callers; the exponentiation chain uses slots 0-11. */
export const FIRST_FREE_SLOT = 12;
/** Slots available to callers: FIRST_FREE_SLOT .. SLOT_COUNT - 1. */
export const SLOT_COUNT = Math.floor(65536 / ELEM);

/**
 * Field operations on slots (element indices ≥ FIRST_FREE_SLOT). Every result is carried, never
 * canonical: compare, test parity or export through toBytes.
 */
export interface SlotField {
  mul(dst: number, a: number, b: number): void;
  sqr(dst: number, a: number): void;
  add(dst: number, a: number, b: number): void;
  sub(dst: number, a: number, b: number): void;
  /** dst = src^((p-5)/8). */
  pow22523(dst: number, src: number): void;
  /** dst = src. */
  copy(dst: number, src: number): void;
  /** dst = the small non-negative integer n (< 2^26). */
  setSmall(dst: number, n: number): void;
  /** Little-endian bytes, the last one ANDed with lastByteMask first (≤ 0x7f: below 2^255). */
  fromBytes(dst: number, b: Uint8Array, lastByteMask: number): void;
  /** The canonical 32-byte little-endian encoding of slot k. */
  toBytes(k: number, out?: Uint8Array): Uint8Array;
}

const limbAddr = (k: number): number => k * ELEM;
const WORDS_PER_ELEM = ELEM / 4;
/** 2^SHIFT[i] as Numbers, and 2^width(i). */
const SCALE = SHIFT.map((s) => 2 ** (s & 7));
const RADIX = SHIFT.map((_, i) => 2 ** width(i));
const WIDTH = SHIFT.map((_, i) => width(i));
const LIMB_MAX0 = 2 ** 26 - 19;

let slotField: SlotField | null = null;

/** The slot operations of the (lazily compiled) module. */
export function slotField25519(): SlotField {
  if (slotField !== null) return slotField;
  const { exports, words } = field();
  const limbs = new Array<number>(LIMBS).fill(0);
  const f: SlotField = {
    mul: (dst, a, b) => exports.mul(limbAddr(dst), limbAddr(a), limbAddr(b)),
    sqr: (dst, a) => exports.sqr(limbAddr(dst), limbAddr(a)),
    add: (dst, a, b) => exports.add(limbAddr(dst), limbAddr(a), limbAddr(b)),
    sub: (dst, a, b) => exports.sub(limbAddr(dst), limbAddr(a), limbAddr(b)),
    pow22523: (dst, src) => {
      words.copyWithin(S_IN * WORDS_PER_ELEM, src * WORDS_PER_ELEM, (src + 1) * WORDS_PER_ELEM);
      exports.pow22523();
      words.copyWithin(dst * WORDS_PER_ELEM, S_OUT * WORDS_PER_ELEM, (S_OUT + 1) * WORDS_PER_ELEM);
    },
    copy: (dst, src) =>
      void words.copyWithin(dst * WORDS_PER_ELEM, src * WORDS_PER_ELEM, (src + 1) * WORDS_PER_ELEM),
    setSmall: (dst, n) => {
      const base = dst * WORDS_PER_ELEM;
      words.fill(0, base, base + WORDS_PER_ELEM);
      words[base] = n;
    },
    fromBytes: (dst, b, lastByteMask) => {
      if (b.length !== 32) throw new RangeError(`a field element is 32 bytes, got ${b.length}`);
      const base = dst * WORDS_PER_ELEM;
      for (let i = 0; i < LIMBS; i++) {
        // Limb i is bits [SHIFT[i], SHIFT[i] + width) of the 255-bit value: at most 5 bytes
        // from byte SHIFT[i] >> 3 hold them (≤ 40 bits: exact in a Number).
        const start = SHIFT[i]! >> 3;
        let v = 0;
        let scale = 1;
        for (let k = 0; k < 5 && start + k < 32; k++) {
          const byte = start + k === 31 ? b[31]! & lastByteMask : b[start + k]!;
          v += byte * scale;
          scale *= 256;
        }
        words[base + 2 * i] = Math.floor(v / SCALE[i]!) % RADIX[i]!;
        words[base + 2 * i + 1] = 0;
      }
    },
    toBytes: (k, out = new Uint8Array(32)) => {
      const base = k * WORDS_PER_ELEM;
      // A full carry (limb 1 may exceed its width; the value is below 2^255 + 2^41), with the
      // carry out of limb 9 folded back (×19), twice: now every limb is within its width and
      // the value is below 2^255. Limbs are below 2^27, so int32 arithmetic is exact.
      for (let i = 0; i < LIMBS; i++) limbs[i] = words[base + 2 * i]!;
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < LIMBS; i++) {
          const w = WIDTH[i]!;
          const carry = limbs[i]! >>> w;
          limbs[i] = limbs[i]! & ((1 << w) - 1);
          if (i < LIMBS - 1) limbs[i + 1] = limbs[i + 1]! + carry;
          else limbs[0] = limbs[0]! + 19 * carry;
        }
      }
      // Values in [p, 2^255): limb 0 ≥ 2^26 - 19 and every other limb at its maximum.
      let top = limbs[0]! >= LIMB_MAX0;
      for (let i = 1; i < LIMBS && top; i++) top = limbs[i] === (1 << WIDTH[i]!) - 1;
      if (top) {
        limbs[0] = limbs[0]! - LIMB_MAX0;
        for (let i = 1; i < LIMBS; i++) limbs[i] = 0;
      }
      // Pack the 26/25-bit limbs into bytes: `bits` pending low bits in `acc` (< 8).
      let acc = 0;
      let bits = 0;
      let pos = 0;
      for (let i = 0; i < LIMBS; i++) {
        let l = limbs[i]!;
        // Only the low 8 bits of the shift are kept, so its overflow past bit 31 is harmless.
        out[pos++] = (acc | (l << bits)) & 0xff;
        l >>>= 8 - bits;
        let remaining = WIDTH[i]! - (8 - bits);
        while (remaining >= 8) {
          out[pos++] = l & 0xff;
          l >>>= 8;
          remaining -= 8;
        }
        acc = l;
        bits = remaining;
      }
      // 255 bits: the last byte holds the final 7.
      out[31] = acc;
      return out;
    },
  };
  slotField = f;
  return f;
}
