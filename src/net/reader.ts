/**
 * Drives sans-IO parsers over a stream during a handshake (SOCKS, upstream proxies, ExtORPort).
 * Bytes arrive in arbitrary chunks; a parser looks at everything buffered so far and either
 * returns a message and how many bytes it consumed, or null for "need more bytes". Once the
 * handshake is over, `release()` hands unconsumed bytes back to the stream (`unshift`) so that
 * the data phase sees them first.
 */
import type { Duplex } from 'node:stream';
import { PtError, type PtErrorCode } from '../errors.js';
import { withResolvers, type Resolvers } from './resolvers.js';

/** A sans-IO parse step: null means "need more bytes". It may throw a PtError. */
export type ParseStep<T> = (buf: Uint8Array) => { value: T; consumed: number } | null;

export interface ReadStepOptions {
  /** Cancels the wait; a timeout is an AbortSignal.timeout() combined in by the caller. */
  readonly signal?: AbortSignal;
  /** Used in error messages: "while reading <what>". */
  readonly what: string;
}

/**
 * Reads handshake messages from a stream. The stream only flows while a read is pending, so a
 * peer cannot make us buffer more than `maxBuffered` bytes.
 */
export class ByteReader {
  readonly #stream: Duplex;
  readonly #code: PtErrorCode;
  readonly #maxBuffered: number;
  #buf: Buffer = Buffer.alloc(0);
  #ended = false;
  #failure: Error | null = null;
  #wake: (() => void) | null = null;
  #released = false;

  // Bound methods, not arrow fields (closures per connection): see resolvers.ts.
  readonly #onData = this.#streamData.bind(this);
  readonly #onEnd = this.#streamEnd.bind(this);
  readonly #onError = this.#streamError.bind(this);

  #streamData(chunk: Buffer | string): void {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.#buf = this.#buf.length === 0 ? b : Buffer.concat([this.#buf, b]);
    this.#notify();
  }

  /** 'end' and 'close' alike. */
  #streamEnd(): void {
    this.#ended = true;
    this.#notify();
  }

  #streamError(err: Error): void {
    this.#failure ??= err;
    this.#notify();
  }

  /**
   * @param code the PtError code for failures (ERR_SOCKS, ERR_PROXY, ERR_EXTORPORT, ...)
   * @param maxBuffered bound on unconsumed bytes; exceeding it is a protocol error
   */
  constructor(stream: Duplex, code: PtErrorCode, maxBuffered = 64 * 1024) {
    this.#stream = stream;
    this.#code = code;
    this.#maxBuffered = maxBuffered;
    stream.on('data', this.#onData);
    stream.on('end', this.#onEnd);
    stream.on('error', this.#onError);
    stream.on('close', this.#onEnd);
    stream.pause();
  }

  /** Bytes received and not consumed yet. */
  get buffered(): number {
    return this.#buf.length;
  }

  /**
   * Waits until `parse` yields a message.
   * @throws PtError(code) on EOF, stream error, abort/timeout, oversize input, or whatever
   *   PtError the parser throws (all fatal for the handshake).
   */
  async read<T>(parse: ParseStep<T>, opts: ReadStepOptions): Promise<T> {
    if (this.#released) throw new TypeError('ByteReader used after release()');
    const { signal } = opts;
    // Bounded: every iteration either returns, throws, or waits for a new event (data, end,
    // error, abort), and the buffer bound caps how many data events can arrive.
    for (;;) {
      const r = parse(this.#buf);
      if (r !== null) {
        if (r.consumed < 0 || r.consumed > this.#buf.length) {
          throw new RangeError(`parser consumed ${r.consumed} of ${this.#buf.length} bytes`);
        }
        this.#buf = this.#buf.subarray(r.consumed);
        this.#stream.pause();
        return r.value;
      }
      if (this.#failure !== null) {
        throw new PtError(
          this.#code,
          `connection failed while reading ${opts.what}: ${this.#failure.message}`,
          {
            cause: this.#failure,
          },
        );
      }
      if (this.#ended) {
        throw new PtError(this.#code, `connection closed while reading ${opts.what}`);
      }
      if (this.#buf.length > this.#maxBuffered) {
        throw new PtError(this.#code, `${opts.what} is longer than ${this.#maxBuffered} bytes`);
      }
      if (signal?.aborted === true) throw this.#abortError(signal, opts.what);
      await this.#waitForEvent(signal);
    }
  }

  #abortError(signal: AbortSignal, what: string): PtError {
    const reason: unknown = signal.reason;
    const timedOut = reason instanceof Error && reason.name === 'TimeoutError';
    return new PtError(
      timedOut ? this.#code : 'ERR_ABORTED',
      timedOut ? `timed out waiting for ${what}` : `aborted while waiting for ${what}`,
      { cause: reason },
    );
  }

  #waitForEvent(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        signal?.removeEventListener('abort', done);
        this.#wake = null;
        resolve();
      };
      this.#wake = done;
      signal?.addEventListener('abort', done, { once: true });
      this.#stream.resume();
    });
  }

  #notify(): void {
    const w = this.#wake;
    if (w !== null) {
      this.#stream.pause();
      w();
    }
  }

  /**
   * Stops reading and returns the stream to its owner paused, with unconsumed bytes pushed back
   * (unshift) so that the next reader sees them first. If the peer already closed its side (so
   * nothing can be pushed back), the unconsumed bytes are returned instead and the caller must
   * forward them itself; otherwise the result is empty.
   */
  release(): Buffer {
    if (this.#released) return Buffer.alloc(0);
    this.#released = true;
    const s = this.#stream;
    s.off('data', this.#onData);
    s.off('end', this.#onEnd);
    s.off('error', this.#onError);
    s.off('close', this.#onEnd);
    s.pause();
    const rest = this.#buf;
    this.#buf = Buffer.alloc(0);
    if (rest.length === 0 || s.destroyed) return Buffer.alloc(0);
    if (s.readableEnded) return rest;
    s.unshift(rest);
    return Buffer.alloc(0);
  }
}

/** Writes bytes and resolves once they are handed to the kernel (or the stream's buffer drains). */
export function writeAll(stream: Duplex, data: Uint8Array): Promise<void> {
  if (stream.destroyed || stream.writableEnded)
    return Promise.reject(new PtError('ERR_CLOSED', 'cannot write: the connection is closed'));
  const r = withResolvers<void>();
  try {
    // A bound shared function, not a closure per write (see resolvers.ts). A short Uint8Array
    // (a SOCKS reply) is copied into a pooled Buffer: the stream would wrap it through its
    // `.buffer`, which moves a small array off V8's heap first (~1 µs; see crypto/sodium.ts).
    const chunk = data.length <= 64 && !Buffer.isBuffer(data) ? Buffer.from(data) : data;
    stream.write(chunk, settleWrite.bind(r));
  } catch (e) {
    r.reject(e);
  }
  return r.promise;
}

function settleWrite(this: Resolvers<void>, err?: Error | null): void {
  if (err) this.reject(err);
  else this.resolve();
}
