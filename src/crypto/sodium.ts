// The libsodium calls steppe makes, on sodium-native's compiled addon.
//
// Why not `import sodium from 'sodium-native'`: the package's index.js wraps ~400 functions in
// argument asserts and reaches its addon through require-addon and bare-addon-resolve; loading
// that graph costs a managed process ~6 MiB of RSS at start (measured with /proc/self/smaps),
// the addon itself ~1.5 MiB. Here the addon is loaded directly from the package's prebuild for
// this platform, falling back to the package's own resolver (binding.js) where there is none
// (musl, a from-source build). The wrappers keep the length checks the package's asserts made:
// libsodium writes through raw pointers, so a short output buffer must never reach it.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

type Bytes = Uint8Array;

/** The addon's functions return libsodium's status (0 = success) instead of throwing. */
interface SodiumBinding {
  crypto_secretbox_easy(c: Bytes, m: Bytes, n: Bytes, k: Bytes): number;
  crypto_secretbox_open_easy(m: Bytes, c: Bytes, n: Bytes, k: Bytes): boolean;
  crypto_scalarmult(q: Bytes, n: Bytes, p: Bytes): number;
  crypto_scalarmult_base(q: Bytes, n: Bytes): number;
  crypto_scalarmult_ed25519_base_noclamp(q: Bytes, n: Bytes): number;
  crypto_core_ed25519_add(r: Bytes, p: Bytes, q: Bytes): number;
  crypto_hash_sha512(out: Bytes, input: Bytes): number;
}

function loadBinding(): SodiumBinding {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('sodium-native/package.json'));
  try {
    const prebuild = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
    return require(join(prebuild, 'sodium-native.node')) as SodiumBinding;
  } catch {
    return require(join(root, 'binding.js')) as SodiumBinding;
  }
}

/**
 * Loaded by the first call, not at import: a managed client needs libsodium only once a
 * connection arrives (about 1.5 MiB of RSS until then, measured).
 */
let loaded: SodiumBinding | null = null;
function sodium(): SodiumBinding {
  return (loaded ??= loadBinding());
}

// V8 keeps a typed array of up to 64 bytes inside its heap, with no ArrayBuffer of its own. The
// addon reaches its arguments through N-API, which makes V8 move such an array into a fresh
// off-heap ArrayBuffer first: a malloc, a copy and a later sweep, ~1 µs per array (measured),
// and keys, nonces, points and digests are all that small (perf uprobes on V8's allocator:
// about 12 of these per obfs4 connection and side came from here). So the small arguments of
// the handshake's calls travel through one off-heap staging area instead; it is zeroed after
// every call, as it holds keys. secretbox is not staged: it runs once per frame, with messages
// above that size and a key and nonce its callers keep off-heap for the connection's life
// (obfs4's framing.ts), where two copies and a clear per frame cost 4-10 % of throughput.
const STAGE_MAX = 64;
const STAGE_SLOTS = 3;
const stage = new Uint8Array(new ArrayBuffer(STAGE_MAX * STAGE_SLOTS));

/** `b` itself, or a copy of it in staging slot `i` when V8 may hold it on its heap. */
function staged(i: number, b: Bytes): Bytes {
  if (b.length > STAGE_MAX) return b;
  const view = stage.subarray(i * STAGE_MAX, i * STAGE_MAX + b.length);
  view.set(b);
  return view;
}

/** Copies a staged output back (when it was staged) and clears the staging area. */
function unstage(out: Bytes, view: Bytes): void {
  if (view !== out) out.set(view);
  stage.fill(0);
}

/** secretbox key, nonce and tag lengths (XSalsa20-Poly1305). */
export const SECRETBOX_KEY_LENGTH = 32;
export const SECRETBOX_NONCE_LENGTH = 24;
export const SECRETBOX_TAG_LENGTH = 16;

function need(what: string, b: Bytes, n: number): void {
  if (b.length !== n) throw new RangeError(`${what} must be ${n} bytes, got ${b.length}`);
}

/** crypto_secretbox_easy: box = tag ‖ ciphertext of `m`; box.length must be m.length + 16. */
export function secretboxEasy(box: Bytes, m: Bytes, nonce: Bytes, key: Bytes): void {
  need('box', box, m.length + SECRETBOX_TAG_LENGTH);
  need('nonce', nonce, SECRETBOX_NONCE_LENGTH);
  need('key', key, SECRETBOX_KEY_LENGTH);
  if (sodium().crypto_secretbox_easy(box, m, nonce, key) !== 0) {
    throw new Error('crypto_secretbox_easy failed');
  }
}

/** crypto_secretbox_open_easy: false when the tag does not verify; m.length = box.length - 16. */
export function secretboxOpenEasy(m: Bytes, box: Bytes, nonce: Bytes, key: Bytes): boolean {
  if (box.length < SECRETBOX_TAG_LENGTH) return false;
  need('m', m, box.length - SECRETBOX_TAG_LENGTH);
  need('nonce', nonce, SECRETBOX_NONCE_LENGTH);
  need('key', key, SECRETBOX_KEY_LENGTH);
  return sodium().crypto_secretbox_open_easy(m, box, nonce, key);
}

/** X25519(n, p) into q; false when libsodium refuses (an all-zero result). */
export function scalarmult(q: Bytes, n: Bytes, p: Bytes): boolean {
  need('q', q, 32);
  need('n', n, 32);
  need('p', p, 32);
  const out = staged(0, q);
  const ok = sodium().crypto_scalarmult(out, staged(1, n), staged(2, p)) === 0;
  unstage(q, out);
  return ok;
}

/** X25519(n, 9) into q. */
export function scalarmultBase(q: Bytes, n: Bytes): void {
  need('q', q, 32);
  need('n', n, 32);
  const out = staged(0, q);
  const ok = sodium().crypto_scalarmult_base(out, staged(1, n)) === 0;
  unstage(q, out);
  if (!ok) throw new Error('crypto_scalarmult_base failed');
}

/** Compressed Edwards n·G for an unclamped scalar n. */
export function scalarmultEd25519BaseNoclamp(q: Bytes, n: Bytes): void {
  need('q', q, 32);
  need('n', n, 32);
  const out = staged(0, q);
  const ok = sodium().crypto_scalarmult_ed25519_base_noclamp(out, staged(1, n)) === 0;
  unstage(q, out);
  if (!ok) throw new Error('crypto_scalarmult_ed25519_base_noclamp failed');
}

/** r = p + q on compressed Edwards points (any on-curve point, low-order ones included). */
export function coreEd25519Add(r: Bytes, p: Bytes, q: Bytes): void {
  need('r', r, 32);
  need('p', p, 32);
  need('q', q, 32);
  const out = staged(0, r);
  const ok = sodium().crypto_core_ed25519_add(out, staged(1, p), staged(2, q)) === 0;
  unstage(r, out);
  if (!ok) throw new Error('crypto_core_ed25519_add: not a valid point');
}

/** SHA-512 of `input` into `out` (64 bytes). */
export function hashSha512(out: Bytes, input: Bytes): void {
  need('out', out, 64);
  const o = staged(0, out);
  sodium().crypto_hash_sha512(o, staged(1, input));
  unstage(out, o);
}
