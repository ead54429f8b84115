/**
 * Live counters of a standalone tunnel, read by the terminal status line and the Prometheus
 * metrics. Connection and byte counts come from the tunnel's own relay code; handshake results
 * come from the transports through `channels.handshake` (diagnostics_channel), filtered to the
 * tunnel's role. Bytes are the application's bytes (the plain side of the tunnel), counted while
 * a connection is open, so a single long OpenVPN connection shows progress too.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { channels, type HandshakeEvent } from '../diagnostics.js';

/** Something with Node's socket byte counters (a net.Socket). */
export interface ByteCounted {
  readonly bytesRead: number;
  readonly bytesWritten: number;
}

export interface StatsSnapshot {
  /** Relayed connections open now. */
  readonly active: number;
  /** Relayed connections opened since start. */
  readonly total: number;
  /** Application bytes towards the target (client app → server → target). */
  readonly bytesUp: number;
  /** Application bytes back (target → server → client app). */
  readonly bytesDown: number;
  readonly handshakesOk: number;
  readonly handshakesFailed: number;
  /** Failed handshakes by error code (ERR_HANDSHAKE_TIMEOUT, ...). */
  readonly handshakeFailures: ReadonlyMap<string, number>;
  /** Onward connections that failed (target or server unreachable, SOCKS request refused). */
  readonly connectFailures: number;
  /** Sum of successful handshake durations in seconds, and their count, for averages. */
  readonly handshakeSeconds: number;
  /**
   * Successful handshakes by duration: element i counts those that took at most
   * HANDSHAKE_BUCKETS[i] seconds and more than the bound before it (the last: more than all).
   */
  readonly handshakeBuckets: readonly number[];
  /** Successful handshakes by kind, for transports that have several (scramblesuit: uniformdh, ticket). */
  readonly handshakeKinds: ReadonlyMap<string, number>;
}

/** Upper bounds (seconds) of the handshake-duration histogram: LAN to a slow mobile link. */
export const HANDSHAKE_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/**
 * `up` says which counter of the socket is the upstream direction: 'read' for a socket facing
 * the application (the client's local socket), 'written' for one facing the target.
 */
export type Orientation = 'read' | 'written';

interface Tracked {
  readonly socket: ByteCounted;
  readonly up: Orientation;
  /** Counter values that are not the application's (an Extended ORPort exchange before it). */
  readonly readBefore: number;
  readonly writtenBefore: number;
}

export class TunnelStats {
  readonly role: 'client' | 'server';
  /** When set, only this transport's handshake events are counted (a process running several). */
  readonly transport: string | undefined;
  #total = 0;
  #closedUp = 0;
  #closedDown = 0;
  #ok = 0;
  #failed = 0;
  #hsSeconds = 0;
  #connectFailures = 0;
  readonly #failures = new Map<string, number>();
  readonly #kinds = new Map<string, number>();
  readonly #open = new Set<Tracked>();
  readonly #buckets: number[] = new Array<number>(HANDSHAKE_BUCKETS.length + 1).fill(0);
  readonly #onHandshake = (message: unknown): void => {
    const ev = message as HandshakeEvent;
    if (ev.role !== this.role) return;
    if (this.transport !== undefined && ev.transport !== this.transport) return;
    if (ev.ok) {
      this.#ok += 1;
      const seconds = ev.ms / 1000;
      this.#hsSeconds += seconds;
      const i = HANDSHAKE_BUCKETS.findIndex((le) => seconds <= le);
      const k = i === -1 ? HANDSHAKE_BUCKETS.length : i;
      this.#buckets[k] = (this.#buckets[k] ?? 0) + 1;
      if (ev.kind !== undefined) this.#kinds.set(ev.kind, (this.#kinds.get(ev.kind) ?? 0) + 1);
    } else {
      this.#failed += 1;
      const code = ev.code ?? 'unknown';
      this.#failures.set(code, (this.#failures.get(code) ?? 0) + 1);
    }
  };
  #subscribed = false;

  constructor(role: 'client' | 'server', transport?: string) {
    this.role = role;
    this.transport = transport;
  }

  /** Starts listening to handshake events. */
  start(): void {
    if (this.#subscribed) return;
    subscribe(channels.handshake.name, this.#onHandshake);
    this.#subscribed = true;
  }

  stop(): void {
    if (!this.#subscribed) return;
    unsubscribe(channels.handshake.name, this.#onHandshake);
    this.#subscribed = false;
  }

  /**
   * Counts a relayed connection from now until the returned function is called (once, when it
   * closes). Bytes are read from the socket's counters on demand, minus `before`: what the
   * socket carried before the application's bytes (default nothing).
   */
  open(
    socket: ByteCounted,
    up: Orientation,
    before: Partial<ByteCounted> = {},
  ): () => { up: number; down: number } {
    const t: Tracked = {
      socket,
      up,
      readBefore: before.bytesRead ?? 0,
      writtenBefore: before.bytesWritten ?? 0,
    };
    this.#open.add(t);
    this.#total += 1;
    let done = false;
    return () => {
      const bytes = bytesOf(t);
      if (!done) {
        done = true;
        this.#open.delete(t);
        this.#closedUp += bytes.up;
        this.#closedDown += bytes.down;
      }
      return bytes;
    };
  }

  connectFailed(): void {
    this.#connectFailures += 1;
  }

  snapshot(): StatsSnapshot {
    let up = this.#closedUp;
    let down = this.#closedDown;
    for (const t of this.#open) {
      const b = bytesOf(t);
      up += b.up;
      down += b.down;
    }
    return {
      active: this.#open.size,
      total: this.#total,
      bytesUp: up,
      bytesDown: down,
      handshakesOk: this.#ok,
      handshakesFailed: this.#failed,
      handshakeFailures: new Map(this.#failures),
      connectFailures: this.#connectFailures,
      handshakeSeconds: this.#hsSeconds,
      handshakeBuckets: [...this.#buckets],
      handshakeKinds: new Map(this.#kinds),
    };
  }
}

function bytesOf(t: Tracked): { up: number; down: number } {
  const r = t.socket.bytesRead - t.readBefore;
  const w = t.socket.bytesWritten - t.writtenBefore;
  return t.up === 'read' ? { up: r, down: w } : { up: w, down: r };
}

/** The sum of two snapshots (the workers of one server). */
export function addSnapshots(a: StatsSnapshot, b: StatsSnapshot): StatsSnapshot {
  return {
    active: a.active + b.active,
    total: a.total + b.total,
    bytesUp: a.bytesUp + b.bytesUp,
    bytesDown: a.bytesDown + b.bytesDown,
    handshakesOk: a.handshakesOk + b.handshakesOk,
    handshakesFailed: a.handshakesFailed + b.handshakesFailed,
    handshakeFailures: addCounts(a.handshakeFailures, b.handshakeFailures),
    connectFailures: a.connectFailures + b.connectFailures,
    handshakeSeconds: a.handshakeSeconds + b.handshakeSeconds,
    handshakeBuckets: a.handshakeBuckets.map((n, i) => n + (b.handshakeBuckets[i] ?? 0)),
    handshakeKinds: addCounts(a.handshakeKinds, b.handshakeKinds),
  };
}

function addCounts(
  a: ReadonlyMap<string, number>,
  b: ReadonlyMap<string, number>,
): Map<string, number> {
  const sum = new Map(a);
  for (const [key, n] of b) sum.set(key, (sum.get(key) ?? 0) + n);
  return sum;
}
