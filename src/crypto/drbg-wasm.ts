// obfs4's HashDrbg blocks (drbg.ts), many at a time, in WebAssembly.
//
// Why: every obfs4 frame takes one DRBG block for its length mask, and a block is a cumulative
// SipHash-2-4 step (absorb the previous block: 2 rounds; finalize a copy: 4 rounds). In
// JavaScript each 64-bit lane is two 32-bit halves and a block costs ~0.45 µs, about 8 % of the
// data path's CPU (bench/perf/README.md); with native i64 arithmetic it is a few dozen
// nanoseconds, and producing a batch per call keeps the JS↔wasm crossings rare.
//
// Memory layout: the caller's generator state at bytes 0..48 — v0, v1, v2, v3 (SipHash lanes),
// the last output block, the bytes absorbed so far (all little-endian u64) — and the blocks
// produced at 48 + 8·i. Blocks are little-endian SipHash digests, i.e. the bytes Go's NextBlock
// returns.
import { Code, encodeModule, I32, I64, Op, type FunctionDef } from './wasm-encoder.js';

declare const WebAssembly:
  | {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object) => { exports: Record<string, unknown> };
    }
  | undefined;

/** Bytes of generator state the caller keeps between batches. */
export const DRBG_STATE_LENGTH = 48;
/** Blocks produced per call. */
export const DRBG_BATCH = 64;
const OUT = DRBG_STATE_LENGTH;

// Locals of `blocks(count)`: param 0 is count.
const COUNT = 0;
const I = 1;
const V = [2, 3, 4, 5];
const T = [6, 7, 8, 9];
const M = 10;
const LEN = 11;

/** Emits SipRounds on lanes (a, b, c, d), unrolled. */
function sipRounds(c: Code, [a, b, cc, d]: number[], n: number): void {
  const addInto = (x: number, y: number): void => void c.get(x).get(y).emit(Op.i64Add).set(x);
  const rotl = (x: number, r: number): void => void c.get(x).i64(r).emit(Op.i64Rotl).set(x);
  const xorInto = (x: number, y: number): void => void c.get(x).get(y).emit(Op.i64Xor).set(x);
  for (let i = 0; i < n; i++) {
    addInto(a!, b!);
    rotl(b!, 13);
    xorInto(b!, a!);
    rotl(a!, 32);
    addInto(cc!, d!);
    rotl(d!, 16);
    xorInto(d!, cc!);
    addInto(a!, d!);
    rotl(d!, 21);
    xorInto(d!, a!);
    addInto(cc!, b!);
    rotl(b!, 17);
    xorInto(b!, cc!);
    rotl(cc!, 32);
  }
}

function blocksFunction(): FunctionDef {
  const c = new Code();
  V.forEach((v, k) =>
    c
      .i32(0)
      .load64(8 * k)
      .set(v),
  );
  c.i32(0).load64(32).set(M);
  c.i32(0).load64(40).set(LEN);
  c.i32(0).set(I);
  c.block().loop();
  c.get(I).get(COUNT).emit(Op.i32Eq).brIf(1);
  // Absorb the previous block: v3 ^= m; 2 rounds; v0 ^= m.
  c.get(V[3]!).get(M).emit(Op.i64Xor).set(V[3]!);
  sipRounds(c, V, 2);
  c.get(V[0]!).get(M).emit(Op.i64Xor).set(V[0]!);
  c.get(LEN).i64(8).emit(Op.i64Add).set(LEN);
  // Finalize a copy: the last word is the length byte alone (every write is 8 bytes).
  V.forEach((v, k) => c.get(v).set(T[k]!));
  c.get(LEN).i64(56).emit(Op.i64Shl).set(M);
  c.get(T[3]!).get(M).emit(Op.i64Xor).set(T[3]!);
  sipRounds(c, T, 2);
  c.get(T[0]!).get(M).emit(Op.i64Xor).set(T[0]!);
  c.get(T[2]!).i64(0xff).emit(Op.i64Xor).set(T[2]!);
  sipRounds(c, T, 4);
  c.get(T[0]!).get(T[1]!).emit(Op.i64Xor).get(T[2]!).emit(Op.i64Xor).get(T[3]!).emit(Op.i64Xor);
  c.set(M);
  c.get(I).i32(3).emit(Op.i32Shl).get(M).store64(OUT);
  c.get(I).i32(1).emit(Op.i32Add).set(I);
  c.br(0).end().end();
  V.forEach((v, k) =>
    c
      .i32(0)
      .get(v)
      .store64(8 * k),
  );
  c.i32(0).get(M).store64(32);
  c.i32(0).get(LEN).store64(40);
  return {
    params: [I32],
    locals: [I32, I64, I64, I64, I64, I64, I64, I64, I64, I64, I64],
    body: c,
    exportAs: 'blocks',
  };
}

interface DrbgExports {
  memory: { buffer: ArrayBuffer };
  blocks: (count: number) => void;
}

/** Compiled on first use (a process that never frames pays nothing). */
let instance: { blocks: (count: number) => void; mem: Uint8Array } | null = null;

function drbgModule(): { blocks: (count: number) => void; mem: Uint8Array } {
  if (instance !== null) return instance;
  if (typeof WebAssembly === 'undefined') {
    throw new Error('steppe needs WebAssembly (unavailable in this Node process: --jitless?)');
  }
  const module = new WebAssembly.Module(encodeModule([blocksFunction()], 1));
  const exports = new WebAssembly.Instance(module).exports as unknown as DrbgExports;
  instance = { blocks: exports.blocks, mem: new Uint8Array(exports.memory.buffer) };
  return instance;
}

/**
 * Advances `state` (DRBG_STATE_LENGTH bytes, see above) by `out.length / 8` blocks (1 to
 * DRBG_BATCH) and writes them to `out`.
 */
export function drbgBatch(state: Uint8Array, out: Uint8Array): void {
  const count = out.length / 8;
  if (!Number.isInteger(count) || count < 1 || count > DRBG_BATCH) {
    throw new RangeError(`a DRBG batch is 1 to ${DRBG_BATCH} blocks of 8 bytes, got ${out.length}`);
  }
  const { blocks, mem } = drbgModule();
  mem.set(state, 0);
  blocks(count);
  state.set(mem.subarray(0, DRBG_STATE_LENGTH));
  out.set(mem.subarray(OUT, OUT + 8 * count));
}
