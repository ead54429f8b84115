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
  const controller = new LightAbortController();
  if (parent?.aborted === true) {
    controller.abort(parent.reason);
    return { signal: controller.signal, dispose: () => {} };
  }
  const onParentAbort = (): void => {
    clearTimeout(timer);
    controller.abort(parent?.reason);
  };
  const timer = setTimeout(() => {
    parent?.removeEventListener('abort', onParentAbort);
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, ms);
  timer.unref();
  parent?.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}
