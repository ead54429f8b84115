/**
 * The inter-arrival measurement: one bulk connection through a recording relay between the client
 * PT and the server PT, summarised as a histogram of the gaps between reads and of read sizes,
 * and compared between the two sides with the Kolmogorov–Smirnov distance.
 */
import { bulk, type Direction, type Target } from './load.js';
import { TimingRelay } from './relay.js';
import type { TimingCell, TimingSide } from './results.js';
import type { Sink } from './sink.js';
import type { Endpoint } from './socks.js';
import { histogram, ksDistance, median, percentile } from './stats.js';

/** Gap bins (ms): fine below 1 ms (iat-mode 0 lives there), then 1 ms up to obfs4's 10 ms cap. */
export const GAP_EDGES_MS = [0, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15];
/** Read-size bins (bytes): obfs4 frames are ≤ 1448 bytes on the wire. */
export const SIZE_EDGES = [0, 100, 200, 400, 600, 800, 1000, 1200, 1400, 1449, 2897, 8192, 65536];

/** Raw samples stay out of the JSON (they can be 10^5 long) but feed the KS comparison. */
const raw = new WeakMap<TimingSide, { gaps: number[]; sizes: number[] }>();

export class RelayTimer {
  private readonly relay: TimingRelay;

  constructor(bridge: Endpoint) {
    this.relay = new TimingRelay(bridge);
  }

  listen(): Promise<Endpoint> {
    return this.relay.listen();
  }

  get address(): Endpoint {
    return this.relay.address;
  }

  async measure(
    t: Target,
    sink: Sink,
    leg: Direction,
    chunk: Buffer,
    w: { warmupMs: number; measureMs: number },
  ): Promise<TimingSide> {
    this.relay.reset();
    const r = await bulk(t, sink, { ...w, dir: leg, conns: 1, chunk });
    if (r.error) throw new Error(r.error);
    const { gapsMs, sizes } = this.relay.gaps(leg === 'up' ? 0 : 1, r.windowMs[0], r.windowMs[1]);
    const side: TimingSide = {
      gaps: gapsMs.length,
      medianGapMs: median(gapsMs),
      p90GapMs: percentile(gapsMs, 90),
      p99GapMs: percentile(gapsMs, 99),
      medianReadBytes: median(sizes),
      mbps: r.mbps,
      gapHistogram: histogram(gapsMs, GAP_EDGES_MS),
      sizeHistogram: histogram(sizes, SIZE_EDGES),
    };
    raw.set(side, { gaps: gapsMs, sizes });
    return side;
  }

  close(): Promise<void> {
    return this.relay.close();
  }

  /** Fills in the KS distances of a cell whose A and B sides were both measured. */
  static compare(cell: TimingCell): void {
    const a = cell.A ? raw.get(cell.A) : undefined;
    const b = cell.B ? raw.get(cell.B) : undefined;
    if (!a || !b) return;
    cell.ksGap = ksDistance(a.gaps, b.gaps);
    cell.ksSize = ksDistance(a.sizes, b.sizes);
  }
}
