/**
 * When a managed proxy stops (pt-spec §3.4 and obfs4proxy's termmon):
 *
 * - SIGTERM, stdin closed (only with TOR_PT_EXIT_ON_STDIN_CLOSE=1), or the parent gone: stop
 *   now, closing listeners and every open connection.
 * - first SIGINT: stop accepting, let open connections finish, exit when the last one closes;
 *   a second SIGINT (or a SIGTERM) stops now.
 *
 * Without TOR_PT_EXIT_ON_STDIN_CLOSE the parent is watched instead (Linux has no
 * PR_SET_PDEATHSIG from Node, so its pid is polled, as obfs4proxy does off Linux).
 */
import { readFileSync } from 'node:fs';
import type { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { SignalScope } from '../net/scope.js';

/** Something that stops accepting when closed: a Listener from net/listen. */
export interface Closable {
  close(): Promise<void>;
}

/** A connection to count and, at shutdown, destroy. */
export interface Trackable {
  destroy(): void;
  /** Calls the listener with the connection as `this`, as an EventEmitter does. */
  once(event: 'close', listener: (this: Trackable) => void): unknown;
  readonly destroyed: boolean;
}

export interface LifecycleOptions {
  /** TOR_PT_EXIT_ON_STDIN_CLOSE=1: a closed stdin means "exit". */
  readonly exitOnStdinClose: boolean;
  /** Called exactly once, when the process should end (production: flush logs, process.exit). */
  readonly onExit: (reason: string) => void;
  /** Log hook for state changes (scrubbed logger in production). */
  readonly onEvent?: (message: string) => void;
  /** Defaults to process.stdin. */
  readonly stdin?: Readable;
  /** Emits 'SIGINT'/'SIGTERM'; defaults to process. */
  readonly signals?: EventEmitter;
  /** Watch the parent process when stdin close is not the signal. Default: !exitOnStdinClose. */
  readonly watchParent?: boolean;
  /** Parent poll interval, default 1000 ms. */
  readonly parentPollMs?: number;
  /** Returns the current parent pid; defaults to reading /proc/self/stat. */
  readonly getParentPid?: () => number | null;
}

/** Reads the live parent pid (process.ppid is fixed at startup in Node). */
export function currentParentPid(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'latin1');
    // Field 4, after the parenthesised command name (which may contain spaces).
    const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(after[1]);
    return Number.isInteger(ppid) ? ppid : null;
  } catch {
    return null;
  }
}

export class Lifecycle {
  readonly #opts: LifecycleOptions;
  readonly #abort = new AbortController();
  /** One signal per connection under `signal`, so that it keeps a single listener. */
  readonly connections = new SignalScope(this.#abort.signal);
  readonly #listeners = new Set<Closable>();
  readonly #conns = new Set<Trackable>();
  readonly #cleanups: Array<() => void> = [];
  #draining = false;
  #exited = false;

  constructor(opts: LifecycleOptions) {
    this.#opts = opts;
  }

  /** Aborted when the process stops now: relays and handshakes in flight give up. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** True after the first SIGINT: new connections must be refused. */
  get draining(): boolean {
    return this.#draining || this.#exited;
  }

  get openConnections(): number {
    return this.#conns.size;
  }

  /** Installs the signal, stdin and parent watchers. Call as early as possible. */
  start(): void {
    const signals: EventEmitter = this.#opts.signals ?? process;
    const onTerm = (): void => this.stopNow('SIGTERM');
    const onInt = (): void => {
      if (this.#draining) this.stopNow('second SIGINT');
      else this.drain('SIGINT');
    };
    signals.on('SIGTERM', onTerm);
    signals.on('SIGINT', onInt);
    this.#cleanups.push(() => {
      signals.off('SIGTERM', onTerm);
      signals.off('SIGINT', onInt);
    });

    if (this.#opts.exitOnStdinClose) {
      const stdin = this.#opts.stdin ?? process.stdin;
      const onGone = (): void => this.stopNow('stdin closed');
      const drop = (): void => undefined;
      stdin.on('data', drop); // read and discard whatever tor writes
      stdin.once('end', onGone);
      stdin.once('close', onGone);
      stdin.once('error', onGone);
      stdin.resume();
      this.#cleanups.push(() => {
        stdin.off('data', drop);
        stdin.off('end', onGone);
        stdin.off('close', onGone);
        stdin.off('error', onGone);
        stdin.pause();
      });
    }

    if (this.#opts.watchParent ?? !this.#opts.exitOnStdinClose) {
      const getPpid = this.#opts.getParentPid ?? currentParentPid;
      const initial = getPpid();
      if (initial !== null) {
        const timer = setInterval(() => {
          const now = getPpid();
          if (now !== null && now !== initial) this.stopNow(`parent process ${initial} is gone`);
        }, this.#opts.parentPollMs ?? 1000);
        timer.unref();
        this.#cleanups.push(() => clearInterval(timer));
      }
    }
  }

  /** A listener to close on SIGINT or shutdown. Closed at once if already draining. */
  addListener(l: Closable): void {
    if (this.draining) {
      void l.close();
      return;
    }
    this.#listeners.add(l);
  }

  /**
   * Counts a connection until it closes. Returns false (and destroys it) if the process is
   * draining or stopping.
   */
  track(conn: Trackable): boolean {
    if (this.draining) {
      conn.destroy();
      return false;
    }
    this.#conns.add(conn);
    conn.once('close', this.#onConnClose);
    return true;
  }

  /**
   * One listener for every tracked connection's 'close' (an emitter calls it with the
   * connection as `this`): a closure per connection would be recompiled after every full GC
   * (see net/resolvers.ts).
   */
  readonly #onConnClose = ((lifecycle: Lifecycle) =>
    function (this: Trackable): void {
      lifecycle.#untrack(this);
    })(this);

  #untrack(conn: Trackable): void {
    this.#conns.delete(conn);
    if (this.#draining && this.#conns.size === 0)
      this.stopNow('all connections closed after SIGINT');
  }

  /** First SIGINT: stop accepting and wait for open connections. */
  drain(reason: string): void {
    if (this.#draining || this.#exited) return;
    this.#draining = true;
    this.#opts.onEvent?.(
      `${reason}: closing listeners, waiting for ${this.#conns.size} connection(s) to finish`,
    );
    const closing = [...this.#listeners].map((l) => l.close());
    this.#listeners.clear();
    void Promise.allSettled(closing).then(() => {
      if (this.#conns.size === 0) this.stopNow(`${reason} with no open connections`);
    });
  }

  /** Stops everything now and calls onExit once. */
  stopNow(reason: string): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#opts.onEvent?.(`terminating: ${reason}`);
    for (const c of this.#cleanups.splice(0)) c();
    for (const l of this.#listeners) void l.close();
    this.#listeners.clear();
    this.#abort.abort(new Error(`shutting down: ${reason}`));
    for (const c of this.#conns) c.destroy();
    this.#conns.clear();
    this.#opts.onExit(reason);
  }

  /** Removes the watchers without exiting (tests). */
  dispose(): void {
    for (const c of this.#cleanups.splice(0)) c();
  }
}
