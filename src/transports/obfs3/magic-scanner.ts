/**
 * The search for the peer's magic that starts obfs3's data phase, sans-IO, with obfs4proxy's
 * bounds: the receiver reads in steps of at most 8226 bytes (Go's hsBuf), looks for the magic in
 * everything buffered after each step, and fails when 8226 bytes are buffered without it or the
 * magic starts beyond byte 8194. Modelling the steps keeps which inputs are refused, and how many
 * bytes had been read when that happened (FIN or RST on close), the same as the reference.
 */
import { HandshakeError } from '../../errors.js';
import { MAX_PADDING, MAGIC_SEARCH_LIMIT } from './constants.js';

export class MagicScanner {
  readonly #magic: Buffer;
  #buffered: Buffer = Buffer.alloc(0);
  #unreadAtFailure = false;

  constructor(magic: Uint8Array) {
    this.#magic = Buffer.from(magic);
  }

  /** Returns the bytes after the magic once it is found (possibly empty), null for "more". */
  push(chunk: Uint8Array): Uint8Array | null {
    if (chunk.length === 0) return null;
    for (let off = 0; off < chunk.length; off += MAGIC_SEARCH_LIMIT) {
      const end = Math.min(off + MAGIC_SEARCH_LIMIT, chunk.length);
      this.#buffered = Buffer.concat([this.#buffered, chunk.subarray(off, end)]);
      const pos = this.#buffered.indexOf(this.#magic);
      if (pos === -1) {
        if (this.#buffered.length >= MAGIC_SEARCH_LIMIT) {
          this.#unreadAtFailure = end < chunk.length;
          throw new HandshakeError(
            'ERR_HANDSHAKE_INVALID',
            `no obfs3 magic in the first ${MAGIC_SEARCH_LIMIT} bytes`,
          );
        }
        continue;
      }
      if (pos > MAX_PADDING) {
        this.#unreadAtFailure = end < chunk.length;
        throw new HandshakeError(
          'ERR_HANDSHAKE_TOO_LONG',
          `obfs3 peer sent ${pos} bytes of padding before its magic (at most ${MAX_PADDING})`,
        );
      }
      const after = this.#buffered.subarray(pos + this.#magic.length);
      const rest = chunk.subarray(end);
      this.#buffered = Buffer.alloc(0);
      return rest.length === 0 ? after : Buffer.concat([after, rest]);
    }
    return null;
  }

  /** After a failure: whether the reference would have left bytes of that input unread. */
  get unreadAtFailure(): boolean {
    return this.#unreadAtFailure;
  }
}
