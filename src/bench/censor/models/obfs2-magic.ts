import { createDecipheriv, createHash } from 'node:crypto';
import type { CensorModel } from '../types.js';

export const OBFS2_MAGIC = 0x2bf5ca7e;
export const OBFS2_MAX_PADDING = 8192;
const INITIATOR_PAD = Buffer.from('Initiator obfuscation padding', 'latin1');

/** Parameters of `obfs2-magic`. */
export interface Obfs2MagicOptions {
  readonly action?: 'dropRest' | 'rst';
}

/**
 * Decrypts the 8-byte header of an obfs2 initiator handshake with the key derived from the
 * 16-byte seed sent in the clear: MAC(P, seed) = SHA-256(P ‖ seed ‖ P), AES-128-CTR with
 * key = MAC[0:16], IV = MAC[16:32] (protocols.md §3.2). Returns magic and padding length.
 */
export function obfs2Header(first24: Uint8Array): { magic: number; padLen: number } {
  if (first24.length < 24) throw new RangeError('obfs2 header needs 24 bytes');
  const seed = first24.subarray(0, 16);
  const mac = createHash('sha256')
    .update(INITIATOR_PAD)
    .update(seed)
    .update(INITIATOR_PAD)
    .digest();
  const d = createDecipheriv('aes-128-ctr', mac.subarray(0, 16), mac.subarray(16, 32));
  const plain = Buffer.concat([d.update(first24.subarray(16, 24)), d.final()]);
  return { magic: plain.readUInt32BE(0), padLen: plain.readUInt32BE(4) };
}

/**
 * obfs2 is identifiable passively: its handshake key comes from the seed on the wire, so a censor
 * decrypts the header and checks the magic. False positives ≈ 2^-32 for random traffic.
 */
export function obfs2Magic(opts: Obfs2MagicOptions = {}): CensorModel {
  const name = 'obfs2-magic';
  const action = opts.action ?? 'dropRest';
  return {
    name,
    inspect() {
      let buf = new Uint8Array(0);
      let done = false;
      return {
        onChunk(chunk) {
          if (done || chunk.dir !== 'c2s') return undefined;
          const need = 24 - buf.length;
          buf = Buffer.concat([buf, chunk.bytes.subarray(0, need)]);
          if (buf.length < 24) return undefined;
          done = true;
          const h = obfs2Header(buf);
          const evidence = {
            magic: `0x${h.magic.toString(16).padStart(8, '0')}`,
            padLen: h.padLen,
          };
          if (h.magic === OBFS2_MAGIC && h.padLen <= OBFS2_MAX_PADDING) {
            return { model: name, rule: 'magic', verdict: 'block', action, evidence };
          }
          return { model: name, rule: 'noMagic', verdict: 'allow', action: 'none', evidence };
        },
      };
    },
  };
}
