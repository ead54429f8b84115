/**
 * `npm run bench:perf`: steppe's obfs4 pair against obfs4proxy's, both as managed-mode PTs on
 * loopback, measured in the same run, A/B alternating, reported as medians and A/B ratios
 * (markdown on stdout; JSON, markdown and SVG in bench-results/). See bench/perf/README.md.
 */
import { mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomFillSync } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConfig, type Config } from './config.js';
import {
  bulk,
  directTarget,
  handshakes,
  openIdle,
  otherLoad,
  type Direction,
  type HandshakeResult,
  type IdleSet,
  type Target,
} from './load.js';
import { runBench } from './entry.js';
import {
  freePort,
  killAllPts,
  obfs4proxyImpl,
  PtPair,
  type Impl,
  type PairTransport,
  type WebtunnelSetup,
} from './pt-pair.js';
import { makeBenchTls, startTlsFront, tlsPipeTarget, type TlsFront } from './tls-front.js';
import { summarizeProfiles } from './profile.js';
import { RelayTimer } from './timing.js';
import { haveStrace, traceSyscalls } from './syscalls.js';
import { sideBySide, windowsALower, type SideBySideWindow } from './side-by-side.js';
import {
  MetricSet,
  type CeilingRow,
  type MixedRow,
  type SyscallRow,
  type Report,
  type Side,
  type TimingCell,
} from './results.js';
import { renderMarkdown } from './report.js';
import { describeImpl } from './versions.js';
import { cpuDetail } from './cpu-info.js';
import { VERSION } from '../../src/version.js';
import { median, percentile } from './stats.js';
import { Sink } from './sink.js';
import type { Endpoint } from './socks.js';
import { metricsSvg, timingSvg } from './svg.js';

const started = performance.now();
const notes: string[] = [];
/** Cores used by other processes during each measurement window (noise indicator). */
const otherLoads: Record<Side, number[]> = { A: [], B: [] };

function progress(msg: string): void {
  const t = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${t}s] ${msg}\n`);
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const ARROW: Record<Direction, string> = { up: 'client→server', down: 'server→client' };

/**
 * One side's PT pair for one iat-mode, restarted if it died (a crash is noted in the report, and
 * the next measurement runs on a fresh pair rather than failing every remaining cell).
 */
class Slot {
  pair: PtPair | undefined;
  startError: string | undefined;

  constructor(
    readonly client: Impl,
    readonly server: Impl,
    readonly mode: 0 | 1 | 2,
    readonly orPort: Endpoint,
    readonly stopGraceMs: number,
    readonly transport: PairTransport = 'obfs4',
    readonly webtunnel?: WebtunnelSetup,
  ) {}

  get name(): string {
    return this.client.name === this.server.name
      ? this.client.name
      : `${this.client.name}→${this.server.name}`;
  }

  async get(): Promise<PtPair> {
    if (this.pair?.alive) return this.pair;
    if (this.pair) {
      const reason = this.pair.deathReason();
      crashes.push({ pt: `${this.name} iat-mode ${this.mode}`, reason });
      const why = `${this.name} (iat-mode ${this.mode}) died and was restarted: ${reason}`;
      progress(why);
      await this.pair.stop();
      this.pair = undefined;
    }
    try {
      this.pair = await PtPair.start({
        client: this.client,
        server: this.server,
        iatMode: this.mode,
        orPort: this.orPort,
        stopGraceMs: this.stopGraceMs,
        transport: this.transport,
        ...(this.webtunnel !== undefined ? { webtunnel: this.webtunnel } : {}),
        ...(sharedServerState !== undefined ? { serverState: sharedServerState } : {}),
      });
      pidRoles.set(this.pair.client.pid, `${this.client.name}-client-iat${this.mode}`);
      pidRoles.set(this.pair.server.pid, `${this.server.name}-server-iat${this.mode}`);
      return this.pair;
    } catch (err) {
      this.startError = errText(err);
      throw err;
    }
  }

  target(pair: PtPair, via?: Endpoint): Target {
    return { label: this.name, dial: () => pair.dial(via), pids: () => pair.pids() };
  }

  async stop(): Promise<void> {
    await this.pair?.stop();
    this.pair = undefined;
  }
}

/** One bridge identity for every server of the run (see PairOptions.serverState). */
let sharedServerState: string | undefined;
/** PT crashes seen during the run, per side name. */
const crashes: { pt: string; reason: string }[] = [];

/** PID → role, for naming CPU profiles. */
const pidRoles = new Map<number, string>();

async function main(): Promise<number> {
  const cfg: Config = parseConfig(process.argv.slice(2));
  const watchdog = setTimeout(() => {
    progress(`watchdog: the run exceeded ${cfg.budgetMs / 1000} s; stopping the PTs`);
    killAllPts();
    process.exit(2);
  }, cfg.budgetMs);
  watchdog.unref();
  if (cfg.profileDir) mkdirSync(cfg.profileDir, { recursive: true });
  const sameName = cfg.a.name === cfg.b.name;
  const nameA = sameName ? `${cfg.a.name} (A)` : cfg.a.name;
  const nameB = sameName ? `${cfg.b.name} (B)` : cfg.b.name;
  const impls: Record<Side, Impl> = { A: cfg.a, B: cfg.b };
  const stopGraceMs = cfg.profileDir ? 15_000 : 2000;

  const chunk = Buffer.alloc(cfg.chunkBytes);
  randomFillSync(chunk);
  const sink = new Sink(chunk);
  const orPort = await sink.listen();
  const metrics = new MetricSet();
  const ceiling: CeilingRow[] = [];
  const timing: TimingCell[] = [];
  const mixed: MixedRow[] = [];
  const syscalls: SyscallRow[] = [];
  const sides: Side[] = ['A', 'B'];

  // One bridge identity, made by the baseline, for every server of both sides.
  try {
    const boot = await PtPair.start({ client: cfg.b, server: cfg.b, iatMode: 0, orPort });
    sharedServerState = boot.serverStateJson();
    await boot.stop();
  } catch (err) {
    notes.push(
      `each server uses its own bridge identity (could not make a shared one: ${errText(err).split('\n')[0]})`,
    );
  }

  if (cfg.phases.has('ceiling')) {
    for (const dir of ['up', 'down'] as const) {
      for (const conns of cfg.ceiling.conns) {
        const r = await bulk(directTarget(orPort), sink, { ...cfg.ceiling, dir, conns, chunk });
        const label = `${ARROW[dir]} ×${conns}`;
        ceiling.push({
          label,
          mbps: r.mbps,
          harnessCpuPerGiB: r.cpu.harness / (r.bytes / 2 ** 30),
        });
        progress(`ceiling ${label}: ${r.mbps.toFixed(0)} MB/s${r.error ? ` (${r.error})` : ''}`);
      }
    }
  }

  for (const mode of cfg.modes) {
    const wantHs = mode === 0 && cfg.phases.has('handshake');
    const wantBulk = cfg.phases.has('bulk');
    const wantTiming = cfg.phases.has('timing') && cfg.timing.modes.includes(mode);
    const wantSideBySide = mode === 0 && cfg.phases.has('sidebyside');
    if (!wantHs && !wantBulk && !wantTiming && !wantSideBySide) continue;
    const slots: Record<Side, Slot> = {
      A: new Slot(cfg.a, cfg.a, mode, orPort, stopGraceMs),
      B: new Slot(cfg.b, cfg.b, mode, orPort, stopGraceMs),
    };
    /** Runs fn for rep 1..reps, A then B each time; a failure is recorded, not fatal. */
    const alternate = async (
      what: string,
      ids: string[],
      reps: number,
      fn: (side: Side, pair: PtPair) => Promise<void>,
    ): Promise<void> => {
      for (let rep = 0; rep < reps; rep++) {
        for (const side of sides) {
          // A PT that crashed inside the window (obfs4proxy 0.0.14's iat-mode-2 panic) gets one
          // more window on a restarted pair: the crash is reported, and costs the sample only if
          // it happens twice in a row (with --quick's single repetition it would cost the metric).
          for (let attempt = 1; attempt <= 2; attempt++) {
            let pair: PtPair | undefined;
            try {
              pair = await slots[side].get();
              await fn(side, pair);
              break;
            } catch (err) {
              for (const id of ids) metrics.error(id, side, errText(err));
              progress(`${what} ${side}: ${errText(err).split('\n')[0]}`);
              if (pair === undefined || pair.alive) break;
            }
          }
        }
      }
    };

    if (mode === 0 && (wantHs || wantBulk || wantSideBySide))
      await warmUp(slots, cfg, sink, chunk, 'warm-up');

    if (wantHs) {
      const ids = ['hs.rate', 'hs.p50', 'hs.p99', 'hs.cpu.client', 'hs.cpu.server'];
      const g = 'Handshakes (iat-mode 0, short connections, 16 in flight)';
      // Issue 12's targets: 1.5× obfs4proxy's rate, at most 0.5 ms of CPU per connection per side.
      metrics.define('hs.rate', g, 'connections per second', 'conn/s', 'higher', {
        target: { op: '>=', ratio: 1.5 },
      });
      metrics.define('hs.p50', g, 'setup latency, median', 'ms', 'lower');
      metrics.define('hs.p99', g, 'setup latency, p99', 'ms', 'lower');
      const perConn = { limit: { op: '<=', value: 0.5 } } as const;
      metrics.define('hs.cpu.client', g, 'client CPU per connection', 'ms', 'lower', perConn);
      metrics.define('hs.cpu.server', g, 'server CPU per connection', 'ms', 'lower', perConn);
      const runs = { A: [] as HandshakeResult[], B: [] as HandshakeResult[] };
      await alternate('handshakes', ids, cfg.reps, async (side, pair) => {
        const r = await handshakes(slots[side].target(pair), cfg.handshake);
        if (!pair.alive) throw new Error(`PT died during the measurement: ${pair.deathReason()}`);
        const other = otherLoad(r.cpu, r.seconds);
        otherLoads[side].push(other);
        runs[side].push(r);
        metrics.add('hs.rate', side, r.perSecond);
        metrics.add('hs.p50', side, median(r.latenciesMs));
        metrics.add('hs.p99', side, percentile(r.latenciesMs, 99));
        metrics.add('hs.cpu.client', side, r.cpuMsPerConn.client);
        metrics.add('hs.cpu.server', side, r.cpuMsPerConn.server);
        if (r.error) metrics.error('hs.rate', side, r.error);
        progress(
          `handshakes ${slots[side].name}: ${r.perSecond.toFixed(0)}/s, median ${median(r.latenciesMs).toFixed(1)} ms, p99 ${percentile(r.latenciesMs, 99).toFixed(1)} ms, other load ${other.toFixed(2)} cores${r.error ? ` (${r.error})` : ''}`,
        );
      });
      const names = { A: nameA, B: nameB };
      // Outside each PT's first thread: for steppe V8's optimizing compiler and GC helpers, where
      // closures recompiled after every full GC showed before the totals could resolve them
      // (bench/perf/README.md); Go runs goroutines on all its threads, so there it says little.
      notes.push(
        perSideNote(
          runs,
          names,
          (r) => r.offMainMsPerConn,
          'off the main thread',
          'Node: the JIT compiler and GC helpers; Go schedules goroutines on every thread',
        ),
      );
      // In the kernel (system time): on loopback the connect, accept and close, and each write,
      // which also runs the receiving socket's side and wakes its reader. Both PTs make the same
      // connections and about as many writes; what differs is how their threads sleep and wake.
      notes.push(
        perSideNote(
          runs,
          names,
          (r) => r.kernelMsPerConn,
          'in the kernel, system time',
          "loopback connect, accept, writes and close, and the threads' sleeps and wake-ups",
        ),
      );
      notes.push(harnessNote(runs, names));
    }

    if (wantSideBySide) await sideBySidePhase(slots, cfg, metrics, { A: nameA, B: nameB });

    if (wantBulk) {
      const w = mode === 0 ? cfg.bulk0 : cfg.bulkIat;
      for (const dir of ['up', 'down'] as const) {
        for (const conns of w.conns) {
          const id = `bulk.iat${mode}.${dir}.${conns}`;
          const cpuG = 'CPU seconds per GiB moved (iat-mode 0)';
          const cpuIds = [
            `cpu.iat${mode}.${dir}.${conns}.client`,
            `cpu.iat${mode}.${dir}.${conns}.server`,
          ];
          metrics.define(
            id,
            `Throughput, iat-mode ${mode}`,
            `${ARROW[dir]}, ${conns} conn`,
            'MB/s',
            'higher',
            // Issue 12: 2× obfs4proxy at iat-mode 0 (bench/perf/README.md has the measured limit).
            mode === 0 ? { target: { op: '>=', ratio: 2 } } : {},
          );
          metrics.define(
            cpuIds[0] ?? '',
            cpuG,
            `client, ${ARROW[dir]}, ${conns} conn`,
            's/GiB',
            'lower',
            { headline: mode === 0 },
          );
          metrics.define(
            cpuIds[1] ?? '',
            cpuG,
            `server, ${ARROW[dir]}, ${conns} conn`,
            's/GiB',
            'lower',
            { headline: mode === 0 },
          );
          await alternate(id, [id, ...cpuIds], cfg.reps, async (side, pair) => {
            const r = await bulk(slots[side].target(pair), sink, { ...w, dir, conns, chunk });
            // A PT that died inside the window makes its numbers meaningless: drop them.
            if (!pair.alive)
              throw new Error(`PT died during the measurement: ${pair.deathReason()}`);
            if (r.error) throw new Error(r.error);
            const other = otherLoad(r.cpu, r.seconds);
            otherLoads[side].push(other);
            metrics.add(id, side, r.mbps);
            metrics.add(cpuIds[0] ?? '', side, r.cpuPerGiB.client);
            metrics.add(cpuIds[1] ?? '', side, r.cpuPerGiB.server);
            progress(
              `iat${mode} ${ARROW[dir]} ×${conns} ${slots[side].name}: ${r.mbps.toFixed(r.mbps < 10 ? 2 : 0)} MB/s, CPU client ${r.cpu.client.toFixed(2)} s server ${r.cpu.server.toFixed(2)} s harness ${r.cpu.harness.toFixed(2)} s, other load ${other.toFixed(2)} cores`,
            );
          });
        }
      }
    }

    if (wantTiming) {
      for (const leg of cfg.timing.legs) {
        const cell: TimingCell = { mode, leg };
        for (const side of sides) {
          try {
            const pair = await slots[side].get();
            const timer = new RelayTimer(pair.bridge);
            await timer.listen();
            try {
              cell[side] = await timer.measure(
                slots[side].target(pair, timer.address),
                sink,
                leg,
                chunk,
                cfg.timing,
              );
            } finally {
              await timer.close();
            }
            const t = cell[side];
            progress(
              `timing iat${mode} ${ARROW[leg]} ${slots[side].name}: ${t?.gaps ?? 0} gaps, median ${t?.medianGapMs.toFixed(3)} ms, p90 ${t?.p90GapMs.toFixed(3)} ms, ${t?.mbps.toFixed(2)} MB/s`,
            );
          } catch (err) {
            notes.push(`timing iat-mode ${mode} ${leg} ${side}: ${errText(err).split('\n')[0]}`);
          }
        }
        RelayTimer.compare(cell);
        timing.push(cell);
      }
    }
    await Promise.all([slots.A.stop(), slots.B.stop()]);
  }

  if (cfg.phases.has('scramblesuit'))
    await scramblesuitPhase(cfg, orPort, sink, chunk, metrics, stopGraceMs);
  if (cfg.phases.has('webtunnel'))
    await webtunnelPhase(cfg, orPort, sink, chunk, metrics, stopGraceMs);
  if (cfg.phases.has('floor')) await floorPhase(cfg, orPort, sink, chunk, metrics, stopGraceMs);

  if (cfg.phases.has('obfs3')) {
    // obfs3 pairs (no identity, no iat-mode): handshakes and iat-mode-0-sized bulk windows, A/B
    // alternating as above. Its cost is AES-128-CTR and one 1536-bit modexp per side per
    // connection, so the ratio says how steppe's byte path and UniformDH compare with Go's.
    const slots: Record<Side, Slot> = {
      A: new Slot(cfg.a, cfg.a, 0, orPort, stopGraceMs, 'obfs3'),
      B: new Slot(cfg.b, cfg.b, 0, orPort, stopGraceMs, 'obfs3'),
    };
    const g = 'obfs3';
    const run = async (ids: string[], fn: (side: Side, pair: PtPair) => Promise<void>) => {
      for (let rep = 0; rep < cfg.reps; rep++) {
        for (const side of sides) {
          try {
            const pair = await slots[side].get();
            await fn(side, pair);
            if (!pair.alive)
              throw new Error(`PT died during the measurement: ${pair.deathReason()}`);
          } catch (err) {
            for (const id of ids) metrics.error(id, side, errText(err));
            progress(`obfs3 ${side}: ${errText(err).split('\n')[0]}`);
          }
        }
      }
    };
    await warmUp(slots, cfg, sink, chunk, 'obfs3 warm-up');
    // Handshakes belong to this phase (as in the scramblesuit one): --phases obfs3 measures both.
    metrics.define('obfs3.hs.rate', g, 'handshakes per second, 16 in flight', 'conn/s', 'higher');
    metrics.define('obfs3.hs.p50', g, 'setup latency, median', 'ms', 'lower');
    metrics.define('obfs3.hs.cpu.client', g, 'client CPU per connection', 'ms', 'lower');
    metrics.define('obfs3.hs.cpu.server', g, 'server CPU per connection', 'ms', 'lower');
    const hsIds = ['obfs3.hs.rate', 'obfs3.hs.p50', 'obfs3.hs.cpu.client', 'obfs3.hs.cpu.server'];
    await run(hsIds, async (side, pair) => {
      const r = await handshakes(slots[side].target(pair), cfg.handshake);
      metrics.add('obfs3.hs.rate', side, r.perSecond);
      metrics.add('obfs3.hs.p50', side, median(r.latenciesMs));
      metrics.add('obfs3.hs.cpu.client', side, r.cpuMsPerConn.client);
      metrics.add('obfs3.hs.cpu.server', side, r.cpuMsPerConn.server);
      if (r.error) metrics.error('obfs3.hs.rate', side, r.error);
      progress(`obfs3 handshakes ${slots[side].name}: ${r.perSecond.toFixed(0)}/s`);
    });
    for (const dir of ['up', 'down'] as const) {
      for (const conns of cfg.bulk0.conns) {
        const id = `obfs3.bulk.${dir}.${conns}`;
        metrics.define(id, g, `throughput ${ARROW[dir]}, ${conns} conn`, 'MB/s', 'higher', {
          target: { op: '>=', ratio: 1.5 },
        });
        await run([id], async (side, pair) => {
          const r = await bulk(slots[side].target(pair), sink, { ...cfg.bulk0, dir, conns, chunk });
          if (r.error) throw new Error(r.error);
          metrics.add(id, side, r.mbps);
          progress(
            `obfs3 ${ARROW[dir]} ×${conns} ${slots[side].name}: ${r.mbps.toFixed(0)} MB/s, CPU client ${r.cpu.client.toFixed(2)} s server ${r.cpu.server.toFixed(2)} s`,
          );
        });
      }
    }
    await Promise.all([slots.A.stop(), slots.B.stop()]);
  }

  if (cfg.phases.has('memory')) {
    const g = 'Resident memory (iat-mode 0, idle established connections)';
    const levels = cfg.memory.levels;
    const top = levels[levels.length - 1] ?? 1;
    const low = levels[0] ?? 1;
    for (const role of ['client', 'server'] as const) {
      // Issue 12: a managed PT that tor starts must not hold more than 45 MiB before its first use.
      metrics.define(`mem.${role}.0`, g, `${role} RSS, started, no connection`, 'MiB', 'lower', {
        limit: { op: '<=', value: 45 },
      });
      for (const n of levels)
        metrics.define(`mem.${role}.${n}`, g, `${role} RSS, ${n} idle conn`, 'MiB', 'lower');
      metrics.define(
        `mem.${role}.per`,
        g,
        `${role} per idle connection (${low}→${top})`,
        'KiB',
        'lower',
        { target: { op: '<=', ratio: 1 } },
      );
    }
    for (let rep = 0; rep < cfg.reps; rep++) {
      for (const side of sides) {
        // A fresh pair each time: RSS must not carry a heap grown by earlier phases.
        const slot = new Slot(impls[side], impls[side], 0, orPort, stopGraceMs);
        const idle: IdleSet = { sockets: [], failed: 0 };
        try {
          const pair = await slot.get();
          const t = slot.target(pair);
          await sleep(cfg.memory.settleMs);
          metrics.add('mem.client.0', side, pair.client.rss() / 1024);
          metrics.add('mem.server.0', side, pair.server.rss() / 1024);
          const at = new Map<number, { client: number; server: number; n: number }>();
          for (const n of levels) {
            await openIdle(t, idle, n, cfg.memory.concurrency, cfg.memory.stepDeadlineMs);
            await sleep(cfg.memory.settleMs);
            const c = pair.client.rss();
            const s = pair.server.rss();
            at.set(n, { client: c, server: s, n: idle.sockets.length });
            metrics.add(`mem.client.${n}`, side, c / 1024);
            metrics.add(`mem.server.${n}`, side, s / 1024);
            if (idle.sockets.length < n) {
              metrics.error(
                `mem.client.${n}`,
                side,
                `only ${idle.sockets.length} of ${n} connections opened: ${idle.error ?? ''}`,
              );
            }
          }
          const a = at.get(low);
          const b = at.get(top);
          if (a && b && b.n > a.n) {
            metrics.add('mem.client.per', side, (b.client - a.client) / (b.n - a.n));
            metrics.add('mem.server.per', side, (b.server - a.server) / (b.n - a.n));
          }
          progress(
            `memory ${slot.name}: ` +
              [...at.entries()]
                .map(
                  ([n, v]) =>
                    `${n}: client ${(v.client / 1024).toFixed(1)} MiB server ${(v.server / 1024).toFixed(1)} MiB`,
                )
                .join('; '),
          );
        } catch (err) {
          metrics.error('mem.client.per', side, errText(err));
          progress(`memory ${side}: ${errText(err).split('\n')[0]}`);
        } finally {
          for (const s of idle.sockets) s.destroy();
          sink.destroyAll();
          await slot.stop();
        }
      }
    }
  }

  if (cfg.phases.has('mixed') && cfg.a.name !== cfg.b.name) {
    for (const [c, s] of [
      [cfg.a, cfg.b],
      [cfg.b, cfg.a],
    ] as const) {
      const slot = new Slot(c, s, 0, orPort, stopGraceMs);
      const row: MixedRow = {
        pair: slot.name,
        upMBps: Number.NaN,
        downMBps: Number.NaN,
        handshakesPerSec: Number.NaN,
        errors: [],
      };
      try {
        const pair = await slot.get();
        const t = slot.target(pair);
        const up = await bulk(t, sink, { ...cfg.bulk0, dir: 'up', conns: 1, chunk });
        const down = await bulk(t, sink, { ...cfg.bulk0, dir: 'down', conns: 1, chunk });
        const hs = await handshakes(t, {
          ...cfg.handshake,
          durationMs: Math.min(cfg.handshake.durationMs, 2000),
        });
        row.upMBps = up.mbps;
        row.downMBps = down.mbps;
        row.handshakesPerSec = hs.perSecond;
        for (const e of [up.error, down.error, hs.error]) if (e) row.errors.push(e);
      } catch (err) {
        row.errors.push(errText(err).split('\n')[0] ?? '');
      } finally {
        await slot.stop();
      }
      progress(
        `mixed ${row.pair}: up ${row.upMBps.toFixed(0)} MB/s, down ${row.downMBps.toFixed(0)} MB/s, ${row.handshakesPerSec.toFixed(0)} handshakes/s ${row.errors.join('; ')}`,
      );
      mixed.push(row);
    }
  }

  if (cfg.phases.has('syscalls')) {
    if (!haveStrace()) {
      notes.push('syscall counts skipped: strace is not installed');
    } else {
      for (const side of sides) {
        const slot = new Slot(impls[side], impls[side], 0, orPort, stopGraceMs);
        try {
          const pair = await slot.get();
          for (const dir of ['up', 'down'] as const) {
            const tc = traceSyscalls(pair.client.pid);
            const ts = traceSyscalls(pair.server.pid);
            // Give strace time to attach to every thread before the traffic starts.
            await sleep(300);
            const r = await bulk(slot.target(pair), sink, {
              dir,
              conns: 1,
              chunk,
              warmupMs: 300,
              measureMs: cfg.quick ? 700 : 1500,
            });
            const counts = { client: await tc.stop(), server: await ts.stop() };
            if (r.error) throw new Error(r.error);
            const mib = r.totalBytes / 2 ** 20;
            for (const role of ['client', 'server'] as const) {
              const total = counts[role].reduce((n, c) => n + c.calls, 0);
              syscalls.push({
                side: side === 'A' ? nameA : nameB,
                dir,
                role,
                mib,
                totalPerMiB: total / mib,
                perFrame: total / mib / (2 ** 20 / 1427),
                top: counts[role].slice(0, 5).map((c) => ({ name: c.name, perMiB: c.calls / mib })),
              });
            }
            progress(`syscalls ${slot.name} ${ARROW[dir]}: ${mib.toFixed(0)} MiB traced`);
          }
        } catch (err) {
          notes.push(`syscall counts for ${slot.name}: ${errText(err).split('\n')[0]}`);
        } finally {
          sink.destroyAll();
          await slot.stop();
        }
      }
    }
  }

  await sink.close();
  const durationSec = (performance.now() - started) / 1000;
  const allOther = [...otherLoads.A, ...otherLoads.B];
  const otherMedian = median(allOther);
  const otherMax = Math.max(0, ...allOther);
  if (otherMedian > 0.25) {
    notes.push(
      `Other processes used a median of ${otherMedian.toFixed(2)} cores (max ${otherMax.toFixed(2)}; ` +
        `A's windows ${median(otherLoads.A).toFixed(2)}, B's ${median(otherLoads.B).toFixed(2)}) during the measurement windows ` +
        `of a ${cpus().length}-core machine: absolute numbers are depressed and noisy; the A/B ratios (alternating runs) are the robust part.`,
    );
  }
  if (cfg.profileDir)
    notes.push(
      `steppe ran under node --cpu-prof (profiles in ${cfg.profileDir}); its numbers carry the profiler's overhead.`,
    );
  const report: Report = {
    meta: {
      date: new Date().toISOString(),
      command: cfg.command,
      quick: cfg.quick,
      reps: cfg.reps,
      durationSec,
      host: {
        cpus: cpus().length,
        model: cpus()[0]?.model ?? '?',
        detail: cpuDetail(),
        node: process.version,
        kernel: release(),
        sides: { A: describeImpl(cfg.a, VERSION), B: describeImpl(cfg.b, VERSION) },
      },
      A: nameA,
      B: nameB,
      otherLoadCores: {
        median: otherMedian,
        max: otherMax,
        A: median(otherLoads.A),
        B: median(otherLoads.B),
      },
      notes,
      crashes,
    },
    ceiling,
    metrics: metrics.summarize(),
    timing,
    mixed,
    syscalls,
  };
  const md = renderMarkdown(report);
  mkdirSync(cfg.outDir, { recursive: true });
  const stamp = report.meta.date.replace(/[:.]/g, '-');
  const kind = cfg.quick ? 'quick' : 'full';
  const files: Record<string, string> = {
    json: JSON.stringify(report, null, 2) + '\n',
    md,
    svg: metricsSvg(report),
    'iat.svg': timingSvg(report),
  };
  for (const [ext, body] of Object.entries(files)) {
    const p = join(cfg.outDir, `perf-${kind}-${stamp}.${ext}`);
    writeFileSync(p, body);
    copyFileSync(p, join(cfg.outDir, `perf-${kind}-latest.${ext}`));
  }
  process.stdout.write(md);
  progress(
    `wrote ${join(cfg.outDir, `perf-${kind}-latest.{json,md,svg,iat.svg}`)} in ${durationSec.toFixed(0)} s`,
  );
  if (cfg.profileDir) {
    const summary = summarizeProfiles(cfg.profileDir, pidRoles);
    writeFileSync(join(cfg.outDir, 'perf-profile-latest.md'), summary);
    process.stderr.write(summary);
  }
  // A side that never produced a single sample means the PT could not run: that is a failure.
  const dead = sides.filter((s) => report.metrics.every((m) => m[s].samples.length === 0));
  if (dead.length > 0) {
    progress(`no measurement succeeded for side(s) ${dead.join(', ')}`);
    return 1;
  }
  return 0;
}

/**
 * Unmeasured traffic through each side's fresh pair (bulk both ways, then handshakes), the same
 * for both sides: see Config.pairWarmupMs. A failure is reported and left to the measurements.
 */
async function warmUp(
  slots: Record<Side, Slot>,
  cfg: Config,
  sink: Sink,
  chunk: Buffer,
  label: string,
): Promise<void> {
  for (const side of ['A', 'B'] as const) {
    try {
      const pair = await slots[side].get();
      const t = slots[side].target(pair);
      const w = { conns: 1, chunk, warmupMs: 0, measureMs: cfg.pairWarmupMs / 2 };
      await bulk(t, sink, { ...w, dir: 'up' });
      await bulk(t, sink, { ...w, dir: 'down' });
      await warmHandshakes(t, cfg);
    } catch (err) {
      progress(`${label} ${side}: ${errText(err).split('\n')[0]}`);
    }
  }
}

/**
 * Handshakes for at least half of the pair warm-up and until Config.pairWarmupConnections have
 * completed, eight seconds at most; a pair that completes none is left to the measurements.
 */
async function warmHandshakes(t: Target, cfg: Config): Promise<void> {
  const stopAt = performance.now() + 8000;
  let completed = 0;
  do {
    const r = await handshakes(t, {
      concurrency: 16,
      durationMs: cfg.pairWarmupMs / 2,
      timeoutMs: 10_000,
    });
    if (r.completed === 0) return;
    completed += r.completed;
  } while (completed < cfg.pairWarmupConnections && performance.now() < stopAt);
}

/**
 * What the one-connection phases (scramblesuit, webtunnel, floor) measure: one column source, and the
 * (metric prefix, side) cells its numbers go to. A source may fill cells in several groups (the
 * webtunnel row is compared with two baselines, measured once).
 */
interface Contestant {
  readonly label: string;
  readonly into: ReadonlyArray<readonly [prefix: string, side: Side]>;
  /** A target ready to dial, and why what it measures died (undefined while it is alive). */
  ready(): Promise<{ target: Target; death: () => string | undefined }>;
  stop(): Promise<void>;
}

function slotContestant(slot: Slot, label: string, into: Contestant['into']): Contestant {
  return {
    label,
    into,
    ready: async () => {
      const pair = await slot.get();
      return {
        target: slot.target(pair),
        death: () => (pair.alive ? undefined : pair.deathReason()),
      };
    },
    stop: () => slot.stop(),
  };
}

/**
 * The measurement of the scramblesuit and webtunnel phases: per contestant, an unmeasured warm-up
 * (the same as the obfs4 pairs get), bulk up and down over one connection, then handshakes per
 * second, `cfg.reps` times, contestants alternating; a contestant that fails gets the error in
 * every cell it fills.
 */
async function oneConnectionPhase(
  cfg: Config,
  sink: Sink,
  chunk: Buffer,
  metrics: MetricSet,
  groups: ReadonlyArray<{ prefix: string; group: string; cpu: boolean }>,
  contestants: readonly Contestant[],
): Promise<void> {
  const ids = new Set<string>();
  const define = (...a: Parameters<MetricSet['define']>): void => {
    metrics.define(...a);
    ids.add(a[0]);
  };
  for (const { prefix, group: g, cpu } of groups) {
    define(`${prefix}.up.1`, g, `${ARROW.up}, 1 conn`, 'MB/s', 'higher');
    define(`${prefix}.down.1`, g, `${ARROW.down}, 1 conn`, 'MB/s', 'higher');
    define(`${prefix}.hs.rate`, g, 'connections per second (16 in flight)', 'conn/s', 'higher');
    define(`${prefix}.hs.p50`, g, 'setup latency, median', 'ms', 'lower');
    // Per-connection CPU only where both columns are PT processes (the TLS pipe is not).
    if (cpu) {
      define(`${prefix}.hs.cpu.client`, g, 'client CPU per connection', 'ms', 'lower');
      define(`${prefix}.hs.cpu.server`, g, 'server CPU per connection', 'ms', 'lower');
    }
  }
  const w = cfg.bulk0;
  /** Into every cell of `c` whose group has `metric`. */
  const record = (c: Contestant, metric: string, value: number): void => {
    for (const [prefix, side] of c.into) {
      const id = `${prefix}.${metric}`;
      if (ids.has(id)) metrics.add(id, side, value);
    }
  };
  try {
    for (let rep = 0; rep < cfg.reps; rep++) {
      for (const c of contestants) {
        try {
          const { target: t, death } = await c.ready();
          if (rep === 0) {
            // The handshake path needs its own warm-up: V8 optimises it only after ~1000
            // connections (bench/perf/README.md), and the windows below would measure that.
            const warm = { conns: 1, chunk, warmupMs: 0, measureMs: cfg.pairWarmupMs / 2 };
            await bulk(t, sink, { ...warm, dir: 'up' });
            await warmHandshakes(t, cfg);
          }
          for (const dir of ['up', 'down'] as const) {
            const r = await bulk(t, sink, { ...w, dir, conns: 1, chunk });
            if (r.error) throw new Error(r.error);
            record(c, `${dir}.1`, r.mbps);
            progress(`${c.label} ${ARROW[dir]}: ${r.mbps.toFixed(0)} MB/s`);
          }
          const hs = await handshakes(t, cfg.handshake);
          if (hs.error)
            for (const [p, side] of c.into) metrics.error(`${p}.hs.rate`, side, hs.error);
          record(c, 'hs.rate', hs.perSecond);
          record(c, 'hs.p50', median(hs.latenciesMs));
          record(c, 'hs.cpu.client', hs.cpuMsPerConn.client);
          record(c, 'hs.cpu.server', hs.cpuMsPerConn.server);
          const { client: cc, server: sc } = hs.cpuMsPerConn;
          const cpu = Number.isFinite(cc)
            ? `, CPU per connection client ${cc.toFixed(2)} ms server ${sc.toFixed(2)} ms`
            : '';
          progress(
            `${c.label} handshakes: ${hs.perSecond.toFixed(0)}/s, median ${median(hs.latenciesMs).toFixed(1)} ms${cpu}`,
          );
          const died = death();
          if (died !== undefined) throw new Error(`died during the measurement: ${died}`);
        } catch (err) {
          for (const [p, side] of c.into)
            for (const id of ids) if (id.startsWith(`${p}.`)) metrics.error(id, side, errText(err));
          progress(`${c.label}: ${errText(err).split('\n')[0]}`);
        }
      }
    }
  } finally {
    await Promise.all(contestants.map((c) => c.stop()));
  }
}

/**
 * Both sides' iat-mode-0 pairs (already warm) make handshakes in the same windows; each window
 * gives one sample per side, and the notes say in how many windows A used less CPU than B.
 */
async function sideBySidePhase(
  slots: Record<Side, Slot>,
  cfg: Config,
  metrics: MetricSet,
  names: Record<Side, string>,
): Promise<void> {
  const o = cfg.sideBySide;
  const g = `Side by side: both pairs' handshakes in the same ${o.windows} windows, ${o.concurrency} in flight through each (the rates are each pair's share of the machine)`;
  const ids = ['sbs.rate', 'sbs.cpu.client', 'sbs.cpu.server'] as const;
  metrics.define(ids[0], g, 'connections per second', 'conn/s', 'higher');
  metrics.define(ids[1], g, 'client CPU per connection', 'ms', 'lower');
  metrics.define(ids[2], g, 'server CPU per connection', 'ms', 'lower');
  let windows: SideBySideWindow[];
  try {
    const [a, b] = await Promise.all([slots.A.get(), slots.B.get()]);
    windows = await sideBySide({ A: slots.A.target(a), B: slots.B.target(b) }, o);
    for (const [side, pair] of [
      ['A', a],
      ['B', b],
    ] as const) {
      if (!pair.alive) throw new Error(`${side} died during the windows: ${pair.deathReason()}`);
    }
  } catch (err) {
    for (const id of ids) metrics.error(id, 'A', errText(err));
    progress(`side by side: ${errText(err).split('\n')[0]}`);
    return;
  }
  for (const w of windows) {
    const shown: string[] = [];
    for (const side of ['A', 'B'] as const) {
      const r = w[side];
      metrics.add(ids[0], side, r.perSecond);
      metrics.add(ids[1], side, r.cpuMsPerConn.client);
      metrics.add(ids[2], side, r.cpuMsPerConn.server);
      if (r.error) metrics.error(ids[0], side, r.error);
      const { client, server } = r.cpuMsPerConn;
      shown.push(
        `${names[side]} ${r.perSecond.toFixed(0)}/s ${client.toFixed(3)}/${server.toFixed(3)} ms`,
      );
    }
    progress(`side by side: ${shown.join(', ')}`);
  }
  const n = windows.length;
  const client = windowsALower(windows, (r) => r.cpuMsPerConn.client);
  const server = windowsALower(windows, (r) => r.cpuMsPerConn.server);
  notes.push(
    `side by side: ${names.A} used less CPU per connection than ${names.B} in ${client} of ${n} windows on the client and ${server} of ${n} on the server`,
  );
}

/**
 * The side that is steppe, for the phases whose server only steppe has; undefined (and a note
 * in the report saying why the phase was skipped) when neither side is.
 */
function steppeSide(cfg: Config, phase: string, why: string): Impl | undefined {
  const steppe = [cfg.a, cfg.b].find((i) => i.name === 'steppe');
  if (steppe === undefined) notes.push(`${phase} skipped: neither side is steppe (${why})`);
  return steppe;
}

/**
 * ScrambleSuit, where only the server can be steppe (obfs4proxy has no ScrambleSuit server): A is
 * the steppe pair, B the obfs4proxy client against the same steppe server build. The ratio A/B
 * is steppe's client against obfs4proxy's; the server's cost is in both. Handshakes reuse the
 * session tickets the server hands out, as real clients do.
 */
async function scramblesuitPhase(
  cfg: Config,
  orPort: Endpoint,
  sink: Sink,
  chunk: Buffer,
  metrics: MetricSet,
  stopGraceMs: number,
): Promise<void> {
  const steppe = steppeSide(cfg, 'scramblesuit', 'obfs4proxy has no scramblesuit server');
  if (steppe === undefined) return;
  const reference = [cfg.a, cfg.b].find((i) => i.name !== 'steppe') ?? obfs4proxyImpl();
  const a = new Slot(steppe, steppe, 0, orPort, stopGraceMs, 'scramblesuit');
  const b = new Slot(reference, steppe, 0, orPort, stopGraceMs, 'scramblesuit');
  await oneConnectionPhase(
    cfg,
    sink,
    chunk,
    metrics,
    [
      {
        prefix: 'ss',
        group: `ScrambleSuit, steppe server (A: ${a.name}, B: ${b.name})`,
        cpu: true,
      },
    ],
    [
      slotContestant(a, `scramblesuit ${a.name}`, [['ss', 'A']]),
      slotContestant(b, `scramblesuit ${b.name}`, [['ss', 'B']]),
    ],
  );
}

/**
 * WebTunnel as it is deployed: steppe's client → nginx (TLS, the secret path upgraded) → steppe's
 * server in plain HTTP → the sink. No webtunnel reference pair exists here (lyrebird ships only a
 * client, and no other webtunnel server is installed), so it is measured against two baselines
 * in the same run: a plain TLS pipe through the same nginx (the load generator's own TLS to
 * nginx's stream proxy, then the sink: what hiding in TLS behind this web server costs at least)
 * and steppe's obfs4 pair at iat-mode 0 (what the same bytes cost without TLS).
 */
async function webtunnelPhase(
  cfg: Config,
  orPort: Endpoint,
  sink: Sink,
  chunk: Buffer,
  metrics: MetricSet,
  stopGraceMs: number,
): Promise<void> {
  const steppe = steppeSide(cfg, 'webtunnel', 'no other webtunnel server exists here');
  if (steppe === undefined) return;
  const tls = await makeBenchTls();
  const serverPort = await freePort();
  let front: TlsFront;
  try {
    front = await startTlsFront(tls, { host: '127.0.0.1', port: serverPort }, orPort);
  } catch (err) {
    tls.remove();
    notes.push(`webtunnel skipped: ${errText(err).split('\n')[0]}`);
    return;
  }
  try {
    const wt = new Slot(steppe, steppe, 0, orPort, stopGraceMs, 'webtunnel', {
      tls,
      front: front.https,
      serverPort,
    });
    const obfs4 = new Slot(steppe, steppe, 0, orPort, stopGraceMs, 'obfs4');
    const pipe: Contestant = {
      label: 'webtunnel phase: TLS pipe through nginx',
      into: [['wt', 'B']],
      ready: () =>
        Promise.resolve({
          target: tlsPipeTarget(front, tls.pin),
          death: () => (processAlive(front.nginx.pid) ? undefined : 'nginx exited'),
        }),
      stop: async () => {},
    };
    await oneConnectionPhase(
      cfg,
      sink,
      chunk,
      metrics,
      [
        {
          prefix: 'wt',
          cpu: false,
          group:
            'WebTunnel through nginx, against a plain TLS pipe through the same nginx (no reference webtunnel pair exists): the steppe column is steppe webtunnel client → nginx → steppe webtunnel server, the obfs4proxy column is the load generator’s TLS → nginx stream proxy → sink',
        },
        {
          prefix: 'wto',
          cpu: true,
          group:
            'WebTunnel through nginx, against steppe obfs4 iat-mode 0: the steppe column is the webtunnel row above, the obfs4proxy column is steppe’s obfs4 pair, A/B = webtunnel ÷ obfs4',
        },
      ],
      [
        slotContestant(wt, 'webtunnel phase: webtunnel through nginx', [
          ['wt', 'A'],
          ['wto', 'A'],
        ]),
        pipe,
        slotContestant(obfs4, 'webtunnel phase: steppe obfs4', [['wto', 'B']]),
      ],
    );
  } finally {
    await front.stop();
    tls.remove();
  }
}

/**
 * What a connection costs in steppe before any transport's work: steppe's dummy transport (the
 * managed-mode SOCKS front, connect, relay and ORPort forwarding every transport goes through,
 * the bytes passed on untouched) against steppe's obfs4 pair at iat-mode 0. Issue 12's
 * per-connection target is read against this floor: obfs4's handshake and framing come on top.
 * The dummy's SOCKS5 request carries no username (it takes no arguments), so it has one
 * round trip fewer than obfs4's (RFC 1929 authentication: 2 of the client's 6 writes).
 */
async function floorPhase(
  cfg: Config,
  orPort: Endpoint,
  sink: Sink,
  chunk: Buffer,
  metrics: MetricSet,
  stopGraceMs: number,
): Promise<void> {
  const steppe = steppeSide(cfg, 'floor', 'only steppe has a dummy transport');
  if (steppe === undefined) return;
  const dummy = new Slot(steppe, steppe, 0, orPort, stopGraceMs, 'dummy');
  const obfs4 = new Slot(steppe, steppe, 0, orPort, stopGraceMs, 'obfs4');
  await oneConnectionPhase(
    cfg,
    sink,
    chunk,
    metrics,
    [
      {
        prefix: 'floor',
        cpu: true,
        group:
          'steppe without a transport, against steppe obfs4 iat-mode 0: the steppe column is steppe’s dummy pair (managed mode, the same SOCKS front, relay and ORPort path, bytes untouched), the obfs4proxy column is steppe’s obfs4 pair, A/B = dummy ÷ obfs4',
      },
    ],
    [
      slotContestant(dummy, 'floor: steppe dummy', [['floor', 'A']]),
      slotContestant(obfs4, 'floor: steppe obfs4', [['floor', 'B']]),
    ],
  );
}

/** Signal 0 checks that a PID exists without touching the process. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

runBench('bench:perf', main);

/**
 * The harness's own CPU per connection (the SOCKS client and the sink, in this process, on the
 * same cores as the PTs), and the rate ratio that the CPU per connection alone allows: with every
 * core shared by the two PTs and the harness, connections per second follow the summed CPU per
 * connection, so the harness's share, the same work for both sides, pulls the rate ratio towards
 * 1 (bench/perf/README.md, "What the harness costs a handshake").
 */
function harnessNote(
  runs: Record<'A' | 'B', readonly HandshakeResult[]>,
  names: Record<'A' | 'B', string>,
): string {
  const harness = (s: 'A' | 'B'): number => median(runs[s].map((r) => r.harnessMsPerConn));
  const pts = (s: 'A' | 'B'): number =>
    median(runs[s].map((r) => r.cpuMsPerConn.client + r.cpuMsPerConn.server));
  const hA = harness('A');
  const hB = harness('B');
  const bound = (pts('B') + hB) / (pts('A') + hA);
  const without = pts('B') / pts('A');
  return `handshakes: the harness's CPU per connection (SOCKS client + sink, medians): ${names.A} ${hA.toFixed(3)} ms, ${names.B} ${hB.toFixed(3)} ms; summed CPU per connection (client + server + harness) gives a rate ratio of ${bound.toFixed(2)}× (${without.toFixed(2)}× without the harness)`;
}

/** A part of each side's CPU per connection, client / server, as medians of the repetitions. */
function perSideNote(
  runs: Record<'A' | 'B', readonly HandshakeResult[]>,
  names: Record<'A' | 'B', string>,
  part: (r: HandshakeResult) => { client: number; server: number },
  what: string,
  why: string,
): string {
  const side = (s: 'A' | 'B'): string => {
    const c = median(runs[s].map((r) => part(r).client));
    const v = median(runs[s].map((r) => part(r).server));
    return `${names[s]} ${c.toFixed(3)} / ${v.toFixed(3)} ms`;
  };
  return `handshakes: CPU per connection ${what} (client / server, medians): ${side('A')}, ${side('B')} (${why})`;
}
