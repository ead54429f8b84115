/**
 * Per-operation deadlines: a signal that aborts when a parent signal aborts or a time limit
 * passes, whichever comes first.
 *
 * This is what `AbortSignal.any([parent, AbortSignal.timeout(ms)])` expresses, but that pair
 * costs ~25 µs in Node 20 (weak references, a finalization registry, a dependent set on the
 * long-lived parent that only GC clears), and steppe needs one or two per connection. A light
 * controller (light-abort.ts), an unref'd timer and one listener cost ~1 µs and are released
 * at once by dispose(). The timeout reason is a DOMException named "TimeoutError", as
 * AbortSignal.timeout's is, so callers tell timeouts from cancellations the same way.
 */
import { LightAbortController } from './light-abort.js';

export interface Deadline {
  readonly signal: AbortSignal;
  /** Stops the timer and detaches from the parent; the signal stays as it is. Idempotent. */
  dispose(): void;
}

export function deadline(ms: number, parent?: AbortSignal): Deadline {
  return new TimedDeadline(ms, parent);
}

/**
 * The timer and the parent's listener are shared functions (the timer's callback gets the
 * deadline as its argument, the parent calls `handleEvent`), not closures: see resolvers.ts.
 */
class TimedDeadline implements Deadline {
  readonly #controller = new LightAbortController();
  readonly #parent: AbortSignal | undefined;
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(ms: number, parent: AbortSignal | undefined) {
    if (parent?.aborted === true) {
      this.#controller.abort(parent.reason);
      return;
    }
    this.#parent = parent;
    this.#timer = setTimeout(onTimeout, ms, this);
    this.#timer.unref();
    parent?.addEventListener('abort', this, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#parent?.removeEventListener('abort', this);
  }

  /** The parent's 'abort'. */
  handleEvent(): void {
    clearTimeout(this.#timer);
    this.#controller.abort(this.#parent?.reason);
  }

  timedOut(): void {
    this.#parent?.removeEventListener('abort', this);
    this.#controller.abort(
      new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
    );
  }
}

function onTimeout(d: TimedDeadline): void {
  d.timedOut();
}
