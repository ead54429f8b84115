// AES in counter mode as the obfsproxy family's older transports use it, over OpenSSL
// (node:crypto). OpenSSL's CTR treats the whole 16-byte block as one big-endian counter that
// wraps at 2^128, which is what Go's cipher.NewCTR does and what obfs2/obfs3 specify
// (protocols.md §3.1, §3.2). ScrambleSuit builds its initial block as an 8-byte prefix followed
// by a big-endian 64-bit counter starting at 1 (§3.3); the carry out of the low 64 bits that a
// 128-bit counter would make needs 2^64 blocks, so the same primitive serves both.
import { createCipheriv, type Cipher } from 'node:crypto';
import { writeU64BE } from './bytes.js';

/** A keystream applied to each chunk in order (encryption and decryption are the same). */
export interface CtrStream {
  /** XORs `data` with the next data.length keystream bytes; returns a new array. */
  update(data: Uint8Array): Uint8Array;
}

class OpenSslCtr implements CtrStream {
  readonly #cipher: Cipher;

  constructor(algorithm: 'aes-128-ctr' | 'aes-256-ctr', key: Uint8Array, iv: Uint8Array) {
    this.#cipher = createCipheriv(algorithm, key, iv);
  }

  update(data: Uint8Array): Uint8Array {
    const out = this.#cipher.update(data);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }
}

function checkLength(name: string, b: Uint8Array, n: number): void {
  if (!(b instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (b.length !== n) throw new RangeError(`${name} must be ${n} bytes, got ${b.length}`);
}

/** AES-128-CTR with a 16-byte key and a 16-byte initial counter block (obfs2, obfs3). */
export function aes128Ctr(key: Uint8Array, initialCounter: Uint8Array): CtrStream {
  checkLength('AES-128 key', key, 16);
  checkLength('CTR initial counter', initialCounter, 16);
  return new OpenSslCtr('aes-128-ctr', key, initialCounter);
}

/**
 * AES-256-CTR whose first counter block is ivPrefix(8) ‖ BE64(1), as ScrambleSuit's Python
 * (Counter.new(64, prefix=iv, initial_value=1)) and Go (newCryptoState) implementations build it.
 */
export function aes256CtrPrefixed(key: Uint8Array, ivPrefix: Uint8Array): CtrStream {
  checkLength('AES-256 key', key, 32);
  checkLength('CTR IV prefix', ivPrefix, 8);
  const block = new Uint8Array(16);
  block.set(ivPrefix, 0);
  writeU64BE(block, 8, 1);
  return new OpenSslCtr('aes-256-ctr', key, block);
}
