/**
 * `--workers` on one machine: the handshake phase (bench/perf/load.ts `handshakes()`: TCP
 * connect, SOCKS5, obfs4 handshake, one echoed byte, close) against a steppe bridge with 1 and
 * with 2 workers. The server's CPU is the primary's plus its workers' (/proc/<pid>/stat has no
 * share of live children). Run the harness itself under `taskset` and give the client's and the
 * server's CPUs here, so that the load generator and the client do not take the server's core:
 *
 *   taskset -c 0 node dist/bench/perf/workers.js --client-cpus 0 --server-cpus 1 --seconds 15
 *
 * Prints one markdown row per run; it never asserts speed.
 */
import { randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { handshakes } from './load.js';
import { cpuSeconds } from './proc.js';
import { killAllPts, PtPair, steppeImpl, type Impl } from './pt-pair.js';
import { Sink } from './sink.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '4' },
    workers: { type: 'string', default: '1,2' },
    concurrency: { type: 'string', default: '16' },
    'client-cpus': { type: 'string' },
    'server-cpus': { type: 'string' },
  },
});
const seconds = Math.min(60, Number(values.seconds));
const warmup = Math.min(30, Number(values.warmup));
const counts = values.workers.split(',').map(Number);
const concurrency = Number(values.concurrency);

/** steppe, under `taskset -c CPUS` when CPUS is given, with extra managed-mode flags. */
function pinned(cpus: string | undefined, flags: readonly string[]): Impl {
  const base = steppeImpl();
  const args = [...base.args, ...flags];
  if (cpus === undefined) return { ...base, args };
  return { ...base, command: 'taskset', args: ['-c', cpus, base.command, ...args] };
}

/** A process's CPU seconds plus its live children's (a primary and its workers). */
function treeCpu(pid: number): number {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((s) => s !== '')
      .map(Number);
  } catch {
    // gone
  }
  return children.reduce((sum, c) => sum + cpuSeconds(c), cpuSeconds(pid));
}

process.on('exit', killAllPts);
const chunk = Buffer.alloc(16 * 1024);
randomFillSync(chunk);
const sink = new Sink(chunk);
const orPort = await sink.listen();
console.log(
  '| server workers | handshakes/s | setup median ms | server CPU s/s | server CPU ms/conn | client CPU ms/conn | harness + client CPU s/s | failed | load avg (1 min) before → after |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const n of counts) {
  const pair = await PtPair.start({
    client: pinned(values['client-cpus'], []),
    server: pinned(values['server-cpus'], ['--workers', String(n)]),
    iatMode: 0,
    orPort,
  });
  try {
    const hs = { concurrency, timeoutMs: 10_000 };
    // Warm-up: JIT, and with workers their start (the primary queues connections until then).
    await handshakes(pair, { ...hs, durationMs: warmup * 1000 });
    const load0 = loadavg()[0] ?? 0;
    const server0 = treeCpu(pair.server.pid);
    const r = await handshakes(pair, { ...hs, durationMs: seconds * 1000 });
    const server = treeCpu(pair.server.pid) - server0;
    const load1 = loadavg()[0] ?? 0;
    const sorted = [...r.latenciesMs].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
    console.log(
      `| ${n} | ${r.perSecond.toFixed(0)} | ${median.toFixed(1)} | ${(server / r.seconds).toFixed(2)} | ${((server * 1000) / r.completed).toFixed(2)} | ${r.cpuMsPerConn.client.toFixed(2)} | ${((r.cpu.harness + r.cpu.client) / r.seconds).toFixed(2)} | ${r.failed} | ${load0.toFixed(2)} → ${load1.toFixed(2)} |`,
    );
  } finally {
    await pair.stop();
  }
}
await sink.close?.();
process.exit(0);
