import { addSnapshots, TunnelStats, type StatsSnapshot } from './stats.js';

export type Role = 'client' | 'server';

/**
 * The TunnelStats of every transport one process runs (standalone: one; managed: one per
 * transport tor asked for), created on first use. The metrics read whatever is in it at scrape
 * time, so transports launched after the metrics server started are served too.
 */
export class StatsBook {
  readonly role: Role;
  readonly #byTransport = new Map<string, TunnelStats>();
  #remote: (() => Promise<Array<[string, StatsSnapshot]>>) | null = null;

  constructor(role: Role) {
    this.role = role;
  }

  /** A book holding one existing TunnelStats (standalone mode). */
  static of(transport: string, stats: TunnelStats): StatsBook {
    const book = new StatsBook(stats.role);
    book.#byTransport.set(transport, stats);
    return book;
  }

  /** This transport's stats, started (listening to handshake events) on first use. */
  for(transport: string): TunnelStats {
    let stats = this.#byTransport.get(transport);
    if (stats === undefined) {
      stats = new TunnelStats(this.role, transport);
      stats.start();
      this.#byTransport.set(transport, stats);
    }
    return stats;
  }

  entries(): Array<[string, TunnelStats]> {
    return [...this.#byTransport];
  }

  /** Adds another source of snapshots (a primary's workers) to what snapshots() returns. */
  setRemote(read: () => Promise<Array<[string, StatsSnapshot]>>): void {
    this.#remote = read;
  }

  /** One snapshot per transport, this process's and the remote source's added up. */
  async snapshots(): Promise<Array<[string, StatsSnapshot]>> {
    const sums = new Map<string, StatsSnapshot>();
    const add = (name: string, s: StatsSnapshot): void => {
      const prev = sums.get(name);
      sums.set(name, prev === undefined ? s : addSnapshots(prev, s));
    };
    for (const [name, stats] of this.#byTransport) add(name, stats.snapshot());
    for (const [name, s] of (await this.#remote?.()) ?? []) add(name, s);
    return [...sums];
  }

  stop(): void {
    for (const stats of this.#byTransport.values()) stats.stop();
  }
}
