/**
 * The data phase of the byte-stream transports (obfs2, obfs3, b64, dummy) as a Node Duplex: each
 * application write goes through the codec's `encode` and out in one socket write, each socket
 * chunk through `decode` and up to the reader. The codecs are sans-IO; this file only moves
 * bytes, honours backpressure both ways and closes the socket the way the codec says.
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { FramingError, PtError } from '../errors.js';
import { endSocketThen } from './end-socket.js';

export interface StreamCodec {
  /** The wire bytes for one application write (may carry a one-time preamble). */
  encode(data: Uint8Array): Uint8Array;
  /** The application bytes in one received chunk. Throws PtError on input it must refuse. */
  decode(chunk: Uint8Array): Uint8Array;
  /**
   * After `decode` threw: true when the reference implementation would have closed with bytes
   * still unread in its socket buffer, which the kernel answers with a RST instead of a FIN.
   */
  resetOnFailure?(): boolean;
}

export interface CodecStreamParams {
  socket: Duplex;
  codec: StreamCodec;
  /** The transport's name, for error messages. */
  name: string;
  /** Bytes that arrived behind the handshake; they go through `decode` first. */
  initial?: Uint8Array;
}

export class CodecStream extends Duplex {
  readonly #socket: Duplex;
  readonly #codec: StreamCodec;
  readonly #name: string;
  #socketPaused = false;

  // Bound methods, not arrow fields (closures per connection): see net/resolvers.ts.
  readonly #onData = this.#receive.bind(this);
  readonly #onEnd = this.#socketEnd.bind(this);
  readonly #onError = this.#socketError.bind(this);
  readonly #onClose = this.#socketClose.bind(this);

  #socketEnd(): void {
    this.push(null);
  }

  #socketError(err: Error): void {
    this.destroy(
      new PtError('ERR_CLOSED', `${this.#name} connection failed: ${err.message}`, { cause: err }),
    );
  }

  #socketClose(): void {
    if (!this.destroyed) this.destroy();
  }

  constructor(p: CodecStreamParams) {
    // As Obfs4Stream: the stream decides when the socket's write side ends (after everything
    // written so far), so the socket itself is made half-open.
    const socketHalfOpen = (p.socket as { allowHalfOpen?: boolean }).allowHalfOpen ?? true;
    super({ allowHalfOpen: socketHalfOpen, decodeStrings: true });
    (p.socket as { allowHalfOpen?: boolean }).allowHalfOpen = true;
    this.#socket = p.socket;
    this.#codec = p.codec;
    this.#name = p.name;
    this.#socket.on('data', this.#onData);
    this.#socket.on('end', this.#onEnd);
    this.#socket.on('error', this.#onError);
    this.#socket.on('close', this.#onClose);
    if (p.initial !== undefined && p.initial.length > 0) this.#receive(p.initial);
    // A socket handed over paused (connectTcp returns them so) starts flowing here; from now on
    // only backpressure pauses it.
    if (!this.#socketPaused) this.#socket.resume();
  }

  /** The underlying socket, for addresses and socket options. */
  get socket(): Duplex {
    return this.#socket;
  }

  #receive(chunk: Uint8Array): void {
    if (this.destroyed) return;
    let plain: Uint8Array;
    try {
      plain = this.#codec.decode(chunk);
    } catch (e) {
      const err =
        e instanceof PtError ? e : new FramingError('ERR_FRAME_INVALID', String(e), { cause: e });
      if (this.#codec.resetOnFailure?.() === true) {
        (this.#socket as Partial<Socket>).resetAndDestroy?.();
      }
      this.destroy(err);
      return;
    }
    if (plain.length > 0 && !this.push(plain) && !this.#socketPaused) {
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

  #send(data: Uint8Array, cb: (err?: Error | null) => void): void {
    let wire: Uint8Array;
    try {
      wire = this.#codec.encode(data);
    } catch (e) {
      cb(e as Error);
      return;
    }
    if (this.#socket.write(wire)) cb();
    else this.#socket.once('drain', () => cb());
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#send(chunk, cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.#send(Buffer.concat(chunks.map((c) => c.chunk)), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    endSocketThen(this.#socket, cb);
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
