/**
 * A stream that waits for something else before relay() takes it over: an accepted tunnel
 * connection while the server connects to its forward target or to tor's ExtORPort, a SOCKS
 * client while the transport dials the bridge. In that window nothing else may be listening to
 * it, and an 'error' event with no listener kills the process: one client that resets its
 * connection at the right moment would take the whole bridge down.
 *
 * `holdPending` keeps an error listener on the stream for the window, and gives a signal that
 * aborts when the stream fails or closes (or the parent aborts), so that the work done on its
 * behalf (the connect, the dial) is cancelled instead of finishing for nobody.
 */
import type { Duplex } from 'node:stream';
import { PtError } from '../errors.js';
import { LightAbortController } from './light-abort.js';

export interface PendingStream {
  /** Aborts when the stream errors or closes before release(), or when the parent aborts. */
  readonly signal: AbortSignal;
  /**
   * Ends the window: removes the listeners. Returns why the stream is unusable (it failed or
   * closed meanwhile), or undefined when it can be relayed.
   */
  release(): Error | undefined;
}

export function holdPending(stream: Duplex, parent?: AbortSignal): PendingStream {
  return new Pending(stream, parent);
}

/** Bound listeners and a `handleEvent` for the parent, not closures (see resolvers.ts). */
class Pending implements PendingStream {
  readonly #controller = new LightAbortController();
  #gone: Error | undefined;
  readonly #onError = this.#error.bind(this);
  readonly #onClose = this.#close.bind(this);

  constructor(
    private readonly stream: Duplex,
    private readonly parent: AbortSignal | undefined,
  ) {
    stream.on('error', this.#onError);
    stream.once('close', this.#onClose);
    if (parent?.aborted === true) this.handleEvent();
    else parent?.addEventListener('abort', this, { once: true });
    if (stream.destroyed) this.#close();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  release(): Error | undefined {
    this.stream.off('error', this.#onError);
    this.stream.off('close', this.#onClose);
    this.parent?.removeEventListener('abort', this);
    return (
      this.#gone ??
      (this.stream.destroyed
        ? new PtError('ERR_CLOSED', 'the connection closed while waiting')
        : undefined)
    );
  }

  /** The parent's 'abort'. */
  handleEvent(): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(this.parent?.reason);
  }

  #fail(e: Error): void {
    this.#gone ??= e;
    if (!this.#controller.signal.aborted) this.#controller.abort(this.#gone);
  }

  #error(e: Error): void {
    this.#fail(
      new PtError('ERR_CLOSED', `the connection failed while waiting: ${e.message}`, { cause: e }),
    );
  }

  #close(): void {
    this.#fail(new PtError('ERR_CLOSED', 'the connection closed while waiting'));
  }
}
