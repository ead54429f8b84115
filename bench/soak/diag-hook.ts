/**
 * Preloaded into the steppe processes of the soak bench only (`node --expose-gc --import
 * <this file> bin/steppe`): steppe's own code carries no diagnostics for it. On SIGUSR2 it
 * collects garbage, then appends one JSON line to <TOR_PT_STATE_LOCATION>/soak-diag.jsonl with
 * the heap after that GC, the event-loop delay since the previous sample, and the live libuv
 * resources by type (a growing count of, say, Timeout names the leak). Nothing runs per
 * connection: the cost is one event-loop-delay timer and a handler that sleeps until signalled.
 */
import { appendFileSync, existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';

export const DIAG_FILE = 'soak-diag.jsonl';
/**
 * When this file exists in the state directory at a SIGUSR2, the hook also writes a heap snapshot
 * (soak-<seq>.heapsnapshot, after the GC) and removes the file: for hunting a leak by hand.
 */
export const SNAPSHOT_REQUEST = 'soak-heapsnapshot-request';

/** One line of soak-diag.jsonl. */
export interface DiagSample {
  readonly seq: number;
  /** Date.now() when taken. */
  readonly t: number;
  /** Whether gc() was available (the process was started with --expose-gc). */
  readonly gc: boolean;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly rss: number;
  /** Event-loop delay since the previous sample, ms (percentiles of a 10 ms-resolution timer). */
  readonly eldMeanMs: number;
  readonly eldP99Ms: number;
  readonly eldMaxMs: number;
  /** process.getActiveResourcesInfo() counted by type. */
  readonly resources: Record<string, number>;
}

const stateDir = process.env['TOR_PT_STATE_LOCATION'];
if (stateDir !== undefined && stateDir !== '') {
  const file = join(stateDir, DIAG_FILE);
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  let seq = 0;
  process.on('SIGUSR2', () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const m = process.memoryUsage();
    const resources: Record<string, number> = {};
    for (const r of process.getActiveResourcesInfo()) resources[r] = (resources[r] ?? 0) + 1;
    const sample: DiagSample = {
      seq: ++seq,
      t: Date.now(),
      gc: gc !== undefined,
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      rss: m.rss,
      eldMeanMs: eld.mean / 1e6,
      eldP99Ms: eld.percentile(99) / 1e6,
      eldMaxMs: eld.max / 1e6,
      resources,
    };
    eld.reset();
    const request = join(stateDir, SNAPSHOT_REQUEST);
    if (existsSync(request)) {
      unlinkSync(request);
      writeHeapSnapshot(join(stateDir, `soak-${sample.seq}.heapsnapshot`));
    }
    appendFileSync(file, JSON.stringify(sample) + '\n');
  });
}
