/**
 * `npm run bench:soak`: a steppe client+server pair and an obfs4proxy pair, both managed-mode PTs
 * on loopback, under the same mixed load (workload.ts) at the same time for a set duration. Every
 * interval it samples each process's RSS, open fds and (steppe) heap after GC and event-loop
 * delay; then it closes every bench socket and samples the drain. It reports the series and their
 * least-squares slopes per hour (markdown on stdout; JSON, markdown and SVG in bench-results/).
 * What matters is what grows: memory and fd slopes, not speed. See bench/soak/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { runBench } from '../perf/entry.js';
import { killAllPts, obfs4proxyImpl, PtPair, steppeImpl, type Impl } from '../perf/pt-pair.js';
import { Sink } from '../perf/sink.js';
import { parseSoakConfig, type SoakConfig } from './config.js';
import { ProcSampler, type ProcSample } from './sampler.js';
import {
  renderSoakMarkdown,
  soakSvg,
  summarize,
  type PairLoad,
  type SeriesReport,
  type SoakReport,
} from './report.js';
import { Workload } from './workload.js';

const started = performance.now();

function progress(msg: string): void {
  const t = ((performance.now() - started) / 1000).toFixed(1).padStart(7);
  process.stderr.write(`[${t}s] ${msg}\n`);
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One side of the run: its pair, its load, and a sampler per process. */
interface Side {
  readonly impl: string;
  readonly pair: PtPair;
  readonly workload: Workload;
  readonly samplers: ProcSampler[];
  readonly live: PairLoad['live'][number][];
  crashed?: string;
}

async function startSide(
  impl: Impl,
  diag: boolean,
  cfg: SoakConfig,
  sink: Sink,
  serverState: string | undefined,
): Promise<Side> {
  const pair = await PtPair.start({
    client: impl,
    server: impl,
    iatMode: cfg.iatMode,
    orPort: sink.address,
    ...(serverState !== undefined ? { serverState } : {}),
  });
  return {
    impl: impl.name,
    pair,
    workload: new Workload(pair, cfg),
    samplers: [
      new ProcSampler(`${impl.name} server`, pair.server, diag),
      new ProcSampler(`${impl.name} client`, pair.client, diag),
    ],
    live: [],
  };
}

async function sampleAll(
  sides: readonly Side[],
  t: number,
  phase: ProcSample['phase'],
): Promise<void> {
  await Promise.all(
    sides.map(async (side) => {
      if (!side.crashed && !side.pair.alive) {
        side.crashed = side.pair.deathReason();
        progress(`${side.impl}: ${side.crashed}; its load stops, its series end here`);
        void side.workload.stop();
      }
      if (side.crashed) return;
      await Promise.all(side.samplers.map((s) => s.sample(t, phase)));
      side.live.push({ t, ...side.workload.live() });
    }),
  );
  const line = sides
    .flatMap((s) =>
      s.samplers.map((p) => {
        const x = p.samples[p.samples.length - 1];
        if (!x) return `${p.name} –`;
        const heap = x.heapKiB !== undefined ? ` heap ${(x.heapKiB / 1024).toFixed(1)}M` : '';
        return `${p.name} ${(x.rssKiB / 1024).toFixed(1)}M${heap} ${x.fds}fd`;
      }),
    )
    .join(' | ');
  progress(`${phase} t=${t.toFixed(0)}s: ${line}`);
}

async function main(): Promise<number> {
  const cfg = parseSoakConfig(process.argv.slice(2));
  const budgetMs = cfg.durationMs + cfg.drainMs + 5 * 60_000;
  const watchdog = setTimeout(() => {
    progress(`watchdog: the run exceeded ${budgetMs / 1000} s; stopping the PTs`);
    killAllPts();
    process.exit(2);
  }, budgetMs);
  watchdog.unref();

  const sink = new Sink(Buffer.alloc(64 * 1024));
  await sink.listen();
  const hook = fileURLToPath(new URL('./diag-hook.js', import.meta.url));
  const notes: string[] = [];
  const sides: Side[] = [];
  // obfs4proxy first: its bridge identity is handed to steppe's server, so that both close
  // garbage and slowloris connections after the same per-bridge delay (it comes from the seed).
  let serverState: string | undefined;
  for (const [impl, diag] of [
    [obfs4proxyImpl(), false],
    [steppeImpl(['--expose-gc', '--import', hook]), true],
  ] as const) {
    try {
      const side = await startSide(impl, diag, cfg, sink, serverState);
      serverState ??= side.pair.serverStateJson();
      sides.unshift(side);
    } catch (err) {
      notes.push(`${impl.name} did not start: ${errText(err).split('\n')[0]}`);
      progress(notes[notes.length - 1] ?? '');
    }
  }
  if (sides.length === 0) {
    await sink.close();
    process.stderr.write('bench:soak: no pair started\n');
    return 1;
  }
  progress(
    `pairs up: ${sides.map((s) => `${s.impl} (server ${s.pair.server.pid}, client ${s.pair.client.pid})`).join(', ')}`,
  );

  await sleep(1000);
  await sampleAll(sides, 0, 'baseline');
  const t0 = performance.now();
  const now = (): number => (performance.now() - t0) / 1000;
  for (const s of sides) s.workload.start();
  for (let next = cfg.intervalMs; next <= cfg.durationMs; next += cfg.intervalMs) {
    const wait = t0 + next - performance.now();
    if (wait > 0) await sleep(wait);
    await sampleAll(sides, now(), 'load');
  }
  const loadS = now();
  progress('load stops; every bench socket closed; draining');
  await Promise.all(sides.map((s) => s.workload.stop()));
  const drainEnd = performance.now() + cfg.drainMs;
  while (performance.now() < drainEnd) {
    await sleep(Math.min(cfg.intervalMs, Math.max(0, drainEnd - performance.now())));
    await sampleAll(sides, now(), 'drain');
  }

  const series: SeriesReport[] = sides.flatMap((side) =>
    side.samplers.map((p) => ({
      name: p.name,
      impl: side.impl,
      role: p.proc.role,
      pid: p.proc.pid,
      samples: p.samples,
      ...(side.crashed ? { crashed: side.crashed } : {}),
    })),
  );
  const load: PairLoad[] = sides.map((s) => ({
    impl: s.impl,
    counts: s.workload.counts,
    live: s.live,
  }));
  await Promise.all(sides.map((s) => s.pair.stop()));
  await sink.close();

  notes.push(
    'Other agents shared the 2 cores during the run: event-loop delay and CPU are noisy; memory and fd slopes are what this bench is for.',
  );
  const report: SoakReport = {
    meta: {
      date: new Date().toISOString(),
      command: cfg.command,
      cpu: cpus()[0]?.model ?? 'unknown CPU',
      cores: cpus().length,
      node: process.version,
      kernel: release(),
      durationS: cfg.durationMs / 1000,
      intervalS: cfg.intervalMs / 1000,
      drainS: cfg.drainMs / 1000,
      iatMode: cfg.iatMode,
      rates: {
        'churn conn/s': cfg.churnPerSec,
        'idle conns': cfg.idle,
        'idle replaced/s': cfg.idleTurnoverPerSec,
        'bulk MiB echoed each': cfg.bulkBytes / 2 ** 20,
        'bulk pause s': cfg.bulkPauseMs / 1000,
        'garbage probes/s': cfg.probesPerSec,
        'slowloris conns': cfg.slowloris,
      },
      loadAvg: loadavg(),
    },
    series,
    load,
    summary: summarize(series, loadS),
    notes,
  };
  const md = renderSoakMarkdown(report);
  process.stdout.write(md);
  mkdirSync(cfg.outDir, { recursive: true });
  const stamp = report.meta.date.replace(/[:.]/g, '-');
  writeFileSync(join(cfg.outDir, 'soak-latest.json'), JSON.stringify(report, null, 1));
  writeFileSync(join(cfg.outDir, `soak-${stamp}.json`), JSON.stringify(report, null, 1));
  writeFileSync(join(cfg.outDir, 'soak-latest.md'), md);
  writeFileSync(join(cfg.outDir, 'soak-latest.svg'), soakSvg(report));
  progress(`wrote ${join(cfg.outDir, 'soak-latest.{json,md,svg}')}`);
  return sides.length === 2 ? 0 : 1;
}

runBench('bench:soak', main);
