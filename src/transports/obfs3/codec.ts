/**
 * obfs3's data phase, sans-IO: AES-128-CTR each way, preceded in each direction by
 * random(U[0, 4097]) ‖ the sender's magic. The magic goes out with the first write, as
 * obfs4proxy sends it (lazily, on the first Write); the receiver finds the peer's magic first
 * (magic-scanner.ts) and only then decrypts.
 */
import { aes128Ctr, type CtrStream } from '../../crypto/aes-ctr.js';
import { concatBytes } from '../../crypto/bytes.js';
import {
  randomBytes,
  randomIntRange,
  systemRandom,
  type RandomSource,
} from '../../crypto/random.js';
import type { StreamCodec } from '../codec-stream.js';
import { MAX_SEND_PADDING } from './constants.js';
import type { Obfs3Keys } from './keys.js';
import { MagicScanner } from './magic-scanner.js';

export class Obfs3Codec implements StreamCodec {
  readonly #tx: CtrStream;
  readonly #rx: CtrStream;
  readonly #rng: RandomSource;
  readonly #magicPadLength: number | undefined;
  #txMagic: Uint8Array | null;
  #scanner: MagicScanner | null;

  /** `magicPadLength` is a test seam for the padding before the magic. */
  constructor(
    keys: Obfs3Keys,
    initiator: boolean,
    rng: RandomSource = systemRandom,
    magicPadLength?: number,
  ) {
    const send = initiator ? keys.initiator : keys.responder;
    const recv = initiator ? keys.responder : keys.initiator;
    this.#tx = aes128Ctr(send.key, send.counter);
    this.#rx = aes128Ctr(recv.key, recv.counter);
    this.#txMagic = initiator ? keys.initiatorMagic : keys.responderMagic;
    this.#scanner = new MagicScanner(initiator ? keys.responderMagic : keys.initiatorMagic);
    this.#rng = rng;
    this.#magicPadLength = magicPadLength;
  }

  encode(data: Uint8Array): Uint8Array {
    const body = this.#tx.update(data);
    if (this.#txMagic === null) return body;
    const padLength = this.#magicPadLength ?? randomIntRange(0, MAX_SEND_PADDING, this.#rng);
    const pad = randomBytes(padLength, this.#rng);
    const out = concatBytes(pad, this.#txMagic, body);
    this.#txMagic = null;
    return out;
  }

  decode(chunk: Uint8Array): Uint8Array {
    if (this.#scanner !== null) {
      const after = this.#scanner.push(chunk);
      if (after === null) return new Uint8Array(0);
      this.#scanner = null;
      chunk = after;
    }
    return chunk.length === 0 ? chunk : this.#rx.update(chunk);
  }

  resetOnFailure(): boolean {
    return this.#scanner?.unreadAtFailure ?? false;
  }
}
