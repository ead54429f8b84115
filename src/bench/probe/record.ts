import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/**
 * Wraps a connected socket so that the first bytes a client handshake writes can be kept: the
 * prober's own legitimate session, recorded for the replay probes R1–R5 without a relay in
 * between (the bench's middlebox only relays on loopback; a bridge being probed may be remote).
 */
export class RecordingDuplex extends Duplex {
  readonly #s: Socket;
  first: Buffer | undefined;

  constructor(socket: Socket) {
    super();
    this.#s = socket;
    socket.on('data', (d: Buffer) => {
      if (!this.push(d)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (e) => this.destroy(e));
    socket.on('close', () => this.destroy());
  }

  override _read(): void {
    this.#s.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.first === undefined) this.first = Buffer.from(chunk);
    this.#s.write(chunk, cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.#s.end(cb);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.#s.destroy();
    cb(err);
  }
}
