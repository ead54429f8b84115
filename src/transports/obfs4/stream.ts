/**
 * The obfs4 data phase as a Node Duplex: application bytes in, frames out, over the socket the
 * handshake ran on. All protocol work is done by the sans-IO framing and packet code; this file
 * only moves bytes, honours backpressure both ways and schedules iat-mode writes.
 */
import { Duplex } from 'node:stream';
import { FramingError, PtError } from '../../errors.js';
import { ByteQueue } from '../byte-queue.js';
import { endSocketThen } from '../end-socket.js';
import {
  IAT_NONE,
  IAT_PARANOID,
  MAX_FRAME_PAYLOAD_LENGTH,
  MAX_SEGMENT_LENGTH,
  PACKET_TYPE_PAYLOAD,
  PACKET_TYPE_PRNG_SEED,
  SEED_PACKET_PAYLOAD_LENGTH,
  type IatMode,
} from './constants.js';
import type { FrameDecoder } from './framing.js';
import { dataFramesLength, paddingPlan, parsePacket, type PacketWriter } from './packet.js';
import type { Distributions } from './distributions.js';

export interface Obfs4StreamParams {
  socket: Duplex;
  writer: PacketWriter;
  decoder: FrameDecoder;
  isServer: boolean;
  iatMode: IatMode;
  dists: Distributions;
  /** Bytes that arrived behind the handshake; they are data-phase frames. */
  initial?: Uint8Array;
}

/**
 * One frame's plaintext, shared by all streams: #receive decodes into it and copies each payload
 * out before the next frame, all synchronously. Per stream it was an ArrayBuffer of its own.
 */
const framePlain = new Uint8Array(MAX_FRAME_PAYLOAD_LENGTH);

export class Obfs4Stream extends Duplex {
  readonly #socket: Duplex;
  readonly #writer: PacketWriter;
  readonly #decoder: FrameDecoder;
  readonly #isServer: boolean;
  readonly #iatMode: IatMode;
  readonly #dists: Distributions;
  readonly #queue = new ByteQueue();
  #socketPaused = false;
  #timer: NodeJS.Timeout | null = null;
  /** When the next iat-mode segment may go out (ms, performance.now() clock). */
  #nextWriteAt = 0;
  /** True while the bytes that came with the handshake are decoded (see #adoptSeed). */
  #inHandshakeBytes = false;
  #pendingSeed: Uint8Array | null = null;

  // The socket's listeners: bound methods, not arrow fields, which would be closures made per
  // connection and recompiled after every full GC (see net/resolvers.ts).
  readonly #onData = this.#socketData.bind(this);
  readonly #onEnd = this.#socketEnd.bind(this);
  readonly #onError = this.#socketError.bind(this);
  readonly #onClose = this.#socketClose.bind(this);

  #socketData(chunk: Buffer): void {
    if (this.#pendingSeed !== null) {
      this.#dists.adoptSeed(this.#pendingSeed);
      this.#pendingSeed = null;
    }
    this.#receive(chunk);
  }

  #socketEnd(): void {
    this.push(null);
  }

  #socketError(err: Error): void {
    this.destroy(
      new PtError('ERR_CLOSED', `obfs4 connection failed: ${err.message}`, { cause: err }),
    );
  }

  #socketClose(): void {
    // The socket went away underneath us; a clean end was already signalled by 'end'.
    if (!this.destroyed) this.destroy();
  }

  constructor(p: Obfs4StreamParams) {
    // The stream takes over half-close handling from the socket. A socket that was not
    // half-open (net.Server's default) would otherwise end its write side the moment the peer's
    // FIN arrives, cutting off frames still scheduled by iat-mode; the stream instead ends its
    // writable side itself, after everything written so far has gone out.
    const socketHalfOpen = (p.socket as { allowHalfOpen?: boolean }).allowHalfOpen ?? true;
    super({ allowHalfOpen: socketHalfOpen, decodeStrings: true });
    (p.socket as { allowHalfOpen?: boolean }).allowHalfOpen = true;
    this.#socket = p.socket;
    this.#writer = p.writer;
    this.#decoder = p.decoder;
    this.#isServer = p.isServer;
    this.#iatMode = p.iatMode;
    this.#dists = p.dists;
    this.#socket.on('data', this.#onData);
    this.#socket.on('end', this.#onEnd);
    this.#socket.on('error', this.#onError);
    this.#socket.on('close', this.#onClose);
    if (p.initial !== undefined && p.initial.length > 0) {
      this.#inHandshakeBytes = true;
      this.#receive(p.initial);
      this.#inHandshakeBytes = false;
    }
    // The handshake hands the socket over paused; from now on only backpressure pauses it.
    if (!this.#socketPaused) this.#socket.resume();
  }

  /** The underlying socket, for addresses and socket options. */
  get socket(): Duplex {
    return this.#socket;
  }

  // ------------------------------------------------------------------ read side

  #receive(chunk: Uint8Array): void {
    if (this.destroyed) return;
    this.#queue.push(chunk);
    // Payloads of all complete frames in this chunk go out in one push: at most the chunk's
    // size, since frames only shrink when decrypted.
    const out = Buffer.allocUnsafe(this.#queue.length);
    let filled = 0;
    try {
      for (;;) {
        const n = this.#decoder.decodeInto(this.#queue, framePlain);
        if (n < 0) break;
        const pkt = parsePacket(framePlain.subarray(0, n));
        if (pkt.type === PACKET_TYPE_PAYLOAD) {
          out.set(pkt.payload, filled);
          filled += pkt.payload.length;
        } else if (pkt.type === PACKET_TYPE_PRNG_SEED) {
          // Only the client adopts the server's seed, and only a well-formed one.
          if (!this.#isServer && pkt.payload.length === SEED_PACKET_PAYLOAD_LENGTH) {
            // obfs4proxy's client decodes the seed frame that arrived with the handshake only
            // on its first read after it, so a burst written before the server's next bytes
            // still uses the client's own random table. Doing the same keeps that first burst
            // shaped like a reference client's.
            if (this.#inHandshakeBytes) this.#pendingSeed = pkt.payload.slice();
            else this.#dists.adoptSeed(pkt.payload.slice());
          }
        }
        // Unknown packet types are authenticated and ignored, as the reference does.
      }
    } catch (e) {
      this.destroy(
        e instanceof PtError ? e : new FramingError('ERR_FRAME_INVALID', String(e), { cause: e }),
      );
      return;
    }
    if (filled > 0 && !this.push(out.subarray(0, filled)) && !this.#socketPaused) {
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

  // ------------------------------------------------------------------ write side

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    const bufs = chunks.map((c) => c.chunk);
    this.#send(bufs, cb);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#send([chunk], cb);
  }

  #send(bufs: Buffer[], cb: (err?: Error | null) => void): void {
    let total = 0;
    for (const b of bufs) total += b.length;
    try {
      if (this.#iatMode === IAT_PARANOID) {
        // Paranoid: no per-burst padding; each write is cut to a freshly sampled length.
        const frames = this.#writer.burst(bufs, total, []);
        this.#writeParanoid(frames, 0, cb);
        return;
      }
      // One padding decision per burst, as obfs4proxy pads once per Write.
      const plan = paddingPlan(dataFramesLength(total), this.#dists.length.sample());
      const burst = this.#writer.burst(bufs, total, plan);
      if (this.#iatMode === IAT_NONE) {
        this.#writeAll(burst, cb);
      } else {
        this.#writeSegments(burst, 0, cb);
      }
    } catch (e) {
      cb(e as Error);
    }
  }

  #writeAll(buf: Uint8Array, cb: (err?: Error | null) => void): void {
    if (this.#socket.write(buf)) cb();
    else this.#socket.once('drain', () => cb());
  }

  /** The delay before the next segment in iat modes 1 and 2: 0–10 ms in 100 µs steps. */
  #scheduleNext(fn: () => void): void {
    const now = performance.now();
    // Delays are accumulated against a running deadline rather than slept one by one: Node's
    // timers have millisecond granularity, so this keeps the sampled inter-write times faithful
    // on average instead of rounding every sub-millisecond delay up to a whole millisecond.
    this.#nextWriteAt = Math.max(this.#nextWriteAt, now) + this.#dists.iat!.sample() / 10;
    const wait = this.#nextWriteAt - now;
    if (wait < 1) setImmediate(fn);
    else this.#timer = setTimeout(fn, wait);
  }

  /** iat-mode 1: MSS-sized segments of the padded burst, each followed by a sampled delay. */
  #writeSegments(burst: Uint8Array, offset: number, cb: (err?: Error | null) => void): void {
    if (this.destroyed) return cb(new PtError('ERR_CLOSED', 'obfs4 stream destroyed'));
    if (offset >= burst.length) return cb();
    const end = Math.min(offset + MAX_SEGMENT_LENGTH, burst.length);
    const next = (): void => this.#scheduleNext(() => this.#writeSegments(burst, end, cb));
    if (this.#socket.write(burst.subarray(offset, end))) next();
    else this.#socket.once('drain', next);
  }

  /**
   * iat-mode 2, as obfs4proxy: sample a target length; when fewer bytes are pending, pad up to it
   * (resampling if padding cannot hit it exactly); write exactly `target` bytes; sleep.
   */
  #writeParanoid(pending: Uint8Array, offset: number, cb: (err?: Error | null) => void): void {
    if (this.destroyed) return cb(new PtError('ERR_CLOSED', 'obfs4 stream destroyed'));
    if (offset >= pending.length) return cb();
    let buf = pending;
    let target = 0;
    // Bounded: each round either finds a usable target or appends padding; 64 rounds without a
    // usable sample would mean a broken distribution.
    for (let round = 0; round < 64; round++) {
      target = this.#dists.length.sample();
      // A zero target with data pending makes the reference panic ("iat length was 0"); steppe
      // draws again instead.
      if (target === 0) continue;
      const left = buf.length - offset;
      if (left >= target) break;
      const plan = paddingPlan(left, target);
      const padding = this.#writer.burst([], 0, plan);
      buf = Buffer.concat([buf.subarray(offset), padding]);
      offset = 0;
      if (buf.length === target) break;
      target = 0;
    }
    if (target === 0) return cb(new Error('BUG: iat-mode 2 found no usable write length'));
    const end = offset + target;
    const next = (): void => this.#scheduleNext(() => this.#writeParanoid(buf, end, cb));
    if (this.#socket.write(buf.subarray(offset, end))) next();
    else this.#socket.once('drain', next);
  }

  override _final(cb: (err?: Error | null) => void): void {
    endSocketThen(this.#socket, cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#socket.off('data', this.#onData);
    this.#socket.off('end', this.#onEnd);
    this.#socket.off('error', this.#onError);
    this.#socket.off('close', this.#onClose);
    this.#socket.destroy();
    cb(err);
  }
}
