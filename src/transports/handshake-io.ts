/**
 * The socket side of every transport's handshake, shared so that each transport fails, times out
 * and closes the same way:
 *
 * - `readUntil` feeds socket bytes into a sans-IO step until it yields, with the transport's spec
 *   timeout, EOF, socket errors and caller cancellation all turned into one rejection;
 * - `closeAfterDelay` is the probe-resistance close of a server whose handshake failed.
 */
import type { Duplex } from 'node:stream';
import { AbortError, HandshakeError } from '../errors.js';
import { withResolvers } from '../net/resolvers.js';

/**
 * Reads from `socket` into `step` until it returns a result; rejects on timeout, EOF, socket
 * error or abort. `step` receives each chunk and returns the result, null for "more", or throws.
 * Listeners are removed and the socket is paused before the promise settles, so the caller owns
 * it again and nothing is read until it resumes it: a Duplex that is not a net.Socket (TLS, a
 * user's own stream) may emit its next 'data' in the same tick, before the data-phase stream
 * has a listener on it, and those bytes would be lost.
 * @param what names the handshake in messages: "obfs4 server handshake".
 */
export function readUntil<T>(
  socket: Duplex,
  step: (chunk: Uint8Array) => T | null,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  what: string,
): Promise<T> {
  return new HandshakeRead(socket, step, timeoutMs, signal, what).done;
}

/**
 * One `readUntil`. Its listeners are bound methods, the timer's callback a shared function with
 * the read as its argument and the signal's listener the object itself: no closures per
 * handshake (see net/resolvers.ts).
 */
class HandshakeRead<T> {
  readonly #r = withResolvers<T>();
  readonly #timer: NodeJS.Timeout;
  readonly #onData = this.#data.bind(this);
  readonly #onEnd = this.#end.bind(this);
  readonly #onError = this.#error.bind(this);

  constructor(
    private readonly socket: Duplex,
    private readonly step: (chunk: Uint8Array) => T | null,
    private readonly timeoutMs: number,
    private readonly signal: AbortSignal | undefined,
    private readonly what: string,
  ) {
    this.#timer = setTimeout(onHandshakeTimeout, timeoutMs, this);
    if (signal?.aborted) {
      this.handleEvent();
      return;
    }
    signal?.addEventListener('abort', this, { once: true });
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onEnd);
    socket.resume();
  }

  get done(): Promise<T> {
    return this.#r.promise;
  }

  #cleanup(): void {
    const socket = this.socket;
    socket.pause();
    clearTimeout(this.#timer);
    socket.off('data', this.#onData);
    socket.off('end', this.#onEnd);
    socket.off('error', this.#onError);
    socket.off('close', this.#onEnd);
    this.signal?.removeEventListener('abort', this);
  }

  fail(e: Error): void {
    this.#cleanup();
    this.#r.reject(e);
  }

  #data(chunk: Buffer): void {
    let r: T | null;
    try {
      r = this.step(chunk);
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    if (r !== null) {
      this.#cleanup();
      this.#r.resolve(r);
    }
  }

  #end(): void {
    this.fail(new HandshakeError('ERR_HANDSHAKE_EOF', `connection closed during the ${this.what}`));
  }

  #error(e: Error): void {
    this.fail(
      new HandshakeError(
        'ERR_HANDSHAKE_EOF',
        `connection failed during the ${this.what}: ${e.message}`,
        { cause: e },
      ),
    );
  }

  /** The signal's 'abort'. */
  handleEvent(): void {
    this.fail(new AbortError(`${this.what} aborted`, { cause: this.signal?.reason }));
  }

  timedOut(): void {
    this.fail(
      new HandshakeError(
        'ERR_HANDSHAKE_TIMEOUT',
        `${this.what} timed out after ${this.timeoutMs / 1000} s`,
      ),
    );
  }
}

function onHandshakeTimeout(read: { timedOut(): void }): void {
  read.timedOut();
}

/**
 * What obfs4proxy does with a connection whose server handshake failed, for whatever reason:
 * never send a byte, read and discard until the deadline *or the peer's EOF or error*, then
 * close. Draining keeps the close a FIN rather than an RST, and one deadline for every failure
 * leaves a prober nothing to compare. A peer that has already half-closed (the handshake failed
 * on its EOF) is closed at once, as Go's io.Copy to Discard returns at EOF: waiting for the
 * deadline there would both differ from the reference and hold the socket in CLOSE_WAIT.
 */
export function closeAfterDelay(socket: Duplex, deadline: number): void {
  socket.on('error', () => {
    /* the peer vanished: nothing to say and nobody to say it to */
  });
  const remaining = deadline - Date.now();
  if (remaining <= 0 || socket.destroyed || socket.readableEnded) {
    socket.destroy();
    return;
  }
  const close = (): void => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(close, remaining);
  // Pending probe closes must not keep a shutting-down process alive.
  timer.unref();
  socket.on('data', () => {});
  socket.once('end', close);
  socket.once('close', () => clearTimeout(timer));
  socket.resume();
}
