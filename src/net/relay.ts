/**
 * The data phase of every proxied connection: copy bytes both ways between two Duplex streams
 * (obfs4proxy's copyLoop). Backpressure is real: when one side's write buffer is full, the other
 * side stops being read until 'drain'. End of stream is forwarded as a half-close (`end()`), and
 * the relay finishes when both directions have ended; the first error or premature close on
 * either side tears both down at once.
 */
import type { Duplex } from 'node:stream';

export interface RelayOptions {
  /** Destroys both streams when aborted (process shutdown). */
  readonly signal?: AbortSignal;
  /**
   * true (default): an EOF in one direction is forwarded with `end()` and the other direction
   * keeps flowing until it ends too. false: the first EOF ends both directions, as obfs4proxy does.
   */
  readonly halfClose?: boolean;
}

export interface RelayResult {
  /** Bytes read from `a` and written to `b`. */
  readonly aToB: number;
  /** Bytes read from `b` and written to `a`. */
  readonly bToA: number;
  /** The first error that ended the relay, if any (a clean EOF both ways leaves it undefined). */
  readonly error?: Error;
}

/**
 * Relays until both directions end or one side fails; never rejects. Both streams are destroyed
 * when it resolves.
 */
export function relay(a: Duplex, b: Duplex, opts: RelayOptions = {}): Promise<RelayResult> {
  const halfClose = opts.halfClose ?? true;
  return new Promise<RelayResult>((resolve) => {
    let aToB = 0;
    let bToA = 0;
    let firstError: Error | undefined;
    let settled = false;
    const cleanups: Array<() => void> = [];

    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      if (err !== undefined) firstError = err;
      for (const c of cleanups) c();
      a.destroy();
      b.destroy();
      resolve(firstError === undefined ? { aToB, bToA } : { aToB, bToA, error: firstError });
    };

    let directionsDone = 0;
    const directionDone = (): void => {
      directionsDone += 1;
      if (directionsDone === 2) finish();
    };

    const pump = (src: Duplex, dst: Duplex, count: (n: number) => void): void => {
      let ended = false;
      const onData = (chunk: Buffer | string): void => {
        count(chunk.length);
        if (!dst.write(chunk)) {
          src.pause();
          dst.once('drain', onDrain);
        }
      };
      const onDrain = (): void => {
        if (!settled) src.resume();
      };
      const onEnd = (): void => {
        if (ended) return;
        ended = true;
        if (!halfClose) {
          // obfs4proxy semantics: one EOF ends the whole connection, after flushing what is queued.
          let pending = 2;
          const flushed = (): void => {
            pending -= 1;
            if (pending === 0) finish();
          };
          endWritable(dst, flushed);
          endWritable(src, flushed);
          return;
        }
        endWritable(dst, directionDone);
      };
      src.on('data', onData);
      src.on('end', onEnd);
      cleanups.push(() => {
        src.off('data', onData);
        src.off('end', onEnd);
        dst.off('drain', onDrain);
      });
      if (src.readableEnded) onEnd();
      else src.resume();
    };

    const watch = (s: Duplex): void => {
      const onError = (err: Error): void => finish(err);
      const onClose = (): void => {
        if (settled) return;
        // A socket without allowHalfOpen closes by itself after its peer's FIN: that is a clean
        // end of both directions. Any other close (destroy, reset) is premature: tear down.
        if (s.readableEnded && s.writableFinished) finish();
        else finish(new Error('connection closed before the relay finished'));
      };
      s.on('error', onError);
      s.on('close', onClose);
      cleanups.push(() => {
        s.off('close', onClose);
        // Keep a no-op error listener: a late error after teardown must not crash the process.
        s.off('error', onError);
        s.on('error', ignore);
      });
    };

    if (opts.signal !== undefined) {
      const signal = opts.signal;
      const onAbort = (): void => finish(new Error('relay aborted'));
      if (signal.aborted) {
        finish(new Error('relay aborted'));
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      cleanups.push(() => signal.removeEventListener('abort', onAbort));
    }

    if (a.destroyed || b.destroyed) {
      finish(new Error('a stream was already closed when the relay started'));
      return;
    }
    watch(a);
    watch(b);
    pump(a, b, (n) => (aToB += n));
    pump(b, a, (n) => (bToA += n));
  });
}

function endWritable(s: Duplex, cb: () => void): void {
  if (s.writableFinished) {
    cb();
    return;
  }
  let called = false;
  const once = (): void => {
    if (!called) {
      called = true;
      cb();
    }
  };
  if (s.writableEnded) s.once('finish', once);
  else s.end(once);
}

function ignore(): void {
  // deliberately empty
}
