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
  const controller = new LightAbortController();
  let gone: Error | undefined;
  const fail = (e: Error): void => {
    gone ??= e;
    if (!controller.signal.aborted) controller.abort(gone);
  };
  const onError = (e: Error): void =>
    fail(
      new PtError('ERR_CLOSED', `the connection failed while waiting: ${e.message}`, { cause: e }),
    );
  const onClose = (): void =>
    fail(new PtError('ERR_CLOSED', 'the connection closed while waiting'));
  const onParentAbort = (): void => {
    if (!controller.signal.aborted) controller.abort(parent?.reason);
  };
  stream.on('error', onError);
  stream.once('close', onClose);
  if (parent?.aborted === true) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  if (stream.destroyed) onClose();
  return {
    signal: controller.signal,
    release: () => {
      stream.off('error', onError);
      stream.off('close', onClose);
      parent?.removeEventListener('abort', onParentAbort);
      return (
        gone ??
        (stream.destroyed
          ? new PtError('ERR_CLOSED', 'the connection closed while waiting')
          : undefined)
      );
    },
  };
}
