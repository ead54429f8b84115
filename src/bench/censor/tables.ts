import type { Clock } from './clock.js';

/** One entry of a censor's table, with where it came from (shown in the evidence). */
export interface TableEntry {
  readonly key: string;
  /** Clock time after which the entry no longer applies; Infinity for static entries. */
  readonly expiresAt: number;
  readonly addedBy: string;
  readonly reason: string;
}

/**
 * A keyed table whose entries expire. The residual table (GFW: the 3-tuple blocked for 180 s after
 * a fully-encrypted flow) and the endpoint blocklist (static lists, or endpoints a prober
 * confirmed) are both this shape; only their keys differ.
 */
export class ExpiringTable {
  readonly #clock: Clock;
  readonly #entries = new Map<string, TableEntry>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Adds or extends an entry; `ttlMs` is model time (scaled by the clock). */
  add(key: string, ttlMs: number, addedBy: string, reason: string): TableEntry {
    const expiresAt = ttlMs === Infinity ? Infinity : this.#clock.now() + this.#clock.scaled(ttlMs);
    const old = this.#entries.get(key);
    const entry: TableEntry = {
      key,
      expiresAt: old && old.expiresAt > expiresAt ? old.expiresAt : expiresAt,
      addedBy,
      reason,
    };
    this.#entries.set(key, entry);
    return entry;
  }

  /** The live entry for `key`, dropping it if it has expired. */
  get(key: string): TableEntry | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt <= this.#clock.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Live entries (expired ones are purged on the way). */
  entries(): TableEntry[] {
    return [...this.#entries.keys()].flatMap((k) => {
      const e = this.get(k);
      return e ? [e] : [];
    });
  }
}

/** Residual blocks keyed by a flow tuple. */
export class ResidualTable extends ExpiringTable {
  /** The key for a flow under a 3-tuple (client IP, server IP, server port) or 2-tuple policy. */
  static key(tuple: 2 | 3, clientIp: string, serverIp: string, serverPort: number): string {
    return tuple === 3 ? `${clientIp}|${serverIp}|${serverPort}` : `${clientIp}|${serverIp}`;
  }
}

/** Blocked server endpoints, keyed "ip" or "ip:port". */
export class Blocklist extends ExpiringTable {
  static endpointKey(ip: string, port?: number): string {
    if (port === undefined) return ip;
    return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
  }

  /** The entry that blocks (ip, port): an exact ip:port entry first, then a whole-ip entry. */
  lookup(ip: string, port: number): TableEntry | undefined {
    return this.get(Blocklist.endpointKey(ip, port)) ?? this.get(Blocklist.endpointKey(ip));
  }
}
