/**
 * The data phase of every proxied connection: copy bytes both ways between two Duplex streams
 * (obfs4proxy's copyLoop). Backpressure is real: when one side's write buffer is full, the other
 * side stops being read until 'drain'. End of stream is forwarded as a half-close (`end()`), and
 * the relay finishes when both directions have ended; the first error or premature close on
 * either side tears both down at once.
 */
import type { Duplex } from 'node:stream';
import { withResolvers } from './resolvers.js';

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
  const r = withResolvers<RelayResult>();
  new Relay(a, b, opts.halfClose ?? true, r.resolve).start(opts.signal);
  return r.promise;
}

/**
 * One relay's state. Its listeners are bound methods and the signal's listener is the object
 * itself (`handleEvent`), not closures: see resolvers.ts for why per-connection code avoids them.
 */
class Relay {
  aToB = 0;
  bToA = 0;
  settled = false;
  #firstError: Error | undefined;
  #directionsDone = 0;
  #signal: AbortSignal | undefined;
  readonly #pumps: readonly [Pump, Pump];
  readonly #watches: readonly [Watch, Watch];
  readonly directionDone = this.#directionDone.bind(this);

  constructor(
    readonly a: Duplex,
    readonly b: Duplex,
    readonly halfClose: boolean,
    private readonly resolve: (r: RelayResult) => void,
  ) {
    this.#pumps = [new Pump(this, a, b, true), new Pump(this, b, a, false)];
    this.#watches = [new Watch(this, a), new Watch(this, b)];
  }

  start(signal: AbortSignal | undefined): void {
    if (signal !== undefined) {
      if (signal.aborted) {
        this.finish(new Error('relay aborted'));
        return;
      }
      this.#signal = signal;
      signal.addEventListener('abort', this, { once: true });
    }
    if (this.a.destroyed || this.b.destroyed) {
      this.finish(new Error('a stream was already closed when the relay started'));
      return;
    }
    for (const w of this.#watches) w.start();
    for (const p of this.#pumps) p.start();
  }

  /** The signal's 'abort'. */
  handleEvent(): void {
    this.finish(new Error('relay aborted'));
  }

  finish(err?: Error): void {
    if (this.settled) return;
    this.settled = true;
    if (err !== undefined) this.#firstError = err;
    this.#signal?.removeEventListener('abort', this);
    for (const w of this.#watches) w.stop();
    for (const p of this.#pumps) p.stop();
    this.a.destroy();
    this.b.destroy();
    const { aToB, bToA } = this;
    const error = this.#firstError;
    this.resolve(error === undefined ? { aToB, bToA } : { aToB, bToA, error });
  }

  #directionDone(): void {
    this.#directionsDone += 1;
    if (this.#directionsDone === 2) this.finish();
  }
}

/** One direction: src's data written to dst, with backpressure, and src's EOF passed on. */
class Pump {
  #ended = false;
  #flushesPending = 2;
  readonly #onData = this.#data.bind(this);
  readonly #onDrain = this.#drain.bind(this);
  readonly #onEnd = this.#end.bind(this);
  readonly #onFlushed = this.#flushed.bind(this);

  constructor(
    private readonly relay: Relay,
    private readonly src: Duplex,
    private readonly dst: Duplex,
    private readonly forward: boolean,
  ) {}

  start(): void {
    this.src.on('data', this.#onData);
    this.src.on('end', this.#onEnd);
    if (this.src.readableEnded) this.#end();
    else this.src.resume();
  }

  stop(): void {
    this.src.off('data', this.#onData);
    this.src.off('end', this.#onEnd);
    this.dst.off('drain', this.#onDrain);
  }

  #data(chunk: Buffer | string): void {
    if (this.forward) this.relay.aToB += chunk.length;
    else this.relay.bToA += chunk.length;
    if (!this.dst.write(chunk)) {
      this.src.pause();
      this.dst.once('drain', this.#onDrain);
    }
  }

  #drain(): void {
    if (!this.relay.settled) this.src.resume();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (!this.relay.halfClose) {
      // obfs4proxy semantics: one EOF ends the whole connection, after flushing what is queued.
      endWritable(this.dst, this.#onFlushed);
      endWritable(this.src, this.#onFlushed);
      return;
    }
    endWritable(this.dst, this.relay.directionDone);
  }

  #flushed(): void {
    this.#flushesPending -= 1;
    if (this.#flushesPending === 0) this.relay.finish();
  }
}

/** A stream's 'error' and 'close': either ends the relay. */
class Watch {
  readonly #onError = this.#error.bind(this);
  readonly #onClose = this.#close.bind(this);

  constructor(
    private readonly relay: Relay,
    private readonly s: Duplex,
  ) {}

  start(): void {
    this.s.on('error', this.#onError);
    this.s.on('close', this.#onClose);
  }

  stop(): void {
    this.s.off('close', this.#onClose);
    // Keep a no-op error listener: a late error after teardown must not crash the process.
    this.s.off('error', this.#onError);
    this.s.on('error', ignore);
  }

  #error(err: Error): void {
    this.relay.finish(err);
  }

  #close(): void {
    if (this.relay.settled) return;
    // A socket without allowHalfOpen closes by itself after its peer's FIN: that is a clean
    // end of both directions. Any other close (destroy, reset) is premature: tear down.
    if (this.s.readableEnded && this.s.writableFinished) this.relay.finish();
    else this.relay.finish(new Error('connection closed before the relay finished'));
  }
}

/**
 * Calls `cb` once `s` has flushed everything and finished, ending it if nobody has. `end(cb)`
 * and the 'finish' event each call it at most once; neither fires if the stream fails first,
 * and then the 'error' or 'close' watch ends the relay instead.
 */
function endWritable(s: Duplex, cb: () => void): void {
  if (s.writableFinished) cb();
  else if (s.writableEnded) s.once('finish', cb);
  else s.end(cb);
}

function ignore(): void {
  // deliberately empty
}
