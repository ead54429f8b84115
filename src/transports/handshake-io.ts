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
  return new Promise<T>((resolve, reject) => {
    const cleanup = (): void => {
      socket.pause();
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      socket.off('close', onEnd);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const onData = (chunk: Buffer): void => {
      let r: T | null;
      try {
        r = step(chunk);
      } catch (e) {
        fail(e as Error);
        return;
      }
      if (r !== null) {
        cleanup();
        resolve(r);
      }
    };
    const onEnd = (): void =>
      fail(new HandshakeError('ERR_HANDSHAKE_EOF', `connection closed during the ${what}`));
    const onError = (e: Error): void =>
      fail(
        new HandshakeError(
          'ERR_HANDSHAKE_EOF',
          `connection failed during the ${what}: ${e.message}`,
          {
            cause: e,
          },
        ),
      );
    const onAbort = (): void => fail(new AbortError(`${what} aborted`, { cause: signal?.reason }));
    const timer = setTimeout(
      () =>
        fail(
          new HandshakeError(
            'ERR_HANDSHAKE_TIMEOUT',
            `${what} timed out after ${timeoutMs / 1000} s`,
          ),
        ),
      timeoutMs,
    );
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onEnd);
    socket.resume();
  });
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
