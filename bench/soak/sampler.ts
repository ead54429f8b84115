/**
 * Samples one PT process: RSS and CPU from /proc (the same reading for Go and Node), open file
 * descriptors from /proc/<pid>/fd, and for steppe the heap after a forced GC, the event-loop delay
 * and the live libuv resources, written by diag-hook.ts when it receives SIGUSR2.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSeconds, rssKiB } from '../perf/proc.js';
import type { PtProcess } from '../perf/pt-pair.js';
import { DIAG_FILE, type DiagSample } from './diag-hook.js';

export interface ProcSample {
  /** Seconds since the load started (negative: before it). */
  readonly t: number;
  readonly phase: 'baseline' | 'load' | 'drain';
  readonly rssKiB: number;
  readonly fds: number;
  readonly cpuS: number;
  /** steppe only: V8 heap in use right after a full GC, KiB. */
  readonly heapKiB?: number;
  /** steppe only: what V8 has reserved for its heap (the young generation grows under load). */
  readonly heapTotalKiB?: number;
  /** steppe only: memory of Buffers and other off-heap allocations V8 tracks, KiB. */
  readonly externalKiB?: number;
  readonly eldP99Ms?: number;
  readonly eldMaxMs?: number;
  readonly resources?: Record<string, number>;
}

/** Open file descriptors of `pid`, or NaN if it is gone. */
export function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}

export class ProcSampler {
  readonly samples: ProcSample[] = [];
  private seen = 0;

  constructor(
    readonly name: string,
    readonly proc: PtProcess,
    /** Whether the process runs diag-hook.ts (steppe). */
    readonly diag: boolean,
  ) {}

  private readDiag(): DiagSample[] {
    const file = join(this.proc.stateDir, DIAG_FILE);
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as DiagSample);
  }

  /** Asks the hook for a sample and waits for it (up to 3 s; a busy process may be slow). */
  private async diagSample(): Promise<DiagSample | undefined> {
    if (!this.diag || !this.proc.alive) return undefined;
    try {
      process.kill(this.proc.pid, 'SIGUSR2');
    } catch {
      return undefined;
    }
    for (let i = 0; i < 60; i++) {
      await sleep(50);
      const all = this.readDiag();
      if (all.length > this.seen) {
        this.seen = all.length;
        return all[all.length - 1];
      }
    }
    return undefined;
  }

  async sample(t: number, phase: ProcSample['phase']): Promise<ProcSample> {
    const pid = this.proc.pid;
    const d = await this.diagSample();
    const s: ProcSample = {
      t,
      phase,
      rssKiB: rssKiB(pid),
      fds: openFds(pid),
      cpuS: cpuSeconds(pid),
      ...(d
        ? {
            heapKiB: d.heapUsed / 1024,
            heapTotalKiB: d.heapTotal / 1024,
            externalKiB: d.external / 1024,
            eldP99Ms: d.eldP99Ms,
            eldMaxMs: d.eldMaxMs,
            resources: d.resources,
          }
        : {}),
    };
    this.samples.push(s);
    return s;
  }
}
