/**
 * The ScrambleSuit data phase as a StreamCodec for the shared CodecStream Duplex: each
 * application write becomes one padded burst of messages, each received chunk yields the payload
 * of the messages it completes. The two control messages a server sends (NEW_TICKET, PRNG_SEED)
 * are acted on as obfs4proxy's client does; anything else, or a control message arriving at the
 * server, ends the connection.
 */
import type { Duplex } from 'node:stream';
import type { WeightedDist } from '../../crypto/probdist.js';
import { FramingError } from '../../errors.js';
import { ByteQueue } from '../byte-queue.js';
import { CodecStream, type StreamCodec } from '../codec-stream.js';
import {
  FLAG_NEW_TICKET,
  FLAG_PAYLOAD,
  FLAG_PRNG_SEED,
  NEW_TICKET_PAYLOAD_LENGTH,
  PRNG_SEED_LENGTH,
} from './constants.js';
import { seededLengthDist } from './length-dist.js';
import type { MessageDecoder, MessageEncoder } from './message.js';

/** A ScrambleSuit connection after its handshake. */
export type ScrambleSuitStream = CodecStream;

export interface ScrambleSuitCodecParams {
  encoder: MessageEncoder;
  decoder: MessageDecoder;
  isServer: boolean;
  lengthDist: WeightedDist;
  /** Client: a NEW_TICKET payload (master key ‖ ticket) to keep for the next connection. */
  onTicket?: (payload: Uint8Array) => void;
}

export class ScrambleSuitCodec implements StreamCodec {
  readonly #p: ScrambleSuitCodecParams;
  readonly #queue = new ByteQueue();
  #lengthDist: WeightedDist;

  constructor(p: ScrambleSuitCodecParams) {
    this.#p = p;
    this.#lengthDist = p.lengthDist;
  }

  /** One burst per write, padded once, as obfs4proxy's Write does. */
  encode(data: Uint8Array): Uint8Array {
    return this.#p.encoder.burst([data], data.length, this.#lengthDist.sample());
  }

  decode(chunk: Uint8Array): Uint8Array {
    this.#queue.push(chunk);
    const out: Uint8Array[] = [];
    let filled = 0;
    for (let msg = this.#p.decoder.decode(this.#queue); msg !== null;) {
      if (msg.flags === FLAG_PAYLOAD) {
        if (msg.payload.length > 0) {
          out.push(msg.payload);
          filled += msg.payload.length;
        }
      } else if (msg.flags === FLAG_NEW_TICKET && !this.#p.isServer) {
        if (msg.payload.length !== NEW_TICKET_PAYLOAD_LENGTH) throw badControl('NEW_TICKET');
        this.#p.onTicket?.(msg.payload.slice());
      } else if (msg.flags === FLAG_PRNG_SEED && !this.#p.isServer) {
        if (msg.payload.length !== PRNG_SEED_LENGTH) throw badControl('PRNG_SEED');
        this.#lengthDist = seededLengthDist(msg.payload);
      } else {
        throw new FramingError(
          'ERR_PACKET_INVALID',
          `unexpected scramblesuit message flags ${msg.flags} at the ${this.#p.isServer ? 'server' : 'client'}`,
        );
      }
      msg = this.#p.decoder.decode(this.#queue);
    }
    if (out.length === 1) return out[0]!;
    return filled === 0 ? new Uint8Array(0) : Buffer.concat(out, filled);
  }
}

function badControl(what: string): FramingError {
  return new FramingError('ERR_PACKET_INVALID', `scramblesuit ${what} message of the wrong length`);
}

/** The data-phase Duplex over `socket`; `initial` are bytes that arrived behind the handshake. */
export function scramblesuitStream(
  socket: Duplex,
  p: ScrambleSuitCodecParams,
  initial?: Uint8Array,
): ScrambleSuitStream {
  return new CodecStream({
    socket,
    codec: new ScrambleSuitCodec(p),
    name: 'scramblesuit',
    ...(initial === undefined ? {} : { initial }),
  });
}
