/**
 * A cheaper AbortController for the signals steppe makes per connection (the connection's scope
 * signal, deadlines, the wait of a pending stream). Node 20's AbortController costs ~3-5 µs to
 * make its signal (measured: `new AbortController().signal` 3.2-5 µs against 0.08 µs for a bare
 * EventTarget), and a connection makes four or five of them on each side.
 *
 * The signal is an EventTarget with `aborted`, `reason` and `throwIfAborted()`, which is all that
 * steppe's code and Node's own signal options (net.connect's `signal`, events.addAbortListener,
 * which check `aborted` and listen for 'abort') use. It is not a real AbortSignal: it cannot be
 * given to `AbortSignal.any()` (that reads Node's internal slots) or be transferred to a worker.
 * abort() dispatches 'abort' once, with the same default reason as AbortController's.
 */
class LightAbortSignal extends EventTarget {
  #aborted = false;
  #reason: unknown = undefined;
  /**
   * 'abort' listeners, kept here rather than in EventTarget: Node's add/removeEventListener
   * validate options and keep a linked list with weak-reference bookkeeping, ≈ 1 µs a call, and
   * a connection adds and removes about eight (≈ 1 % of a busy obfs4 client in a profile).
   * Listeners with a `signal` option and other event types go to EventTarget as before.
   */
  #abortListeners: (Listener | null)[] = [];
  #delegated = false;

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  throwIfAborted(): void {
    if (this.#aborted) throw this.#reason;
  }

  override addEventListener(type: string, listener: Listener, options?: AddOptions): void {
    const opts = typeof options === 'object' ? options : undefined;
    if (type !== 'abort' || opts?.signal !== undefined) {
      this.#delegated = true;
      super.addEventListener(type, listener, options);
      return;
    }
    // As EventTarget: the same listener twice is one registration. `once` needs no record: the
    // one dispatch there is drops every listener.
    if (this.#find(listener) !== -1) return;
    this.#abortListeners.push(listener);
  }

  override removeEventListener(type: string, listener: Listener, options?: RemoveOptions): void {
    if (type === 'abort') {
      const i = this.#find(listener);
      if (i !== -1) {
        // Aborted means dispatching (the list is emptied after it): a listener removed by an
        // earlier one is skipped, as EventTarget skips it.
        if (this.#aborted) this.#abortListeners[i] = null;
        else this.#abortListeners.splice(i, 1);
        return;
      }
    }
    if (this.#delegated) super.removeEventListener(type, listener, options);
  }

  #find(listener: Listener): number {
    const list = this.#abortListeners;
    for (let i = 0; i < list.length; i++) if (list[i] === listener) return i;
    return -1;
  }

  /** Called by the controller only. */
  abortWith(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    const event = new Event('abort');
    const list = this.#abortListeners;
    // Listeners added during the dispatch are not called by it, as with EventTarget.
    const n = list.length;
    for (let i = 0; i < n; i++) {
      const listener = list[i];
      if (listener === null || listener === undefined) continue;
      list[i] = null;
      try {
        if (typeof listener === 'function') listener.call(this, event);
        else listener.handleEvent(event);
      } catch (err) {
        // As EventTarget: a throwing listener does not stop the others; the error surfaces as
        // an uncaught exception.
        process.nextTick(rethrow, err);
      }
    }
    this.#abortListeners = [];
    if (this.#delegated) this.dispatchEvent(event);
  }

  get [Symbol.toStringTag](): string {
    return 'AbortSignal';
  }
}

type Listener = NonNullable<Parameters<EventTarget['addEventListener']>[1]>;
type AddOptions = Parameters<EventTarget['addEventListener']>[2];
type RemoveOptions = Parameters<EventTarget['removeEventListener']>[2];

function rethrow(err: unknown): never {
  throw err;
}

export class LightAbortController {
  readonly #signal = new LightAbortSignal();

  /** Typed as AbortSignal for the code that takes one; see the module comment for the limits. */
  get signal(): AbortSignal {
    return this.#signal as unknown as AbortSignal;
  }

  abort(reason?: unknown): void {
    this.#signal.abortWith(
      reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason,
    );
  }
}
