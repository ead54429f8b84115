/**
 * Per-connection signals under one long-lived one (process shutdown, a tunnel closing).
 *
 * Every connection's handshake, connect and relay listen for 'abort'. Passing the long-lived
 * signal itself gives it one listener per open connection: harmless while they are removed at
 * close, but Node warns past ten (MaxListenersExceededWarning under a few hundred connections)
 * and the count grows with load. A scope keeps exactly one listener on the parent and a set of
 * child controllers, one per connection, each dropped when its connection closes.
 */
import type { EventEmitter } from 'node:events';
import { LightAbortController } from './light-abort.js';

export interface ConnectionSignal {
  /** Aborted (with the parent's reason) when the parent aborts. */
  readonly signal: AbortSignal;
  /** Forgets the connection; idempotent. Called by itself on `closeWith`'s 'close'. */
  release(): void;
}

export class SignalScope {
  readonly #parent: AbortSignal;
  readonly #children = new Set<LightAbortController>();

  constructor(parent: AbortSignal) {
    this.#parent = parent;
    parent.addEventListener(
      'abort',
      () => {
        for (const c of this.#children) c.abort(parent.reason);
        this.#children.clear();
      },
      { once: true },
    );
  }

  /** Connections open in the scope (for tests and diagnostics). */
  get size(): number {
    return this.#children.size;
  }

  /** A signal for one connection, released when `closeWith` emits 'close' (or by hand). */
  open(closeWith?: Pick<EventEmitter, 'once'>): ConnectionSignal {
    const c = new LightAbortController();
    if (this.#parent.aborted) {
      c.abort(this.#parent.reason);
      return { signal: c.signal, release: () => {} };
    }
    this.#children.add(c);
    const member = new ScopeMember(this.#children, c);
    closeWith?.once('close', member.release);
    return member;
  }
}

/** One connection's place in a scope; `release` is bound, not a closure (see resolvers.ts). */
class ScopeMember implements ConnectionSignal {
  readonly release = this.#release.bind(this);

  constructor(
    private readonly children: Set<LightAbortController>,
    private readonly controller: LightAbortController,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  #release(): void {
    this.children.delete(this.controller);
  }
}
