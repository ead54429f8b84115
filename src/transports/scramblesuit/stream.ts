/**
 * The ScrambleSuit data phase as a Node Duplex over the socket the handshake ran on. The message
 * codec does the protocol work; this file moves bytes, honours backpressure both ways and acts on
 * the two control messages a server sends (NEW_TICKET, PRNG_SEED), as obfs4proxy's client does:
 * anything else, or a control message arriving at the server, ends the connection.
 */
import { Duplex } from 'node:stream';
import type { WeightedDist } from '../../crypto/probdist.js';
import { FramingError, PtError } from '../../errors.js';
import { ByteQueue } from '../byte-queue.js';
import {
  FLAG_NEW_TICKET,
  FLAG_PAYLOAD,
  FLAG_PRNG_SEED,
  NEW_TICKET_PAYLOAD_LENGTH,
  PRNG_SEED_LENGTH,
} from './constants.js';
import { seededLengthDist } from './length-dist.js';
import type { MessageDecoder, MessageEncoder } from './message.js';

export interface ScrambleSuitStreamParams {
  socket: Duplex;
  encoder: MessageEncoder;
  decoder: MessageDecoder;
  isServer: boolean;
  lengthDist: WeightedDist;
  /** Client: a NEW_TICKET payload (master key ‖ ticket) to keep for the next connection. */
  onTicket?: (payload: Uint8Array) => void;
  /** Bytes that arrived behind the handshake; they are messages. */
  initial?: Uint8Array;
}

export class ScrambleSuitStream extends Duplex {
  readonly #socket: Duplex;
  readonly #encoder: MessageEncoder;
  readonly #decoder: MessageDecoder;
  readonly #isServer: boolean;
  readonly #onTicket: ((payload: Uint8Array) => void) | undefined;
  readonly #queue = new ByteQueue();
  #lengthDist: WeightedDist;
  #socketPaused = false;

  readonly #onData = (chunk: Buffer): void => this.#receive(chunk);
  readonly #onEnd = (): void => {
    this.push(null);
  };
  readonly #onError = (err: Error): void => {
    this.destroy(
      new PtError('ERR_CLOSED', `scramblesuit connection failed: ${err.message}`, { cause: err }),
    );
  };
  readonly #onClose = (): void => {
    if (!this.destroyed) this.destroy();
  };

  constructor(p: ScrambleSuitStreamParams) {
    // As Obfs4Stream: the stream owns half-close, and ends the socket's write side itself.
    const socketHalfOpen = (p.socket as { allowHalfOpen?: boolean }).allowHalfOpen ?? true;
    super({ allowHalfOpen: socketHalfOpen, decodeStrings: true });
    (p.socket as { allowHalfOpen?: boolean }).allowHalfOpen = true;
    this.#socket = p.socket;
    this.#encoder = p.encoder;
    this.#decoder = p.decoder;
    this.#isServer = p.isServer;
    this.#lengthDist = p.lengthDist;
    this.#onTicket = p.onTicket;
    this.#socket.on('data', this.#onData);
    this.#socket.on('end', this.#onEnd);
    this.#socket.on('error', this.#onError);
    this.#socket.on('close', this.#onClose);
    if (p.initial !== undefined && p.initial.length > 0) this.#receive(p.initial);
  }

  /** The underlying socket, for addresses and socket options. */
  get socket(): Duplex {
    return this.#socket;
  }

  #receive(chunk: Uint8Array): void {
    if (this.destroyed) return;
    this.#queue.push(chunk);
    const out: Uint8Array[] = [];
    let filled = 0;
    try {
      for (;;) {
        const msg = this.#decoder.decode(this.#queue);
        if (msg === null) break;
        if (msg.flags === FLAG_PAYLOAD) {
          if (msg.payload.length > 0) {
            out.push(msg.payload);
            filled += msg.payload.length;
          }
        } else if (msg.flags === FLAG_NEW_TICKET && !this.#isServer) {
          if (msg.payload.length !== NEW_TICKET_PAYLOAD_LENGTH) throw badControl('NEW_TICKET');
          this.#onTicket?.(msg.payload.slice());
        } else if (msg.flags === FLAG_PRNG_SEED && !this.#isServer) {
          if (msg.payload.length !== PRNG_SEED_LENGTH) throw badControl('PRNG_SEED');
          this.#lengthDist = seededLengthDist(msg.payload);
        } else {
          throw new FramingError(
            'ERR_PACKET_INVALID',
            `unexpected scramblesuit message flags ${msg.flags} at the ${this.#isServer ? 'server' : 'client'}`,
          );
        }
      }
    } catch (e) {
      this.destroy(
        e instanceof PtError ? e : new FramingError('ERR_FRAME_INVALID', String(e), { cause: e }),
      );
      return;
    }
    if (filled === 0) return;
    const data = out.length === 1 ? out[0]! : Buffer.concat(out, filled);
    if (!this.push(data) && !this.#socketPaused) {
      this.#socketPaused = true;
      this.#socket.pause();
    }
  }

  override _read(): void {
    if (this.#socketPaused) {
      this.#socketPaused = false;
      this.#socket.resume();
    }
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.#send(
      chunks.map((c) => c.chunk),
      cb,
    );
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#send([chunk], cb);
  }

  /** One burst per write, padded once, as obfs4proxy's Write does. */
  #send(bufs: Buffer[], cb: (err?: Error | null) => void): void {
    let total = 0;
    for (const b of bufs) total += b.length;
    let burst: Uint8Array;
    try {
      burst = this.#encoder.burst(bufs, total, this.#lengthDist.sample());
    } catch (e) {
      cb(e as Error);
      return;
    }
    if (this.#socket.write(burst)) cb();
    else this.#socket.once('drain', () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#socket.end(() => cb());
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#socket.off('data', this.#onData);
    this.#socket.off('end', this.#onEnd);
    this.#socket.off('error', this.#onError);
    this.#socket.off('close', this.#onClose);
    this.#socket.destroy();
    cb(err);
  }
}

function badControl(what: string): FramingError {
  return new FramingError('ERR_PACKET_INVALID', `scramblesuit ${what} message of the wrong length`);
}
