// obfs2's data phase, sans-IO: AES-128-CTR each way under the data keys, nothing else.
import { aes128Ctr, type CtrStream } from '../../crypto/aes-ctr.js';
import type { StreamCodec } from '../codec-stream.js';
import type { Obfs2DataKeys } from './keys.js';

export class Obfs2Codec implements StreamCodec {
  readonly #tx: CtrStream;
  readonly #rx: CtrStream;

  constructor(keys: Obfs2DataKeys, initiator: boolean) {
    const send = initiator ? keys.initiator : keys.responder;
    const recv = initiator ? keys.responder : keys.initiator;
    this.#tx = aes128Ctr(send.key, send.counter);
    this.#rx = aes128Ctr(recv.key, recv.counter);
  }

  encode(data: Uint8Array): Uint8Array {
    return this.#tx.update(data);
  }

  decode(chunk: Uint8Array): Uint8Array {
    return this.#rx.update(chunk);
  }
}
