// A minimal WebAssembly binary writer: just enough of the format (MVP, core spec §5) to build
// small compute-only modules from TypeScript at load time, so the field arithmetic below needs
// no toolchain, no build step and no binary blob in the repository. Only the opcodes the field
// code uses are listed.

/** Value types (spec §5.3.1). */
export const I32 = 0x7f;
export const I64 = 0x7e;
export type ValType = typeof I32 | typeof I64;

/** Opcodes (spec §5.4). */
export const Op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  call: 0x10,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i64Load: 0x29,
  i64Store: 0x37,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Shl: 0x74,
  i64Add: 0x7c,
  i64Sub: 0x7d,
  i64Mul: 0x7e,
  i64And: 0x83,
  i64Or: 0x84,
  i64Xor: 0x85,
  i64Shl: 0x86,
  i64ShrS: 0x87,
  i64Rotl: 0x89,
} as const;

/** Block type "no result" (spec §5.4.1). */
const EMPTY_BLOCK = 0x40;

export function uleb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`uleb: ${n}`);
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  if (!Number.isSafeInteger(n)) throw new RangeError(`sleb: ${n}`);
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n = Math.floor(n / 128);
    const done = (n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

/** Accumulates one function body's instructions. */
export class Code {
  readonly bytes: number[] = [];

  private op(...b: number[]): this {
    for (const x of b) this.bytes.push(x);
    return this;
  }

  get(local: number): this {
    return this.op(Op.localGet, ...uleb(local));
  }
  set(local: number): this {
    return this.op(Op.localSet, ...uleb(local));
  }
  tee(local: number): this {
    return this.op(Op.localTee, ...uleb(local));
  }
  i32(v: number): this {
    return this.op(Op.i32Const, ...sleb(v));
  }
  i64(v: number): this {
    return this.op(Op.i64Const, ...sleb(v));
  }
  /** i64.load with natural (8-byte) alignment from the address on the stack plus `offset`. */
  load64(offset: number): this {
    return this.op(Op.i64Load, 3, ...uleb(offset));
  }
  /** i64.store (address, value on the stack) at address + `offset`. */
  store64(offset: number): this {
    return this.op(Op.i64Store, 3, ...uleb(offset));
  }
  call(func: number): this {
    return this.op(Op.call, ...uleb(func));
  }
  block(): this {
    return this.op(Op.block, EMPTY_BLOCK);
  }
  loop(): this {
    return this.op(Op.loop, EMPTY_BLOCK);
  }
  br(depth: number): this {
    return this.op(Op.br, ...uleb(depth));
  }
  brIf(depth: number): this {
    return this.op(Op.brIf, ...uleb(depth));
  }
  end(): this {
    return this.op(Op.end);
  }
  /** Any opcode without immediates (arithmetic, comparisons). */
  emit(opcode: number): this {
    return this.op(opcode);
  }
}

export interface FunctionDef {
  params: ValType[];
  /** Extra locals after the parameters; all functions here return nothing. */
  locals: ValType[];
  body: Code;
  /** Exported under this name when set. */
  exportAs?: string;
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function name(s: string): number[] {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
}

/** Run-length groups of equal local types, as the code section declares them. */
function localGroups(locals: ValType[]): number[][] {
  const groups: number[][] = [];
  let i = 0;
  while (i < locals.length) {
    let j = i;
    while (j < locals.length && locals[j] === locals[i]) j++;
    groups.push([...uleb(j - i), locals[i]!]);
    i = j;
  }
  return groups;
}

/**
 * A module with one exported memory ("memory", `pages` × 64 KiB) and the given functions, in
 * index order (function i is called with `call(i)`). Each function gets its own type entry.
 */
export function encodeModule(functions: FunctionDef[], pages: number): Uint8Array {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...uleb(0)]);
  const funcs = functions.map((_, i) => uleb(i));
  const memory = [[0x00, ...uleb(pages)]];
  const exports: number[][] = [[...name('memory'), 0x02, ...uleb(0)]];
  functions.forEach((f, i) => {
    if (f.exportAs !== undefined) exports.push([...name(f.exportAs), 0x00, ...uleb(i)]);
  });
  const bodies = functions.map((f) => {
    const body = [...vec(localGroups(f.locals)), ...f.body.bytes, Op.end];
    return [...uleb(body.length), ...body];
  });
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(3, vec(funcs)),
    ...section(5, vec(memory)),
    ...section(7, vec(exports)),
    ...section(10, vec(bodies)),
  ]);
}
