/**
 * Handshakes through both pairs at the same time. The alternating windows of the `handshake`
 * phase give each side the machine alone, but on a VM whose speed drifts 10–30 % within minutes
 * two consecutive windows see different machines, and a 2–5 % change in one PT's cost disappears
 * in that spread. Here both pairs run `handshakes()` in the same window (half the concurrency
 * each), so both see the same load and drift; which pair's workers start first alternates from
 * window to window, so that whatever starting first is worth falls on both (an A/A run without
 * the alternation showed none beyond the 4 % the method resolves). The rates are
 * not comparable with the alternating phase's (each pair gets about half the machine); the CPU
 * per connection is, and the per-window comparison is the result.
 */
import { handshakes, type HandshakeResult, type Target } from './load.js';
import type { Side } from './results.js';

export interface SideBySideOptions {
  readonly windows: number;
  readonly durationMs: number;
  /** Connections in flight through each pair. */
  readonly concurrency: number;
  readonly timeoutMs: number;
}

export type SideBySideWindow = Record<Side, HandshakeResult>;

export async function sideBySide(
  targets: Record<Side, Target>,
  o: SideBySideOptions,
): Promise<SideBySideWindow[]> {
  const out: SideBySideWindow[] = [];
  const run = (side: Side): Promise<HandshakeResult> => handshakes(targets[side], o);
  for (let w = 0; w < o.windows; w++) {
    // Promise.all starts its first element's workers first.
    if (w % 2 === 0) {
      const [A, B] = await Promise.all([run('A'), run('B')]);
      out.push({ A, B });
    } else {
      const [B, A] = await Promise.all([run('B'), run('A')]);
      out.push({ A, B });
    }
  }
  return out;
}

/** In how many windows side A's value was lower than side B's. */
export function windowsALower(
  windows: readonly SideBySideWindow[],
  value: (r: HandshakeResult) => number,
): number {
  return windows.filter((w) => value(w.A) < value(w.B)).length;
}
